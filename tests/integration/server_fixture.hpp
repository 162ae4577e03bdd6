#pragma once
// A small FOCUS export with known amounts (two providers, services, a team tag on some rows,
// September and October 2024), synced into a warehouse the server tests read. Expected
// totals are computed here from the generated rows, in exact 1e-10 units, not by billingfoot.
#include <map>
#include <string>
#include <vector>

#include "support/cli.hpp"

namespace billingfoot::testing {

struct FixtureRow {
  std::string day;                      // YYYY-MM-DD
  std::string provider, service, team;  // team "" = untagged
  std::string billed, effective;        // decimal text
};

class CostFixture {
 public:
  // Writes exports/costs.csv and billingfoot.yaml (with `server_yaml` appended) into `dir`
  // and syncs it.
  CostFixture(const TempDir& dir, const std::string& server_yaml = "");
  const std::vector<FixtureRow>& rows() const { return rows_; }
  // Sum of billed (or effective) cost per key over rows that `keep` accepts.
  template <typename Key, typename Keep>
  std::map<std::string, __int128> sum(Key key, Keep keep, bool effective = false) const {
    std::map<std::string, __int128> out;
    for (const auto& r : rows_) {
      if (keep(r)) out[key(r)] += parse_decimal_e10(effective ? r.effective : r.billed);
    }
    return out;
  }
  bool synced = false;

 private:
  std::vector<FixtureRow> rows_;
};

}  // namespace billingfoot::testing
