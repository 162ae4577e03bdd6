// Anomaly detection accuracy on labelled data. A fixed-seed generator writes daily FOCUS charges
// for a few hundred services into an in-memory warehouse: normal services with weekly rhythm,
// growth and noise; injected anomalies (spikes, level shifts, slow ramps, broken weekly
// patterns, new services); and things that must not alert (credits, refunds, tax, commitment
// purchases, late corrections, tiny noisy services). Then it runs the real pipeline
// (analysis::detect_anomalies: SQL series, exclusions, completeness, detector, grouping) and, on
// the same series, a plain rolling mean + 3σ baseline, and prints precision, recall (by count
// and by dollars) and detection delay for both. Prints numbers; asserts nothing.
//
//   build/bench/bench_anomalies [SEED]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "analysis/anomalies.hpp"
#include "analysis/cost_series.hpp"
#include "analysis/detector.hpp"
#include "app/app.hpp"
#include "warehouse/warehouse.hpp"

namespace ba = billingfoot::analysis;
namespace bc = billingfoot::config;

namespace {

constexpr int kDays = 182;        // 26 weeks from a Monday
constexpr int kFirstJudged = 84;  // anomalies are injected after 12 weeks of history
constexpr int kMatchSlack = 7;    // a detection may start up to a week after the label ends
const ba::Day kFirstDay = ba::parse_day("2024-01-01", "first day");

// Deterministic generator (SplitMix64): the same seed gives the same data on every machine.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform(double lo = 0, double hi = 1) {
    return lo + (hi - lo) * ((next() >> 11) * 0x1.0p-53);
  }
  int integer(int lo, int hi) {
    return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  double normal() {
    double u = std::max(uniform(), 1e-12), v = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * v);
  }

 private:
  uint64_t state_;
};

struct Charge {
  Charge(int day, double cost, std::string category = "Usage",
         std::string frequency = "Usage-Based", std::string charge_class = "", int days = 1)
      : day(day),
        cost(cost),
        category(std::move(category)),
        charge_class(std::move(charge_class)),
        frequency(std::move(frequency)),
        days(days) {}
  int day;
  double cost;
  std::string category;
  std::string charge_class;  // "" or Correction
  std::string frequency;
  int days;  // charge period length
};

struct Label {
  std::string type;
  int first = 0, last = 0;  // days of the labelled window
  double dollars = 0;       // injected extra cost over the window
};

struct Service {
  std::string name;
  std::string group;  // which part of the generator made it
  std::vector<Charge> charges;
  std::vector<Label> labels;  // empty: must not alert
};

// A normal service: weekday level, weekend factor, growth per month, relative noise.
std::vector<double> normal_days(Random& r, double level, double weekend, double growth,
                                double noise) {
  std::vector<double> v(kDays);
  for (int d = 0; d < kDays; ++d) {
    bool is_weekend = (d % 7) >= 5;  // day 0 is a Monday
    double trend = std::pow(1 + growth, d / 30.44);
    v[d] = level * (is_weekend ? weekend : 1.0) * trend *
           std::max(0.05, 1 + noise * std::clamp(r.normal(), -3.0, 3.0));
  }
  return v;
}

void add_usage(Service& s, const std::vector<double>& days) {
  for (int d = 0; d < kDays; ++d) {
    if (days[d] > 0) s.charges.emplace_back(d, days[d]);
  }
}

