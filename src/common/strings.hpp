#pragma once
// Small string helpers shared across layers.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace billingfoot::common {

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string trim(std::string_view s);
// `s` without leading and trailing Unicode space separators (category Zs: U+0020, U+00A0,
// U+1680, U+2000–U+200A, U+202F, U+205F, U+3000), the characters DuckDB's trim() removes; tabs
// and line breaks stay. `s` is UTF-8.
std::string_view trim_unicode_spaces(std::string_view s);
// "2026-11-29T07:00:00Z": a time in UTC to the second (logs, alert payloads).
std::string iso_utc(std::chrono::system_clock::time_point t);
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// Quotes an identifier for SQL ("a""b"), so any column name can be used safely.
std::string quote_ident(std::string_view name);
// Quotes a string literal for SQL ('it''s').
std::string quote_literal(std::string_view value);
// Replaces every {{key}} in text with its value; throws std::invalid_argument on an unknown key.
std::string render_template(std::string_view text,
                            const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace billingfoot::common
