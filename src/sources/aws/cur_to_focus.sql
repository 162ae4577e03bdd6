-- AWS Cost and Usage Report (CUR 2.0, and legacy CUR renamed to CUR 2.0 names) → FOCUS rows.
--
-- Input `aws_cur_input`: one delivery of one billing period, every column below as text,
-- cleaned once by the loader as bf_text cleans it (trimmed; empty, whitespace-only and missing
-- optional columns are NULL), so the mapping uses it as it is; except the `timestamp` ones, which arrive as TIMESTAMP
-- (naive UTC, converted by the loader: typed Parquet columns directly, text with
-- bf_timestamp), the `decimal` ones as DECIMAL(38,10) converted once by the loader (as
-- bf_decimal converts their text; NULL when missing or no number) plus <name>__text, read through
-- bf_cur_money(<name>, <name>__text) so that text that is no number fails the load where it is
-- used, `resource_tags` as MAP(VARCHAR, VARCHAR) with the keys as delivered, and
-- bf_file naming the file of each row. The loader reads the `-- input:` lines
-- to know which columns to provide; `required` ones must be in every file.
--
-- input: bill_billing_period_start_date timestamp required
-- input: bill_billing_period_end_date timestamp required
-- input: bill_payer_account_id required
-- input: bill_payer_account_name
-- input: bill_invoice_id
-- input: bill_invoicing_entity
-- input: bill_billing_entity
-- input: identity_line_item_id
-- input: line_item_line_item_type required
-- input: line_item_usage_start_date timestamp required
-- input: line_item_usage_end_date timestamp required
-- input: line_item_usage_account_id required
-- input: line_item_usage_account_name
-- input: line_item_product_code required
-- input: line_item_usage_type
-- input: line_item_operation
-- input: line_item_availability_zone
-- input: line_item_resource_id
-- input: line_item_usage_amount decimal
-- input: line_item_currency_code required
-- input: line_item_unblended_rate decimal
-- input: line_item_unblended_cost decimal required
-- input: line_item_net_unblended_rate decimal
-- input: line_item_net_unblended_cost decimal
-- input: line_item_line_item_description
-- input: line_item_tax_type
-- input: line_item_legal_entity
-- input: pricing_public_on_demand_cost decimal
-- input: pricing_public_on_demand_rate decimal
-- input: pricing_rate_code
-- input: pricing_rate_id
-- input: pricing_term
-- input: pricing_purchase_option
-- input: pricing_unit
-- input: product_product_name
-- input: product_product_family
-- input: product_region_code
-- input: product_region
-- input: product_location
-- input: product_sku
-- input: reservation_reservation_arn
-- input: reservation_effective_cost decimal
-- input: reservation_amortized_upfront_fee_for_billing_period decimal
-- input: reservation_unused_amortized_upfront_fee_for_billing_period decimal
-- input: reservation_unused_recurring_fee decimal
-- input: savings_plan_savings_plan_arn
-- input: savings_plan_savings_plan_effective_cost decimal
-- input: savings_plan_total_commitment_to_date decimal
-- input: savings_plan_used_commitment decimal
--
-- Cost rules (FOCUS 1.2 amortization; line item types as AWS names them):
--   BilledCost     what the invoice charges: net unblended cost when delivered, else unblended.
--                  SavingsPlanCoveredUsage bills 0: its on-demand cost is cancelled by a
--                  SavingsPlanNegation row, so negations are dropped; if covered and negation
--                  rows of an account do not cancel exactly, the remainder becomes one
--                  Adjustment row so that Σ BilledCost always equals Σ unblended cost.
--   EffectiveCost  amortized: covered usage carries its Savings Plan / Reserved Instance
--                  effective cost; commitment fees (recurring and upfront) carry 0; the part of
--                  a commitment not used in the period becomes an extra "Unused" Usage row per
--                  commitment, so per CommitmentDiscountId Σ Usage EffectiveCost equals the
--                  commitment's cost for the period.
--   ListCost       public on-demand cost; Tax, Credit, Refund and rows without a public price
--                  list at what they bill.
-- The mapping is a chain of temporary views, which DuckDB expands where they are used (never
-- stored: stored, each would hold every row of the month, gigabytes for a large payer). It ends
-- in two parts the loader inserts into focus_costs in order, each in one streaming pass:
--   aws_cur_added       the few rows the mapping adds (unused commitment, negation remainders);
--   aws_cur_line_items  one row per line item.
-- The few rows go first: rows inserted after a large parallel insert are appended to the last
-- row group it wrote, which DuckDB then compresses a second time. aws_staging is both parts.
-- The file is read three times: once for all line items, twice more with filters DuckDB pushes
-- into the scan (commitment fee rows for `unused`, Savings Plan rows for `negation_remainder`),
-- which touch a few percent of the rows. Tags and the Name tag come from bf_cur_tags_json /
-- bf_cur_name_tag, C++ functions (cur_tags.cpp) that read a row's map once. Macros:
-- ../macros.sql and macros.sql here.
CREATE OR REPLACE TEMP VIEW aws_cur_rows AS (
  SELECT
    *,
    line_item_line_item_type AS item_type,
    coalesce(bf_cur_money(line_item_net_unblended_cost, line_item_net_unblended_cost__text),
             bf_cur_money(line_item_unblended_cost, line_item_unblended_cost__text)) AS cost,
    coalesce(savings_plan_savings_plan_arn, reservation_reservation_arn) AS commitment_arn,
    savings_plan_savings_plan_arn IS NOT NULL AS is_savings_plan,
    bill_billing_period_start_date AS period_start,
    bill_billing_period_end_date AS period_end,
    line_item_usage_start_date AS usage_start,
    line_item_usage_end_date AS usage_end
  FROM aws_cur_input
);
CREATE OR REPLACE TEMP VIEW aws_cur_charges AS (
  SELECT
    *,
    CASE
      WHEN item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage') THEN 'Usage'
      WHEN item_type IN ('BundledDiscount', 'Discount', 'EdpDiscount', 'PrivateRateDiscount', 'SppDiscount',
                         'DistributorDiscount') THEN 'Usage'
      WHEN item_type IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee', 'Fee') THEN 'Purchase'
      WHEN item_type = 'Tax' THEN 'Tax'
      WHEN item_type = 'Credit' THEN 'Credit'
      WHEN item_type = 'Refund' AND line_item_tax_type IS NOT NULL THEN 'Tax'
      WHEN item_type = 'Refund' AND commitment_arn IS NOT NULL THEN 'Purchase'
      WHEN item_type = 'Refund' THEN 'Usage'
      ELSE 'Adjustment'
    END AS charge_category,
    item_type IN ('DiscountedUsage', 'SavingsPlanCoveredUsage') AS is_covered,
    item_type IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee')
      OR (item_type = 'Fee' AND commitment_arn IS NOT NULL) AS is_commitment_fee
  FROM aws_cur_rows
  WHERE item_type IS DISTINCT FROM 'SavingsPlanNegation'
);
CREATE OR REPLACE TEMP VIEW aws_cur_focus AS (
  SELECT
    line_item_availability_zone AS AvailabilityZone,
    CASE WHEN item_type = 'SavingsPlanCoveredUsage' THEN CAST(0 AS DECIMAL(38,10)) ELSE cost END AS BilledCost,
    bill_payer_account_id AS BillingAccountId,
    -- Legacy CUR has no account names: the id stands in, so the name is never missing.
    coalesce(bill_payer_account_name, bill_payer_account_id) AS BillingAccountName,
    line_item_currency_code AS BillingCurrency,
    period_end AS BillingPeriodEnd,
    period_start AS BillingPeriodStart,
    CASE WHEN item_type IN ('Refund', 'Credit') AND usage_start < period_start THEN 'Correction' END AS ChargeClass,
    charge_category AS ChargeCategory,
    line_item_line_item_description AS ChargeDescription,
    CASE
      WHEN charge_category = 'Usage' THEN 'Usage-Based'
      WHEN item_type IN ('SavingsPlanRecurringFee', 'RIFee') THEN 'Recurring'
      ELSE 'One-Time'
    END AS ChargeFrequency,
    usage_end AS ChargePeriodEnd,
    usage_start AS ChargePeriodStart,
    CASE WHEN commitment_arn IS NOT NULL AND (is_covered OR is_commitment_fee)
         THEN CASE WHEN is_savings_plan THEN 'Spend' ELSE 'Usage' END END AS CommitmentDiscountCategory,
    CASE WHEN is_covered OR is_commitment_fee THEN commitment_arn END AS CommitmentDiscountId,
    CASE WHEN is_covered OR is_commitment_fee THEN regexp_extract(commitment_arn, '[^/:]+$') END AS CommitmentDiscountName,
    CASE WHEN is_covered AND is_savings_plan
         THEN bf_cur_money(savings_plan_savings_plan_effective_cost, savings_plan_savings_plan_effective_cost__text)
         WHEN is_covered THEN bf_cur_money(line_item_usage_amount, line_item_usage_amount__text) END AS CommitmentDiscountQuantity,
    CASE WHEN is_covered THEN 'Used' END AS CommitmentDiscountStatus,
    CASE WHEN commitment_arn IS NOT NULL AND (is_covered OR is_commitment_fee)
         THEN CASE WHEN is_savings_plan THEN 'Savings Plan' ELSE 'Reserved Instance' END END AS CommitmentDiscountType,
    CASE WHEN is_covered AND is_savings_plan THEN line_item_currency_code
         WHEN is_covered THEN pricing_unit END AS CommitmentDiscountUnit,
    CASE WHEN charge_category = 'Usage' AND item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
         THEN bf_cur_money(line_item_usage_amount, line_item_usage_amount__text) END AS ConsumedQuantity,
    CASE WHEN charge_category = 'Usage' AND item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
         THEN pricing_unit END AS ConsumedUnit,
    CASE
      WHEN item_type = 'DiscountedUsage'
        THEN coalesce(bf_cur_money(pricing_public_on_demand_cost, pricing_public_on_demand_cost__text), cost)
      ELSE cost
    END AS ContractedCost,
    CASE
      WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
      WHEN item_type = 'DiscountedUsage' THEN bf_cur_money(pricing_public_on_demand_rate, pricing_public_on_demand_rate__text)
      ELSE coalesce(bf_cur_money(line_item_net_unblended_rate, line_item_net_unblended_rate__text),
                    bf_cur_money(line_item_unblended_rate, line_item_unblended_rate__text))
    END AS ContractedUnitPrice,
    CASE
      WHEN item_type = 'DiscountedUsage' THEN bf_cur_money(reservation_effective_cost, reservation_effective_cost__text)
      WHEN item_type = 'SavingsPlanCoveredUsage'
        THEN bf_cur_money(savings_plan_savings_plan_effective_cost, savings_plan_savings_plan_effective_cost__text)
      WHEN is_commitment_fee THEN CAST(0 AS DECIMAL(38,10))
      ELSE cost
    END AS EffectiveCost,
    bill_invoice_id AS InvoiceId,
    coalesce(bill_invoicing_entity, 'Amazon Web Services, Inc.') AS InvoiceIssuerName,
    CASE
      WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN cost
      ELSE coalesce(bf_cur_money(pricing_public_on_demand_cost, pricing_public_on_demand_cost__text), cost)
    END AS ListCost,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE bf_cur_money(pricing_public_on_demand_rate, pricing_public_on_demand_rate__text) END AS ListUnitPrice,
    CASE
      WHEN charge_category IN ('Tax', 'Credit', 'Adjustment') OR item_type = 'Refund' THEN NULL
      WHEN is_covered THEN 'Committed'
      WHEN line_item_usage_type LIKE '%SpotUsage%' OR pricing_term = 'Spot' THEN 'Dynamic'
      ELSE 'Standard'
    END AS PricingCategory,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE bf_cur_money(line_item_usage_amount, line_item_usage_amount__text) END AS PricingQuantity,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE pricing_unit END AS PricingUnit,
    'AWS' AS ProviderName,
    coalesce(line_item_legal_entity, 'Amazon Web Services, Inc.') AS PublisherName,
    CASE WHEN charge_category = 'Tax' THEN NULL
         ELSE coalesce(product_region_code, product_region) END AS RegionId,
    CASE WHEN charge_category = 'Tax' THEN NULL
         ELSE coalesce(product_location, rg.region_name,
                       coalesce(product_region_code, product_region)) END AS RegionName,
    line_item_resource_id AS ResourceId,
    CASE WHEN line_item_resource_id IS NOT NULL THEN bf_cur_name_tag(resource_tags) END AS ResourceName,
    CASE WHEN line_item_resource_id IS NOT NULL THEN product_product_family END AS ResourceType,
    coalesce(sc.category, 'Other') AS ServiceCategory,
    coalesce(product_product_name, line_item_product_code) AS ServiceName,
    coalesce(sc.subcategory, 'Other (Other)') AS ServiceSubcategory,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL ELSE product_sku END AS SkuId,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE product_product_family END AS SkuMeter,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE coalesce(pricing_rate_code, pricing_rate_id) END AS SkuPriceId,
    line_item_usage_account_id AS SubAccountId,
    coalesce(line_item_usage_account_name, line_item_usage_account_id) AS SubAccountName,
    bf_cur_tags_json(resource_tags) AS Tags,
    CASE WHEN bill_billing_entity = 'AWS Marketplace'
         THEN coalesce(line_item_legal_entity, 'AWS Marketplace') ELSE 'AWS' END AS ServiceProviderName,
    'AWS' AS HostProviderName,
    line_item_product_code AS x_ServiceCode,
    line_item_usage_type AS x_UsageType,
    line_item_operation AS x_Operation,
    item_type AS x_LineItemType,
    identity_line_item_id AS x_LineItemId,
    bf_billing_period(period_start) AS x_BillingPeriod,
    bf_file,
    CASE
      WHEN item_type = 'SavingsPlanRecurringFee'
        THEN bf_cur_money(savings_plan_total_commitment_to_date, savings_plan_total_commitment_to_date__text)
             - bf_cur_money(savings_plan_used_commitment, savings_plan_used_commitment__text)
      WHEN item_type = 'RIFee'
        THEN coalesce(bf_cur_money(reservation_unused_amortized_upfront_fee_for_billing_period,
                                   reservation_unused_amortized_upfront_fee_for_billing_period__text), 0)
             + coalesce(bf_cur_money(reservation_unused_recurring_fee, reservation_unused_recurring_fee__text), 0)
    END AS bf_unused
  FROM aws_cur_charges AS charges
  LEFT JOIN aws_service_categories sc ON sc.product_code = charges.line_item_product_code
  LEFT JOIN aws_regions rg ON rg.region_id = coalesce(charges.product_region_code, charges.product_region)
);
-- The part of each commitment the period did not use, as FOCUS wants it: a Usage row with
-- CommitmentDiscountStatus Unused, billed 0 (the fee row bills it), effective = unused cost.
CREATE OR REPLACE TEMP VIEW aws_cur_unused AS (
  SELECT
    * REPLACE (
      CAST(0 AS DECIMAL(38,10)) AS BilledCost,
      'Usage' AS ChargeCategory,
      'Usage-Based' AS ChargeFrequency,
      'Unused commitment' AS ChargeDescription,
      'Unused' AS CommitmentDiscountStatus,
      bf_unused AS EffectiveCost,
      CASE WHEN CommitmentDiscountCategory = 'Spend' THEN bf_unused END AS CommitmentDiscountQuantity,
      CASE WHEN CommitmentDiscountCategory = 'Spend' THEN BillingCurrency END AS CommitmentDiscountUnit,
      CAST(0 AS DECIMAL(38,10)) AS ListCost,
      CAST(0 AS DECIMAL(38,10)) AS ContractedCost,
      NULL AS ContractedUnitPrice,
      NULL AS ListUnitPrice,
      'Committed' AS PricingCategory,
      NULL AS PricingQuantity,
      NULL AS PricingUnit,
      CommitmentDiscountId AS ResourceId,
      CommitmentDiscountName AS ResourceName,
      CommitmentDiscountType AS ResourceType,
      NULL AS x_LineItemId,
      'Unused commitment' AS x_LineItemType
    )
  FROM aws_cur_focus
  -- The line item type test is what bf_unused tests first; DuckDB pushes it down to the scan.
  WHERE x_LineItemType IN ('SavingsPlanRecurringFee', 'RIFee') AND bf_unused IS NOT NULL AND bf_unused <> 0
);
-- Covered usage and its negation must cancel on the invoice; what does not cancel stays billed.
CREATE OR REPLACE TEMP VIEW aws_cur_negation_remainder AS (
  SELECT
    any_value(bill_payer_account_id) AS BillingAccountId,
    line_item_usage_account_id AS SubAccountId,
    sum(cost) AS remainder,
    any_value(period_start) AS period_start,
    any_value(period_end) AS period_end,
    any_value(line_item_currency_code) AS currency,
    any_value(bill_invoicing_entity) AS issuer,
    any_value(bill_invoice_id) AS invoice,
    any_value(bf_file) AS bf_file
  FROM aws_cur_rows
  WHERE item_type IN ('SavingsPlanCoveredUsage', 'SavingsPlanNegation')
  GROUP BY line_item_usage_account_id
  HAVING sum(cost) <> 0
);
CREATE OR REPLACE TEMP VIEW aws_cur_line_items AS
SELECT * EXCLUDE (bf_unused) FROM aws_cur_focus;
CREATE OR REPLACE TEMP VIEW aws_cur_added AS
SELECT * EXCLUDE (bf_unused) FROM aws_cur_unused
UNION ALL BY NAME
SELECT
  BillingAccountId, SubAccountId,
  remainder AS BilledCost, remainder AS EffectiveCost, remainder AS ListCost, remainder AS ContractedCost,
  currency AS BillingCurrency, period_start AS BillingPeriodStart, period_end AS BillingPeriodEnd,
  period_start AS ChargePeriodStart, period_end AS ChargePeriodEnd,
  'Adjustment' AS ChargeCategory, 'One-Time' AS ChargeFrequency,
  'Savings Plan covered usage not cancelled by its negation' AS ChargeDescription,
  coalesce(issuer, 'Amazon Web Services, Inc.') AS InvoiceIssuerName, invoice AS InvoiceId,
  'AWS' AS ProviderName, 'Amazon Web Services, Inc.' AS PublisherName, 'AWS' AS ServiceProviderName,
  'AWS' AS HostProviderName, 'Savings Plans for AWS Compute usage' AS ServiceName, 'Compute' AS ServiceCategory,
  'Other (Compute)' AS ServiceSubcategory, 'SavingsPlanNegation remainder' AS x_LineItemType,
  strftime(period_start, '%Y-%m') AS x_BillingPeriod, bf_file
FROM aws_cur_negation_remainder;
CREATE OR REPLACE TEMP VIEW aws_staging AS
SELECT * FROM aws_cur_line_items
UNION ALL BY NAME
SELECT * FROM aws_cur_added;
