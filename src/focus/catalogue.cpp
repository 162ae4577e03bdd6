#include "focus/catalogue.hpp"

#include <set>

#include "common/strings.hpp"

namespace billingfoot::focus {

namespace {
constexpr auto S = ColumnType::String;
constexpr auto D = ColumnType::Decimal;
constexpr auto T = ColumnType::DateTime;
constexpr auto J = ColumnType::Json;
constexpr auto M = FeatureLevel::Mandatory;
constexpr auto C = FeatureLevel::Conditional;
constexpr auto R = FeatureLevel::Recommended;
constexpr bool NULLABLE = true;
constexpr bool NOT_NULL = false;
}  // namespace

const std::vector<Column>& columns() {
  static const std::vector<Column> all = {
      {"AvailabilityZone", S, R, NULLABLE, "1.0", "Provider-assigned zone within a region; null when the charge is not zone-specific", {}},
      {"BilledCost", D, M, NOT_NULL, "1.0", "Cost that is the basis for invoicing: discounts applied, no amortization", {}},
      {"BillingAccountId", S, M, NOT_NULL, "1.0", "Account that receives the invoice", {}},
      {"BillingAccountName", S, M, NULLABLE, "1.0", "Display name of the billing account", {}},
      {"BillingAccountType", S, C, NOT_NULL, "1.2", "Provider's readable name for the billing account type", {}},
      {"BillingCurrency", S, M, NOT_NULL, "1.0", "Currency of the invoice (ISO 4217)", {}},
      {"BillingPeriodEnd", T, M, NOT_NULL, "1.0", "Exclusive end of the billing period", {}},
      {"BillingPeriodStart", T, M, NOT_NULL, "1.0", "Inclusive start of the billing period", {}},
      {"CapacityReservationId", S, C, NULLABLE, "1.1", "Capacity reservation the charge relates to", {}},
      {"CapacityReservationStatus", S, C, NULLABLE, "1.1", "Whether reserved capacity was used", {"Used", "Unused"}},
      {"ChargeCategory", S, M, NOT_NULL, "1.0", "Top-level nature of the charge", {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}},
      {"ChargeClass", S, M, NULLABLE, "1.0", "Set to Correction only on corrections of a previously invoiced period", {"Correction"}},
      {"ChargeDescription", S, M, NULLABLE, "1.0", "Self-contained summary of the charge", {}},
      {"ChargeFrequency", S, R, NOT_NULL, "1.0", "How often the charge recurs", {"One-Time", "Recurring", "Usage-Based"}},
      {"ChargePeriodEnd", T, M, NOT_NULL, "1.0", "Exclusive end of the period the charge covers", {}},
      {"ChargePeriodStart", T, M, NOT_NULL, "1.0", "Inclusive start of the period the charge covers", {}},
      {"CommitmentDiscountCategory", S, C, NULLABLE, "1.0", "Whether the commitment is spend- or usage-based", {"Spend", "Usage"}},
      {"CommitmentDiscountId", S, C, NULLABLE, "1.0", "Commitment discount the charge relates to", {}},
      {"CommitmentDiscountName", S, C, NULLABLE, "1.0", "Display name of the commitment discount", {}},
      {"CommitmentDiscountQuantity", D, C, NULLABLE, "1.1", "Amount of the commitment purchased or consumed", {}},
      {"CommitmentDiscountStatus", S, C, NULLABLE, "1.0", "Whether the commitment was used or left unused", {"Used", "Unused"}},
      {"CommitmentDiscountType", S, C, NULLABLE, "1.0", "Provider's readable commitment discount type", {}},
      {"CommitmentDiscountUnit", S, C, NULLABLE, "1.1", "Unit of CommitmentDiscountQuantity", {}},
      {"ConsumedQuantity", D, C, NULLABLE, "1.0", "Volume of a metered SKU consumed", {}},
      {"ConsumedUnit", S, C, NULLABLE, "1.0", "Unit of ConsumedQuantity", {}},
      {"ContractedCost", D, M, NOT_NULL, "1.0", "ContractedUnitPrice x PricingQuantity", {}},
      {"ContractedUnitPrice", D, C, NULLABLE, "1.0", "Negotiated unit price, excluding commitment discounts", {}},
      {"EffectiveCost", D, M, NOT_NULL, "1.0", "Amortized cost including the share of commitment purchases", {}},
      {"InvoiceId", S, R, NULLABLE, "1.2", "Invoice or provisional invoice the charge belongs to", {}},
      {"InvoiceIssuerName", S, M, NOT_NULL, "1.0", "Entity that issues the invoice", {}},
      {"ListCost", D, M, NOT_NULL, "1.0", "ListUnitPrice x PricingQuantity", {}},
      {"ListUnitPrice", D, C, NULLABLE, "1.0", "Public price per pricing unit", {}},
      {"PricingCategory", S, C, NULLABLE, "1.0", "Pricing model of the charge", {"Standard", "Dynamic", "Committed", "Other"}},
      {"PricingCurrency", S, C, NULLABLE, "1.2", "Currency of the price, national or virtual", {}},
      {"PricingCurrencyContractedUnitPrice", D, C, NULLABLE, "1.2", "Contracted unit price in PricingCurrency", {}},
      {"PricingCurrencyEffectiveCost", D, C, NULLABLE, "1.2", "EffectiveCost in PricingCurrency", {}},
      {"PricingCurrencyListUnitPrice", D, C, NULLABLE, "1.2", "List unit price in PricingCurrency", {}},
      {"PricingQuantity", D, M, NULLABLE, "1.0", "Volume priced, in PricingUnit", {}},
      {"PricingUnit", S, M, NULLABLE, "1.0", "Unit of PricingQuantity, as in the price list", {}},
      {"ProviderName", S, M, NOT_NULL, "1.0", "Who makes the service available (deprecated in 1.3)", {}},
      {"PublisherName", S, M, NOT_NULL, "1.0", "Who produced the service (deprecated in 1.3)", {}},
      {"RegionId", S, C, NULLABLE, "1.0", "Provider-assigned region identifier", {}},
      {"RegionName", S, C, NULLABLE, "1.0", "Display name of the region", {}},
      {"ResourceId", S, C, NULLABLE, "1.0", "Identifier of the resource charged for", {}},
      {"ResourceName", S, C, NULLABLE, "1.0", "Display name of the resource", {}},
      {"ResourceType", S, C, NULLABLE, "1.0", "Kind of resource", {}},
      {"ServiceCategory", S, M, NOT_NULL, "1.0", "Highest-level classification of the service", {}},
      {"ServiceName", S, M, NOT_NULL, "1.0", "Display name of the service offering", {}},
      {"ServiceSubcategory", S, R, NOT_NULL, "1.1", "Child classification of ServiceCategory", {}},
      {"SkuId", S, C, NULLABLE, "1.0", "Identifier of the SKU, stable across accounts", {}},
      {"SkuMeter", S, C, NULLABLE, "1.1", "Functionality being metered, e.g. Data Transfer", {}},
      {"SkuPriceDetails", J, C, NULLABLE, "1.1", "Properties of the SKU price as key-value JSON", {}},
      {"SkuPriceId", S, C, NULLABLE, "1.0", "Identifier of the SKU price", {}},
      {"SubAccountId", S, C, NULLABLE, "1.0", "Sub account (project, subscription, linked account)", {}},
      {"SubAccountName", S, C, NULLABLE, "1.0", "Display name of the sub account", {}},
      {"SubAccountType", S, C, NULLABLE, "1.2", "Provider's readable sub account type", {}},
      {"Tags", J, C, NULLABLE, "1.0", "Finalized user and provider tags as a JSON object", {}},
      // FOCUS 1.3 Cost and Usage additions.
      {"ServiceProviderName", S, M, NULLABLE, "1.3", "Who makes the service available; replaces ProviderName", {}},
      {"HostProviderName", S, M, NULLABLE, "1.3", "Whose infrastructure hosts the service", {}},
      {"AllocatedMethodId", S, C, NULLABLE, "1.3", "Method used to split the cost of the origin charge", {}},
      {"AllocatedMethodDetails", J, R, NULLABLE, "1.3", "Split ratios and usage elements of the allocation as JSON", {}},
      {"AllocatedResourceId", S, C, NULLABLE, "1.3", "Resource the cost was allocated to", {}},
      {"AllocatedResourceName", S, C, NULLABLE, "1.3", "Display name of AllocatedResourceId", {}},
      {"AllocatedTags", J, C, NULLABLE, "1.3", "Tags of the allocated resource not already in Tags", {}},
      {"ContractApplied", J, C, NULLABLE, "1.3", "Contract commitments applied to the charge as JSON", {}},
  };
  return all;
}

const Column* find_column(std::string_view name) {
  for (const auto& c : columns()) {
    if (common::iequals(c.name, name)) return &c;
  }
  return nullptr;
}

const std::vector<ExtraColumn>& billingfoot_columns() {
  static const std::vector<ExtraColumn> extras = {
      {"x_SourceName", "VARCHAR", "Name of the billingfoot source (billingfoot.yaml) the row was loaded from"},
      {"x_SourceType", "VARCHAR", "Type of that source, e.g. focus, aws_data_exports"},
      {"x_LoadId", "VARCHAR", "Load that wrote the row (see table loads)"},
      {"x_BillingPeriod", "VARCHAR", "Billing period YYYY-MM the row was loaded as; with x_SourceName the unit of atomic replacement"},
  };
  return extras;
}

std::string_view sql_type(ColumnType type) {
  switch (type) {
    case ColumnType::String:
      return "VARCHAR";
    case ColumnType::Decimal:
      return "DECIMAL(38,10)";
    case ColumnType::DateTime:
      return "TIMESTAMP";
    case ColumnType::Json:
      return "JSON";
  }
  return "VARCHAR";
}

std::string_view type_name(ColumnType type) {
  switch (type) {
    case ColumnType::String:
      return "String";
    case ColumnType::Decimal:
      return "Decimal";
    case ColumnType::DateTime:
      return "Date/Time";
    case ColumnType::Json:
      return "JSON";
  }
  return "String";
}

std::string_view level_name(FeatureLevel level) {
  switch (level) {
    case FeatureLevel::Mandatory:
      return "Mandatory";
    case FeatureLevel::Conditional:
      return "Conditional";
    case FeatureLevel::Recommended:
      return "Recommended";
  }
  return "Conditional";
}

const std::vector<ServiceCategory>& service_categories() {
  static const std::vector<ServiceCategory> all = {
      {"AI and Machine Learning", {"AI Platforms", "Bots", "Generative AI", "Machine Learning", "Natural Language Processing"}},
      {"Analytics", {"Analytics Platforms", "Business Intelligence", "Data Processing", "Search", "Streaming Analytics"}},
      {"Business Applications", {"Productivity and Collaboration"}},
      {"Compute", {"Containers", "End User Computing", "Quantum Compute", "Serverless Compute", "Virtual Machines"}},
      {"Databases", {"Caching", "Data Warehouses", "Ledger Databases", "NoSQL Databases", "Relational Databases", "Time Series Databases"}},
      {"Developer Tools", {"Developer Platforms", "Continuous Integration and Deployment", "Development Environments", "Source Code Management", "Quality Assurance"}},
      {"Identity", {"Identity and Access Management"}},
      {"Integration", {"API Management", "Messaging", "Workflow Orchestration"}},
      {"Internet of Things", {"IoT Analytics", "IoT Platforms"}},
      {"Management and Governance", {"Architecture", "Compliance", "Cost Management", "Data Governance", "Disaster Recovery", "Endpoint Management", "Observability", "Support"}},
      {"Media", {"Content Creation", "Gaming", "Media Streaming", "Mixed Reality"}},
      {"Migration", {"Data Migration", "Resource Migration"}},
      {"Mobile", {}},
      {"Multicloud", {"Multicloud Integration"}},
      {"Networking", {"Application Networking", "Content Delivery", "Network Connectivity", "Network Infrastructure", "Network Routing", "Network Security"}},
      {"Security", {"Secret Management", "Security Posture Management", "Threat Detection and Response"}},
      {"Storage", {"Backup Storage", "Block Storage", "File Storage", "Object Storage", "Storage Platforms"}},
      {"Web", {"Application Platforms"}},
      {"Other", {}},
  };
  return all;
}

bool repeats_within_row_group(std::string_view name) {
  // Names of providers, accounts, services, regions, commitments and units, categories and
  // currencies: a bill has tens to thousands of each, so a row group of 122,880 rows repeats
  // them. Not ids and names of resources, SKUs, descriptions or tags, which can be unique per row.
  static const std::set<std::string_view, std::less<>> names = {
      "AvailabilityZone", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
      "CapacityReservationStatus", "ChargeCategory", "ChargeClass", "ChargeFrequency", "CommitmentDiscountCategory",
      "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
      "CommitmentDiscountUnit", "ConsumedUnit", "HostProviderName", "InvoiceId", "InvoiceIssuerName",
      "PricingCategory", "PricingCurrency", "PricingUnit", "ProviderName", "PublisherName", "RegionId",
      "RegionName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceProviderName", "ServiceSubcategory",
      "SkuMeter", "SubAccountId", "SubAccountName", "SubAccountType", "x_BillingPeriod", "x_LoadId",
      "x_SourceName", "x_SourceType"};
  return names.count(name) > 0;
}

std::string focus_costs_ddl(std::string_view table_name) {
  // Columns stay nullable in storage: conformance problems in delivered data are reported by
  // `validate`, not turned into load failures. Only what partitioning and money totals depend
  // on is enforced.
  // Columns whose values repeat are stored dictionary-compressed, which DuckDB would choose for
  // them anyway; named, DuckDB skips trying its other string compressions on every row group it
  // writes (a load writes 6-8 % faster). A column of unique values would grow and slow down
  // stored that way, so only these are named.
  auto compression = [](std::string_view name) {
    return repeats_within_row_group(name) ? std::string(" USING COMPRESSION dictionary") : std::string();
  };
  std::string ddl = "CREATE TABLE IF NOT EXISTS " + common::quote_ident(table_name) + " (\n";
  for (const auto& c : columns()) {
    ddl += "  " + std::string(c.name) + " " + std::string(sql_type(c.type)) + compression(c.name);
    if (c.name == "BilledCost" || c.name == "BillingPeriodStart") ddl += " NOT NULL";
    ddl += ",\n";
  }
  const auto& extras = billingfoot_columns();
  for (size_t i = 0; i < extras.size(); ++i) {
    ddl += "  " + std::string(extras[i].name) + " " + std::string(extras[i].sql_type) + compression(extras[i].name) +
           " NOT NULL";
    ddl += i + 1 < extras.size() ? ",\n" : "\n";
  }
  ddl += ")";
  return ddl;
}

}  // namespace billingfoot::focus
