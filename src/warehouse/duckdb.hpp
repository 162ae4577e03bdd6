#pragma once
// A thin RAII layer over DuckDB's C API. This header and duckdb.cpp are the only code that
// knows DuckDB's C types; everything else talks to the warehouse through these classes.
// Failures throw warehouse::Error carrying DuckDB's message plus what we were doing.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace billingfoot::warehouse {

class Error : public std::runtime_error {
 public:
  Error(std::string context, std::string engine_message);
  const std::string& context() const { return context_; }
  const std::string& engine_message() const { return engine_message_; }

 private:
  std::string context_;
  std::string engine_message_;
};

// Coarse column kinds: enough to format output (align numbers, emit JSON numbers).
enum class ColumnKind { Boolean, Integer, Decimal, Float, Text, Timestamp, Date, Json, Other };

// A fully materialized query result: column names, kinds and cells as text (NULL = nullopt).
// Queries that move much data keep it inside DuckDB (INSERT … SELECT); results that reach C++
// are small (reports, metadata), so text cells keep the interface simple and exact.
class Result {
 public:
  size_t column_count() const { return names_.size(); }
  size_t row_count() const { return rows_.size(); }
  const std::vector<std::string>& column_names() const { return names_; }
  const std::string& column_name(size_t col) const { return names_.at(col); }
  ColumnKind column_kind(size_t col) const { return kinds_.at(col); }
  // Index of a column by name (case-insensitive); throws Error when absent.
  size_t column_index(std::string_view name) const;
  bool is_null(size_t row, size_t col) const { return !rows_.at(row).at(col).has_value(); }
  const std::optional<std::string>& cell(size_t row, size_t col) const { return rows_.at(row).at(col); }
  // The cell as text; empty for NULL.
  std::string text(size_t row, size_t col) const;
  int64_t int64(size_t row, size_t col) const;
  double number(size_t row, size_t col) const;
  // Keeps the first `rows` rows.
  void truncate(size_t rows) {
    if (rows < rows_.size()) rows_.resize(rows);
  }

 private:
  friend struct ResultBuilder;
  std::vector<std::string> names_;
  std::vector<ColumnKind> kinds_;
  std::vector<std::vector<std::optional<std::string>>> rows_;
};

enum class StatementKind { Select, Explain, Other };

class Appender;
class PreparedStatement;

// One connection; not thread-safe (use one per thread).
class Connection {
 public:
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Runs one or more statements, discarding results.
  void execute(std::string_view sql, std::string_view context = {});
  Result query(std::string_view sql, std::string_view context = {});
  PreparedStatement prepare(std::string_view sql, std::string_view context = {});
  Appender appender(std::string_view table);
  // How many statements DuckDB's parser finds in the text; throws Error on a syntax error.
  size_t count_statements(std::string_view sql);
  // Cancels the statement running on this connection (callable from another thread).
  void interrupt();

  // Defines the SQL function name(MAP(VARCHAR, VARCHAR)) → VARCHAR (JSON when json_result),
  // computed by `fn` for the whole database: it gets a row's map entries in their order (a NULL
  // value as nullopt), writes the result into `out` (cleared) and returns false for NULL. A NULL
  // map gives NULL without calling fn. DuckDB calls fn from several threads at once, so it must
  // not change shared state. Defining a name the database already has does nothing.
  using MapEntries = std::vector<std::pair<std::string_view, std::optional<std::string_view>>>;
  using MapFunction = std::function<bool(const MapEntries& entries, std::string& out)>;
  void define_map_function(const std::string& name, bool json_result, MapFunction fn);

 private:
  friend class Database;
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct OpenOptions {
  bool read_only = false;
  // When false DuckDB refuses to read or write any file but the database itself (read_csv,
  // COPY, ATTACH, INSTALL/LOAD), and the setting cannot be changed back by SQL.
  bool external_access = true;
  std::string memory_limit;  // e.g. "4GB"; empty = DuckDB's default
  int threads = 0;           // 0 = DuckDB's default
  // DuckDB lets one process write a file, or several read it, never both. When another
  // process holds the file, retry for this long before failing (a `sync` waiting for a
  // `serve` between requests); 0 = fail at once. Failing throws WarehouseLocked.
  std::chrono::milliseconds lock_wait{0};
};

// The file is held by another process (see OpenOptions::lock_wait).
class WarehouseLocked : public Error {
 public:
  using Error::Error;
};

class Database {
 public:
  // Opens (creating if needed) the database file; ":memory:" or "" for an in-memory one.
  static Database open(const std::string& path, const OpenOptions& options = {});
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();
  Connection connect();
  const std::string& path() const;

 private:
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class PreparedStatement {
 public:
  PreparedStatement(PreparedStatement&&) noexcept;
  PreparedStatement& operator=(PreparedStatement&&) noexcept;
  ~PreparedStatement();
  // Parameters are 1-based, as in DuckDB.
  PreparedStatement& bind(size_t index, std::string_view value);
  PreparedStatement& bind(size_t index, const char* value) { return bind(index, std::string_view(value)); }
  PreparedStatement& bind(size_t index, int64_t value);
  PreparedStatement& bind(size_t index, double value);
  PreparedStatement& bind_null(size_t index);
  Result execute();
  StatementKind kind() const;
  size_t parameter_count() const;

 private:
  friend class Connection;
  struct Impl;
  explicit PreparedStatement(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Fast row insertion into one table; rows become visible at flush() or destruction.
class Appender {
 public:
  Appender(Appender&&) noexcept;
  Appender& operator=(Appender&&) noexcept;
  ~Appender();
  Appender& append(std::string_view value);
  Appender& append(const char* value) { return append(std::string_view(value)); }
  Appender& append(int64_t value);
  Appender& append(double value);
  Appender& append_null();
  void end_row();
  void flush();

 private:
  friend class Connection;
  struct Impl;
  explicit Appender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// BEGIN on construction, ROLLBACK on destruction unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace billingfoot::warehouse
