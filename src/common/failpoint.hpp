#pragma once
// Failpoints let tests stop the program at an exact point (e.g. inside a load transaction) to
// prove crash safety with a real SIGKILL. Inert unless BILLINGFOOT_FAILPOINT names the point.
#include <string_view>

namespace billingfoot::common {

// When $BILLINGFOOT_FAILPOINT equals `name`, prints "failpoint <name> reached" to stderr and
// blocks forever (the test then kills the process). Otherwise does nothing.
void failpoint(std::string_view name);

}  // namespace billingfoot::common
