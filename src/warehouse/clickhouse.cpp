#include "warehouse/clickhouse.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "common/errors.hpp"
#include "common/failpoint.hpp"
#include "common/strings.hpp"
#include "net/http.hpp"
#include "warehouse/clickhouse_sql.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::warehouse {

using common::quote_literal;

// ClickHouse identifiers: backquoted, backquote and backslash escaped.
std::string ch_ident(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  return out + "`";
}

// A ClickHouse string literal ('…' with backslash escapes).
std::string ch_literal(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

namespace {

// One TabSeparated field: \N is NULL, backslash escapes otherwise.
std::optional<std::string> tsv_field(std::string_view raw) {
  if (raw == "\\N") return std::nullopt;
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\' || i + 1 == raw.size()) {
      out += raw[i];
      continue;
    }
    char c = raw[++i];
    switch (c) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == '\t') {
      out.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

// The ClickHouse type for a DuckDB column type of focus_costs.
std::string ch_type(const std::string& duck_type, bool nullable) {
  std::string t;
  if (duck_type.starts_with("DECIMAL")) {
    t = "Decimal" + duck_type.substr(7);
  } else if (duck_type == "TIMESTAMP" || duck_type == "TIMESTAMP WITH TIME ZONE") {
    t = "DateTime('UTC')";
  } else if (duck_type == "DATE") {
    t = "Date";
  } else if (duck_type == "BIGINT") {
    t = "Int64";
  } else if (duck_type == "INTEGER") {
    t = "Int32";
  } else if (duck_type == "DOUBLE" || duck_type == "FLOAT") {
    t = "Float64";
  } else if (duck_type == "BOOLEAN") {
    t = "UInt8";
  } else {
    t = "String";  // VARCHAR, JSON (Tags stays JSON text; x_TagKeys/x_TagValues group by tag)
  }
  return nullable ? "Nullable(" + t + ")" : t;
}

// Partition key columns: never NULL in ClickHouse.
bool is_key_column(const std::string& name) {
  return name == "x_SourceName" || name == "x_BillingPeriod";
}

std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(dist(rd)));
  return buf;
}

namespace {

// Staging tables are named focus_costs_staging_<unix time>_<random>. One older than this was
// left by a writer that died before its swap; a younger one may be another writer's at work.
constexpr int64_t kAbandonedAfterSeconds = 6 * 3600;

}  // namespace

ClickHouse::ClickHouse(ClickHouseSettings settings) : settings_(std::move(settings)) {
  while (!settings_.url.empty() && settings_.url.back() == '/') settings_.url.pop_back();
  if (settings_.database.empty()) settings_.database = "billingfoot";
}

std::string ClickHouse::describe() const {
  return net::describe_url(settings_.url) + "/" + settings_.database;
}

std::string ClickHouse::post(const std::string& sql, const std::string& body,
                             const std::string& context, const std::string& query_string,
                             bool in_database, const std::filesystem::path* into_file) {
  net::Request req;
  req.method = "POST";
  req.url = settings_.url + "/?" +
            (in_database ? "database=" + net::url_encode(settings_.database) : "") + query_string;
  if (!sql.empty()) req.url += "&query=" + net::url_encode(sql);
  req.body = body;
  if (!settings_.user.empty()) req.headers.emplace_back("X-ClickHouse-User", settings_.user);
  if (!settings_.password.empty()) req.headers.emplace_back("X-ClickHouse-Key", settings_.password);
  net::RetryPolicy policy;
  policy.what = "ClickHouse " + describe() + ": " + context;
  policy.max_attempts = 3;
  // ClickHouse answers a failed statement with 500 and its exception text: final. Only a
  // gateway or overload status (502/503/504, 429) is worth another attempt.
  policy.decide = [](const net::Response& r) -> std::optional<std::chrono::milliseconds> {
    if (r.status == 429 || (r.status >= 502 && r.status <= 504))
      return std::chrono::milliseconds(0);
    return std::nullopt;
  };
  net::Response res;
  try {
    res = into_file ? net::download_with_retry(req, *into_file, policy)
                    : net::send_with_retry(req, policy);
  } catch (const net::NetworkError& e) {
    throw ClickHouseError(std::string(e.what()));
  }
  if (res.status != 200) {
    std::string message = common::trim(res.body);
    if (message.size() > 600) message = message.substr(0, 600) + "…";
    throw ClickHouseError("ClickHouse " + describe() + ": " + context + ": HTTP " +
                          std::to_string(res.status) + ": " + message);
  }
  return res.body;
}

