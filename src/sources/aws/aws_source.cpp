#include "sources/aws/aws_source.hpp"

#include <spdlog/spdlog.h>
#include <zip.h>

#include <cstdio>
#include <set>

#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "common/hash.hpp"
#include "common/step_timer.hpp"
#include "common/strings.hpp"
#include "sources/aws/cur_input.hpp"
#include "sources/aws/cur_tags.hpp"
#include "sources/aws/deliveries.hpp"
#include "sources/files.hpp"
#include "sources/focus/focus_source.hpp"
#include "sources/object_store.hpp"
#include "sources/partition_loader.hpp"

namespace billingfoot::sources::aws {

namespace fs = std::filesystem;
using common::quote_ident;
using common::quote_literal;

const std::vector<std::string_view> kConfigKeys = {"region", "endpoint", "access_key_id", "secret_access_key",
                                                   "session_token"};

namespace {

std::string scalar(const config::SourceConfig& source, const char* key) {
  auto node = source.raw[key];
  return node && node.IsScalar() ? node.Scalar() : "";
}

// The mapping's version: a change to any SQL that shapes rows reloads every period once.
// kTagFunctionsVersion stands for the C++ tag functions (cur_tags.cpp): count it up when what
// they return changes.
constexpr const char* kTagFunctionsVersion = "tags 1";
std::string mapping_version() {
  static const std::string version = common::sha256_hex(
      std::string(kTagFunctionsVersion) + std::string(common::embedded_resource("sources/macros.sql")) +
      std::string(common::embedded_resource("sources/aws/macros.sql")) +
      std::string(common::embedded_resource("sources/aws/cur_to_focus.sql")) +
      std::string(common::embedded_resource("sources/aws/service_categories.sql")) +
      std::string(common::embedded_resource("sources/aws/regions.sql")) +
      std::string(common::embedded_resource("sources/focus/normalize.sql"))).substr(0, 12);
  return version;
}

// DuckDB's message for a failed conversion, naming the CUR column rather than the loader's
// <column>__text that carries a `decimal` column's delivered text (see cur_input_select).
std::string conversion_message(const warehouse::Error& e) {
  std::string message = e.engine_message();
  for (auto at = message.find("__text"); at != std::string::npos; at = message.find("__text", at)) {
    message.erase(at, 6);
  }
  return message;
}

// Streams the CSV inside a ZIP-compressed CUR file to `dir`; returns the extracted file.
fs::path extract_zip(const fs::path& zip_file, const fs::path& dir, const std::string& what) {
  int error = 0;
  zip_t* archive = zip_open(zip_file.c_str(), ZIP_RDONLY, &error);
  if (!archive) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, error);
    std::string message = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw InputError(what + ": file " + zip_file.string() + ": not a readable ZIP archive (" + message + ")");
  }
  std::unique_ptr<zip_t, void (*)(zip_t*)> guard(archive, [](zip_t* z) { zip_discard(z); });
  zip_int64_t entries = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    std::string name = zip_get_name(archive, static_cast<zip_uint64_t>(i), 0);
    if (name.ends_with("/")) continue;
    std::string base = fs::path(name).filename().string();
    if (!common::to_lower(base).ends_with(".csv")) base += ".csv";
    fs::create_directories(dir);
    fs::path out_path = dir / (zip_file.stem().string() + "-" + base);
    fs::path partial = out_path;
    partial += ".partial";
    zip_file_t* member = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
    if (!member) throw InputError(what + ": file " + zip_file.string() + ": cannot open " + name);
    std::FILE* out = std::fopen(partial.c_str(), "wb");
    char buffer[1 << 16];
    zip_int64_t n = 0;
    bool ok = out != nullptr;
    while (ok && (n = zip_fread(member, buffer, sizeof buffer)) > 0) {
      ok = std::fwrite(buffer, 1, static_cast<size_t>(n), out) == static_cast<size_t>(n);
    }
    zip_fclose(member);
    if (out) ok = (std::fclose(out) == 0) && ok;
    if (!ok || n < 0) {
      fs::remove(partial);
      throw InputError(what + ": file " + zip_file.string() + ": " + name + " is truncated or corrupt");
    }
    fs::rename(partial, out_path);
    return out_path;  // CUR ZIP files hold one CSV
  }
  throw InputError(what + ": file " + zip_file.string() + ": the ZIP archive holds no file");
}

