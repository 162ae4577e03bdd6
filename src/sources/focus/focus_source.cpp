#include "sources/focus/focus_source.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "common/embedded.hpp"
#include "common/errors.hpp"
#include "common/hash.hpp"
#include "common/progress.hpp"
#include "common/step_timer.hpp"
#include "common/strings.hpp"
#include "focus/catalogue.hpp"
#include "sources/files.hpp"
#include "sources/partition_loader.hpp"

namespace billingfoot::sources::focus {

namespace fs = std::filesystem;
namespace catalogue = billingfoot::focus;
using common::quote_ident;
using common::quote_literal;

const std::vector<std::string_view> kConfigKeys = {};

std::string canonical_column_name(std::string_view delivered) {
  std::string name(delivered);
  if (name.starts_with("\xEF\xBB\xBF")) name = name.substr(3);  // UTF-8 byte order mark
  name = common::trim(name);
  if (const auto* column = catalogue::find_column(name)) return std::string(column->name);
  // billingfoot's own columns are set by the load; a delivered one is kept under another name.
  for (const auto& own : catalogue::billingfoot_columns()) {
    if (common::iequals(own.name, name)) return "x_Delivered" + name.substr(1);
  }
  if (name.size() > 2 && (name[0] == 'x' || name[0] == 'X') && name[1] == '_') return name;
  return "x_" + name;
}

namespace {

// SQL that converts one delivered column to text: nested values (Parquet MAP/STRUCT, JSON
// objects) become JSON text, everything else its plain text form.
std::string as_text(const std::string& column, const std::string& type) {
  bool nested = type.starts_with("MAP(") || type.starts_with("STRUCT(") || type.ends_with("[]") || type == "JSON";
  return nested ? "CAST(to_json(" + quote_ident(column) + ") AS VARCHAR)" : "CAST(" + quote_ident(column) + " AS VARCHAR)";
}

// Reads FOCUS files into focus_staging (see focus_source.hpp); drops its intermediate views
// whatever happens. The files are read through views, once, by the statement that writes
// focus_staging: the only copy of the delivery in temporary storage.
class FocusStager {
 public:
  FocusStager(warehouse::Connection& c, std::string name, std::string location)
      : con_(c), name_(std::move(name)), location_(std::move(location)) {}
  ~FocusStager() {
    try {
      con_.execute("DROP VIEW IF EXISTS focus_input");
      drop_raw_views();
    } catch (const std::exception& e) {
      spdlog::warn("{}: cleaning up temporary tables failed: {}", name_, e.what());
    }
  }

  void stage(const std::vector<fs::path>& files) {
    con_.execute(std::string(common::embedded_resource("sources/macros.sql")), "defining conversion macros");
    std::vector<std::string> selects;
    std::set<std::string> present;  // canonical names of FOCUS columns seen in any file
    std::set<std::string> extras;
    common::Progress progress(name_ + ": reading", files.size());
    for (size_t i = 0; i < files.size(); ++i) {
      progress.update(i + 1, files[i].filename().string());
      std::string raw = "bf_raw_" + std::to_string(i);
      {
        common::StepTimer timer(name_ + ": read " + files[i].filename().string());
        read_file_into(con_, files[i], raw, name_, ReadMode::View);
      }
      raw_views_.push_back(raw);
      raw_files_.push_back(files[i]);
      auto cols = con_.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = " +
                            quote_literal(raw) + " ORDER BY ordinal_position");
      std::vector<std::string> items;
      std::set<std::string> seen;
      for (size_t c = 0; c < cols.row_count(); ++c) {
        std::string delivered = cols.text(c, 0);
        std::string canonical = canonical_column_name(delivered);
        if (!seen.insert(common::to_lower(canonical)).second) {
          throw InputError("source " + name_ + ": file " + files[i].string() + ": column " + delivered +
                           " appears twice (as " + canonical + ")");
        }
        (catalogue::find_column(canonical) ? present : extras).insert(canonical);
        items.push_back(as_text(delivered, cols.text(c, 1)) + " AS " + quote_ident(canonical));
      }
      for (const char* required : {"BillingPeriodStart", "BilledCost"}) {
        if (!seen.count(common::to_lower(required))) {
          throw InputError("source " + name_ + ": file " + files[i].string() + ": no " + required +
                           " column — is this a FOCUS file? (columns: " + std::to_string(cols.row_count()) + ")");
        }
      }
      items.push_back(quote_literal(files[i].string()) + " AS bf_file");
      selects.push_back("SELECT " + common::join(items, ", ") + " FROM " + quote_ident(raw));
    }
    con_.execute("CREATE OR REPLACE TEMP VIEW focus_input AS " + common::join(selects, " UNION ALL BY NAME "),
                 "combining files of " + name_);

