#include "warehouse/duckdb.hpp"

#include <duckdb.h>

#include <spdlog/spdlog.h>

#include <string>
#include <thread>

#include "common/strings.hpp"

namespace billingfoot::warehouse {

Error::Error(std::string context, std::string engine_message)
    : std::runtime_error(context.empty() ? engine_message : context + ": " + engine_message),
      context_(std::move(context)),
      engine_message_(std::move(engine_message)) {}

namespace {

ColumnKind kind_of(duckdb_type type) {
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN:
      return ColumnKind::Boolean;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      return ColumnKind::Integer;
    case DUCKDB_TYPE_DECIMAL:
      return ColumnKind::Decimal;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
      return ColumnKind::Float;
    case DUCKDB_TYPE_VARCHAR:
      return ColumnKind::Text;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return ColumnKind::Timestamp;
    case DUCKDB_TYPE_DATE:
      return ColumnKind::Date;
    default:
      return ColumnKind::Other;
  }
}

// JSON is a VARCHAR with an alias; tell it apart so output can embed it as JSON.
ColumnKind column_kind(duckdb_result* result, idx_t col) {
  ColumnKind kind = kind_of(duckdb_column_type(result, col));
  if (kind == ColumnKind::Text) {
    duckdb_logical_type lt = duckdb_column_logical_type(result, col);
    char* alias = duckdb_logical_type_get_alias(lt);
    if (alias) {
      if (std::string_view(alias) == "JSON") kind = ColumnKind::Json;
      duckdb_free(alias);
    }
    duckdb_destroy_logical_type(&lt);
  }
  return kind;
}

}  // namespace

// Moves a duckdb_result into a Result and frees it; throws Error when the statement failed.
struct ResultBuilder {
  static Result build(duckdb_result& raw, duckdb_state state, std::string_view context) {
    if (state == DuckDBError) {
      const char* err = duckdb_result_error(&raw);
      std::string message = err ? err : "unknown DuckDB error";
      duckdb_destroy_result(&raw);
      throw Error(std::string(context), message);
    }
    Result result;
    idx_t cols = duckdb_column_count(&raw);
    idx_t rows = duckdb_row_count(&raw);
    for (idx_t c = 0; c < cols; ++c) {
      result.names_.emplace_back(duckdb_column_name(&raw, c));
      result.kinds_.push_back(column_kind(&raw, c));
    }
    result.rows_.resize(rows);
    for (idx_t r = 0; r < rows; ++r) {
      auto& row = result.rows_[r];
      row.resize(cols);
      for (idx_t c = 0; c < cols; ++c) {
        if (duckdb_value_is_null(&raw, c, r)) continue;
        char* v = duckdb_value_varchar(&raw, c, r);
        row[c] = v ? std::string(v) : std::string();
        duckdb_free(v);
      }
    }
    duckdb_destroy_result(&raw);
    return result;
  }
};

// --- Result ---------------------------------------------------------------------------------

size_t Result::column_index(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (common::iequals(names_[i], name)) return i;
  }
  throw Error("result", "no column named " + std::string(name));
}

std::string Result::text(size_t row, size_t col) const {
  const auto& c = cell(row, col);
  return c ? *c : std::string();
}

int64_t Result::int64(size_t row, size_t col) const {
  const auto& c = cell(row, col);
  return c ? std::stoll(*c) : 0;
}

double Result::number(size_t row, size_t col) const {
  const auto& c = cell(row, col);
  return c ? std::stod(*c) : 0.0;
}

// --- Database -------------------------------------------------------------------------------

