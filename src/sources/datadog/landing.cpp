#include "sources/datadog/landing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "common/errors.hpp"

namespace billingfoot::sources::datadog {

namespace fs = std::filesystem;
using nlohmann::json;

std::string usage_page_file(int page) {
  char name[40];
  std::snprintf(name, sizeof name, "hourly_usage-%04d.json", page);
  return name;
}

namespace {

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError("cannot read " + file.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& file, const std::string& content) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out.flush()) throw InputError("cannot write " + file.string());
}

// "2025-05" → "2025-06-01"
std::string next_month_start(const std::string& period) {
  int year = std::stoi(period.substr(0, 4)), month = std::stoi(period.substr(5, 2));
  if (++month == 13) {
    month = 1;
    ++year;
  }
  return fmt::format("{:04d}-{:02d}-01", year, month);
}

// The day after the newest hour in the usage pages ("" when they hold none).
std::string day_after_last_usage(const std::vector<fs::path>& usage_files) {
  std::string newest;
  for (const auto& f : usage_files) {
    json page = json::parse(read_text(f));
    for (const auto& item : page["data"]) {
      const auto& ts = item["attributes"]["timestamp"];
      if (ts.is_string()) newest = std::max(newest, ts.get<std::string>().substr(0, 10));
    }
  }
  if (newest.empty()) return "";
  std::tm tm{};
  std::istringstream in(newest);
  in >> std::get_time(&tm, "%Y-%m-%d");
  tm.tm_mday += 1;
  timegm(&tm);  // normalizes the day into the next month when needed
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

[[noreturn]] void bad_shape(const std::string& source, const std::string& file,
                            const std::string& problem) {
  throw InputError("source " + source + ": file " + file + ": " + problem +
                   " — not shaped like a Datadog Usage Metering response (nothing was loaded)");
}

LandedMonth read_landed_month(const fs::path& folder, const std::string& source) {
  LandedMonth m;
  m.billing_period = folder.filename().string();
  json manifest = json::object();
  if (fs::exists(folder / kManifestFile)) {
    manifest = json::parse(read_text(folder / kManifestFile), nullptr, false);
    if (!manifest.is_object()) bad_shape(source, (folder / kManifestFile).string(), "invalid JSON");
  }
  if (fs::exists(folder / kHistoricalCostFile)) {
    m.cost_file = folder / kHistoricalCostFile;
    m.cost_status = "final";
  } else if (fs::exists(folder / kEstimatedCostFile)) {
    m.cost_file = folder / kEstimatedCostFile;
    m.cost_status = "estimated";
  } else {
    throw InputError("source " + source + ": folder " + folder.string() + " has neither " +
                     kHistoricalCostFile + " nor " + kEstimatedCostFile);
  }
  if (fs::exists(folder / kProjectedCostFile)) m.projected_file = folder / kProjectedCostFile;
  for (const auto& entry : fs::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("hourly_usage") && name.ends_with(".json"))
      m.usage_files.push_back(entry.path());
  }
  std::sort(m.usage_files.begin(), m.usage_files.end());

  check_response(read_text(m.cost_file), ResponseKind::Cost, source, m.cost_file.string());
  if (m.projected_file)
    check_response(read_text(*m.projected_file), ResponseKind::Cost, source,
                   m.projected_file->string());
  for (const auto& f : m.usage_files)
    check_response(read_text(f), ResponseKind::Usage, source, f.string());

  std::string month_end = next_month_start(m.billing_period);
  if (manifest.contains("data_end") && manifest["data_end"].is_string()) {
    m.data_end = manifest["data_end"].get<std::string>();
  } else if (m.cost_status == "estimated") {
    m.data_end = day_after_last_usage(m.usage_files);
  }
  if (m.data_end.empty() || m.data_end > month_end) m.data_end = month_end;
  if (m.data_end <= m.billing_period + "-01")
    m.data_end = m.billing_period + "-02";  // at least one day
  return m;
}

}  // namespace

void check_response(const std::string& body, ResponseKind kind, const std::string& source,
                    const std::string& file) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    bad_shape(source, file, "invalid JSON at byte " + std::to_string(e.byte));
  }
  if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array())
    bad_shape(source, file, "no data array");
  size_t index = 0;
  for (const auto& item : doc["data"]) {
    std::string where = "data[" + std::to_string(index++) + "]";
    if (!item.is_object() || !item.contains("attributes") || !item["attributes"].is_object()) {
      bad_shape(source, file, where + " has no attributes object");
    }
    const json& a = item["attributes"];
    if (kind == ResponseKind::Cost) {
      if (!a.contains("date") || !a["date"].is_string())
        bad_shape(source, file, where + ".attributes.date is missing");
      if (!a.contains("charges")) continue;  // an org without charges
      if (!a["charges"].is_array())
        bad_shape(source, file, where + ".attributes.charges is not a list");
      for (const auto& c : a["charges"]) {
        if (!c.is_object() || !c.contains("product_name") || !c["product_name"].is_string() ||
            !c.contains("charge_type") || !c["charge_type"].is_string() ||
            !(c.contains("cost") && (c["cost"].is_number() || c["cost"].is_null()))) {
          bad_shape(source, file,
                    where +
                        ".attributes.charges has an entry without product_name, charge_type or a "
                        "numeric cost: " +
                        c.dump().substr(0, 200));
        }
      }
    } else {
      if (!a.contains("timestamp") || !a["timestamp"].is_string())
        bad_shape(source, file, where + ".attributes.timestamp is missing");
      if (!a.contains("product_family") || !a["product_family"].is_string())
        bad_shape(source, file, where + ".attributes.product_family is missing");
      if (a.contains("measurements") && !a["measurements"].is_array())
        bad_shape(source, file, where + ".attributes.measurements is not a list");
    }
  }
}

std::vector<LandedMonth> find_landed_months(const fs::path& root, const std::string& source,
                                            const PeriodRange& range) {
  if (!fs::is_directory(root)) {
    throw InputError("source " + source + ": " + root.string() +
                     " is not a folder of landed Datadog responses");
  }
  static const std::regex period_name(R"(\d{4}-(0[1-9]|1[0-2]))");
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(root)) {
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && std::regex_match(name, period_name) && range.contains(name))
      folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  std::vector<LandedMonth> months;
  for (const auto& f : folders) months.push_back(read_landed_month(f, source));
  return months;
}

std::string landed_cost_status(const fs::path& root, const std::string& period) {
  if (fs::exists(root / period / kHistoricalCostFile)) return "final";
  if (fs::exists(root / period / kEstimatedCostFile)) return "estimated";
  return "";
}

void land_month(const fs::path& root, const std::string& period,
                const std::vector<std::pair<std::string, std::string>>& files) {
  fs::path target = root / period, staging = root / (period + ".partial"),
           old = root / (period + ".old");
  fs::remove_all(staging);
  fs::remove_all(old);
  fs::create_directories(staging);
  for (const auto& [name, content] : files) write_text(staging / name, content);
  if (fs::exists(target)) fs::rename(target, old);
  fs::rename(staging, target);
  fs::remove_all(old);
}

}  // namespace billingfoot::sources::datadog
