#include "integration/gcp/gcp_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "support/cli.hpp"

namespace billingfoot::testing::gcp {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string invoice_month(int months_back) {
  auto pacific = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now() -
                                                       std::chrono::hours(8));
  std::chrono::year_month_day ymd{pacific};
  std::chrono::year_month ym{ymd.year(), ymd.month()};
  ym -= std::chrono::months(months_back);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ym.year()),
                static_cast<unsigned>(ym.month()));
  return buf;
}

fs::path fixture_dir() {
  return fs::path(BILLINGFOOT_SOURCE_DIR) / "tests/integration/gcp";
}

std::string fixture_rows() {
  std::string text = read_file(fixture_dir() / "export_rows.jsonl.in");
  const std::pair<const char*, int> months[] = {{"OLD", 2}, {"PREV", 1}, {"CUR", 0}};
  for (auto [token, back] : months) {
    std::string dashed = invoice_month(back);
    std::string compact = dashed.substr(0, 4) + dashed.substr(5, 2);
    for (auto [from, to] : {std::pair{"{" + std::string(token) + "_}", dashed},
                            std::pair{"{" + std::string(token) + "}", compact}}) {
      for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
        text.replace(at, from.size(), to);
      }
    }
  }
  return text;
}

namespace {

// Collects cost, invoice.month and credits[].amount of one row, keeping numbers as written.
struct RowSax : nlohmann::json_sax<json> {
  std::vector<std::string> path;  // keys of enclosing objects ("[]" for arrays)
  std::string current;
  std::string month;
  __int128 cost = 0, credits = 0;
  int credit_count = 0;
  std::vector<std::string> credit_types;

  std::string where() const {
    std::string p;
    for (const auto& k : path) p += k + "/";
    return p + current;
  }
  void number(const std::string& text) {
    std::string at = where();
    if (at == "/cost") cost += parse_decimal_e10(text);
    if (at == "/credits/[]/amount") {
      credits += parse_decimal_e10(text);
      ++credit_count;
    }
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t v) override { return number(std::to_string(v)), true; }
  bool number_unsigned(number_unsigned_t v) override { return number(std::to_string(v)), true; }
  bool number_float(number_float_t, const string_t& s) override { return number(s), true; }
  bool string(string_t& s) override {
    if (where() == "/invoice/month") month = s;
    if (where() == "/credits/[]/type") credit_types.push_back(s);
    return true;
  }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return path.push_back(current), current.clear(), true; }
  bool key(string_t& k) override { return current = k, true; }
  bool end_object() override { return current = path.back(), path.pop_back(), true; }
  bool start_array(std::size_t) override { return path.push_back(current), current = "[]", true; }
  bool end_array() override { return current = path.back(), path.pop_back(), true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    throw std::runtime_error(std::string("fixture is not JSON: ") + e.what());
  }
};

}  // namespace

std::map<std::string, MonthTotal> invoice_totals(const std::string& jsonl) {
  std::map<std::string, MonthTotal> totals;
  size_t start = 0;
  while (start < jsonl.size()) {
    size_t end = jsonl.find('\n', start);
    if (end == std::string::npos) end = jsonl.size();
    std::string line = jsonl.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    RowSax sax;
    json::sax_parse(line, &sax);
    if (sax.month.size() != 6)
      throw std::runtime_error("fixture row without invoice.month: " + line);
    auto& t = totals[sax.month.substr(0, 4) + "-" + sax.month.substr(4, 2)];
    t.cost_e10 += sax.cost;
    t.credits_e10 += sax.credits;
    t.credits += sax.credit_count;
    for (const auto& type : sax.credit_types)
      t.separate_credits += type == "PROMOTION" || type == "DISCOUNT";
    ++t.rows;
  }
  return totals;
}

namespace {

void run(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    std::vector<std::string> copy = argv;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("command failed: " + argv[0]);
}

std::string python() {
  return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

}  // namespace

TestKey make_test_key(const fs::path& dir, const std::string& name) {
  TestKey key;
  key.private_pem = dir / (name + "-private.pem");
  key.public_pem = dir / (name + "-public.pem");
  key.key_file = dir / (name + "-key.json");
  run({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
       key.private_pem.string()});
  run({"openssl", "pkey", "-in", key.private_pem.string(), "-pubout", "-out",
       key.public_pem.string()});
  json file = {{"type", "service_account"},
               {"project_id", "nimbus-data-prod"},
               {"private_key_id", "0123456789abcdef0123456789abcdef01234567"},
               {"private_key", read_file(key.private_pem)},
               {"client_email", key.client_email},
               {"client_id", "104857600000000000000"},
               {"token_uri", "https://oauth2.googleapis.com/token"}};
  write_file(key.key_file, file.dump(2));
  return key;
}

FakeBigQuery::FakeBigQuery(const TestKey& key, const fs::path& rows_file,
                           const std::vector<std::string>& extra_args, const fs::path& stats_file)
    : stats_(stats_file) {
  std::vector<std::string> argv = {
      python(),         fake_server_script("gcp_bigquery.py").string(),
      "--port",         "{port}",
      "--public-key",   key.public_pem.string(),
      "--client-email", key.client_email,
      "--schema",       (fixture_dir() / "detailed_export_schema.json").string(),
      "--rows",         rows_file.string(),
      "--project",      "nimbus-billing",
      "--dataset",      "billing_export",
      "--table",        "gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9",
      "--stats",        stats_file.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  server_ = ServerProcess::start(argv);
}

int FakeBigQuery::stat(const std::string& name) const {
  if (!fs::exists(stats_)) return 0;
  json s = json::parse(read_file(stats_), nullptr, false);
  return s.is_object() ? s.value(name, 0) : 0;
}

}  // namespace billingfoot::testing::gcp
