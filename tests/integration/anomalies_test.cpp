// `billingfoot anomalies` over synced FOCUS data: what is found, its exact amounts and root
// cause, what must not alert, completeness, and the life of one anomaly (no duplicates,
// acknowledged stays acknowledged).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/app.hpp"
#include "support/cli.hpp"
#include "support/cost_rows.hpp"

namespace bt = billingfoot::testing;
using nlohmann::json;

namespace {

constexpr const char* kFirstDay = "2024-07-01";  // a Monday
constexpr int kDays = 70;
constexpr int kSpikeDay = 60;

// Two services, two accounts, two resources each; steady weekly pattern.
std::vector<bt::CostRow> steady_history(const std::string& first, int days) {
  std::vector<bt::CostRow> rows;
  for (int d = 0; d < days; ++d) {
    std::string day = bt::add_days(first, d);
    rows.push_back(bt::usage(day, "Compute", "acct-1", "vm-1", bt::steady_amount(600, 0.6, day, 1),
                             R"({"team": "web"})"));
    rows.push_back(bt::usage(day, "Compute", "acct-2", "vm-2", bt::steady_amount(400, 0.6, day, 2),
                             R"({"team": "data"})"));
    rows.push_back(bt::usage(day, "Storage", "acct-1", "bucket-1",
                             bt::steady_amount(300, 1.0, day, 3), R"({"team": "web"})"));
    rows.push_back(bt::usage(day, "Storage", "acct-2", "bucket-2",
                             bt::steady_amount(200, 1.0, day, 4), R"({"team": "data"})"));
  }
  return rows;
}

class Anomalies : public ::testing::Test {
 protected:
  void write(const std::vector<bt::CostRow>& rows, const std::string& extra_config = "") {
    rows_ = rows;
    bt::write_file(dir_ / "exports/costs.csv", bt::focus_csv(rows));
    bt::write_file(
        dir_ / "billingfoot.yaml",
        "sources:\n  - name: cloud\n    type: focus\n    location: ./exports\n" + extra_config);
  }
  void sync() {
    auto r = run({"sync"});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
  }
  bt::CliResult run(const std::vector<std::string>& args) {
    return bt::run_cli(args, {}, dir_.path());
  }
  json anomalies(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"anomalies", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return json::parse(r.out);
  }
  // Exact sum of the input rows matching `pred`, as decimal text of 1e-10 units.
  template <typename Pred>
  __int128 input_sum(Pred pred) const {
    __int128 sum = 0;
    for (const auto& r : rows_) {
      if (pred(r)) sum += bt::parse_decimal_e10(r.cost);
    }
    return sum;
  }
  static const json* find(const json& list, const std::string& dimension,
                          const std::string& value) {
    for (const auto& a : list) {
      if (a["dimension"] == dimension && a["value"] == value) return &a;
    }
    return nullptr;
  }

  bt::TempDir dir_;
  std::vector<bt::CostRow> rows_;
};

}  // namespace

TEST_F(Anomalies, SpikeIsFoundWithExactActualCostAndTheResourceThatDroveIt) {
  auto rows = steady_history(kFirstDay, kDays);
  std::string spike_day = bt::add_days(kFirstDay, kSpikeDay);
  rows.push_back(
      bt::usage(spike_day, "Compute", "acct-2", "vm-9", "2500.00"));  // a runaway instance
  write(rows);
  sync();
  json list = anomalies();
  const json* service = find(list, "ServiceName", "Compute");
  ASSERT_NE(service, nullptr) << list.dump(1);
  EXPECT_EQ((*service)["start_date"], spike_day);
  EXPECT_EQ((*service)["end_date"], spike_day);
  EXPECT_EQ((*service)["kind"], "spike");
  EXPECT_EQ((*service)["status"], "open");
  __int128 expected_actual =
      input_sum([&](const bt::CostRow& r) { return r.day == spike_day && r.service == "Compute"; });
  EXPECT_EQ(bt::parse_decimal_e10((*service)["actual_cost"].dump()), expected_actual);
  double impact = (*service)["impact"].get<double>();
  EXPECT_NEAR(impact, 2500, 150);  // the baseline is within noise of the normal day
  json cause = (*service)["root_cause"];
  EXPECT_EQ(cause["by"]["ResourceId"][0]["value"], "vm-9");
  EXPECT_EQ(cause["by"]["SubAccountId"][0]["value"], "acct-2");
  EXPECT_NE((*service)["top_cause"].get<std::string>().find("vm-9"), std::string::npos)
      << cause.dump();
  // The account scope sees it too; Storage, a service that did not move, does not.
  EXPECT_NE(find(list, "SubAccountId", "acct-2"), nullptr);
  EXPECT_EQ(find(list, "ServiceName", "Storage"), nullptr);
  EXPECT_EQ(find(list, "SubAccountId", "acct-1"), nullptr);
}