std::vector<Service> generate(uint64_t seed) {
  Random r(seed);
  std::vector<Service> out;
  int counter = 0;
  auto make = [&](const std::string& group, double level_lo, double level_hi, double noise_lo,
                  double noise_hi, double weekend_lo = 0.3, double weekend_hi = 1.0) {
    Service s;
    s.name = fmt::format("svc-{:03d}", counter++);
    s.group = group;
    double level = std::exp(r.uniform(std::log(level_lo), std::log(level_hi)));
    auto days = normal_days(r, level, r.uniform(weekend_lo, weekend_hi), r.uniform(-0.01, 0.04),
                            r.uniform(noise_lo, noise_hi));
    return std::make_pair(s, days);
  };
  auto label_extra = [](const std::vector<double>& before, const std::vector<double>& after,
                        int first, int last) {
    double extra = 0;
    for (int d = first; d <= last; ++d) extra += after[d] - before[d];
    return extra;
  };

  for (int i = 0; i < 30; ++i) {  // spikes: 1–3 days at 1.6–4×
    auto [s, days] = make("spike", 150, 5000, 0.02, 0.08);
    auto before = days;
    int first = r.integer(kFirstJudged, kDays - 10), length = r.integer(1, 3);
    double factor = r.uniform(1.6, 4);
    for (int d = first; d < first + length; ++d) days[d] *= factor;
    s.labels.push_back(
        {"spike", first, first + length - 1, label_extra(before, days, first, first + length - 1)});
    add_usage(s, days);
    out.push_back(s);
  }
  for (int i = 0; i < 30; ++i) {  // level shifts: +30–120 % from one day on
    auto [s, days] = make("level_shift", 150, 5000, 0.02, 0.08);
    auto before = days;
    int first = r.integer(kFirstJudged, kDays - 21);
    double factor = r.uniform(1.3, 2.2);
    for (int d = first; d < kDays; ++d) days[d] *= factor;
    s.labels.push_back(
        {"level_shift", first, first + 13, label_extra(before, days, first, first + 13)});
    add_usage(s, days);
    out.push_back(s);
  }
  for (int i = 0; i < 30; ++i) {  // slow ramps: +1.5–5 % a day for 20–30 days, then a plateau
    auto [s, days] = make("slow_ramp", 150, 5000, 0.02, 0.06);
    auto before = days;
    int first = r.integer(kFirstJudged, kDays - 35), length = r.integer(20, 30);
    double rate = r.uniform(0.015, 0.05);
    for (int d = first; d < kDays; ++d)
      days[d] *= std::pow(1 + rate, std::min(d - first + 1, length));
    s.labels.push_back({"slow_ramp", first, first + length - 1,
                        label_extra(before, days, first, first + length - 1)});
    add_usage(s, days);
    out.push_back(s);
  }
  for (int i = 0; i < 20; ++i) {  // broken weekly pattern: quiet weekends stop being quiet
    auto [s, days] = make("broken_seasonality", 200, 5000, 0.02, 0.06, 0.2, 0.45);
    auto before = days;
    int first = r.integer(kFirstJudged, kDays - 35);
    double weekday_level = 0;
    for (int d = first - 14; d < first; ++d) weekday_level = std::max(weekday_level, before[d]);
    for (int d = first; d < kDays; ++d) {
      if (d % 7 >= 5)
        days[d] = before[d - (d % 7 - 4)] * r.uniform(0.95, 1.05);  // like the Friday before
    }
    int first_weekend = first % 7 <= 5 ? first + 5 - first % 7 : first;
    s.labels.push_back({"broken_seasonality", first_weekend, first_weekend + 27,
                        label_extra(before, days, first, first + 27)});
    add_usage(s, days);
    out.push_back(s);
  }
  for (int i = 0; i < 20; ++i) {  // new services
    auto [s, days] = make("new_service", 150, 3000, 0.02, 0.08);
    int first = r.integer(kFirstJudged, kDays - 20);
    for (int d = 0; d < first; ++d) days[d] = 0;
    double cost = 0;
    for (int d = first; d < first + 14; ++d) cost += days[d];
    s.labels.push_back({"new_service", first, first + 13, cost});
    add_usage(s, days);
    out.push_back(s);
  }
  for (int i = 0; i < 40; ++i) {  // bookings that must not alert
    auto [s, days] = make("bookings", 150, 5000, 0.02, 0.06);
    add_usage(s, days);
    double daily = days[kFirstJudged];
    for (int month_start : {0, 31, 60, 91, 121, 152}) {  // monthly tax, billed for the month
      s.charges.emplace_back(month_start, daily * 30 * 0.07, "Tax", "Recurring", "", 28);
    }
    int d = r.integer(kFirstJudged, kDays - 5);
    switch (i % 4) {
      case 0:  // a large credit (promotion, migration program)
        s.charges.emplace_back(d, -daily * r.uniform(3, 10), "Credit", "One-Time");
        break;
      case 1:  // a commitment bought upfront
        s.charges.emplace_back(d, daily * r.uniform(10, 40), "Purchase", "One-Time");
        break;
      case 2:  // a refund
        s.charges.emplace_back(d, -daily * r.uniform(1, 4), "Adjustment", "One-Time");
        break;
      default:  // a late correction restating an earlier day upwards
        s.charges.emplace_back(d, daily * r.uniform(1, 3), "Usage", "Usage-Based", "Correction");
        break;
    }
    out.push_back(s);
  }
  for (int i = 0; i < 40; ++i) {  // tiny, noisy services: big relative jumps, a few dollars
    auto [s, days] = make("tiny", 2, 15, 0.15, 0.3);
    int d = r.integer(kFirstJudged, kDays - 3);
    days[d] *= r.uniform(2, 3.5);
    add_usage(s, days);
    out.push_back(s);
  }
  for (int i = 0; i < 30; ++i) {  // plain services
    auto [s, days] = make("normal", 150, 8000, 0.02, 0.10);
    add_usage(s, days);
    out.push_back(s);
  }
  return out;
}

