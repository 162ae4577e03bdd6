#pragma once
// A CUR row's resource tags as FOCUS wants them, computed in C++ for every row of a month:
// FOCUS `Tags` (a JSON object) and the `Name` tag that names the resource.
#include <string>

#include "warehouse/duckdb.hpp"

namespace billingfoot::sources::aws {

// The entries FOCUS keeps, in delivered order: entries whose value is NULL, empty or only spaces
// (what trim() removes) are dropped; user-defined keys lose their `user:` / `user_` prefix, AWS's
// `aws_` keys are written `aws:`. Writes them as a JSON object into `out` (escaped as DuckDB's
// to_json escapes strings); false when no entry is left (Tags is NULL then).
bool cur_tags_json(const warehouse::Connection::MapEntries& entries, std::string& out);

// The value of the first kept entry whose key is `Name` after the prefix is removed; false when
// there is none.
bool cur_name_tag(const warehouse::Connection::MapEntries& entries, std::string& out);

// Defines bf_cur_tags_json(resource_tags) → JSON and bf_cur_name_tag(resource_tags) → VARCHAR
// for cur_to_focus.sql.
void define_cur_tag_functions(warehouse::Connection& con);

}  // namespace billingfoot::sources::aws
