-- Google Cloud BigQuery billing export → focus_costs rows (FOCUS 1.2 + 1.3).
--
-- Input `gcp_export_rows`: export rows of the invoice months being loaded, read by field name
-- (src/sources/gcp/export_schema.cpp): records as STRUCTs, repeated fields as lists, numbers
-- and timestamps as the text the export holds. Macros: ../macros.sql and macros.sql here;
-- reference tables: lookups.sql.
-- Output `gcp_staging`: one charge row per export row, plus one Credit row per credit that is
-- not folded into its charge (below), with x_BillingPeriod = the invoice month.
--
-- CREDITS (FOCUS 1.2 ChargeCategory, discount handling). Credits are negative amounts in the
-- repeated `credits` field of the row they reduce. FOCUS separates discounts that are part of
-- the price of the usage (they belong in that charge's BilledCost) from after-the-fact
-- reductions (ChargeCategory Credit):
--   folded into the charge: SUSTAINED_USAGE_DISCOUNT, COMMITTED_USAGE_DISCOUNT,
--     COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE, FEE_UTILIZATION_OFFSET, FREE_TIER, RESELLER_MARGIN,
--     SUBSCRIPTION_BENEFIT — usage-linked rates, tiers and commitments;
--   own Credit rows: PROMOTION (trial, marketing, milestone credits), DISCOUNT (credits
--     earned after a contractual spend threshold) and any type this mapping does not know
--     (a new kind of credit stays visible rather than hiding inside usage cost).
-- Either way nothing is lost: Σ BilledCost of an invoice month = Σ cost + Σ credits.amount of
-- its rows, to the last digit (x_Cost and x_FoldedCredits keep the parts of each charge).
--
-- BILLING PERIOD. invoice.month (YYYYMM) becomes [first of the month, first of the next month)
-- at 00:00 UTC: the end is exclusive and never equals the start. Google's invoice month runs
-- on US Pacific time; the UTC month boundaries line the period up with every other source's
-- months, and x_InvoiceMonth keeps the export's value. Rows whose usage lies outside the month
-- (late usage, corrections) stay in the invoice month they were billed in.
--
-- TAGS. One JSON object from four sources, with prefixes that keep them apart:
--   labels (resource labels)          key as is       — the user scheme, unprefixed
--   system_labels (set by Google)     key as is       — already namespaced (goog-…, compute.googleapis.com/…)
--   tags (Resource Manager tags)      tag/<namespace>/<key>
--   project.labels                    project/<key>
-- When two sources produce the same key, the earlier line above wins. Labels without a value
-- become true (FOCUS key-value format).

CREATE OR REPLACE TEMP TABLE gcp_staging AS
WITH export_rows AS (
  SELECT
    e AS export,  -- the export row as one STRUCT: export.cost, export.sku.description, …
    e.bf_file,
    gcp_period_start(e.invoice.month) AS period_start,
    bf_decimal(e.cost) AS cost_amount,
    list_filter(coalesce(e.credits, []), c -> NOT gcp_credit_has_own_row(c.type)) AS folded_credits,
    list_filter(coalesce(e.credits, []), c -> gcp_credit_has_own_row(c.type)) AS own_row_credits,
    list_filter(coalesce(e.credits, []), c -> gcp_commitment_category(c.type) IS NOT NULL)[1] AS commitment_credit,
    -- Commitment fees are regular rows whose SKU is the commitment ("Commitment v1: Cpu in …",
    -- "Commitment - dollar based v1: …").
    coalesce(e.sku.description, '') ILIKE 'Commitment%' AS is_commitment_fee
  FROM gcp_export_rows e
),

-- What a charge and its Credit rows have in common: who, when, where, what.
shared AS (
  SELECT
    r.*,
    r.period_start AS BillingPeriodStart,
    r.period_start + INTERVAL 1 MONTH AS BillingPeriodEnd,
    bf_text(r.export.billing_account_id) AS BillingAccountId,
    {{billing_account_name}} AS BillingAccountName,
    'Billing Account' AS BillingAccountType,
    bf_text(r.export.currency) AS BillingCurrency,
    gcp_timestamp(r.export.usage_start_time) AS ChargePeriodStart,
    gcp_timestamp(r.export.usage_end_time) AS ChargePeriodEnd,
    {{invoice_issuer_name}} AS InvoiceIssuerName,
    'Google Cloud' AS ProviderName,
    coalesce(bf_text(r.export.seller_name), 'Google Cloud') AS PublisherName,
    'Google Cloud' AS ServiceProviderName,
    'Google Cloud' AS HostProviderName,
    bf_text(r.export.service.description) AS ServiceName,
    coalesce(sc.category, 'Other') AS ServiceCategory,
    coalesce(sc.subcategory, 'Other (' || coalesce(sc.category, 'Other') || ')') AS ServiceSubcategory,
    bf_text(r.export.project.id) AS SubAccountId,
    CASE WHEN bf_text(r.export.project.id) IS NOT NULL THEN coalesce(bf_text(r.export.project.name), bf_text(r.export.project.id)) END AS SubAccountName,
    CASE WHEN bf_text(r.export.project.id) IS NOT NULL THEN 'Project' END AS SubAccountType,
    -- location.region, not location.location (which may be a multi-region such as "us").
    bf_text(r.export.location.region) AS RegionId,
    CASE WHEN bf_text(r.export.location.region) IS NOT NULL THEN coalesce(rn.region_name, bf_text(r.export.location.region)) END AS RegionName,
    bf_text(r.export.location.zone) AS AvailabilityZone,
    -- Resources (detailed export only); a name that is just the id again is no name.
    bf_text(r.export.resource.global_name) AS ResourceId,
    CASE WHEN bf_text(r.export.resource.name) IS DISTINCT FROM bf_text(r.export.resource.global_name) THEN bf_text(r.export.resource.name) END AS ResourceName,
    -- The collection in the resource's full name: //compute.googleapis.com/…/instances/x → instances.
    CASE WHEN bf_text(r.export.resource.global_name) IS NOT NULL THEN coalesce(
      nullif(regexp_extract(r.export.resource.global_name, '/([^/]+)/[^/]+$', 1), ''), bf_text(r.export.service.description)) END AS ResourceType,
    gcp_key_values(list_concat(
      list_transform(coalesce(r.export.labels, []), l -> {'k': l.key, 'v': l.value}),
      list_transform(coalesce(r.export.system_labels, []), l -> {'k': l.key, 'v': l.value}),
      list_transform(coalesce(r.export.tags, []), t -> {'k': 'tag/' || coalesce(t.namespace || '/', '') || t.key, 'v': t.value}),
      list_transform(coalesce(r.export.project.labels, []), l -> {'k': 'project/' || l.key, 'v': l.value}))) AS Tags,
    bf_text(r.export.invoice.month) AS x_InvoiceMonth,
    gcp_billing_period(r.export.invoice.month) AS x_BillingPeriod,
    bf_text(r.export.cost_type) AS x_CostType,
    bf_text(r.export.service.id) AS x_ServiceId,
    bf_text(r.export.project.number) AS x_ProjectNumber,
    CAST(bf_decimal(r.export.currency_conversion_rate) AS VARCHAR) AS x_CurrencyConversionRate,
    strftime(gcp_timestamp(r.export.export_time), '%Y-%m-%dT%H:%M:%S.%fZ') AS x_ExportTime
  FROM export_rows r
  LEFT JOIN gcp_service_categories sc ON sc.service = r.export.service.description
  LEFT JOIN gcp_region_names rn ON rn.region_id = r.export.location.region
),

charges AS (
  SELECT
    s.*,
    CASE
      WHEN s.export.cost_type = 'tax' THEN 'Tax'
      WHEN s.export.cost_type = 'rounding_error' THEN 'Adjustment'
      WHEN s.export.cost_type = 'adjustment' THEN CASE
        WHEN s.export.adjustment_info.type IN ('USAGE_CORRECTION', 'PRICE_CORRECTION', 'METADATA_CORRECTION') THEN 'Usage'
        WHEN s.export.adjustment_info.type IN ('GOODWILL', 'SLA_VIOLATION', 'SALESFORCE_CREDIT') THEN 'Credit'
        ELSE 'Adjustment' END
      WHEN s.is_commitment_fee THEN 'Purchase'
      ELSE 'Usage'  -- regular, and cost types Google may add
    END AS ChargeCategory,
    -- Spend-based commitments ("dollar based") count money, resource-based ones units.
    CASE
      WHEN s.is_commitment_fee THEN CASE WHEN s.export.sku.description ILIKE '%dollar%' THEN 'Spend' ELSE 'Usage' END
      ELSE gcp_commitment_category(s.commitment_credit.type)
    END AS commitment_category
  FROM shared s
),

charge_rows AS (
  SELECT
    -- A commitment fee's resource is the commitment itself (FOCUS commitment discounts).
    c.* EXCLUDE (commitment_category) REPLACE (
      CASE WHEN c.is_commitment_fee THEN coalesce(bf_text(c.export.subscription.instance_id), bf_text(c.export.sku.id)) ELSE c.ResourceId END AS ResourceId,
      CASE WHEN c.is_commitment_fee THEN NULL ELSE c.ResourceName END AS ResourceName,
      CASE WHEN c.is_commitment_fee THEN 'Commitment' ELSE c.ResourceType END AS ResourceType),
    -- A correction of usage before this invoice month corrects a previously invoiced period.
    CASE WHEN c.export.cost_type = 'adjustment' AND c.ChargePeriodStart < c.BillingPeriodStart THEN 'Correction' END AS ChargeClass,
    coalesce(bf_text(c.export.sku.description), bf_text(c.export.adjustment_info.description), c.ServiceName || ' ' || c.export.cost_type) AS ChargeDescription,
    CASE c.ChargeCategory WHEN 'Usage' THEN 'Usage-Based' WHEN 'Purchase' THEN 'Recurring' ELSE 'One-Time' END AS ChargeFrequency,
    CASE
      WHEN c.ChargeCategory NOT IN ('Usage', 'Purchase') THEN NULL
      WHEN c.commitment_credit IS NOT NULL THEN 'Committed'
      WHEN c.export.sku.description ILIKE '%spot%' OR c.export.sku.description ILIKE '%preemptible%' THEN 'Dynamic'
      ELSE 'Standard'
    END AS PricingCategory,
    CAST(c.cost_amount + gcp_credit_sum(c.folded_credits) AS DECIMAL(38,10)) AS BilledCost,
    CAST(c.cost_amount + gcp_credit_sum(c.folded_credits) AS DECIMAL(38,10)) AS EffectiveCost,
    CAST(coalesce(bf_decimal(c.export.cost_at_list), c.cost_amount) AS DECIMAL(38,10)) AS ListCost,
    CAST(coalesce(bf_decimal(c.export.cost_at_effective_price_default), c.cost_amount) AS DECIMAL(38,10)) AS ContractedCost,
    CASE WHEN c.ChargeCategory <> 'Tax' THEN bf_decimal(c.export.price.list_price) END AS ListUnitPrice,
    CASE WHEN c.ChargeCategory <> 'Tax' THEN coalesce(bf_decimal(c.export.price.effective_price_default), bf_decimal(c.export.price.effective_price)) END AS ContractedUnitPrice,
    CASE WHEN c.ChargeCategory <> 'Tax' AND bf_text(c.export.usage.pricing_unit) IS NOT NULL THEN bf_decimal(c.export.usage.amount_in_pricing_units) END AS PricingQuantity,
    CASE WHEN c.ChargeCategory <> 'Tax' AND bf_text(c.export.usage.amount_in_pricing_units) IS NOT NULL THEN bf_text(c.export.usage.pricing_unit) END AS PricingUnit,
    CASE WHEN c.ChargeCategory = 'Usage' AND bf_text(c.export.usage.unit) IS NOT NULL THEN bf_decimal(c.export.usage.amount) END AS ConsumedQuantity,
    CASE WHEN c.ChargeCategory = 'Usage' AND bf_text(c.export.usage.amount) IS NOT NULL THEN bf_text(c.export.usage.unit) END AS ConsumedUnit,
    CASE WHEN c.ChargeCategory <> 'Tax' THEN bf_text(c.export.sku.id) END AS SkuId,
    CASE WHEN c.ChargeCategory <> 'Tax' THEN bf_text(c.export.sku.id) END AS SkuPriceId,
    CASE WHEN c.ChargeCategory <> 'Tax' AND bf_text(c.export.sku.id) IS NOT NULL THEN bf_text(c.export.sku.description) END AS SkuMeter,

    -- Committed use discounts: covered usage carries the commitment credit (folded above, so
    -- BilledCost is what remains after the discount); the commitment's own fee is a Purchase.
    -- Google links fee and usage only in the 2025 consumption model (subscription ids); older
    -- fees get the SKU id as a stable stand-in id.
    CASE
      WHEN c.is_commitment_fee THEN coalesce(bf_text(c.export.subscription.instance_id), bf_text(c.export.sku.id))
      WHEN c.commitment_credit IS NOT NULL THEN coalesce(
        bf_text(c.export.consumption_model.applied_subscription_instance_id), bf_text(c.export.subscription.instance_id),
        bf_text(c.commitment_credit.id), bf_text(c.commitment_credit.name))
    END AS CommitmentDiscountId,
    c.commitment_category AS CommitmentDiscountCategory,
    CASE
      WHEN c.is_commitment_fee THEN bf_text(c.export.sku.description)
      WHEN c.commitment_credit IS NOT NULL THEN coalesce(bf_text(c.commitment_credit.full_name), bf_text(c.commitment_credit.name))
    END AS CommitmentDiscountName,
    CASE WHEN c.commitment_category IS NOT NULL AND NOT c.is_commitment_fee AND c.ChargeCategory = 'Usage' THEN 'Used' END AS CommitmentDiscountStatus,
    CASE c.commitment_category
      WHEN 'Spend' THEN CASE WHEN c.is_commitment_fee THEN c.cost_amount ELSE -bf_decimal(c.commitment_credit.amount) END
      WHEN 'Usage' THEN bf_decimal(c.export.usage.amount_in_pricing_units)
    END AS CommitmentDiscountQuantity,
    CASE c.commitment_category
      WHEN 'Spend' THEN c.BillingCurrency
      WHEN 'Usage' THEN CASE WHEN bf_text(c.export.usage.amount_in_pricing_units) IS NOT NULL THEN bf_text(c.export.usage.pricing_unit) END
    END AS CommitmentDiscountUnit,
    CASE c.commitment_category
      WHEN 'Spend' THEN 'Spend-based Committed Use Discount'
      WHEN 'Usage' THEN 'Committed Use Discount'
    END AS CommitmentDiscountType,

    CAST(c.cost_amount AS VARCHAR) AS x_Cost,
    CAST(gcp_credit_sum(c.folded_credits) AS VARCHAR) AS x_FoldedCredits,
    bf_text(c.export.adjustment_info.type) AS x_AdjustmentType
  FROM charges c
),

-- One Credit row per credit that is not folded into its charge. It keeps the charge's account,
-- service, place, resource and tags (so it is allocated with what it reduces), but no SKU,
-- price or quantity; columns it does not set are NULL (UNION ALL BY NAME).
credit_rows AS (
  SELECT
    s.*,
    'Credit' AS ChargeCategory,
    coalesce(bf_text(credit.full_name), bf_text(credit.name), 'Credit') AS ChargeDescription,
    'One-Time' AS ChargeFrequency,
    CAST(bf_decimal(credit.amount) AS DECIMAL(38,10)) AS BilledCost,
    CAST(bf_decimal(credit.amount) AS DECIMAL(38,10)) AS EffectiveCost,
    CAST(bf_decimal(credit.amount) AS DECIMAL(38,10)) AS ListCost,
    CAST(bf_decimal(credit.amount) AS DECIMAL(38,10)) AS ContractedCost,
    bf_text(credit.type) AS x_CreditType,
    bf_text(credit.id) AS x_CreditId
  FROM (SELECT *, unnest(own_row_credits) AS credit FROM shared) s
)

SELECT * EXCLUDE (export, period_start, cost_amount, folded_credits, own_row_credits,
                  commitment_credit, is_commitment_fee)
FROM charge_rows
UNION ALL BY NAME
SELECT * EXCLUDE (export, period_start, cost_amount, folded_credits, own_row_credits,
                  commitment_credit, is_commitment_fee, credit)
FROM credit_rows;
