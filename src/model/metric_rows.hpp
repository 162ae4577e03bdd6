#pragma once
// Rows of a business metric as its source delivered them: named text columns, among them
// `date` and `value`; every other column is a dimension (product, region, …).
#include <optional>
#include <string>
#include <vector>

namespace billingfoot::model {

struct MetricRows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  // Names where the rows came from in messages: a file, "PostgreSQL query", a URL.
  std::string origin;
  // Number of the first row as a person would count it (a CSV's first data line is 2).
  int64_t first_row_number = 1;
};

}  // namespace billingfoot::model
