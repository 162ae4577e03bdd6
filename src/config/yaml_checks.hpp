#pragma once
// Checks shared by every section parser of billingfoot.yaml: where a node is (file:line:col and
// dotted key), unknown keys, and scalars. Each failure throws UsageError naming the place.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <string>

#include "config/config.hpp"

namespace billingfoot::config {

Origin origin_of(const YAML::Node& node, const std::filesystem::path& file, const std::string& key);
[[noreturn]] void fail(const Origin& origin, const std::string& message);
// "a mapping", "a list", "a value", "empty": for "must be …, not …" messages.
const char* kind_name(const YAML::Node& node);
// Fails on the first key of `map` not in `allowed`, listing the known keys.
void check_keys(const YAML::Node& map, const std::set<std::string>& allowed,
                const std::filesystem::path& file, const std::string& path);
// The node's text; fails when it is a mapping or list.
std::string scalar(const YAML::Node& node, const std::filesystem::path& file,
                   const std::string& key);

}  // namespace billingfoot::config
