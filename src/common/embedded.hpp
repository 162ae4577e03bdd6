#pragma once
// Text resources (SQL files, the API's OpenAPI document, demo dashboards under src/) compiled into the binary, so the program needs no
// files next to it at run time. Paths are relative to src/, e.g. "sources/focus/normalize.sql".
#include <string>
#include <string_view>
#include <vector>

namespace billingfoot::common {

// The resource's text; throws std::out_of_range naming the path when there is none.
std::string_view embedded_resource(std::string_view path);

// Paths of the resources under a folder (e.g. "app/demo/dashboards/"), sorted.
std::vector<std::string> embedded_resources_under(std::string_view prefix);

}  // namespace billingfoot::common
