#include "sources/datadog/extract.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/errors.hpp"
#include "common/strings.hpp"
#include "sources/datadog/landing.hpp"

namespace billingfoot::sources::datadog {

namespace {

using namespace std::chrono;
using nlohmann::json;

year_month parse_period(const std::string& period) {
  return year{std::stoi(period.substr(0, 4))} /
         month{static_cast<unsigned>(std::stoi(period.substr(5, 2)))};
}

std::string period_text(year_month ym) {
  return fmt::format("{:04d}-{:02d}", static_cast<int>(ym.year()),
                     static_cast<unsigned>(ym.month()));
}

std::string day_text(sys_days day) {
  year_month_day ymd{day};
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// Datadog's hour precision: YYYY-MM-DDThh.
std::string hour_text(sys_seconds t) {
  auto day = floor<days>(t);
  return day_text(day) +
         fmt::format("T{:02d}", static_cast<int>(duration_cast<hours>(t - day).count()));
}

sys_days first_day(year_month ym) {
  return sys_days{ym / 1};
}

// The cost-endpoint parameters every call shares.
Query cost_query(const Settings& settings, const std::string& period) {
  Query q = {{"start_month", period}, {"end_month", period}, {"view", settings.view}};
  if (settings.include_connected_accounts) q.emplace_back("include_connected_accounts", "true");
  return q;
}

// Whether a cost response has an entry for `period` (its attributes.date falls in that month).
bool has_period(const std::string& body, const std::string& period) {
  json doc = json::parse(body);
  for (const auto& item : doc["data"]) {
    const auto& date = item["attributes"]["date"];
    if (date.is_string() && date.get<std::string>().starts_with(period)) return true;
  }
  return false;
}

std::vector<std::string> product_names(const std::string& body, const std::string& period) {
  std::set<std::string> names;
  json doc = json::parse(body);
  for (const auto& item : doc["data"]) {
    const auto& a = item["attributes"];
    if (!a["date"].get<std::string>().starts_with(period) || !a.contains("charges")) continue;
    for (const auto& c : a["charges"]) {
      // Datadog lists every product of the plan; usage is only needed for those that cost
      // something.
      if (c["cost"].is_number() && c["cost"].get<double>() != 0)
        names.insert(c["product_name"].get<std::string>());
    }
  }
  return {names.begin(), names.end()};
}

}  // namespace

std::vector<std::string> periods_to_fetch(const Settings& settings, const SyncOptions& options,
                                          sys_seconds now) {
  year_month current{year_month_day{floor<days>(now)}.year(),
                     year_month_day{floor<days>(now)}.month()};
  year_month first = options.range.from ? parse_period(*options.range.from)
                                        : current - months{settings.lookback_months - 1};
  year_month last = options.range.to ? std::min(parse_period(*options.range.to), current) : current;
  std::set<std::string> periods;
  for (year_month m = first; m <= last; m += months{1}) periods.insert(period_text(m));
  // Estimated periods landed earlier become final once Datadog closes them, even when they have
  // fallen out of the lookback window.
  if (std::filesystem::is_directory(settings.landing)) {
    for (const auto& entry : std::filesystem::directory_iterator(settings.landing)) {
      std::string name = entry.path().filename().string();
      if (name.size() == 7 && landed_cost_status(settings.landing, name) == "estimated" &&
          options.range.contains(name)) {
        periods.insert(name);
      }
    }
  }
  std::vector<std::string> out;
  for (const auto& p : periods) {
    if (!options.full && landed_cost_status(settings.landing, p) == "final") continue;
    out.push_back(p);
  }
  return out;
}

bool fetch_period(const UsageApi& api, const Settings& settings, const std::string& period,
                  sys_seconds now, const FamilyLookup& families_for) {
  year_month ym = parse_period(period);
  year_month current{year_month_day{floor<days>(now)}.year(),
                     year_month_day{floor<days>(now)}.month()};
  std::vector<std::pair<std::string, std::string>> files;
  auto checked = [&](const std::string& body, ResponseKind kind, const std::string& name) {
    check_response(body, kind, settings.name, "the " + name + " response for " + period);
    return body;
  };

  std::string cost_status, cost_body;
  if (ym < current) {
    std::string body =
        checked(api.get("/api/v2/usage/historical_cost", cost_query(settings, period)),
                ResponseKind::Cost, "/api/v2/usage/historical_cost");
    if (has_period(body, period)) {
      cost_status = "final";
      cost_body = body;
      files.emplace_back(kHistoricalCostFile, body);
    }
  }
  // Datadog estimates the current and the previous month only (until the latter is closed).
  if (cost_status.empty() && ym >= current - months{1}) {
    std::string body =
        checked(api.get("/api/v2/usage/estimated_cost", cost_query(settings, period)),
                ResponseKind::Cost, "/api/v2/usage/estimated_cost");
    if (has_period(body, period)) {
      cost_status = "estimated";
      cost_body = body;
      files.emplace_back(kEstimatedCostFile, body);
    }
  }
  if (cost_status.empty()) {
    spdlog::info("{} {}: Datadog has no cost for this month", settings.name, period);
    return false;
  }
  if (ym == current) {
    Query q = {{"view", settings.view}};
    if (settings.include_connected_accounts) q.emplace_back("include_connected_accounts", "true");
    std::string body = checked(api.get("/api/v2/usage/projected_cost", q), ResponseKind::Cost,
                               "/api/v2/usage/projected_cost");
    if (has_period(body, period)) files.emplace_back(kProjectedCostFile, body);
  }

  // Hourly usage of the month so far: one request per month for one org (Datadog allows up to
  // two months), 24-hour windows when child orgs are included (Datadog's limit across orgs).
  std::vector<std::string> families = settings.product_families;
  if (families.empty()) families = families_for(product_names(cost_body, period));
  sys_seconds start{first_day(ym)};
  sys_seconds end =
      std::min(sys_seconds{first_day(ym + months{1})}, sys_seconds{floor<hours>(now)});
  int page = 0;
  bool sub_orgs = settings.view == "sub-org";
  for (sys_seconds window = start; !families.empty() && window < end;) {
    sys_seconds window_end = sub_orgs ? std::min(end, window + hours{24}) : end;
    std::string next_record_id;
    std::set<std::string> seen_ids;
    do {
      Query q = {{"filter[timestamp][start]", hour_text(window)},
                 {"filter[timestamp][end]", hour_text(window_end)},
                 {"filter[product_families]", common::join(families, ",")},
                 {"page[limit]", std::to_string(settings.page_limit)}};
      if (sub_orgs) q.emplace_back("filter[include_descendants]", "true");
      if (settings.include_connected_accounts)
        q.emplace_back("filter[include_connected_accounts]", "true");
      if (!next_record_id.empty()) q.emplace_back("page[next_record_id]", next_record_id);
      std::string body = checked(api.get("/api/v2/usage/hourly_usage", q), ResponseKind::Usage,
                                 "/api/v2/usage/hourly_usage");
      files.emplace_back(usage_page_file(++page), body);
      json doc = json::parse(body);
      json next = doc.value("/meta/pagination/next_record_id"_json_pointer, json());
      next_record_id = next.is_string() ? next.get<std::string>() : "";
      if (!next_record_id.empty() && !seen_ids.insert(next_record_id).second) {
        throw InputError("source " + settings.name + ": Datadog's hourly usage for " + period +
                         " returned the same next_record_id twice (" + next_record_id +
                         "); stopping");
      }
    } while (!next_record_id.empty());
    window = window_end;
  }

  // Costs without usage are spread up to the day being fetched (estimated months) or the month's
  // end.
  sys_days data_end = std::min(first_day(ym + months{1}), sys_days{floor<days>(now) + days{1}});
  json manifest = {
      {"billing_period", period},
      {"cost_status", cost_status},
      {"data_end", day_text(data_end)},
      {"fetched_at",
       hour_text(now) +
           fmt::format(":{:02d}",
                       static_cast<int>(duration_cast<minutes>(now - floor<hours>(now)).count()))},
      {"usage_pages", page},
      {"product_families", families}};
  files.emplace_back(kManifestFile, manifest.dump(2) + "\n");
  land_month(settings.landing, period, files);
  spdlog::info("{} {}: landed {} cost and {} hourly usage pages", settings.name, period,
               cost_status, page);
  return true;
}

}  // namespace billingfoot::sources::datadog
