// Datadog: observability billed per month, attributed to teams by Datadog's usage attribution
// (so its tags are clean). Monthly charges; the month to date grows day by day.
#include <nlohmann/json.hpp>

#include "app/demo/inventory.hpp"
#include "app/demo/providers.hpp"

namespace billingfoot::app::demo {

namespace {

// How much a team used in the first month: hosts on average, logs per day.
struct TeamUsage {
  Owner owner;
  double hosts, apm_hosts, log_gb, indexed_million_events;
};

class DatadogDemo {
 public:
  DatadogDemo(const Company& company, std::string_view folder)
      : company_(company),
        export_({"Datadog", "Datadog", "Datadog", "a3f9c27e51", "Nimbus Hosting",
                 "Parent Organization", "Organization", "DD-"},
                std::string(folder), "datadog-focus", company.timeline()) {}

  std::vector<GeneratedFile> generate() {
    const SubAccount org{"a3f9c27e51", "Nimbus Hosting"};
    const Service infra{"Infrastructure Monitoring", "Management and Governance", "Observability"};
    const Service apm{"APM", "Management and Governance", "Observability"};
    const Service logs{"Log Management", "Management and Governance", "Observability"};
    const Sku hosts{"infra_host",      "infra_host", "Infrastructure Hosts",
                    "Infra Pro hosts", "Hosts",      Fixed::price(15)};
    const Sku apm_hosts{"apm_host",      "apm_host", "APM Hosts",
                        "APM Pro hosts", "Hosts",    Fixed::price(31)};
    const Sku ingested{"logs_ingested",   "logs_ingested", "Ingested Logs", "Log ingestion", "GB",
                       Fixed::price(0.10)};
    const Sku indexed{"logs_indexed_15day", "logs_indexed_15day",
                      "Indexed Logs",       "Indexed log events, 15-day retention",
                      "Million Events",     Fixed::price(1.70)};
    const TeamUsage teams[] = {
        {{"hosting", "web-hosting", "prod"}, 64, 20, 520, 21},
        {{"storefront", "shop-builder", "prod"}, 38, 30, 310, 16},
        {{"payments", "shop-builder", "prod"}, 10, 8, 70, 4.5},
        {{"search", "shop-builder", "prod"}, 16, 6, 90, 3},
        {{"data", "", "prod"}, 14, 0, 60, 1.2},
        {{"platform", "", "prod"}, 30, 4, 410, 12},
    };
    const Timeline& t = company_.timeline();
    for (Day month = t.first; month <= t.last; month = next_month_start(month)) {
      for (const auto& team : teams) {
        std::string w = "datadog/" + std::string(team.owner.team);
        // Hosts are billed on the month's average count; logs on the month's total volume.
        double host_days = 0, log_days = 0;
        for (Day d = month; d < t.data_end(month); d += std::chrono::days(1)) {
          host_days += company_.activity(w, kSteady, d);
          log_days += company_.activity(w + "/logs", kTraffic, d);
        }
        double host_share = host_days / days_in_month(month);
        add(month, org, infra, hosts, team, team.hosts * host_share);
        add(month, org, apm, apm_hosts, team, team.apm_hosts * host_share);
        add(month, org, logs, ingested, team, team.log_gb * log_days);
        add(month, org, logs, indexed, team, team.indexed_million_events * log_days);
      }
    }
    return export_.files();
  }

 private:
  void add(Day month, const SubAccount& org, const Service& service, const Sku& sku,
           const TeamUsage& team, double quantity) {
    if (quantity <= 0) return;
    Charge c = usage_charge(service, sku, Placement{&org, nullptr, nullptr}, month,
                            Fixed::quantity(quantity), 0);
    c.end = company_.timeline().data_end(month);
    nlohmann::ordered_json tags{{"team", team.owner.team}};
    if (!team.owner.product.empty()) tags["product"] = team.owner.product;
    c.tags = tags.dump();
    export_.add(c);
  }

  const Company& company_;
  FocusCsvExport export_;
};

}  // namespace

std::vector<GeneratedFile> generate_datadog(const Company& company, std::string_view folder) {
  return DatadogDemo(company, folder).generate();
}

}  // namespace billingfoot::app::demo
