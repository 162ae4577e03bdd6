#include "app/alerting.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "app/output.hpp"
#include "common/strings.hpp"
#include "notify/dispatch.hpp"

namespace billingfoot::app {

using nlohmann::json;

std::string money(double amount, const std::string& currency) {
  return format_money(fmt::format("{:.4f}", amount)) + " " + currency;
}

namespace {

std::string signed_money(double amount, const std::string& currency) {
  return (amount >= 0 ? "+" : "") + money(amount, currency);
}

std::string threshold_text(double fraction) {
  return fmt::format("{:g}", fraction);
}

}  // namespace

namespace {

// One incident usually shows in several scopes at once (its service, account, provider, team):
// anomalies on overlapping days, in the same direction, with impacts within 20 % of the largest
// are one alert, led by the largest.
struct Incident {
  const analysis::StoredAnomaly* lead;
  std::vector<const analysis::StoredAnomaly*> also;
};

std::vector<Incident> incidents(const std::vector<analysis::StoredAnomaly>& anomalies) {
  std::vector<const analysis::StoredAnomaly*> sorted;
  for (const auto& a : anomalies) sorted.push_back(&a);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* x, const auto* y) {
    return std::abs(std::stod(x->impact)) > std::abs(std::stod(y->impact));
  });
  std::vector<Incident> out;
  for (const auto* a : sorted) {
    double impact = std::stod(a->impact);
    auto same = std::find_if(out.begin(), out.end(), [&](const Incident& i) {
      double lead = std::stod(i.lead->impact);
      return a->start_date <= i.lead->end_date && a->end_date >= i.lead->start_date &&
             (impact > 0) == (lead > 0) && std::abs(impact) >= 0.8 * std::abs(lead);
    });
    if (same != out.end()) {
      same->also.push_back(a);
    } else {
      out.push_back({a, {}});
    }
  }
  return out;
}

}  // namespace

