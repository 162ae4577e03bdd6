// `billingfoot export` end to end through the real binary: the lake is read back with DuckDB
// (hive_partitioning) and every partition's row count and BilledCost total must equal what was
// put in — computed here from the input CSV files, not through billingfoot — and what the
// warehouse holds. Then incremental re-exports, an export killed before its swap, S3 (moto_server
// on loopback, multipart uploads) and the errors a user can act on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "net/s3.hpp"
#include "support/cli.hpp"
#include "support/file_query.hpp"
#include "support/server_process.hpp"

namespace billingfoot::testing {
namespace {

namespace fs = std::filesystem;
using Money = __int128;
using json = nlohmann::json;

// (ProviderName, YYYY-MM) → rows and BilledCost.
struct Totals {
  int64_t rows = 0;
  Money billed = 0;
  bool operator==(const Totals&) const = default;
};
using PartitionTotals = std::map<std::pair<std::string, std::string>, Totals>;

std::string show(const PartitionTotals& t) {
  std::string s;
  for (const auto& [k, v] : t)
    s += k.first + " " + k.second + ": " + std::to_string(v.rows) + " / " + format_e10(v.billed) +
         "\n";
  return s;
}

// Totals per provider and billing period of FOCUS CSV files, computed from the files themselves.
void add_csv_totals(const fs::path& file, PartitionTotals& totals) {
  auto table = parse_csv(read_file(file));
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < table[0].size(); ++i) col[table[0][i]] = i;
  for (size_t r = 1; r < table.size(); ++r) {
    const auto& row = table[r];
    if (row.size() < table[0].size()) continue;
    Totals& t =
        totals[{row[col.at("ProviderName")], row[col.at("BillingPeriodStart")].substr(0, 7)}];
    ++t.rows;
    const std::string& cost = row[col.at("BilledCost")];
    if (!cost.empty() && cost != "NULL") t.billed += parse_decimal_e10(cost);
  }
}

PartitionTotals totals_of_rows(const std::vector<std::vector<std::string>>& rows) {
  PartitionTotals t;
  for (const auto& r : rows) t[{r[0], r[1]}] = {std::stoll(r[2]), parse_decimal_e10(r[3])};
  return t;
}

// The lake as a reader sees it: every Parquet file under <table>, partitions from the paths.
PartitionTotals lake_totals(const fs::path& lake, const std::string& table = "focus_costs") {
  return totals_of_rows(
      file_query("SELECT provider, billing_period, count(*), sum(BilledCost) FROM read_parquet(" +
                 sql_path((lake / table).string() + "/**/*.parquet") +
                 ", hive_partitioning = true) GROUP BY ALL ORDER BY ALL"));
}

PartitionTotals warehouse_totals(const fs::path& dir, const std::string& table = "focus_costs") {
  CliResult r = run_cli({"query", "--format", "csv",
                         "SELECT ProviderName, strftime(BillingPeriodStart, '%Y-%m'), count(*), "
                         "sum(BilledCost) FROM " +
                             table + " GROUP BY ALL ORDER BY ALL"},
                        {}, dir);
  EXPECT_EQ(r.status, 0) << r.err;
  auto rows = parse_csv(r.out);
  rows.erase(rows.begin());
  return totals_of_rows(rows);
}

const char* kAcme = "Acme Cloud/EU=1";  // a provider name that needs escaping in a path
const char* kAcmeDir = "provider=Acme%20Cloud%2FEU%3D1";

// A month of the second source: `rows` charges of `cost` each.
std::string acme_month(const std::string& month, const std::string& next, const std::string& cost,
                       int rows, const std::string& provider = kAcme) {
  std::string text =
      "BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,"
      "ChargePeriodEnd,"
      "ChargeCategory,BilledCost,EffectiveCost,ListCost,ContractedCost,ProviderName,PublisherName,"
      "InvoiceIssuerName,"
      "ServiceName,ServiceCategory,Tags\n";
  for (int i = 0; i < rows; ++i) {
    std::string day = std::to_string(10 + i % 18);
    text += "42,USD," + month + "-01T00:00:00Z," + next + "-01T00:00:00Z," + month + "-" + day +
            "T00:00:00Z," + month + "-" + day + "T01:00:00Z,Usage," + cost + "," + cost + "," +
            cost + "," + cost + "," + provider +
            ",Acme,Acme,"
            "Object Store,Storage,\"{\"\"team\"\": \"\"web\"\"}\"\n";
  }
  return text;
}

struct FileId {
  ino_t inode = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileId&) const = default;
};

