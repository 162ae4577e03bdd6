#include "lake/export_state.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace billingfoot::lake {

namespace {
constexpr const char* kFormat = "billingfoot-lake-export-1";
}

ExportState ExportState::parse(const std::string& text) {
  ExportState state;
  try {
    auto doc = nlohmann::json::parse(text);
    if (doc.value("format", "") != kFormat) {
      spdlog::warn("{} has an unknown format; every partition will be rewritten", kStateFile);
      return state;
    }
    state.last_export_id = doc.value("last_export_id", "");
    state.updated_at = doc.value("updated_at", "");
    for (const auto& [table, partitions] : doc.at("tables").items()) {
      for (const auto& [dir, p] : partitions.items()) {
        ExportedPartition e;
        e.fingerprint = p.at("fingerprint").get<std::string>();
        e.files = p.at("files").get<std::vector<std::string>>();
        e.rows = p.value("rows", int64_t{0});
        e.bytes = p.value("bytes", int64_t{0});
        e.billed_cost = p.value("billed_cost", "");
        e.export_id = p.value("export_id", "");
        state.tables[table][dir] = std::move(e);
      }
    }
  } catch (const std::exception& e) {
    spdlog::warn("{} cannot be read ({}); every partition will be rewritten", kStateFile, e.what());
    return {};
  }
  return state;
}

std::string ExportState::to_json() const {
  nlohmann::json tables_json = nlohmann::json::object();
  for (const auto& [table, partitions] : tables) {
    nlohmann::json t = nlohmann::json::object();
    for (const auto& [dir, p] : partitions) {
      t[dir] = {{"fingerprint", p.fingerprint},
                {"files", p.files},
                {"rows", p.rows},
                {"bytes", p.bytes},
                {"billed_cost", p.billed_cost},
                {"export_id", p.export_id}};
    }
    tables_json[table] = std::move(t);
  }
  nlohmann::json doc = {{"format", kFormat},
                        {"last_export_id", last_export_id},
                        {"updated_at", updated_at},
                        {"tables", std::move(tables_json)}};
  return doc.dump(2) + "\n";
}

}  // namespace billingfoot::lake
