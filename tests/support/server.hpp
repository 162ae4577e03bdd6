#pragma once
// Test support: `billingfoot serve` as a real child process on a free loopback port, and an
// HTTP client (cpp-httplib) talking to it over a real socket.
#include <httplib.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace billingfoot::testing {

class ServeProcess {
 public:
  // Runs `billingfoot serve --listen 127.0.0.1:0 EXTRA…` in `dir` and waits until it listens
  // (records a test failure when it does not within 30 s).
  explicit ServeProcess(const std::filesystem::path& dir,
                        const std::vector<std::string>& extra = {},
                        const std::map<std::string, std::string>& env = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool listening() const { return port_ > 0; }
  int port() const { return port_; }
  httplib::Client client() const;
  httplib::Result get(const std::string& path_and_query,
                      const httplib::Headers& headers = {}) const;
  httplib::Result post(const std::string& path, const std::string& body,
                       const std::string& content_type, const httplib::Headers& headers = {}) const;
  // Everything the server wrote to stdout (the request log) and stderr so far.
  std::string log() const;
  std::string errors() const;
  // Sends SIGTERM and waits; returns the exit status (128 + signal when killed).
  int stop();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path out_file_, err_file_;
};

// The body of a response, or "" (with a test failure) when no response arrived.
std::string body_of(const httplib::Result& result);

}  // namespace billingfoot::testing