FileId file_id(const fs::path& file) {
  struct stat st {};
  EXPECT_EQ(::stat(file.c_str(), &st), 0) << file;
  return {st.st_ino, static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

std::map<std::string, FileId> part_files(const fs::path& table_dir) {
  std::map<std::string, FileId> files;
  if (!fs::exists(table_dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(table_dir)) {
    if (e.path().extension() == ".parquet")
      files[fs::relative(e.path(), table_dir).string()] = file_id(e.path());
  }
  return files;
}

class LakeExport : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "acme/sep.csv", acme_month("2024-09", "2024-10", "1.2500000001", 30));
    write_file(dir_ / "acme/oct.csv", acme_month("2024-10", "2024-11", "2.5", 20));
    write_file(dir_ / "billingfoot.yaml", sources_config());
    sync();
  }

  // Two FOCUS sources: the shared sample and the folder of the second provider.
  static std::string sources_config() {
    return "data_dir: ./.billingfoot\nsources:\n  - name: sample\n    type: focus\n    location: " +
           sample().string() + "\n  - name: acme\n    type: focus\n    location: ./acme\n";
  }

  static fs::path sample() { return shared_testdata("focus-1.0-sample/focus_sample.csv"); }

  void sync() {
    auto r = run_cli({"sync"}, {}, dir_.path());
    ASSERT_EQ(r.status, 0) << r.out << r.err;
  }

  // Expected partitions, from the input files.
  PartitionTotals expected() {
    PartitionTotals t;
    add_csv_totals(sample(), t);
    add_csv_totals(dir_ / "acme/sep.csv", t);
    add_csv_totals(dir_ / "acme/oct.csv", t);
    return t;
  }

  json export_json(const std::vector<std::string>& extra = {},
                   const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args = {"export", "--to", lake().string(), "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_cli(args, env, dir_.path());
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return json::parse(r.out, nullptr, false);
  }

  fs::path lake() const { return dir_ / "lake"; }
  fs::path partition(const std::string& provider_dir, const std::string& period) const {
    return lake() / "focus_costs" / provider_dir / ("billing_period=" + period);
  }

  TempDir dir_;
};

TEST_F(LakeExport, LocalLakeReadBackEqualsInputFilesAndWarehousePerProviderAndMonth) {
  PartitionTotals want = expected();
  ASSERT_EQ(want.size(), 6u) << show(want);  // AWS, Microsoft, Oracle ×2, Acme ×2
  ASSERT_EQ(warehouse_totals(dir_.path()), want) << show(warehouse_totals(dir_.path()));

  json out = export_json();
  ASSERT_FALSE(out.is_discarded());
  EXPECT_EQ(out["written"], 6);
  EXPECT_EQ(out["unchanged"], 0);
  EXPECT_EQ(out["removed"], 0);
  EXPECT_EQ(out["rows_written"], 1050);
  EXPECT_EQ(out["tables"], json::array({"focus_costs"}));  // no allocation configured

  PartitionTotals got = lake_totals(lake());
  EXPECT_EQ(got, want) << "lake:\n" << show(got) << "expected:\n" << show(want);

  // Folders named as Hive names them; the provider with '/', '=' and a space is escaped.
  EXPECT_TRUE(fs::is_regular_file(partition("provider=AWS", "2024-09") / "part-00000.parquet"));
  EXPECT_TRUE(fs::is_regular_file(partition("provider=Oracle", "2024-10") / "part-00000.parquet"));
  EXPECT_TRUE(fs::is_regular_file(partition(kAcmeDir, "2024-10") / "part-00000.parquet"));
  EXPECT_TRUE(fs::is_regular_file(partition(kAcmeDir, "2024-10") / "_manifest.json"));
  EXPECT_TRUE(fs::is_regular_file(lake() / "focus_costs/_SUCCESS"));
  EXPECT_TRUE(fs::is_regular_file(lake() / "_billingfoot_export.json"));
  EXPECT_FALSE(fs::exists(lake() / "_billingfoot_staging"));
  EXPECT_FALSE(fs::exists(lake() / "cost_allocated"));
  auto acme = file_query("SELECT DISTINCT provider FROM read_parquet(" +
                         sql_path(partition(kAcmeDir, "2024-10").string() + "/*.parquet") +
                         ", hive_partitioning = true)");
  ASSERT_EQ(acme.size(), 1u);
  EXPECT_EQ(acme[0][0], kAcme);

  // Money stays DECIMAL(38,10), JSON stays text.
  auto types = file_query(
      "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(" +
      sql_path((partition("provider=AWS", "2024-09") / "part-00000.parquet").string()) +
      ")) WHERE column_name IN ('BilledCost', 'EffectiveCost', 'Tags', 'BillingPeriodStart') "
      "ORDER BY 1");
  ASSERT_EQ(types.size(), 4u);
  EXPECT_EQ(types[0], (std::vector<std::string>{"BilledCost", "DECIMAL(38,10)"}));
  EXPECT_EQ(types[1], (std::vector<std::string>{"BillingPeriodStart", "TIMESTAMP"}));
  EXPECT_EQ(types[2], (std::vector<std::string>{"EffectiveCost", "DECIMAL(38,10)"}));
  EXPECT_EQ(types[3], (std::vector<std::string>{"Tags", "VARCHAR"}));
  auto tags = file_query("SELECT DISTINCT Tags::JSON->>'team' FROM read_parquet(" +
                         sql_path(partition(kAcmeDir, "2024-09").string() + "/*.parquet") + ")");
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0][0], "web");

  // The schema file lists every column of focus_costs, in order, with FOCUS meanings.
  json schema = json::parse(read_file(lake() / "focus_costs/_schema.json"), nullptr, false);
  ASSERT_FALSE(schema.is_discarded());
  CliResult cols = run_cli(
      {"query", "--format", "csv",
       "SELECT column_name FROM information_schema.columns WHERE table_name = 'focus_costs' "
       "ORDER BY ordinal_position"},
      {}, dir_.path());
  ASSERT_EQ(cols.status, 0) << cols.err;
  auto column_rows = parse_csv(cols.out);
  ASSERT_EQ(schema["columns"].size(), column_rows.size() - 1);
  for (size_t i = 1; i < column_rows.size(); ++i)
    EXPECT_EQ(schema["columns"][i - 1]["name"], column_rows[i][0]);
  std::map<std::string, json> by_name;
  for (const auto& c : schema["columns"]) by_name[c["name"]] = c;
  EXPECT_EQ(by_name["BilledCost"]["type"], "DECIMAL(38,10)");
  EXPECT_EQ(by_name["BilledCost"]["nullable"], false);
  EXPECT_EQ(by_name["BilledCost"]["focus"]["feature_level"], "Mandatory");
  EXPECT_NE(by_name["BilledCost"]["description"].get<std::string>().find("invoicing"),
            std::string::npos);
  EXPECT_EQ(by_name["Tags"]["type"], "VARCHAR");
  EXPECT_EQ(by_name["Tags"]["json_text"], true);
  EXPECT_EQ(by_name["x_SourceName"]["nullable"], false);
  EXPECT_EQ(schema["partition_columns"][0]["name"], "provider");
  EXPECT_EQ(schema["partition_columns"][1]["name"], "billing_period");
}

