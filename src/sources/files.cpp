#include "sources/files.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/errors.hpp"
#include "common/hash.hpp"
#include "common/strings.hpp"

namespace billingfoot::sources {

namespace fs = std::filesystem;
using common::quote_ident;
using common::quote_literal;

FileFormat format_of(const fs::path& file) {
  std::string name = common::to_lower(file.filename().string());
  for (const char* c : {".gz", ".zst"}) {
    std::string_view suffix(c);
    if (name.size() > suffix.size() && name.ends_with(suffix)) name.resize(name.size() - suffix.size());
  }
  if (name.ends_with(".csv")) return FileFormat::Csv;
  if (name.ends_with(".parquet")) return FileFormat::Parquet;
  if (name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json")) return FileFormat::JsonLines;
  return FileFormat::Unknown;
}

namespace {
bool hidden(const fs::path& p) {
  for (const auto& part : p) {
    std::string s = part.string();
    if (s.size() > 1 && s[0] == '.' && s != "..") return true;
  }
  return false;
}
}  // namespace

std::vector<fs::path> find_data_files(const fs::path& location, const std::string& source_name) {
  std::vector<fs::path> files;
  std::string loc = location.string();
  if (loc.find_first_of("*?[") != std::string::npos) {
    glob_t g{};
    int rc = ::glob(loc.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        fs::path p(g.gl_pathv[i]);
        if (fs::is_regular_file(p) && format_of(p) != FileFormat::Unknown) files.push_back(p);
      }
    }
    globfree(&g);
  } else if (fs::is_regular_file(location)) {
    if (format_of(location) == FileFormat::Unknown) {
      throw InputError("source " + source_name + ": " + loc +
                       ": unsupported file type (expected .csv, .csv.gz, .parquet, .json, .jsonl)");
    }
    files.push_back(location);
  } else if (fs::is_directory(location)) {
    for (const auto& entry : fs::recursive_directory_iterator(location)) {
      if (!entry.is_regular_file()) continue;
      if (hidden(fs::relative(entry.path(), location))) continue;
      if (format_of(entry.path()) != FileFormat::Unknown) files.push_back(entry.path());
    }
  } else {
    throw InputError("source " + source_name + ": location " + loc + " does not exist");
  }
  if (files.empty()) {
    throw InputError("source " + source_name + ": no data files (.csv, .csv.gz, .parquet, .jsonl) at " + loc);
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string files_fingerprint(const std::vector<fs::path>& files) {
  std::string text;
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) continue;
    text += f.string() + "\t" + std::to_string(st.st_size) + "\t" + std::to_string(st.st_mtim.tv_sec) +
            "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return common::sha256_hex(text);
}

void read_file_into(warehouse::Connection& con, const fs::path& file, const std::string& table,
                    const std::string& source_name, ReadMode mode) {
  std::string path = quote_literal(file.string());
  std::string reader;
  const FileFormat format = format_of(file);
  switch (format) {
    case FileFormat::Csv:
      // all_varchar: types come from the FOCUS catalogue, not from guessing. Literal NULL and
      // empty fields are NULL; a truncated or ragged file fails (strict mode).
      reader = "read_csv(" + path +
               ", header = true, all_varchar = true, nullstr = ['NULL', ''], strict_mode = true)";
      break;
    case FileFormat::Parquet:
      reader = "read_parquet(" + path + ")";
      break;
    case FileFormat::JsonLines:
      reader = "read_json(" + path + ", format = 'newline_delimited')";
      break;
    case FileFormat::Unknown:
      throw InputError("source " + source_name + ": " + file.string() + ": unsupported file type");
  }
  std::string kind = mode == ReadMode::View ? "VIEW " : "TABLE ";
  try {
    con.execute("CREATE OR REPLACE TEMP " + kind + quote_ident(table) + " AS SELECT * FROM " + reader);
  } catch (const warehouse::Error& e) {
    throw InputError("source " + source_name + ": file " + file.string() + ": " + e.engine_message());
  }
  if (format != FileFormat::Csv) return;
  // A CSV file whose rows do not fit its comma-separated header (cut off, ragged) is not taken
  // for comma-separated by DuckDB's sniffer, which then reads each line as one column named
  // after the whole header. When reading it as comma-separated fails too, the file is named as
  // such, with its header's column count and the reader's reason.
  auto cols = con.query("SELECT count(*), min(column_name) FROM information_schema.columns WHERE table_name = " +
                        quote_literal(table));
  std::string header = cols.int64(0, 0) == 1 ? cols.text(0, 1) : "";
  if (header.find(',') == std::string::npos) return;
  try {
    con.query("SELECT count(*) FROM " + reader.substr(0, reader.size() - 1) + ", delim = ',')");
  } catch (const warehouse::Error& e) {
    con.execute("DROP " + kind + "IF EXISTS " + quote_ident(table));
    std::string reason = e.engine_message().substr(0, e.engine_message().find('\n'));
    auto columns = std::count(header.begin(), header.end(), ',') + 1;
    throw InputError("source " + source_name + ": file " + file.string() +
                     ": not a well-formed CSV table: its header names " + std::to_string(columns) +
                     " comma-separated columns but its rows do not split into them (cut off, or ragged rows?): " +
                     reason);
  }
}

}  // namespace billingfoot::sources
