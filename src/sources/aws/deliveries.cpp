#include "sources/aws/deliveries.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <regex>

#include "common/errors.hpp"
#include "common/hash.hpp"
#include "common/strings.hpp"

namespace billingfoot::sources::aws {

namespace {

bool ends_with_ci(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && common::iequals(std::string_view(s).substr(s.size() - suffix.size()), suffix);
}

bool is_manifest(const std::string& key) { return ends_with_ci(key, "manifest.json"); }

// A key's place in the layout: which billing period, which delivery group, which kind of file.
struct Placed {
  std::string period;
  std::string layout;
  std::string area;   // "data" | "metadata" | "range" | "overwrite"
  std::string group;  // the partition folder plus, in create-new mode, the delivery folder
  size_t depth_below_partition = 0;
};

std::optional<Placed> place(const std::string& key) {
  static const std::regex period_re(R"(billing_period=(\d{4})-(\d{2}))", std::regex::icase);
  static const std::regex range_re(R"((\d{4})(\d{2})\d{2}-\d{8})");
  static const std::regex year_re(R"(year=(\d{4}))", std::regex::icase);
  static const std::regex month_re(R"(month=(\d{1,2}))", std::regex::icase);
  auto parts = common::split(key, '/');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    std::smatch m;
    const std::string& seg = parts[i];
    Placed p;
    if (std::regex_match(seg, m, period_re) && i > 0 &&
        (common::iequals(parts[i - 1], "data") || common::iequals(parts[i - 1], "metadata"))) {
      p.period = m[1].str() + "-" + m[2].str();
      p.layout = "data-exports";
      p.area = common::to_lower(parts[i - 1]);
    } else if (std::regex_match(seg, m, range_re)) {
      p.period = m[1].str() + "-" + m[2].str();
      p.layout = "legacy-cur";
      p.area = "range";
    } else if (std::regex_match(seg, m, year_re) && i + 2 < parts.size()) {
      std::smatch mm;
      if (!std::regex_match(parts[i + 1], mm, month_re)) continue;
      int month = std::stoi(mm[1].str());
      if (month < 1 || month > 12) continue;
      p.period = m[1].str() + "-" + (month < 10 ? "0" : "") + std::to_string(month);
      p.layout = "legacy-cur";
      p.area = "overwrite";
      ++i;  // the partition is year=/month=
    } else {
      continue;
    }
    p.depth_below_partition = parts.size() - i - 1;
    std::vector<std::string> head(parts.begin(), parts.begin() + static_cast<long>(i) + 1);
    // Files one level deeper than the partition belong to a delivery folder (create-new
    // versions, legacy assemblies): the group includes that folder.
    if (p.depth_below_partition > 1) head.push_back(parts[i + 1]);
    p.group = common::join(head, "/");
    return p;
  }
  return std::nullopt;
}

bool newer(const StoredObject& a, const StoredObject& b) {
  return a.last_modified != b.last_modified ? a.last_modified > b.last_modified : a.key > b.key;
}

void collect_data_strings(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_array()) {
    bool all = !j.empty();
    for (const auto& e : j) all = all && e.is_string() && is_data_file(e.get<std::string>());
    if (all) {
      for (const auto& e : j) out.push_back(e.get<std::string>());
      return;
    }
  }
  if (j.is_array() || j.is_object()) {
    for (const auto& e : j) collect_data_strings(e, out);
  }
}

struct PeriodObjects {
  std::vector<StoredObject> manifests;     // newest first after sorting
  std::vector<StoredObject> top_manifests;  // legacy: in the date-range folder itself
  std::map<std::string, std::vector<StoredObject>> data_groups;
  std::string layout;
  std::string first_group;  // names the export when two collide
};

std::string fingerprint_of(const Delivery& d, const StoredObject* manifest) {
  std::string text = d.layout + "\n";
  if (manifest) text += manifest->key + " " + manifest->etag + " " + std::to_string(manifest->size) + "\n";
  for (const auto& f : d.files) text += f.key + " " + f.etag + " " + std::to_string(f.size) + "\n";
  return common::sha256_hex(text);
}

