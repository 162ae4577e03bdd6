#include "common/embedded.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace billingfoot::common {

// Defined in the generated file (cmake/embed_resources.cmake).
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_resource_table();

std::string_view embedded_resource(std::string_view path) {
  for (const auto& [name, text] : embedded_resource_table()) {
    if (name == path) return text;
  }
  throw std::out_of_range("no embedded resource named " + std::string(path));
}

std::vector<std::string> embedded_resources_under(std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& [name, text] : embedded_resource_table()) {
    if (name.starts_with(prefix)) out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace billingfoot::common
