-- Generic FOCUS files → focus_costs rows.
--
-- Input `focus_input`: the delivered files' rows, every column as text, FOCUS columns already
-- under their canonical names (matched case-insensitively), other columns renamed with an x_
-- prefix, and bf_file naming the file each row came from.
--
-- FOCUS data is already FOCUS: this step only fixes real-world formatting (literal NULLs,
-- timestamps without T/Z, exponent numbers) and types every column as the catalogue says.
-- Columns an older FOCUS version lacks (e.g. 1.3's ServiceProviderName in a 1.0 file) are NULL.
CREATE OR REPLACE TEMP TABLE focus_staging AS
SELECT
  {{focus_columns}},
  {{extra_columns}}
  bf_billing_period(bf_timestamp(BillingPeriodStart)) AS x_BillingPeriod,
  bf_file
FROM focus_input;