class AwsSource : public Source {
 public:
  AwsSource(const config::Config& config, const config::SourceConfig& source)
      : name_(source.name), landing_(config.data_dir / "landing" / source.name) {
    if (!source.location) {
      throw UsageError(source.origin.describe() +
                       ": a source of type aws_data_exports needs location: (s3://bucket/prefix/export or a folder)");
    }
    ObjectStoreOptions o;
    o.location = *source.location;
    o.base = config.base_dir;
    o.s3.region = scalar(source, "region");
    if (o.s3.region.empty()) {
      const char* env = std::getenv("AWS_REGION");
      if (!env) env = std::getenv("AWS_DEFAULT_REGION");
      o.s3.region = env ? env : "us-east-1";
    }
    o.s3.endpoint = scalar(source, "endpoint");
    o.s3.what = "source " + name_;
    if (net::parse_s3_url(o.location)) {
      std::string key_id = scalar(source, "access_key_id");
      if (!key_id.empty()) {
        o.s3.credentials = {key_id, scalar(source, "secret_access_key"), scalar(source, "session_token")};
        if (o.s3.credentials.secret_access_key.empty()) {
          throw UsageError(source.origin_of("access_key_id").describe() +
                           ": access_key_id is set but secret_access_key is not");
        }
      } else if (auto env = net::AwsCredentials::from_environment()) {
        o.s3.credentials = *env;
      } else {
        throw UsageError(source.origin.describe() + ": source " + name_ +
                         " reads S3 but has no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                         "(and AWS_SESSION_TOKEN for temporary credentials) or access_key_id / "
                         "secret_access_key: ${...} in the config");
      }
    }
    location_ = o.location;
    store_ = open_object_store(o);
  }

  SyncResult sync(warehouse::Warehouse& warehouse, const SyncOptions& options) override {
    SyncResult result;
    std::vector<Delivery> deliveries;
    try {
      std::vector<StoredObject> listing;
      {
        common::StepTimer timer(name_ + ": list " + location_);
        listing = store_->list();
      }
      deliveries = find_deliveries(listing, [&](const std::string& key) { return store_->read_text(key); });
      if (deliveries.empty()) {
        throw InputError("source " + name_ + ": no AWS export at " + location_ + " (" +
                         std::to_string(listing.size()) +
                         " objects): expected data/BILLING_PERIOD=YYYY-MM/ and metadata/ (Data Exports) or "
                         "yyyymmdd-yyyymmdd/ folders (legacy CUR)");
      }
    } catch (const std::exception& e) {
      result.error = e.what();
      return result;
    }
    for (const auto& d : deliveries) {
      if (!options.range.contains(d.billing_period)) continue;
      result.periods.push_back(sync_period(warehouse, d, options));
    }
    return result;
  }

 private:
  PeriodResult sync_period(warehouse::Warehouse& warehouse, const Delivery& d, const SyncOptions& options) {
    std::string started_at = warehouse::utc_now();
    std::string state_key = "delivery:" + d.billing_period;
    std::string delivery = mapping_version() + ":" + d.fingerprint;
    if (!d.note.empty()) spdlog::warn("{} {}: {}", name_, d.billing_period, d.note);
    if (!options.full && warehouse.source_state(name_, state_key) == delivery) {
      spdlog::info("{} {}: delivery unchanged ({} files)", name_, d.billing_period, d.files.size());
      return unchanged_period(warehouse, name_, d.billing_period, "unchanged (same delivery)", started_at);
    }
    PeriodResult failed;
    failed.billing_period = d.billing_period;
    try {
      std::vector<fs::path> files = land(d);
      bool streamed = stage(warehouse.connection(), d, files);
      StagedLoad load{name_, "aws_data_exports", "aws_staged_rows", "aws:" + mapping_version() + ":", started_at,
                      {"aws_staged_added", "aws_staged_line_items"}};
      std::vector<PeriodResult> results;
      if (streamed) {
        // CUR: the mapping views are evaluated once, straight into focus_costs (the few added
        // rows first, then the line items). When the load fails, evaluating the mapping alone
        // tells a conversion error or a bad row apart.
        results.push_back(load_streamed_period(warehouse, load, d.billing_period, options, [&] {
          explain_mapping_failure(warehouse.connection(), d);
        }));
      } else {
        results = load_staged_periods(warehouse, load, options);
      }
      cleanup(warehouse.connection());
      if (results.size() != 1) throw InputError("source " + name_ + ": billing period " + d.billing_period + " staged no rows");
      if (results.front().status != PeriodStatus::Failed) {
        warehouse.set_source_state(name_, state_key, delivery);
        prune_landing(d, files);
      }
      return results.front();
    } catch (const std::exception& e) {
      cleanup(warehouse.connection());
      failed.status = PeriodStatus::Failed;
      failed.message = e.what();
      spdlog::error("{} {}: {}", name_, d.billing_period, e.what());
      try {
        warehouse.record_load({name_, d.billing_period, delivery, "failed", e.what(), started_at});
      } catch (const std::exception& e2) {
        spdlog::error("{} {}: could not record the failed load: {}", name_, d.billing_period, e2.what());
      }
      return failed;
    }
  }

