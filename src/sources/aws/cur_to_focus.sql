-- AWS Cost and Usage Report (CUR 2.0, and legacy CUR renamed to CUR 2.0 names) → FOCUS rows.
--
-- Input `aws_cur_input`: one delivery of one billing period, every column below as text
-- (missing optional columns are NULL) except the `timestamp` ones, which arrive as TIMESTAMP
-- (naive UTC, converted by the loader: typed Parquet columns directly, text with
-- bf_timestamp), `resource_tags` as MAP(VARCHAR, VARCHAR) with the keys as delivered, and
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
-- input: line_item_usage_amount
-- input: line_item_currency_code required
-- input: line_item_unblended_rate
-- input: line_item_unblended_cost required
-- input: line_item_net_unblended_rate
-- input: line_item_net_unblended_cost
-- input: line_item_line_item_description
-- input: line_item_tax_type
-- input: line_item_legal_entity
-- input: pricing_public_on_demand_cost
-- input: pricing_public_on_demand_rate
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
-- input: reservation_effective_cost
-- input: reservation_amortized_upfront_fee_for_billing_period
-- input: reservation_unused_amortized_upfront_fee_for_billing_period
-- input: reservation_unused_recurring_fee
-- input: savings_plan_savings_plan_arn
-- input: savings_plan_savings_plan_effective_cost
-- input: savings_plan_total_commitment_to_date
-- input: savings_plan_used_commitment
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
-- The result is a query (the loader inserts it into focus_costs in one streaming pass). Every CTE
-- is NOT MATERIALIZED: materialized, each would hold every row of the month in memory
-- (gigabytes for a large payer). The file is read three times: once for all rows, and twice
-- more with filters DuckDB pushes into the scan (commitment fee rows for `unused`, Savings
-- Plan rows for `negation_remainder`), which touch a few percent of the rows.
WITH rows AS NOT MATERIALIZED (
  SELECT
    *,
    bf_text(line_item_line_item_type) AS item_type,
    bf_decimal(coalesce(bf_text(line_item_net_unblended_cost), line_item_unblended_cost)) AS cost,
    bf_text(coalesce(bf_text(savings_plan_savings_plan_arn), bf_text(reservation_reservation_arn))) AS commitment_arn,
    bf_text(savings_plan_savings_plan_arn) IS NOT NULL AS is_savings_plan,
    bill_billing_period_start_date AS period_start,
    bill_billing_period_end_date AS period_end,
    line_item_usage_start_date AS usage_start,
    line_item_usage_end_date AS usage_end
  FROM aws_cur_input
),
charges AS NOT MATERIALIZED (
  SELECT
    *,
    CASE
      WHEN item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage') THEN 'Usage'
      WHEN item_type IN ('BundledDiscount', 'Discount', 'EdpDiscount', 'PrivateRateDiscount', 'SppDiscount',
                         'DistributorDiscount') THEN 'Usage'
      WHEN item_type IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee', 'Fee') THEN 'Purchase'
      WHEN item_type = 'Tax' THEN 'Tax'
      WHEN item_type = 'Credit' THEN 'Credit'
      WHEN item_type = 'Refund' AND bf_text(line_item_tax_type) IS NOT NULL THEN 'Tax'
      WHEN item_type = 'Refund' AND commitment_arn IS NOT NULL THEN 'Purchase'
      WHEN item_type = 'Refund' THEN 'Usage'
      ELSE 'Adjustment'
    END AS charge_category,
    item_type IN ('DiscountedUsage', 'SavingsPlanCoveredUsage') AS is_covered,
    item_type IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee')
      OR (item_type = 'Fee' AND commitment_arn IS NOT NULL) AS is_commitment_fee
  FROM rows
  WHERE item_type IS DISTINCT FROM 'SavingsPlanNegation'
),
tags AS NOT MATERIALIZED (
  SELECT
    *,
    list_transform(
      list_filter(map_entries(resource_tags), e -> bf_text(e.value) IS NOT NULL),
      e -> {'key': CASE
                     WHEN e.key LIKE 'user:%' THEN substr(e.key, 6)
                     WHEN e.key LIKE 'user\_%' ESCAPE '\' THEN substr(e.key, 6)
                     WHEN e.key LIKE 'aws\_%' ESCAPE '\' THEN 'aws:' || substr(e.key, 5)
                     ELSE e.key
                   END,
            'value': e.value}) AS tag_entries
  FROM charges
),
focus AS NOT MATERIALIZED (
  SELECT
    bf_text(line_item_availability_zone) AS AvailabilityZone,
    CASE WHEN item_type = 'SavingsPlanCoveredUsage' THEN CAST(0 AS DECIMAL(38,10)) ELSE cost END AS BilledCost,
    bf_text(bill_payer_account_id) AS BillingAccountId,
    -- Legacy CUR has no account names: the id stands in, so the name is never missing.
    coalesce(bf_text(bill_payer_account_name), bf_text(bill_payer_account_id)) AS BillingAccountName,
    bf_text(line_item_currency_code) AS BillingCurrency,
    period_end AS BillingPeriodEnd,
    period_start AS BillingPeriodStart,
    CASE WHEN item_type IN ('Refund', 'Credit') AND usage_start < period_start THEN 'Correction' END AS ChargeClass,
    charge_category AS ChargeCategory,
    bf_text(line_item_line_item_description) AS ChargeDescription,
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
    CASE WHEN is_covered AND is_savings_plan THEN bf_decimal(savings_plan_savings_plan_effective_cost)
         WHEN is_covered THEN bf_decimal(line_item_usage_amount) END AS CommitmentDiscountQuantity,
    CASE WHEN is_covered THEN 'Used' END AS CommitmentDiscountStatus,
    CASE WHEN commitment_arn IS NOT NULL AND (is_covered OR is_commitment_fee)
         THEN CASE WHEN is_savings_plan THEN 'Savings Plan' ELSE 'Reserved Instance' END END AS CommitmentDiscountType,
    CASE WHEN is_covered AND is_savings_plan THEN bf_text(line_item_currency_code)
         WHEN is_covered THEN bf_text(pricing_unit) END AS CommitmentDiscountUnit,
    CASE WHEN charge_category = 'Usage' AND item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
         THEN bf_decimal(line_item_usage_amount) END AS ConsumedQuantity,
    CASE WHEN charge_category = 'Usage' AND item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
         THEN bf_text(pricing_unit) END AS ConsumedUnit,
    CASE
      WHEN item_type = 'DiscountedUsage' THEN coalesce(bf_decimal(pricing_public_on_demand_cost), cost)
      ELSE cost
    END AS ContractedCost,
    CASE
      WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
      WHEN item_type = 'DiscountedUsage' THEN bf_decimal(pricing_public_on_demand_rate)
      ELSE coalesce(bf_decimal(line_item_net_unblended_rate), bf_decimal(line_item_unblended_rate))
    END AS ContractedUnitPrice,
    CASE
      WHEN item_type = 'DiscountedUsage' THEN bf_decimal(reservation_effective_cost)
      WHEN item_type = 'SavingsPlanCoveredUsage' THEN bf_decimal(savings_plan_savings_plan_effective_cost)
      WHEN is_commitment_fee THEN CAST(0 AS DECIMAL(38,10))
      ELSE cost
    END AS EffectiveCost,
    bf_text(bill_invoice_id) AS InvoiceId,
    coalesce(bf_text(bill_invoicing_entity), 'Amazon Web Services, Inc.') AS InvoiceIssuerName,
    CASE
      WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN cost
      ELSE coalesce(bf_decimal(pricing_public_on_demand_cost), cost)
    END AS ListCost,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE bf_decimal(pricing_public_on_demand_rate) END AS ListUnitPrice,
    CASE
      WHEN charge_category IN ('Tax', 'Credit', 'Adjustment') OR item_type = 'Refund' THEN NULL
      WHEN is_covered THEN 'Committed'
      WHEN bf_text(line_item_usage_type) LIKE '%SpotUsage%' OR bf_text(pricing_term) = 'Spot' THEN 'Dynamic'
      ELSE 'Standard'
    END AS PricingCategory,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE bf_decimal(line_item_usage_amount) END AS PricingQuantity,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE bf_text(pricing_unit) END AS PricingUnit,
    'AWS' AS ProviderName,
    coalesce(bf_text(line_item_legal_entity), 'Amazon Web Services, Inc.') AS PublisherName,
    CASE WHEN charge_category = 'Tax' THEN NULL
         ELSE coalesce(bf_text(product_region_code), bf_text(product_region)) END AS RegionId,
    CASE WHEN charge_category = 'Tax' THEN NULL
         ELSE coalesce(bf_text(product_location), rg.region_name,
                       coalesce(bf_text(product_region_code), bf_text(product_region))) END AS RegionName,
    bf_text(line_item_resource_id) AS ResourceId,
    CASE WHEN bf_text(line_item_resource_id) IS NOT NULL
         THEN list_extract(list_filter(tag_entries, t -> t.key = 'Name'), 1).value END AS ResourceName,
    CASE WHEN bf_text(line_item_resource_id) IS NOT NULL THEN bf_text(product_product_family) END AS ResourceType,
    coalesce(sc.category, 'Other') AS ServiceCategory,
    coalesce(bf_text(product_product_name), bf_text(line_item_product_code)) AS ServiceName,
    coalesce(sc.subcategory, 'Other (Other)') AS ServiceSubcategory,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL ELSE bf_text(product_sku) END AS SkuId,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE bf_text(product_product_family) END AS SkuMeter,
    CASE WHEN charge_category IN ('Tax', 'Credit') OR item_type = 'Refund' THEN NULL
         ELSE coalesce(bf_text(pricing_rate_code), bf_text(pricing_rate_id)) END AS SkuPriceId,
    bf_text(line_item_usage_account_id) AS SubAccountId,
    coalesce(bf_text(line_item_usage_account_name), bf_text(line_item_usage_account_id)) AS SubAccountName,
    -- The JSON object of the entries in their order, as to_json(map_from_entries(tag_entries))
    -- writes it (keys and values escaped by to_json), at a third of the cost.
    CASE WHEN len(tag_entries) > 0
         THEN CAST('{' || array_to_string(list_transform(tag_entries,
                e -> CAST(to_json(e.key) AS VARCHAR) || ':' || CAST(to_json(e.value) AS VARCHAR)), ',') || '}' AS JSON)
    END AS Tags,
    CASE WHEN bf_text(bill_billing_entity) = 'AWS Marketplace'
         THEN coalesce(bf_text(line_item_legal_entity), 'AWS Marketplace') ELSE 'AWS' END AS ServiceProviderName,
    'AWS' AS HostProviderName,
    bf_text(line_item_product_code) AS x_ServiceCode,
    bf_text(line_item_usage_type) AS x_UsageType,
    bf_text(line_item_operation) AS x_Operation,
    item_type AS x_LineItemType,
    bf_text(identity_line_item_id) AS x_LineItemId,
    bf_billing_period(period_start) AS x_BillingPeriod,
    bf_file,
    CASE
      WHEN item_type = 'SavingsPlanRecurringFee'
        THEN bf_decimal(savings_plan_total_commitment_to_date) - bf_decimal(savings_plan_used_commitment)
      WHEN item_type = 'RIFee'
        THEN coalesce(bf_decimal(reservation_unused_amortized_upfront_fee_for_billing_period), 0)
             + coalesce(bf_decimal(reservation_unused_recurring_fee), 0)
    END AS bf_unused
  FROM tags
  LEFT JOIN aws_service_categories sc ON sc.product_code = bf_text(tags.line_item_product_code)
  LEFT JOIN aws_regions rg ON rg.region_id = coalesce(bf_text(tags.product_region_code), bf_text(tags.product_region))
),
-- The part of each commitment the period did not use, as FOCUS wants it: a Usage row with
-- CommitmentDiscountStatus Unused, billed 0 (the fee row bills it), effective = unused cost.
unused AS NOT MATERIALIZED (
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
  FROM focus
  -- The line item type test is what bf_unused tests first; DuckDB pushes it down to the scan.
  WHERE x_LineItemType IN ('SavingsPlanRecurringFee', 'RIFee') AND bf_unused IS NOT NULL AND bf_unused <> 0
),
-- Covered usage and its negation must cancel on the invoice; what does not cancel stays billed.
negation_remainder AS NOT MATERIALIZED (
  SELECT
    any_value(bf_text(bill_payer_account_id)) AS BillingAccountId,
    bf_text(line_item_usage_account_id) AS SubAccountId,
    sum(cost) AS remainder,
    any_value(period_start) AS period_start,
    any_value(period_end) AS period_end,
    any_value(bf_text(line_item_currency_code)) AS currency,
    any_value(bf_text(bill_invoicing_entity)) AS issuer,
    any_value(bf_text(bill_invoice_id)) AS invoice,
    any_value(bf_file) AS bf_file
  FROM rows
  WHERE item_type IN ('SavingsPlanCoveredUsage', 'SavingsPlanNegation')
  GROUP BY bf_text(line_item_usage_account_id)
  HAVING sum(cost) <> 0
)
SELECT * EXCLUDE (bf_unused) FROM focus
UNION ALL BY NAME
SELECT * EXCLUDE (bf_unused) FROM unused
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
FROM negation_remainder
