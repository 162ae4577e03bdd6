#include "app/demo/cur_export.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "app/demo/rng.hpp"
#include "common/strings.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::app::demo {

namespace fs = std::filesystem;
using common::quote_literal;

namespace {

// Parquet types as AWS writes them: amounts DOUBLE, rates text, dates TIMESTAMP, maps.
enum class Kind { Text, Double, Timestamp, Map };

struct RowView {
  const CurLine& l;
  const CurExportSpec& spec;
  Day month;
  const std::string& line_item_id;
};
using Cell = std::optional<std::string> (*)(const RowView&);

struct Column {
  std::string_view name;
  Kind kind;
  Cell cell;
};

std::optional<std::string> text(const std::string& v) {
  if (v.empty()) return std::nullopt;
  return v;
}

// A DOUBLE column holds the nearest double to the decimal; up to 15 significant digits it
// reads back as exactly that decimal, which keeps the demo's costs exact after the round trip.
std::string double_text(Fixed v) {
  std::string t = v.text();
  int digits = 0;
  bool leading = true;
  for (char c : t) {
    if (c < '0' || c > '9') continue;
    if (leading && c == '0') continue;
    leading = false;
    ++digits;
  }
  if (digits > 15)
    throw std::logic_error("demo: " + t + " has too many digits for a DOUBLE column");
  return t;
}
std::optional<std::string> amount(const std::optional<Fixed>& v) {
  if (!v) return std::nullopt;
  return double_text(*v);
}
std::optional<std::string> rate(const std::optional<Fixed>& v) {
  if (!v) return std::nullopt;
  return v->text();
}
std::string time_text(Day d) {
  return iso_date(d) + " 00:00:00";
}
std::string map_json(const KeyValues& entries) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : entries) j[k] = v;
  return j.dump();
}

