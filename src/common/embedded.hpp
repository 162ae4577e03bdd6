#pragma once
// Text resources (SQL files under src/) compiled into the binary, so the program needs no
// files next to it at run time. Paths are relative to src/, e.g. "sources/focus/normalize.sql".
#include <string>
#include <string_view>

namespace billingfoot::common {

// The resource's text; throws std::out_of_range naming the path when there is none.
std::string_view embedded_resource(std::string_view path);

}  // namespace billingfoot::common
