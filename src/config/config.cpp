#include "config/config.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "common/errors.hpp"
#include "config/yaml_checks.hpp"

namespace billingfoot::config {

namespace fs = std::filesystem;

std::string Origin::describe() const {
  std::string out = file.filename().string();
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  if (!key.empty()) out += ": " + key;
  return out;
}

Origin origin_of(const YAML::Node& node, const fs::path& file, const std::string& key) {
  Origin o{file, 0, 0, key};
  if (node.IsDefined() && node.Mark().line >= 0) {
    o.line = node.Mark().line + 1;
    o.column = node.Mark().column + 1;
  }
  return o;
}

[[noreturn]] void fail(const Origin& origin, const std::string& message) {
  throw UsageError(origin.describe() + ": " + message);
}

const char* kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a value";
    case YAML::NodeType::Null:
      return "empty";
    default:
      return "undefined";
  }
}

namespace {

// Expands ${VAR} in every scalar of the tree, in place (marks are kept for messages).
void expand_tree(YAML::Node node, const fs::path& file, const std::string& path) {
  if (node.IsScalar()) {
    std::string value = node.Scalar();
    if (value.find('$') != std::string::npos) node = expand_env(value, origin_of(node, file, path));
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) expand_tree(node[i], file, path + "[" + std::to_string(i) + "]");
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = it->first.Scalar();
      expand_tree(it->second, file, path.empty() ? key : path + "." + key);
    }
  }
}

}  // namespace

void check_keys(const YAML::Node& map, const std::set<std::string>& allowed, const fs::path& file,
                const std::string& path) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    std::string key = it->first.Scalar();
    if (!allowed.count(key)) {
      std::string known;
      for (const auto& k : allowed) known += (known.empty() ? "" : ", ") + k;
      fail(origin_of(it->first, file, path.empty() ? key : path + "." + key),
           "unknown key (known keys: " + known + ")");
    }
  }
}

std::string scalar(const YAML::Node& node, const fs::path& file, const std::string& key) {
  if (!node.IsScalar()) fail(origin_of(node, file, key), std::string("must be a value, not ") + kind_name(node));
  return node.Scalar();
}

namespace {

const std::set<std::string> kTopLevelKeys = {
    "data_dir", "warehouse", "currency", "sources", "allocation", "metrics", "unit_costs",
    "budgets",  "alerts",    "server",   "anomalies"};
const std::set<std::string> kWarehouseKeys = {"type",     "url",     "database", "user",
                                              "password", "cluster", "shards",   "memory_limit"};

}  // namespace

Origin SourceConfig::origin_of(const std::string& key) const {
  Origin o = origin;
  if (raw.IsMap() && raw[key].IsDefined()) {
    o = config::origin_of(raw[key], origin.file, origin.key + "." + key);
  } else {
    o.key = origin.key + "." + key;
  }
  return o;
}

std::string expand_env(const std::string& text, const Origin& origin) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string::npos) fail(origin, "unterminated ${ in \"" + text + "\"");
      std::string name = text.substr(i + 2, close - i - 2);
      if (name.empty()) fail(origin, "empty ${} in value");
      const char* value = std::getenv(name.c_str());
      if (!value) fail(origin, "environment variable " + name + " is not set");
      out += value;
      i = close;
      continue;
    }
    out += '$';
  }
  return out;
}

namespace {

// `cluster: NAME` names a cluster of the servers' own remote_servers config; `shards:` optionally
// lists one HTTP URL per shard in shard_num order (derived from system.clusters when absent).
// Whether the cluster exists is checked against the server when publishing.
void check_clickhouse_cluster(const YAML::Node& w, const fs::path& file) {
  if (auto cluster = w["cluster"]) {
    std::string name = scalar(cluster, file, "warehouse.cluster");
    static const std::regex ident(R"([A-Za-z0-9_.\-]+)");
    if (!std::regex_match(name, ident)) {
      fail(origin_of(cluster, file, "warehouse.cluster"),
           "must name a cluster of remote_servers (letters, digits, _ . -), not '" + name + "'");
    }
  }
  auto shards = w["shards"];
  if (!shards) return;
  if (!w["cluster"]) {
    fail(origin_of(shards, file, "warehouse.shards"),
         "shards: needs cluster: NAME (the cluster they form)");
  }
  if (!shards.IsSequence() || shards.size() == 0) {
    fail(origin_of(shards, file, "warehouse.shards"),
         "must be a list of one HTTP URL per shard, e.g. [http://ch1:8123, http://ch2:8123]");
  }
  for (size_t i = 0; i < shards.size(); ++i) {
    std::string key = "warehouse.shards[" + std::to_string(i) + "]";
    std::string url = scalar(shards[i], file, key);
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      fail(origin_of(shards[i], file, key),
           "must start with http:// or https:// (the shard's ClickHouse HTTP port)");
    }
  }
}

}  // namespace