void load(billingfoot::warehouse::Connection& con, const std::vector<Service>& services) {
  con.execute(
      "CREATE TEMP TABLE staged (ChargePeriodStart TIMESTAMP, ChargePeriodEnd TIMESTAMP, "
      "BilledCost DECIMAL(38,10), "
      "EffectiveCost DECIMAL(38,10), ServiceName VARCHAR, ChargeCategory VARCHAR, ChargeClass "
      "VARCHAR, "
      "ChargeFrequency VARCHAR, x_SourceName VARCHAR, x_SourceType VARCHAR, x_BillingPeriod "
      "VARCHAR, BillingCurrency VARCHAR, "
      "BillingPeriodStart TIMESTAMP, x_LoadId VARCHAR)");
  {
    auto app = con.appender("staged");
    for (const auto& s : services) {
      for (const auto& c : s.charges) {
        ba::Day start = kFirstDay + std::chrono::days(c.day);
        std::string cost = fmt::format("{:.2f}", c.cost);
        app.append(ba::iso_day(start))
            .append(ba::iso_day(start + std::chrono::days(c.days)))
            .append(cost)
            .append(cost)
            .append(s.name)
            .append(c.category);
        if (c.charge_class.empty()) {
          app.append_null();
        } else {
          app.append(c.charge_class);
        }
        app.append(c.frequency)
            .append("bench")
            .append("focus")
            .append(ba::month_key(start))
            .append("USD");
        app.append(ba::iso_day(ba::month_start(start))).append("bench-load");
        app.end_row();
      }
    }
  }
  con.execute("INSERT INTO focus_costs BY NAME SELECT * FROM staged");
}

struct Detection {
  std::string service;
  int first, last;
};

struct Score {
  double precision = 0, recall = 0, dollar_recall = 0, mean_delay = 0, median_delay = 0;
  int detections = 0, true_detections = 0, labels = 0, found = 0;
  int must_not_alert_hits = 0;  // detections on services that must not alert at all
  std::map<std::string, std::pair<int, int>> by_type;  // found, total
  std::map<std::string, int> false_by_group;           // false alerts per generator group
};

Score score(const std::vector<Service>& services, const std::vector<Detection>& detections) {
  Score sc;
  std::map<std::string, const Service*> by_name;
  for (const auto& s : services) by_name[s.name] = &s;
  auto matches = [](const Label& l, const Detection& d) {
    return d.first >= l.first && d.first <= l.last + kMatchSlack;
  };
  sc.detections = static_cast<int>(detections.size());
  for (const auto& d : detections) {
    const Service* s = by_name.at(d.service);
    bool hit = std::any_of(s->labels.begin(), s->labels.end(),
                           [&](const Label& l) { return matches(l, d); });
    sc.true_detections += hit;
    sc.must_not_alert_hits += s->labels.empty();
    if (!hit) ++sc.false_by_group[s->group];
  }
  double dollars = 0, found_dollars = 0;
  std::vector<int> delays;
  for (const auto& s : services) {
    for (const auto& l : s.labels) {
      ++sc.labels;
      dollars += l.dollars;
      auto& [found, total] = sc.by_type[l.type];
      ++total;
      int best = -1;
      for (const auto& d : detections) {
        if (d.service == s.name && matches(l, d) && (best < 0 || d.first < best)) best = d.first;
      }
      if (best < 0) continue;
      ++found;
      ++sc.found;
      found_dollars += l.dollars;
      delays.push_back(best - l.first);
    }
  }
  sc.precision = sc.detections ? static_cast<double>(sc.true_detections) / sc.detections : 0;
  sc.recall = sc.labels ? static_cast<double>(sc.found) / sc.labels : 0;
  sc.dollar_recall = dollars > 0 ? found_dollars / dollars : 0;
  if (!delays.empty()) {
    double sum = 0;
    for (int d : delays) sum += d;
    sc.mean_delay = sum / delays.size();
    std::sort(delays.begin(), delays.end());
    sc.median_delay = delays[delays.size() / 2];
  }
  return sc;
}

