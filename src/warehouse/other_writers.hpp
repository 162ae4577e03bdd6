#pragma once
// Several machines can sync into one ClickHouse warehouse, each its own sources. Allocation and
// the daily rollup are per source and month, so each machine computes them for its own rows. The
// models over the whole warehouse — unit costs, anomalies, budgets — must see every machine's
// costs, not only the local file's: OtherWriters brings the costs of the sources the local file
// does not hold from ClickHouse, summed per day and per the columns the models look at, into
// temporary tables of the local connection, and shadows `focus_costs`, `cost_allocated` and
// `loads` there with temporary views of the local rows plus those. Model code reads the same
// table names as always. The views carry only the columns asked for, so a query naming another
// one fails instead of finding NULLs. Destroying the object drops the views and tables.
//
// Summing per day is exact for what the models compute from a charge's time: the start and the
// end are each replaced by their day's midnight when they are one, else by that midnight plus
// one hour — the day, the day span and every comparison with a midnight stay what they were.
#include <filesystem>
#include <string>
#include <vector>

#include "warehouse/clickhouse.hpp"
#include "warehouse/duckdb.hpp"

namespace billingfoot::warehouse {

class OtherWriters {
 public:
  // `dimensions`: what the models group or filter by — focus_costs / cost_allocated columns (any
  // case) or tag:KEY (brings Tags). The charge columns the models always use come anyway. When
  // ClickHouse holds no source the local file lacks, nothing is shadowed. Throws
  // ClickHouseError (or Error) naming what failed; nothing stays shadowed then.
  OtherWriters(ClickHouse& ch, Connection& local, const std::vector<std::string>& dimensions,
               const std::filesystem::path& scratch_dir);
  ~OtherWriters();
  OtherWriters(const OtherWriters&) = delete;
  OtherWriters& operator=(const OtherWriters&) = delete;

  // The sources other machines published, in name order (empty: nothing shadowed).
  const std::vector<std::string>& sources() const { return sources_; }
  // Rows brought from ClickHouse into the shadow of focus_costs (day × columns sums).
  int64_t rows() const { return rows_; }
  // Sources of `sources()` without allocated rows in ClickHouse while the local file has
  // cost_allocated: what is read by allocation dimension misses their costs.
  const std::vector<std::string>& unallocated_sources() const { return unallocated_; }

 private:
  void attach(ClickHouse& ch, const std::vector<std::string>& dimensions,
              const std::filesystem::path& scratch_dir);
  void detach() noexcept;

  Connection& local_;
  std::vector<std::string> created_;  // "VIEW name" / "TABLE name", to drop in reverse
  std::vector<std::string> sources_, unallocated_;
  int64_t rows_ = 0;
};

}  // namespace billingfoot::warehouse
