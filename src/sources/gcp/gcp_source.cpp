#include "sources/gcp/gcp_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "common/hash.hpp"
#include "common/progress.hpp"
#include "common/step_timer.hpp"
#include "common/strings.hpp"
#include "sources/files.hpp"
#include "sources/gcp/export_schema.hpp"
#include "sources/partition_loader.hpp"

namespace billingfoot::sources::gcp {

namespace fs = std::filesystem;
using json = nlohmann::json;
using common::quote_literal;

const std::vector<std::string_view> kConfigKeys = {
    "bigquery",     "credentials_file", "access_token",         "token_endpoint",
    "api_endpoint", "lookback_months",  "billing_account_name", "invoice_issuer_name"};

namespace {

constexpr std::string_view kType = "gcp_billing_export";

std::optional<std::string> text_key(const config::SourceConfig& source, const YAML::Node& map,
                                    const std::string& key, const std::string& path) {
  YAML::Node node = map[key];
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  if (!node.IsScalar()) {
    config::Origin o{source.origin.file, node.Mark().line + 1, node.Mark().column + 1, path};
    throw UsageError(o.describe() + ": must be a value");
  }
  return node.Scalar();
}

std::string sql_text_or_null(const std::string& value) {
  return value.empty() ? "CAST(NULL AS VARCHAR)" : quote_literal(value);
}

// The normalization's identity: a new mapping makes every month "changed".
std::string mapping_version() {
  std::string text;
  for (const char* file : {"sources/macros.sql", "sources/gcp/macros.sql",
                           "sources/gcp/lookups.sql", "sources/gcp/normalize.sql"}) {
    text += common::embedded_resource(file);
  }
  return common::sha256_hex(text).substr(0, 12);
}

struct MonthFingerprint {
  std::string period;         // YYYY-MM
  std::string invoice_month;  // YYYYMM
  std::string fingerprint;
};

std::string month_fingerprint(const std::string& rows, const std::string& max_export_time) {
  return "gcp:" + mapping_version() + ";rows=" + rows + ";export_time=" + max_export_time;
}

std::string state_key(const std::string& period) {
  return "invoice_month:" + period;
}

}  // namespace

std::string invoice_month_before(std::chrono::system_clock::time_point now, int months) {
  auto pacific = std::chrono::floor<std::chrono::days>(now - std::chrono::hours(8));
  std::chrono::year_month ym{std::chrono::year_month_day{pacific}.year(),
                             std::chrono::year_month_day{pacific}.month()};
  ym -= std::chrono::months(months);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ym.year()),
                static_cast<unsigned>(ym.month()));
  return buf;
}

GcpConfig parse_config(const config::Config& config, const config::SourceConfig& source) {
  GcpConfig c;
  c.name = source.name;
  const YAML::Node& raw = source.raw;
  auto key = [&](const std::string& k) {
    return text_key(source, raw, k, source.origin.key + "." + k);
  };
  if (source.location) c.location = config.resolve_path(*source.location);
  if (YAML::Node bq = raw["bigquery"]; bq.IsDefined()) {
    auto origin = source.origin_of("bigquery");
    if (!bq.IsMap())
      throw UsageError(origin.describe() +
                       ": must be a mapping {project, dataset, table, location}");
    static const std::set<std::string> allowed = {"project", "dataset", "table", "location",
                                                  "job_project"};
    for (auto it = bq.begin(); it != bq.end(); ++it) {
      if (!allowed.count(it->first.Scalar())) {
        config::Origin o{source.origin.file, it->first.Mark().line + 1, it->first.Mark().column + 1,
                         origin.key + "." + it->first.Scalar()};
        throw UsageError(
            o.describe() +
            ": unknown key (known keys: dataset, job_project, location, project, table)");
      }
    }
    TableRef t;
    for (auto [field, target] :
         {std::pair{"project", &t.project}, {"dataset", &t.dataset}, {"table", &t.table}}) {
      auto v = text_key(source, bq, field, origin.key + "." + field);
      if (!v || v->empty()) throw UsageError(origin.describe() + ": missing key: " + field);
      *target = *v;
    }
    t.location = text_key(source, bq, "location", origin.key + ".location").value_or("");
    t.job_project =
        text_key(source, bq, "job_project", origin.key + ".job_project").value_or(t.project);
    c.table = t;
  }
  if (c.location.has_value() == c.table.has_value()) {
    throw UsageError(
        source.origin.describe() + ": a source of type gcp_billing_export needs either " +
        "bigquery: {project, dataset, table} or location: (a folder of exported files), not " +
        (c.table ? "both" : "neither"));
  }
  if (auto v = key("credentials_file"); v && !v->empty())
    c.credentials_file = config.resolve_path(*v);
  c.access_token = key("access_token").value_or("");
  c.token_endpoint = key("token_endpoint").value_or("");
  c.api_endpoint = key("api_endpoint").value_or(std::string(kDefaultApiEndpoint));
  c.billing_account_name = key("billing_account_name").value_or("");
  c.invoice_issuer_name = key("invoice_issuer_name").value_or("Google Cloud");
  if (auto v = key("lookback_months")) {
    try {
      size_t used = 0;
      c.lookback_months = std::stoi(*v, &used);
      if (used != v->size() || c.lookback_months < 0 || c.lookback_months > 36)
        throw std::invalid_argument(*v);
    } catch (const std::exception&) {
      throw UsageError(source.origin_of("lookback_months").describe() +
                       ": must be a whole number of months from 0 to 36, not " + *v);
    }
  }
  if (c.table && !c.credentials_file && c.access_token.empty()) {
    // The usual environment variables, as Google's own tools read them.
    if (const char* t = std::getenv("GOOGLE_OAUTH_ACCESS_TOKEN"); t && *t) {
      c.access_token = t;
    } else if (const char* f = std::getenv("GOOGLE_APPLICATION_CREDENTIALS"); f && *f) {
      c.credentials_file = fs::path(f);
    } else {
      throw UsageError(
          source.origin.describe() + ": no Google credentials: set credentials_file " +
          "(a service account key file) or access_token: ${GOOGLE_OAUTH_ACCESS_TOKEN}, or " +
          "the environment variable GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN");
    }
  }
  c.landing_dir = config.data_dir / "landing" / source.name;
  c.scratch_dir = config.data_dir / "tmp" / source.name;
  return c;
}

