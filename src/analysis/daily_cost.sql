-- Cost per day, per value of one dimension and per source, over the charges that count.
-- A charge whose period spans several days (a monthly fee) is spread evenly over those days,
-- so it does not look like a spike on the first of the month. ChargePeriodEnd is exclusive.
SELECT value, source, day, sum(cost) AS cost
FROM (
  SELECT value, source,
         start_day + CAST(unnest(range(days)) AS INTEGER) AS day,
         CASE WHEN days = 1 THEN cost ELSE CAST(cost / days AS DECIMAL(38, 10)) END AS cost
  FROM (
    SELECT {{value}} AS value,
           x_SourceName AS source,
           CAST(ChargePeriodStart AS DATE) AS start_day,
           CAST({{cost}} AS DECIMAL(38, 10)) AS cost,
           CAST(coalesce(greatest(1, least(366,
             date_diff('day', CAST(ChargePeriodStart AS DATE), CAST(ChargePeriodEnd AS DATE)))), 1) AS BIGINT) AS days
    FROM {{table}}
    WHERE {{where}}
      AND ChargePeriodStart < CAST({{last}} AS DATE) + INTERVAL 1 DAY
      AND coalesce(ChargePeriodEnd, ChargePeriodStart + INTERVAL 1 DAY) > CAST({{first}} AS DATE)
  )
)
WHERE day BETWEEN CAST({{first}} AS DATE) AND CAST({{last}} AS DATE)
GROUP BY value, source, day
