#include "analysis/anomalies.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "analysis/cost_series.hpp"
#include "analysis/detector.hpp"
#include "common/errors.hpp"
#include "common/hash.hpp"
#include "common/strings.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::analysis {

using common::quote_literal;
using nlohmann::json;

namespace {

constexpr int kRootCauseBaselineDays = 28;
constexpr size_t kRootCauseTop = 3;

// One flagged window of one scope, with the series it was found in.
struct Finding {
  std::string dimension, value;
  Day series_first;
  Day judged_through;
  const DailySeries* series;
  const std::vector<DayVerdict>* verdicts;
  Window window;
};

Day day_at(Day first, int index) {
  return first + std::chrono::days(index);
}
int index_of(Day first, Day day) {
  return static_cast<int>((day - first).count());
}

double round_to(double v, double unit) {
  return std::round(v / unit) * unit;
}

std::string decimal_text(double v) {
  return fmt::format("{:.4f}", v);
}

// The sub-dimension values whose cost moved most in the window, per root-cause dimension.
json root_cause(warehouse::Connection& con, const CostTables& tables,
                const config::AnomalyConfig& cfg, const ChargeFilter& base_filter, const Finding& f,
                Day data_first, Day start, Day end, double impact) {
  json by = json::object();
  std::string summary;
  Day baseline_first = std::max(data_first, start - std::chrono::days(kRootCauseBaselineDays));
  int baseline_days = index_of(baseline_first, start);
  int window_days = index_of(start, end) + 1;
  ChargeFilter filter = base_filter;
  filter.scope = {{f.dimension, {f.value}}};
  for (const auto& dim : cfg.root_cause_dimensions) {
    if (common::iequals(dim, f.dimension)) continue;
    std::string sql;
    try {
      sql = daily_cost_sql(con, tables, dim, filter, baseline_first, end);
    } catch (const UsageError& e) {
      spdlog::debug("root cause by {} skipped: {}", dim, e.what());
      continue;
    }
    std::string expected =
        baseline_days > 0
            ? "coalesce(sum(cost) FILTER (WHERE day < " + quote_literal(iso_day(start)) +
                  "), 0) / " + std::to_string(baseline_days) + " * " + std::to_string(window_days)
            : "0";
    std::string order = impact >= 0 ? "DESC" : "ASC";
    warehouse::Result r = con.query(
        "SELECT value, actual, expected, actual - expected AS delta FROM (SELECT value, "
        "CAST(coalesce(sum(cost) FILTER "
        "(WHERE day >= " +
            quote_literal(iso_day(start)) + "), 0) AS DOUBLE) AS actual, CAST(" + expected +
            " AS DOUBLE) AS expected FROM (" + sql + ") GROUP BY value) ORDER BY delta " + order +
            ", value LIMIT " + std::to_string(kRootCauseTop),
        "finding the root cause of an anomaly by " + dim);
    json items = json::array();
    for (size_t i = 0; i < r.row_count(); ++i) {
      double delta = r.number(i, 3);
      double share = std::abs(impact) > 1e-9 ? delta / impact : 0;
      items.push_back({{"value", r.text(i, 0)},
                       {"actual", round_to(r.number(i, 1), 0.01)},
                       {"expected", round_to(r.number(i, 2), 0.01)},
                       {"delta", round_to(delta, 0.01)},
                       {"share", round_to(share, 0.001)}});
    }
    by[dim] = items;
  }
  // The most specific driver explaining at least half the impact. A dimension with one value
  // in the scope, or whose driver has no value, says nothing.
  for (auto it = cfg.root_cause_dimensions.rbegin();
       it != cfg.root_cause_dimensions.rend() && summary.empty(); ++it) {
    if (!by.contains(*it) || by[*it].size() < 2) continue;
    const json& top = by[*it][0];
    if (top["value"] == "(none)") continue;
    if (top["share"].get<double>() >= 0.5) {
      summary = fmt::format("{} {}: {:+.2f} ({:.0f}% of the change)", *it,
                            top["value"].get<std::string>(), top["delta"].get<double>(),
                            top["share"].get<double>() * 100);
    }
  }
  return {{"by", by}, {"summary", summary}};
}

void store(warehouse::Connection& con, const CostTables& tables, const config::AnalysisConfig& cfg,
           const ChargeFilter& filter, const Finding& f, Day data_first,
           DetectionSummary& summary) {
  const auto& acfg = cfg.anomalies;
  Day start = day_at(f.series_first, f.window.first);
  Day end = day_at(f.series_first, f.window.last);
  std::string now = warehouse::utc_now();

  // The stored anomaly of this scope that this window continues, if any.
  auto find = con.prepare(
      "SELECT anomaly_id, CAST(start_date AS VARCHAR), CAST(end_date AS VARCHAR) FROM anomalies "
      "WHERE dimension = ? "
      "AND value = ? AND cost_metric = ? AND start_date <= CAST(? AS DATE) + CAST(? AS INTEGER) "
      "AND end_date >= "
      "CAST(? AS DATE) - CAST(? AS INTEGER) "
      "ORDER BY start_date LIMIT 1");
  warehouse::Result existing = find.bind(1, f.dimension)
                                   .bind(2, f.value)
                                   .bind(3, acfg.cost)
                                   .bind(4, iso_day(end))
                                   .bind(5, static_cast<int64_t>(acfg.merge_gap_days))
                                   .bind(6, iso_day(start))
                                   .bind(7, static_cast<int64_t>(acfg.merge_gap_days))
                                   .execute();
  if (existing.row_count()) {
    start = std::min(start, parse_day(existing.text(0, 1), "start_date"));
    end = std::max(end, parse_day(existing.text(0, 2), "end_date"));
  }
  // Expected over the (possibly widened) window: the baseline where judged, else the cost.
  Window w = f.window;
  w.expected = 0;
  w.actual = 0;
  for (int t = index_of(f.series_first, start); t <= index_of(f.series_first, end); ++t) {
    if (t < 0 || t >= static_cast<int>(f.series->values.size())) continue;
    const DayVerdict& v = (*f.verdicts)[t];
    w.actual += f.series->values[t];
    w.expected += v.judged ? v.expected : f.series->values[t];
  }
  std::string actual = exact_cost(con, tables, f.dimension, f.value, filter, start, end);
  double impact = std::stod(actual) - w.expected;
  json cause = root_cause(con, tables, acfg, filter, f, data_first, start, end, impact);
  cause["kind"] = anomaly_kind(w);
  cause["peak_score"] = round_to(std::min(w.peak_score, 1e6), 0.01);

  // A continued anomaly keeps its id, status and detection time; its numbers are refreshed.
  bool continued = existing.row_count() > 0;
  std::string id = continued ? existing.text(0, 0)
                             : common::sha256_hex(f.dimension + "\n" + f.value + "\n" +
                                                  iso_day(start) + "\n" + acfg.cost)
                                   .substr(0, 16);
  auto upsert = con.prepare(R"(
INSERT INTO anomalies (anomaly_id, dimension, value, start_date, end_date, expected_cost, actual_cost, impact, severity,
                       status, root_cause, detected_at, kind, cost_metric, peak_score, judged_through, updated_at)
VALUES (?, ?, ?, CAST(? AS DATE), CAST(? AS DATE), CAST(? AS DECIMAL(38,10)), CAST(? AS DECIMAL(38,10)),
        CAST(? AS DECIMAL(38,10)) - CAST(? AS DECIMAL(38,10)), ?, 'open', ?, CAST(? AS TIMESTAMP), ?, ?, ?,
        CAST(? AS DATE), CAST(? AS TIMESTAMP))
ON CONFLICT (anomaly_id) DO UPDATE SET start_date = excluded.start_date, end_date = excluded.end_date,
  expected_cost = excluded.expected_cost, actual_cost = excluded.actual_cost, impact = excluded.impact,
  severity = excluded.severity, root_cause = excluded.root_cause, kind = excluded.kind,
  peak_score = excluded.peak_score, judged_through = excluded.judged_through, updated_at = excluded.updated_at)");
  upsert.bind(1, id)
      .bind(2, f.dimension)
      .bind(3, f.value)
      .bind(4, iso_day(start))
      .bind(5, iso_day(end))
      .bind(6, decimal_text(w.expected))
      .bind(7, actual)
      .bind(8, actual)
      .bind(9, decimal_text(w.expected))
      .bind(10, severity(w, acfg.min_impact))
      .bind(11, cause.dump())
      .bind(12, now)
      .bind(13, anomaly_kind(w))
      .bind(14, acfg.cost)
      .bind(15, std::min(w.peak_score, 1e6))
      .bind(16, iso_day(f.judged_through))
      .bind(17, now)
      .execute();
  ++(continued ? summary.updated : summary.added);
}

}  // namespace