void ClickHouse::query_to_csv_file(const std::string& sql, const std::filesystem::path& file,
                                   const std::string& context) {
  // wait_end_of_query: the server holds the answer until the query has finished, so an error
  // arrives as an HTTP error, never as a 200 body cut short by an exception text.
  post("", sql + " FORMAT CSVWithNames", context, "&wait_end_of_query=1", true, &file);
}

void ClickHouse::execute(const std::string& sql, const std::string& context) {
  post("", sql, context);
}

void ClickHouse::create_database() {
  post("", "CREATE DATABASE IF NOT EXISTS " + ch_ident(settings_.database),
       "creating database " + settings_.database, "", false);
}

ClickHouseResult ClickHouse::query(const std::string& sql, const std::string& context) {
  return query_with_settings(sql, "", context);
}

ClickHouseResult ClickHouse::query_with_settings(const std::string& sql,
                                                 const std::string& settings,
                                                 const std::string& context) {
  std::string body = post("", sql + " FORMAT TabSeparatedWithNamesAndTypes", context,
                          settings.empty() ? "" : "&" + settings);
  ClickHouseResult out;
  size_t line_no = 0, start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + start, end - start);
    auto fields = split_tabs(line);
    if (line_no == 0) {
      for (auto f : fields) out.names.push_back(tsv_field(f).value_or(""));
    } else if (line_no == 1) {
      for (auto f : fields) out.types.push_back(tsv_field(f).value_or(""));
    } else {
      std::vector<std::optional<std::string>> row;
      for (auto f : fields) row.push_back(tsv_field(f));
      if (row.size() != out.names.size()) {
        throw ClickHouseError("ClickHouse " + describe() + ": " + context +
                              ": malformed result line " + std::to_string(line_no + 1));
      }
      out.rows.push_back(std::move(row));
    }
    ++line_no;
    start = end + 1;
  }
  return out;
}

void ClickHouse::insert_csv(const std::string& table, const std::vector<std::string>& columns,
                            const std::string& rows, const std::string& context,
                            const std::string& query_settings) {
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(ch_ident(c));
  post("INSERT INTO " + ch_ident(table) + " (" + common::join(names, ", ") + ") FORMAT CSV", rows, context,
       query_settings);
}

namespace {

// The table every shard holds its part of focus_costs in (cluster mode).
constexpr const char* kLocalTable = "focus_costs_local";

// "scheme://" and ":port" (or "") of a URL, for URLs of other servers on the same port.
std::pair<std::string, std::string> scheme_and_port(const std::string& url) {
  size_t scheme_end = url.find("://");
  size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  std::string authority = url.substr(host_start, url.find('/', host_start) - host_start);
  authority = authority.substr(authority.rfind('@') + 1);  // never user:password@
  size_t colon = authority.rfind(':'), bracket = authority.rfind(']');
  bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  return {url.substr(0, host_start), has_port ? authority.substr(colon) : ""};
}

}  // namespace

