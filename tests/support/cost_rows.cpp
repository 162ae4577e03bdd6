#include "support/cost_rows.hpp"

#include "analysis/days.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace billingfoot::testing {

namespace {

using namespace std::chrono;

// The test data speaks the same ISO days as the analysis code.
sys_days parse(const std::string& iso) { return analysis::parse_day(iso, "test day"); }
std::string format(sys_days d) { return analysis::iso_day(d); }

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

CostRow usage(std::string day, std::string service, std::string account, std::string resource,
              std::string cost, std::string tags) {
  CostRow r;
  r.day = std::move(day);
  r.service = std::move(service);
  r.account = std::move(account);
  r.resource = std::move(resource);
  r.cost = std::move(cost);
  r.tags = std::move(tags);
  return r;
}

CostRow booking(std::string day, std::string service, std::string account, std::string resource,
                std::string cost, std::string category, std::string frequency,
                std::string charge_class, std::string end_day) {
  CostRow r = usage(std::move(day), std::move(service), std::move(account), std::move(resource),
                    std::move(cost));
  r.category = std::move(category);
  r.frequency = std::move(frequency);
  r.charge_class = std::move(charge_class);
  r.end_day = std::move(end_day);
  return r;
}

std::string add_days(const std::string& iso_day, int n) {
  return format(parse(iso_day) + days(n));
}

std::string today_utc_iso() {
  return format(analysis::today_utc());
}

int weekday_of(const std::string& iso_day) {
  return static_cast<int>(weekday(parse(iso_day)).iso_encoding()) - 1;
}

std::string steady_amount(double weekday_level, double weekend_factor, const std::string& iso_day,
                          int salt) {
  int index = static_cast<int>(parse(iso_day).time_since_epoch().count()) + 7919 * salt;
  double noise = 0.02 * std::sin(index * 12.9898) * std::cos(index * 4.1414);  // within ±2 %
  double level = weekday_of(iso_day) >= 5 ? weekday_level * weekend_factor : weekday_level;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", level * (1 + noise));
  return buf;
}

std::string focus_csv(const std::vector<CostRow>& rows) {
  std::string out =
      "BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,BilledCost,"
      "EffectiveCost,ServiceName,"
      "SubAccountId,ResourceId,ChargeCategory,ChargeClass,ChargeFrequency,Tags,BillingCurrency,"
      "ProviderName\n";
  for (const auto& r : rows) {
    std::string month = r.day.substr(0, 7) + "-01";
    std::string next_month = format(analysis::add_months(parse(month), 1));
    std::string end = r.end_day.empty() ? add_days(r.day, 1) : r.end_day;
    out += month + "T00:00:00Z," + next_month + "T00:00:00Z," + r.day + "T00:00:00Z," + end +
           "T00:00:00Z," + r.cost + "," + r.cost + "," + r.service + "," + r.account + "," +
           r.resource + "," + r.category + "," + r.charge_class + "," + r.frequency + "," +
           (r.tags.empty() ? "" : quoted(r.tags)) + ",USD," + r.provider + "\n";
  }
  return out;
}

}  // namespace billingfoot::testing
