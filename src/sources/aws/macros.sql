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

-- The tags of a row's resource_tags map as FOCUS wants them: entries without a value dropped,
-- user-defined keys without their user: / user_ prefix, AWS keys as aws:…, in delivered order.
CREATE OR REPLACE TEMP MACRO bf_cur_tag_entries(tags) AS list_transform(
  list_filter(map_entries(tags), e -> bf_text(e.value) IS NOT NULL),
  e -> {'key': CASE
                 WHEN e.key LIKE 'user:%' THEN substr(e.key, 6)
                 WHEN e.key LIKE 'user\_%' ESCAPE '\' THEN substr(e.key, 6)
                 WHEN e.key LIKE 'aws\_%' ESCAPE '\' THEN 'aws:' || substr(e.key, 5)
                 ELSE e.key
               END,
        'value': e.value});

-- Tags: the JSON object of the entries in their order, as to_json(map_from_entries(entries))
-- writes it (keys and values escaped by to_json), at a third of the cost; NULL without entries.
CREATE OR REPLACE TEMP MACRO bf_cur_tags_json(entries) AS CASE WHEN len(entries) > 0
  THEN CAST('{' || array_to_string(list_transform(entries,
         e -> CAST(to_json(e.key) AS VARCHAR) || ':' || CAST(to_json(e.value) AS VARCHAR)), ',') || '}' AS JSON)
END;

-- The value of the Name tag among the entries.
CREATE OR REPLACE TEMP MACRO bf_cur_name_tag(entries) AS list_extract(list_filter(entries, t -> t.key = 'Name'), 1).value;