std::vector<ClickHouse> cluster_shards(ClickHouse& ch) {
  const ClickHouseSettings& s = ch.settings();
  if (s.cluster.empty()) return {};
  ch.create_database();  // queries name the database, which must exist
  ClickHouseResult rows = ch.query(
      "SELECT toString(shard_num), toString(replica_num), host_address FROM system.clusters "
      "WHERE cluster = " +
          ch_literal(s.cluster) + " ORDER BY shard_num, replica_num",
      "reading cluster " + s.cluster + " from system.clusters");
  if (rows.rows.empty()) {
    ClickHouseResult defined = ch.query(
        "SELECT DISTINCT cluster FROM system.clusters ORDER BY cluster", "listing clusters");
    std::vector<std::string> names;
    for (const auto& r : defined.rows) names.push_back(r[0].value_or(""));
    throw ClickHouseError("ClickHouse " + ch.describe() + ": cluster '" + s.cluster +
                          "' is not defined in this server's remote_servers config (defined: " +
                          (names.empty() ? "none" : common::join(names, ", ")) +
                          "); warehouse.cluster must name one of them");
  }
  std::vector<std::string> addresses;
  for (const auto& r : rows.rows) {
    if (r[1].value_or("1") != "1") {
      throw ClickHouseError("ClickHouse " + ch.describe() + ": cluster '" + s.cluster +
                            "' has several replicas in shard " + r[0].value_or("?") +
                            "; billingfoot writes plain MergeTree tables, one server per shard");
    }
    addresses.push_back(r[2].value_or(""));
  }
  if (!s.shard_urls.empty() && s.shard_urls.size() != addresses.size()) {
    throw ClickHouseError("ClickHouse " + ch.describe() + ": cluster '" + s.cluster + "' has " +
                          std::to_string(addresses.size()) +
                          " shards, but warehouse.shards lists " +
                          std::to_string(s.shard_urls.size()) +
                          " URLs: list one HTTP URL per shard in shard_num order, or leave shards "
                          "out to use the cluster's hosts");
  }
  auto [scheme, port] = scheme_and_port(s.url);
  std::vector<ClickHouse> shards;
  for (size_t i = 0; i < addresses.size(); ++i) {
    ClickHouseSettings shard = s;
    shard.shard_urls.clear();
    if (!s.shard_urls.empty()) {
      shard.url = s.shard_urls[i];
    } else {
      const std::string& host = addresses[i];
      shard.url = scheme + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + port;
    }
    ClickHouse server(std::move(shard));
    std::string which = "cluster '" + s.cluster + "', shard " + std::to_string(i + 1) + " (" +
                        server.describe() + ")";
    for (const auto& earlier : shards) {
      if (earlier.settings().url == server.settings().url) {
        throw ClickHouseError(which + ": the same URL as another shard" +
                              (s.shard_urls.empty()
                                   ? std::string(" (the shards' hosts with the port of url): "
                                                 "list each shard's HTTP URL in warehouse.shards")
                                   : std::string(": warehouse.shards must list each shard once")));
      }
    }
    std::string local_shard;
    try {
      server.create_database();  // also: does the shard answer?
      ClickHouseResult self =
          server.query("SELECT toString(shard_num) FROM system.clusters WHERE cluster = " +
                           ch_literal(s.cluster) + " AND is_local = 1",
                       "finding itself in cluster " + s.cluster);
      if (!self.rows.empty()) local_shard = self.rows[0][0].value_or("");
    } catch (const ClickHouseError& e) {
      throw ClickHouseError(which + ": " + e.what());
    }
    // A server that knows itself as another shard was listed in the wrong place.
    if (!local_shard.empty() && local_shard != std::to_string(i + 1)) {
      throw ClickHouseError(which + ": this server is shard " + local_shard +
                            " of the cluster; list warehouse.shards in shard_num order");
    }
    shards.push_back(std::move(server));
  }
  return shards;
}

