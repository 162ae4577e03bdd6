#include "config/analysis_config.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "config/config.hpp"
#include "config/yaml_checks.hpp"

namespace billingfoot::config {

namespace {

const std::set<std::string> kAnomalyKeys = {"dimensions",
                                            "cost",
                                            "threshold",
                                            "min_relative",
                                            "min_impact",
                                            "direction",
                                            "history_days",
                                            "min_history_days",
                                            "merge_gap_days",
                                            "alert_window_days",
                                            "exclude_charge_categories",
                                            "include_corrections",
                                            "data_delay_days",
                                            "root_cause_dimensions"};
const std::set<std::string> kBudgetKeys = {"name",    "scope", "period",  "amount",
                                           "amounts", "cost",  "alert_at"};
const std::set<std::string> kAlertAtKeys = {"actual", "forecast"};
const std::set<std::string> kChannelKeys = {
    "name",    "type",         "webhook_url", "url",           "secret",
    "headers", "min_severity", "events",      "dashboard_url", "timeout_seconds"};
const std::set<std::string> kCostMetrics = {"billed", "effective", "list", "contracted"};
const std::set<std::string> kChargeCategories = {"Usage", "Purchase", "Tax", "Credit",
                                                 "Adjustment"};

// Reads nodes of one file, with the dotted path of each for messages.
class Reader {
 public:
  explicit Reader(const Config& config) : file_(config.file) {}

  Origin at(const YAML::Node& node, const std::string& path) const {
    return origin_of(node, file_, path);
  }
  [[noreturn]] void fail_at(const YAML::Node& node, const std::string& path,
                            const std::string& message) const {
    fail(at(node, path), message);
  }
  void keys(const YAML::Node& map, const std::set<std::string>& allowed,
            const std::string& path) const {
    if (!map.IsMap()) fail_at(map, path, std::string("must be a mapping, not ") + kind_name(map));
    check_keys(map, allowed, file_, path);
  }
  std::string text(const YAML::Node& node, const std::string& path) const {
    return scalar(node, file_, path);
  }

  std::string one_of(const YAML::Node& node, const std::string& path,
                     const std::set<std::string>& allowed) const {
    std::string value = text(node, path);
    if (!allowed.count(value)) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      fail_at(node, path, "must be one of " + known + ", not '" + value + "'");
    }
    return value;
  }

  // A plain decimal number (no exponent), kept as text so money stays exact.
  std::string decimal(const YAML::Node& node, const std::string& path,
                      bool allow_negative = false) const {
    static const std::regex plain(R"(-?\d+(\.\d+)?)");
    std::string value = text(node, path);
    if (!std::regex_match(value, plain))
      fail_at(node, path, "must be a plain number such as 1200.50, not '" + value + "'");
    if (!allow_negative && value[0] == '-') fail_at(node, path, "must not be negative");
    return value;
  }

  double number(const YAML::Node& node, const std::string& path, double min, double max) const {
    double value = std::stod(decimal(node, path, min < 0));
    if (value < min || value > max) {
      fail_at(node, path,
              "must be between " + fmt(min) + " and " + fmt(max) + ", not " + text(node, path));
    }
    return value;
  }

  int integer(const YAML::Node& node, const std::string& path, int min, int max) const {
    static const std::regex digits(R"(\d{1,6})");
    std::string value = text(node, path);
    if (!std::regex_match(value, digits) || std::stoi(value) < min || std::stoi(value) > max) {
      fail_at(node, path,
              "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                  ", not '" + value + "'");
    }
    return std::stoi(value);
  }

  bool boolean(const YAML::Node& node, const std::string& path) const {
    std::string value = text(node, path);
    if (value == "true") return true;
    if (value == "false") return false;
    fail_at(node, path, "must be true or false, not '" + value + "'");
  }

  // A value or a list of values.
  std::vector<std::string> texts(const YAML::Node& node, const std::string& path) const {
    std::vector<std::string> out;
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i)
        out.push_back(text(node[i], path + "[" + std::to_string(i) + "]"));
    } else {
      out.push_back(text(node, path));
    }
    return out;
  }

  std::vector<double> fractions(const YAML::Node& node, const std::string& path) const {
    std::vector<double> out;
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i)
        out.push_back(number(node[i], path + "[" + std::to_string(i) + "]", 0.01, 100));
    } else {
      out.push_back(number(node, path, 0.01, 100));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  const std::filesystem::path& file() const { return file_; }

 private:
  static std::string fmt(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  }
  std::filesystem::path file_;
};

