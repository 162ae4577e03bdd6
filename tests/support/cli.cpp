#include "support/cli.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace billingfoot::testing {

namespace fs = std::filesystem;

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, const fs::path& cwd,
            int out_fd[2], int err_fd[2]) {
  if (pipe(out_fd) != 0 || pipe(err_fd) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out_fd[1], 1);
    dup2(err_fd[1], 2);
    close(out_fd[0]);
    close(err_fd[0]);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = BILLINGFOOT_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out_fd[1]);
  close(err_fd[1]);
  return pid;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

CliResult run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  const fs::path& cwd) {
  int out_fd[2], err_fd[2];
  pid_t pid = spawn(args, env, cwd, out_fd, err_fd);
  CliResult result;
  pollfd fds[2] = {{out_fd[0], POLLIN, 0}, {err_fd[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.status = decode_status(status);
  return result;
}

std::string query_scalar(const fs::path& dir, const std::string& sql) {
  CliResult r = run_cli({"query", "--format", "csv", sql}, {}, dir);
  EXPECT_EQ(r.status, 0) << sql << "\n" << r.err;
  auto rows = parse_csv(r.out);
  return rows.size() > 1 && !rows[1].empty() ? rows[1][0] : "";
}

Background start_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                     const fs::path& cwd) {
  int out_fd[2], err_fd[2];
  Background bg;
  bg.pid = spawn(args, env, cwd, out_fd, err_fd);
  close(out_fd[0]);  // stdout is not watched; writes to it would get EPIPE, which is fine here
  bg.stderr_fd = err_fd[0];
  return bg;
}

bool Background::wait_for_stderr(const std::string& needle, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  while (seen.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd fd{stderr_fd, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = read(stderr_fd, buf, sizeof buf);
    if (n <= 0) return seen.find(needle) != std::string::npos;
    seen.append(buf, static_cast<size_t>(n));
  }
  return true;
}

void Background::kill_hard() {
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
  }
  if (stderr_fd >= 0) close(stderr_fd);
  stderr_fd = -1;
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("billingfoot-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const fs::path& file, const std::string& text) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path shared_testdata(const std::string& relative) {
  return fs::path(BILLINGFOOT_SHARED_DIR) / "testdata" / relative;
}

__int128 parse_decimal_e10(const std::string& text) {
  std::string s = text;
  bool negative = !s.empty() && s[0] == '-';
  if (negative || (!s.empty() && s[0] == '+')) s = s.substr(1);
  size_t e = s.find_first_of("eE");
  int exponent = 0;
  if (e != std::string::npos) {
    exponent = std::stoi(s.substr(e + 1));
    s = s.substr(0, e);
  }
  size_t dot = s.find('.');
  std::string digits = dot == std::string::npos ? s : s.substr(0, dot) + s.substr(dot + 1);
  int scale = dot == std::string::npos ? 0 : static_cast<int>(s.size() - dot - 1);
  scale -= exponent;  // value = digits * 10^-scale
  __int128 v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') throw std::invalid_argument("not a decimal: " + text);
    v = v * 10 + (c - '0');
  }
  int shift = 10 - scale;
  for (; shift > 0; --shift) v *= 10;
  // Round half away from zero when the text has more than 10 decimals (as DECIMAL(38,10) does).
  for (; shift < 0; ++shift) {
    __int128 q = v / 10, r = v % 10;
    v = q + (r >= 5 ? 1 : 0);
  }
  return negative ? -v : v;
}

std::string format_e10(__int128 value) {
  bool negative = value < 0;
  if (negative) value = -value;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value > 0);
  while (digits.size() < 11) digits.insert(digits.begin(), '0');
  return (negative ? "-" : "") + digits.substr(0, digits.size() - 10) + "." + digits.substr(digits.size() - 10);
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(field);
        rows.push_back(row);
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace billingfoot::testing
