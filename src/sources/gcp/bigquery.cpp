#include "sources/gcp/bigquery.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <ctime>

#include "common/errors.hpp"
#include "net/http.hpp"
#include "warehouse/warehouse.hpp"

namespace billingfoot::sources::gcp {

using json = nlohmann::json;

std::vector<Field> parse_schema(const json& fields) {
  std::vector<Field> out;
  if (!fields.is_array()) return out;
  for (const auto& f : fields) {
    Field field{f.value("name", ""), f.value("type", "STRING"), f.value("mode", "NULLABLE"), {}};
    if (f.contains("fields")) field.fields = parse_schema(f["fields"]);
    out.push_back(std::move(field));
  }
  return out;
}

std::string timestamp_text(const std::string& cell) {
  int64_t micros = 0;
  bool integer = !cell.empty() && cell.find_first_not_of("-0123456789") == std::string::npos;
  try {
    micros = integer ? std::stoll(cell) : std::llround(std::stod(cell) * 1e6);
  } catch (const std::exception&) {
    throw InputError("BigQuery sent a TIMESTAMP that is not a number: " + cell);
  }
  int64_t seconds = micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  int64_t fraction = micros - seconds * 1000000;
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (fraction) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(fraction));
    out += frac;
  }
  return out + "Z";
}

namespace {

json decode_value(const Field& field, const json& v, bool element);

json decode_scalar(const Field& field, const json& v) {
  if (v.is_null()) return nullptr;
  if (field.type == "RECORD" || field.type == "STRUCT") {
    if (!v.is_object() || !v.contains("f"))
      throw InputError("BigQuery sent a malformed RECORD " + field.name);
    return decode_row(field.fields, v);
  }
  if (!v.is_string()) return v;
  const std::string& text = v.get_ref<const std::string&>();
  if (field.type == "TIMESTAMP") return timestamp_text(text);
  if (field.type == "BOOLEAN" || field.type == "BOOL") return text == "true";
  if (field.type == "FLOAT" || field.type == "FLOAT64" || field.type == "INTEGER" ||
      field.type == "INT64") {
    json number = json::parse(text, nullptr, false);
    return number.is_number() ? number : json(text);  // NaN, Infinity stay text
  }
  return text;  // STRING, NUMERIC (exact digits), DATE, …
}

json decode_value(const Field& field, const json& v, bool element) {
  if (field.mode == "REPEATED" && !element) {
    json items = json::array();
    if (v.is_null()) return items;
    if (!v.is_array()) throw InputError("BigQuery sent a malformed REPEATED field " + field.name);
    for (const auto& item : v) items.push_back(decode_value(field, item.value("v", json()), true));
    return items;
  }
  return decode_scalar(field, v);
}

// BigQuery signals some transient failures as 403 with a reason (Google docs, "Troubleshoot
// errors"): rateLimitExceeded and backendError are worth retrying; quotaExceeded is not.
std::optional<std::chrono::milliseconds> retry_decision(const net::Response& response) {
  if (response.status == 403 || response.status == 400) {
    json body = json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].contains("errors")) {
      for (const auto& e : body["error"]["errors"]) {
        std::string reason = e.value("reason", "");
        if (reason == "rateLimitExceeded" || reason == "backendError") {
          return std::chrono::milliseconds(0);
        }
      }
    }
    return std::nullopt;
  }
  return net::default_retry_decision(response);
}

}  // namespace

json decode_row(const std::vector<Field>& schema, const json& row) {
  json out = json::object();
  const json& cells = row.at("f");
  if (!cells.is_array() || cells.size() != schema.size()) {
    throw InputError("BigQuery sent a row with " + std::to_string(cells.size()) +
                     " cells for a schema of " + std::to_string(schema.size()) + " fields");
  }
  for (size_t i = 0; i < schema.size(); ++i) {
    out[schema[i].name] = decode_value(schema[i], cells[i].value("v", json()), false);
  }
  return out;
}

std::string TableRef::sql_name() const {
  return "`" + project + "." + dataset + "." + table + "`";
}

BigQuery::BigQuery(std::string api_endpoint, AccessTokens& tokens, std::string what)
    : api_(std::move(api_endpoint)), tokens_(tokens), what_(std::move(what)) {
  while (!api_.empty() && api_.back() == '/') api_.pop_back();
}

namespace {

std::string explain_error(const net::Response& response, const std::string& doing,
                          const TableRef& table, bool renewable) {
  json body = json::parse(response.body, nullptr, false);
  std::string message, reason;
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    message = body["error"].value("message", "");
    if (body["error"].contains("errors") && !body["error"]["errors"].empty()) {
      reason = body["error"]["errors"][0].value("reason", "");
    }
  }
  std::string status =
      "HTTP " + std::to_string(response.status) + (reason.empty() ? "" : " " + reason);
  std::string said = message.empty() ? status : status + ": " + message;
  if (response.status == 401) {
    return renewable ? "Google refused a freshly issued access token (" + said + ")"
                     : "the access token was refused (" + said +
                           "); it may have expired: run `gcloud auth print-access-token` again";
  }
  if (response.status == 403 && reason != "quotaExceeded") {
    if (message.find("bigquery.jobs.create") != std::string::npos) {
      return "permission denied (" + said +
             "): the account needs roles/bigquery.jobUser on project " + table.job_project +
             " to run queries";
    }
    return "permission denied (" + said +
           "): the account needs roles/bigquery.dataViewer on dataset " + table.project + ":" +
           table.dataset + " to read " + table.table;
  }
  if (response.status == 404 && doing == "reading the table schema") {
    return "table " + table.project + ":" + table.dataset + "." + table.table + " not found (" +
           said +
           "); check bigquery.project, dataset, table and location — billing export tables are "
           "named "
           "gcp_billing_export_v1_<ACCOUNT> or gcp_billing_export_resource_v1_<ACCOUNT>";
  }
  return said;
}

}  // namespace