std::string item_path(const std::string& section, size_t i) {
  return section + "[" + std::to_string(i) + "]";
}

AnomalyConfig parse_anomalies(const Reader& r, const YAML::Node& section) {
  AnomalyConfig out;
  if (!section || section.IsNull()) return out;
  const std::string p = "anomalies";
  r.keys(section, kAnomalyKeys, p);
  if (auto n = section["dimensions"]) out.dimensions = r.texts(n, p + ".dimensions");
  if (auto n = section["cost"]) out.cost = r.one_of(n, p + ".cost", kCostMetrics);
  if (auto n = section["threshold"]) out.threshold = r.number(n, p + ".threshold", 1, 100);
  if (auto n = section["min_relative"]) out.min_relative = r.number(n, p + ".min_relative", 0, 100);
  if (auto n = section["min_impact"]) out.min_impact = r.number(n, p + ".min_impact", 0, 1e12);
  if (auto n = section["direction"]) {
    std::string d = r.one_of(n, p + ".direction", {"up", "down", "both"});
    out.direction = d == "up" ? Direction::Up : d == "down" ? Direction::Down : Direction::Both;
  }
  if (auto n = section["history_days"])
    out.history_days = r.integer(n, p + ".history_days", 14, 366);
  if (auto n = section["min_history_days"])
    out.min_history_days = r.integer(n, p + ".min_history_days", 7, 366);
  if (out.min_history_days > out.history_days) {
    r.fail_at(section, p + ".min_history_days",
              "must not exceed history_days (" + std::to_string(out.history_days) + ")");
  }
  if (auto n = section["merge_gap_days"])
    out.merge_gap_days = r.integer(n, p + ".merge_gap_days", 1, 60);
  if (auto n = section["alert_window_days"])
    out.alert_window_days = r.integer(n, p + ".alert_window_days", 1, 366);
  if (auto n = section["exclude_charge_categories"]) {
    out.exclude_charge_categories.clear();
    if (!n.IsNull()) {
      for (size_t i = 0; i < (n.IsSequence() ? n.size() : 1); ++i) {
        const YAML::Node item = n.IsSequence() ? n[i] : n;
        out.exclude_charge_categories.push_back(
            r.one_of(item,
                     p + ".exclude_charge_categories" +
                         (n.IsSequence() ? "[" + std::to_string(i) + "]" : ""),
                     kChargeCategories));
      }
    }
  }
  if (auto n = section["include_corrections"])
    out.include_corrections = r.boolean(n, p + ".include_corrections");
  if (auto n = section["root_cause_dimensions"])
    out.root_cause_dimensions = r.texts(n, p + ".root_cause_dimensions");
  return out;
}

// data_delay_days takes any source type or source name as key, so it is read apart from
// `keys` (which would refuse every key).
void parse_delays(const Reader& r, const YAML::Node& section, AnomalyConfig& out) {
  if (!section || !section.IsMap() || !section["data_delay_days"]) return;
  const YAML::Node delays = section["data_delay_days"];
  if (!delays.IsMap()) {
    r.fail_at(delays, "anomalies.data_delay_days",
              "must map a source type or source name to days, e.g. {datadog_usage: 3}");
  }
  for (auto it = delays.begin(); it != delays.end(); ++it) {
    std::string key = it->first.Scalar();
    out.data_delay_days[key] = r.integer(it->second, "anomalies.data_delay_days." + key, 0, 60);
  }
}