TEST_F(LakeExport, ReExportKeepsUnchangedFilesAndRewritesOnlyTheChangedMonth) {
  ASSERT_EQ(export_json()["written"], 6);
  auto before = part_files(lake() / "focus_costs");
  ASSERT_EQ(before.size(), 6u);

  json again = export_json();
  EXPECT_EQ(again["written"], 0);
  EXPECT_EQ(again["unchanged"], 6);
  EXPECT_EQ(again["rows_total"], 1050);
  EXPECT_EQ(part_files(lake() / "focus_costs"), before);

  // A new delivery of one source's October: only that partition is rewritten.
  write_file(dir_ / "acme/oct.csv", acme_month("2024-10", "2024-11", "3.0000000007", 25));
  sync();
  json changed = export_json();
  EXPECT_EQ(changed["written"], 1);
  EXPECT_EQ(changed["unchanged"], 5);
  for (const auto& p : changed["partitions"]) {
    std::string expected_action =
        p["path"] == std::string("focus_costs/") + kAcmeDir + "/billing_period=2024-10"
            ? "written"
            : "unchanged";
    EXPECT_EQ(p["action"], expected_action) << p.dump();
  }
  auto after = part_files(lake() / "focus_costs");
  std::string acme_oct = std::string(kAcmeDir) + "/billing_period=2024-10/part-00000.parquet";
  for (const auto& [file, id] : before) {
    if (file == acme_oct) {
      EXPECT_NE(after.at(file), id) << file;
    } else {
      EXPECT_EQ(after.at(file), id) << file;
    }
  }
  EXPECT_EQ(lake_totals(lake()), expected());
  EXPECT_EQ((lake_totals(lake())[{kAcme, "2024-10"}]),
            (Totals{25, 25 * parse_decimal_e10("3.0000000007")}));

  // October now comes from another provider name: its old partition disappears from the lake.
  write_file(dir_ / "acme/oct.csv", acme_month("2024-10", "2024-11", "4", 5, "Acme"));
  sync();
  json moved = export_json();
  EXPECT_EQ(moved["written"], 1);
  EXPECT_EQ(moved["removed"], 1);
  EXPECT_FALSE(fs::exists(partition(kAcmeDir, "2024-10")));
  EXPECT_TRUE(fs::exists(partition(kAcmeDir, "2024-09")));
  EXPECT_TRUE(fs::exists(partition("provider=Acme", "2024-10") / "part-00000.parquet"));
  EXPECT_EQ(lake_totals(lake()), expected());
  EXPECT_EQ(lake_totals(lake()), warehouse_totals(dir_.path()));

  // --full rewrites everything.
  json full = export_json({"--full"});
  EXPECT_EQ(full["written"], 6);
  EXPECT_EQ(full["unchanged"], 0);
}

