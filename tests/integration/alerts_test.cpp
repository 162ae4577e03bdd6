// `sync --alert` and `alerts test` against a local receiver standing in for Slack and generic
// webhooks (tests/fakes/alert_receiver.py): what arrives, that it arrives once, retries,
// signatures, and failures recorded and shown by `status`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "app/alerting.hpp"
#include "common/hash.hpp"
#include "net/http.hpp"
#include "support/cli.hpp"
#include "support/cost_rows.hpp"
#include "support/server_process.hpp"

namespace bt = billingfoot::testing;
using nlohmann::json;

namespace {

constexpr const char* kFirstDay = "2024-07-01";
constexpr int kDays = 70;
constexpr int kSpikeDay = 66;  // within alert_window_days of the last complete day (day 69)

std::vector<bt::CostRow> history_with_spike(const std::string& first, int days, int spike_day) {
  std::vector<bt::CostRow> rows;
  for (int d = 0; d < days; ++d) {
    std::string day = bt::add_days(first, d);
    rows.push_back(
        bt::usage(day, "Compute", "acct-1", "vm-1", bt::steady_amount(1000, 0.6, day, 1)));
    rows.push_back(
        bt::usage(day, "Storage", "acct-1", "bucket-1", bt::steady_amount(300, 1.0, day, 2)));
  }
  if (spike_day >= 0)
    rows.push_back(
        bt::usage(bt::add_days(first, spike_day), "Compute", "acct-1", "vm-9", "3000.00"));
  return rows;
}

class Alerts : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("HOOK_SECRET", "s3cret", 1);  // children (also query_scalar's) expand ${HOOK_SECRET}
    receiver_ = bt::ServerProcess::start(
        {"python3", bt::fake_server_script("alert_receiver.py").string(), "{port}"});
  }
  void write(const std::string& alerts_yaml, const std::vector<bt::CostRow>& rows,
             const std::string& extra = "") {
    bt::write_file(dir_ / "exports/costs.csv", bt::focus_csv(rows));
    bt::write_file(dir_ / "billingfoot.yaml",
                   "sources:\n  - name: cloud\n    type: focus\n    location: ./exports\n"
                   "anomalies: {dimensions: [ServiceName]}\n" +
                       extra + "alerts:\n" + alerts_yaml);
  }
  bt::CliResult run(const std::vector<std::string>& args) {
    return bt::run_cli(args, {{"BILLINGFOOT_HTTP_BACKOFF_MS", "5"}}, dir_.path());
  }
  std::string url(const std::string& path) const { return receiver_->url() + path; }
  json received(const std::string& prefix = "") {
    billingfoot::net::Request req;
    req.url = receiver_->url() + "/received";
    json all = json::parse(billingfoot::net::send(req).body);
    json out = json::array();
    for (const auto& r : all) {
      if (r["path"].get<std::string>().starts_with(prefix)) out.push_back(r);
    }
    return out;
  }

  std::unique_ptr<bt::ServerProcess> receiver_;
  bt::TempDir dir_;
};

}  // namespace

TEST_F(Alerts, SlackGetsOneBlockKitMessagePerAnomalyAndNotAgainOnTheNextRun) {
  write("  - {type: slack, webhook_url: \"" + url("/ok/slack") +
            "\", dashboard_url: \"http://dash.local:8080/\"}\n",
        history_with_spike(kFirstDay, kDays, kSpikeDay));
  auto first = run({"sync", "--alert"});
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("alerts     1 sent, 0 already sent, 0 failed"), std::string::npos)
      << first.out;
  json got = received("/ok/slack");
  ASSERT_EQ(got.size(), 1u) << got.dump(1);
  EXPECT_EQ(got[0]["headers"]["content-type"], "application/json");
  json message = json::parse(got[0]["body"].get<std::string>());
  std::string title = message["text"];
  EXPECT_NE(title.find("Cost anomaly: ServiceName Compute +"), std::string::npos) << title;
  EXPECT_NE(title.find(bt::add_days(kFirstDay, kSpikeDay)), std::string::npos) << title;
  const json& blocks = message["blocks"];
  EXPECT_EQ(blocks[0]["type"], "header");
  EXPECT_NE(blocks[1]["text"]["text"].get<std::string>().find("Main driver: ResourceId vm-9"),
            std::string::npos)
      << blocks.dump(1);
  std::string fields = blocks[2]["fields"].dump();
  EXPECT_NE(fields.find("*Expected*"), std::string::npos);
  EXPECT_NE(fields.find("*Actual*"), std::string::npos);
  std::string id =
      json::parse(bt::run_cli({"anomalies", "--no-detect", "--format", "json"}, {}, dir_.path())
                      .out)[0]["anomaly_id"];
  EXPECT_EQ(blocks[3]["elements"][0]["url"], "http://dash.local:8080/anomalies/" + id);

  auto second = run({"sync", "--alert"});
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.out.find("alerts     0 sent, 1 already sent, 0 failed"), std::string::npos)
      << second.out;
  EXPECT_EQ(received("/ok/slack").size(), 1u);
}

