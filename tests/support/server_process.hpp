#pragma once
// Test peers that are real processes: moto_server, a fake API written in Python, a database.
// A ServerProcess starts one on a free loopback port, waits until it accepts connections and
// stops it (the whole process group) when it goes out of scope.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace billingfoot::testing {

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port();

// The full path of `program` on PATH, or nullopt.
std::optional<std::filesystem::path> find_program(const std::string& program);

class ServerProcess {
 public:
  // Runs argv[0] (looked up on PATH) with every "{port}" in the arguments replaced by a free
  // port; waits until 127.0.0.1:port accepts a connection. Throws std::runtime_error with the
  // server's output when it exits or does not listen within `timeout`.
  static std::unique_ptr<ServerProcess> start(std::vector<std::string> argv,
                                              const std::map<std::string, std::string>& env = {},
                                              std::chrono::seconds timeout = std::chrono::seconds(60));
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string output() const;  // what it wrote to stdout/stderr so far (for failure messages)

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_;
};

// Path of a file in tests/fakes/.
std::filesystem::path fake_server_script(const std::string& name);

}  // namespace billingfoot::testing