struct Database::Impl {
  duckdb_database db = nullptr;
  std::string path;
  ~Impl() {
    if (db) duckdb_close(&db);
  }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;
const std::string& Database::path() const { return impl_->path; }

namespace {

// bf_clean_text(text): the text without leading and trailing Unicode space separators, NULL
// when nothing is left — what nullif(trim(text), '') gives, at a fraction of its cost (every
// text value of every delivered row goes through it). sources/macros.sql builds bf_text on it.
void clean_text(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector text = duckdb_data_chunk_get_vector(input, 0);
  auto* values = static_cast<duckdb_string_t*>(duckdb_vector_get_data(text));
  uint64_t* valid = duckdb_vector_get_validity(text);
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* out_valid = duckdb_vector_get_validity(output);
  for (idx_t row = 0; row < rows; ++row) {
    std::string_view cleaned;
    if (duckdb_validity_row_is_valid(valid, row)) {
      cleaned = common::trim_unicode_spaces(
          std::string_view(duckdb_string_t_data(&values[row]), duckdb_string_t_length(values[row])));
    }
    if (cleaned.empty()) {
      duckdb_validity_set_row_invalid(out_valid, row);
    } else {
      duckdb_vector_assign_string_element_len(output, row, cleaned.data(), cleaned.size());
    }
  }
}

// Defines the SQL function name(param) → result computed by `fn` on the database of `con`
// (DuckDB calls it for NULL arguments too; `fn` answers NULL itself), handing it `extra` (freed
// with `destroy` when the function goes). A name the database has already is left as it is.
void define_function(duckdb_connection con, const std::string& name, duckdb_logical_type param,
                     duckdb_logical_type result, duckdb_scalar_function_t fn, void* extra = nullptr,
                     duckdb_delete_callback_t destroy = nullptr) {
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, name.c_str());
  duckdb_scalar_function_add_parameter(f, param);
  duckdb_scalar_function_set_return_type(f, result);
  duckdb_scalar_function_set_special_handling(f);
  if (extra) duckdb_scalar_function_set_extra_info(f, extra, destroy);
  duckdb_scalar_function_set_function(f, fn);
  duckdb_state state = duckdb_register_scalar_function(con, f);
  duckdb_destroy_scalar_function(&f);
  if (state == DuckDBSuccess) return;
  // Refused when the database has the name already; anything else is an error.
  duckdb_result r;
  std::string probe = "SELECT count(*) FROM duckdb_functions() WHERE function_name = " + common::quote_literal(name);
  bool defined = duckdb_query(con, probe.c_str(), &r) == DuckDBSuccess && duckdb_value_int64(&r, 0, 0) > 0;
  duckdb_destroy_result(&r);
  if (!defined) throw Error("defining SQL function " + name, "DuckDB refused the function");
}

// Defines bf_clean_text on a database just opened.
void define_clean_text(duckdb_database db, const std::string& path) {
  duckdb_connection con = nullptr;
  if (duckdb_connect(db, &con) == DuckDBError) throw Error("connecting to " + path, "duckdb_connect failed");
  duckdb_logical_type text = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  try {
    define_function(con, "bf_clean_text", text, text, clean_text);
  } catch (...) {
    duckdb_destroy_logical_type(&text);
    duckdb_disconnect(&con);
    throw;
  }
  duckdb_destroy_logical_type(&text);
  duckdb_disconnect(&con);
}

}  // namespace