TEST_F(LakeExport, ExportKilledBeforeTheSwapLeavesTheOldPartitionWholeAndTheNextExportCompletes) {
  ASSERT_EQ(export_json()["written"], 6);
  PartitionTotals old_totals = lake_totals(lake());
  write_file(dir_ / "acme/oct.csv", acme_month("2024-10", "2024-11", "9.99", 40));
  sync();

  auto child = start_cli({"export", "--to", lake().string()},
                         {{"BILLINGFOOT_FAILPOINT", "export.before_swap"}}, dir_.path());
  ASSERT_TRUE(child.wait_for_stderr("failpoint export.before_swap reached", 120000)) << child.seen;
  child.kill_hard();

  // The new file was written (in staging), but readers of the table see only the old partition.
  bool staged = false;
  for (const auto& e : fs::recursive_directory_iterator(lake() / "_billingfoot_staging")) {
    staged = staged || e.path().extension() == ".parquet";
  }
  EXPECT_TRUE(staged);
  EXPECT_EQ(lake_totals(lake()), old_totals);
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(partition(kAcmeDir, "2024-10")))
    names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"part-00000.parquet", "_manifest.json", "_SUCCESS"}));
  EXPECT_FALSE(fs::exists(lake() / "focus_costs/_SUCCESS")) << "the table is mid-export";

  json next = export_json();
  EXPECT_EQ(next["written"], 1);
  EXPECT_EQ(lake_totals(lake()), expected());
  EXPECT_EQ((lake_totals(lake())[{kAcme, "2024-10"}]),
            (Totals{40, 40 * parse_decimal_e10("9.99")}));
  EXPECT_TRUE(fs::exists(lake() / "focus_costs/_SUCCESS"));
  EXPECT_FALSE(fs::exists(lake() / "_billingfoot_staging"));
}

