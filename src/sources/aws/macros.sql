-- Conversions of the CUR mapping (cur_to_focus.sql), on top of sources/macros.sql.

-- bf_decimal of text that is already trimmed (the mapping's input columns are): the same value,
-- without trimming the text again on each use.
CREATE OR REPLACE TEMP MACRO bf_cur_decimal(t) AS coalesce(
  TRY_CAST(t AS DECIMAL(18,10)),
  TRY_CAST(t AS DECIMAL(38,10)),
  CAST(CAST(t AS DOUBLE) AS DECIMAL(38,10)));

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