std::vector<notify::AlertEvent> anomaly_events(
    const std::vector<analysis::StoredAnomaly>& anomalies, const std::string& currency) {
  std::vector<notify::AlertEvent> out;
  for (const auto& incident : incidents(anomalies)) {
    const analysis::StoredAnomaly& a = *incident.lead;
    double expected = std::stod(a.expected_cost), actual = std::stod(a.actual_cost),
           impact = std::stod(a.impact);
    std::string days =
        a.start_date == a.end_date ? a.start_date : a.start_date + " .. " + a.end_date;
    std::string change = std::abs(expected) > 1e-9
                             ? fmt::format(" ({:+.0f}%)", impact / expected * 100)
                             : " (new spend)";
    notify::AlertEvent e;
    e.kind = "anomaly";
    e.dedup_key = "anomaly:" + a.id;
    e.severity = a.severity;
    e.title = fmt::format("Cost anomaly: {} {} {} ({}, {})", a.dimension, a.value,
                          signed_money(impact, currency), a.kind, days);
    e.text = "Actual " + money(actual, currency) + " against " + money(expected, currency) +
             " expected" + change + ".";
    if (!a.summary.empty()) e.text += " Main driver: " + a.summary + ".";
    e.fields = {
        {"Scope", a.dimension + " = " + a.value},   {"Days", days},
        {"Expected", money(expected, currency)},    {"Actual", money(actual, currency)},
        {"Impact", signed_money(impact, currency)}, {"Severity", a.severity + " (" + a.kind + ")"}};
    if (!a.summary.empty()) e.fields.emplace_back("Main driver", a.summary);
    json related = json::array();
    std::vector<std::string> also;
    for (const auto* r : incident.also) {
      e.covers.push_back("anomaly:" + r->id);
      also.push_back(r->dimension + " " + r->value);
      related.push_back({{"anomaly_id", r->id},
                         {"dimension", r->dimension},
                         {"value", r->value},
                         {"impact", std::stod(r->impact)}});
    }
    if (!also.empty()) {
      e.text += " Also seen as " + common::join(also, ", ") + ".";
      e.fields.emplace_back("Also seen as", common::join(also, ", "));
    }
    e.link_path = "/anomalies/" + a.id;
    e.data = {
        {"anomaly_id", a.id},
        {"dimension", a.dimension},
        {"value", a.value},
        {"start_date", a.start_date},
        {"end_date", a.end_date},
        {"kind", a.kind},
        {"severity", a.severity},
        {"status", a.status},
        {"cost_metric", a.cost_metric},
        {"expected_cost", expected},
        {"actual_cost", actual},
        {"impact", impact},
        {"currency", currency},
        {"related", related},
        {"root_cause", json::parse(a.root_cause.empty() ? "null" : a.root_cause, nullptr, false)}};
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<notify::AlertEvent> budget_events(
    const std::vector<analysis::BudgetPeriodStatus>& statuses, const config::AnalysisConfig& config,
    const std::string& currency) {
  std::vector<notify::AlertEvent> out;
  for (const auto& s : statuses) {
    if (!s.current) continue;
    const config::BudgetConfig* budget = nullptr;
    for (const auto& b : config.budgets) {
      if (b.name == s.name) budget = &b;
    }
    if (!budget) continue;
    double amount = std::stod(s.amount), actual = std::stod(s.actual);
    std::string period = analysis::iso_day(s.period_start).substr(0, 7);
    json data = {{"budget", s.name},
                 {"period", s.period},
                 {"period_start", analysis::iso_day(s.period_start)},
                 {"amount", amount},
                 {"actual", actual},
                 {"forecast", s.forecast},
                 {"forecast_low", s.forecast_low},
                 {"forecast_high", s.forecast_high},
                 {"pct_used", s.pct_used},
                 {"pct_forecast", s.pct_forecast},
                 {"currency", currency}};
    auto event = [&](const std::string& kind, double fraction, const std::string& severity,
                     const std::string& title) {
      notify::AlertEvent e;
      e.kind = "budget";
      e.dedup_key = "budget:" + s.name + ":" + analysis::iso_day(s.period_start) + ":" + kind +
                    ":" + threshold_text(fraction);
      e.severity = severity;
      e.title = title;
      e.text = fmt::format(
          "{} budget {} for {}: actual {} ({:.1f}%), forecast {} ({:.1f}%, 90% interval {} .. {}).",
          s.period, s.name, period, money(actual, currency), s.pct_used,
          money(s.forecast, currency), s.pct_forecast, money(s.forecast_low, currency),
          money(s.forecast_high, currency));
      e.fields = {
          {"Budget", money(amount, currency)},
          {"Actual", fmt::format("{} ({:.1f}%)", money(actual, currency), s.pct_used)},
          {"Forecast", fmt::format("{} ({:.1f}%)", money(s.forecast, currency), s.pct_forecast)},
          {"Threshold", fmt::format("{} at {:g}%", kind, fraction * 100)}};
      e.link_path = "/budgets/" + s.name;
      e.data = data;
      e.data["threshold"] = {{"on", kind}, {"fraction", fraction}};
      out.push_back(std::move(e));
    };
    for (auto it = budget->alert_actual.rbegin(); it != budget->alert_actual.rend(); ++it) {
      if (actual < *it * amount) continue;
      event("actual", *it, *it >= 1 ? "critical" : "medium",
            fmt::format("Budget {} {}: {:.0f}% used ({} of {})", s.name, period, s.pct_used,
                        money(actual, currency), money(amount, currency)));
      break;
    }
    for (auto it = budget->alert_forecast.rbegin(); it != budget->alert_forecast.rend(); ++it) {
      if (s.forecast < *it * amount) continue;
      event("forecast", *it, "high",
            fmt::format("Budget {} {}: forecast {} is {:.0f}% of {}", s.name, period,
                        money(s.forecast, currency), s.pct_forecast, money(amount, currency)));
      break;
    }
  }
  return out;
}

bool detect_and_alert(const config::Config& cfg, warehouse::Warehouse& wh, std::ostream& out) {
  config::AnalysisConfig acfg = config::parse_analysis_config(cfg);
  auto& con = wh.connection();
  analysis::DetectionSummary d = analysis::detect_anomalies(con, acfg, {});
  out << fmt::format("anomalies  {} scopes judged{}: {} found, {} new\n", d.scopes,
                     d.complete_through ? " through " + analysis::iso_day(*d.complete_through) : "",
                     d.found, d.added);
  auto statuses = analysis::compute_budgets(con, acfg, analysis::today_utc());
  analysis::store_budget_status(con, statuses);
  int current = 0, attention = 0;
  for (const auto& s : statuses) {
    current += s.current;
    attention += s.current && s.state != "ok";
  }
  out << fmt::format("budgets    {} current, {} need attention\n", current, attention);

  std::vector<notify::AlertEvent> events =
      anomaly_events(analysis::alertable_anomalies(con, acfg.anomalies), cfg.currency);
  for (auto& e : budget_events(statuses, acfg, cfg.currency)) events.push_back(std::move(e));
  if (acfg.alerts.empty()) {
    out << "alerts     no channels configured (alerts: in " << cfg.file.filename().string()
        << ")\n";
    return true;
  }
  notify::DispatchSummary sent = notify::dispatch(con, events, acfg.alerts, out);
  out << fmt::format("alerts     {} sent, {} already sent, {} failed\n", sent.sent,
                     sent.already_sent, sent.failed);
  for (const auto& e : sent.errors)
    std::cerr << "error: " << e << " (recorded; retried on the next run)\n";
  return sent.failed == 0;
}

}  // namespace billingfoot::app