namespace {

// A column of the local focus_costs and its DuckDB type.
struct LocalColumn {
  std::string name, duck_type;
};

std::vector<LocalColumn> local_focus_columns(Connection& local) {
  Result cols = local.query(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = "
      "'focus_costs' AND table_schema = 'main' ORDER BY ordinal_position",
      "reading the columns of focus_costs");
  std::vector<LocalColumn> out;
  for (size_t i = 0; i < cols.row_count(); ++i) out.push_back({cols.text(i, 0), cols.text(i, 1)});
  return out;
}

// The ClickHouse column list of focus_costs: the local columns plus x_TagKeys / x_TagValues.
std::string focus_column_defs(const std::vector<LocalColumn>& cols) {
  std::vector<std::string> defs;
  for (const auto& c : cols)
    defs.push_back(ch_ident(c.name) + " " + ch_type(c.duck_type, !is_key_column(c.name)));
  defs.push_back("`x_TagKeys` Array(String)");
  defs.push_back("`x_TagValues` Array(String)");
  return common::join(defs, ", ");
}

// Partitioned by source and billing month: a month is replaced as one partition.
const char* kMonthPartitioned =
    "MergeTree PARTITION BY (x_SourceName, x_BillingPeriod) ORDER BY (x_SourceName, "
    "x_BillingPeriod)";

// A Distributed engine over `table` on every shard of the cluster, rows placed by billing
// account (a NULL account is the empty one).
std::string distributed_over(const ClickHouse& ch, const std::string& table) {
  return "Distributed(" + ch_literal(ch.settings().cluster) + ", " +
         ch_literal(ch.settings().database) + ", " + ch_literal(table) +
         ", cityHash64(ifNull(BillingAccountId, '')))";
}

// Columns the local table gained (a source's x_ extras) are added to `table`, never dropped.
void add_missing_columns(ClickHouse& ch, const std::string& table,
                         const std::vector<LocalColumn>& cols) {
  ClickHouseResult have = ch.query(
      "SELECT name FROM system.columns WHERE database = " + ch_literal(ch.settings().database) +
          " AND table = " + ch_literal(table),
      "reading the columns of " + table);
  std::set<std::string> present;
  for (const auto& r : have.rows) present.insert(r[0].value_or(""));
  for (const auto& c : cols) {
    if (present.count(c.name)) continue;
    ch.execute("ALTER TABLE " + ch_ident(table) + " ADD COLUMN " + ch_ident(c.name) + " " +
                   ch_type(c.duck_type, true),
               "adding column " + c.name + " to " + table);
  }
}

// A focus_costs left by the other mode (one server vs. a cluster) would hide what is published.
void check_focus_costs_engine(ClickHouse& ch) {
  ClickHouseResult engine = ch.query(
      "SELECT engine FROM system.tables WHERE database = " + ch_literal(ch.settings().database) +
          " AND name = 'focus_costs'",
      "reading the engine of focus_costs");
  if (engine.rows.empty()) return;
  bool distributed = engine.rows[0][0].value_or("") == "Distributed";
  bool clustered = !ch.settings().cluster.empty();
  if (distributed == clustered) return;
  throw ClickHouseError(
      "ClickHouse " + ch.describe() + ": focus_costs is a " +
      (distributed ? std::string("Distributed table (a cluster) but warehouse.cluster is not set")
                   : "single-server " + engine.rows[0][0].value_or("") +
                         " table but warehouse.cluster is " + ch.settings().cluster) +
      ": use another database, or set warehouse.cluster to match it");
}

void ensure_schema(ClickHouse& ch, std::vector<ClickHouse>& shards, Connection& local) {
  ch.create_database();
  check_focus_costs_engine(ch);
  std::vector<LocalColumn> cols = local_focus_columns(local);
  std::string defs = focus_column_defs(cols);
  if (shards.empty()) {
    ch.execute(
        "CREATE TABLE IF NOT EXISTS focus_costs (" + defs + ") ENGINE = " + kMonthPartitioned,
        "creating focus_costs");
    add_missing_columns(ch, "focus_costs", cols);
  } else {
    for (auto& shard : shards) {
      shard.execute("CREATE TABLE IF NOT EXISTS " + ch_ident(kLocalTable) + " (" + defs +
                        ") ENGINE = " + kMonthPartitioned,
                    "creating " + std::string(kLocalTable));
      add_missing_columns(shard, kLocalTable, cols);
    }
    // focus_costs on `url` is what readers query; on the shards it lets any of them answer too.
    std::vector<ClickHouse*> readers = {&ch};
    for (auto& shard : shards) readers.push_back(&shard);
    for (ClickHouse* server : readers) {
      check_focus_costs_engine(*server);
      server->execute("CREATE TABLE IF NOT EXISTS focus_costs (" + defs +
                          ") ENGINE = " + distributed_over(*server, kLocalTable),
                      "creating the Distributed focus_costs");
      add_missing_columns(*server, "focus_costs", cols);
    }
  }
  ch.execute(
      "CREATE TABLE IF NOT EXISTS loads (load_id String, source String, billing_period String, "
      "fingerprint String, "
      "rows Int64, billed_cost Decimal(38, 10), effective_cost Decimal(38, 10), published_at "
      "DateTime('UTC'), "
      "publisher String) ENGINE = MergeTree ORDER BY (source, billing_period, published_at)",
      "creating loads");
}

}  // namespace

void ensure_clickhouse_schema(ClickHouse& ch, Connection& local) {
  std::vector<ClickHouse> shards = cluster_shards(ch);
  ensure_schema(ch, shards, local);
}

namespace {


// One writer's private staging of one partition: a table on the server, or with a cluster one
// table on every shard plus a Distributed table over them on `url`, through which each row
// lands on the shard of its billing account (insert_distributed_sync: the INSERT returns once
// every shard holds its rows).
class Staging {
 public:
  struct Totals {
    int64_t rows = 0;
    std::string billed_cost;  // sum(BilledCost) as ClickHouse prints it
  };

