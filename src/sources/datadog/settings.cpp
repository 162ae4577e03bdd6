#include "sources/datadog/settings.hpp"

#include <stdexcept>

#include "common/errors.hpp"
#include "common/strings.hpp"

namespace billingfoot::sources::datadog {

const std::vector<std::string_view> kConfigKeys = {
    "site",      "api_endpoint",    "api_key",          "app_key",
    "view",      "lookback_months", "product_families", "include_connected_accounts",
    "page_limit"};

namespace {

// Datadog sites and their API hosts (Datadog API reference, "Datadog site" table).
struct Site {
  std::string_view site;
  std::string_view api_host;
};
constexpr Site kSites[] = {
    {"datadoghq.com", "api.datadoghq.com"},         {"us3.datadoghq.com", "api.us3.datadoghq.com"},
    {"us5.datadoghq.com", "api.us5.datadoghq.com"}, {"datadoghq.eu", "api.datadoghq.eu"},
    {"ap1.datadoghq.com", "api.ap1.datadoghq.com"}, {"ap2.datadoghq.com", "api.ap2.datadoghq.com"},
    {"uk1.datadoghq.com", "api.uk1.datadoghq.com"}, {"ddog-gov.com", "api.ddog-gov.com"},
    {"us2.ddog-gov.com", "api.us2.ddog-gov.com"},
};

std::string text(const config::SourceConfig& source, const std::string& key) {
  const YAML::Node node = source.raw[key];
  if (!node.IsScalar()) throw UsageError(source.origin_of(key).describe() + ": must be a value");
  return node.Scalar();
}

bool flag(const config::SourceConfig& source, const std::string& key) {
  std::string value = common::to_lower(text(source, key));
  if (value == "true" || value == "yes") return true;
  if (value == "false" || value == "no") return false;
  throw UsageError(source.origin_of(key).describe() + ": must be true or false, not " + value);
}

int whole_number(const config::SourceConfig& source, const std::string& key, int min, int max) {
  std::string value = text(source, key);
  try {
    size_t used = 0;
    int n = std::stoi(value, &used);
    if (used == value.size() && n >= min && n <= max) return n;
  } catch (const std::exception&) {
  }
  throw UsageError(source.origin_of(key).describe() + ": must be a whole number from " +
                   std::to_string(min) + " to " + std::to_string(max) + ", not " + value);
}

}  // namespace

std::string api_base_for_site(std::string_view site_in) {
  std::string site = common::to_lower(common::trim(site_in));
  if (site.starts_with("https://")) site = site.substr(8);
  if (site.starts_with("app.")) site = site.substr(4);  // the web app's host names the site too
  while (site.ends_with("/")) site.pop_back();
  std::string known;
  for (const auto& s : kSites) {
    if (site == s.site) return "https://" + std::string(s.api_host);
    known += (known.empty() ? "" : ", ") + std::string(s.site);
  }
  throw std::invalid_argument("unknown Datadog site " + std::string(site_in) + " (known sites: " +
                              known + "; or set api_endpoint: to the API's base URL)");
}

Settings parse_settings(const config::Config& config, const config::SourceConfig& source) {
  Settings s;
  s.name = source.name;
  s.landing = config.data_dir / "landing" / source.name;
  const YAML::Node& raw = source.raw;
  if (source.location) {
    s.location = config.resolve_path(*source.location);
    for (const char* key : {"site", "api_endpoint", "api_key", "app_key"}) {
      if (raw[key]) {
        throw UsageError(source.origin_of(key).describe() +
                         ": a datadog_usage source reads either the API or location: (a folder of "
                         "landed responses), not both");
      }
    }
  } else {
    if (raw["api_endpoint"]) {
      s.api_base = text(source, "api_endpoint");
      if (!s.api_base.starts_with("http://") && !s.api_base.starts_with("https://")) {
        throw UsageError(source.origin_of("api_endpoint").describe() +
                         ": must be a URL such as https://api.datadoghq.com");
      }
      while (s.api_base.ends_with("/")) s.api_base.pop_back();
    } else {
      try {
        s.api_base = api_base_for_site(raw["site"] ? text(source, "site") : "datadoghq.com");
      } catch (const std::invalid_argument& e) {
        throw UsageError(source.origin_of("site").describe() + ": " + e.what());
      }
    }
    auto secret = [&](const std::string& key, const std::string& variable) {
      if (!raw[key]) {
        throw UsageError(source.origin_of(key).describe() + ": missing; write " + key + ": ${" +
                         variable + "} so the key comes from the environment");
      }
      std::string value = text(source, key);
      if (value.empty()) throw UsageError(source.origin_of(key).describe() + ": is empty");
      return value;
    };
    s.api_key = secret("api_key", "DD_API_KEY");
    s.app_key = secret("app_key", "DD_APP_KEY");
  }
  if (raw["view"]) {
    s.view = text(source, "view");
    if (s.view != "summary" && s.view != "sub-org") {
      throw UsageError(source.origin_of("view").describe() + ": must be summary or sub-org, not " +
                       s.view);
    }
  }
  if (raw["include_connected_accounts"])
    s.include_connected_accounts = flag(source, "include_connected_accounts");
  if (raw["lookback_months"]) s.lookback_months = whole_number(source, "lookback_months", 1, 15);
  if (raw["page_limit"]) s.page_limit = whole_number(source, "page_limit", 1, 500);
  if (const YAML::Node families = raw["product_families"]) {
    if (families.IsScalar()) {
      s.product_families = common::split(families.Scalar(), ',');
    } else if (families.IsSequence()) {
      for (const auto& f : families) {
        if (!f.IsScalar())
          throw UsageError(source.origin_of("product_families").describe() +
                           ": must be a list of names");
        s.product_families.push_back(f.Scalar());
      }
    } else {
      throw UsageError(source.origin_of("product_families").describe() +
                       ": must be a list of names");
    }
    for (auto& f : s.product_families) f = common::trim(f);
  }
  return s;
}

}  // namespace billingfoot::sources::datadog
