#pragma once
// A real PostgreSQL 15 server (Debian's postgresql package) for tests: a throwaway data
// directory, started as the `postgres` system user (PostgreSQL refuses to run as root) on a
// free loopback port with its socket in the temp folder, stopped and removed at destruction.
#include <sys/types.h>

#include <string>

#include "support/cli.hpp"

namespace billingfoot::testing {

class PostgresServer {
 public:
  // Runs initdb and starts the server; throws std::runtime_error with the server's log on failure.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // libpq connection string for the superuser `postgres` (trust authentication on loopback).
  std::string dsn() const;
  // Runs SQL (one or more statements) through libpq; throws std::runtime_error on failure.
  void execute(const std::string& sql) const;
  // Stops the server (SIGTERM, waits); the data directory stays until destruction.
  void stop();

  // Whether Debian's PostgreSQL 15 binaries are installed (scripts/install-deps.sh does it).
  static bool available();

 private:
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace billingfoot::testing
