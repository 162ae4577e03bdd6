#include "support/postgres.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

namespace billingfoot::testing {

namespace fs = std::filesystem;

namespace {

const fs::path kBin = "/usr/lib/postgresql/15/bin";

int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(s);
  return port;
}

// Starts `args` as the postgres user (setpriv execs in place, so the pid is the program's),
// with stdout and stderr appended to `log`.
pid_t spawn_as_postgres(const std::vector<std::string>& args, const fs::path& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = fopen(log.c_str(), "a");
    if (out) {
      dup2(fileno(out), 1);
      dup2(fileno(out), 2);
    }
    std::vector<std::string> full = {"setpriv", "--reuid=postgres", "--regid=postgres",
                                     "--init-groups", "--"};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("setpriv", argv.data());
    _exit(127);
  }
  return pid;
}

std::string read_log(const fs::path& log) {
  return read_file(log);
}

}  // namespace

bool PostgresServer::available() {
  return fs::exists(kBin / "postgres") && getpwnam("postgres") != nullptr;
}

PostgresServer::PostgresServer() {
  const passwd* pg = getpwnam("postgres");
  if (!pg) throw std::runtime_error("no postgres system user: install Debian's postgresql package");
  // The postgres user must reach its folders: the temp folder is made traversable, the data
  // and socket folders are its own.
  fs::permissions(dir_.path(),
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  fs::path data = dir_ / "data", sockets = dir_ / "run", log = dir_ / "postgres.log";
  for (const auto& p : {data, sockets}) {
    fs::create_directories(p);
    if (chown(p.c_str(), pg->pw_uid, pg->pw_gid) != 0)
      throw std::runtime_error("cannot chown " + p.string());
  }
  write_file(log, "");
  if (chown(log.c_str(), pg->pw_uid, pg->pw_gid) != 0)
    throw std::runtime_error("cannot chown " + log.string());

  pid_t init = spawn_as_postgres({(kBin / "initdb").string(), "-D", data.string(), "-U", "postgres",
                                  "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"},
                                 log);
  int status = 0;
  waitpid(init, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("initdb failed:\n" + read_log(log));

  port_ = free_port();
  pid_ = spawn_as_postgres(
      {(kBin / "postgres").string(), "-D", data.string(), "-p", std::to_string(port_), "-k",
       sockets.string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"},
      log);
  for (int i = 0; i < 300; ++i) {
    PGconn* c = PQconnectdb(dsn().c_str());
    bool ok = PQstatus(c) == CONNECTION_OK;
    PQfinish(c);
    if (ok) return;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("postgres exited at start:\n" + read_log(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop();
  throw std::runtime_error("postgres did not accept connections within 30 s:\n" + read_log(log));
}

PostgresServer::~PostgresServer() {
  stop();
}

std::string PostgresServer::dsn() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

void PostgresServer::execute(const std::string& sql) const {
  PGconn* c = PQconnectdb(dsn().c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string message = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("cannot connect to the test postgres: " + message);
  }
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string message = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("postgres: " + message);
}

void PostgresServer::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace billingfoot::testing
