// AWS CUR ingestion benchmark: generates one billing month of a CUR 2.0 Data Export as a single
// Parquet file of N rows (default 10,000,000) with realistic columns and cardinalities, lays it
// out as a local "create new version" delivery with a manifest, then times in the same run
//   1. bare DuckDB: CREATE TABLE AS SELECT * FROM read_parquet(file) into a database file;
//   2. `billingfoot sync` of the export through the real binary (discovery, CUR → FOCUS mapping,
//      atomic month replace);
// each in its own child process, so the peak memory (max RSS from wait4) is that process's.
// The two alternate for a number of rounds (each from scratch): on a shared 2-core machine the
// CPU's speed drifts by a third within minutes, so one pair says little; the median of the
// rounds' ratios does. Prints every round, rows/s, peak memory and the ratios; asserts nothing.
//
//   build/bench/bench_cur [ROWS] [--rounds N] [--keep] [--debug]
//     --rounds N  bare + sync pairs (default 3)
//     --keep      leave the generated folder (its path is printed) for manual runs
//     --debug     run the syncs with --log-level debug and print their step timings
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace fs = std::filesystem;

namespace {

constexpr const char* kExport = "bench-cur";
constexpr const char* kPeriod = "2025-01";

struct Run {
  double seconds = 0;
  double peak_mb = 0;
};

// Runs argv with stdout/stderr to files in `cwd`; exits the benchmark if the child fails.
Run run_child(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& out,
              const fs::path& err) {
  std::fflush(stdout);  // or the child would print our buffered lines again
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    std::FILE* o = std::freopen(out.c_str(), "w", stdout);
    std::FILE* e = std::freopen(err.c_str(), "w", stderr);
    if (!o || !e) _exit(127);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Run r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s failed (status %d); see %s\n", argv[0].c_str(), status, err.c_str());
    std::exit(1);
  }
  return r;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One month of hourly CUR 2.0 line items: 25 linked accounts, 30 services, ~300 usage types,
// ~200,000 resources, 6 regions, 3-4 tags per resource; Savings Plan covered usage with its
// negations, reserved usage, hourly plan fees, a few credits. Types as AWS writes them.
void generate(const fs::path& file, long rows) {
  auto db = billingfoot::warehouse::Database::open(":memory:");
  auto con = db.connect();
  std::string n = std::to_string(rows);
  con.execute(R"SQL(
CREATE TEMP TABLE products AS SELECT * FROM (VALUES
  (0, 'AmazonEC2', 'Amazon Elastic Compute Cloud', 'Compute Instance'),
  (1, 'AmazonEC2', 'Amazon Elastic Compute Cloud', 'Storage'),
  (2, 'AmazonRDS', 'Amazon Relational Database Service', 'Database Instance'),
  (3, 'AmazonS3', 'Amazon Simple Storage Service', 'Storage'),
  (4, 'AmazonCloudFront', 'Amazon CloudFront', 'Data Transfer'),
  (5, 'AWSDataTransfer', 'AWS Data Transfer', 'Data Transfer'),
  (6, 'AmazonEKS', 'Amazon Elastic Kubernetes Service', 'Compute'),
  (7, 'AmazonCloudWatch', 'Amazon CloudWatch', 'Metric'),
  (8, 'AmazonDynamoDB', 'Amazon DynamoDB', 'Database Storage'),
  (9, 'AWSLambda', 'AWS Lambda', 'Serverless'),
  (10, 'AmazonElastiCache', 'Amazon ElastiCache', 'Cache Instance'),
  (11, 'AmazonSQS', 'Amazon Simple Queue Service', 'API Request'),
  (12, 'AmazonSNS', 'Amazon Simple Notification Service', 'Message Delivery'),
  (13, 'AmazonRoute53', 'Amazon Route 53', 'DNS Query'),
  (14, 'AmazonVPC', 'Amazon Virtual Private Cloud', 'VpcEndpoint'),
  (15, 'AWSELB', 'Elastic Load Balancing', 'Load Balancer-Application'),
  (16, 'AmazonES', 'Amazon OpenSearch Service', 'Amazon OpenSearch Service Instance'),
  (17, 'AmazonKinesis', 'Amazon Kinesis', 'Kinesis Streams'),
  (18, 'AmazonECR', 'Amazon EC2 Container Registry (ECR)', 'EC2 Container Registry'),
  (19, 'AWSSecretsManager', 'AWS Secrets Manager', 'Secret'),
  (20, 'awskms', 'AWS Key Management Service', 'Encryption Key'),
  (21, 'AmazonGuardDuty', 'Amazon GuardDuty', 'Security Services'),
  (22, 'AWSGlue', 'AWS Glue', 'AWS Glue'),
  (23, 'AmazonAthena', 'Amazon Athena', 'Data Scanned'),
  (24, 'AmazonEFS', 'Amazon Elastic File System', 'Storage'),
  (25, 'AmazonSES', 'Amazon Simple Email Service', 'Sending Email'),
  (26, 'AmazonBedrock', 'Amazon Bedrock', 'Input Tokens'),
  (27, 'AWSConfig', 'AWS Config', 'Management Tools - AWS Config'),
  (28, 'AWSCloudTrail', 'AWS CloudTrail', 'Management Tools - AWS CloudTrail'),
  (29, 'AmazonMSK', 'Amazon Managed Streaming for Apache Kafka', 'Managed Streaming for Apache Kafka')
) t(p, code, name, family);
CREATE TEMP TABLE regions AS SELECT * FROM (VALUES
  (0, 'us-east-1', 'US East (N. Virginia)'), (1, 'us-east-2', 'US East (Ohio)'),
  (2, 'us-west-2', 'US West (Oregon)'), (3, 'eu-west-1', 'Europe (Ireland)'),
  (4, 'eu-central-1', 'Europe (Frankfurt)'), (5, 'ap-southeast-1', 'Asia Pacific (Singapore)')
) t(g, code, location);
)SQL");
  // Line item types by i % 100: 0-79 Usage, 80-84 covered by the Savings Plan, 85-89 the
  // negations of 80-84 (same hour, account and resource), 90-94 reserved usage, 95 plan fees,
  // 96-99 Usage; one in 100,000 a credit instead.
  con.execute(R"SQL(
COPY (
WITH base AS (
  SELECT i,
         CASE WHEN i % 100 BETWEEN 85 AND 89 THEN i - 5 ELSE i END AS b,
         CASE WHEN i % 100000 = 99 THEN 'Credit'
              WHEN i % 100 BETWEEN 80 AND 84 THEN 'SavingsPlanCoveredUsage'
              WHEN i % 100 BETWEEN 85 AND 89 THEN 'SavingsPlanNegation'
              WHEN i % 100 BETWEEN 90 AND 94 THEN 'DiscountedUsage'
              WHEN i % 100 = 95 THEN 'SavingsPlanRecurringFee'
              ELSE 'Usage' END AS t
  FROM range()SQL" +
              n + R"SQL() r(i)
), keyed AS (
  SELECT *, b % 744 AS hour, b % 25 AS acct, CAST((b // 7) % 30 AS INTEGER) AS p, (b // 3) % 6 AS g,
         (hash(b) % 5000000) / 1000000.0 + 0.000001 AS od_cost, (b // 11) % 200003 AS res
  FROM base
)
SELECT
  'Anniversary' AS bill_bill_type,
  'AWS' AS bill_billing_entity,
  TIMESTAMP '2025-02-01' AS bill_billing_period_end_date,
  TIMESTAMP '2025-01-01' AS bill_billing_period_start_date,
  CAST(NULL AS VARCHAR) AS bill_invoice_id,
  'Amazon Web Services, Inc.' AS bill_invoicing_entity,
  '012345678901' AS bill_payer_account_id,
  'Bench Payer' AS bill_payer_account_name,
  md5(CAST(i AS VARCHAR)) AS identity_line_item_id,
  strftime(TIMESTAMP '2025-01-01' + to_hours(hour), '%Y-%m-%dT%H:%M:%SZ') || '/' ||
    strftime(TIMESTAMP '2025-01-01' + to_hours(hour + 1), '%Y-%m-%dT%H:%M:%SZ') AS identity_time_interval,
  CASE WHEN t = 'Credit' THEN NULL ELSE rg.code || chr(97 + CAST(res % 3 AS INTEGER)) END AS line_item_availability_zone,
  'USD' AS line_item_currency_code,
  'Amazon Web Services, Inc.' AS line_item_legal_entity,
  pr.name || ' usage ' || (b % 10) AS line_item_line_item_description,
  t AS line_item_line_item_type,
  'Operation' || (b % 10) AS line_item_operation,
  CASE WHEN t = 'SavingsPlanRecurringFee' THEN 'ComputeSavingsPlans' ELSE pr.code END AS line_item_product_code,
  CASE WHEN t = 'Credit' THEN NULL ELSE 'i-0' || lpad(printf('%x', res), 16, '0') END AS line_item_resource_id,
  CAST(NULL AS VARCHAR) AS line_item_tax_type,
  CASE WHEN t = 'Credit' THEN -round(od_cost * 100, 2)
       WHEN t = 'SavingsPlanNegation' THEN -round(od_cost * 0.96, 6)
       WHEN t = 'DiscountedUsage' THEN 0.0
       WHEN t = 'SavingsPlanRecurringFee' THEN 12.5
       ELSE round(od_cost * 0.96, 6) END AS line_item_unblended_cost,
  CAST(round(od_cost * 0.96, 6) AS VARCHAR) AS line_item_unblended_rate,
  lpad(CAST(100000000000 + acct * 7919 AS VARCHAR), 12, '0') AS line_item_usage_account_id,
  'account-' || acct AS line_item_usage_account_name,
  CASE WHEN t = 'Credit' THEN NULL ELSE 1.0 END AS line_item_usage_amount,
  TIMESTAMP '2025-01-01' + to_hours(hour + 1) AS line_item_usage_end_date,
  TIMESTAMP '2025-01-01' + to_hours(hour) AS line_item_usage_start_date,
  CASE WHEN g = 0 THEN '' ELSE upper(substr(rg.code, 1, 2)) || g || '-' END || pr.family || ':' || (b % 10) AS line_item_usage_type,
  CASE WHEN t IN ('Credit', 'SavingsPlanRecurringFee', 'SavingsPlanNegation') THEN NULL ELSE od_cost END AS pricing_public_on_demand_cost,
  CAST(od_cost AS VARCHAR) AS pricing_public_on_demand_rate,
  CASE WHEN t = 'DiscountedUsage' THEN 'No Upfront' END AS pricing_purchase_option,
  'SKU' || p || (b % 10) || '.JRTCKXETXF.6YS6EN2CT7' AS pricing_rate_code,
  CASE WHEN t = 'DiscountedUsage' THEN 'Reserved' ELSE 'OnDemand' END AS pricing_term,
  'Hrs' AS pricing_unit,
  MAP {'product_name': pr.name, 'region': rg.code, 'servicecode': pr.code} AS product,
  CASE WHEN p = 0 THEN 'm6i.' || (b % 4 + 1) || 'xlarge' END AS product_instance_type,
  rg.location AS product_location,
  pr.family AS product_product_family,
  rg.code AS product_region_code,
  pr.code AS product_servicecode,
  'SKU' || p || (b % 10) AS product_sku,
  CASE WHEN t = 'DiscountedUsage' THEN round(od_cost * 0.3, 6) END AS reservation_amortized_upfront_cost_for_usage,
  CAST(NULL AS DOUBLE) AS reservation_amortized_upfront_fee_for_billing_period,
  CASE WHEN t = 'DiscountedUsage' THEN round(od_cost * 0.6, 6) END AS reservation_effective_cost,
  CASE WHEN t = 'DiscountedUsage' THEN round(od_cost * 0.3, 6) END AS reservation_recurring_fee_for_usage,
  CASE WHEN t = 'DiscountedUsage' THEN 'arn:aws:ec2:us-east-1:012345678901:reserved-instances/ri-' || (acct % 5) END AS reservation_reservation_a_r_n,
  CAST(NULL AS DOUBLE) AS reservation_unused_amortized_upfront_fee_for_billing_period,
  CAST(NULL AS DOUBLE) AS reservation_unused_recurring_fee,
  CASE WHEN res % 12 = 0 THEN MAP {'user_Name': 'res-' || res}
       ELSE MAP {'user_Name': 'res-' || res, 'user_team': 'team-' || (res % 17), 'user_env': ['prod', 'staging', 'dev'][res % 3 + 1],
                 'aws_createdBy': 'AssumedRole:AROAEXAMPLE:ci'} END AS resource_tags,
  CASE WHEN t LIKE 'SavingsPlan%' THEN 'ComputeSavingsPlans' END AS savings_plan_offering_type,
  CASE WHEN t LIKE 'SavingsPlan%' THEN 'No Upfront' END AS savings_plan_payment_option,
  CASE WHEN t LIKE 'SavingsPlan%' THEN '3yr' END AS savings_plan_purchase_term,
  CASE WHEN t LIKE 'SavingsPlan%' THEN 'arn:aws:savingsplans::012345678901:savingsplan/sp-' || (acct % 3) END AS savings_plan_savings_plan_a_r_n,
  CASE WHEN t = 'SavingsPlanCoveredUsage' THEN round(od_cost * 0.7, 6) END AS savings_plan_savings_plan_effective_cost,
  CASE WHEN t = 'SavingsPlanCoveredUsage' THEN round(od_cost * 0.7, 6) END AS savings_plan_savings_plan_rate,
  CASE WHEN t = 'SavingsPlanRecurringFee' THEN 12.5 END AS savings_plan_total_commitment_to_date,
  CASE WHEN t = 'SavingsPlanRecurringFee' THEN 11.0 END AS savings_plan_used_commitment
FROM keyed
JOIN products pr USING (p)
JOIN regions rg USING (g)
ORDER BY i
) TO ')SQL" + file.string() +
              R"SQL(' (FORMAT parquet, COMPRESSION snappy)
)SQL");
}

void write_layout(const fs::path& root, const std::string& data_key) {
  std::string manifest_key = std::string("metadata/BILLING_PERIOD=") + kPeriod +
                             "/20250201T040000Z/" + kExport + "-Manifest.json";
  fs::create_directories((root / manifest_key).parent_path());
  std::ofstream(root / manifest_key)
      << R"({"executionId": "bench-0001", "billingPeriod": {"start": ")" << kPeriod
      << R"(-01T00:00:00Z", "end": "2025-02-01T00:00:00Z"}, "dataFiles": ["s3://bench/cur/)"
      << kExport << "/" << data_key << "\"]}\n";
}

int bare_duckdb(const char* parquet, const char* database) {
  auto db = billingfoot::warehouse::Database::open(database);
  auto con = db.connect();
  con.execute(std::string("CREATE TABLE cur AS SELECT * FROM read_parquet('") + parquet + "')");
  auto n = con.query("SELECT count(*) FROM cur");
  std::printf("%s\n", n.text(0, 0).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Child mode: the bare DuckDB load, in its own process so its peak memory is its own.
  if (argc == 4 && std::strcmp(argv[1], "--bare-ctas") == 0) return bare_duckdb(argv[2], argv[3]);

  long rows = 10'000'000;
  int rounds = 3;
  bool keep = false, debug = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keep") == 0) {
      keep = true;
    } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--debug") == 0) {
      debug = true;
    } else {
      rows = std::atol(argv[i]);
    }
  }
  fs::path dir = fs::temp_directory_path() / ("billingfoot-cur-bench-" + std::to_string(getpid()));
  fs::path root = dir / "exports/cur" / kExport;
  std::string data_key = std::string("data/BILLING_PERIOD=") + kPeriod + "/20250201T040000Z/" +
                         kExport + "-00001.snappy.parquet";
  fs::path parquet = root / data_key;
  fs::create_directories(parquet.parent_path());

  auto gen_start = std::chrono::steady_clock::now();
  generate(parquet, rows);
  double gen = std::chrono::duration<double>(std::chrono::steady_clock::now() - gen_start).count();
  write_layout(root, data_key);
  std::ofstream(dir / "billingfoot.yaml")
      << "data_dir: ./.billingfoot\nsources:\n  - name: aws\n"
         "    type: aws_data_exports\n    location: ./exports/cur/"
      << kExport << "\n";
  double mb = static_cast<double>(fs::file_size(parquet)) / 1e6;
  std::printf(
      "rows                 %ld (one CUR 2.0 month, %.0f MB Parquet, generated in %.1f s)\n", rows,
      mb, gen);
  std::fflush(stdout);

  std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<double> ratios;
  double bare_peak = 0, sync_peak = 0;
  for (int round = 1; round <= rounds; ++round) {
    fs::remove(dir / "bare.duckdb");
    fs::remove(dir / "bare.duckdb.wal");
    fs::remove_all(dir / ".billingfoot");
    Run bare = run_child({self, "--bare-ctas", parquet.string(), (dir / "bare.duckdb").string()}, dir,
                         dir / "bare.out", dir / "bare.err");
    std::string bare_rows = read_text(dir / "bare.out");
    std::vector<std::string> sync_args = {BILLINGFOOT_BINARY};
    if (debug) sync_args.insert(sync_args.end(), {"--log-level", "debug"});
    sync_args.push_back("sync");
    Run sync = run_child(sync_args, dir, dir / "sync.out", dir / "sync.err");
    std::printf("round %d: bare DuckDB CTAS %.2f s (%.0f rows/s, peak %.0f MB, %ld rows), billingfoot sync %.2f s "
                "(%.0f rows/s, peak %.0f MB): ratio %.2f\n",
                round, bare.seconds, rows / bare.seconds, bare.peak_mb, std::atol(bare_rows.c_str()), sync.seconds,
                rows / sync.seconds, sync.peak_mb, sync.seconds / bare.seconds);
    if (round == 1) std::printf("  %s", read_text(dir / "sync.out").c_str());
    if (debug) std::printf("%s", read_text(dir / "sync.err").c_str());
    std::fflush(stdout);
    ratios.push_back(sync.seconds / bare.seconds);
    bare_peak = std::max(bare_peak, bare.peak_mb);
    sync_peak = std::max(sync_peak, sync.peak_mb);
  }
  Run again = run_child({BILLINGFOOT_BINARY, "sync"}, dir, dir / "again.out", dir / "again.err");
  std::printf("unchanged re-sync    %.3f s\n", again.seconds);
  std::vector<double> sorted = ratios;
  std::sort(sorted.begin(), sorted.end());
  std::printf("ratio sync / bare    median %.2f (min %.2f, max %.2f over %d rounds)  (target <= 1.5)\n",
              sorted[sorted.size() / 2], sorted.front(), sorted.back(), rounds);
  std::printf("peak memory          sync %.0f MB, bare %.0f MB  (target <= 2048 MB)\n", sync_peak, bare_peak);
  if (keep) {
    std::printf("kept %s\n", dir.c_str());
  } else {
    fs::remove_all(dir);
  }
  return 0;
}