  Staging(ClickHouse& ch, std::vector<ClickHouse>& shards, const std::string& what)
      : ch_(ch),
        what_(what),
        name_("focus_costs_staging_" + std::to_string(std::time(nullptr)) + "_" + random_suffix()),
        sharded_(!shards.empty()) {
    if (shards.empty()) {
      holders_.push_back(&ch);
    } else {
      for (auto& shard : shards) holders_.push_back(&shard);
    }
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging() { drop(); }

  const std::string& name() const { return name_; }

  void create() {
    for (ClickHouse* server : holders_) {
      created_.push_back(server);
      server->execute("CREATE TABLE " + ch_ident(name_) + " AS " + ch_ident(partitioned_table()),
                      "publishing " + what_ + ": creating staging");
    }
    if (!sharded_) return;
    created_distributed_ = true;
    ch_.execute("CREATE TABLE " + ch_ident(distributed_name()) +
                    " AS focus_costs ENGINE = " + distributed_over(ch_, name_),
                "publishing " + what_ + ": creating the Distributed staging");
  }

  void insert(const std::vector<std::string>& columns, const std::string& csv) {
    if (sharded_) {
      ch_.insert_csv(distributed_name(), columns, csv, "publishing " + what_ + ": inserting rows",
                     "&insert_distributed_sync=1");
    } else {
      ch_.insert_csv(name_, columns, csv, "publishing " + what_ + ": inserting rows");
    }
  }

  // Rows and BilledCost sum (as ClickHouse prints it) staged on each holder (one per shard).
  std::vector<Totals> staged() {
    std::vector<Totals> out;
    for (ClickHouse* server : holders_) {
      out.push_back(
          totals(*server, ch_ident(name_), "", "publishing " + what_ + ": checking staging"));
    }
    return out;
  }

  // Every holder's partition becomes its staged rows, also where none were staged (REPLACE
  // PARTITION from an empty table empties the partition, checked on 18.16).
  void swap(const std::string& partition) {
    for (ClickHouse* server : holders_) {
      server->execute("ALTER TABLE " + ch_ident(partitioned_table()) + " REPLACE PARTITION " +
                          partition + " FROM " + ch_ident(name_),
                      "publishing " + what_ + ": swapping the partition");
    }
  }

  // After swap(): every holder's partition must hold exactly what this writer staged there
  // (`staged`, in holder order). Another writer of the same month swapping in between leaves
  // its rows on a holder: throws ClickHouseError naming the source, period and shard (or
  // server), so the caller records no load and the next sync publishes the month again whole.
  void check_swapped(const std::string& source, const std::string& period,
                     const std::vector<Totals>& staged) {
    std::string where = " WHERE x_SourceName = " + ch_literal(source) +
                        " AND x_BillingPeriod = " + ch_literal(period);
    for (size_t i = 0; i < holders_.size(); ++i) {
      ClickHouse& server = *holders_[i];
      Totals held = totals(server, ch_ident(partitioned_table()), where,
                           "publishing " + what_ + ": checking the swap");
      if (held.rows == staged.at(i).rows && held.billed_cost == staged.at(i).billed_cost) continue;
      std::string holder = sharded_ ? "shard " + std::to_string(i + 1) + " (" + server.describe() +
                                          ") of cluster '" + ch_.settings().cluster + "'"
                                    : "ClickHouse " + server.describe();
      throw ClickHouseError(
          "publishing source " + source + ", billing period " + period + ": after the swap " +
          holder + " holds " + std::to_string(held.rows) + " rows with BilledCost " +
          held.billed_cost + " in " + partitioned_table() + ", but this writer staged " +
          std::to_string(staged.at(i).rows) + " rows with BilledCost " + staged.at(i).billed_cost +
          " there: another writer swapped the month in at the same time. The load is not "
          "recorded, so the next sync publishes the month again whole");
    }
  }

  // Drops what was created; failures are logged (a leftover is dropped once abandoned).
  void drop() {
    auto drop_one = [&](ClickHouse& server, const std::string& table) {
      try {
        server.execute("DROP TABLE IF EXISTS " + ch_ident(table),
                       "publishing " + what_ + ": dropping staging");
      } catch (const std::exception& e) {
        spdlog::warn("{}", e.what());
      }
    };
    if (created_distributed_) drop_one(ch_, distributed_name());
    for (ClickHouse* server : created_) drop_one(*server, name_);
    created_distributed_ = false;
    created_.clear();
  }

 private:
  std::string partitioned_table() const { return sharded_ ? kLocalTable : "focus_costs"; }
  std::string distributed_name() const { return name_ + "_shards"; }

  // Rows and BilledCost sum of `table` (already quoted) on one server, `where` appended.
  static Totals totals(ClickHouse& server, const std::string& table, const std::string& where,
                       const std::string& context) {
    ClickHouseResult r =
        server.query("SELECT count(), toString(sum(BilledCost)) FROM " + table + where, context);
    return {std::stoll(r.rows.at(0).at(0).value_or("0")), r.rows.at(0).at(1).value_or("0")};
  }

  ClickHouse& ch_;
  std::string what_, name_;
  bool sharded_;
  std::vector<ClickHouse*> holders_, created_;
  bool created_distributed_ = false;
};

}  // namespace

void drop_abandoned_staging(ClickHouse& ch, const std::string& table) {
  // Listing system.tables fails ("Table … doesn't exist") when another writer drops its staging
  // table meanwhile. This is housekeeping: after a few tries it is left to the next sync.
  ClickHouseResult tables;
  for (int attempt = 1;; ++attempt) {
    try {
      tables = ch.query("SELECT name FROM system.tables WHERE database = " + ch_literal(ch.settings().database) +
                            " AND startsWith(name, " + ch_literal(table + "_staging_") + ")",
                        "listing staging tables");
      break;
    } catch (const ClickHouseError& e) {
      if (attempt == 3) {
        spdlog::warn("not dropping abandoned staging tables of {} this time: {}", table, e.what());
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    }
  }
  int64_t now = std::time(nullptr);
  for (const auto& row : tables.rows) {
    std::string name = row[0].value_or("");
    std::string rest = name.substr(table.size() + std::string("_staging_").size());
    size_t cut = rest.find('_');
    int64_t created = 0;
    try {
      created = std::stoll(rest.substr(0, cut));
    } catch (const std::exception&) {
      continue;  // not ours
    }
    if (now - created < kAbandonedAfterSeconds) continue;
    ch.execute("DROP TABLE IF EXISTS " + ch_ident(name),
               "dropping abandoned staging table " + name);
    spdlog::info("dropped abandoned staging table {} (created {} s ago)", name, now - created);
  }
}

namespace {

// A column of `select` as ClickHouse's CSV reader takes it: text quoted (so that empty text,
// spaces, backslashes and the text \N stay what they are), lists of text as ClickHouse array
// literals (['a','b\'c']), booleans as 0/1, NULL as a bare \N, numbers and times bare.
struct CsvColumn {
  std::string expression;
  bool quoted = false;
};

CsvColumn csv_column(const std::string& name, const std::string& type) {
  std::string c = common::quote_ident(name);
  if (type == "VARCHAR" || type == "JSON") return {"CAST(" + c + " AS VARCHAR)", true};
  if (type == "VARCHAR[]" || type == "JSON[]") {
    // Each element in single quotes, its backslashes and single quotes escaped; no list is [].
    return {"'[' || coalesce(array_to_string(list_transform(" + c +
                R"(, v -> '''' || replace(replace(coalesce(CAST(v AS VARCHAR), ''), '\', '\\'), '''', '\''') || ''''), ','), '') || ']')",
            true};
  }
  if (type == "BOOLEAN") return {"CAST(" + c + " AS INTEGER)", false};
  if (type == "TIMESTAMP WITH TIME ZONE") return {"CAST(" + c + " AS TIMESTAMP)", false};
  return {c, false};
}

}  // namespace

int64_t send_as_csv(Connection& local, const std::string& select, const std::filesystem::path& file,
                    size_t chunk_bytes,
                    const std::function<void(const std::vector<std::string>&, const std::string&)>& send,
                    const std::string& context) {
  struct Remove {
    std::filesystem::path f;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove(f, ec);
    }
  } remove_file{file};
  Result shape = local.query("DESCRIBE " + select, context + ": reading the columns");
  std::vector<std::string> columns, items, quoted;
  for (size_t i = 0; i < shape.row_count(); ++i) {
    std::string name = shape.text(i, 0);
    CsvColumn c = csv_column(name, shape.text(i, 1));
    columns.push_back(name);
    items.push_back(c.expression + " AS " + common::quote_ident(name));
    if (c.quoted) quoted.push_back(common::quote_ident(name));
  }
  local.execute("COPY (SELECT " + common::join(items, ", ") + " FROM (" + select + ")) TO " +
                    quote_literal(file.string()) +
                    R"( (FORMAT csv, HEADER false, DELIMITER ',', QUOTE '"', ESCAPE '"', NULLSTR '\N', )"
                    "TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S', DATEFORMAT '%Y-%m-%d'" +
                    (quoted.empty() ? "" : ", FORCE_QUOTE (" + common::join(quoted, ", ") + ")") + ")",
                context + ": writing rows");
  // Chunks end after whole rows: a line break inside quotes belongs to the text.
  std::ifstream in(file, std::ios::binary);
  std::string buffer;
  std::vector<char> block(1 << 20);
  size_t scanned = 0, rows_end = 0;
  bool in_quotes = false;
  int64_t rows = 0;
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    buffer.append(block.data(), static_cast<size_t>(in.gcount()));
    for (; scanned < buffer.size(); ++scanned) {
      char c = buffer[scanned];
      if (c == '"') {
        in_quotes = !in_quotes;
      } else if (c == '\n' && !in_quotes) {
        ++rows;
        rows_end = scanned + 1;
      }
    }
    if (rows_end >= chunk_bytes) {
      send(columns, buffer.substr(0, rows_end));
      buffer.erase(0, rows_end);
      scanned -= rows_end;
      rows_end = 0;
    }
  }
  if (rows_end != buffer.size()) {
    throw Error(context, "the rows written to " + file.string() + " end inside a row");
  }
  if (!buffer.empty()) send(columns, buffer);
  return rows;
}

