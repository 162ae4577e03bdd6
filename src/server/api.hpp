#pragma once
// The JSON API under /api/v1/ (documented in openapi.json, served at /api/v1/openapi.json).
// Each endpoint turns query parameters into a Payload: a JSON document and, for endpoints that
// produce a table, that table (which `?format=csv` downloads as CSV). Bad parameters throw
// UsageError, which the server answers with 400 and the message.
#include <httplib.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "server/dashboards.hpp"
#include "server/settings.hpp"
#include "server/warehouse_lease.hpp"
#include "warehouse/cost_query.hpp"
#include "warehouse/duckdb.hpp"
#include "warehouse/reader.hpp"

namespace billingfoot::server {

// A dashboard, panel or route that does not exist: HTTP 404.
class NotFound : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Payload {
  std::string json;
  std::optional<warehouse::Result> table;  // what ?format=csv returns
  std::string name;                        // CSV file name stem, e.g. "costs"
  int status = 200;
};

// Read access to a request's query parameters, refusing names the endpoint does not know.
class Params {
 public:
  Params(const httplib::Request& request, std::vector<std::string> known);
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  // Every value of a repeated parameter; with split_commas, "a,b" counts as two.
  std::vector<std::string> all(const std::string& name, bool split_commas) const;
  size_t number(const std::string& name, size_t fallback, size_t max) const;

 private:
  const httplib::Request& request_;
};

class Api {
 public:
  Api(const config::SharedConfig& config, const ServerSettings& settings, WarehouseLease& lease);

  Payload meta(const Params& params);
  Payload costs(const Params& params);
  Payload movers(const Params& params);
  Payload overview(const Params& params);
  Payload sources(const Params& params);
  Payload loads(const Params& params);
  Payload derived_table(const std::string& table,
                        const Params& params);  // unit_costs, anomalies, budget_status
  Payload query(const httplib::Request& request);
  Payload dashboards(const Params& params);
  Payload dashboard(const std::string& id, const Params& params);
  Payload panel(const std::string& id, size_t index, const Params& params);
  // Warehouse gauges for /metrics (rows, last successful load per source).
  std::string warehouse_metrics();

  // The parameters of every cost endpoint (costs, movers): group_by, filter, from, to, …
  static const std::vector<std::string>& cost_parameters();

 private:
  // One request's reader: the DuckDB file (held through the lease while the request runs) or
  // the ClickHouse warehouse.
  class Reading {
   public:
    warehouse::Reader& reader() { return *reader_; }

   private:
    friend class Api;
    // On the heap: the reader refers to its connection, which must not move with the Reading.
    std::unique_ptr<WarehouseLease::Use> use_;
    std::unique_ptr<warehouse::ClickHouse> clickhouse_;
    std::unique_ptr<warehouse::Reader> reader_;
  };
  Reading read();
  // A machine that reads a ClickHouse warehouse and has no local file of its own: the sync
  // history the API shows (sources, loads) is then ClickHouse's record of published months.
  bool clickhouse_only() const { return settings_.clickhouse && !lease_.file_exists(); }
  std::vector<Dashboard> read_dashboards();
  // The cost query the parameters describe, on the rollup when it holds every dimension used
  // (group_by, filters and `also_needs`).
  warehouse::CostQuery cost_query_from(warehouse::Reader& reader, const Params& params,
                                       const std::vector<std::string>& also_needs = {});
  const config::SharedConfig& config_;
  const ServerSettings& settings_;
  WarehouseLease& lease_;
};

// "ServiceName=Amazon EC2" → {ServiceName, [Amazon EC2]}; "ServiceName!=X" excludes. Repeated
// filters on one dimension are OR-ed, different dimensions AND-ed.
std::vector<warehouse::CostFilter> parse_filters(const std::vector<std::string>& texts);

}  // namespace billingfoot::server
