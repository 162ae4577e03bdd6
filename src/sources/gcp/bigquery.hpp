#pragma once
// The two BigQuery REST calls the connector needs, over the shared HTTP client: tables.get (the
// table's schema: standard or detailed export, which fields exist) and jobs.query followed by
// jobs.getQueryResults until the job is complete and every page is read. Rows arrive in
// BigQuery's cell encoding ({"f":[{"v":…}]}) and are decoded into ordinary JSON objects shaped
// like the table (records as objects, repeated fields as arrays, timestamps as RFC 3339 UTC).
// Transient failures (5xx, 429, rateLimitExceeded, backendError) are retried with backoff; an
// expired token is renewed once; access and not-found errors name what to fix.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sources/gcp/oauth.hpp"

namespace billingfoot::sources::gcp {

// A field of a BigQuery schema (TableFieldSchema).
struct Field {
  std::string name;
  std::string type;  // STRING, FLOAT, INTEGER, NUMERIC, TIMESTAMP, BOOLEAN, RECORD, …
  std::string mode;  // NULLABLE, REQUIRED, REPEATED
  std::vector<Field> fields;
};
std::vector<Field> parse_schema(const nlohmann::json& fields);

// One row in BigQuery's cell encoding → a JSON object. TIMESTAMP cells may be int64
// microseconds (formatOptions.useInt64Timestamp) or float seconds ("1.7145216E9"); both become
// "YYYY-MM-DDTHH:MM:SS[.ffffff]Z". Numbers stay JSON numbers with the digits BigQuery sent.
nlohmann::json decode_row(const std::vector<Field>& schema, const nlohmann::json& row);
std::string timestamp_text(const std::string& cell);

struct TableRef {
  std::string project;  // holds the dataset
  std::string dataset;
  std::string table;
  std::string location;          // e.g. US, EU, europe-west1 ("" = let BigQuery decide)
  std::string job_project;       // runs (and pays for) the queries; defaults to project
  std::string sql_name() const;  // `project.dataset.table`
};

// A named query parameter of type STRING.
struct QueryParameter {
  std::string name, value;
};

class BigQuery {
 public:
  // `what` names the source in messages, e.g. "source gcp".
  BigQuery(std::string api_endpoint, AccessTokens& tokens, std::string what);

  std::vector<Field> table_schema(const TableRef& table);

  // Runs `sql` in table.job_project and hands every page's decoded rows to `on_page`, in order.
  // Returns the number of rows read (checked against the job's totalRows).
  int64_t query(const TableRef& table, const std::string& sql,
                const std::vector<QueryParameter>& parameters,
                const std::function<void(const std::vector<nlohmann::json>& rows)>& on_page);

 private:
  nlohmann::json call(const std::string& method, const std::string& url, const std::string& body,
                      const std::string& doing, const TableRef& table);

  std::string api_;
  AccessTokens& tokens_;
  std::string what_;
};

}  // namespace billingfoot::sources::gcp
