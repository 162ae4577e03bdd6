-- Conversions every source's normalize step shares. Values arrive as text as delivered;
-- these turn them into FOCUS types. Empty strings and whitespace-only values are NULL
-- (FOCUS: "no value" is NULL, never an empty string).
-- bf_clean_text (warehouse/duckdb.cpp) is nullif(trim(text), ''), written in C++ for speed.
CREATE OR REPLACE TEMP MACRO bf_text(v) AS bf_clean_text(CAST(v AS VARCHAR));

-- Decimal text into DECIMAL(38,10): exact for plain decimals; exponent notation (1.5E-7) goes
-- through DOUBLE. Text that is no number at all fails the load with DuckDB's conversion error.
-- DECIMAL(18,10) first: it parses about 50 times faster than DECIMAL(38,10) (64-bit instead of
-- 128-bit arithmetic) and holds every amount below 10^8; larger ones take the wide path. The
-- value is the same either way.
CREATE OR REPLACE TEMP MACRO bf_decimal(v) AS coalesce(
  TRY_CAST(bf_text(v) AS DECIMAL(18,10)),
  TRY_CAST(bf_text(v) AS DECIMAL(38,10)),
  CAST(CAST(bf_text(v) AS DOUBLE) AS DECIMAL(38,10)));

-- Date/time text with or without 'T' and 'Z' or an offset; no offset means UTC (the session
-- time zone is UTC). Stored as a naive UTC TIMESTAMP.
CREATE OR REPLACE TEMP MACRO bf_timestamp(v) AS CAST(CAST(bf_text(v) AS TIMESTAMPTZ) AS TIMESTAMP);

-- JSON object text (Tags, SkuPriceDetails, …).
CREATE OR REPLACE TEMP MACRO bf_json(v) AS CAST(bf_text(v) AS JSON);

-- Billing period key of a row: the month of its BillingPeriodStart.
CREATE OR REPLACE TEMP MACRO bf_billing_period(ts) AS strftime(ts, '%Y-%m');
