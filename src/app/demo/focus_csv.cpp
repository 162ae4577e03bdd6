#include "app/demo/focus_csv.hpp"

#include <set>
#include <stdexcept>

#include "focus/catalogue.hpp"

namespace billingfoot::app::demo {

namespace {

struct RowView {
  const Charge& c;
  const Biller& b;
  const std::string& period_start;
  const std::string& period_end;
  const std::string& invoice_id;
};
using Cell = std::string (*)(const RowView&);

std::string opt(const std::optional<Fixed>& v) {
  return v ? v->text() : "";
}
bool has_consumed(const Charge& c) {
  return c.consumed && c.category == "Usage" && c.quantity;
}

// FOCUS 1.2 columns the demo leaves out: it has no capacity reservations and prices in the
// billing currency, so these do not apply (FOCUS makes them conditional).
const std::set<std::string_view> kNotApplicable = {"CapacityReservationId",
                                                   "CapacityReservationStatus",
                                                   "PricingCurrency",
                                                   "PricingCurrencyContractedUnitPrice",
                                                   "PricingCurrencyEffectiveCost",
                                                   "PricingCurrencyListUnitPrice"};

const std::map<std::string_view, Cell>& cells() {
  static const std::map<std::string_view, Cell> all = {
      {"AvailabilityZone", [](const RowView& r) { return r.c.resource ? r.c.resource->zone : ""; }},
      {"BilledCost", [](const RowView& r) { return r.c.billed.text(); }},
      {"BillingAccountId", [](const RowView& r) { return r.b.billing_account_id; }},
      {"BillingAccountName", [](const RowView& r) { return r.b.billing_account_name; }},
      {"BillingAccountType", [](const RowView& r) { return r.b.billing_account_type; }},
      {"BillingCurrency", [](const RowView& r) { return r.b.currency; }},
      {"BillingPeriodEnd", [](const RowView& r) { return r.period_end; }},
      {"BillingPeriodStart", [](const RowView& r) { return r.period_start; }},
      {"ChargeCategory", [](const RowView& r) { return r.c.category; }},
      {"ChargeClass", [](const RowView&) { return std::string(); }},
      {"ChargeDescription", [](const RowView& r) { return r.c.description; }},
      {"ChargeFrequency", [](const RowView& r) { return r.c.frequency; }},
      {"ChargePeriodEnd", [](const RowView& r) { return timestamp(r.c.end); }},
      {"ChargePeriodStart", [](const RowView& r) { return timestamp(r.c.start); }},
      {"CommitmentDiscountCategory",
       [](const RowView& r) { return r.c.commitment ? r.c.commitment->category : ""; }},
      {"CommitmentDiscountId",
       [](const RowView& r) { return r.c.commitment ? r.c.commitment->id : ""; }},
      {"CommitmentDiscountName",
       [](const RowView& r) { return r.c.commitment ? r.c.commitment->name : ""; }},
      {"CommitmentDiscountQuantity", [](const RowView& r) { return opt(r.c.commitment_quantity); }},
      {"CommitmentDiscountStatus", [](const RowView& r) { return r.c.commitment_status; }},
      {"CommitmentDiscountType",
       [](const RowView& r) { return r.c.commitment ? r.c.commitment->type : ""; }},
      {"CommitmentDiscountUnit",
       [](const RowView& r) {
         return r.c.commitment && r.c.commitment_quantity ? r.c.commitment->unit : "";
       }},
      {"ConsumedQuantity",
       [](const RowView& r) { return has_consumed(r.c) ? r.c.quantity->text() : ""; }},
      {"ConsumedUnit", [](const RowView& r) { return has_consumed(r.c) ? r.c.sku->unit : ""; }},
      {"ContractedCost", [](const RowView& r) { return r.c.contracted.text(); }},
      {"ContractedUnitPrice", [](const RowView& r) { return opt(r.c.contracted_unit_price); }},
      {"EffectiveCost", [](const RowView& r) { return r.c.effective.text(); }},
      {"InvoiceId", [](const RowView& r) { return r.invoice_id; }},
      {"InvoiceIssuerName", [](const RowView& r) { return r.b.invoice_issuer; }},
      {"ListCost", [](const RowView& r) { return r.c.list.text(); }},
      {"ListUnitPrice", [](const RowView& r) { return opt(r.c.list_unit_price); }},
      {"PricingCategory", [](const RowView& r) { return r.c.pricing_category; }},
      {"PricingQuantity", [](const RowView& r) { return opt(r.c.quantity); }},
      {"PricingUnit",
       [](const RowView& r) { return r.c.sku && r.c.quantity ? r.c.sku->unit : ""; }},
      {"ProviderName", [](const RowView& r) { return r.b.provider; }},
      {"PublisherName", [](const RowView& r) { return r.b.publisher; }},
      {"RegionId", [](const RowView& r) { return r.c.region ? r.c.region->id : ""; }},
      {"RegionName", [](const RowView& r) { return r.c.region ? r.c.region->name : ""; }},
      {"ResourceId", [](const RowView& r) { return r.c.resource ? r.c.resource->id : ""; }},
      {"ResourceName", [](const RowView& r) { return r.c.resource ? r.c.resource->name : ""; }},
      {"ResourceType", [](const RowView& r) { return r.c.resource ? r.c.resource->type : ""; }},
      {"ServiceCategory", [](const RowView& r) { return r.c.service->category; }},
      {"ServiceName", [](const RowView& r) { return r.c.service->name; }},
      {"ServiceSubcategory", [](const RowView& r) { return r.c.service->subcategory; }},
      {"SkuId", [](const RowView& r) { return r.c.sku ? r.c.sku->id : ""; }},
      {"SkuMeter", [](const RowView& r) { return r.c.sku ? r.c.sku->meter : ""; }},
      {"SkuPriceDetails", [](const RowView& r) { return r.c.sku ? r.c.sku->price_details : ""; }},
      {"SkuPriceId", [](const RowView& r) { return r.c.sku ? r.c.sku->price_id : ""; }},
      {"SubAccountId", [](const RowView& r) { return r.c.account ? r.c.account->id : ""; }},
      {"SubAccountName", [](const RowView& r) { return r.c.account ? r.c.account->name : ""; }},
      {"SubAccountType", [](const RowView& r) { return r.c.account ? r.b.sub_account_type : ""; }},
      {"Tags", [](const RowView& r) { return r.c.resource ? r.c.resource->tags : r.c.tags; }},
  };
  return all;
}

struct Layout {
  std::vector<Cell> cells;
  std::string header;
};

// The FOCUS 1.2 columns of the catalogue, in its order, each with the function filling it.
const Layout& layout() {
  static const Layout built = [] {
    Layout l;
    for (const auto& column : focus::columns()) {
      if (column.introduced == "1.3" || kNotApplicable.count(column.name)) continue;
      auto it = cells().find(column.name);
      if (it == cells().end())
        throw std::logic_error("demo: no value for FOCUS column " + std::string(column.name));
      l.cells.push_back(it->second);
      l.header += (l.header.empty() ? "" : ",") + std::string(column.name);
    }
    l.header += "\n";
    return l;
  }();
  return built;
}

void append_field(std::string& out, const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) {
    out += value;
    return;
  }
  out += '"';
  for (char ch : value) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

}  // namespace

FocusCsvExport::FocusCsvExport(Biller biller, std::string folder, std::string file_prefix,
                               const Timeline& timeline)
    : biller_(std::move(biller)),
      folder_(std::move(folder)),
      file_prefix_(std::move(file_prefix)),
      timeline_(timeline) {}

FocusCsvExport::Month& FocusCsvExport::month_of(Day day) {
  Day start = month_start(day);
  auto [it, added] = months_.try_emplace(month_key(start));
  Month& m = it->second;
  if (added) {
    m.period_start = timestamp(start);
    m.period_end = timestamp(next_month_start(start));
    std::string yyyymm = month_key(start);
    yyyymm.erase(4, 1);
    if (timeline_.complete(start)) m.invoice_id = biller_.invoice_prefix + yyyymm;
    m.csv = layout().header;
  }
  return m;
}

void FocusCsvExport::add(const Charge& charge) {
  Month& m = month_of(charge.start);
  RowView row{charge, biller_, m.period_start, m.period_end, m.invoice_id};
  bool first = true;
  for (Cell cell : layout().cells) {
    if (!first) m.csv += ',';
    first = false;
    append_field(m.csv, cell(row));
  }
  m.csv += '\n';
  ++m.rows;
}

std::vector<GeneratedFile> FocusCsvExport::files() const {
  std::vector<GeneratedFile> out;
  for (const auto& [key, m] : months_)
    out.push_back({folder_ + "/" + file_prefix_ + "-" + key + ".csv", m.csv, m.rows});
  return out;
}

}  // namespace billingfoot::app::demo
