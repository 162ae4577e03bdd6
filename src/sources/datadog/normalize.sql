-- Landed Datadog Usage Metering responses → focus_costs rows: one row per org × day × product ×
-- charge type. (Prerequisites: sources/macros.sql and products.sql.)
--
-- Inputs, filled by the connector from the landing zone (or `location:`):
--   dd_documents(billing_period, kind, cost_status, data_end, file)
--       kind 'cost': historical_cost.json (cost_status final) or estimated_cost.json (estimated);
--       kind 'projected': projected_cost.json. data_end: exclusive end of the days a cost
--       without usage data is spread over.
--   dd_usage_documents(billing_period, file): hourly_usage pages.
--   {{documents}} / {{usage_documents}}: the same files as read_text(…) relations.
-- Amounts are taken from the JSON number text, so they stay exact decimals.

-- 1. Charges per (month, org, product, charge type). Datadog lists committed and on_demand
--    charges and their `total`: the parts are kept, and the total only adds a row when it
--    differs from the parts (a product billed with `total` alone, or parts that do not add up),
--    so nothing is counted twice and the product still sums to Datadog's total. Zero charges
--    (Datadog lists every product of the plan) are dropped.
CREATE OR REPLACE TEMP TABLE dd_charges AS
WITH documents AS (
  SELECT d.billing_period, d.kind, d.cost_status, d.data_end,
         unnest(CAST(json_extract(CAST(t.content AS JSON), '$.data') AS JSON[])) AS item
  FROM {{documents}} t JOIN dd_documents d ON d.file = t.filename
), orgs AS (
  SELECT billing_period, kind, cost_status, data_end, item->'attributes' AS a FROM documents
), charges AS (
  SELECT billing_period, kind, cost_status, data_end,
         a->>'public_id' AS public_id,
         a->>'org_name' AS org_name,
         a->>'region' AS region,
         coalesce(a->>'account_public_id', a->>'public_id') AS account_id,
         coalesce(a->>'account_name', a->>'org_name') AS account_name,
         bf_billing_period(bf_timestamp(a->>'date')) AS month,
         unnest(CAST(coalesce(a->'charges', '[]') AS JSON[])) AS charge
  FROM orgs
), typed AS (
  SELECT * EXCLUDE (charge, month),
         charge->>'product_name' AS product_name,
         lower(charge->>'charge_type') AS charge_type,
         coalesce(bf_decimal(charge->>'cost'), 0) AS cost
  FROM charges
  WHERE month = billing_period  -- a response may cover more months than the one landed here
), parts AS (
  SELECT billing_period, kind, cost_status, data_end, public_id, org_name, region, account_id,
         account_name, product_name, charge_type, sum(cost) AS cost
  FROM typed WHERE charge_type <> 'total' GROUP BY ALL
), totals AS (
  SELECT t.billing_period, t.kind, t.cost_status, t.data_end, t.public_id, t.org_name, t.region,
         t.account_id, t.account_name, t.product_name, 'total' AS charge_type,
         sum(t.cost) - coalesce(max(p.cost), 0) AS cost
  FROM typed t
  LEFT JOIN (SELECT billing_period, kind, public_id, product_name, sum(cost) AS cost FROM parts GROUP BY ALL) p
    USING (billing_period, kind, public_id, product_name)
  WHERE t.charge_type = 'total'
  GROUP BY ALL
)
SELECT * FROM (SELECT * FROM parts UNION ALL BY NAME SELECT * FROM totals) WHERE cost <> 0;

