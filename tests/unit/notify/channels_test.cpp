// Message formats: Slack Block Kit, the webhook payload and its signature.
#include "notify/channels.hpp"

#include <gtest/gtest.h>

#include "common/hash.hpp"

namespace bn = billingfoot::notify;

namespace {

bn::AlertEvent event() {
  bn::AlertEvent e;
  e.kind = "anomaly";
  e.dedup_key = "anomaly:abc";
  e.severity = "high";
  e.title = "Cost anomaly: ServiceName <Compute> +1,000.00 USD";
  e.text = "A & B";
  e.fields = {{"Expected", "10.00 USD"}, {"Actual", "1,010.00 USD"}};
  e.link_path = "/anomalies/abc";
  e.data = {{"impact", 1000}};
  return e;
}

billingfoot::config::AlertChannelConfig channel() {
  billingfoot::config::AlertChannelConfig c;
  c.name = "slack";
  c.type = "slack";
  c.dashboard_url = "http://127.0.0.1:8080";
  return c;
}

}  // namespace

TEST(HmacSha256, MatchesRfc4231TestCase2) {
  EXPECT_EQ(billingfoot::common::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SlackMessage, BlockKitWithEscapedTextFieldsAndDashboardButton) {
  auto m = bn::slack_message(event(), channel());
  EXPECT_EQ(m["text"],
            "Cost anomaly: ServiceName <Compute> +1,000.00 USD");  // notification fallback
  const auto& blocks = m["blocks"];
  ASSERT_EQ(blocks.size(), 5u);
  EXPECT_EQ(blocks[0]["type"], "header");
  EXPECT_EQ(blocks[0]["text"]["type"], "plain_text");  // plain text: no escaping needed
  EXPECT_EQ(blocks[1]["text"]["text"], "A &amp; B");
  EXPECT_EQ(blocks[2]["fields"][0]["text"], "*Expected*\n10.00 USD");
  EXPECT_EQ(blocks[3]["elements"][0]["url"], "http://127.0.0.1:8080/anomalies/abc");
  EXPECT_EQ(blocks[4]["type"], "context");
}

TEST(SlackMessage, LongTitlesAreCutToTheHeaderLimit) {
  auto e = event();
  e.title = std::string(400, 'x');
  auto m = bn::slack_message(e, channel());
  std::string header = m["blocks"][0]["text"]["text"];
  EXPECT_LE(header.size(), 150u + 3);  // 149 characters and an ellipsis (3 bytes)
}

TEST(WebhookPayload, DocumentedFieldsAndSignature) {
  auto c = channel();
  c.type = "webhook";
  auto body = nlohmann::json::parse(bn::webhook_body(event(), c, "2025-01-31T08:00:00Z"));
  EXPECT_EQ(body["version"], 1);
  EXPECT_EQ(body["event"], "anomaly");
  EXPECT_EQ(body["dedup_key"], "anomaly:abc");
  EXPECT_EQ(body["severity"], "high");
  EXPECT_EQ(body["link"], "http://127.0.0.1:8080/anomalies/abc");
  EXPECT_EQ(body["sent_at"], "2025-01-31T08:00:00Z");
  EXPECT_EQ(body["data"]["impact"], 1000);
  EXPECT_EQ(bn::webhook_signature("key", "1700000000", "{}"),
            "sha256=" + billingfoot::common::hmac_sha256_hex("key", "1700000000.{}"));
}
