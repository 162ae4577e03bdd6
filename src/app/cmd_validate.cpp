// `billingfoot validate`: FOCUS conformance of a file, or of the warehouse's focus_costs, against
// the built-in FOCUS 1.2 rules or an official requirements model (--model). Exit status 1 when
// a Mandatory rule fails; Conditional and Optional failures are reported only.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/app.hpp"
#include "app/output.hpp"
#include "common/errors.hpp"
#include "common/strings.hpp"
#include "focus/validation/builtin_rules.hpp"
#include "focus/validation/engine.hpp"
#include "focus/validation/model_loader.hpp"
#include "server/dashboards.hpp"
#include "warehouse/reader.hpp"
#include "server/settings.hpp"
#include "sources/files.hpp"

namespace billingfoot::app {

namespace {

namespace fs = std::filesystem;
namespace fv = focus::validation;

struct ValidateArgs {
  std::string file;
  std::string model;
  std::string format = "table";
  std::string criteria;  // comma-separated ApplicabilityCriteria, or ALL
  bool dashboards = false;
  std::string dashboards_dir;  // default: server.dashboards of the config
};

fv::Options parse_criteria(const std::string& text, const fv::RuleSet& rules) {
  fv::Options options;
  if (common::to_lower(common::trim(text)) == "all") {
    options.all_applicability = true;
    return options;
  }
  std::vector<std::string> known = rules.criteria;
  for (const auto& part : common::split(text, ',')) {
    std::string name = common::trim(part);
    if (name.empty()) continue;
    if (!known.empty() && std::find(known.begin(), known.end(), name) == known.end()) {
      std::sort(known.begin(), known.end());
      throw UsageError("--applicability-criteria: unknown criterion " + name +
                       " (known: " + common::join(known, ", ") + ", or ALL)");
    }
    options.applicability.push_back(name);
  }
  return options;
}

std::string shown(const std::optional<std::string>& value) {
  return value ? *value : "NULL";
}

struct Summary {
  size_t passed = 0, failed = 0, failed_mandatory = 0, not_applicable = 0, errors = 0,
         composites_failed = 0;
  size_t checked() const { return passed + failed + errors; }
};

Summary summarize(const fv::Report& report) {
  Summary s;
  for (const auto& r : report.results) {
    if (r.composite) {
      s.composites_failed += r.outcome == fv::Outcome::Failed;
      continue;
    }
    s.passed += r.outcome == fv::Outcome::Passed;
    s.failed += r.outcome == fv::Outcome::Failed;
    s.failed_mandatory += r.outcome == fv::Outcome::Failed && r.level == fv::Level::Mandatory;
    s.not_applicable += r.outcome == fv::Outcome::NotApplicable;
    s.errors += r.outcome == fv::Outcome::Error;
  }
  return s;
}

void print_table(std::ostream& out, const fv::Report& report, const std::string& source) {
  out << "Validating " << source << " against " << report.rule_set << ": " << report.rows
      << " rows\n";
  std::vector<const fv::RuleResult*> failed;
  for (const auto& r : report.results) {
    if (!r.composite && (r.outcome == fv::Outcome::Failed || r.outcome == fv::Outcome::Error))
      failed.push_back(&r);
  }
  std::stable_sort(
      failed.begin(), failed.end(),
      [](const fv::RuleResult* a, const fv::RuleResult* b) { return a->level < b->level; });
  for (const auto* r : failed) {
    out << "\n"
        << (r->outcome == fv::Outcome::Error ? "ERROR " : "FAIL ") << r->id << "  "
        << fv::level_name(r->level);
    if (r->row_level && r->outcome == fv::Outcome::Failed) {
      out << "  " << r->violations << " of " << report.rows << " rows";
    }
    out << "\n  " << r->must_satisfy << "\n";
    if (!r->finding.empty()) out << "  " << r->finding << "\n";
    for (const auto& example : r->examples) {
      std::vector<std::string> values;
      for (const auto& [column, value] : example.values)
        values.push_back(column + "=" + shown(value));
      out << "    row " << example.row << ": " << common::join(values, ", ") << "\n";
    }
  }
  Summary sum = summarize(report);
  out << "\nRules: " << sum.checked() << " checked, " << sum.passed << " passed, " << sum.failed
      << " failed (" << sum.failed_mandatory << " mandatory), " << sum.not_applicable
      << " not applicable";
  if (sum.errors) out << ", " << sum.errors << " could not be evaluated";
  if (report.dynamic_skipped) out << "; " << report.dynamic_skipped << " Dynamic rules skipped";
  if (sum.composites_failed)
    out << "; " << sum.composites_failed << " composite rules fail through the rules above";
  out << "\n" << (report.mandatory_failed() ? "NOT CONFORMANT" : "CONFORMANT") << "\n";
}

void print_json(std::ostream& out, const fv::Report& report, const std::string& source,
                const std::vector<std::string>& unsupported) {
  using json = nlohmann::ordered_json;
  json rules = json::array();
  for (const auto& r : report.results) {
    json examples = json::array();
    for (const auto& example : r.examples) {
      json values = json::object();
      for (const auto& [column, value] : example.values)
        values[column] = value ? json(*value) : json(nullptr);
      examples.push_back({{"row", example.row}, {"values", values}});
    }
    bool counted = r.row_level &&
                   (r.outcome == fv::Outcome::Failed || r.outcome == fv::Outcome::Passed) &&
                   !r.composite;
    rules.push_back({{"id", r.id},
                     {"level", fv::level_name(r.level)},
                     {"keyword", r.keyword},
                     {"must_satisfy", r.must_satisfy},
                     {"composite", r.composite},
                     {"status", fv::outcome_name(r.outcome)},
                     {"violations", counted ? json(r.violations) : json(nullptr)},
                     {"finding", r.finding.empty() ? json(nullptr) : json(r.finding)},
                     {"examples", examples}});
  }
  Summary sum = summarize(report);
  json doc = {{"source", source},
              {"rule_set", report.rule_set},
              {"rows", report.rows},
              {"conformant", !report.mandatory_failed()},
              {"summary",
               {{"checked", sum.checked()},
                {"passed", sum.passed},
                {"failed", sum.failed},
                {"failed_mandatory", sum.failed_mandatory},
                {"not_applicable", sum.not_applicable},
                {"errors", sum.errors},
                {"composites_failed", sum.composites_failed},
                {"skipped_dynamic", report.dynamic_skipped},
                {"unsupported", unsupported}}},
              {"rules", rules}};
  out << doc.dump(2) << "\n";
}

// `validate --dashboards`: every dashboard file's problems (YAML, keys, chart types, SQL the
// read-only guard refuses, and — when a warehouse exists — unknown tables or columns).
int validate_dashboards(const Globals& globals, const ValidateArgs& args, Format format) {
  std::optional<config::Config> cfg;
  fs::path dir = args.dashboards_dir;
  if (dir.empty() || fs::exists(config::default_config_path(globals.config_path))) {
    cfg = load_config(globals);
    if (dir.empty()) dir = server::server_settings(*cfg, std::nullopt).dashboards_dir;
  }
  if (!fs::is_directory(dir)) throw UsageError("validate --dashboards: no folder " + dir.string());
  std::vector<server::Dashboard> dashboards;
  bool bound = cfg && fs::exists(warehouse_file(*cfg));
  if (cfg && cfg->warehouse.type == "clickhouse") {
    // Panels are checked for ClickHouse SQL (clickhouse_sql:); ClickHouse checks it when it runs.
    auto ch = clickhouse_of(*cfg);
    auto reader = warehouse::clickhouse_reader(ch);
    dashboards = server::load_dashboards(dir, *reader, false);
  } else if (bound) {
    auto wh = open_warehouse(*cfg, Access::ReadOnly);
    dashboards = server::load_dashboards(dir, wh.connection(), true);
  } else {
    auto db = warehouse::Database::open(":memory:");
    auto con = db.connect();
    dashboards = server::load_dashboards(dir, con, false);
  }
  size_t invalid = 0;
  nlohmann::ordered_json doc = nlohmann::ordered_json::array();
  for (const auto& d : dashboards) {
    invalid += !d.errors.empty();
    doc.push_back({{"file", d.file}, {"title", d.title}, {"panels", d.panels.size()}, {"valid", d.errors.empty()},
                   {"errors", d.errors}});
    if (format != Format::Json) {
      std::cout << (d.errors.empty() ? "OK   " : "FAIL ") << d.file << "  " << d.title << " (" << d.panels.size()
                << " panels)\n";
      for (const auto& e : d.errors) std::cout << "  " << e << "\n";
    }
  }
  if (format == Format::Json) {
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << dashboards.size() << " dashboards in " << dir.string() << ", " << invalid << " invalid"
              << (bound ? "" : " (SQL checked by the read-only guard only: nothing synced yet)") << "\n";
  }
  return invalid ? 1 : 0;
}

int run_validate(const Globals& globals, const ValidateArgs& args) {
  Format format = parse_format(args.format);
  if (args.dashboards) return validate_dashboards(globals, args, format);
  if (format == Format::Csv) throw UsageError("validate: --format must be table or json");
  fv::RuleSet loaded;
  const fv::RuleSet* rules = &fv::builtin_rules();
  if (!args.model.empty()) {
    loaded = fv::load_model(args.model);
    rules = &loaded;
  }
  fv::Options options = parse_criteria(args.criteria, *rules);

  fv::Report report;
  std::string source;
  if (!args.file.empty()) {
    if (!fs::is_regular_file(args.file)) throw UsageError("validate: no such file " + args.file);
    auto db = warehouse::Database::open(":memory:");
    auto con = db.connect();
    const std::string table = "validate_input";
    sources::read_file_into(con, args.file, table, "validate");
    report = fv::validate(con, table, *rules, options);
    source = args.file;
  } else {
    config::Config cfg = load_config(globals);
    auto wh = open_warehouse(cfg, Access::ReadOnly);
    report = fv::validate(wh.connection(), "focus_costs", *rules, options);
    source = "focus_costs (" + warehouse_file(cfg).string() + ")";
  }
  if (format == Format::Json) {
    print_json(std::cout, report, source, rules->unsupported);
  } else {
    print_table(std::cout, report, source);
    for (const auto& id : rules->unsupported)
      std::cout << "not evaluated (unknown check function): " << id << "\n";
  }
  return report.mandatory_failed() ? 1 : 0;
}

}  // namespace

void add_validate_command(CLI::App& app, Globals& globals, Action& action) {
  auto* cmd = app.add_subcommand("validate", "FOCUS conformance of a file, or of focus_costs");
  auto args = std::make_shared<ValidateArgs>();
  cmd->add_option("--file", args->file,
                  "CSV, Parquet or JSON file to check (default: the warehouse's focus_costs)");
  cmd->add_option("--model", args->model,
                  "official FOCUS requirements model JSON (default: built-in FOCUS 1.2 rules)");
  cmd->add_option("--format", args->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  auto* dashboards = cmd->add_option("--dashboards", args->dashboards_dir,
                                     "check the dashboards-as-code folder instead (default: "
                                     "server.dashboards, else ./dashboards)")
                         ->expected(0, 1);
  cmd->add_option(
      "--applicability-criteria", args->criteria,
      "capabilities to check, comma-separated (e.g. COMMITMENT_DISCOUNT_SUPPORTED) or ALL");
  cmd->callback([&globals, &action, args, dashboards] {
    args->dashboards = dashboards->count() > 0;
    action = [&globals, args] { return run_validate(globals, *args); };
  });
}

}  // namespace billingfoot::app