TEST_F(Alerts, WebhookPayloadIsSignedAndRetriedUntilDelivered) {
  write("  - {type: webhook, url: \"" + url("/flaky/2/hook") + "\", secret: \"${HOOK_SECRET}\"}\n",
        history_with_spike(kFirstDay, kDays, kSpikeDay));
  auto r = run({"sync", "--alert"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  json got = received("/flaky/2/hook");
  ASSERT_EQ(got.size(), 3u) << got.dump(1);  // two 500s, then delivered
  const json& last = got[2];
  std::string body = last["body"];
  std::string timestamp = last["headers"]["x-billingfoot-timestamp"];
  EXPECT_EQ(last["headers"]["x-billingfoot-signature"],
            "sha256=" + billingfoot::common::hmac_sha256_hex("s3cret", timestamp + "." + body));
  EXPECT_EQ(last["headers"]["x-billingfoot-event"], "anomaly");
  json payload = json::parse(body);
  EXPECT_EQ(payload["version"], 1);
  EXPECT_EQ(payload["event"], "anomaly");
  EXPECT_EQ(payload["dedup_key"], last["headers"]["x-billingfoot-delivery"]);
  EXPECT_EQ(payload["data"]["dimension"], "ServiceName");
  EXPECT_EQ(payload["data"]["value"], "Compute");
  EXPECT_EQ(payload["data"]["root_cause"]["by"]["ResourceId"][0]["value"], "vm-9");
  EXPECT_GT(payload["data"]["impact"].get<double>(), 2000);
  // Every retry carried the same delivery key; the log shows one delivery with 3 attempts.
  EXPECT_EQ(got[0]["headers"]["x-billingfoot-delivery"], payload["dedup_key"]);
  EXPECT_EQ(bt::query_scalar(dir_.path(), "SELECT status || ' ' || attempts FROM alert_deliveries"),
            "sent 3");
}

TEST_F(Alerts, UnreachableWebhookNeverShowsItsSecretPathInLogsOrStatus) {
  // Nothing listens on this port: every attempt is a network error, logged and recorded.
  std::string dead = "http://127.0.0.1:" + std::to_string(bt::free_port()) + "/services/T1/B2/topsecretpath";
  write("  - {type: slack, webhook_url: \"" + dead + "\"}\n",
        history_with_spike(kFirstDay, kDays, kSpikeDay));
  auto failed = run({"--log-level", "debug", "sync", "--alert"});
  EXPECT_EQ(failed.status, 1);
  EXPECT_NE(failed.err.find("alert channel slack"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("retrying"), std::string::npos) << "network errors are retried: " << failed.err;
  EXPECT_EQ(failed.err.find("topsecretpath"), std::string::npos) << failed.err;
  EXPECT_EQ(failed.out.find("topsecretpath"), std::string::npos) << failed.out;
  auto status = run({"status"});
  ASSERT_EQ(status.status, 0) << status.err;
  EXPECT_NE(status.out.find("alert deliveries failing"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("topsecretpath"), std::string::npos) << status.out;
  EXPECT_EQ(bt::query_scalar(dir_.path(),
                             "SELECT count(*) FROM alert_deliveries WHERE message LIKE '%topsecretpath%'"),
            "0");
}

TEST_F(Alerts, FailedDeliveryIsRecordedShownInStatusAndRetriedOnTheNextRun) {
  // The receiver fails the first 4 requests: one whole run (4 attempts), then succeeds.
  write("  - {type: slack, webhook_url: \"" + url("/flaky/4/T000/B000/secretpart") + "\"}\n",
        history_with_spike(kFirstDay, kDays, kSpikeDay));
  auto failed = run({"sync", "--alert"});
  EXPECT_EQ(failed.status, 1);
  EXPECT_NE(failed.err.find("alert channel slack: anomaly:"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("HTTP 500"), std::string::npos) << failed.err;
  EXPECT_EQ(failed.err.find("secretpart"), std::string::npos)
      << "the webhook path is a credential: " << failed.err;
  auto status = run({"status"});
  ASSERT_EQ(status.status, 0) << status.err;
  EXPECT_NE(status.out.find("alert deliveries failing"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("HTTP 500"), std::string::npos) << status.out;
  EXPECT_EQ(bt::query_scalar(dir_.path(), "SELECT status || ' ' || attempts FROM alert_deliveries"),
            "failed 4");

  auto retried = run({"sync", "--alert"});
  ASSERT_EQ(retried.status, 0) << retried.err;
  EXPECT_EQ(received("/flaky/4/").size(), 5u);
  EXPECT_EQ(bt::query_scalar(dir_.path(), "SELECT status || ' ' || attempts FROM alert_deliveries"),
            "sent 5");
  EXPECT_EQ(run({"status"}).out.find("alert deliveries failing"), std::string::npos);
}

TEST_F(Alerts, RateLimitedSlackIsRetriedAfterRetryAfter) {
  write("  - {type: slack, webhook_url: \"" + url("/ratelimited/slack") + "\"}\n",
        history_with_spike(kFirstDay, kDays, kSpikeDay));
  auto r = run({"sync", "--alert"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(received("/ratelimited/slack").size(), 2u);
}

TEST_F(Alerts, StdoutChannelPrintsEachAlertOnce) {
  write("  - {type: stdout}\n", history_with_spike(kFirstDay, kDays, kSpikeDay));
  auto first = run({"sync", "--alert"});
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.out.find("ALERT ["), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("Cost anomaly: ServiceName Compute"), std::string::npos) << first.out;
  auto second = run({"sync", "--alert"});
  EXPECT_EQ(second.out.find("ALERT ["), std::string::npos) << second.out;
}

TEST_F(Alerts, MinSeverityAndEventFiltersChooseTheChannels) {
  write("  - {type: webhook, name: budgets-only, url: \"" + url("/ok/budgets") +
            "\", events: [budget]}\n"
            "  - {type: webhook, name: everything, url: \"" +
            url("/ok/all") + "\"}\n",
        history_with_spike(kFirstDay, kDays, kSpikeDay));
  ASSERT_EQ(run({"sync", "--alert"}).status, 0);
  EXPECT_EQ(received("/ok/budgets").size(), 0u);
  EXPECT_EQ(received("/ok/all").size(), 1u);
}

TEST_F(Alerts, CrossedBudgetThresholdsAlertOncePerPeriod) {
  std::string today = bt::today_utc_iso();
  write("  - {type: webhook, url: \"" + url("/ok/hook") + "\"}\n",
        history_with_spike(bt::add_days(today, -69), 70, -1),
        "budgets:\n  - {name: tiny, amount: 1, alert_at: {actual: [0.5, 0.8], forecast: 1.0}}\n");
  ASSERT_EQ(run({"sync", "--alert"}).status, 0);
  json got = received("/ok/hook");
  ASSERT_EQ(got.size(), 2u) << got.dump(1);  // the highest actual threshold and the forecast one
  std::string period = today.substr(0, 8) + "01";
  std::vector<std::string> keys;
  for (const auto& g : got) keys.push_back(json::parse(g["body"].get<std::string>())["dedup_key"]);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys[0], "budget:tiny:" + period + ":actual:0.8");
  EXPECT_EQ(keys[1], "budget:tiny:" + period + ":forecast:1");
  ASSERT_EQ(run({"sync", "--alert"}).status, 0);
  EXPECT_EQ(received("/ok/hook").size(), 2u);
}

TEST_F(Alerts, TestCommandReachesEveryChannelAndNamesTheOneThatFails) {
  write("  - {type: slack, webhook_url: \"" + url("/ok/slack") +
            "\"}\n"
            "  - {type: webhook, url: \"" +
            url("/ok/hook") +
            "\", secret: \"${HOOK_SECRET}\"}\n"
            "  - {type: stdout}\n",
        history_with_spike(kFirstDay, kDays, -1));
  ASSERT_EQ(run({"sync"}).status, 0);
  auto ok = run({"alerts", "test"});
  ASSERT_EQ(ok.status, 0) << ok.err;
  EXPECT_NE(ok.out.find("3 sent, 0 failed"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("ALERT [low] billingfoot test alert"), std::string::npos) << ok.out;
  EXPECT_EQ(received("/ok/slack").size(), 1u);
  EXPECT_EQ(json::parse(received("/ok/hook")[0]["body"].get<std::string>())["event"], "test");

  write("  - {type: webhook, name: broken, url: \"" + url("/fail/400/hook") + "\"}\n",
        history_with_spike(kFirstDay, kDays, -1));
  auto bad = run({"alerts", "test", "--channel", "broken"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("alert channel broken"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("HTTP 400: invalid_payload after 1 attempt"), std::string::npos)
      << bad.err;
  EXPECT_EQ(run({"alerts", "test", "--channel", "nope"}).status, 2);
  auto log = run({"alerts", "log", "--failed", "--format", "json"});
  ASSERT_EQ(log.status, 0) << log.err;
  EXPECT_EQ(json::parse(log.out).size(), 1u);
}

TEST_F(Alerts, BadAlertConfigIsAUsageError) {
  write("  - {type: slack, webhook_url: \"" + url("/ok/slack") + "\", channel: \"#cost\"}\n",
        history_with_spike(kFirstDay, kDays, -1));
  auto r = run({"sync", "--alert"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("billingfoot.yaml:7:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("alerts[0].channel: unknown key"), std::string::npos) << r.err;
}

TEST_F(Alerts, OneIncidentSeenInSeveralScopesIsOneAlert) {
  bt::write_file(dir_ / "exports/costs.csv",
                 bt::focus_csv(history_with_spike(kFirstDay, kDays, kSpikeDay)));
  bt::write_file(dir_ / "billingfoot.yaml",
                 "sources:\n  - name: cloud\n    type: focus\n    location: ./exports\n"
                 "anomalies: {dimensions: [ServiceName, SubAccountId]}\n"
                 "alerts:\n  - {type: webhook, url: \"" +
                     url("/ok/hook") + "\"}\n");
  ASSERT_EQ(run({"sync", "--alert"}).status, 0);
  json got = received("/ok/hook");
  ASSERT_EQ(got.size(), 1u) << got.dump(1);
  json payload = json::parse(got[0]["body"].get<std::string>());
  ASSERT_EQ(payload["data"]["related"].size(), 1u) << payload.dump(1);
  std::set<std::string> scopes = {payload["data"]["dimension"].get<std::string>(),
                                  payload["data"]["related"][0]["dimension"].get<std::string>()};
  EXPECT_EQ(scopes, (std::set<std::string>{"ServiceName", "SubAccountId"}));
  EXPECT_NE(payload["text"].get<std::string>().find("Also seen as"), std::string::npos);
  // Both anomalies count as delivered: neither is announced again.
  EXPECT_EQ(
      bt::query_scalar(dir_.path(), "SELECT count(*) FROM alert_deliveries WHERE status = 'sent'"),
      "2");
  ASSERT_EQ(run({"sync", "--alert"}).status, 0);
  EXPECT_EQ(received("/ok/hook").size(), 1u);
}