-- 2. Usage per (month, org, product family, usage type, day) from the hourly pages.
CREATE OR REPLACE TEMP TABLE dd_daily_usage AS
WITH items AS (
  SELECT u.billing_period,
         unnest(CAST(json_extract(CAST(t.content AS JSON), '$.data') AS JSON[])) AS item
  FROM {{usage_documents}} t JOIN dd_usage_documents u ON u.file = t.filename
), hours AS (
  SELECT billing_period,
         item->'attributes'->>'public_id' AS public_id,
         item->'attributes'->>'product_family' AS product_family,
         CAST(bf_timestamp(item->'attributes'->>'timestamp') AS DATE) AS day,
         unnest(CAST(coalesce(item->'attributes'->'measurements', '[]') AS JSON[])) AS measurement
  FROM items
)
SELECT billing_period, public_id, product_family, measurement->>'usage_type' AS usage_type, day,
       sum(TRY_CAST(measurement->>'value' AS DOUBLE)) AS usage
FROM hours
WHERE strftime(day, '%Y-%m') = billing_period
GROUP BY ALL;

-- 3. Day weights per (month, org, product): the product's usage on each day when Datadog
--    reported any, else 1 for every day from the month's start to data_end (even spread).
--    x_AllocationBasis says which: 'hourly_usage:<family>/<usage type>' or 'even:no_usage_data'.
CREATE OR REPLACE TEMP TABLE dd_day_weights AS
WITH products AS (
  SELECT *, struct_extract(p, 'usage_family') AS usage_family, struct_extract(p, 'usage_type') AS usage_type
  FROM (SELECT DISTINCT billing_period, data_end, public_id, product_name, dd_product(product_name) AS p
        FROM dd_charges WHERE kind = 'cost')
), measured AS (
  SELECT pr.billing_period, pr.public_id, pr.product_name, u.day, sum(u.usage) AS weight,
         'hourly_usage:' || pr.usage_family || coalesce('/' || pr.usage_type, '') AS basis
  FROM products pr
  JOIN dd_daily_usage u
    ON u.billing_period = pr.billing_period AND u.public_id = pr.public_id
   AND u.product_family = pr.usage_family
   AND (pr.usage_type IS NULL OR u.usage_type = pr.usage_type)
  GROUP BY ALL
), usable AS (
  SELECT * FROM measured
  WHERE weight >= 0
  QUALIFY sum(weight) OVER (PARTITION BY billing_period, public_id, product_name) > 0
), even AS (
  SELECT pr.billing_period, pr.public_id, pr.product_name,
         CAST(unnest(range(CAST(pr.billing_period || '-01' AS TIMESTAMP), CAST(pr.data_end AS TIMESTAMP),
                           INTERVAL 1 DAY)) AS DATE) AS day,
         1.0 AS weight, 'even:no_usage_data' AS basis
  FROM products pr
  WHERE NOT EXISTS (SELECT 1 FROM usable u WHERE u.billing_period = pr.billing_period
                      AND u.public_id = pr.public_id AND u.product_name = pr.product_name)
)
SELECT billing_period, public_id, product_name, day, CAST(weight AS DOUBLE) AS weight, basis FROM usable
UNION ALL
SELECT billing_period, public_id, product_name, day, CAST(weight AS DOUBLE), basis FROM even;

