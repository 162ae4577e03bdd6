#pragma once
// Reads an official FOCUS requirements model (the reference validator's model-<version>.json) into
// a RuleSet, so a new FOCUS version is checked by pointing `validate --model` at its model.
//
// What the model means and how we follow it:
//  - Static rules are evaluated; Dynamic ones are counted and skipped, unless billingfoot
//    implements the very same rule (same id and MustSatisfy sentence), e.g. exclusive period ends.
//  - A composite rule (an AND of CheckModelRule) passes its Condition and ApplicabilityCriteria
//    down to the rules it names; its own outcome is derived from theirs. An OR of rules is
//    evaluated row by row, its alternatives are not reported on their own.
//  - Rules whose encoding contradicts their sentence (known_model_defect) use the built-in
//    implementation instead.
#include <filesystem>

#include "focus/validation/rule.hpp"

namespace billingfoot::focus::validation {

// Throws UsageError naming the file when it cannot be read or is not a requirements model.
RuleSet load_model(const std::filesystem::path& file);

}  // namespace billingfoot::focus::validation
