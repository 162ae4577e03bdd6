#pragma once
// The demo company's business metrics and the allocation / metrics / unit cost sections of
// its billingfoot.yaml.
#include <string>
#include <vector>

#include "app/demo/company.hpp"
#include "app/demo/focus_csv.hpp"

namespace billingfoot::app::demo {

// metrics/active_users.csv, metrics/orders.csv, metrics/hosted_sites.csv (date,product,value).
std::vector<GeneratedFile> generate_business_metrics(const Company& company);

// YAML appended to the demo's billingfoot.yaml: allocation:, metrics: and unit_costs:.
std::string business_config();

}  // namespace billingfoot::app::demo