void print(const char* name, const Score& s) {
  std::printf("%-28s %9.3f %7.3f %9.3f %8.1f / %-4.0f %6d (%d on must-not-alert services)\n", name,
              s.precision, s.recall, s.dollar_recall, s.mean_delay, s.median_delay, s.detections,
              s.must_not_alert_hits);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20241128;
  std::vector<Service> services = generate(seed);
  auto wh =
      billingfoot::warehouse::Warehouse::open(":memory:", billingfoot::app::schema_migrations());
  auto& con = wh.connection();
  load(con, services);
  size_t rows = 0;
  for (const auto& s : services) rows += s.charges.size();

  bc::AnalysisConfig cfg;
  cfg.anomalies.dimensions = {"ServiceName"};
  cfg.anomalies.root_cause_dimensions = {};
  auto started = std::chrono::steady_clock::now();
  ba::DetectionSummary summary = ba::detect_anomalies(con, cfg, {});
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::vector<Detection> ours;
  auto stored = con.query(
      "SELECT value, date_diff('day', DATE '2024-01-01', start_date), date_diff('day', DATE "
      "'2024-01-01', end_date) "
      "FROM anomalies ORDER BY value, start_date");
  for (size_t i = 0; i < stored.row_count(); ++i) {
    ours.push_back({stored.text(i, 0), static_cast<int>(stored.int64(i, 1)),
                    static_cast<int>(stored.int64(i, 2))});
  }

  // The baseline judges the very same series (same exclusions, same days), with the same
  // grouping of flagged days into anomalies.
  ba::CostTables tables(con, {});
  ba::ChargeFilter filter;
  filter.cost = cfg.anomalies.cost;
  filter.exclude_categories = cfg.anomalies.exclude_charge_categories;
  filter.include_corrections = cfg.anomalies.include_corrections;
  ba::Day last = kFirstDay + std::chrono::days(kDays - 1);
  std::vector<Detection> baseline;
  for (const auto& [name, days] :
       ba::daily_costs(con, tables, "ServiceName", filter, kFirstDay, last)) {
    ba::DailySeries series = ba::to_series(days, kFirstDay, last);
    auto verdicts = ba::judge_rolling_mean(series, 0, kDays - 1, 28, 3.0, bc::Direction::Up);
    for (const auto& w : ba::group_windows(series, verdicts, cfg.anomalies.merge_gap_days)) {
      baseline.push_back({name, w.first, w.last});
    }
  }

  Score mine = score(services, ours), base = score(services, baseline);
  std::printf("anomaly detection accuracy: %zu services x %d days, %zu charges, seed %llu\n",
              services.size(), kDays, rows, static_cast<unsigned long long>(seed));
  std::printf("labelled anomalies: %d; services that must not alert: ", mine.labels);
  int quiet = 0;
  for (const auto& s : services) quiet += s.labels.empty();
  std::printf("%d (bookings, tiny services, plain services)\n\n", quiet);
  std::printf("%-28s %9s %7s %9s %15s %6s\n", "method", "precision", "recall", "recall($)",
              "delay mean/med", "alerts");
  print("seasonal + robust (ours)", mine);
  print("rolling mean + 3 sigma", base);
  std::printf("\nrecall by type             ours   baseline\n");
  for (const auto& [type, counts] : mine.by_type) {
    std::printf("  %-22s %2d/%-2d   %2d/%-2d\n", type.c_str(), counts.first, counts.second,
                base.by_type[type].first, base.by_type[type].second);
  }
  std::printf("\nfalse alerts by kind of service  ours   baseline\n");
  std::map<std::string, int> groups;
  for (const auto& s : services) groups[s.group] = 0;
  for (const auto& [group, unused] : groups) {
    std::printf("  %-28s %4d   %4d\n", group.c_str(), mine.false_by_group[group],
                base.false_by_group[group]);
  }
  std::printf("\ndetection over %d scopes, %d days judged: %.2f s\n", summary.scopes,
              summary.judged_days, seconds);
  bool targets = mine.precision >= 0.9 && mine.recall >= 0.8;
  bool better = mine.precision > base.precision && mine.recall > base.recall;
  std::printf(
      "targets (precision >= 0.9, recall >= 0.8): %s; better than the baseline on both: %s\n",
      targets ? "met" : "NOT met", better ? "yes" : "no");
  return 0;
}
