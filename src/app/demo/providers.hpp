#pragma once
// The providers of the demo company. Each generator writes its provider's exports on its own,
// so one can switch to the provider's native format (AWS CUR, the BigQuery billing export,
// Datadog's API JSON) without touching the others: change its generator and its row here.
#include <string_view>
#include <vector>

#include "app/demo/company.hpp"
#include "app/demo/focus_csv.hpp"

namespace billingfoot::app::demo {

struct DemoProvider {
  std::string_view source;       // source name in billingfoot.yaml
  std::string_view source_type;  // its `type:`
  std::string_view folder;       // where its exports go, relative to the demo folder
  std::vector<GeneratedFile> (*generate)(const Company& company, std::string_view folder);
};

const std::vector<DemoProvider>& demo_providers();

std::vector<GeneratedFile> generate_aws(const Company& company, std::string_view folder);
std::vector<GeneratedFile> generate_gcp(const Company& company, std::string_view folder);
std::vector<GeneratedFile> generate_azure(const Company& company, std::string_view folder);
std::vector<GeneratedFile> generate_datadog(const Company& company, std::string_view folder);

}  // namespace billingfoot::app::demo