TEST_F(LakeExport, AllocatedCostsAreExportedWithTheSamePartitioning) {
  write_file(
      dir_ / "billingfoot.yaml",
      sources_config() +
          "allocation:\n  dimensions:\n    - name: team\n      default: unallocated\n      rules:\n"
          "        - {match: {\"tag:team\": {regex: \"^(.+)$\"}}, value: \"$1\"}\n");
  json out = export_json();
  EXPECT_EQ(out["tables"], json::array({"focus_costs", "cost_allocated"}));
  EXPECT_EQ(out["written"], 12);
  EXPECT_EQ(lake_totals(lake(), "cost_allocated"), expected());
  auto teams =
      file_query("SELECT team, count(*) FROM read_parquet(" +
                 sql_path((lake() / "cost_allocated").string() + "/" + kAcmeDir + "/**/*.parquet") +
                 ") GROUP BY 1");
  ASSERT_EQ(teams.size(), 1u);
  EXPECT_EQ(teams[0], (std::vector<std::string>{"web", "50"}));
  json schema = json::parse(read_file(lake() / "cost_allocated/_schema.json"));
  bool has_team = false;
  for (const auto& c : schema["columns"]) has_team = has_team || c["name"] == "team";
  EXPECT_TRUE(has_team);
  EXPECT_EQ(export_json()["written"], 0);

  // Allocation switched off: the allocated table leaves the lake too.
  write_file(dir_ / "billingfoot.yaml", sources_config());
  json off = export_json();
  EXPECT_EQ(off["removed"], 6);
  EXPECT_EQ(off["unchanged"], 6);
  EXPECT_FALSE(fs::exists(lake() / "cost_allocated/_schema.json"));
  EXPECT_TRUE(part_files(lake() / "cost_allocated").empty());
}

TEST_F(LakeExport, UsageErrorsExitTwo) {
  auto no_target = run_cli({"export"}, {}, dir_.path());
  EXPECT_EQ(no_target.status, 2) << no_target.err;
  auto region_on_folder =
      run_cli({"export", "--to", "lake", "--region", "eu-west-1"}, {}, dir_.path());
  EXPECT_EQ(region_on_folder.status, 2) << region_on_folder.err;
  auto no_credentials =
      run_cli({"export", "--to", "s3://bucket/lake"}, {{"AWS_ACCESS_KEY_ID", ""}}, dir_.path());
  EXPECT_EQ(no_credentials.status, 2) << no_credentials.err;
  EXPECT_NE(no_credentials.err.find("AWS_ACCESS_KEY_ID"), std::string::npos) << no_credentials.err;
}

// ---- S3 ---------------------------------------------------------------------------------------

class LakeExportToS3 : public LakeExport {
 protected:
  void SetUp() override {
    if (!find_program("moto_server"))
      GTEST_SKIP() << "moto_server is not installed (it is on the CI image)";
    LakeExport::SetUp();
    // moto checks multipart part sizes like S3 (5 MiB but the last); smaller parts here.
    moto_ = ServerProcess::start({"moto_server", "-H", "127.0.0.1", "-p", "{port}"},
                                 {{"S3_UPLOAD_PART_MIN_SIZE", "4096"}});
    env_ = {{"AWS_ACCESS_KEY_ID", "testing"},
            {"AWS_SECRET_ACCESS_KEY", "testing-secret"},
            {"BILLINGFOOT_HTTP_BACKOFF_MS", "10"}};
    net::S3Options o;
    o.region = "eu-west-1";
    o.endpoint = moto_->url();
    o.credentials = {"testing", "testing-secret", ""};
    s3_ = std::make_unique<net::S3Client>(o);
    s3_->create_bucket("lake-bucket");
  }

  CliResult s3_export(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"export",
                                     "--to",
                                     "s3://lake-bucket/billing/lake",
                                     "--region",
                                     "eu-west-1",
                                     "--endpoint",
                                     moto_->url(),
                                     "--format",
                                     "json",
                                     "--multipart-threshold",
                                     "16KiB",
                                     "--part-size",
                                     "8KiB"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args, env_, dir_.path());
  }

  std::map<std::string, net::S3Object> objects() {
    std::map<std::string, net::S3Object> all;
    for (auto& o : s3_->list("lake-bucket", "billing/lake/"))
      all[o.key.substr(std::string("billing/lake/").size())] = o;
    return all;
  }

  // Downloads every data file the manifests name and reads them back like a reader would.
  PartitionTotals s3_totals() {
    fs::path local = dir_ / "download";
    fs::remove_all(local);
    for (const auto& [key, o] : objects()) {
      if (!key.ends_with("/_manifest.json")) continue;
      std::string partition = key.substr(0, key.size() - std::string("/_manifest.json").size());
      json manifest = json::parse(s3_->get_text("lake-bucket", o.key));
      for (const auto& f : manifest["files"]) {
        std::string name = f["name"];
        fs::path file = local / partition / name;
        s3_->download("lake-bucket", "billing/lake/" + partition + "/" + name, file,
                      f["bytes"].get<int64_t>());
      }
    }
    return lake_totals(local);
  }

  std::unique_ptr<ServerProcess> moto_;
  std::unique_ptr<net::S3Client> s3_;
  std::map<std::string, std::string> env_;
};

