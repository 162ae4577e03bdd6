#pragma once
// Writes demo charges the way AWS Data Exports delivers a CUR 2.0 report ("create new version"
// mode): per billing period several deliveries, each a Parquet snapshot of the whole month to
// date in its own folder, and a manifest per delivery listing its files:
//   <folder>/data/BILLING_PERIOD=YYYY-MM/<delivery>/<export>-00001.snappy.parquet
//   <folder>/metadata/BILLING_PERIOD=YYYY-MM/<delivery>/<export>-Manifest.json
// Deliveries are made after days 7, 14, 21 and 28 of a month and after its last day of data;
// the one after the last day of a complete month is final: it adds the invoice id.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/demo/calendar.hpp"
#include "app/demo/focus_csv.hpp"
#include "app/demo/money.hpp"

namespace billingfoot::app::demo {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// One CUR 2.0 line item with the columns the demo fills; empty text and nullopt are NULL.
struct CurLine {
  std::string line_item_type = "Usage";  // Usage, SavingsPlanCoveredUsage, RIFee, Tax, …
  Day start, end;                        // usage period, end exclusive
  std::string account_id, account_name;  // the linked (usage) account
  std::string product_code, product_name, product_family, usage_type, operation;
  std::string region_code, location, availability_zone, resource_id;
  std::optional<Fixed> usage_amount;
  std::string pricing_unit;
  std::optional<Fixed> unblended_rate;
  Fixed unblended_cost;
  std::optional<Fixed> public_on_demand_rate, public_on_demand_cost;
  std::string description, sku, rate_code, pricing_term, purchase_option, tax_type;
  std::string instance_type;
  KeyValues tags;  // resource_tags, keys as CUR writes them (user_team, aws_createdBy)
  KeyValues product_attributes;  // product map entries besides product_name
  // Savings Plan columns (covered usage, negation, recurring fee).
  std::string savings_plan_arn, savings_plan_offering_type, savings_plan_payment_option,
      savings_plan_purchase_term;
  std::optional<Fixed> savings_plan_rate, savings_plan_effective_cost, total_commitment_to_date,
      used_commitment;
  // Reserved Instance columns (discounted usage, RI fee, upfront fee).
  std::string reservation_arn;
  std::optional<Fixed> reservation_effective_cost, reservation_recurring_fee_for_usage,
      reservation_amortized_upfront_cost_for_usage,
      reservation_amortized_upfront_fee_for_billing_period,
      reservation_unused_amortized_upfront_fee_for_billing_period, reservation_unused_recurring_fee;
};

struct CurExportSpec {
  std::string folder;       // relative to the demo folder; the export's root
  std::string export_name;  // names the files and manifests
  std::string s3_root;      // s3://bucket/prefix/<export>: where AWS would have written it
  std::string export_arn;
  std::string payer_account_id, payer_account_name, invoicing_entity, legal_entity;
  std::string invoice_prefix;  // invoice ids are prefix + YYYYMM, in final deliveries only
};

class CurExport {
 public:
  CurExport(CurExportSpec spec, const Timeline& timeline, uint64_t seed);
  ~CurExport();
  CurExport(const CurExport&) = delete;
  CurExport& operator=(const CurExport&) = delete;

  // The last day of data of each delivery of the month starting at `month`, oldest first.
  std::vector<Day> delivery_days(Day month) const;

  // A line AWS first reports in the delivery after `posted`; it stays in every later delivery
  // of its billing period, the month of `posted` (a refund's usage dates may lie before it).
  void add(const CurLine& line, Day posted);
  // A line only in the delivery whose data ends on `through`: values AWS recomputes on every
  // refresh (e.g. a reservation's unused hours so far).
  void add_to_delivery(const CurLine& line, Day through);

  // Data files and manifests of every delivery, by month and delivery, each data file before
  // its manifest (AWS writes the manifest last). A data file's `rows` counts only when its
  // delivery is the newest of its month (superseded snapshots repeat those charges). Once: the
  // lines are consumed.
  std::vector<GeneratedFile> files();

 private:
  struct Store;
  void append(const CurLine& line, Day posted, std::optional<Day> only);

  CurExportSpec spec_;
  Timeline timeline_;
  uint64_t seed_;
  int64_t seq_ = 0;
  std::unique_ptr<Store> store_;
};

}  // namespace billingfoot::app::demo
