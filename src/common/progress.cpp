#include "common/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace billingfoot::common {

Progress::Progress(std::string label, size_t total)
    : label_(std::move(label)), total_(total), enabled_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (enabled_) std::fprintf(stderr, "\r\033[K");
}

void Progress::update(size_t done, std::string_view detail) {
  if (!enabled_) return;
  std::string shown(detail.size() > 60 ? "…" + std::string(detail.substr(detail.size() - 59)) : std::string(detail));
  std::fprintf(stderr, "\r\033[K%s %zu/%zu %s", label_.c_str(), done, total_, shown.c_str());
  std::fflush(stderr);
}

}  // namespace billingfoot::common