json BigQuery::call(const std::string& method, const std::string& url, const std::string& body,
                    const std::string& doing, const TableRef& table) {
  for (int attempt = 1;; ++attempt) {
    net::Request request;
    request.method = method;
    request.url = url;
    request.headers = {{"Authorization", "Bearer " + tokens_.token()}};
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    request.body = body;
    net::RetryPolicy policy;
    policy.decide = retry_decision;
    policy.what = what_ + ": BigQuery " + doing;
    net::Response response = net::send_with_retry(request, policy);
    if (response.status == 401 && attempt == 1 && tokens_.invalidate()) {
      spdlog::info("{}: access token refused while {}; getting a new one", what_, doing);
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      throw InputError(what_ + ": BigQuery " + doing +
                       " failed: " + explain_error(response, doing, table, attempt > 1));
    }
    json parsed = json::parse(response.body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      throw InputError(what_ + ": BigQuery " + doing + ": the response is not a JSON object (" +
                       std::to_string(response.body.size()) + " bytes from " +
                       net::describe_url(url) + ")");
    }
    return parsed;
  }
}

std::vector<Field> BigQuery::table_schema(const TableRef& table) {
  std::string url = api_ + "/bigquery/v2/projects/" + net::url_encode(table.project) +
                    "/datasets/" + net::url_encode(table.dataset) + "/tables/" +
                    net::url_encode(table.table);
  json t = call("GET", url, "", "reading the table schema", table);
  if (!t.contains("schema") || !t["schema"].contains("fields")) {
    throw InputError(what_ + ": BigQuery table " + table.table + " has no schema");
  }
  return parse_schema(t["schema"]["fields"]);
}

int64_t BigQuery::query(const TableRef& table, const std::string& sql,
                        const std::vector<QueryParameter>& parameters,
                        const std::function<void(const std::vector<json>& rows)>& on_page) {
  constexpr int kTimeoutMs = 10000;
  constexpr int kMaxResults = 10000;
  json request = {{"query", sql},
                  {"useLegacySql", false},
                  {"timeoutMs", kTimeoutMs},
                  {"maxResults", kMaxResults},
                  {"formatOptions", {{"useInt64Timestamp", true}}},
                  {"parameterMode", "NAMED"},
                  // Makes a retried jobs.query idempotent: BigQuery returns the same job.
                  {"requestId", warehouse::new_load_id()}};
  if (!table.location.empty()) request["location"] = table.location;
  json params = json::array();
  for (const auto& p : parameters) {
    params.push_back({{"name", p.name},
                      {"parameterType", {{"type", "STRING"}}},
                      {"parameterValue", {{"value", p.value}}}});
  }
  request["queryParameters"] = params;
  std::string project_url = api_ + "/bigquery/v2/projects/" + net::url_encode(table.job_project);
  json page = call("POST", project_url + "/queries", request.dump(), "running a query", table);

  std::string job_id, location = table.location;
  if (page.contains("jobReference")) {
    job_id = page["jobReference"].value("jobId", "");
    location = page["jobReference"].value("location", location);
  }
  auto results_url = [&](const std::string& page_token) {
    std::string url = project_url + "/queries/" + net::url_encode(job_id) +
                      "?maxResults=" + std::to_string(kMaxResults) +
                      "&timeoutMs=" + std::to_string(kTimeoutMs) +
                      "&formatOptions.useInt64Timestamp=true";
    if (!location.empty()) url += "&location=" + net::url_encode(location);
    if (!page_token.empty()) url += "&pageToken=" + net::url_encode(page_token);
    return url;
  };
  // The job may still run: poll (each call waits up to timeoutMs on the server) until done.
  while (!page.value("jobComplete", false)) {
    if (job_id.empty()) throw InputError(what_ + ": BigQuery answered a query without a job id");
    page = call("GET", results_url(""), "", "waiting for query results", table);
  }
  std::vector<Field> schema =
      parse_schema(page.contains("schema") ? page["schema"]["fields"] : json());
  const json& total_rows = page.contains("totalRows") ? page["totalRows"] : json("0");
  int64_t total = total_rows.is_number() ? total_rows.get<int64_t>()
                                         : std::stoll(total_rows.get<std::string>());
  int64_t read = 0;
  while (true) {
    std::vector<json> rows;
    if (page.contains("rows")) {
      for (const auto& row : page["rows"]) rows.push_back(decode_row(schema, row));
    }
    read += static_cast<int64_t>(rows.size());
    if (!rows.empty()) on_page(rows);
    std::string token = page.value("pageToken", "");
    if (token.empty()) break;
    page = call("GET", results_url(token), "", "reading query results", table);
  }
  if (read != total) {
    throw InputError(what_ + ": BigQuery said the query returned " + std::to_string(total) +
                     " rows but " + std::to_string(read) + " arrived; nothing was loaded");
  }
  return read;
}

}  // namespace billingfoot::sources::gcp