    std::vector<std::string> focus_columns;
    for (const auto& column : catalogue::columns()) {
      std::string name(column.name);
      if (!present.count(name)) {
        focus_columns.push_back("CAST(NULL AS " + std::string(catalogue::sql_type(column.type)) + ") AS " + name);
        continue;
      }
      const char* conv = "bf_text";
      switch (column.type) {
        case catalogue::ColumnType::Decimal:
          conv = "bf_decimal";
          break;
        case catalogue::ColumnType::DateTime:
          conv = "bf_timestamp";
          break;
        case catalogue::ColumnType::Json:
          conv = "bf_json";
          break;
        case catalogue::ColumnType::String:
          break;
      }
      focus_columns.push_back(std::string(conv) + "(" + quote_ident(name) + ") AS " + name);
    }
    std::string extra_columns;
    for (const auto& e : extras) extra_columns += "bf_text(" + quote_ident(e) + ") AS " + quote_ident(e) + ",\n  ";
    std::string sql = common::render_template(common::embedded_resource("sources/focus/normalize.sql"),
                                              {{"focus_columns", common::join(focus_columns, ",\n  ")},
                                               {"extra_columns", extra_columns}});
    try {
      common::StepTimer timer(name_ + ": read and normalize");
      con_.execute(sql);
    } catch (const warehouse::Error& e) {
      explain_read_failure();
      throw InputError("source " + name_ + ": cannot convert the files to FOCUS types: " + e.engine_message() +
                       " (files: " + location_ + ")");
    }
    con_.execute("DROP VIEW focus_input");
    drop_raw_views();
    check_required_values();
  }

  // After a failed normalize: a file that cannot be read whole (truncated, ragged, not what its
  // name says) is named with the reader's message; otherwise the failure was a conversion.
  void explain_read_failure() {
    for (size_t i = 0; i < raw_views_.size(); ++i) {
      try {
        con_.execute("CREATE OR REPLACE TEMP TABLE bf_read_check AS SELECT * FROM " + quote_ident(raw_views_[i]));
        con_.execute("DROP TABLE bf_read_check");
      } catch (const warehouse::Error& e) {
        throw InputError("source " + name_ + ": file " + raw_files_[i].string() + ": " + e.engine_message());
      }
    }
  }

  // Rows that cannot be placed in a billing period or carry no cost would make totals wrong.
  void check_required_values() {
    auto bad = con_.query(
        "SELECT bf_file, count(*) FILTER (WHERE BillingPeriodStart IS NULL), count(*) FILTER "
        "(WHERE BilledCost IS NULL) FROM focus_staging WHERE BillingPeriodStart IS NULL OR "
        "BilledCost IS NULL GROUP BY 1 ORDER BY 1 LIMIT 1");
    if (bad.row_count()) {
      throw InputError("source " + name_ + ": file " + bad.text(0, 0) + ": " + bad.text(0, 1) +
                       " rows without BillingPeriodStart and " + bad.text(0, 2) +
                       " rows without BilledCost; FOCUS requires both (nothing was loaded)");
    }
  }

  void drop_raw_views() {
    for (const auto& v : raw_views_) con_.execute("DROP VIEW IF EXISTS " + quote_ident(v));
    raw_views_.clear();
    raw_files_.clear();
  }

 private:
  warehouse::Connection& con_;
  std::string name_;
  std::string location_;
  std::vector<std::string> raw_views_;
  std::vector<fs::path> raw_files_;
};

class FocusSource : public Source {
 public:
  FocusSource(const config::Config& config, const config::SourceConfig& source)
      : name_(source.name), location_(source.location ? config.resolve_path(*source.location) : fs::path()) {
    if (!source.location) {
      throw UsageError(source.origin.describe() + ": a source of type focus needs location: (a file, folder or glob)");
    }
  }

  SyncResult sync(warehouse::Warehouse& warehouse, const SyncOptions& options) override {
    SyncResult result;
    std::string started_at = warehouse::utc_now();
    try {
      auto files = find_data_files(location_, name_);
      std::string version = common::sha256_hex(std::string(common::embedded_resource("sources/macros.sql")) +
                                               std::string(common::embedded_resource("sources/focus/normalize.sql")))
                                .substr(0, 12);
      std::string delivery = version + ":" + files_fingerprint(files);
      if (!options.full && warehouse.source_state(name_, "delivery") == delivery) {
        spdlog::info("{}: files unchanged since the last sync ({} files)", name_, files.size());
        result.periods = unchanged_periods(warehouse, name_, options);
        return result;
      }
      stage_focus_files(warehouse.connection(), files, name_, location_.string());
      warehouse.connection().execute(
          "CREATE OR REPLACE TEMP VIEW focus_staged_rows AS SELECT * EXCLUDE (bf_file) FROM focus_staging");
      result.periods = load_staged_periods(
          warehouse, {name_, "focus", "focus_staged_rows", "focus:" + version + ":", started_at}, options);
      if (result.ok()) warehouse.set_source_state(name_, "delivery", delivery);
    } catch (const std::exception& e) {
      result.error = e.what();
    }
    cleanup(warehouse.connection());
    return result;
  }

 private:
  void cleanup(warehouse::Connection& con) {
    try {
      con.execute("DROP VIEW IF EXISTS focus_staged_rows");
      drop_focus_staging(con);
    } catch (const std::exception& e) {
      spdlog::warn("{}: cleaning up temporary tables failed: {}", name_, e.what());
    }
  }

  std::string name_;
  fs::path location_;
};

}  // namespace

void stage_focus_files(warehouse::Connection& con, const std::vector<fs::path>& files, const std::string& source_name,
                       const std::string& location) {
  FocusStager(con, source_name, location).stage(files);
}

void drop_focus_staging(warehouse::Connection& con) {
  con.execute("DROP TABLE IF EXISTS focus_staging; DROP VIEW IF EXISTS focus_input");
}

std::unique_ptr<Source> create(const config::Config& config, const config::SourceConfig& source) {
  return std::make_unique<FocusSource>(config, source);
}

}  // namespace billingfoot::sources::focus
