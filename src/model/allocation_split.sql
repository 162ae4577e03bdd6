-- Split rows of one shared-cost rule: every row of __alloc_rows the rule selected that has
-- targets in its month (__alloc_targets) becomes one row per target, each cost column divided
-- exactly by largest remainder.
--
-- Per row and column, the amount is counted in whole units — cents when the amount is a whole
-- number of cents, else 1e-10 (the warehouse's scale), so nothing is ever rounded away. Each
-- target first gets floor(units × weight / total weight); the units left over (fewer than the
-- number of targets) go one each to the targets with the largest remainders, ties broken by
-- target name. The parts therefore add up to the original amount exactly, and no part is off
-- its exact share by a whole unit or more.
--
-- The targets of a rule and month come as lists ordered by name (__alloc_targets), so the
-- division is list arithmetic within the row: no join back, no window over all parts. A target
-- gets a leftover unit when its key (remainder descending, then its place in name order) is at
-- most the key of rank `left` — the left-th smallest key. Columns that are NULL stay NULL.
--
-- Speed without giving up exactness: DuckDB divides a HUGEINT by a 64-bit divisor bit by bit,
-- so an amount's count of 1e-10 is taken through DOUBLE and checked exactly (a count whose
-- DECIMAL is not the amount falls back to the exact cast), whole cents are found with BIGINT
-- arithmetic when the count fits, and each floor(units × weight / total) is estimated in DOUBLE
-- (off by at most one below 1e15) and corrected with exact HUGEINT products; larger quotients
-- are divided exactly.
SELECT * EXCLUDE (__targets, __weights, __details, __allocated_tags{{list_columns}}),
       unnest(__targets) AS __target,
       unnest(__weights) AS __weight,
       unnest(__details) AS __detail,
       unnest(__allocated_tags) AS __allocated_tag,
       {{unnest_columns}}
FROM (
  SELECT *,
         {{part_columns}}
  FROM (
    SELECT *,
           {{threshold_columns}}
    FROM (
      SELECT *,
             {{key_columns}}
      FROM (
        SELECT *,
               {{base_columns}}
        FROM (
          SELECT *,
                 {{quota_columns}}
          FROM (
            SELECT *,
                   {{count_columns}}
            FROM (
              SELECT *,
                     {{amount_columns}}
              FROM (
                SELECT *,
                       {{rounded_columns}}
                FROM (
                  SELECT r.*, t.targets AS __targets, t.weights AS __weights,
                         t.total_weight AS __total, t.details AS __details,
                         t.allocated_tags AS __allocated_tags,
                         {{double_columns}}
                  FROM __alloc_rows r
                  JOIN __alloc_targets t
                    ON t.rule = r.x_SharedCost
                   AND t.period = date_trunc('month', r.ChargePeriodStart)
                  WHERE r.x_SharedCost = {{rule}} AND t.rule = {{rule}}
                )
              )
            )
          )
        )
      )
    )
  )
)