Database Database::open(const std::string& path, const OpenOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError) throw Error("opening " + path, "cannot create config");
  auto set = [&](const char* name, const std::string& value) {
    if (duckdb_set_config(config, name, value.c_str()) == DuckDBError) {
      duckdb_destroy_config(&config);
      throw Error("opening " + path, std::string("invalid setting ") + name + "=" + value);
    }
  };
  if (options.read_only) set("access_mode", "READ_ONLY");
  // Extensions are built in; never download anything at run time.
  set("autoinstall_known_extensions", "false");
  set("autoload_known_extensions", "false");
  if (!options.memory_limit.empty()) set("memory_limit", options.memory_limit);
  if (options.threads > 0) set("threads", std::to_string(options.threads));
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  const char* file = path.empty() || path == ":memory:" ? nullptr : path.c_str();
  auto deadline = std::chrono::steady_clock::now() + options.lock_wait;
  bool waited = false;
  for (;;) {
    char* error = nullptr;
    duckdb_state state = duckdb_open_ext(file, &impl->db, config, &error);
    if (state != DuckDBError) break;
    std::string message = error ? error : "unknown error";
    if (error) duckdb_free(error);
    impl->db = nullptr;
    bool locked = message.find("Could not set lock") != std::string::npos ||
                  message.find("Conflicting lock") != std::string::npos;
    if (!locked) {
      duckdb_destroy_config(&config);
      throw Error("opening warehouse " + path, message);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      duckdb_destroy_config(&config);
      throw WarehouseLocked("opening warehouse " + path,
                            "it is in use by another billingfoot process (" + message + ")");
    }
    if (!waited) {
      spdlog::warn("{} is in use by another billingfoot process; waiting for it", path);
      waited = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  duckdb_destroy_config(&config);
  define_clean_text(impl->db, path);
  Database database(std::move(impl));
  // Timestamps without an offset are UTC everywhere in billingfoot. (ICU settings cannot be
  // given at open time, so they are set here, before the configuration may be locked.)
  std::string settings = "SET GLOBAL TimeZone = 'UTC';";
  if (!options.external_access) {
    settings += "SET GLOBAL enable_external_access = false; SET GLOBAL lock_configuration = true;";
  }
  database.connect().execute(settings, "configuring " + path);
  return database;
}

// --- Connection -----------------------------------------------------------------------------

struct Connection::Impl {
  duckdb_connection con = nullptr;
  ~Impl() {
    if (con) duckdb_disconnect(&con);
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Connection Database::connect() {
  auto impl = std::make_unique<Connection::Impl>();
  if (duckdb_connect(impl_->db, &impl->con) == DuckDBError) {
    throw Error("connecting to " + impl_->path, "duckdb_connect failed");
  }
  return Connection(std::move(impl));
}

void Connection::execute(std::string_view sql, std::string_view context) { query(sql, context); }

Result Connection::query(std::string_view sql, std::string_view context) {
  duckdb_result raw;
  std::string text(sql);
  duckdb_state state = duckdb_query(impl_->con, text.c_str(), &raw);
  return ResultBuilder::build(raw, state, context);
}

void Connection::interrupt() { duckdb_interrupt(impl_->con); }

namespace {

std::string_view string_of(duckdb_string_t& s) { return {duckdb_string_t_data(&s), duckdb_string_t_length(s)}; }

// DuckDB flattens the arguments of a C API function: the map is a flat LIST of STRUCT(key,
// value), its entries in the list's child vector.
void call_map_function(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  auto& fn = *static_cast<Connection::MapFunction*>(duckdb_scalar_function_get_extra_info(info));
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector map = duckdb_data_chunk_get_vector(input, 0);
  auto* lists = static_cast<duckdb_list_entry*>(duckdb_vector_get_data(map));
  uint64_t* valid = duckdb_vector_get_validity(map);
  duckdb_vector pairs = duckdb_list_vector_get_child(map);
  duckdb_vector key_vector = duckdb_struct_vector_get_child(pairs, 0);
  duckdb_vector value_vector = duckdb_struct_vector_get_child(pairs, 1);
  auto* keys = static_cast<duckdb_string_t*>(duckdb_vector_get_data(key_vector));
  auto* values = static_cast<duckdb_string_t*>(duckdb_vector_get_data(value_vector));
  uint64_t* values_valid = duckdb_vector_get_validity(value_vector);
  duckdb_vector_ensure_validity_writable(output);
  uint64_t* out_valid = duckdb_vector_get_validity(output);
  Connection::MapEntries entries;
  std::string out;
  try {
    for (idx_t row = 0; row < rows; ++row) {
      bool has_value = false;
      if (duckdb_validity_row_is_valid(valid, row)) {
        entries.clear();
        for (idx_t i = lists[row].offset; i < lists[row].offset + lists[row].length; ++i) {
          std::optional<std::string_view> value;
          if (duckdb_validity_row_is_valid(values_valid, i)) value = string_of(values[i]);
          entries.emplace_back(string_of(keys[i]), value);
        }
        out.clear();
        has_value = fn(entries, out);
      }
      if (has_value) {
        duckdb_vector_assign_string_element_len(output, row, out.data(), out.size());
      } else {
        duckdb_validity_set_row_invalid(out_valid, row);
      }
    }
  } catch (const std::exception& e) {
    duckdb_scalar_function_set_error(info, e.what());
  }
}

}  // namespace

void Connection::define_map_function(const std::string& name, bool json_result, MapFunction fn) {
  duckdb_logical_type text = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_logical_type map = duckdb_create_map_type(text, text);
  duckdb_logical_type result = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  if (json_result) duckdb_logical_type_set_alias(result, "JSON");
  auto destroy_types = [&] {
    duckdb_destroy_logical_type(&text);
    duckdb_destroy_logical_type(&map);
    duckdb_destroy_logical_type(&result);
  };
  try {
    define_function(impl_->con, name, map, result, call_map_function, new MapFunction(std::move(fn)),
                    [](void* p) { delete static_cast<MapFunction*>(p); });
  } catch (...) {
    destroy_types();
    throw;
  }
  destroy_types();
}

size_t Connection::count_statements(std::string_view sql) {
  duckdb_extracted_statements extracted = nullptr;
  std::string text(sql);
  idx_t count = duckdb_extract_statements(impl_->con, text.c_str(), &extracted);
  const char* err = extracted ? duckdb_extract_statements_error(extracted) : nullptr;
  std::string message = err ? err : "";
  duckdb_destroy_extracted(&extracted);
  if (!message.empty()) throw Error("parsing SQL", message);
  return count;
}

// --- PreparedStatement ------------------------------------------------------------------------

struct PreparedStatement::Impl {
  duckdb_prepared_statement stmt = nullptr;
  std::string context;
  ~Impl() {
    if (stmt) duckdb_destroy_prepare(&stmt);
  }
  void check(duckdb_state state, size_t index) {
    if (state == DuckDBError) {
      const char* err = duckdb_prepare_error(stmt);
      throw Error(context, "cannot bind parameter " + std::to_string(index) + (err ? std::string(": ") + err : ""));
    }
  }
};

PreparedStatement::PreparedStatement(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PreparedStatement::PreparedStatement(PreparedStatement&&) noexcept = default;
PreparedStatement& PreparedStatement::operator=(PreparedStatement&&) noexcept = default;
PreparedStatement::~PreparedStatement() = default;

PreparedStatement Connection::prepare(std::string_view sql, std::string_view context) {
  auto impl = std::make_unique<PreparedStatement::Impl>();
  impl->context = std::string(context);
  std::string text(sql);
  if (duckdb_prepare(impl_->con, text.c_str(), &impl->stmt) == DuckDBError) {
    const char* err = duckdb_prepare_error(impl->stmt);
    throw Error(std::string(context), err ? err : "cannot prepare statement");
  }
  return PreparedStatement(std::move(impl));
}

PreparedStatement& PreparedStatement::bind(size_t index, std::string_view value) {
  impl_->check(duckdb_bind_varchar_length(impl_->stmt, index, value.data(), value.size()), index);
  return *this;
}
PreparedStatement& PreparedStatement::bind(size_t index, int64_t value) {
  impl_->check(duckdb_bind_int64(impl_->stmt, index, value), index);
  return *this;
}
PreparedStatement& PreparedStatement::bind(size_t index, double value) {
  impl_->check(duckdb_bind_double(impl_->stmt, index, value), index);
  return *this;
}
PreparedStatement& PreparedStatement::bind_null(size_t index) {
  impl_->check(duckdb_bind_null(impl_->stmt, index), index);
  return *this;
}

Result PreparedStatement::execute() {
  duckdb_result raw;
  duckdb_state state = duckdb_execute_prepared(impl_->stmt, &raw);
  return ResultBuilder::build(raw, state, impl_->context);
}

StatementKind PreparedStatement::kind() const {
  switch (duckdb_prepared_statement_type(impl_->stmt)) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
      return StatementKind::Select;
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
      return StatementKind::Explain;
    default:
      return StatementKind::Other;
  }
}

size_t PreparedStatement::parameter_count() const { return duckdb_nparams(impl_->stmt); }

// --- Appender ---------------------------------------------------------------------------------

struct Appender::Impl {
  duckdb_appender app = nullptr;
  std::string table;
  ~Impl() {
    if (app) duckdb_appender_destroy(&app);  // flushes; errors here cannot be reported
  }
  void check(duckdb_state state, const char* what) {
    if (state == DuckDBError) {
      const char* err = duckdb_appender_error(app);
      throw Error("appending to " + table + " (" + what + ")", err ? err : "unknown error");
    }
  }
};

Appender::Appender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Appender::Appender(Appender&&) noexcept = default;
Appender& Appender::operator=(Appender&&) noexcept = default;
Appender::~Appender() = default;

Appender Connection::appender(std::string_view table) {
  auto impl = std::make_unique<Appender::Impl>();
  impl->table = std::string(table);
  if (duckdb_appender_create(impl_->con, nullptr, impl->table.c_str(), &impl->app) == DuckDBError) {
    const char* err = duckdb_appender_error(impl->app);
    throw Error("appending to " + impl->table, err ? err : "cannot create appender");
  }
  return Appender(std::move(impl));
}

Appender& Appender::append(std::string_view value) {
  impl_->check(duckdb_append_varchar_length(impl_->app, value.data(), value.size()), "text");
  return *this;
}
Appender& Appender::append(int64_t value) {
  impl_->check(duckdb_append_int64(impl_->app, value), "integer");
  return *this;
}
Appender& Appender::append(double value) {
  impl_->check(duckdb_append_double(impl_->app, value), "number");
  return *this;
}
Appender& Appender::append_null() {
  impl_->check(duckdb_append_null(impl_->app), "null");
  return *this;
}
void Appender::end_row() { impl_->check(duckdb_appender_end_row(impl_->app), "end of row"); }
void Appender::flush() { impl_->check(duckdb_appender_flush(impl_->app), "flush"); }

// --- Transaction ------------------------------------------------------------------------------

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.execute("BEGIN TRANSACTION", "starting a transaction");
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_.execute("ROLLBACK", "rolling back");
  } catch (...) {
    // The connection may already have aborted the transaction; nothing more to undo.
  }
}

void Transaction::commit() {
  connection_.execute("COMMIT", "committing");
  open_ = false;
}

}  // namespace billingfoot::warehouse
