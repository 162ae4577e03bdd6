#include "model/postgres.hpp"

#include <libpq-fe.h>

#include <memory>

#include "common/errors.hpp"
#include "common/strings.hpp"

namespace billingfoot::model {

namespace {

struct ConnectionCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultClearer>;

std::string message_of(PGconn* connection) {
  return common::trim(PQerrorMessage(connection));
}

PgResult run(PGconn* connection, const std::string& sql, ExecStatusType expected,
             const char* what) {
  PgResult r(PQexec(connection, sql.c_str()));
  if (!r || PQresultStatus(r.get()) != expected) {
    throw InputError(std::string("PostgreSQL: ") + what + " failed: " + message_of(connection));
  }
  return r;
}

}  // namespace

MetricRows query_postgres(const std::string& dsn, const std::string& query, int timeout_seconds) {
  // connect_timeout first: values from the DSN (expanded from dbname) override it.
  const char* keys[] = {"connect_timeout", "dbname", "application_name", nullptr};
  const char* values[] = {"15", dsn.c_str(), "billingfoot", nullptr};
  std::unique_ptr<PGconn, ConnectionCloser> connection(PQconnectdbParams(keys, values, 1));
  if (!connection || PQstatus(connection.get()) != CONNECTION_OK) {
    throw InputError("PostgreSQL: cannot connect: " +
                     (connection ? message_of(connection.get()) : std::string("out of memory")));
  }
  PGconn* c = connection.get();
  run(c, "BEGIN READ ONLY", PGRES_COMMAND_OK, "starting a read-only transaction");
  run(c, "SET LOCAL statement_timeout = " + std::to_string(timeout_seconds * 1000),
      PGRES_COMMAND_OK, "setting a timeout");
  PgResult r = run(c, query, PGRES_TUPLES_OK, "the metric query");
  MetricRows out;
  out.origin = "PostgreSQL query";
  int fields = PQnfields(r.get());
  for (int f = 0; f < fields; ++f) out.columns.push_back(PQfname(r.get(), f));
  int tuples = PQntuples(r.get());
  out.rows.reserve(tuples);
  for (int t = 0; t < tuples; ++t) {
    std::vector<std::optional<std::string>> row;
    for (int f = 0; f < fields; ++f) {
      if (PQgetisnull(r.get(), t, f)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(r.get(), t, f), PQgetlength(r.get(), t, f)));
      }
    }
    out.rows.push_back(std::move(row));
  }
  run(c, "COMMIT", PGRES_COMMAND_OK, "ending the transaction");
  return out;
}

}  // namespace billingfoot::model