TEST_F(LakeExportToS3, MultipartUploadsReadBackEqualAndAReExportDeletesTheReplacedObjects) {
  auto first = s3_export();
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  json out = json::parse(first.out);
  EXPECT_EQ(out["written"], 6);
  EXPECT_EQ(out["to"], "s3://lake-bucket/billing/lake");

  auto all = objects();
  EXPECT_TRUE(all.count("_billingfoot_export.json"));
  EXPECT_TRUE(all.count("focus_costs/_SUCCESS"));
  EXPECT_TRUE(all.count("focus_costs/_schema.json"));
  std::string aws = "focus_costs/provider=AWS/billing_period=2024-09/";
  std::string acme_oct = std::string("focus_costs/") + kAcmeDir + "/billing_period=2024-10/";
  for (const std::string& p : {aws, acme_oct}) {
    EXPECT_TRUE(all.count(p + "_manifest.json")) << p;
    EXPECT_TRUE(all.count(p + "_SUCCESS")) << p;
  }
  // The AWS month is larger than the threshold: a multipart object (its ETag ends in -<parts>).
  std::vector<std::string> aws_files;
  for (const auto& [key, o] : all) {
    if (key.starts_with(aws) && key.ends_with(".parquet")) aws_files.push_back(key);
  }
  ASSERT_EQ(aws_files.size(), 1u);
  EXPECT_GT(all[aws_files[0]].size, 16 * 1024);
  auto dash = all[aws_files[0]].etag.rfind('-');
  ASSERT_NE(dash, std::string::npos) << all[aws_files[0]].etag;
  EXPECT_GT(std::stoi(all[aws_files[0]].etag.substr(dash + 1)), 1) << all[aws_files[0]].etag;

  EXPECT_EQ(s3_totals(), expected());
  EXPECT_EQ(s3_totals(), warehouse_totals(dir_.path()));

  // Nothing changed: nothing written, every object kept.
  auto again = s3_export();
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["written"], 0);
  std::set<std::string> data_before;
  for (const auto& [key, o] : objects()) {
    if (key.ends_with(".parquet")) data_before.insert(key);
  }

  // One month changes: its new object replaces the old one, which is deleted; others stay.
  write_file(dir_ / "acme/oct.csv", acme_month("2024-10", "2024-11", "7.125", 12));
  sync();
  auto changed = s3_export();
  ASSERT_EQ(changed.status, 0) << changed.err;
  EXPECT_EQ(json::parse(changed.out)["written"], 1);
  std::set<std::string> data_after, acme_oct_keys;
  for (const auto& [key, o] : objects()) {
    if (key.ends_with(".parquet")) data_after.insert(key);
    if (key.starts_with(acme_oct)) acme_oct_keys.insert(key.substr(acme_oct.size()));
  }
  EXPECT_EQ(data_after.size(), 6u);
  for (const auto& key : data_before) {
    EXPECT_EQ(data_after.count(key), key.starts_with(acme_oct) ? 0u : 1u) << key;
  }
  EXPECT_EQ(acme_oct_keys.size(), 3u);  // the new data file, _manifest.json, _SUCCESS
  EXPECT_EQ(s3_totals(), expected());
  EXPECT_EQ((s3_totals()[{kAcme, "2024-10"}]), (Totals{12, 12 * parse_decimal_e10("7.125")}));
}

TEST_F(LakeExportToS3, MissingBucketFailsNamingIt) {
  auto r = run_cli({"export", "--to", "s3://no-such-bucket/lake", "--endpoint", moto_->url()}, env_,
                   dir_.path());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("s3://no-such-bucket/lake"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
}

TEST_F(LakeExport, UnreachableS3EndpointFailsNamingTheBucket) {
  std::string endpoint = "http://127.0.0.1:" + std::to_string(free_port());
  auto r = run_cli({"export", "--to", "s3://cost-lake/exports", "--endpoint", endpoint},
                   {{"AWS_ACCESS_KEY_ID", "k"},
                    {"AWS_SECRET_ACCESS_KEY", "s"},
                    {"BILLINGFOOT_HTTP_BACKOFF_MS", "1"}},
                   dir_.path());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("s3://cost-lake/exports"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace billingfoot::testing