BudgetConfig parse_budget(const Reader& r, const YAML::Node& node, const std::string& path) {
  BudgetConfig b;
  r.keys(node, kBudgetKeys, path);
  b.where = r.at(node, path).describe();
  if (!node["name"]) r.fail_at(node, path, "missing key: name");
  b.name = r.text(node["name"], path + ".name");
  if (b.name.empty()) r.fail_at(node["name"], path + ".name", "must not be empty");
  if (auto s = node["scope"]) {
    if (!s.IsNull()) {
      if (!s.IsMap())
        r.fail_at(s, path + ".scope",
                  std::string("must be a mapping such as {team: platform}, not ") + kind_name(s));
      for (auto it = s.begin(); it != s.end(); ++it) {
        std::string key = it->first.Scalar();
        std::vector<std::string> values = r.texts(it->second, path + ".scope." + key);
        if (values.empty())
          r.fail_at(it->second, path + ".scope." + key, "needs at least one value");
        b.scope.emplace_back(key, values);
      }
    }
  }
  if (auto n = node["period"]) {
    std::string period = r.one_of(n, path + ".period", {"monthly", "quarterly", "yearly"});
    b.period = period == "monthly"     ? BudgetPeriod::Monthly
               : period == "quarterly" ? BudgetPeriod::Quarterly
                                       : BudgetPeriod::Yearly;
  }
  if (auto n = node["amount"]) b.amount = r.decimal(n, path + ".amount");
  if (auto n = node["amounts"]) {
    if (!n.IsMap())
      r.fail_at(n, path + ".amounts",
                "must map a period's first month to its amount, e.g. {2025-01: 12000}");
    static const std::regex month(R"(\d{4}-(0[1-9]|1[0-2]))");
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = it->first.Scalar();
      std::string key_path = path + ".amounts." + key;
      if (!std::regex_match(key, month))
        r.fail_at(it->first, key_path, "must be a month YYYY-MM (the period's first month)");
      int m = std::stoi(key.substr(5, 2));
      bool aligned = b.period == BudgetPeriod::Monthly ||
                     (b.period == BudgetPeriod::Quarterly && (m - 1) % 3 == 0) ||
                     (b.period == BudgetPeriod::Yearly && m == 1);
      if (!aligned)
        r.fail_at(
            it->first, key_path,
            "is not the first month of a " + r.text(node["period"], path + ".period") + " period");
      b.amounts[key] = r.decimal(it->second, key_path);
    }
  }
  if (!b.amount && b.amounts.empty())
    r.fail_at(node, path, "needs amount (every period) or amounts (a schedule)");
  if (auto n = node["cost"]) b.cost = r.one_of(n, path + ".cost", kCostMetrics);
  if (auto a = node["alert_at"]) {
    r.keys(a, kAlertAtKeys, path + ".alert_at");
    if (auto n = a["actual"]) b.alert_actual = r.fractions(n, path + ".alert_at.actual");
    if (auto n = a["forecast"]) b.alert_forecast = r.fractions(n, path + ".alert_at.forecast");
  }
  return b;
}

std::string default_dashboard_url(const Config& config) {
  const YAML::Node server = config.root["server"];
  if (server && server.IsMap() && server["listen"] && server["listen"].IsScalar()) {
    return "http://" + server["listen"].Scalar();
  }
  return "http://127.0.0.1:8080";
}

AlertChannelConfig parse_channel(const Reader& r, const YAML::Node& node, const std::string& path,
                                 const Config& config) {
  AlertChannelConfig c;
  r.keys(node, kChannelKeys, path);
  c.where = r.at(node, path).describe();
  if (!node["type"]) r.fail_at(node, path, "missing key: type (slack, webhook or stdout)");
  c.type = r.one_of(node["type"], path + ".type", {"slack", "webhook", "stdout"});
  auto url_key = [&](const char* key, const char* other) {
    if (node[other])
      r.fail_at(node[other], path + "." + other,
                std::string("is not a key of type ") + c.type + " (use " + key + ")");
    if (!node[key]) r.fail_at(node, path, std::string("missing key: ") + key);
    c.url = r.text(node[key], path + "." + key);
    if (!c.url.starts_with("http://") && !c.url.starts_with("https://")) {
      r.fail_at(node[key], path + "." + key, "must be an http:// or https:// URL");
    }
  };
  if (c.type == "slack") url_key("webhook_url", "url");
  if (c.type == "webhook") url_key("url", "webhook_url");
  if (c.type == "stdout" && (node["url"] || node["webhook_url"])) {
    r.fail_at(node, path, "type stdout takes no url");
  }
  if (auto n = node["secret"]) {
    if (c.type != "webhook") r.fail_at(n, path + ".secret", "only webhook channels are signed");
    c.secret = r.text(n, path + ".secret");
  }
  if (auto n = node["headers"]) {
    if (c.type != "webhook") r.fail_at(n, path + ".headers", "only webhook channels take headers");
    if (!n.IsMap()) r.fail_at(n, path + ".headers", "must be a mapping of header name to value");
    for (auto it = n.begin(); it != n.end(); ++it) {
      c.headers.emplace_back(it->first.Scalar(),
                             r.text(it->second, path + ".headers." + it->first.Scalar()));
    }
  }
  if (auto n = node["min_severity"])
    c.min_severity = r.one_of(n, path + ".min_severity", {"low", "medium", "high", "critical"});
  if (auto n = node["events"]) {
    c.events = r.texts(n, path + ".events");
    for (size_t i = 0; i < c.events.size(); ++i) {
      if (c.events[i] != "anomaly" && c.events[i] != "budget") {
        r.fail_at(n.IsSequence() ? n[i] : n, path + ".events",
                  "must list anomaly and/or budget, not '" + c.events[i] + "'");
      }
    }
  }
  c.dashboard_url = node["dashboard_url"] ? r.text(node["dashboard_url"], path + ".dashboard_url")
                                          : default_dashboard_url(config);
  while (c.dashboard_url.ends_with('/')) c.dashboard_url.pop_back();
  if (auto n = node["timeout_seconds"])
    c.timeout_seconds = r.integer(n, path + ".timeout_seconds", 1, 600);
  if (auto n = node["name"]) c.name = r.text(n, path + ".name");
  return c;
}