-- 4. Each charge spread over its days with the largest-remainder method, in whole cents when
--    the charge is whole cents (else in units of 1e-10, the warehouse's scale): every day gets
--    the floor of its proportional share, and the units left over go one each to the days with
--    the largest remainders. The days of a charge therefore add up exactly to the charge.
CREATE OR REPLACE TEMP TABLE dd_daily_costs AS
WITH shares AS (
  SELECT c.*, w.day, w.weight, w.basis,
         CASE WHEN c.cost = round(c.cost, 2) THEN CAST(c.cost * 100 AS HUGEINT)
              ELSE CAST(c.cost * 10000000000 AS HUGEINT) END AS units,
         CASE WHEN c.cost = round(c.cost, 2) THEN 0.01 ELSE 0.0000000001 END AS unit,
         count(*) OVER charge AS days,
         sum(w.weight) OVER charge AS total_weight
  FROM dd_charges c
  JOIN dd_day_weights w USING (billing_period, public_id, product_name)
  WHERE c.kind = 'cost'
  WINDOW charge AS (PARTITION BY c.billing_period, c.public_id, c.product_name, c.charge_type)
), floors AS (
  SELECT *, CAST(floor(quota) AS HUGEINT) AS base, quota - floor(quota) AS remainder
  FROM (SELECT *, CAST(units AS DOUBLE) * weight / total_weight AS quota FROM shares)
), leftovers AS (
  SELECT *, units - sum(base) OVER charge AS leftover,
         row_number() OVER (charge ORDER BY remainder DESC, day) AS rank
  FROM floors
  WINDOW charge AS (PARTITION BY billing_period, public_id, product_name, charge_type)
), spread AS (
  -- leftover is normally in [0, days); the division keeps the sum exact even when it is not.
  SELECT *, CAST(floor(CAST(leftover AS DOUBLE) / days) AS HUGEINT) AS per_day FROM leftovers
)
SELECT * EXCLUDE (units, quota, base, remainder, leftover, rank, per_day),
       CAST(CAST(base + per_day + CASE WHEN rank <= leftover - per_day * days THEN 1 ELSE 0 END
                 AS DECIMAL(38, 0)) * unit AS DECIMAL(38, 10)) AS day_cost
FROM spread;

-- 5. FOCUS rows. Datadog's cost API gives the billed amount only (no list or contracted
--    prices), so ListCost and ContractedCost equal BilledCost; currency is USD.
CREATE OR REPLACE TEMP TABLE datadog_staged_rows AS
SELECT
  day_cost AS BilledCost,
  day_cost AS EffectiveCost,
  day_cost AS ListCost,
  day_cost AS ContractedCost,
  account_id AS BillingAccountId,
  account_name AS BillingAccountName,
  'Parent Organization' AS BillingAccountType,
  'USD' AS BillingCurrency,
  CAST(billing_period || '-01' AS TIMESTAMP) AS BillingPeriodStart,
  CAST(billing_period || '-01' AS TIMESTAMP) + INTERVAL 1 MONTH AS BillingPeriodEnd,
  'Usage' AS ChargeCategory,
  product_name || ' (' || replace(charge_type, '_', '-') || ')' AS ChargeDescription,
  'Usage-Based' AS ChargeFrequency,
  CAST(day AS TIMESTAMP) AS ChargePeriodStart,
  CAST(day AS TIMESTAMP) + INTERVAL 1 DAY AS ChargePeriodEnd,
  'Datadog' AS InvoiceIssuerName,
  'Datadog' AS ProviderName,
  'Datadog' AS PublisherName,
  'Datadog' AS ServiceProviderName,
  'Datadog' AS HostProviderName,
  CASE charge_type WHEN 'committed' THEN 'Committed' ELSE 'Standard' END AS PricingCategory,
  'Management and Governance' AS ServiceCategory,
  coalesce(struct_extract(dd_product(product_name), 'service_name'), product_name) AS ServiceName,
  'Observability' AS ServiceSubcategory,
  product_name AS SkuId,
  public_id AS SubAccountId,
  org_name AS SubAccountName,
  'Organization' AS SubAccountType,
  cost_status AS x_CostStatus,
  basis AS x_AllocationBasis,
  charge_type AS x_ChargeType,
  region AS x_DatadogRegion,
  billing_period AS x_BillingPeriod
FROM dd_daily_costs;

-- 6. Datadog's projection for the current month, kept as a forecast (never as cost).
CREATE OR REPLACE TEMP TABLE datadog_forecast_rows AS
SELECT billing_period, account_id AS billing_account_id, public_id AS sub_account_id,
       org_name AS sub_account_name,
       coalesce(struct_extract(dd_product(product_name), 'service_name'), product_name) AS service_name,
       product_name AS product, charge_type, cost AS forecast_cost
FROM dd_charges WHERE kind = 'projected';
