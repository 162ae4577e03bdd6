#include "support/server.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <regex>
#include <thread>

#include "support/cli.hpp"

namespace billingfoot::testing {

namespace fs = std::filesystem;

ServeProcess::ServeProcess(const fs::path& dir, const std::vector<std::string>& extra,
                           const std::map<std::string, std::string>& env) {
  std::random_device rd;
  std::string stem = "serve-" + std::to_string(getpid()) + "-" + std::to_string(rd());
  out_file_ = fs::temp_directory_path() / (stem + ".out");
  err_file_ = fs::temp_directory_path() / (stem + ".err");
  std::vector<std::string> args = {BILLINGFOOT_BINARY, "serve", "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (chdir(dir.c_str()) != 0) _exit(127);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  static const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+)/)");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string out = read_file(out_file_);
    if (std::regex_search(out, m, listening)) {
      port_ = std::stoi(m[1]);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "billingfoot serve did not start:\n"
                << read_file(out_file_) << read_file(err_file_);
}

ServeProcess::~ServeProcess() {
  stop();
  std::error_code ec;
  fs::remove(out_file_, ec);
  fs::remove(err_file_, ec);
}

httplib::Client ServeProcess::client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(120, 0);
  c.set_connection_timeout(5, 0);
  return c;
}

httplib::Result ServeProcess::get(const std::string& path_and_query,
                                  const httplib::Headers& headers) const {
  return client().Get(path_and_query, headers);
}

httplib::Result ServeProcess::post(const std::string& path, const std::string& body,
                                   const std::string& content_type,
                                   const httplib::Headers& headers) const {
  return client().Post(path, headers, body, content_type);
}

std::string ServeProcess::log() const {
  return read_file(out_file_);
}
std::string ServeProcess::errors() const {
  return read_file(err_file_);
}

int ServeProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "billingfoot serve did not stop within 20 s of SIGTERM";
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

std::string body_of(const httplib::Result& result) {
  if (!result) {
    ADD_FAILURE() << "no HTTP response: " << httplib::to_string(result.error());
    return "";
  }
  return result->body;
}

}  // namespace billingfoot::testing
