#pragma once
// A provider-neutral charge of the demo company, and the price arithmetic that keeps its
// costs consistent: ListCost = ListUnitPrice × PricingQuantity, ContractedCost the same with the
// negotiated price, ListCost ≥ ContractedCost ≥ EffectiveCost. Provider generators build
// charges; a writer turns them into the provider's export format.
#include <optional>
#include <string>

#include "app/demo/calendar.hpp"
#include "app/demo/money.hpp"

namespace billingfoot::app::demo {

// Who issues the bill: one per provider export.
struct Biller {
  std::string provider, publisher, invoice_issuer;
  std::string billing_account_id, billing_account_name, billing_account_type;
  std::string sub_account_type;
  std::string invoice_prefix;  // invoice ids are prefix + YYYYMM, for closed months only
  std::string currency = "USD";
};

struct SubAccount {
  std::string id, name;
};

struct Region {
  std::string id, name;
};

// ServiceCategory/Subcategory are FOCUS values (focus::service_categories()), one per name.
struct Service {
  std::string name, category, subcategory;
};

struct Sku {
  std::string id, price_id, meter, description;
  std::string unit;                // PricingUnit and ConsumedUnit
  Fixed list_price;                // per unit, at most 6 decimals
  std::string price_details = "";  // SkuPriceDetails JSON, "" = none
};

struct Resource {
  std::string id, name, type;
  const SubAccount* account = nullptr;
  const Region* region = nullptr;
  std::string zone;
  std::string tags;  // JSON object, "" = untagged
};

// The commitment discount (e.g. a Savings Plan) a charge relates to.
struct Commitment {
  std::string id, name, type, category, unit;
};

struct Charge {
  Day start, end;  // charge period, end exclusive; the billing period is the month of start
  std::string category = "Usage";
  std::string frequency = "Usage-Based";
  std::string pricing_category = "Standard";  // "" for tax and credits
  std::string description;
  const Service* service = nullptr;
  const SubAccount* account = nullptr;
  const Region* region = nullptr;
  const Resource* resource = nullptr;  // null when not resource-related
  const Sku* sku = nullptr;            // null for tax and credits
  std::optional<Fixed> quantity;       // PricingQuantity, in sku->unit
  bool consumed = true;                // ConsumedQuantity = quantity (usage rows)
  std::optional<Fixed> list_unit_price, contracted_unit_price;
  Fixed billed, effective, list, contracted;
  const Commitment* commitment = nullptr;
  std::string commitment_status;  // Used | Unused (usage rows with a commitment)
  std::optional<Fixed> commitment_quantity;
  std::string tags;  // for charges without a resource (a resource's charges carry its tags)
};

// Where a charge is incurred; resource is null for account-level charges (e.g. data transfer).
struct Placement {
  const SubAccount* account = nullptr;
  const Region* region = nullptr;
  const Resource* resource = nullptr;
  static Placement of(const Resource& r) { return {r.account, r.region, &r}; }
};

// One day of `quantity` units of `sku`, at the list price less `discount` (the provider's
// negotiated rate, e.g. 0.04 for an enterprise discount).
Charge usage_charge(const Service& service, const Sku& sku, const Placement& where, Day day,
                    Fixed quantity, double discount);

// A charge without SKU or prices (tax, credits) over [start, end): every cost is `amount`.
Charge flat_charge(std::string category, std::string description, const Service& service,
                   const SubAccount& account, Day start, Day end, Fixed amount);

// Tax on `taxed` (a billed amount), rounded to the cent.
Charge tax_charge(const Service& service, const SubAccount& account, Day start, Day end,
                  Fixed taxed, double rate);

}  // namespace billingfoot::app::demo
