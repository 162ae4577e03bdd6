-- Datadog products as billed by the cost endpoints (charges[].product_name), what FOCUS calls
-- them, and which hourly usage measures them. A product's monthly cost is spread over the days
-- of the month in proportion to that usage (normalize.sql).
--
-- product_prefix matches the start of product_name (the longest prefix wins), so plan variants
-- such as infra_host_pro / logs_indexed_15day share one entry. usage_type NULL means every
-- measurement of the family. Products not listed keep their Datadog name as ServiceName and are
-- spread evenly over the days of the month.
CREATE OR REPLACE TEMP TABLE datadog_products (
  product_prefix VARCHAR, service_name VARCHAR, usage_family VARCHAR, usage_type VARCHAR);
INSERT INTO datadog_products VALUES
  ('infra_host',           'Infrastructure Monitoring', 'infra_hosts',          'host_count'),
  ('container',            'Infrastructure Monitoring', 'infra_hosts',          'container_count'),
  ('timeseries',           'Custom Metrics',            'timeseries',           NULL),
  ('custom_metrics',       'Custom Metrics',            'timeseries',           NULL),
  ('apm_host',             'APM',                       'infra_hosts',          'apm_host_count'),
  ('apm_fargate',          'APM',                       'fargate',              NULL),
  ('ingested_spans',       'APM',                       'ingested_spans',       NULL),
  ('indexed_spans',        'APM',                       'indexed_spans',        NULL),
  ('profiling',            'Continuous Profiler',       'profiling',            NULL),
  ('logs_ingested',        'Log Management',            'logs',                 'ingested_events_bytes'),
  ('ingested_logs',        'Log Management',            'logs',                 'ingested_events_bytes'),
  ('logs_indexed',         'Log Management',            'indexed_logs',         NULL),
  ('indexed_logs',         'Log Management',            'indexed_logs',         NULL),
  ('online_archive',       'Log Management',            'online_archive',       NULL),
  ('synthetics_api',       'Synthetic Monitoring',      'synthetics_api',       NULL),
  ('synthetics_browser',   'Synthetic Monitoring',      'synthetics_browser',   NULL),
  ('synthetics_mobile',    'Synthetic Monitoring',      'synthetics_mobile',    NULL),
  ('rum',                  'Real User Monitoring',      'rum',                  NULL),
  ('dbm',                  'Database Monitoring',       'dbm',                  NULL),
  ('serverless',           'Serverless Monitoring',     'serverless',           NULL),
  ('lambda',               'Serverless Monitoring',     'serverless',           NULL),
  ('fargate',              'Infrastructure Monitoring', 'fargate',              NULL),
  ('npm',                  'Network Monitoring',        'network_hosts',        NULL),
  ('network',              'Network Monitoring',        'network_hosts',        NULL),
  ('ci_',                  'CI Visibility',             'ci_app',               NULL),
  ('cloud_siem',           'Cloud SIEM',                'cloud_siem',           NULL),
  ('siem',                 'Cloud SIEM',                'cloud_siem',           NULL),
  ('cspm',                 'Cloud Security Management', 'cspm',                 NULL),
  ('cws',                  'Cloud Security Management', 'cws',                  NULL),
  ('error_tracking',       'Error Tracking',            'error_tracking',       NULL),
  ('incident_management',  'Incident Management',       'incident_management',  NULL),
  ('observability_pipelines', 'Observability Pipelines', 'observability_pipelines', NULL),
  ('cloud_cost_management', 'Cloud Cost Management',    'cloud_cost_management', NULL);

-- The catalogue entry of a product name (NULL fields when none matches).
CREATE OR REPLACE TEMP MACRO dd_product(name) AS (
  SELECT {'service_name': service_name, 'usage_family': usage_family, 'usage_type': usage_type}
  FROM datadog_products WHERE starts_with(name, product_prefix)
  ORDER BY length(product_prefix) DESC LIMIT 1);
