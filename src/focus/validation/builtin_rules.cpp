#include "focus/validation/builtin_rules.hpp"

#include <array>
#include <string>

#include "focus/catalogue.hpp"

namespace billingfoot::focus::validation {

namespace {

using enum CheckFunction;

std::string q(std::string_view value) {
  return "\"" + std::string(value) + "\"";
}

Rule rule(std::string id, std::string reference, std::string keyword, std::string must_satisfy,
          Check requirement, Check condition = Check::always()) {
  Rule r;
  r.id = std::move(id);
  r.reference = std::move(reference);
  r.keyword = std::move(keyword);
  r.must_satisfy = std::move(must_satisfy);
  r.requirement = std::move(requirement);
  r.condition = std::move(condition);
  return r;
}

std::string column_rule_id(std::string_view column, std::string_view number, char level = 'M') {
  return std::string(column) + "-C-" + std::string(number) + "-" + level;
}

// Model rule numbers of each column's unconditional rules ("" = the model has none).
struct ColumnRuleIds {
  std::string_view column, type, format, not_null, allowed;
};
constexpr std::array<ColumnRuleIds, 57> kColumnRuleIds = {{
    {"AvailabilityZone", "001", "002", "", ""},
    {"BilledCost", "001", "002", "003", ""},
    {"BillingAccountId", "002", "003", "001", ""},
    {"BillingAccountName", "001", "002", "", ""},
    {"BillingAccountType", "001", "002", "", ""},
    {"BillingCurrency", "001", "002", "004", ""},
    {"BillingPeriodEnd", "001", "002", "003", ""},
    {"BillingPeriodStart", "001", "002", "003", ""},
    {"CapacityReservationId", "001", "002", "", ""},
    {"CapacityReservationStatus", "001", "", "", "006"},
    {"ChargeCategory", "001", "", "002", "003"},
    {"ChargeClass", "001", "", "", ""},
    {"ChargeDescription", "001", "002", "", ""},
    {"ChargeFrequency", "001", "", "002", "003"},
    {"ChargePeriodEnd", "001", "002", "003", ""},
    {"ChargePeriodStart", "001", "002", "003", ""},
    {"CommitmentDiscountCategory", "001", "", "", "005"},
    {"CommitmentDiscountId", "001", "002", "", ""},
    {"CommitmentDiscountName", "001", "002", "", ""},
    {"CommitmentDiscountQuantity", "001", "002", "", ""},
    {"CommitmentDiscountStatus", "001", "", "", "005"},
    {"CommitmentDiscountType", "001", "002", "", ""},
    {"CommitmentDiscountUnit", "001", "002", "", ""},
    {"ConsumedQuantity", "001", "002", "", ""},
    {"ConsumedUnit", "001", "002", "", ""},
    {"ContractedCost", "001", "002", "003", ""},
    {"ContractedUnitPrice", "002", "003", "", ""},
    {"EffectiveCost", "001", "002", "003", ""},
    {"InvoiceId", "001", "002", "", ""},
    {"InvoiceIssuerName", "001", "002", "003", ""},
    {"ListCost", "001", "002", "003", ""},
    {"ListUnitPrice", "001", "002", "", ""},
    {"PricingCategory", "001", "", "", "007"},
    {"PricingCurrency", "001", "002", "", ""},
    {"PricingCurrencyContractedUnitPrice", "001", "002", "", ""},
    {"PricingCurrencyEffectiveCost", "001", "002", "", ""},
    {"PricingCurrencyListUnitPrice", "001", "002", "", ""},
    {"PricingQuantity", "001", "002", "", ""},
    {"PricingUnit", "001", "002", "", ""},
    {"ProviderName", "001", "002", "003", ""},
    {"PublisherName", "001", "002", "003", ""},
    {"RegionId", "001", "002", "", ""},
    {"RegionName", "001", "002", "", ""},
    {"ResourceId", "001", "002", "", ""},
    {"ResourceName", "001", "002", "", ""},
    {"ResourceType", "001", "002", "", ""},
    {"ServiceCategory", "001", "", "002", "003"},
    {"ServiceName", "001", "002", "003", ""},
    {"ServiceSubcategory", "001", "", "002", "003"},
    {"SkuId", "001", "002", "", ""},
    {"SkuMeter", "001", "002", "", ""},
    {"SkuPriceDetails", "", "001", "", ""},
    {"SkuPriceId", "001", "002", "", ""},
    {"SubAccountId", "001", "002", "", ""},
    {"SubAccountName", "001", "002", "", ""},
    {"SubAccountType", "001", "002", "", ""},
    {"Tags", "", "001", "", ""},
}};

// CostAndUsage-D-NNN: presence of the Mandatory (M) and Recommended (O) columns.
struct Presence {
  std::string_view column, number;
  char level;
};
constexpr std::array<Presence, 24> kPresence = {{
    {"BillingAccountName", "005", 'M'}, {"BilledCost", "006", 'M'},
    {"ChargeCategory", "008", 'M'},     {"BillingPeriodStart", "009", 'M'},
    {"BillingPeriodEnd", "010", 'M'},   {"PublisherName", "021", 'M'},
    {"InvoiceIssuerName", "023", 'M'},  {"BillingAccountId", "024", 'M'},
    {"ChargeDescription", "025", 'M'},  {"ChargeClass", "026", 'M'},
    {"ChargeFrequency", "027", 'O'},    {"ChargePeriodEnd", "028", 'M'},
    {"ContractedCost", "030", 'M'},     {"EffectiveCost", "031", 'M'},
    {"ListCost", "032", 'M'},           {"InvoiceId", "033", 'O'},
    {"BillingCurrency", "035", 'M'},    {"PricingQuantity", "036", 'M'},
    {"ChargePeriodStart", "037", 'M'},  {"ProviderName", "038", 'M'},
    {"ServiceCategory", "040", 'M'},    {"ServiceName", "041", 'M'},
    {"ServiceSubcategory", "042", 'O'}, {"PricingUnit", "068", 'M'},
}};

// "<dependent> MUST be null when <governing> is null" and its "MUST NOT ... is not null" twin,
// with the model's applicability criterion where it has one.
struct NullTogether {
  std::string_view dependent, governing, null_number, not_null_number, criterion = "";
};
constexpr std::array<NullTogether, 14> kNullTogether = {{
    {"BillingAccountType", "BillingAccountId", "004", "005",
     "MULTIPLE_BILLING_ACCOUNT_TYPES_SUPPORTED"},
    {"CapacityReservationStatus", "CapacityReservationId", "003", ""},
    {"CommitmentDiscountCategory", "CommitmentDiscountId", "003", "004"},
    {"CommitmentDiscountName", "CommitmentDiscountId", "004", ""},
    {"CommitmentDiscountStatus", "CommitmentDiscountId", "003", ""},
    {"CommitmentDiscountType", "CommitmentDiscountId", "004", "005"},
    {"CommitmentDiscountUnit", "CommitmentDiscountQuantity", "005", "006"},
    {"ConsumedUnit", "ConsumedQuantity", "005", "006"},
    {"PricingUnit", "PricingQuantity", "005", "006"},
    {"RegionName", "RegionId", "004", "005"},
    {"ResourceType", "ResourceId", "004", "005"},
    {"SkuPriceDetails", "SkuPriceId", "004", ""},
    {"SubAccountName", "SubAccountId", "004", "005"},
    {"SubAccountType", "SubAccountId", "004", "005", "MULTIPLE_SUB_ACCOUNT_TYPES_SUPPORTED"},
}};

// Null for Tax; not null for Usage and Purchase rows that are not corrections.
struct PricedOnly {
  std::string_view column, tax_number, priced_number;
};
constexpr std::array<PricedOnly, 6> kPricedOnly = {{
    {"ContractedUnitPrice", "005", "006"},
    {"ListUnitPrice", "004", "005"},
    {"PricingCategory", "003", "004"},
    {"PricingQuantity", "004", "005"},
    {"SkuId", "004", "005"},
    {"SkuPriceId", "004", "005"},
}};

Check one_of(const std::string& column, const std::vector<std::string>& values) {
  std::vector<Check> items;
  for (const auto& v : values) items.push_back(Check::is(column, v));
  return Check::any(std::move(items));
}

void add_column_rules(std::vector<Rule>& rules) {
  for (const auto& ids : kColumnRuleIds) {
    const Column* column = find_column(ids.column);
    std::string name(ids.column);
    if (!ids.type.empty()) {
      CheckFunction type = column->type == ColumnType::Decimal    ? TypeDecimal
                           : column->type == ColumnType::DateTime ? TypeDateTime
                                                                  : TypeString;
      rules.push_back(rule(column_rule_id(name, ids.type), name, "MUST",
                           name + " MUST be of type " + std::string(type_name(column->type)) + ".",
                           Check::on(type, name)));
    }
    if (!ids.format.empty()) {
      auto [format, attribute] = [&]() -> std::pair<CheckFunction, std::string> {
        switch (column->type) {
          case ColumnType::Decimal:
            return {FormatNumeric, "NumericFormat"};
          case ColumnType::DateTime:
            return {FormatDateTime, "DateTimeFormat"};
          case ColumnType::Json:
            return {FormatKeyValue, "KeyValueFormat"};
          case ColumnType::String:
            break;
        }
        return {FormatString, "StringHandling"};
      }();
      rules.push_back(rule(column_rule_id(name, ids.format), name, "MUST",
                           name + " MUST conform to " + attribute + " requirements.",
                           Check::on(format, name)));
    }
    if (!ids.not_null.empty() && !column->nullable) {
      rules.push_back(rule(column_rule_id(name, ids.not_null), name, "MUST NOT",
                           name + " MUST NOT be null.", Check::not_null(name)));
    }
    if (!ids.allowed.empty()) {
      std::vector<std::string> values(column->allowed_values.begin(), column->allowed_values.end());
      for (const auto& category : service_categories()) {
        if (name == "ServiceCategory") values.emplace_back(category.name);
        if (name != "ServiceSubcategory") continue;
        for (auto sub : category.subcategories) values.emplace_back(sub);
        values.push_back("Other (" + std::string(category.name) + ")");
      }
      rules.push_back(rule(column_rule_id(name, ids.allowed), name, "MUST",
                           name + " MUST be one of the allowed values.", one_of(name, values)));
    }
  }
}

void add_presence_rules(std::vector<Rule>& rules) {
  for (const auto& p : kPresence) {
    std::string name(p.column);
    bool mandatory = p.level == 'M';
    rules.push_back(rule("CostAndUsage-D-" + std::string(p.number) + "-" + p.level, "CostAndUsage",
                         mandatory ? "MUST" : "RECOMMENDED",
                         name + (mandatory ? " MUST be present" : " is RECOMMENDED to be present") +
                             " in a FOCUS dataset.",
                         Check::on(ColumnPresent, name)));
  }
}

void add_nullability_rules(std::vector<Rule>& rules) {
  for (const auto& n : kNullTogether) {
    std::string dep(n.dependent), gov(n.governing);
    auto add = [&](Rule r) {
      if (!n.criterion.empty()) r.applicability.emplace_back(n.criterion);
      rules.push_back(std::move(r));
    };
    add(rule(column_rule_id(dep, n.null_number, 'C'), dep, "MUST",
             dep + " MUST be null when " + gov + " is null.", Check::is_null(dep),
             Check::is_null(gov)));
    if (n.not_null_number.empty()) continue;
    add(rule(column_rule_id(dep, n.not_null_number, 'C'), dep, "MUST NOT",
             dep + " MUST NOT be null when " + gov + " is not null.", Check::not_null(dep),
             Check::not_null(gov)));
  }
  const Check priced = Check::all(
      {Check::any({Check::is("ChargeCategory", "Usage"), Check::is("ChargeCategory", "Purchase")}),
       Check::is_not("ChargeClass", "Correction")});
  for (const auto& p : kPricedOnly) {
    std::string name(p.column);
    rules.push_back(rule(column_rule_id(name, p.tax_number, 'C'), name, "MUST",
                         name + " MUST be null when ChargeCategory is " + q("Tax") + ".",
                         Check::is_null(name), Check::is("ChargeCategory", "Tax")));
    rules.push_back(rule(column_rule_id(name, p.priced_number, 'C'), name, "MUST NOT",
                         name + " MUST NOT be null when ChargeCategory is " + q("Usage") + " or " +
                             q("Purchase") + " and ChargeClass is not " + q("Correction") + ".",
                         Check::not_null(name), priced));
  }
  // Required on usage rows of a commitment / capacity reservation (the model's spelling kept).
  const Check usage = Check::is("ChargeCategory", "Usage");
  rules.push_back(rule(
      "CommitmentDiscountStatus-C-004-C", "CommitmentDiscountStatus", "MUST NOT",
      "CommitmentDiscountStatus MUST NOT be null when CommitmentDiscountId is not null and Charge "
      "Category is \"Usage\".",
      Check::not_null("CommitmentDiscountStatus"),
      Check::all({Check::not_null("CommitmentDiscountId"), usage})));
  rules.push_back(
      rule("CapacityReservationStatus-C-004-C", "CapacityReservationStatus", "MUST NOT",
           "CapacityReservationStatus MUST NOT be null when CapacityReservationId is not null and "
           "ChargeCategory is \"Usage\".",
           Check::not_null("CapacityReservationStatus"),
           Check::all({Check::not_null("CapacityReservationId"), usage})));
  rules.push_back(rule("ChargeDescription-C-003-O", "ChargeDescription", "SHOULD NOT",
                       "ChargeDescription SHOULD NOT be null.",
                       Check::not_null("ChargeDescription")));
}

void add_value_rules(std::vector<Rule>& rules) {
  rules.push_back(rule("ChargeClass-C-005-C", "ChargeClass", "MUST",
                       "ChargeClass MUST be \"Correction\" when ChargeClass is not null.",
                       Check::is("ChargeClass", "Correction"), Check::not_null("ChargeClass")));
  rules.push_back(rule(
      "ChargeFrequency-C-004-C", "ChargeFrequency", "MUST NOT",
      "ChargeFrequency MUST NOT be \"Usage-Based\" when ChargeCategory is \"Purchase\".",
      Check::is_not("ChargeFrequency", "Usage-Based"), Check::is("ChargeCategory", "Purchase")));
  rules.push_back(rule("BillingCurrency-C-003-M", "BillingCurrency", "MUST",
                       "BillingCurrency MUST conform to CurrencyFormat requirements.",
                       Check::on(FormatCurrency, "BillingCurrency")));
  rules.push_back(rule("BillingCurrency-C-006-M", "BillingCurrency", "MUST",
                       "BillingCurrency MUST be expressed in national currency (e.g., USD, EUR).",
                       Check::on(CheckNationalCurrency, "BillingCurrency")));
  rules.push_back(rule("PricingCurrency-C-003-M", "PricingCurrency", "MUST",
                       "PricingCurrency MUST conform to CurrencyFormat requirements.",
                       Check::on(FormatCurrency, "PricingCurrency")));
  rules.push_back(rule("PricingCurrencyEffectiveCost-C-004-M", "PricingCurrencyEffectiveCost",
                       "MUST", "PricingCurrencyEffectiveCost MUST be a valid decimal value.",
                       Check::on(CheckDecimalValue, "PricingCurrencyEffectiveCost")));
  std::vector<Check> pairs;
  for (const auto& category : service_categories()) {
    std::string cat(category.name);
    auto pair = [&cat](const std::string& sub) {
      return Check::all({Check::is("ServiceSubcategory", sub), Check::is("ServiceCategory", cat)});
    };
    for (auto sub : category.subcategories) pairs.push_back(pair(std::string(sub)));
    pairs.push_back(pair("Other (" + cat + ")"));
  }
  rules.push_back(rule(
      "ServiceSubcategory-C-004-M", "ServiceSubcategory", "MUST",
      "ServiceSubcategory MUST have one and only one parent ServiceCategory as specified in the "
      "allowed values below.",
      Check::any(std::move(pairs))));
}

// Requirements the model leaves Dynamic although SQL can check them.
void add_dynamic_rules(std::vector<Rule>& rules) {
  rules.push_back(
      rule("ChargePeriodEnd-C-004-M", "ChargePeriodEnd", "MUST",
           "ChargePeriodEnd MUST be the exclusive end bound of the effective period of the charge.",
           Check::columns(CheckGreaterThanColumn, "ChargePeriodEnd", "ChargePeriodStart")));
  rules.push_back(
      rule("BillingPeriodEnd-C-004-M", "BillingPeriodEnd", "MUST",
           "BillingPeriodEnd MUST be the exclusive end bound of the billing period.",
           Check::columns(CheckGreaterThanColumn, "BillingPeriodEnd", "BillingPeriodStart")));
  rules.push_back(rule(
      "ColumnHandling-A-010-M", "ColumnHandling", "MUST",
      "Custom columns MUST be prefixed with a consistent x_ prefix to identify them as external, "
      "custom columns and distinguish them from FOCUS columns to avoid conflicts in future "
      "releases.",
      Check::on(CheckCustomColumnsPrefix, "")));
}

}  // namespace

const RuleSet& builtin_rules() {
  static const RuleSet set = [] {
    RuleSet s;
    s.name = "FOCUS 1.2 (built-in)";
    add_presence_rules(s.rules);
    add_dynamic_rules(s.rules);
    add_column_rules(s.rules);
    add_nullability_rules(s.rules);
    add_value_rules(s.rules);
    for (const auto& c : columns()) s.focus_columns.emplace_back(c.name);
    return s;
  }();
  return set;
}

bool known_model_defect(std::string_view rule_id) {
  // Status: C-003 encodes "not null" for "MUST be null", C-004 tests Id null instead of not null,
  // C-005 lists Active/Expired/Pending instead of Used/Unused. PricingCurrencyEffectiveCost
  // C-004 checks PricingCurrencyListUnitPrice >= 0 instead of a valid decimal.
  for (std::string_view id :
       {"CommitmentDiscountStatus-C-003-C", "CommitmentDiscountStatus-C-004-C",
        "CommitmentDiscountStatus-C-005-M", "PricingCurrencyEffectiveCost-C-004-M"}) {
    if (id == rule_id) return true;
  }
  return false;
}

}  // namespace billingfoot::focus::validation
