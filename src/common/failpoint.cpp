#include "common/failpoint.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace billingfoot::common {

void failpoint(std::string_view name) {
  static const char* armed = std::getenv("BILLINGFOOT_FAILPOINT");
  if (!armed || name != armed) return;
  std::fprintf(stderr, "failpoint %.*s reached\n", static_cast<int>(name.size()), name.data());
  std::fflush(stderr);
  for (;;) pause();
}

}  // namespace billingfoot::common
