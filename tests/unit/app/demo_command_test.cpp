// `billingfoot demo` end to end through the real binary: it generates, syncs and reports; the
// warehouse holds exactly what the generated files say; a second run finds nothing new.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "support/cli.hpp"

namespace bt = billingfoot::testing;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kDemoArgs = {"demo",    "--dir",      "company",
                                            "--as-of", "2025-06-15", "--no-serve"};

// Σ BilledCost over every generated CSV file, read with the test's own CSV parser.
__int128 billed_in_files(const fs::path& exports, int* files) {
  __int128 sum = 0;
  for (const auto& entry : fs::recursive_directory_iterator(exports)) {
    if (entry.path().extension() != ".csv") continue;
    ++*files;
    auto table = bt::parse_csv(bt::read_file(entry.path()));
    size_t column = std::find(table[0].begin(), table[0].end(), "BilledCost") - table[0].begin();
    EXPECT_LT(column, table[0].size()) << entry.path();
    for (size_t r = 1; r < table.size(); ++r) sum += bt::parse_decimal_e10(table[r][column]);
  }
  return sum;
}

// The sync lines of the demo's output: "<source>  <YYYY-MM>  <status> …".
std::vector<std::pair<std::string, std::string>> sync_lines(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::istringstream in(out);
  std::string source, period, status;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    if (words >> source >> period >> status && period.size() == 7 && period[4] == '-') {
      lines.emplace_back(source + " " + period, status);
    }
  }
  return lines;
}

class DemoCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new bt::TempDir();
    first_ = new bt::CliResult(bt::run_cli(kDemoArgs, {}, dir_->path()));
  }
  static void TearDownTestSuite() {
    delete first_;
    delete dir_;
  }
  static bt::TempDir* dir_;
  static bt::CliResult* first_;
};

bt::TempDir* DemoCommand::dir_ = nullptr;
bt::CliResult* DemoCommand::first_ = nullptr;

}  // namespace

TEST_F(DemoCommand, GeneratesSyncsAndPointsToTheDashboard) {
  ASSERT_EQ(first_->status, 0) << first_->out << first_->err;
  EXPECT_TRUE(fs::exists(*dir_ / "company/billingfoot.yaml"));
  auto lines = sync_lines(first_->out);
  EXPECT_EQ(lines.size(), 4u * 13u) << first_->out;
  for (const auto& [period, status] : lines) EXPECT_EQ(status, "loaded") << period;
  EXPECT_NE(first_->out.find("Billed cost by ProviderName, 2025-05"), std::string::npos)
      << first_->out;
  // --no-serve: it says how to serve the dashboard instead of serving it.
  EXPECT_NE(first_->out.find(" serve --listen 127.0.0.1:8080"), std::string::npos) << first_->out;
}

TEST_F(DemoCommand, WarehouseTotalEqualsTheSumOfTheGeneratedFiles) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  int files = 0;
  __int128 expected = billed_in_files(*dir_ / "company/exports", &files);
  EXPECT_EQ(files, 4 * 13);
  auto query = bt::run_cli({"--config", (*dir_ / "company/billingfoot.yaml").string(), "query",
                            "--format", "csv", "SELECT sum(BilledCost) FROM focus_costs"});
  ASSERT_EQ(query.status, 0) << query.err;
  auto rows = bt::parse_csv(query.out);
  ASSERT_EQ(rows.size(), 2u) << query.out;
  EXPECT_EQ(bt::format_e10(bt::parse_decimal_e10(rows[1][0])), bt::format_e10(expected));
}

TEST_F(DemoCommand, SecondRunFindsEveryPeriodUnchanged) {
  ASSERT_EQ(first_->status, 0) << first_->err;
  auto again = bt::run_cli(kDemoArgs, {}, dir_->path());
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  auto lines = sync_lines(again.out);
  EXPECT_EQ(lines.size(), 4u * 13u) << again.out;
  for (const auto& [period, status] : lines) EXPECT_EQ(status, "unchanged") << period;
}

TEST(DemoCommandUsage, RejectsAListenAddressWithoutAPort) {
  bt::TempDir dir;
  auto r = bt::run_cli({"demo", "--dir", "company", "--listen", "localhost", "--no-serve"}, {},
                       dir.path());
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "company"));
}

TEST(DemoCommandUsage, RejectsAnAsOfThatIsNotADate) {
  bt::TempDir dir;
  auto r = bt::run_cli({"demo", "--dir", "company", "--as-of", "2025-02-30", "--no-serve"}, {},
                       dir.path());
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--as-of"), std::string::npos) << r.err;
}