TEST_F(Anomalies, CreditsTaxPurchasesAndCorrectionsDoNotAlertByDefault) {
  auto rows = steady_history(kFirstDay, kDays);
  rows.push_back(
      bt::booking(bt::add_days(kFirstDay, 50), "Compute", "acct-1", "", "-4000.00", "Credit"));
  rows.push_back(
      bt::booking(bt::add_days(kFirstDay, 52), "Compute", "acct-1", "", "900.00", "Tax"));
  rows.push_back(bt::booking(bt::add_days(kFirstDay, 55), "Compute", "acct-1", "ri-1", "12000.00",
                             "Purchase"));
  rows.push_back(bt::booking(bt::add_days(kFirstDay, 58), "Compute", "acct-1", "vm-1", "3000.00",
                             "Usage", "Usage-Based", "Correction"));
  write(rows, "anomalies: {direction: both}\n");
  sync();
  EXPECT_TRUE(anomalies().empty()) << anomalies().dump(1);
  // The same data with nothing excluded: the bookings would have alerted.
  write(rows,
        "anomalies: {direction: both, exclude_charge_categories: [], include_corrections: true}\n");
  json all = anomalies();
  EXPECT_NE(find(all, "ServiceName", "Compute"), nullptr) << all.dump(1);
}

TEST_F(Anomalies, OppositeChangesInTwoAccountsAreEachFound) {
  auto rows = steady_history(kFirstDay, kDays);
  std::string day = bt::add_days(kFirstDay, kSpikeDay);
  for (auto& r : rows) {
    if (r.day == day && r.resource == "bucket-1") r.cost = "1500.00";  // +1,200 in acct-1
    if (r.day == day && r.resource == "vm-2") r.cost = "0.00";         // −400 in acct-2
    if (r.day == day && r.resource == "bucket-2") r.cost = "0.00";     // −200 in acct-2
  }
  rows.push_back(bt::usage(day, "Compute", "acct-2", "vm-3", "-600.00"));  // and another −600 there
  write(rows, "anomalies: {direction: both, dimensions: [SubAccountId, ProviderName]}\n");
  sync();
  json list = anomalies();
  const json* up = find(list, "SubAccountId", "acct-1");
  const json* down = find(list, "SubAccountId", "acct-2");
  ASSERT_NE(up, nullptr) << list.dump(1);
  ASSERT_NE(down, nullptr) << list.dump(1);
  EXPECT_GT((*up)["impact"].get<double>(), 0);
  EXPECT_EQ((*down)["kind"], "drop");
  EXPECT_EQ(find(list, "ProviderName", "Acme Cloud"), nullptr);  // the provider total barely moved
}

