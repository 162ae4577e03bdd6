#pragma once
// Error categories that map to the command line's exit statuses (DESIGN.md): a UsageError or
// ConfigError exits 2, everything else 1. Messages are written for the person running the
// command: they name the file, source or key involved and what to do.
#include <stdexcept>
#include <string>

namespace billingfoot {

// Bad command-line use or a bad configuration file: exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Data that cannot be loaded as delivered (truncated file, schema drift, bad JSON): exit 1.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace billingfoot
