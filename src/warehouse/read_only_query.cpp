#include "warehouse/read_only_query.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <mutex>
#include <regex>
#include <thread>

#include "common/strings.hpp"

namespace billingfoot::warehouse {

namespace {

using nlohmann::json;

// Table functions that compute rows or read the catalog, never files or other databases.
bool allowed_table_function(const std::string& name) {
  static const char* allowed[] = {"range", "generate_series", "unnest", "json_each", "json_tree", "repeat"};
  for (const char* a : allowed) {
    if (name == a) return true;
  }
  return name.starts_with("duckdb_") || name.starts_with("pragma_");
}

bool looks_like_file(const std::string& table) {
  static const std::regex file_like(R"((/|\\|://|\.(csv|tsv|parquet|json|jsonl|ndjson|gz|zst|txt|xlsx|db|duckdb|sqlite)$))",
                                    std::regex::icase);
  return std::regex_search(table, file_like);
}

void check_tree(const json& node) {
  if (node.is_object()) {
    auto type = node.find("type");
    if (type != node.end() && type->is_string()) {
      if (*type == "TABLE_FUNCTION") {
        std::string name = node.contains("function") ? node["function"].value("function_name", "") : "";
        if (!allowed_table_function(common::to_lower(name))) {
          throw QueryRefused("query refused: table function " + name +
                             "() is not allowed (it reads files or other databases); query the warehouse tables instead");
        }
      } else if (*type == "BASE_TABLE") {
        std::string table = node.value("table_name", "");
        if (looks_like_file(table)) {
          throw QueryRefused("query refused: '" + table + "' is a file path; only warehouse tables can be queried");
        }
      }
    }
    for (const auto& [key, value] : node.items()) check_tree(value);
  } else if (node.is_array()) {
    for (const auto& value : node) check_tree(value);
  }
}

// The statement's leading keyword, for messages ("INSERT", "ATTACH", …).
std::string leading_keyword(std::string_view sql) {
  std::string text(sql);
  text = std::regex_replace(text, std::regex(R"(--[^\n]*|/\*[\s\S]*?\*/)"), " ");
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"([A-Za-z_]+)"))) {
    std::string word = m.str();
    for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return word;
  }
  return "empty";
}

}  // namespace

void check_read_only(Connection& connection, std::string_view sql) {
  size_t count = 0;
  try {
    count = connection.count_statements(sql);
  } catch (const Error& e) {
    throw QueryRefused("query refused: " + e.engine_message());
  }
  if (count == 0) throw QueryRefused("query refused: no SQL statement given");
  if (count > 1) throw QueryRefused("query refused: one statement at a time (got " + std::to_string(count) + ")");

  // DuckDB serializes only SELECT statements; anything else (INSERT, COPY, ATTACH, INSTALL,
  // LOAD, SET, PRAGMA, CREATE, …) is refused before it is even bound.
  auto serialized = connection.prepare("SELECT json_serialize_sql(?::VARCHAR)", "checking query");
  Result r = serialized.bind(1, sql).execute();
  json tree = json::parse(r.text(0, 0), nullptr, false);
  if (tree.is_discarded() || tree.value("error", false)) {
    std::string keyword = leading_keyword(sql);
    std::string detail = tree.is_discarded() ? "" : tree.value("error_message", "");
    if (keyword == "SELECT" || keyword == "WITH" || keyword == "FROM" || keyword == "VALUES") {
      throw QueryRefused("query refused: " + (detail.empty() ? std::string("not a read-only SELECT") : detail));
    }
    throw QueryRefused("query refused: only read-only SELECT statements are allowed (this is a " + keyword +
                       " statement)");
  }
  check_tree(tree);
}

Result run_read_only(Connection& connection, std::string_view sql, size_t max_rows) {
  check_read_only(connection, sql);
  std::string text(sql);
  while (!text.empty() && (text.back() == ';' || std::isspace(static_cast<unsigned char>(text.back())))) text.pop_back();
  if (max_rows > 0) text = "SELECT * FROM (" + text + "\n) LIMIT " + std::to_string(max_rows);
  PreparedStatement stmt = connection.prepare(text, "query");
  if (stmt.kind() != StatementKind::Select) {
    throw QueryRefused("query refused: only read-only SELECT statements are allowed");
  }
  return stmt.execute();
}

LimitedResult run_read_only_limited(Connection& connection, std::string_view sql, size_t max_rows,
                                    std::chrono::milliseconds timeout) {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false, interrupted = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mutex);
    if (!done_cv.wait_for(lock, timeout, [&] { return done; })) {
      interrupted = true;
      connection.interrupt();
    }
  });
  auto finish = [&] {
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    done_cv.notify_all();
    watchdog.join();
  };
  LimitedResult out;
  try {
    // One row more than allowed tells whether the result was cut.
    out.result = run_read_only(connection, sql, max_rows + 1);
  } catch (const Error& e) {
    finish();
    if (interrupted) {
      throw QueryTimedOut(fmt::format("query cancelled: it ran longer than the time limit of {:g} s",
                                      static_cast<double>(timeout.count()) / 1000.0));
    }
    throw;
  } catch (...) {
    finish();
    throw;
  }
  finish();
  out.truncated = out.result.row_count() > max_rows;
  if (out.truncated) out.result.truncate(max_rows);
  return out;
}

}  // namespace billingfoot::warehouse