// Follows the newest manifest; returns false (with d.note set) when it cannot be used.
bool follow_manifest(Delivery& d, const StoredObject& manifest, const std::vector<StoredObject>& listing,
                     const ReadText& read_text) {
  std::vector<std::string> refs;
  try {
    refs = manifest_files(read_text(manifest.key));
  } catch (const InputError& e) {
    d.note = "manifest " + manifest.key + " cannot be used (" + e.what() + ")";
    return false;
  }
  if (refs.empty()) {
    d.note = "manifest " + manifest.key + " lists no data files";
    return false;
  }
  for (const auto& ref : refs) {
    std::string key = resolve_reference(ref, listing);
    if (key.empty()) {
      d.note = "manifest " + manifest.key + " lists " + ref + ", which is not in the location";
      d.files.clear();
      return false;
    }
    auto it = std::lower_bound(listing.begin(), listing.end(), key,
                               [](const StoredObject& o, const std::string& k) { return o.key < k; });
    d.files.push_back(*it);
  }
  d.manifest = manifest.key;
  return true;
}

}  // namespace

bool is_data_file(const std::string& key) {
  for (auto ext : {".parquet", ".csv", ".csv.gz", ".csv.zip", ".gz", ".zip"}) {
    if (ends_with_ci(key, ext)) return true;
  }
  return false;
}

std::vector<std::string> manifest_files(const std::string& manifest_json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(manifest_json);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(std::string("not valid JSON: ") + e.what());
  }
  std::vector<std::string> out;
  if (!j.is_object()) throw InputError("not a JSON object");
  for (const char* field : {"dataFiles", "reportKeys"}) {
    if (!j.contains(field) || !j[field].is_array()) continue;
    for (const auto& e : j[field]) {
      if (e.is_string()) out.push_back(e.get<std::string>());
      else if (e.is_object()) {
        for (const char* k : {"key", "s3Uri", "uri", "path"}) {
          if (e.contains(k) && e[k].is_string()) {
            out.push_back(e[k].get<std::string>());
            break;
          }
        }
      }
    }
    if (!out.empty()) return out;
  }
  collect_data_strings(j, out);
  return out;
}

std::vector<Delivery> find_deliveries(const std::vector<StoredObject>& listing, const ReadText& read_text) {
  std::map<std::string, PeriodObjects> periods;
  for (const auto& o : listing) {
    auto p = place(o.key);
    if (!p) continue;
    PeriodObjects& po = periods[p->period];
    if (!po.layout.empty() && po.layout != p->layout) {
      throw InputError("billing period " + p->period + " is delivered twice, by a Data Export (" +
                       (po.layout == "data-exports" ? po.first_group : p->group) + ") and a legacy CUR (" +
                       (po.layout == "legacy-cur" ? po.first_group : p->group) +
                       "); point location: at one export");
    }
    if (po.layout.empty()) {
      po.layout = p->layout;
      po.first_group = p->group;
    }
    if (is_manifest(o.key)) {
      if (p->area == "range" && p->depth_below_partition == 1) po.top_manifests.push_back(o);
      else if (p->area != "data") po.manifests.push_back(o);
    } else if (is_data_file(o.key) && p->area != "metadata") {
      po.data_groups[p->group].push_back(o);
    }
  }

  std::vector<Delivery> deliveries;
  for (auto& [period, po] : periods) {
    Delivery d;
    d.billing_period = period;
    d.layout = po.layout;
    auto by_newest = [](const StoredObject& a, const StoredObject& b) { return newer(a, b); };
    std::sort(po.manifests.begin(), po.manifests.end(), by_newest);
    std::sort(po.top_manifests.begin(), po.top_manifests.end(), by_newest);
    // Legacy CUR: the manifest in the date-range folder points at the current assembly; the
    // ones inside assembly folders describe their own (older or current) assembly.
    const StoredObject* manifest = !po.top_manifests.empty() ? &po.top_manifests.front()
                                   : !po.manifests.empty()   ? &po.manifests.front()
                                                             : nullptr;
    bool followed = manifest && follow_manifest(d, *manifest, listing, read_text);
    if (!followed) {
      if (!manifest) d.note = "no manifest";
      // Newest delivery folder: the group whose newest file is newest.
      const std::vector<StoredObject>* best = nullptr;
      std::string best_time, best_group;
      for (const auto& [group, files] : po.data_groups) {
        std::string newest;
        for (const auto& f : files) newest = std::max(newest, f.last_modified);
        if (!best || newest > best_time || (newest == best_time && group > best_group)) {
          best = &files;
          best_time = newest;
          best_group = group;
        }
      }
      if (!best) {
        spdlog::warn("billing period {}: {} and no data files; skipped", period, d.note);
        continue;
      }
      d.files = *best;
      manifest = nullptr;
      d.note += po.data_groups.size() > 1 ? "; listed the data folder and took the newest of " +
                                                std::to_string(po.data_groups.size()) + " delivery folders"
                                          : "; listed the data folder";
    }
    d.fingerprint = fingerprint_of(d, manifest);
    deliveries.push_back(std::move(d));
  }
  return deliveries;
}

}  // namespace billingfoot::sources::aws
