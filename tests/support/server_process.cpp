#include "support/server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/cli.hpp"

namespace billingfoot::testing {

namespace fs = std::filesystem;

namespace {

bool accepts_connections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::optional<fs::path> find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return fs::exists(program) ? std::optional<fs::path>(program) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir) / program;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

fs::path fake_server_script(const std::string& name) {
  return fs::path(BILLINGFOOT_SOURCE_DIR) / "tests" / "fakes" / name;
}

std::unique_ptr<ServerProcess> ServerProcess::start(std::vector<std::string> argv,
                                                    const std::map<std::string, std::string>& env,
                                                    std::chrono::seconds timeout) {
  auto program = find_program(argv.at(0));
  if (!program) throw std::runtime_error(argv[0] + " is not on PATH");
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->port_ = free_port();
  for (auto& a : argv) {
    for (size_t at; (at = a.find("{port}")) != std::string::npos;) a.replace(at, 6, std::to_string(server->port_));
  }
  server->log_ = fs::temp_directory_path() /
                 ("billingfoot-server-" + std::to_string(getpid()) + "-" + std::to_string(server->port_) + ".log");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);  // its own process group, so children (e.g. werkzeug reloaders) stop with it
    int log = open(server->log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(log, 1);
    dup2(log, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(program->c_str(), args.data());
    _exit(127);
  }
  server->pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!accepts_connections(server->port_)) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      throw std::runtime_error(argv[0] + " exited before listening:\n" + server->output());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(argv[0] + " did not listen on port " + std::to_string(server->port_) + ":\n" +
                               server->output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return server;
}

std::string ServerProcess::output() const {
  std::error_code ec;
  return fs::exists(log_, ec) ? read_file(log_) : "";
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGTERM);
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  std::error_code ec;
  fs::remove(log_, ec);
}

}  // namespace billingfoot::testing