// With a cluster, a month is published as: its rows inserted through the Distributed staging
// (each on its billing account's shard), the staged count checked against the local load, then
// on every shard in turn REPLACE PARTITION from that shard's staging, then a check that every
// shard's partition holds exactly what this writer staged there (count and BilledCost sum), then
// the `loads` row. The month therefore becomes visible shard by shard, not atomically across
// shards: a reader during the swaps may see the new month on shard 1 and the old one on shard 2
// (never a row twice, as each shard swaps its own part). A crash before the first swap leaves
// the old month on every shard; a crash between swaps leaves a mix until the rerun, which
// republishes the whole month because `loads` is written only after every swap.
//
// Two writers publishing different deliveries of the same month at the same instant swap shard
// by shard independently, so each shard may end with the part of whichever writer swapped there
// last (each account's rows from one delivery, no cents doubled). A writer that finds another
// writer's rows on a shard after its own swaps fails naming the source, period and shard without
// writing `loads`, so its next sync publishes the month again whole (its load is not the one
// `loads` holds). Whenever the month is left mixed, the writer whose part ended on the later
// shard fails this check. Not covered: the other writer may have passed its check and recorded
// its load before that later swap; if the failed writer's next sync then carries that same
// delivery, it finds its load recorded and leaves the mix until the month changes again.
// Without a cluster the swap is atomic; the same check (count and BilledCost sum of the
// partition after the swap) keeps a writer whose month was replaced by another's at once from
// recording its load for rows ClickHouse does not hold.
std::vector<PublishedPartition> publish_to_clickhouse(ClickHouse& ch, Connection& local,
                                                      const std::filesystem::path& scratch_dir,
                                                      const std::vector<std::string>& only_sources,
                                                      size_t chunk_bytes) {
  std::vector<ClickHouse> shards = cluster_shards(ch);
  ensure_schema(ch, shards, local);
  // What ClickHouse holds: the newest published load per partition.
  std::map<std::pair<std::string, std::string>, std::string> remote;
  ClickHouseResult held = ch.query(
      "SELECT source, billing_period, argMax(fingerprint, published_at) FROM loads GROUP BY "
      "source, billing_period",
      "reading published loads");
  for (const auto& r : held.rows)
    remote[{r[0].value_or(""), r[1].value_or("")}] = r[2].value_or("");

  // What the local warehouse holds: the newest successful load of each partition that still
  // has rows (or had rows: an emptied month is published as empty).
  Result local_loads = local.query(
      "SELECT source, billing_period, arg_max(fingerprint, finished_at), arg_max(rows, "
      "finished_at), "
      "arg_max(billed_cost, finished_at), arg_max(effective_cost, finished_at), arg_max(load_id, "
      "finished_at) "
      "FROM loads WHERE status = 'ok' GROUP BY 1, 2 ORDER BY 1, 2",
      "reading local loads");
  drop_abandoned_staging(ch, "focus_costs");
  for (auto& shard : shards) drop_abandoned_staging(shard, "focus_costs");
  std::set<std::string> wanted(only_sources.begin(), only_sources.end());
  std::vector<PublishedPartition> out;
  for (size_t i = 0; i < local_loads.row_count(); ++i) {
    PublishedPartition p;
    p.source = local_loads.text(i, 0);
    p.billing_period = local_loads.text(i, 1);
    p.fingerprint = local_loads.text(i, 2);
    p.rows = local_loads.is_null(i, 3) ? 0 : local_loads.int64(i, 3);
    p.billed_cost = local_loads.is_null(i, 4) ? "0" : local_loads.text(i, 4);
    std::string effective = local_loads.is_null(i, 5) ? "0" : local_loads.text(i, 5);
    if (!wanted.empty() && !wanted.count(p.source)) continue;
    auto it = remote.find({p.source, p.billing_period});
    if (it != remote.end() && it->second == p.fingerprint) {
      p.unchanged = true;
      out.push_back(p);
      continue;
    }
    std::string what = p.source + " " + p.billing_period;
    auto started = std::chrono::steady_clock::now();
    // Private to this writer; dropped when done or failed.
    Staging staging(ch, shards, what);
    staging.create();
    // The month's rows as CSV in a scratch file (never all in memory), sent in chunks.
    int64_t sent = send_as_csv(
        local,
        std::string("SELECT * EXCLUDE (Tags), CAST(Tags AS VARCHAR) AS Tags, ") + kTagArraysSelect +
            " FROM focus_costs WHERE x_SourceName = " +
            quote_literal(p.source) + " AND x_BillingPeriod = " + quote_literal(p.billing_period),
        scratch_dir / (staging.name() + ".csv"), chunk_bytes,
        [&](const std::vector<std::string>& columns, const std::string& chunk) { staging.insert(columns, chunk); },
        "publishing " + what);
    if (sent != p.rows) {
      throw ClickHouseError("publishing " + what + ": the local partition has " +
                            std::to_string(sent) + " rows, its load says " +
                            std::to_string(p.rows));
    }
    // Everything is staged: check it arrived whole before the swap.
    std::vector<Staging::Totals> per_holder = staging.staged();
    int64_t staged = 0;
    std::vector<std::string> split;
    for (const auto& t : per_holder) {
      staged += t.rows;
      split.push_back(std::to_string(t.rows));
    }
    if (staged != p.rows) {
      throw ClickHouseError("publishing " + what + ": " + std::to_string(staged) +
                            " rows staged, expected " + std::to_string(p.rows));
    }
    common::failpoint("clickhouse.before_swap");
    staging.swap("(" + ch_literal(p.source) + ", " + ch_literal(p.billing_period) + ")");
    // Only a month this writer's rows fill whole on every holder is recorded in loads.
    staging.check_swapped(p.source, p.billing_period, per_holder);
    ch.execute("INSERT INTO loads SELECT " + ch_literal(local_loads.text(i, 6)) + ", " +
                   ch_literal(p.source) + ", " + ch_literal(p.billing_period) + ", " +
                   ch_literal(p.fingerprint) + ", " + std::to_string(p.rows) + ", toDecimal128(" +
                   ch_literal(p.billed_cost) + ", 10), toDecimal128(" + ch_literal(effective) +
                   ", 10), now(), hostName()",
               "publishing " + what + ": recording the load");
    staging.drop();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("published {} to ClickHouse {}: {} rows{} in {:.2f} s", what, ch.describe(),
                 p.rows, shards.empty() ? "" : " (per shard: " + common::join(split, ", ") + ")",
                 seconds);
    out.push_back(p);
  }
  return out;
}

}  // namespace billingfoot::warehouse