Config parse(const std::string& text, const fs::path& file_in) {
  fs::path file = fs::absolute(file_in);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    Origin o{file, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column + 1, ""};
    fail(o, "invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) fail(Origin{file, 1, 1, ""}, "the file must be a YAML mapping (key: value), not " + std::string(kind_name(root)));
  check_keys(root, kTopLevelKeys, file, "");
  expand_tree(root, file, "");

  Config cfg;
  cfg.file = file;
  cfg.base_dir = file.parent_path();
  cfg.root = root;
  cfg.data_dir = cfg.resolve_path(root["data_dir"] ? scalar(root["data_dir"], file, "data_dir") : ".billingfoot");

  if (auto w = root["warehouse"]) {
    if (!w.IsMap()) fail(origin_of(w, file, "warehouse"), std::string("must be a mapping, not ") + kind_name(w));
    check_keys(w, kWarehouseKeys, file, "warehouse");
    if (w["type"]) cfg.warehouse.type = scalar(w["type"], file, "warehouse.type");
    if (cfg.warehouse.type != "duckdb" && cfg.warehouse.type != "clickhouse") {
      fail(origin_of(w["type"], file, "warehouse.type"), "must be duckdb or clickhouse, not " + cfg.warehouse.type);
    }
    if (auto limit = w["memory_limit"]) {
      cfg.warehouse.memory_limit = scalar(limit, file, "warehouse.memory_limit");
      static const std::regex size(R"(\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB))", std::regex::icase);
      if (!std::regex_match(cfg.warehouse.memory_limit, size)) {
        fail(origin_of(limit, file, "warehouse.memory_limit"),
             "must be a size such as 1536MB or 4GB, not " + cfg.warehouse.memory_limit);
      }
    }
    if (cfg.warehouse.type == "clickhouse") {
      if (!w["url"]) fail(origin_of(w, file, "warehouse"), "type clickhouse needs url: http://host:8123");
      std::string url = scalar(w["url"], file, "warehouse.url");
      if (!url.starts_with("http://") && !url.starts_with("https://")) {
        fail(origin_of(w["url"], file, "warehouse.url"), "must start with http:// or https:// (ClickHouse's HTTP port)");
      }
      check_clickhouse_cluster(w, file);
    }
    cfg.warehouse.raw = w;
  }
  if (auto c = root["currency"]) {
    cfg.currency = scalar(c, file, "currency");
    if (cfg.currency.size() != 3) fail(origin_of(c, file, "currency"), "must be an ISO 4217 code such as USD, not " + cfg.currency);
  }

  if (auto s = root["sources"]) {
    if (!s.IsSequence() && !s.IsNull()) fail(origin_of(s, file, "sources"), std::string("must be a list, not ") + kind_name(s));
    std::set<std::string> names;
    for (size_t i = 0; i < s.size(); ++i) {
      const YAML::Node entry = s[i];
      std::string path = "sources[" + std::to_string(i) + "]";
      if (!entry.IsMap()) fail(origin_of(entry, file, path), std::string("must be a mapping, not ") + kind_name(entry));
      SourceConfig src;
      src.raw = entry;
      src.origin = origin_of(entry, file, path);
      if (!entry["name"]) fail(src.origin, "missing key: name");
      if (!entry["type"]) fail(src.origin, "missing key: type");
      src.name = scalar(entry["name"], file, path + ".name");
      src.type = scalar(entry["type"], file, path + ".type");
      if (src.name.empty() || src.name.find_first_of("/\\ \t") != std::string::npos) {
        fail(src.origin_of("name"), "a source name must be non-empty, without spaces or slashes");
      }
      if (!names.insert(src.name).second) fail(src.origin_of("name"), "duplicate source name " + src.name);
      if (entry["location"]) src.location = scalar(entry["location"], file, path + ".location");
      if (entry["schedule"]) src.schedule = scalar(entry["schedule"], file, path + ".schedule");
      cfg.sources.push_back(std::move(src));
    }
  }

  cfg.allocation = root["allocation"];
  cfg.metrics = root["metrics"];
  cfg.unit_costs = root["unit_costs"];
  cfg.model = parse_model_config(root, cfg);
  cfg.budgets = root["budgets"];
  cfg.alerts = root["alerts"];
  cfg.server = root["server"];
  cfg.anomalies = root["anomalies"];
  return cfg;
}

Config load(const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw UsageError(file.string() + ": cannot read the config file (create one with `billingfoot init`, or pass --config FILE)");
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), file);
}

fs::path Config::resolve_path(const std::string& path) const {
  fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal();
  return (base_dir / p).lexically_normal();
}

const SourceConfig* Config::find_source(const std::string& name) const {
  for (const auto& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

fs::path default_config_path(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return *flag;
  if (const char* env = std::getenv("BILLINGFOOT_CONFIG"); env && *env) return env;
  return "billingfoot.yaml";
}

std::string starter_config() {
  return R"(# billingfoot.yaml — where cost data comes from and where billingfoot keeps it.
# ${NAME} is replaced from the environment: keep secrets out of this file.
# Paths are relative to this file.

data_dir: ./.billingfoot        # warehouse (billingfoot.duckdb) and landing zone
currency: USD                   # reporting currency

sources:
  # Any FOCUS export: Azure FocusCost, OCI FOCUS reports, AWS/Google FOCUS exports, SaaS vendors.
  # location is a file, a folder or a glob; CSV (optionally .gz), Parquet and JSON lines.
  - name: azure
    type: focus
    location: ./exports/azure-focus

  # - name: aws-payer
  #   type: aws_data_exports
  #   location: s3://cost-bucket/exports/payer-cur2
  #   region: us-east-1
)";
}

}  // namespace billingfoot::config
