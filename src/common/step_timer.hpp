#pragma once
// Logs how long a step took, at debug level (`--log-level debug`), when it goes out of scope.
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

namespace billingfoot::common {

class StepTimer {
 public:
  explicit StepTimer(std::string what) : what_(std::move(what)), start_(std::chrono::steady_clock::now()) {}
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;
  ~StepTimer() {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    spdlog::debug("{}: {:.3f} s", what_, s);
  }

 private:
  std::string what_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace billingfoot::common
