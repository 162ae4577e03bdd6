-- Shared-cost split: every row of __alloc_shared becomes one part per target of its rule and
-- month in __alloc_weights, each cost column divided exactly by largest remainder.
--
-- Per row and column, the amount is counted in whole units — cents when the amount is a whole
-- number of cents, else 1e-10 (the warehouse's scale), so nothing is ever rounded away. Each
-- target first gets floor(units × weight / total weight); the units left over (fewer than the
-- number of targets) go one each to the targets with the largest remainders, ties broken by
-- target name. The parts therefore add up to the original amount exactly, and no part is off
-- its exact share by a whole unit or more.
CREATE OR REPLACE TEMP TABLE __alloc_parts AS
WITH shares AS (
  SELECT rule, period, target, weight,
         sum(weight) OVER (PARTITION BY rule, period) AS total_weight
  FROM __alloc_weights
  WHERE weight > 0
),
quotas AS (
  SELECT s.__row, sh.target, sh.weight, sh.total_weight,
         {{quota_columns}}
  FROM __alloc_shared s
  JOIN shares sh ON sh.rule = s.x_SharedCost AND sh.period = date_trunc('month', s.ChargePeriodStart)
),
ranked AS (
  SELECT *,
         {{rank_columns}}
  FROM quotas
)
SELECT __row, target, weight, total_weight,
       {{part_columns}}
FROM ranked
