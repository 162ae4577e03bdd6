#pragma once
// Test support: run the real billingfoot binary as a child process, and scratch folders.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace billingfoot::testing {

struct CliResult {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs BILLINGFOOT_BINARY with `args` (no shell), extra environment variables, in `cwd`.
CliResult run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                  const std::filesystem::path& cwd = {});

// The first cell of `billingfoot query --format csv SQL` run in `dir` ("" when no rows);
// records a test failure when the command fails.
std::string query_scalar(const std::filesystem::path& dir, const std::string& sql);

// A child started in the background whose stderr can be watched (for SIGKILL tests).
struct Background {
  pid_t pid = -1;
  int stderr_fd = -1;
  // Reads stderr until `needle` appears or `timeout_ms` passes; returns whether it appeared.
  bool wait_for_stderr(const std::string& needle, int timeout_ms);
  void kill_hard();  // SIGKILL and reap
  std::string seen;
};
Background start_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                     const std::filesystem::path& cwd = {});

// A fresh folder under /tmp, removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& file, const std::string& text);
std::string read_file(const std::filesystem::path& file);
std::filesystem::path shared_testdata(const std::string& relative);

// Decimal text → integer units of 1e-10 (exact), for money comparisons independent of DuckDB.
__int128 parse_decimal_e10(const std::string& text);
std::string format_e10(__int128 value);

// Minimal RFC 4180 CSV reader (quoted fields, doubled quotes, newlines in quotes), so tests
// can compute expectations from input files without our code path.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

}  // namespace billingfoot::testing
