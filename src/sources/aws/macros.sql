-- Conversions of the CUR mapping (cur_to_focus.sql), on top of sources/macros.sql.

-- bf_decimal of text that is already trimmed: the same value, and the same conversion error for
-- text that is no number.
CREATE OR REPLACE TEMP MACRO bf_cur_decimal(t) AS coalesce(
  TRY_CAST(t AS DECIMAL(18,10)),
  TRY_CAST(t AS DECIMAL(38,10)),
  CAST(CAST(t AS DOUBLE) AS DECIMAL(38,10)));

-- bf_cur_decimal that gives NULL instead of failing: the loader converts each `decimal` input
-- column with it once, for every row, including rows whose value the mapping never reads.
CREATE OR REPLACE TEMP MACRO bf_cur_try_decimal(t) AS coalesce(
  TRY_CAST(t AS DECIMAL(18,10)),
  TRY_CAST(t AS DECIMAL(38,10)),
  TRY_CAST(TRY_CAST(t AS DOUBLE) AS DECIMAL(38,10)));

-- The value of a `decimal` input column where the mapping uses it: v, the converted value; when
-- it is NULL, t, the delivered text kept for values that do not convert, fails the load with
-- bf_decimal's conversion error, as converting the text where it is used always did.
CREATE OR REPLACE TEMP MACRO bf_cur_money(v, t) AS coalesce(v, bf_cur_decimal(t));
