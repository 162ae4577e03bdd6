// Datadog: the demo company's observability bill as Datadog's Usage Metering API returns it,
// landed the way `type: datadog_usage` lands responses (one folder per month): historical cost
// for closed months, estimated cost for the month to date (and for last month until Datadog
// closes it on the 16th), the projection of the current month (from the 12th), and hourly usage
// by product family. Costs follow from the hourly usage: hosts are billed on the month's average
// count (a commitment, with on-demand above it), logs on volume, synthetics per test run.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "app/demo/providers.hpp"

namespace billingfoot::app::demo {

namespace {

using nlohmann::ordered_json;

constexpr const char* kOrgId = "a3f9c27e51";
constexpr int kRecordsPerPage = 500;  // Datadog's page[limit] maximum

// A usage measurement of one product family, and how busy it is relative to a weekday of the
// first month (Company::activity) at each hour of the day.
struct Measure {
  const char* family;
  const char* usage_type;
  const char* workload;
  Shape shape;
  double per_hour;  // on a weekday of the first month
  bool diurnal;     // follows customer traffic over the day (hosts scale only a little)
};

const Measure kMeasures[] = {
    {"infra_hosts", "host_count", "datadog/hosts", kSteady, 202, false},
    {"infra_hosts", "apm_host_count", "datadog/apm", kSteady, 68, false},
    {"infra_hosts", "container_count", "datadog/containers", kTraffic, 940, true},
    {"logs", "ingested_events_bytes", "datadog/logs", kTraffic, 6.1e10, true},
    {"indexed_logs", "logs_indexed_events_15_day_count", "datadog/indexed", kTraffic, 2.4e6, true},
    {"synthetics_api", "check_calls_count", "datadog/synthetics", kSteady, 1800, false},
};

// How a product is priced from its month's usage.
struct Product {
  const char* name;  // charges[].product_name
  const char* usage_type;
  bool average;      // billed on the month's average per hour (hosts), else on the total
  double divisor;    // usage units per billed unit (bytes per GB, events per million, …)
  double committed;  // billed units included in the commitment (0 = pure on-demand)
  double committed_price, on_demand_price;
};

const Product kProducts[] = {
    {"infra_host", "host_count", true, 1, 180, 15.00, 18.00},
    {"apm_host", "apm_host_count", true, 1, 60, 31.00, 36.00},
    {"logs_ingested", "ingested_events_bytes", false, 1e9, 0, 0, 0.10},
    {"logs_indexed_15day", "logs_indexed_events_15_day_count", false, 1e6, 1500, 1.70, 2.04},
    {"synthetics_api_tests", "check_calls_count", false, 1e4, 0, 0, 5.00},
};

// Hour-of-day factor for traffic-driven usage: quiet at night (UTC), busy in the afternoon.
double diurnal(int hour) {
  return 1.0 + 0.35 * std::sin((hour - 9) * 3.141592653589793 / 12.0);
}

std::string hour_stamp(Day day, int hour) {
  return fmt::format("{}T{:02d}:00:00+00:00", iso_date(day), hour);
}

class DatadogDemo {
 public:
  DatadogDemo(const Company& company, std::string_view folder)
      : company_(company), folder_(folder) {}

  std::vector<GeneratedFile> generate() {
    std::vector<GeneratedFile> files;
    const Timeline& t = company_.timeline();
    for (Day month = t.first; month <= t.last; month = next_month_start(month))
      add_month(month, files);
    return files;
  }