// CUR 2.0 columns the demo writes, in the order of AWS's table dictionary (by column group).
const std::vector<Column>& columns() {
  static const std::vector<Column> all = {
      {"bill_bill_type", Kind::Text, [](const RowView&) { return text("Anniversary"); }},
      {"bill_billing_entity", Kind::Text, [](const RowView&) { return text("AWS"); }},
      {"bill_billing_period_end_date", Kind::Timestamp,
       [](const RowView& r) { return text(time_text(next_month_start(r.month))); }},
      {"bill_billing_period_start_date", Kind::Timestamp,
       [](const RowView& r) { return text(time_text(r.month)); }},
      // Filled per delivery: only the final delivery of a month has the invoice.
      {"bill_invoice_id", Kind::Text, [](const RowView&) { return std::optional<std::string>(); }},
      {"bill_invoicing_entity", Kind::Text,
       [](const RowView& r) { return text(r.spec.invoicing_entity); }},
      {"bill_payer_account_id", Kind::Text,
       [](const RowView& r) { return text(r.spec.payer_account_id); }},
      {"bill_payer_account_name", Kind::Text,
       [](const RowView& r) { return text(r.spec.payer_account_name); }},
      {"identity_line_item_id", Kind::Text, [](const RowView& r) { return text(r.line_item_id); }},
      {"identity_time_interval", Kind::Text,
       [](const RowView& r) { return text(timestamp(r.l.start) + "/" + timestamp(r.l.end)); }},
      {"line_item_availability_zone", Kind::Text,
       [](const RowView& r) { return text(r.l.availability_zone); }},
      {"line_item_currency_code", Kind::Text, [](const RowView&) { return text("USD"); }},
      {"line_item_legal_entity", Kind::Text,
       [](const RowView& r) { return text(r.spec.legal_entity); }},
      {"line_item_line_item_description", Kind::Text,
       [](const RowView& r) { return text(r.l.description); }},
      {"line_item_line_item_type", Kind::Text,
       [](const RowView& r) { return text(r.l.line_item_type); }},
      {"line_item_operation", Kind::Text, [](const RowView& r) { return text(r.l.operation); }},
      {"line_item_product_code", Kind::Text,
       [](const RowView& r) { return text(r.l.product_code); }},
      {"line_item_resource_id", Kind::Text, [](const RowView& r) { return text(r.l.resource_id); }},
      {"line_item_tax_type", Kind::Text, [](const RowView& r) { return text(r.l.tax_type); }},
      {"line_item_unblended_cost", Kind::Double,
       [](const RowView& r) { return amount(r.l.unblended_cost); }},
      {"line_item_unblended_rate", Kind::Text,
       [](const RowView& r) { return rate(r.l.unblended_rate); }},
      {"line_item_usage_account_id", Kind::Text,
       [](const RowView& r) { return text(r.l.account_id); }},
      {"line_item_usage_account_name", Kind::Text,
       [](const RowView& r) { return text(r.l.account_name); }},
      {"line_item_usage_amount", Kind::Double,
       [](const RowView& r) { return amount(r.l.usage_amount); }},
      {"line_item_usage_end_date", Kind::Timestamp,
       [](const RowView& r) { return text(time_text(r.l.end)); }},
      {"line_item_usage_start_date", Kind::Timestamp,
       [](const RowView& r) { return text(time_text(r.l.start)); }},
      {"line_item_usage_type", Kind::Text, [](const RowView& r) { return text(r.l.usage_type); }},
      {"pricing_public_on_demand_cost", Kind::Double,
       [](const RowView& r) { return amount(r.l.public_on_demand_cost); }},
      {"pricing_public_on_demand_rate", Kind::Text,
       [](const RowView& r) { return rate(r.l.public_on_demand_rate); }},
      {"pricing_purchase_option", Kind::Text,
       [](const RowView& r) { return text(r.l.purchase_option); }},
      {"pricing_rate_code", Kind::Text, [](const RowView& r) { return text(r.l.rate_code); }},
      {"pricing_term", Kind::Text, [](const RowView& r) { return text(r.l.pricing_term); }},
      {"pricing_unit", Kind::Text, [](const RowView& r) { return text(r.l.pricing_unit); }},
      {"product", Kind::Map,
       [](const RowView& r) {
         KeyValues entries = {{"product_name", r.l.product_name}};
         entries.insert(entries.end(), r.l.product_attributes.begin(),
                        r.l.product_attributes.end());
         return text(map_json(entries));
       }},
      {"product_instance_type", Kind::Text,
       [](const RowView& r) { return text(r.l.instance_type); }},
      {"product_location", Kind::Text, [](const RowView& r) { return text(r.l.location); }},
      {"product_product_family", Kind::Text,
       [](const RowView& r) { return text(r.l.product_family); }},
      {"product_region_code", Kind::Text, [](const RowView& r) { return text(r.l.region_code); }},
      {"product_servicecode", Kind::Text, [](const RowView& r) { return text(r.l.product_code); }},
      {"product_sku", Kind::Text, [](const RowView& r) { return text(r.l.sku); }},
      {"reservation_amortized_upfront_cost_for_usage", Kind::Double,
       [](const RowView& r) { return amount(r.l.reservation_amortized_upfront_cost_for_usage); }},
      {"reservation_amortized_upfront_fee_for_billing_period", Kind::Double,
       [](const RowView& r) {
         return amount(r.l.reservation_amortized_upfront_fee_for_billing_period);
       }},
      {"reservation_effective_cost", Kind::Double,
       [](const RowView& r) { return amount(r.l.reservation_effective_cost); }},
      {"reservation_recurring_fee_for_usage", Kind::Double,
       [](const RowView& r) { return amount(r.l.reservation_recurring_fee_for_usage); }},
      {"reservation_reservation_a_r_n", Kind::Text,
       [](const RowView& r) { return text(r.l.reservation_arn); }},
      {"reservation_unused_amortized_upfront_fee_for_billing_period", Kind::Double,
       [](const RowView& r) {
         return amount(r.l.reservation_unused_amortized_upfront_fee_for_billing_period);
       }},
      {"reservation_unused_recurring_fee", Kind::Double,
       [](const RowView& r) { return amount(r.l.reservation_unused_recurring_fee); }},
      {"resource_tags", Kind::Map, [](const RowView& r) { return text(map_json(r.l.tags)); }},
      {"savings_plan_offering_type", Kind::Text,
       [](const RowView& r) { return text(r.l.savings_plan_offering_type); }},
      {"savings_plan_payment_option", Kind::Text,
       [](const RowView& r) { return text(r.l.savings_plan_payment_option); }},
      {"savings_plan_purchase_term", Kind::Text,
       [](const RowView& r) { return text(r.l.savings_plan_purchase_term); }},
      {"savings_plan_savings_plan_a_r_n", Kind::Text,
       [](const RowView& r) { return text(r.l.savings_plan_arn); }},
      {"savings_plan_savings_plan_effective_cost", Kind::Double,
       [](const RowView& r) { return amount(r.l.savings_plan_effective_cost); }},
      {"savings_plan_savings_plan_rate", Kind::Double,
       [](const RowView& r) { return amount(r.l.savings_plan_rate); }},
      {"savings_plan_total_commitment_to_date", Kind::Double,
       [](const RowView& r) { return amount(r.l.total_commitment_to_date); }},
      {"savings_plan_used_commitment", Kind::Double,
       [](const RowView& r) { return amount(r.l.used_commitment); }},
  };
  return all;
}

