#include "config/model_config.hpp"

#include <regex>
#include <set>

#include "common/decimal.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "config/config.hpp"
#include "config/yaml_checks.hpp"

namespace billingfoot::config {

namespace fs = std::filesystem;

const Dimension* AllocationConfig::find_dimension(const std::string& name) const {
  for (const auto& d : dimensions) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const MetricConfig* ModelConfig::find_metric(const std::string& name) const {
  for (const auto& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const UnitCostConfig* ModelConfig::find_unit_cost(const std::string& name) const {
  for (const auto& u : unit_costs) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

namespace {

// Walks one section with the file at hand, so every check can say where it failed.
class SectionParser {
 public:
  explicit SectionParser(const Config& config) : config_(config), file_(config.file) {}

  std::string where(const YAML::Node& node, const std::string& path) const {
    return origin_of(node, file_, path).describe();
  }
  [[noreturn]] void fail_at(const YAML::Node& node, const std::string& path,
                            const std::string& message) const {
    fail(origin_of(node, file_, path), message);
  }
  void need_map(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap())
      fail_at(node, path, std::string("must be a mapping, not ") + kind_name(node));
  }
  void need_list(const YAML::Node& node, const std::string& path) const {
    if (!node.IsSequence())
      fail_at(node, path, std::string("must be a list, not ") + kind_name(node));
  }
  void keys(const YAML::Node& map, const std::set<std::string>& allowed,
            const std::string& path) const {
    check_keys(map, allowed, file_, path);
  }
  std::string text(const YAML::Node& node, const std::string& path) const {
    return scalar(node, file_, path);
  }
  std::string required(const YAML::Node& map, const std::string& key,
                       const std::string& path) const {
    if (!map[key]) fail_at(map, path, "missing key: " + key);
    std::string value = text(map[key], path + "." + key);
    if (value.empty()) fail_at(map[key], path + "." + key, "must not be empty");
    return value;
  }
  std::string one_of(const YAML::Node& map, const std::string& key, const std::string& path,
                     const std::string& fallback, const std::set<std::string>& allowed) const {
    if (!map[key]) return fallback;
    std::string value = text(map[key], path + "." + key);
    if (!allowed.count(value)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail_at(map[key], path + "." + key, "must be one of " + list + ", not '" + value + "'");
    }
    return value;
  }
  std::vector<std::string> strings(const YAML::Node& node, const std::string& path) const {
    std::vector<std::string> out;
    if (node.IsScalar()) return {text(node, path)};
    need_list(node, path);
    for (size_t i = 0; i < node.size(); ++i)
      out.push_back(text(node[i], path + "[" + std::to_string(i) + "]"));
    return out;
  }
  void check_name(const YAML::Node& node, const std::string& path, const std::string& name) const {
    static const std::regex ident(R"([A-Za-z_][A-Za-z0-9_]*)");
    if (!std::regex_match(name, ident)) {
      fail_at(node, path,
              "'" + name + "' must be a name of letters, digits and _ (it becomes a column)");
    }
  }
  fs::path resolve(const std::string& path) const { return config_.resolve_path(path); }

  std::vector<Condition> conditions(const YAML::Node& node, const std::string& path) const;

 private:
  const Config& config_;
  fs::path file_;
};

std::vector<Condition> SectionParser::conditions(const YAML::Node& node,
                                                 const std::string& path) const {
  std::vector<Condition> out;
  if (!node || node.IsNull()) return out;
  need_map(node, path);
  for (auto it = node.begin(); it != node.end(); ++it) {
    Condition c;
    c.subject = it->first.Scalar();
    std::string at = path + "." + c.subject;
    c.where = where(it->first, at);
    if (c.subject.empty() || c.subject == "tag:")
      fail_at(it->first, at, "a condition needs a column, tag:KEY or dimension");
    const YAML::Node test = it->second;
    if (test.IsScalar()) {
      c.values = {test.Scalar()};
    } else if (test.IsSequence()) {
      c.op = Condition::Op::In;
      c.values = strings(test, at);
    } else if (test.IsMap()) {
      keys(test, {"equals", "in", "regex", "prefix"}, at);
      if (test.size() != 1) fail_at(test, at, "give exactly one of equals, in, regex, prefix");
      std::string op = test.begin()->first.Scalar();
      const YAML::Node value = test.begin()->second;
      if (op == "in") {
        c.op = Condition::Op::In;
        c.values = strings(value, at + ".in");
        if (c.values.empty()) fail_at(value, at + ".in", "needs at least one value");
      } else {
        c.op = op == "equals"  ? Condition::Op::Equals
               : op == "regex" ? Condition::Op::Regex
                               : Condition::Op::Prefix;
        c.values = {text(value, at + "." + op)};
      }
    } else {
      fail_at(test, at,
              std::string("must be a value, a list or {equals|in|regex|prefix: …}, not ") +
                  kind_name(test));
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool uses_captures(const std::string& value) {
  static const std::regex capture(R"(\$\d)");
  return std::regex_search(value, capture);
}

void parse_tag_sections(const SectionParser& p, const YAML::Node& section, AllocationConfig& out) {
  if (auto aliases = section["tag_aliases"]) {
    p.need_map(aliases, "allocation.tag_aliases");
    for (auto it = aliases.begin(); it != aliases.end(); ++it) {
      std::string key = it->first.Scalar();
      out.tag_aliases.emplace_back(key, p.strings(it->second, "allocation.tag_aliases." + key));
    }
  }
  if (auto values = section["tag_values"]) {
    p.need_map(values, "allocation.tag_values");
    for (auto it = values.begin(); it != values.end(); ++it) {
      std::string key = it->first.Scalar();
      std::string path = "allocation.tag_values." + key;
      const YAML::Node spec = it->second;
      p.need_map(spec, path);
      p.keys(spec, {"trim", "case", "aliases"}, path);
      TagValueRules rules;
      if (spec["trim"]) {
        std::string trim = p.text(spec["trim"], path + ".trim");
        if (trim != "true" && trim != "false")
          p.fail_at(spec["trim"], path + ".trim", "must be true or false");
        rules.trim = trim == "true";
      }
      rules.letter_case = p.one_of(spec, "case", path, "keep", {"keep", "lower", "upper"});
      if (auto a = spec["aliases"]) {
        p.need_map(a, path + ".aliases");
        for (auto v = a.begin(); v != a.end(); ++v) {
          rules.aliases[v->first.Scalar()] =
              p.text(v->second, path + ".aliases." + v->first.Scalar());
        }
      }
      out.tag_values[key] = rules;
    }
  }
}

Dimension parse_dimension(const SectionParser& p, const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& later_dimensions) {
  p.need_map(node, path);
  p.keys(node, {"name", "default", "rules"}, path);
  Dimension d;
  d.name = p.required(node, "name", path);
  d.where = p.where(node, path);
  p.check_name(node["name"], path + ".name", d.name);
  if (d.name.starts_with("x_") || d.name.starts_with("__")) {
    p.fail_at(node["name"], path + ".name",
              "dimension names must not start with x_ or __ (reserved for columns)");
  }
  if (node["default"]) d.default_value = p.text(node["default"], path + ".default");
  if (auto rules = node["rules"]) {
    p.need_list(rules, path + ".rules");
    for (size_t i = 0; i < rules.size(); ++i) {
      std::string at = path + ".rules[" + std::to_string(i) + "]";
      const YAML::Node r = rules[i];
      p.need_map(r, at);
      p.keys(r, {"match", "value"}, at);
      AllocationRule rule;
      rule.where = p.where(r, at);
      rule.match = p.conditions(r["match"], at + ".match");
      rule.value = p.required(r, "value", at);
      for (const auto& c : rule.match) {
        for (const auto& later : later_dimensions) {
          if (c.subject == later) {
            p.fail_at(
                r["match"], at + ".match." + c.subject,
                "a rule may use only dimensions defined before its own ('" + later + "' is not)");
          }
        }
      }
      bool has_regex = false;
      for (const auto& c : rule.match) has_regex = has_regex || c.op == Condition::Op::Regex;
      if (uses_captures(rule.value) && !has_regex) {
        p.fail_at(r["value"], at + ".value",
                  "uses $N but the rule has no regex condition to capture from");
      }
      d.rules.push_back(std::move(rule));
    }
  }
  return d;
}

SharedCost parse_shared(const SectionParser& p, const YAML::Node& node, const std::string& path,
                        const AllocationConfig& allocation) {
  p.need_map(node, path);
  p.keys(node, {"name", "match", "split_by", "method", "weights", "targets", "metric", "basis"},
         path);
  SharedCost s;
  s.where = p.where(node, path);
  s.name = p.required(node, "name", path);
  if (!node["match"]) p.fail_at(node, path, "missing key: match (which costs are shared)");
  s.match = p.conditions(node["match"], path + ".match");
  s.split_by = p.required(node, "split_by", path);
  if (!allocation.find_dimension(s.split_by)) {
    p.fail_at(node["split_by"], path + ".split_by",
              "'" + s.split_by + "' is not a dimension of allocation.dimensions");
  }
  if (!node["method"]) p.fail_at(node, path, "missing key: method (even, fixed or proportional)");
  s.method = p.one_of(node, "method", path, "", {"even", "fixed", "proportional"});
  if (node["targets"]) s.targets = p.strings(node["targets"], path + ".targets");
  if (s.method == "fixed") {
    if (!node["weights"]) p.fail_at(node, path, "method fixed needs weights: {value: share, …}");
    const YAML::Node w = node["weights"];
    p.need_map(w, path + ".weights");
    __int128 sum = 0;
    for (auto it = w.begin(); it != w.end(); ++it) {
      std::string target = it->first.Scalar();
      std::string value = p.text(it->second, path + ".weights." + target);
      auto units = common::parse_decimal(value);
      if (!units || *units <= 0) {
        p.fail_at(it->second, path + ".weights." + target,
                  "must be a positive number, not '" + value + "'");
      }
      sum += *units;
      s.weights.emplace_back(target, value);
    }
    if (sum != common::kDecimalOne && sum != 100 * common::kDecimalOne) {
      p.fail_at(w, path + ".weights", "weights must add up to 1 (or 100 for percentages)");
    }
  } else if (node["weights"]) {
    p.fail_at(node["weights"], path + ".weights", "weights are only for method fixed");
  }
  if (node["metric"] || node["basis"]) {
    const char* key = node["metric"] ? "metric" : "basis";
    if (s.method != "proportional")
      p.fail_at(node[key], path + "." + key, std::string(key) + " is only for method proportional");
  }
  if (node["metric"] && node["basis"])
    p.fail_at(node["basis"], path + ".basis", "give metric or basis, not both");
  if (node["metric"]) s.metric = p.text(node["metric"], path + ".metric");
  s.basis =
      p.one_of(node, "basis", path, "effective", {"billed", "effective", "list", "contracted"});
  return s;
}

AllocationConfig parse_allocation(const SectionParser& p, const YAML::Node& section) {
  AllocationConfig out;
  if (!section || section.IsNull()) return out;
  p.need_map(section, "allocation");
  p.keys(section, {"tag_aliases", "tag_values", "dimensions", "shared"}, "allocation");
  out.configured = true;
  out.canonical_text = YAML::Dump(section);
  parse_tag_sections(p, section, out);
  const YAML::Node dims = section["dimensions"];
  if (!dims) p.fail_at(section, "allocation", "missing key: dimensions");
  p.need_list(dims, "allocation.dimensions");
  std::vector<std::string> names;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i].IsMap() && dims[i]["name"] && dims[i]["name"].IsScalar())
      names.push_back(dims[i]["name"].Scalar());
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    std::string path = "allocation.dimensions[" + std::to_string(i) + "]";
    std::vector<std::string> later(names.begin() + std::min(i, names.size()), names.end());
    Dimension d = parse_dimension(p, dims[i], path, later);
    if (out.find_dimension(d.name))
      p.fail_at(dims[i]["name"], path + ".name", "duplicate dimension " + d.name);
    out.dimensions.push_back(std::move(d));
  }
  if (auto shared = section["shared"]) {
    p.need_list(shared, "allocation.shared");
    std::set<std::string> seen;
    for (size_t i = 0; i < shared.size(); ++i) {
      std::string path = "allocation.shared[" + std::to_string(i) + "]";
      SharedCost s = parse_shared(p, shared[i], path, out);
      if (!seen.insert(s.name).second)
        p.fail_at(shared[i]["name"], path + ".name", "duplicate shared cost " + s.name);
      out.shared.push_back(std::move(s));
    }
  }
  return out;
}

MetricConfig parse_metric(const SectionParser& p, const YAML::Node& node, const std::string& path) {
  p.need_map(node, path);
  p.keys(node, {"name", "grain", "aggregate", "csv", "postgres", "http"}, path);
  MetricConfig m;
  m.where = p.where(node, path);
  m.name = p.required(node, "name", path);
  p.check_name(node["name"], path + ".name", m.name);
  m.grain = p.one_of(node, "grain", path, "day", {"day", "month"});
  m.aggregate = p.one_of(node, "aggregate", path, "sum", {"sum", "avg", "max", "min"});
  int kinds = (node["csv"] ? 1 : 0) + (node["postgres"] ? 1 : 0) + (node["http"] ? 1 : 0);
  if (kinds != 1)
    p.fail_at(node, path, "give exactly one of csv, postgres, http (where the metric comes from)");
  if (node["csv"]) {
    m.kind = MetricConfig::Kind::Csv;
    m.csv_path = p.resolve(p.text(node["csv"], path + ".csv")).string();
  } else if (node["postgres"]) {
    m.kind = MetricConfig::Kind::Postgres;
    const YAML::Node pg = node["postgres"];
    p.need_map(pg, path + ".postgres");
    p.keys(pg, {"dsn", "query"}, path + ".postgres");
    m.dsn = p.required(pg, "dsn", path + ".postgres");
    m.query = p.required(pg, "query", path + ".postgres");
  } else {
    m.kind = MetricConfig::Kind::Http;
    const YAML::Node http = node["http"];
    p.need_map(http, path + ".http");
    p.keys(http, {"url", "headers", "items", "next"}, path + ".http");
    m.url = p.required(http, "url", path + ".http");
    if (!m.url.starts_with("http://") && !m.url.starts_with("https://")) {
      p.fail_at(http["url"], path + ".http.url", "must start with http:// or https://");
    }
    if (auto h = http["headers"]) {
      p.need_map(h, path + ".http.headers");
      for (auto it = h.begin(); it != h.end(); ++it) {
        m.headers.emplace_back(it->first.Scalar(),
                               p.text(it->second, path + ".http.headers." + it->first.Scalar()));
      }
    }
    if (http["items"]) m.items = p.text(http["items"], path + ".http.items");
    if (http["next"]) m.next = p.text(http["next"], path + ".http.next");
  }
  return m;
}

// "orders{product=shop,region=eu}" → name and filter.
void parse_metric_reference(const SectionParser& p, const YAML::Node& node, const std::string& path,
                            UnitCostConfig& u) {
  static const std::regex ref(R"(\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{([^}]*)\})?\s*)");
  std::string text = p.text(node, path);
  std::smatch m;
  if (!std::regex_match(text, m, ref))
    p.fail_at(node, path, "must be METRIC or METRIC{dim=value,…}, not '" + text + "'");
  u.metric = m[1];
  if (m[2].matched && !common::trim(m[2].str()).empty()) {
    for (const auto& pair : common::split(m[2].str(), ',')) {
      size_t eq = pair.find('=');
      if (eq == std::string::npos) p.fail_at(node, path, "'" + pair + "' must be dim=value");
      u.metric_filter.emplace_back(common::trim(pair.substr(0, eq)),
                                   common::trim(pair.substr(eq + 1)));
    }
  }
}

UnitCostConfig parse_unit_cost(const SectionParser& p, const YAML::Node& node,
                               const std::string& path, const ModelConfig& model) {
  p.need_map(node, path);
  p.keys(node, {"name", "cost", "metric", "grain", "basis", "per"}, path);
  UnitCostConfig u;
  u.where = p.where(node, path);
  u.name = p.required(node, "name", path);
  if (node["cost"]) u.cost_filter = p.conditions(node["cost"], path + ".cost");
  if (!node["metric"]) p.fail_at(node, path, "missing key: metric");
  parse_metric_reference(p, node["metric"], path + ".metric", u);
  if (!model.find_metric(u.metric))
    p.fail_at(node["metric"], path + ".metric", "no metric named '" + u.metric + "' in metrics:");
  u.grain = p.one_of(node, "grain", path, "month", {"day", "month"});
  if (u.grain == "day" && model.find_metric(u.metric)->grain == "month") {
    p.fail_at(node["grain"], path + ".grain",
              "metric " + u.metric + " is monthly: a daily unit cost cannot use it");
  }
  u.cost =
      p.one_of(node, "basis", path, "effective", {"billed", "effective", "list", "contracted"});
  if (node["per"]) {
    u.per = p.text(node["per"], path + ".per");
    auto units = common::parse_decimal(u.per);
    if (!units || *units <= 0) p.fail_at(node["per"], path + ".per", "must be a positive number");
  }
  return u;
}

}  // namespace

ModelConfig parse_model_config(const YAML::Node& root, const Config& config) {
  SectionParser p(config);
  ModelConfig out;
  out.allocation = parse_allocation(p, root["allocation"]);
  if (auto metrics = root["metrics"]; metrics && !metrics.IsNull()) {
    p.need_list(metrics, "metrics");
    out.metrics_text = YAML::Dump(metrics);
    for (size_t i = 0; i < metrics.size(); ++i) {
      std::string path = "metrics[" + std::to_string(i) + "]";
      MetricConfig m = parse_metric(p, metrics[i], path);
      if (out.find_metric(m.name))
        p.fail_at(metrics[i]["name"], path + ".name", "duplicate metric " + m.name);
      out.metrics.push_back(std::move(m));
    }
  }
  for (const auto& s : out.allocation.shared) {
    if (!s.metric.empty() && !out.find_metric(s.metric)) {
      throw UsageError(s.where + ".metric: no metric named '" + s.metric + "' in metrics:");
    }
  }
  if (auto units = root["unit_costs"]; units && !units.IsNull()) {
    p.need_list(units, "unit_costs");
    out.unit_costs_text = YAML::Dump(units);
    for (size_t i = 0; i < units.size(); ++i) {
      std::string path = "unit_costs[" + std::to_string(i) + "]";
      UnitCostConfig u = parse_unit_cost(p, units[i], path, out);
      if (out.find_unit_cost(u.name))
        p.fail_at(units[i]["name"], path + ".name", "duplicate unit cost " + u.name);
      out.unit_costs.push_back(std::move(u));
    }
  }
  return out;
}

}  // namespace billingfoot::config