 private:
  void add_month(Day month, std::vector<GeneratedFile>& files) {
    const Timeline& t = company_.timeline();
    std::string dir = folder_ + "/" + month_key(month) + "/";
    // Usage of the month so far, hour by hour, and its totals per usage type.
    std::vector<ordered_json> records;
    std::map<std::string, double> used;
    int hours = 0;
    for (Day d = month; d < t.data_end(month); d += std::chrono::days(1)) {
      for (int h = 0; h < 24; ++h, ++hours) {
        std::map<std::string, ordered_json> by_family;
        for (const auto& m : kMeasures) {
          double value = m.per_hour * company_.activity(m.workload, m.shape, d) *
                         (m.diurnal ? diurnal(h) : 1.0);
          double rounded = std::round(value);
          used[m.usage_type] += rounded;
          auto& record = by_family[m.family];
          if (record.is_null()) {
            record = {{"timestamp", hour_stamp(d, h)},
                      {"product_family", m.family},
                      {"org_name", Company::kName},
                      {"public_id", kOrgId},
                      {"region", "us"},
                      {"measurements", ordered_json::array()}};
          }
          record["measurements"].push_back(
              {{"usage_type", m.usage_type}, {"value", static_cast<int64_t>(rounded)}});
        }
        for (auto& [family, record] : by_family) records.push_back(std::move(record));
      }
    }

    // The month closes on the 16th of the next: until then Datadog only estimates it.
    bool closed = t.complete(month) && t.last >= next_month_start(month) + std::chrono::days(15);
    bool current = !t.complete(month);
    int month_hours = days_in_month(month) * 24;
    ordered_json charges = ordered_json::array(), projected = ordered_json::array();
    Fixed total, projected_total;
    for (const auto& p : kProducts) {
      double quantity = used[p.usage_type] / p.divisor / (p.average ? month_hours : 1);
      // Month to date: the commitment accrues with the days, usage beyond it is on demand.
      double share = static_cast<double>(hours) / month_hours;
      auto price = [&](double q, double s) {
        double committed_units = p.committed * s;
        Fixed committed = Fixed::cents(committed_units * p.committed_price);
        Fixed on_demand = Fixed::cents(std::max(0.0, q - committed_units) * p.on_demand_price);
        return std::pair{committed, on_demand};
      };
      auto [committed, on_demand] = price(quantity, share);
      add_charges(charges, p, committed, on_demand);
      total += committed + on_demand;
      if (current) {
        auto [c, o] = price(quantity / share, 1.0);  // the month at the pace so far
        add_charges(projected, p, c, o);
        projected_total += c + o;
      }
    }
    add_charges(charges, {"rum_sessions", "", false, 1, 0, 0, 0}, Fixed(),
                Fixed());  // listed, not used

    Day data_end = t.data_end(month);
    ordered_json manifest = {
        {"billing_period", month_key(month)},
        {"cost_status", closed ? "final" : "estimated"},
        {"data_end", iso_date(data_end)},
        {"fetched_at", timestamp(t.last)},
        {"product_families", {"indexed_logs", "infra_hosts", "logs", "synthetics_api"}}};
    files.push_back({dir + "manifest.json", manifest.dump(2) + "\n", 0});
    files.push_back({dir + (closed ? "historical_cost.json" : "estimated_cost.json"),
                     cost_response(month, "total_cost", total, charges),
                     static_cast<int64_t>(charges.size())});
    if (current && t.last >= month + std::chrono::days(11)) {
      files.push_back({dir + "projected_cost.json",
                       cost_response(month, "projected_total_cost", projected_total, projected),
                       static_cast<int64_t>(projected.size())});
    }
    for (size_t first = 0, page = 1; first < records.size(); first += kRecordsPerPage, ++page) {
      size_t last = std::min(records.size(), first + kRecordsPerPage);
      ordered_json data = ordered_json::array();
      for (size_t i = first; i < last; ++i) {
        data.push_back({{"type", "usage_timeseries"},
                        {"id", fmt::format("{}-{}", month_key(month), i)},
                        {"attributes", records[i]}});
      }
      ordered_json next = last < records.size()
                              ? ordered_json(fmt::format("{}:{}", month_key(month), last))
                              : ordered_json();
      ordered_json body = {{"data", data}, {"meta", {{"pagination", {{"next_record_id", next}}}}}};
      files.push_back({dir + fmt::format("hourly_usage-{:04d}.json", page), body.dump() + "\n",
                       static_cast<int64_t>(last - first)});
    }
  }

  // Datadog lists a product's committed and on-demand parts and their total.
  static void add_charges(ordered_json& charges, const Product& p, Fixed committed,
                          Fixed on_demand) {
    auto charge = [&](const char* type, Fixed cost) {
      charges.push_back({{"product_name", p.name},
                         {"charge_type", type},
                         {"cost", cost_number(cost)},
                         {"last_aggregation_function", "sum"}});
    };
    if (p.committed > 0) charge("committed", committed);
    charge("on_demand", on_demand);
    charge("total", committed + on_demand);
  }

  // A cost as a JSON number with its exact decimal text (Datadog sends plain decimals).
  static ordered_json cost_number(Fixed cost) { return ordered_json::parse(cost.text()); }

  std::string cost_response(Day month, const char* total_key, Fixed total,
                            const ordered_json& charges) const {
    ordered_json attributes = {
        {"org_name", Company::kName}, {"public_id", kOrgId},           {"region", "us"},
        {"date", timestamp(month)},   {total_key, cost_number(total)}, {"charges", charges}};
    ordered_json body = {{"data",
                          {{{"type", "cost_by_org"},
                            {"id", std::string(kOrgId) + "-" + month_key(month)},
                            {"attributes", attributes}}}}};
    return body.dump(2) + "\n";
  }

  const Company& company_;
  std::string folder_;
};

}  // namespace

std::vector<GeneratedFile> generate_datadog(const Company& company, std::string_view folder) {
  return DatadogDemo(company, folder).generate();
}

}  // namespace billingfoot::app::demo
