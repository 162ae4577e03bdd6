#pragma once
// Small pieces of ClickHouse SQL text shared by the writer (clickhouse.cpp), the mirrors of the
// model tables and the reader.
#include <string>

namespace billingfoot::warehouse {

// ClickHouse identifiers: backquoted, backquote and backslash escaped.
std::string ch_ident(const std::string& name);
// A ClickHouse string literal ('…' with backslash escapes).
std::string ch_literal(const std::string& value);
// The ClickHouse type for a DuckDB column type.
std::string ch_type(const std::string& duck_type, bool nullable);
// Partition key columns of focus_costs: never NULL in ClickHouse.
bool is_key_column(const std::string& name);
// 16 random hex digits, for private staging table names.
std::string random_suffix();
// DuckDB select items giving a table's Tags as the x_TagKeys / x_TagValues arrays ClickHouse
// groups by tag with (empty arrays without tags).
inline constexpr const char* kTagArraysSelect =
    "coalesce(map_keys(CAST(Tags AS MAP(VARCHAR, VARCHAR))), []) AS x_TagKeys, "
    "coalesce(map_values(CAST(Tags AS MAP(VARCHAR, VARCHAR))), []) AS x_TagValues";

}  // namespace billingfoot::warehouse