namespace {

class GcpBillingExportSource : public Source {
 public:
  explicit GcpBillingExportSource(GcpConfig config) : c_(std::move(config)) {}

  SyncResult sync(warehouse::Warehouse& warehouse, const SyncOptions& options) override {
    SyncResult result;
    started_at_ = warehouse::utc_now();
    auto& con = warehouse.connection();
    try {
      for (const char* sql :
           {"sources/macros.sql", "sources/gcp/macros.sql", "sources/gcp/lookups.sql"}) {
        con.execute(std::string(common::embedded_resource(sql)),
                    "defining the Google Cloud mapping");
      }
      if (c_.location) {
        sync_files(warehouse, options, result);
      } else {
        sync_bigquery(warehouse, options, result);
      }
      std::sort(result.periods.begin(), result.periods.end(),
                [](const auto& a, const auto& b) { return a.billing_period < b.billing_period; });
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    cleanup(con);
    return result;
  }

 private:
  // ---- file mode ------------------------------------------------------------------------------

  void sync_files(warehouse::Warehouse& warehouse, const SyncOptions& options, SyncResult& result) {
    auto files = find_data_files(*c_.location, c_.name);
    std::string delivery = mapping_version() + ":" + files_fingerprint(files);
    if (!options.full && warehouse.source_state(c_.name, "delivery") == delivery) {
      spdlog::info("{}: files unchanged since the last sync ({} files)", c_.name, files.size());
      result.periods = unchanged_periods(warehouse, c_.name, options);
      return;
    }
    {
      common::StepTimer timer(c_.name + ": read export files");
      stage_export_files(warehouse.connection(), files, c_.scratch_dir, c_.name);
    }
    auto months = staged_fingerprints(warehouse.connection());
    load_changed(warehouse, options, months, result);
    if (result.ok()) warehouse.set_source_state(c_.name, "delivery", delivery);
  }

  std::vector<MonthFingerprint> staged_fingerprints(warehouse::Connection& con) {
    auto r = con.query(
        "SELECT gcp_billing_period(invoice.month), invoice.month, count(*), "
        "strftime(max(gcp_timestamp(export_time)), '%Y-%m-%dT%H:%M:%S.%fZ') FROM gcp_export_rows "
        "GROUP BY ALL ORDER BY 1",
        "fingerprinting " + c_.name);
    std::vector<MonthFingerprint> months;
    for (size_t i = 0; i < r.row_count(); ++i) {
      months.push_back({r.text(i, 0), r.text(i, 1), month_fingerprint(r.text(i, 2), r.text(i, 3))});
    }
    return months;
  }

  // ---- BigQuery mode --------------------------------------------------------------------------

  void sync_bigquery(warehouse::Warehouse& warehouse, const SyncOptions& options,
                     SyncResult& result) {
    AccessTokens tokens =
        c_.credentials_file
            ? AccessTokens::service_account(read_service_account_key(*c_.credentials_file),
                                            c_.token_endpoint, "source " + c_.name)
            : AccessTokens::fixed(c_.access_token, "source " + c_.name);
    BigQuery bq(c_.api_endpoint, tokens, "source " + c_.name);
    const TableRef& table = *c_.table;

    std::vector<std::string> columns = selected_columns(bq.table_schema(table));
    auto months = remote_fingerprints(bq, window(warehouse, options));
    std::vector<MonthFingerprint> extracted;
    std::vector<fs::path> files;
    for (const auto& m : months) {
      if (!options.range.contains(m.period)) continue;
      if (!options.full && warehouse.source_state(c_.name, state_key(m.period)) == m.fingerprint) {
        extracted.push_back(m);  // reported unchanged by load_changed
        continue;
      }
      try {
        auto landed = extract_month(bq, columns, m);
        files.insert(files.end(), landed.begin(), landed.end());
        extracted.push_back(m);
      } catch (const std::exception& e) {
        result.periods.push_back(failed(warehouse, m, e.what()));
      }
    }
    stage_export_files(warehouse.connection(), files, c_.scratch_dir, c_.name);
    load_changed(warehouse, options, extracted, result);
  }

  // Invoice months to look at: an explicit --from/--to; everything on the first sync or with
  // --full; else the current month and lookback_months before it (late rows land there).
  std::pair<std::string, std::string> window(warehouse::Warehouse& warehouse,
                                             const SyncOptions& options) {
    auto compact = [](const std::string& period) {
      return period.substr(0, 4) + period.substr(5, 2);
    };
    std::string last = options.range.to ? compact(*options.range.to) : "999999";
    if (options.range.from) return {compact(*options.range.from), last};
    auto loaded = warehouse.connection().prepare(
        "SELECT count(*) FROM loads WHERE source = ? AND status = 'ok'");
    bool first_sync = loaded.bind(1, c_.name).execute().int64(0, 0) == 0;
    if (first_sync || options.full) return {"000000", last};
    return {compact(invoice_month_before(std::chrono::system_clock::now(), c_.lookback_months)),
            last};
  }

  std::vector<std::string> selected_columns(const std::vector<Field>& schema) {
    std::set<std::string> present;
    for (const auto& f : schema) present.insert(f.name);
    for (const char* required : {"cost", "invoice", "export_time"}) {
      if (!present.count(required)) {
        throw InputError("source " + c_.name + ": table " + c_.table->table + " has no " +
                         required + " field; is it a Cloud Billing export table?");
      }
    }
    std::vector<std::string> columns;
    for (const auto& f : export_fields()) {
      if (present.count(std::string(f.name))) columns.emplace_back(f.name);
    }
    spdlog::info("{}: {} export ({} of {} known fields)", c_.name,
                 present.count("resource") ? "detailed (resource-level)" : "standard",
                 columns.size(), export_fields().size());
    return columns;
  }

  std::vector<MonthFingerprint> remote_fingerprints(
      BigQuery& bq, const std::pair<std::string, std::string>& window) {
    std::string sql =
        "SELECT invoice.month AS invoice_month, COUNT(*) AS row_count, "
        "UNIX_MICROS(MAX(export_time)) AS max_export_time FROM " +
        c_.table->sql_name() +
        " WHERE invoice.month BETWEEN @first_month AND @last_month GROUP BY invoice_month ORDER BY "
        "invoice_month";
    std::vector<MonthFingerprint> months;
    bq.query(*c_.table, sql, {{"first_month", window.first}, {"last_month", window.second}},
             [&](const std::vector<json>& rows) {
               for (const auto& row : rows) {
                 std::string month = row.value("invoice_month", "");
                 if (month.size() != 6)
                   throw InputError("source " + c_.name + ": BigQuery returned invoice month '" +
                                    month + "'");
                 std::string count = row["row_count"].is_string()
                                         ? row["row_count"].get<std::string>()
                                         : row["row_count"].dump();
                 std::string newest =
                     row["max_export_time"].is_null()
                         ? ""
                         : timestamp_text(row["max_export_time"].is_string()
                                              ? row["max_export_time"].get<std::string>()
                                              : row["max_export_time"].dump());
                 months.push_back({month.substr(0, 4) + "-" + month.substr(4, 2), month,
                                   month_fingerprint(count, newest)});
               }
             });
    return months;
  }

  // Queries one invoice month into <landing>/<YYYY-MM>/page-NNNNN.jsonl. The month's folder is
  // replaced only once every page has arrived.
  std::vector<fs::path> extract_month(BigQuery& bq, const std::vector<std::string>& columns,
                                      const MonthFingerprint& m) {
    fs::path partial = c_.landing_dir / (m.period + ".partial");
    fs::path final_dir = c_.landing_dir / m.period;
    fs::remove_all(partial);
    fs::create_directories(partial);
    std::string sql = "SELECT " + common::join(columns, ", ") + " FROM " + c_.table->sql_name() +
                      " WHERE invoice.month = @invoice_month";
    int pages = 0;
    int64_t rows = bq.query(
        *c_.table, sql, {{"invoice_month", m.invoice_month}}, [&](const std::vector<json>& page) {
          char name[32];
          std::snprintf(name, sizeof name, "page-%05d.jsonl", ++pages);
          std::ofstream out(partial / name, std::ios::binary | std::ios::trunc);
          for (const auto& row : page) out << row.dump() << '\n';
          if (!out.flush())
            throw InputError("source " + c_.name + ": cannot write " + (partial / name).string());
        });
    fs::remove_all(final_dir);
    fs::rename(partial, final_dir);
    spdlog::info("{} {}: {} rows in {} pages landed in {}", c_.name, m.period, rows, pages,
                 final_dir.string());
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(final_dir)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
  }

  // ---- shared ---------------------------------------------------------------------------------

  // Months whose fingerprint equals the last loaded one are reported unchanged; the others are
  // normalized from gcp_export_rows and replaced.
  void load_changed(warehouse::Warehouse& warehouse, const SyncOptions& options,
                    const std::vector<MonthFingerprint>& months, SyncResult& result) {
    auto& con = warehouse.connection();
    std::map<std::string, std::string> changed;  // period → fingerprint
    std::vector<std::string> keep;
    for (const auto& m : months) {
      if (!options.range.contains(m.period)) continue;
      if (!options.full && warehouse.source_state(c_.name, state_key(m.period)) == m.fingerprint) {
        auto unchanged = unchanged_periods(warehouse, c_.name, {{m.period, m.period}, false});
        result.periods.insert(result.periods.end(), unchanged.begin(), unchanged.end());
        continue;
      }
      changed[m.period] = m.fingerprint;
      keep.push_back(quote_literal(m.invoice_month));
    }
    if (changed.empty()) return;
    con.execute("DELETE FROM gcp_export_rows WHERE invoice.month NOT IN (" +
                common::join(keep, ", ") + ")");
    std::string sql = common::render_template(
        common::embedded_resource("sources/gcp/normalize.sql"),
        {{"billing_account_name", sql_text_or_null(c_.billing_account_name)},
         {"invoice_issuer_name", sql_text_or_null(c_.invoice_issuer_name)}});
    try {
      common::StepTimer timer(c_.name + ": normalize");
      con.execute(sql);
    } catch (const warehouse::Error& e) {
      throw InputError("source " + c_.name +
                       ": cannot map the export rows to FOCUS: " + e.engine_message());
    }
    con.execute(
        "CREATE OR REPLACE TEMP VIEW gcp_staged_rows AS SELECT * EXCLUDE (bf_file) FROM "
        "gcp_staging");
    auto loaded = load_staged_periods(warehouse,
                                      {c_.name, std::string(kType), "gcp_staged_rows",
                                       "gcp:" + mapping_version() + ":", started_at_},
                                      options);
    for (auto& p : loaded) {
      if (p.status != PeriodStatus::Failed)
        warehouse.set_source_state(c_.name, state_key(p.billing_period), changed[p.billing_period]);
      result.periods.push_back(std::move(p));
    }
  }

  PeriodResult failed(warehouse::Warehouse& warehouse, const MonthFingerprint& m,
                      const std::string& message) {
    spdlog::error("{} {}: {}", c_.name, m.period, message);
    warehouse.record_load({c_.name, m.period, m.fingerprint, "failed", message, started_at_});
    PeriodResult r;
    r.billing_period = m.period;
    r.status = PeriodStatus::Failed;
    r.message = message;
    return r;
  }

  void cleanup(warehouse::Connection& con) {
    try {
      con.execute(
          "DROP VIEW IF EXISTS gcp_staged_rows; DROP TABLE IF EXISTS gcp_staging; DROP TABLE IF "
          "EXISTS "
          "gcp_export_rows; DROP TABLE IF EXISTS gcp_raw_file");
    } catch (const std::exception& e) {
      spdlog::warn("{}: cleaning up temporary tables failed: {}", c_.name, e.what());
    }
    std::error_code ec;
    fs::remove_all(c_.scratch_dir, ec);
  }

  GcpConfig c_;
  std::string started_at_;
};

}  // namespace

std::unique_ptr<Source> create(const config::Config& config, const config::SourceConfig& source) {
  return std::make_unique<GcpBillingExportSource>(parse_config(config, source));
}

}  // namespace billingfoot::sources::gcp
