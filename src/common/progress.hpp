#pragma once
// Progress for long work: one line rewritten in place on stderr when it is a terminal, and
// nothing at all otherwise (logs and pipes stay clean).
#include <string>
#include <string_view>

namespace billingfoot::common {

class Progress {
 public:
  Progress(std::string label, size_t total);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress();  // clears the line
  void update(size_t done, std::string_view detail);

 private:
  std::string label_;
  size_t total_;
  bool enabled_;
};

}  // namespace billingfoot::common