DetectionSummary detect_anomalies(warehouse::Connection& con, const config::AnalysisConfig& cfg,
                                  const DetectionRange& range) {
  DetectionSummary summary;
  auto days = cost_day_range(con);
  if (!days) return summary;
  const auto& acfg = cfg.anomalies;
  const Day first = days->first;
  std::map<std::string, Day> completeness = complete_through_by_source(con, acfg);
  CostTables tables(con, cfg.allocation_dimensions);
  ChargeFilter filter;
  filter.cost = acfg.cost;
  filter.exclude_categories = acfg.exclude_charge_categories;
  filter.include_corrections = acfg.include_corrections;
  DetectorSettings settings = detector_settings(acfg);

  // Series and verdicts are kept alive until stored (findings point into them).
  std::vector<std::unique_ptr<DailySeries>> series_store;
  std::vector<std::unique_ptr<std::vector<DayVerdict>>> verdict_store;
  std::vector<Finding> findings;
  for (const auto& dim : acfg.dimensions) {
    std::map<std::string, ScopeDays> scopes;
    try {
      scopes = daily_costs(con, tables, dim, filter, first, days->second);
    } catch (const UsageError& e) {
      if (!tables.is_allocation_dimension(dim))
        throw UsageError("anomalies.dimensions: " + std::string(e.what()));
      spdlog::warn("anomalies by {} skipped: {}", dim, e.what());
      continue;
    }
    for (const auto& [value, scope_days] : scopes) {
      std::optional<Day> through = complete_through(completeness, scope_days.sources);
      if (!through) continue;
      if (range.to) through = std::min(*through, *range.to);
      if (*through < first) continue;
      summary.complete_through =
          summary.complete_through ? std::max(*summary.complete_through, *through) : *through;
      auto series = std::make_unique<DailySeries>(to_series(scope_days, first, *through));
      int from = range.from ? std::max(0, index_of(first, *range.from)) : 0;
      auto verdicts = std::make_unique<std::vector<DayVerdict>>(
          judge(*series, from, static_cast<int>(series->values.size()) - 1, settings));
      ++summary.scopes;
      for (const auto& v : *verdicts) summary.judged_days += v.judged;
      for (const auto& w : group_windows(*series, *verdicts, settings.merge_gap_days)) {
        findings.push_back({dim, value, first, *through, series.get(), verdicts.get(), w});
      }
      series_store.push_back(std::move(series));
      verdict_store.push_back(std::move(verdicts));
    }
  }
  summary.found = static_cast<int>(findings.size());
  warehouse::Transaction tx(con);
  for (const auto& f : findings) store(con, tables, cfg, filter, f, first, summary);
  tx.commit();
  return summary;
}

