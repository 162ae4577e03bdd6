-- Macros of the Google Cloud mapping (normalize.sql), on top of sources/macros.sql.

CREATE OR REPLACE TEMP MACRO gcp_timestamp(v) AS CASE
  -- int64 microseconds (the API with formatOptions.useInt64Timestamp)
  WHEN regexp_full_match(bf_text(v), '-?[0-9]+') THEN make_timestamp(CAST(bf_text(v) AS BIGINT))
  -- float seconds, possibly in E-notation (the API's default)
  WHEN regexp_full_match(bf_text(v), '-?[0-9.]+([eE][-+]?[0-9]+)?')
    THEN CAST(to_timestamp(CAST(bf_text(v) AS DOUBLE)) AS TIMESTAMP)
  -- text: RFC 3339, or `bq extract`'s "2024-05-01 07:00:00 UTC"
  ELSE bf_timestamp(regexp_replace(bf_text(v), ' UTC$', '+00'))
END;

-- Credits that get their own Credit rows (see CREDITS in normalize.sql).
CREATE OR REPLACE TEMP MACRO gcp_credit_has_own_row(credit_type) AS coalesce(credit_type, '') NOT IN (
  'SUSTAINED_USAGE_DISCOUNT', 'COMMITTED_USAGE_DISCOUNT', 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE',
  'FEE_UTILIZATION_OFFSET', 'FREE_TIER', 'RESELLER_MARGIN', 'SUBSCRIPTION_BENEFIT');

-- FOCUS CommitmentDiscountCategory of a committed-use credit (NULL for other credits).
CREATE OR REPLACE TEMP MACRO gcp_commitment_category(credit_type) AS CASE credit_type
  WHEN 'COMMITTED_USAGE_DISCOUNT' THEN 'Usage'
  WHEN 'COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE' THEN 'Spend'
  WHEN 'FEE_UTILIZATION_OFFSET' THEN 'Spend'
END;

-- Σ amounts of a list of credits, exactly.
CREATE OR REPLACE TEMP MACRO gcp_credit_sum(credit_list) AS
  CAST(coalesce(list_sum(list_transform(credit_list, c -> bf_decimal(c.amount))), 0) AS DECIMAL(38,10));

-- A FOCUS key-value JSON object from a list of {k, v} in precedence order (first key wins).
CREATE OR REPLACE TEMP MACRO gcp_key_values(entries) AS CASE WHEN len(entries) > 0 THEN CAST(
  '{' || array_to_string(list_transform(
    list_filter(entries, (e, i) -> list_position(list_transform(entries, x -> x.k), e.k) = i),
    e -> CAST(to_json(e.k) AS VARCHAR) || ':' ||
         CASE WHEN coalesce(e.v, '') = '' THEN 'true' ELSE CAST(to_json(e.v) AS VARCHAR) END), ',')
  || '}' AS JSON) END;

-- Start of the billing period of an invoice month 'YYYYMM' (UTC, see BILLING PERIOD in
-- normalize.sql), and its billingfoot period key 'YYYY-MM'.
CREATE OR REPLACE TEMP MACRO gcp_period_start(invoice_month) AS CAST(strptime(invoice_month, '%Y%m') AS TIMESTAMP);
CREATE OR REPLACE TEMP MACRO gcp_billing_period(invoice_month) AS strftime(gcp_period_start(invoice_month), '%Y-%m');