  // Local copies of the delivery's files: S3 objects are downloaded into the landing zone,
  // ZIP files are unpacked there; local files are read in place.
  std::vector<fs::path> land(const Delivery& d) {
    fs::path dir = landing_ / d.billing_period;
    std::vector<fs::path> files;
    for (const auto& object : d.files) {
      fs::path file;
      {
        common::StepTimer timer(name_ + ": fetch " + object.key);
        file = store_->fetch(object, dir);
      }
      if (common::to_lower(file.string()).ends_with(".zip")) {
        file = extract_zip(file, dir / "unzipped", "source " + name_);
      }
      files.push_back(file);
    }
    return files;
  }

  // Prepares aws_staged_rows: a staging table of a FOCUS export's rows (returns false), or views
  // mapping a CUR delivery's files to FOCUS rows, meant to be read once (returns true): all rows
  // in aws_staged_rows, and its two parts aws_staged_added and aws_staged_line_items.
  bool stage(warehouse::Connection& con, const Delivery& d, const std::vector<fs::path>& files) {
    con.execute(std::string(common::embedded_resource("sources/macros.sql")), "defining conversion macros");
    std::vector<std::vector<std::pair<std::string, std::string>>> columns(files.size());
    std::set<Flavor> flavors;
    for (size_t i = 0; i < files.size(); ++i) {
      std::string raw = "bf_aws_raw_" + std::to_string(i);
      read_file_into(con, files[i], raw, name_, ReadMode::View);
      raw_views_.push_back(raw);
      auto cols = con.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = " +
                            quote_literal(raw) + " ORDER BY ordinal_position");
      std::vector<std::string> names;
      for (size_t c = 0; c < cols.row_count(); ++c) {
        columns[i].emplace_back(cols.text(c, 0), cols.text(c, 1));
        names.push_back(cols.text(c, 0));
      }
      flavors.insert(detect_flavor(names));
    }
    if (flavors.size() > 1) {
      throw InputError("source " + name_ + ": billing period " + d.billing_period +
                       ": the delivery mixes FOCUS and CUR files; one export per location");
    }
    if (*flavors.begin() == Flavor::Focus) {
      drop_raw_views(con);
      focus::stage_focus_files(con, files, name_, location_);
      con.execute("ALTER TABLE focus_staging RENAME TO aws_staging");
      check_staged(con, d);
      con.execute("CREATE OR REPLACE TEMP VIEW aws_staged_rows AS SELECT * EXCLUDE (bf_file) FROM aws_staging");
      return false;
    }
    con.execute(std::string(common::embedded_resource("sources/aws/macros.sql")), "defining CUR macros");
    define_cur_tag_functions(con);
    std::vector<std::string> selects;
    for (size_t i = 0; i < files.size(); ++i) {
      selects.push_back(cur_input_select(columns[i], raw_views_[i], files[i].string(), name_));
    }
    con.execute("CREATE OR REPLACE TEMP VIEW aws_cur_input AS " + common::join(selects, "\nUNION ALL BY NAME\n"));
    con.execute(std::string(common::embedded_resource("sources/aws/service_categories.sql")));
    con.execute(std::string(common::embedded_resource("sources/aws/regions.sql")));
    try {
      con.execute(std::string(common::embedded_resource("sources/aws/cur_to_focus.sql")));
      con.execute("CREATE OR REPLACE TEMP VIEW aws_staged_rows AS SELECT * EXCLUDE (bf_file) FROM aws_staging");
      con.execute("CREATE OR REPLACE TEMP VIEW aws_staged_added AS SELECT * EXCLUDE (bf_file) FROM aws_cur_added");
      con.execute(
          "CREATE OR REPLACE TEMP VIEW aws_staged_line_items AS SELECT * EXCLUDE (bf_file) FROM aws_cur_line_items");
    } catch (const warehouse::Error& e) {
      throw InputError("source " + name_ + ": billing period " + d.billing_period +
                       ": cannot convert the CUR files to FOCUS: " + conversion_message(e) + " (files: " +
                       describe_files(d) + ")");
    }
    return true;
  }

  // After a failed streamed load: evaluates the mapping view alone; throws InputError naming
  // the files when a value does not convert or a row lacks a cost or belongs to another period.
  void explain_mapping_failure(warehouse::Connection& con, const Delivery& d) {
    try {
      check_staged(con, d);
    } catch (const warehouse::Error& e) {
      throw InputError("source " + name_ + ": billing period " + d.billing_period +
                       ": cannot convert the CUR files to FOCUS: " + conversion_message(e) + " (files: " +
                       describe_files(d) + ")");
    }
  }

  // Every row must belong to the partition it was delivered in and carry a cost.
  void check_staged(warehouse::Connection& con, const Delivery& d) {
    auto bad = con.query(
        "SELECT bf_file, count(*) FILTER (WHERE BilledCost IS NULL), count(*) FILTER (WHERE BillingPeriodStart IS "
        "NULL), min(x_BillingPeriod) FILTER (WHERE x_BillingPeriod <> " + quote_literal(d.billing_period) +
        ") FROM aws_staging WHERE BilledCost IS NULL OR BillingPeriodStart IS NULL OR x_BillingPeriod <> " +
        quote_literal(d.billing_period) + " GROUP BY 1 ORDER BY 1 LIMIT 1");
    if (!bad.row_count()) return;
    std::string file = bad.text(0, 0);
    if (bad.text(0, 1) != "0" || bad.text(0, 2) != "0") {
      throw InputError("source " + name_ + ": file " + file + ": " + bad.text(0, 1) + " rows without a cost and " +
                       bad.text(0, 2) + " without a billing period start (nothing was loaded)");
    }
    throw InputError("source " + name_ + ": file " + file + " holds rows of billing period " + bad.text(0, 3) +
                     " but was delivered for " + d.billing_period + " (nothing was loaded)");
  }

  std::string describe_files(const Delivery& d) const {
    std::vector<std::string> names;
    for (const auto& f : d.files) names.push_back(store_->describe(f.key));
    return common::join(names, ", ");
  }

  // Keeps the landing zone to the current delivery: older deliveries' files are removed.
  void prune_landing(const Delivery& d, const std::vector<fs::path>& current) {
    if (!store_->is_remote()) {
      std::error_code ec;
      fs::remove_all(landing_ / d.billing_period / "unzipped", ec);
      return;
    }
    std::set<std::string> keep;
    for (const auto& object : d.files) {
      fs::path f = landing_ / d.billing_period / object.key;
      keep.insert(f.string());
      keep.insert(f.string() + ".etag");
    }
    for (const auto& f : current) keep.insert(f.string());
    fs::path dir = landing_ / d.billing_period;
    std::error_code ec;
    std::vector<fs::path> stale;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_regular_file() && !keep.count(it->path().string())) stale.push_back(it->path());
    }
    for (const auto& f : stale) fs::remove(f, ec);
  }

  void drop_raw_views(warehouse::Connection& con) {
    for (const auto& v : raw_views_) con.execute("DROP VIEW IF EXISTS " + quote_ident(v));
    raw_views_.clear();
  }

  void cleanup(warehouse::Connection& con) {
    try {
      for (const char* view : {"aws_staged_rows", "aws_staged_added", "aws_staged_line_items"}) {
        con.execute(std::string("DROP VIEW IF EXISTS ") + view);
      }
      // A table when a FOCUS export was staged, a view when a CUR delivery was mapped.
      auto staging = con.query("SELECT table_type FROM information_schema.tables WHERE table_name = 'aws_staging'");
      if (staging.row_count()) {
        con.execute(staging.text(0, 0) == "VIEW" ? "DROP VIEW aws_staging" : "DROP TABLE aws_staging");
      }
      for (const char* view : {"aws_cur_added", "aws_cur_line_items", "aws_cur_negation_remainder", "aws_cur_unused",
                               "aws_cur_focus", "aws_cur_charges", "aws_cur_rows", "aws_cur_input"}) {
        con.execute(std::string("DROP VIEW IF EXISTS ") + view);
      }
      focus::drop_focus_staging(con);
      drop_raw_views(con);
    } catch (const std::exception& e) {
      spdlog::warn("{}: cleaning up temporary tables failed: {}", name_, e.what());
    }
  }

  std::string name_;
  fs::path landing_;
  std::string location_;
  std::unique_ptr<ObjectStore> store_;
  std::vector<std::string> raw_views_;
};

}  // namespace

std::unique_ptr<Source> create(const config::Config& config, const config::SourceConfig& source) {
  return std::make_unique<AwsSource>(config, source);
}

}  // namespace billingfoot::sources::aws