std::vector<std::string> allocation_dimension_names(const Config& config) {
  std::vector<std::string> names;
  const YAML::Node dims =
      config.root["allocation"] ? config.root["allocation"]["dimensions"] : YAML::Node();
  if (dims && dims.IsSequence()) {
    for (const auto& d : dims) {
      if (d.IsMap() && d["name"] && d["name"].IsScalar()) names.push_back(d["name"].Scalar());
    }
  }
  return names;
}

template <typename Item, typename Parse>
std::vector<Item> parse_list(const Reader& r, const YAML::Node& section, const std::string& name,
                             Parse parse) {
  std::vector<Item> out;
  if (!section || section.IsNull()) return out;
  if (!section.IsSequence())
    r.fail_at(section, name, std::string("must be a list, not ") + kind_name(section));
  for (size_t i = 0; i < section.size(); ++i) out.push_back(parse(section[i], item_path(name, i)));
  return out;
}

}  // namespace

std::optional<std::string> BudgetConfig::amount_for(const std::string& period_start) const {
  auto it = amounts.find(period_start);
  if (it != amounts.end()) return it->second;
  return amount;
}

int severity_rank(const std::string& severity) {
  static const std::vector<std::string> order = {"low", "medium", "high", "critical"};
  auto it = std::find(order.begin(), order.end(), severity);
  return it == order.end() ? -1 : static_cast<int>(it - order.begin());
}

AnalysisConfig parse_analysis_config(const Config& config) {
  Reader r(config);
  AnalysisConfig out;
  out.allocation_dimensions = allocation_dimension_names(config);
  out.anomalies = parse_anomalies(r, config.root["anomalies"]);
  parse_delays(r, config.root["anomalies"], out.anomalies);
  if (out.anomalies.dimensions.empty()) {
    out.anomalies.dimensions = {"ProviderName", "ServiceName", "SubAccountId"};
    for (const auto& d : out.allocation_dimensions) out.anomalies.dimensions.push_back(d);
  }

  std::set<std::string> budget_names;
  out.budgets = parse_list<BudgetConfig>(
      r, config.root["budgets"], "budgets", [&](const YAML::Node& n, const std::string& p) {
        BudgetConfig b = parse_budget(r, n, p);
        if (!budget_names.insert(b.name).second)
          r.fail_at(n["name"], p + ".name", "duplicate budget name " + b.name);
        return b;
      });

  std::map<std::string, int> per_type;
  std::set<std::string> channel_names;
  out.alerts = parse_list<AlertChannelConfig>(
      r, config.root["alerts"], "alerts", [&](const YAML::Node& n, const std::string& p) {
        AlertChannelConfig c = parse_channel(r, n, p, config);
        int nth = ++per_type[c.type];
        if (c.name.empty()) c.name = nth == 1 ? c.type : c.type + "-" + std::to_string(nth);
        if (!channel_names.insert(c.name).second)
          r.fail_at(n, p + ".name", "duplicate alert channel name " + c.name);
        return c;
      });
  return out;
}

}  // namespace billingfoot::config