std::string_view manifest_type(Kind k) {
  switch (k) {
    case Kind::Double:
      return "double";
    case Kind::Timestamp:
      return "timestamp";
    case Kind::Map:
      return "map<string,string>";
    case Kind::Text:
      break;
  }
  return "string";
}

// The Parquet column from its text in the staging table.
std::string typed(const Column& c) {
  std::string name(c.name);
  switch (c.kind) {
    case Kind::Double:
      return "CAST(" + name + " AS DOUBLE) AS " + name;
    case Kind::Timestamp:
      return "CAST(" + name + " AS TIMESTAMP) AS " + name;
    case Kind::Map:
      return "json_transform(" + name + ", '\"MAP(VARCHAR, VARCHAR)\"') AS " + name;
    case Kind::Text:
      break;
  }
  return name;
}

int day_number(Day d) {
  return static_cast<int>(d.time_since_epoch().count());
}

// 2025-06-16T04:00:00Z, as a folder name: 20250616T040000Z. Deliveries sort by name.
std::string delivery_folder(Day through) {
  std::string d = iso_date(through + std::chrono::days(1));
  return d.substr(0, 4) + d.substr(5, 2) + d.substr(8, 2) + "T040000Z";
}

std::string uuid(const Rng& r) {
  std::string h = r.token("0123456789abcdef", 32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string read_binary(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A scratch folder for the Parquet files DuckDB writes, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            fmt::format("billingfoot-demo-cur-{}-{}", static_cast<long>(getpid()), counter++);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// One thread writes a Parquet file the same way every run: byte-identical deliveries.
warehouse::OpenOptions single_thread() {
  warehouse::OpenOptions o;
  o.threads = 1;
  return o;
}

}  // namespace

// Lines wait in an in-memory DuckDB table (as text) until files() writes each delivery's
// snapshot straight from it: a month of CUR lines is far smaller there than as C++ strings.
struct CurExport::Store {
  warehouse::Database db;
  warehouse::Connection con;
  std::optional<warehouse::Appender> appender;

  Store() : db(warehouse::Database::open(":memory:", single_thread())), con(db.connect()) {
    std::string ddl =
        "CREATE TABLE cur_lines (bf_month VARCHAR, bf_posted INTEGER, bf_only INTEGER, bf_seq "
        "BIGINT";
    for (const auto& c : columns()) ddl += ", " + std::string(c.name) + " VARCHAR";
    con.execute(ddl + ")", "creating the demo's CUR staging table");
    appender.emplace(con.appender("cur_lines"));
  }
};

CurExport::CurExport(CurExportSpec spec, const Timeline& timeline, uint64_t seed)
    : spec_(std::move(spec)), timeline_(timeline), seed_(seed), store_(std::make_unique<Store>()) {}

CurExport::~CurExport() = default;

std::vector<Day> CurExport::delivery_days(Day month) const {
  Day last = timeline_.data_end(month) - std::chrono::days(1);
  std::vector<Day> days;
  for (int d : {7, 14, 21, 28}) {
    Day through = month + std::chrono::days(d - 1);
    if (through < last) days.push_back(through);
  }
  days.push_back(last);
  return days;
}

void CurExport::add(const CurLine& line, Day posted) {
  append(line, posted, std::nullopt);
}

void CurExport::add_to_delivery(const CurLine& line, Day through) {
  append(line, through, through);
}

void CurExport::append(const CurLine& line, Day posted, std::optional<Day> only) {
  Day billing_month = month_start(posted);
  // AWS keeps a line's id across refreshes: derived from what identifies the line.
  std::string identity = fmt::format("{}|{}|{}|{}|{}|{}|{}", month_key(billing_month),
                                     line.line_item_type, line.account_id, line.usage_type,
                                     line.resource_id, iso_date(line.start), line.product_code);
  std::string id = Rng(seed_, identity).token("abcdefghijklmnopqrstuvwxyz234567", 52);
  RowView row{line, spec_, billing_month, id};
  auto& a = *store_->appender;
  a.append(month_key(billing_month));
  a.append(static_cast<int64_t>(day_number(posted)));
  if (only) {
    a.append(static_cast<int64_t>(day_number(*only)));
  } else {
    a.append_null();
  }
  a.append(static_cast<int64_t>(seq_++));
  for (const auto& c : columns()) {
    auto v = c.cell(row);
    if (v) {
      a.append(*v);
    } else {
      a.append_null();
    }
  }
  a.end_row();
}

std::vector<GeneratedFile> CurExport::files() {
  store_->appender->flush();
  ScratchDir scratch;
  nlohmann::ordered_json manifest_columns = nlohmann::ordered_json::array();
  for (const auto& c : columns())
    manifest_columns.push_back({{"name", c.name}, {"type", manifest_type(c.kind)}});
  // Typed once; each delivery then selects its lines. The invoice id is the delivery's.
  std::vector<std::string> typed_columns;
  for (const auto& c : columns()) typed_columns.push_back(typed(c));
  store_->con.execute("CREATE TABLE cur_typed AS SELECT bf_month, bf_posted, bf_only, bf_seq, " +
                          common::join(typed_columns, ", ") +
                          " FROM cur_lines; DROP TABLE cur_lines",
                      "typing the demo's CUR lines");
  auto select = [](const std::string& invoice) {
    std::vector<std::string> items;
    for (const auto& c : columns()) {
      items.push_back(c.name != "bill_invoice_id" ? std::string(c.name)
                      : invoice.empty()           ? "CAST(NULL AS VARCHAR) AS bill_invoice_id"
                                                  : quote_literal(invoice) + " AS bill_invoice_id");
    }
    return common::join(items, ", ");
  };

  std::vector<GeneratedFile> out;
  for (Day month = timeline_.first; month <= timeline_.last; month = next_month_start(month)) {
    std::string period = month_key(month);
    std::vector<Day> deliveries = delivery_days(month);
    for (Day through : deliveries) {
      bool newest = through == deliveries.back();
      bool final = newest && timeline_.complete(month);
      std::string invoice =
          final ? spec_.invoice_prefix + period.substr(0, 4) + period.substr(5, 2) : "";
      std::string folder = delivery_folder(through);
      std::string data_key = "data/BILLING_PERIOD=" + period + "/" + folder + "/" +
                             spec_.export_name + "-00001.snappy.parquet";
      fs::path parquet = scratch.path() / "delivery.parquet";
      int day = day_number(through);
      auto copied =
          store_->con.query("COPY (SELECT " + select(invoice) +
                                " FROM cur_typed WHERE bf_month = " + quote_literal(period) +
                                " AND bf_posted <= " + std::to_string(day) +
                                " AND (bf_only IS NULL OR bf_only = " + std::to_string(day) +
                                ") ORDER BY bf_seq) TO " + quote_literal(parquet.string()) +
                                " (FORMAT parquet, COMPRESSION snappy)",
                            "writing the demo's CUR delivery " + data_key);
      out.push_back(
          {spec_.folder + "/" + data_key, read_binary(parquet), newest ? copied.int64(0, 0) : 0});

      nlohmann::ordered_json manifest = {
          {"executionId", uuid(Rng(seed_, "aws/cur/execution/" + period + "/" + folder))},
          {"exportArn", spec_.export_arn},
          {"exportName", spec_.export_name},
          {"billingPeriod",
           {{"start", timestamp(month)}, {"end", timestamp(next_month_start(month))}}},
          {"dataFiles", {spec_.s3_root + "/" + data_key}},
          {"columns", manifest_columns},
      };
      out.push_back({spec_.folder + "/metadata/BILLING_PERIOD=" + period + "/" + folder + "/" +
                         spec_.export_name + "-Manifest.json",
                     manifest.dump(2) + "\n", 0});
    }
  }
  return out;
}

}  // namespace billingfoot::app::demo
