#pragma once
// Finding and reading delivered files, shared by sources that read local folders.
#include <filesystem>
#include <string>
#include <vector>

#include "warehouse/duckdb.hpp"

namespace billingfoot::sources {

enum class FileFormat { Csv, Parquet, JsonLines, Unknown };

// Format from the name: .csv/.csv.gz/.csv.zst, .parquet, .json/.jsonl/.ndjson (optionally .gz).
FileFormat format_of(const std::filesystem::path& file);

// Data files at `location`: the file itself, every data file below a folder (recursively), or
// the files matching a glob (*, ?, [..]). Sorted by path. Hidden files are ignored.
// Throws InputError when the location does not exist or holds no data file.
std::vector<std::filesystem::path> find_data_files(const std::filesystem::path& location,
                                                   const std::string& source_name);

// A fingerprint of the files as delivered: names, sizes and modification times.
std::string files_fingerprint(const std::vector<std::filesystem::path>& files);

// Reads one file into TEMP table `table`, keeping the reader's column types (CSV: all text,
// so nothing is lost to type guessing). Throws InputError naming source and file on failure.
// ReadMode::View defines a view that reads the file when queried: one pass instead of two for
// large files, with read errors surfacing in the query that uses it.
enum class ReadMode { Table, View };
void read_file_into(warehouse::Connection& con, const std::filesystem::path& file,
                    const std::string& table, const std::string& source_name, ReadMode mode = ReadMode::Table);

}  // namespace billingfoot::sources
