// `billingfoot export --to DIR|s3://bucket/prefix`: the Hive-partitioned Parquet lake of the
// cost tables (see lake/exporter.hpp), with a summary of what it wrote.
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/app.hpp"
#include "app/output.hpp"
#include "common/errors.hpp"
#include "lake/exporter.hpp"
#include "net/s3.hpp"

namespace billingfoot::app {

namespace {

struct ExportArgs {
  std::string to;
  bool full = false;
  std::string format = "table";
  std::optional<std::string> region, endpoint;
  int64_t multipart_threshold = 64ll << 20;
  int64_t part_size = 16ll << 20;
};

std::string env_or(std::initializer_list<const char*> names, const std::string& fallback) {
  for (const char* name : names) {
    const char* v = std::getenv(name);
    if (v && *v) return v;
  }
  return fallback;
}

// The S3 side of the export from flags and the standard AWS environment variables, as the
// aws_data_exports source reads them (region, endpoint, credentials).
lake::S3LakeOptions s3_options(const ExportArgs& args, const config::Config& cfg) {
  lake::S3LakeOptions o;
  o.s3.region = args.region.value_or(env_or({"AWS_REGION", "AWS_DEFAULT_REGION"}, "us-east-1"));
  o.s3.endpoint = args.endpoint.value_or(env_or({"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}, ""));
  o.s3.what = "export";
  auto credentials = net::AwsCredentials::from_environment();
  if (!credentials) {
    throw UsageError("export to " + args.to +
                     " needs S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                     "AWS_SESSION_TOKEN "
                     "for temporary credentials)");
  }
  o.s3.credentials = *credentials;
  if (args.multipart_threshold < 1)
    throw UsageError("--multipart-threshold must be at least 1 byte");
  if (args.part_size < 1) throw UsageError("--part-size must be at least 1 byte");
  o.multipart = {args.multipart_threshold, args.part_size};
  o.scratch = cfg.data_dir / "export-scratch";
  return o;
}

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

void print_table(const lake::ExportSummary& s, const std::string& currency) {
  std::string cost_header = "billed_cost " + currency;
  size_t table_w = 5, dir_w = 9;
  for (const auto& p : s.partitions) {
    table_w = std::max(table_w, p.table.size());
    dir_w = std::max(dir_w, p.key.dir().size());
  }
  if (!s.partitions.empty()) {
    std::cout << fmt::format("{:<{}}  {:<{}}  {:<9}  {:>9}  {:>10}  {:>16}\n", "table", table_w,
                             "partition", dir_w, "action", "rows", "bytes", cost_header);
    for (const auto& p : s.partitions) {
      std::cout << fmt::format("{:<{}}  {:<{}}  {:<9}  {:>9}  {:>10}  {:>16}\n", p.table, table_w,
                               p.key.dir(), dir_w, lake::action_name(p.action), p.rows, p.bytes,
                               format_money(p.billed_cost));
    }
  } else {
    std::cout << "no cost rows in the warehouse: nothing to export\n";
  }
  std::cout << fmt::format(
      "\nexported to {} in {:.1f} s (export {}): {} partitions written, {} unchanged, {} removed; "
      "{} rows, {} "
      "written; the lake holds {} rows, {}\n",
      s.location, s.seconds, s.export_id, s.written, s.unchanged, s.removed, s.rows_written,
      human_bytes(s.bytes_written), s.rows_total, human_bytes(s.bytes_total));
}

void print_json(const lake::ExportSummary& s) {
  nlohmann::ordered_json partitions = nlohmann::ordered_json::array();
  for (const auto& p : s.partitions) {
    partitions.push_back(
        {{"table", p.table},
         {"provider", p.key.provider ? nlohmann::ordered_json(*p.key.provider) : nullptr},
         {"billing_period", p.key.billing_period},
         {"path", p.table + "/" + p.key.dir()},
         {"action", lake::action_name(p.action)},
         {"rows", p.rows},
         {"bytes", p.bytes},
         {"billed_cost", p.billed_cost}});
  }
  nlohmann::ordered_json out = {{"export_id", s.export_id},
                                {"to", s.location},
                                {"tables", s.tables},
                                {"written", s.written},
                                {"unchanged", s.unchanged},
                                {"removed", s.removed},
                                {"rows_written", s.rows_written},
                                {"bytes_written", s.bytes_written},
                                {"rows_total", s.rows_total},
                                {"bytes_total", s.bytes_total},
                                {"duration_seconds", s.seconds},
                                {"partitions", std::move(partitions)}};
  std::cout << out.dump(2) << "\n";
}

int run_export(const Globals& globals, const ExportArgs& args) {
  Format format = parse_format(args.format);
  auto s3_url = net::parse_s3_url(args.to);
  if (args.to.starts_with("s3://") && !s3_url)
    throw UsageError("--to " + args.to + ": expected s3://bucket/prefix");
  if (!s3_url && (args.region || args.endpoint)) {
    throw UsageError("--region and --endpoint apply to an s3:// target only, not to " + args.to);
  }
  if (args.to.empty()) throw UsageError("--to needs a folder or s3://bucket/prefix");
  config::Config cfg = load_config(globals);
  std::optional<lake::S3LakeOptions> s3;
  if (s3_url) s3 = s3_options(args, cfg);

  // As `report` does: allocated costs are brought up to date before they are read.
  ensure_models_current(cfg);
  auto wh = open_warehouse(cfg, Access::ReadOnlyWritingFiles);
  lake::ExportOptions options;
  options.full = args.full;
  options.export_id = lake::new_export_id();
  auto store = s3_url ? lake::open_s3_lake(*s3_url, *s3, options.export_id)
                      : lake::open_local_lake(args.to, options.export_id);
  lake::ExportSummary summary = lake::export_lake(wh.connection(), *store, options);
  if (format == Format::Json) {
    print_json(summary);
  } else {
    print_table(summary, cfg.currency);
  }
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("export",
                                 "write focus_costs (and cost_allocated) as a Hive-partitioned "
                                 "Parquet lake for BigQuery, Athena, "
                                 "Trino or Spark");
  auto args = std::make_shared<ExportArgs>();
  cmd->add_option("--to", args->to, "a folder, or s3://bucket/prefix")->required();
  cmd->add_flag("--full", args->full, "rewrite every partition, changed or not");
  cmd->add_option("--format", args->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--region", args->region,
                  "S3 region (default $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1)");
  cmd->add_option(
      "--endpoint", args->endpoint,
      "S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default $AWS_ENDPOINT_URL_S3, "
      "$AWS_ENDPOINT_URL; none: AWS)");
  cmd->add_option("--multipart-threshold", args->multipart_threshold,
                  "files of this size or larger go to S3 as multipart uploads (default 64MiB)")
      ->transform(CLI::AsSizeValue(false));
  cmd->add_option("--part-size", args->part_size,
                  "size of each multipart upload part (default 16MiB; S3 needs >= 5MiB)")
      ->transform(CLI::AsSizeValue(false));
  cmd->callback([&globals, &action, args] {
    action = [&globals, args] { return run_export(globals, *args); };
  });
}

}  // namespace billingfoot::app
