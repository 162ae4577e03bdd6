#include "sources/datadog/datadog_source.hpp"

#include <spdlog/spdlog.h>

#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "common/hash.hpp"
#include "common/step_timer.hpp"
#include "common/strings.hpp"
#include "sources/datadog/extract.hpp"
#include "sources/datadog/landing.hpp"
#include "sources/datadog/settings.hpp"
#include "sources/datadog/usage_api.hpp"
#include "sources/files.hpp"
#include "sources/partition_loader.hpp"

namespace billingfoot::sources::datadog {

namespace fs = std::filesystem;
using common::quote_literal;

namespace {

std::string sql_resource(const char* path) {
  return std::string(common::embedded_resource(path));
}

// "read_text([...])" over the files, or an empty relation of the same shape when there are none.
std::string text_relation(const std::vector<std::string>& files) {
  if (files.empty())
    return "(SELECT NULL::VARCHAR AS filename, NULL::VARCHAR AS content WHERE false)";
  std::vector<std::string> quoted;
  for (const auto& f : files) quoted.push_back(quote_literal(f));
  return "read_text([" + common::join(quoted, ", ") + "])";
}

class DatadogSource : public Source {
 public:
  DatadogSource(const config::Config& config, const config::SourceConfig& source)
      : settings_(parse_settings(config, source)) {}

