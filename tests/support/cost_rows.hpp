#pragma once
// FOCUS CSV rows for analysis tests: daily charges with a service, account, resource and tags,
// written the way a FOCUS export delivers them, so tests go through sync like real data.
#include <string>
#include <vector>

namespace billingfoot::testing {

struct CostRow {
  std::string day;  // YYYY-MM-DD: ChargePeriodStart
  std::string service = "Compute";
  std::string account = "acct-1";
  std::string resource = "r-1";
  std::string cost;  // decimal text: BilledCost = EffectiveCost
  std::string category = "Usage";
  std::string charge_class;  // "" or Correction
  std::string frequency = "Usage-Based";
  std::string tags;     // JSON object text, "" = none
  std::string end_day;  // exclusive ChargePeriodEnd day ("" = the next day)
  std::string provider = "Acme Cloud";
};

// A usage charge of one day.
CostRow usage(std::string day, std::string service, std::string account, std::string resource,
              std::string cost, std::string tags = "");
// A charge of another category (Credit, Tax, Purchase, Adjustment, or a Usage correction).
CostRow booking(std::string day, std::string service, std::string account, std::string resource,
                std::string cost, std::string category, std::string frequency = "One-Time",
                std::string charge_class = "", std::string end_day = "");

// Header + rows (BillingPeriodStart/End = the month of `day`).
std::string focus_csv(const std::vector<CostRow>& rows);

std::string add_days(const std::string& iso_day, int days);
std::string today_utc_iso();
int weekday_of(const std::string& iso_day);  // 0 = Monday

// A steady, weekly-seasonal daily amount with small deterministic noise, 2 decimals.
std::string steady_amount(double weekday_level, double weekend_factor, const std::string& iso_day,
                          int salt = 0);

}  // namespace billingfoot::testing