std::vector<StoredAnomaly> alertable_anomalies(warehouse::Connection& con,
                                               const config::AnomalyConfig& config) {
  auto q = con.prepare(
      "SELECT anomaly_id, dimension, value, CAST(start_date AS VARCHAR), CAST(end_date AS "
      "VARCHAR), kind, severity, "
      "status, cost_metric, CAST(expected_cost AS VARCHAR), CAST(actual_cost AS VARCHAR), "
      "CAST(impact AS VARCHAR), "
      "CAST(root_cause AS VARCHAR), coalesce(json_extract_string(root_cause, '$.summary'), '') "
      "FROM anomalies "
      "WHERE status = 'open' AND end_date >= judged_through - CAST(? AS INTEGER) ORDER BY "
      "abs(impact) DESC, "
      "anomaly_id");
  warehouse::Result r = q.bind(1, static_cast<int64_t>(config.alert_window_days)).execute();
  std::vector<StoredAnomaly> out;
  for (size_t i = 0; i < r.row_count(); ++i) {
    StoredAnomaly a;
    a.id = r.text(i, 0);
    a.dimension = r.text(i, 1);
    a.value = r.text(i, 2);
    a.start_date = r.text(i, 3);
    a.end_date = r.text(i, 4);
    a.kind = r.text(i, 5);
    a.severity = r.text(i, 6);
    a.status = r.text(i, 7);
    a.cost_metric = r.text(i, 8);
    a.expected_cost = r.text(i, 9);
    a.actual_cost = r.text(i, 10);
    a.impact = r.text(i, 11);
    a.root_cause = r.text(i, 12);
    a.summary = r.text(i, 13);
    out.push_back(std::move(a));
  }
  return out;
}

warehouse::Result list_anomalies(warehouse::Connection& con, const std::optional<Day>& from,
                                 const std::optional<Day>& to, const std::string& status,
                                 bool with_details) {
  std::string sql =
      "SELECT anomaly_id, dimension, value, start_date, end_date, kind, severity, status, "
      "expected_cost, actual_cost, "
      "impact, coalesce(json_extract_string(root_cause, '$.summary'), '') AS top_cause" +
      std::string(with_details ? ", root_cause, detected_at, peak_score, cost_metric, status_note"
                               : "") +
      " FROM anomalies WHERE true";
  if (from) sql += " AND end_date >= DATE " + quote_literal(iso_day(*from));
  if (to) sql += " AND start_date <= DATE " + quote_literal(iso_day(*to));
  if (!status.empty()) sql += " AND status = " + quote_literal(status);
  sql += " ORDER BY start_date DESC, abs(impact) DESC, anomaly_id";
  return con.query(sql, "listing anomalies");
}

void set_anomaly_status(warehouse::Connection& con, const std::string& anomaly_id,
                        const std::string& status, const std::string& note) {
  if (status != "open" && status != "acknowledged" && status != "resolved") {
    throw UsageError("status must be open, acknowledged or resolved, not '" + status + "'");
  }
  auto find = con.prepare("SELECT count(*) FROM anomalies WHERE anomaly_id = ?");
  if (find.bind(1, anomaly_id).execute().int64(0, 0) == 0) {
    throw UsageError("no anomaly with id '" + anomaly_id + "' (see `billingfoot anomalies`)");
  }
  auto up = con.prepare(
      "UPDATE anomalies SET status = ?, status_note = ?, status_changed_at = CAST(? AS TIMESTAMP) "
      "WHERE anomaly_id = ?");
  up.bind(1, status).bind(2, note).bind(3, warehouse::utc_now()).bind(4, anomaly_id).execute();
}

}  // namespace billingfoot::analysis
