#pragma once
// The built-in FOCUS 1.2 rule set, used when no model file is given. Column types, nullability
// and allowed values come from the column catalogue; the ids are the official requirements
// model's, so results compare one to one with the reference validator's.
#include "focus/validation/rule.hpp"

namespace billingfoot::focus::validation {

const RuleSet& builtin_rules();

// Model 1.2 rules whose encoding contradicts their own MustSatisfy sentence; a loaded model uses
// the built-in implementation for these (when the sentence matches) instead of its encoding.
bool known_model_defect(std::string_view rule_id);

}  // namespace billingfoot::focus::validation