  SyncResult sync(warehouse::Warehouse& warehouse, const SyncOptions& options) override {
    SyncResult result;
    std::string started_at = warehouse::utc_now();
    auto& con = warehouse.connection();
    try {
      con.execute(sql_resource("sources/macros.sql") + sql_resource("sources/datadog/products.sql"),
                  "defining Datadog macros");
      if (!settings_.offline()) extract(con, options);
      auto months = find_landed_months(settings_.responses(), settings_.name, options.range);
      if (months.empty()) {
        throw InputError("source " + settings_.name + ": no Datadog cost for any billing period" +
                         (settings_.offline() ? " in " + settings_.responses().string()
                                              : " in range (Datadog returned none)"));
      }
      std::string version = common::sha256_hex(sql_resource("sources/macros.sql") +
                                               sql_resource("sources/datadog/products.sql") +
                                               sql_resource("sources/datadog/normalize.sql"))
                                .substr(0, 12);
      std::string delivery = version + ":" + files_fingerprint(all_files(months));
      if (!options.full && warehouse.source_state(settings_.name, "delivery") == delivery) {
        spdlog::info("{}: landed responses unchanged since the last sync", settings_.name);
        result.periods = unchanged_periods(warehouse, settings_.name, options);
        return result;
      }
      stage(con, months);
      result.periods = load_staged_periods(warehouse,
                                           {settings_.name, "datadog_usage", "datadog_staged_rows",
                                            "datadog_usage:" + version + ":", started_at},
                                           options);
      store_forecasts(warehouse, result.periods);
      if (result.ok()) warehouse.set_source_state(settings_.name, "delivery", delivery);
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    cleanup(con);
    return result;
  }

 private:
  void extract(warehouse::Connection& con, const SyncOptions& options) {
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    UsageApi api(settings_);
    auto families_for = [&con](const std::vector<std::string>& products) {
      std::vector<std::string> quoted, families;
      for (const auto& p : products) quoted.push_back(quote_literal(p));
      if (quoted.empty()) return families;
      auto r = con.query(
          "SELECT DISTINCT struct_extract(dd_product(name), 'usage_family') AS f FROM (SELECT "
          "unnest([" +
          common::join(quoted, ", ") + "]) AS name) WHERE f IS NOT NULL ORDER BY 1");
      for (size_t i = 0; i < r.row_count(); ++i) families.push_back(r.text(i, 0));
      return families;
    };
    for (const auto& period : periods_to_fetch(settings_, options, now)) {
      common::StepTimer timer(settings_.name + " " + period + ": fetch");
      fetch_period(api, settings_, period, now, families_for);
    }
  }

  static std::vector<fs::path> all_files(const std::vector<LandedMonth>& months) {
    std::vector<fs::path> files;
    for (const auto& m : months) {
      files.push_back(m.cost_file);
      if (m.projected_file) files.push_back(*m.projected_file);
      files.insert(files.end(), m.usage_files.begin(), m.usage_files.end());
    }
    return files;
  }

  // Fills the inputs of normalize.sql and runs it: datadog_staged_rows then holds the FOCUS rows
  // of every landed period, datadog_forecast_rows the projections.
  void stage(warehouse::Connection& con, const std::vector<LandedMonth>& months) {
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dd_documents (billing_period VARCHAR, kind VARCHAR, "
        "cost_status VARCHAR, "
        "data_end DATE, file VARCHAR); CREATE OR REPLACE TEMP TABLE dd_usage_documents "
        "(billing_period VARCHAR, "
        "file VARCHAR)");
    std::vector<std::string> documents, usage_documents;
    auto add_document =
        con.prepare("INSERT INTO dd_documents VALUES (?, ?, ?, CAST(? AS DATE), ?)");
    auto add_usage = con.prepare("INSERT INTO dd_usage_documents VALUES (?, ?)");
    for (const auto& m : months) {
      add_document.bind(1, m.billing_period)
          .bind(2, "cost")
          .bind(3, m.cost_status)
          .bind(4, m.data_end)
          .bind(5, m.cost_file.string())
          .execute();
      documents.push_back(m.cost_file.string());
      if (m.projected_file) {
        add_document.bind(1, m.billing_period)
            .bind(2, "projected")
            .bind(3, "projected")
            .bind(4, m.data_end)
            .bind(5, m.projected_file->string())
            .execute();
        documents.push_back(m.projected_file->string());
      }
      for (const auto& f : m.usage_files) {
        add_usage.bind(1, m.billing_period).bind(2, f.string()).execute();
        usage_documents.push_back(f.string());
      }
    }
    std::string sql =
        common::render_template(common::embedded_resource("sources/datadog/normalize.sql"),
                                {{"documents", text_relation(documents)},
                                 {"usage_documents", text_relation(usage_documents)}});
    try {
      common::StepTimer timer(settings_.name + ": normalize");
      con.execute(sql);
    } catch (const warehouse::Error& e) {
      throw InputError("source " + settings_.name + ": cannot normalize the Datadog responses in " +
                       settings_.responses().string() + ": " + e.engine_message() +
                       " (nothing was loaded)");
    }
  }

  // Datadog's projection of each loaded current month replaces the previous one in cost_forecasts.
  void store_forecasts(warehouse::Warehouse& warehouse, const std::vector<PeriodResult>& periods) {
    auto& con = warehouse.connection();
    warehouse::Transaction tx(con);
    for (const auto& p : periods) {
      if (p.status == PeriodStatus::Failed) continue;
      auto has = con.prepare("SELECT count(*) FROM datadog_forecast_rows WHERE billing_period = ?");
      if (has.bind(1, p.billing_period).execute().int64(0, 0) == 0) continue;
      con.prepare("DELETE FROM cost_forecasts WHERE source = ? AND billing_period = ?")
          .bind(1, settings_.name)
          .bind(2, p.billing_period)
          .execute();
      con.prepare(
             "INSERT INTO cost_forecasts SELECT ?, billing_period, 'Datadog', billing_account_id, "
             "sub_account_id, "
             "sub_account_name, service_name, product, charge_type, forecast_cost, 'USD', "
             "'provider_projection', "
             "CAST(? AS TIMESTAMP) FROM datadog_forecast_rows WHERE billing_period = ?")
          .bind(1, settings_.name)
          .bind(2, warehouse::utc_now())
          .bind(3, p.billing_period)
          .execute();
    }
    tx.commit();
  }

  void cleanup(warehouse::Connection& con) {
    try {
      con.execute(
          "DROP TABLE IF EXISTS datadog_staged_rows; DROP TABLE IF EXISTS datadog_forecast_rows; "
          "DROP TABLE IF EXISTS dd_daily_costs; DROP TABLE IF EXISTS dd_day_weights; DROP TABLE IF "
          "EXISTS "
          "dd_daily_usage; DROP TABLE IF EXISTS dd_charges; DROP TABLE IF EXISTS dd_documents; "
          "DROP TABLE IF "
          "EXISTS dd_usage_documents");
    } catch (const std::exception& e) {
      spdlog::warn("{}: cleaning up temporary tables failed: {}", settings_.name, e.what());
    }
  }

  Settings settings_;
};

}  // namespace

std::unique_ptr<Source> create(const config::Config& config, const config::SourceConfig& source) {
  return std::make_unique<DatadogSource>(config, source);
}

}  // namespace billingfoot::sources::datadog
