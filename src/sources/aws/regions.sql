-- AWS region code → region name as AWS's price list writes it (product_location), used when a
-- row has a region code but no location (legacy exports, data transfer, global services).
CREATE OR REPLACE TEMP TABLE aws_regions (region_id VARCHAR PRIMARY KEY, region_name VARCHAR);
INSERT INTO aws_regions VALUES
  ('us-east-1', 'US East (N. Virginia)'), ('us-east-2', 'US East (Ohio)'),
  ('us-west-1', 'US West (N. California)'), ('us-west-2', 'US West (Oregon)'),
  ('ca-central-1', 'Canada (Central)'), ('ca-west-1', 'Canada West (Calgary)'),
  ('sa-east-1', 'South America (Sao Paulo)'), ('mx-central-1', 'Mexico (Central)'),
  ('eu-west-1', 'EU (Ireland)'), ('eu-west-2', 'EU (London)'), ('eu-west-3', 'EU (Paris)'),
  ('eu-central-1', 'EU (Frankfurt)'), ('eu-central-2', 'EU (Zurich)'), ('eu-north-1', 'EU (Stockholm)'),
  ('eu-south-1', 'EU (Milan)'), ('eu-south-2', 'EU (Spain)'),
  ('ap-east-1', 'Asia Pacific (Hong Kong)'), ('ap-south-1', 'Asia Pacific (Mumbai)'),
  ('ap-south-2', 'Asia Pacific (Hyderabad)'), ('ap-southeast-1', 'Asia Pacific (Singapore)'),
  ('ap-southeast-2', 'Asia Pacific (Sydney)'), ('ap-southeast-3', 'Asia Pacific (Jakarta)'),
  ('ap-southeast-4', 'Asia Pacific (Melbourne)'), ('ap-northeast-1', 'Asia Pacific (Tokyo)'),
  ('ap-northeast-2', 'Asia Pacific (Seoul)'), ('ap-northeast-3', 'Asia Pacific (Osaka)'),
  ('me-south-1', 'Middle East (Bahrain)'), ('me-central-1', 'Middle East (UAE)'),
  ('il-central-1', 'Israel (Tel Aviv)'), ('af-south-1', 'Africa (Cape Town)'),
  ('us-gov-west-1', 'AWS GovCloud (US-West)'), ('us-gov-east-1', 'AWS GovCloud (US-East)'),
  ('global', 'Global');
