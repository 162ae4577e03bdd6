#pragma once
// User-supplied SQL (the `query` command, later the HTTP API) runs through this guard: exactly
// one SELECT, no table functions that read files, no file paths as tables. The caller should
// also open the warehouse read-only with external access disabled (defence in depth); this
// guard turns what DuckDB would refuse anyway into a clear message and covers connections
// that cannot be opened that way.
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {

class QueryRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws QueryRefused with the reason when `sql` is not a single read-only SELECT.
void check_read_only(Connection& connection, std::string_view sql);

// check_read_only, then run it; `max_rows` > 0 wraps it in a LIMIT.
Result run_read_only(Connection& connection, std::string_view sql, size_t max_rows = 0);

// The statement ran past its time limit and was cancelled.
class QueryTimedOut : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LimitedResult {
  Result result;           // at most max_rows rows
  bool truncated = false;  // the query had more rows than max_rows
};

// run_read_only with a row limit and a time limit (for SQL from API users): the statement is
// interrupted when it runs longer than `timeout` (QueryTimedOut).
LimitedResult run_read_only_limited(Connection& connection, std::string_view sql, size_t max_rows,
                                    std::chrono::milliseconds timeout);

}  // namespace billingfoot::warehouse