TEST_F(Anomalies, TagAndAllocationDimensionsAreScopes) {
  auto rows = steady_history(kFirstDay, kDays);
  std::string day = bt::add_days(kFirstDay, kSpikeDay);
  rows.push_back(bt::usage(day, "Storage", "acct-2", "bucket-9", "1800.00", R"({"team": "data"})"));
  write(rows,
        "allocation:\n  dimensions:\n    - name: team\n      rules:\n        - {match: "
        "{\"tag:team\": {regex: \"^(.+)$\"}}, "
        "value: \"$1\"}\nanomalies: {dimensions: [\"tag:team\", team]}\n");
  sync();
  // Without cost_allocated the allocation dimension is skipped, the tag is still watched.
  auto r = run({"anomalies", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  json list = json::parse(r.out);
  ASSERT_NE(find(list, "tag:team", "data"), nullptr) << list.dump(1);
  EXPECT_EQ(find(list, "tag:team", "web"), nullptr);
  // What the allocation model builds: focus_costs rows with one column per dimension.
  {
    auto wh = billingfoot::warehouse::Warehouse::open(dir_ / ".billingfoot/billingfoot.duckdb",
                                                      billingfoot::app::schema_migrations());
    wh.connection().execute(
        "CREATE OR REPLACE TABLE cost_allocated AS SELECT *, coalesce(json_extract_string(Tags, "
        "'$.team'), "
        "'unallocated') AS team FROM focus_costs");
  }
  list = anomalies();
  const json* team = find(list, "team", "data");
  ASSERT_NE(team, nullptr) << list.dump(1);
  EXPECT_EQ((*team)["start_date"], day);
}

TEST_F(Anomalies, DaysAreJudgedOnlyOnceTheSourceDataIsComplete) {
  std::string today = bt::today_utc_iso();
  std::string first = bt::add_days(today, -69);
  auto rows = steady_history(first, 70);
  std::string yesterday = bt::add_days(today, -1);
  rows.push_back(bt::usage(yesterday, "Compute", "acct-1", "vm-7", "5000.00"));
  write(rows, "anomalies: {dimensions: [ServiceName]}\n");
  sync();
  // focus data is complete one day after the day ends: yesterday is not judged yet.
  EXPECT_TRUE(anomalies().empty());
  write(rows, "anomalies: {dimensions: [ServiceName], data_delay_days: {cloud: 0}}\n");
  json list = anomalies();
  ASSERT_EQ(list.size(), 1u) << list.dump(1);
  EXPECT_EQ(list[0]["start_date"], yesterday);
}

TEST_F(Anomalies, OneAnomalyKeepsItsIdAndStatusAcrossRuns) {
  auto rows = steady_history(kFirstDay, kDays);
  rows.push_back(
      bt::usage(bt::add_days(kFirstDay, kSpikeDay), "Compute", "acct-2", "vm-9", "2500.00"));
  write(rows, "anomalies: {dimensions: [ServiceName]}\n");
  sync();
  json first = anomalies();
  ASSERT_EQ(first.size(), 1u);
  std::string id = first[0]["anomaly_id"];
  json again = anomalies();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["anomaly_id"], id);
  EXPECT_EQ(again[0]["detected_at"], first[0]["detected_at"]);

  auto ack = run({"anomalies", "ack", id, "--note", "known load test"});
  ASSERT_EQ(ack.status, 0) << ack.err;
  json after = anomalies();
  EXPECT_EQ(after[0]["status"], "acknowledged");
  EXPECT_EQ(after[0]["status_note"], "known load test");
  EXPECT_TRUE(anomalies({"--status", "open"}).empty());
  ASSERT_EQ(run({"anomalies", "resolve", id}).status, 0);
  EXPECT_EQ(anomalies({"--status", "resolved"}).size(), 1u);
  ASSERT_EQ(run({"anomalies", "reopen", id}).status, 0);
  EXPECT_EQ(anomalies({"--status", "open"}).size(), 1u);

  auto unknown = run({"anomalies", "ack", "nope"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("no anomaly with id 'nope'"), std::string::npos) << unknown.err;
  EXPECT_EQ(bt::query_scalar(dir_.path(), "SELECT count(*) FROM anomalies"), "1");
}

TEST_F(Anomalies, FromAndToLimitWhatIsJudgedAndListed) {
  auto rows = steady_history(kFirstDay, kDays);
  rows.push_back(bt::usage(bt::add_days(kFirstDay, 40), "Compute", "acct-2", "vm-9", "2500.00"));
  rows.push_back(
      bt::usage(bt::add_days(kFirstDay, kSpikeDay), "Compute", "acct-2", "vm-9", "2500.00"));
  write(rows, "anomalies: {dimensions: [ServiceName]}\n");
  sync();
  json late = anomalies({"--from", bt::add_days(kFirstDay, 50)});
  ASSERT_EQ(late.size(), 1u) << late.dump(1);
  EXPECT_EQ(late[0]["start_date"], bt::add_days(kFirstDay, kSpikeDay));
  EXPECT_EQ(anomalies().size(), 2u);
  auto table = run({"anomalies", "--to", bt::add_days(kFirstDay, 45)});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find(bt::add_days(kFirstDay, 40)), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find(bt::add_days(kFirstDay, kSpikeDay)), std::string::npos) << table.out;
  EXPECT_EQ(run({"anomalies", "--from", "2024-13-01"}).status, 2);
}
