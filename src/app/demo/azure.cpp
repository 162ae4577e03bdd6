// Azure, the smallest cloud: the email product's spam-filtering VMs, its mail archive and a SQL
// database, in two subscriptions under an Enterprise Agreement. A few days before the as-of day a
// misconfigured replication job copies the mail archive out of Azure: a recent anomaly (an
// egress spike on one storage account) for anomaly detection and `sync --alert` to report.
#include <fmt/format.h>

#include "app/demo/inventory.hpp"
#include "app/demo/providers.hpp"

namespace billingfoot::app::demo {

namespace {

constexpr double kEnterpriseDiscount = 0.10;
// The replication incident: days before the as-of day, and the GB copied out per day.
constexpr int kEgressIncidentFirst = 6;
constexpr int kEgressIncidentDays = 3;
constexpr double kEgressIncidentGb = 24000;

std::string guid(const Rng& r) {
  constexpr std::string_view hex = "0123456789abcdef";
  return r.derive("a").token(hex, 8) + "-" + r.derive("b").token(hex, 4) + "-4" +
         r.derive("c").token(hex, 3) + "-a" + r.derive("d").token(hex, 3) + "-" +
         r.derive("e").token(hex, 12);
}

class AzureDemo {
 public:
  AzureDemo(const Company& company, std::string_view folder)
      : company_(company),
        export_({"Microsoft", "Microsoft", "Microsoft", "8611537", "Nimbus Hosting EA",
                 "Enterprise Agreement", "Subscription", "AZ-"},
                std::string(folder), "azure-focus", company.timeline()) {
    build();
  }

  std::vector<GeneratedFile> generate() {
    company_.timeline().for_each_day([this](Day day) {
      for (const auto& m : meters_) {
        if (auto c = meter_charge(company_, m, day, kEnterpriseDiscount)) export_.add(*c);
      }
      for (auto& f : fleets_) {
        for (const auto& run : f.running(day)) {
          export_.add(usage_charge(*f.spec().service, *f.spec().sku, Placement::of(*run.resource),
                                   day, run.hours, kEnterpriseDiscount));
        }
      }
      int before_end = static_cast<int>((company_.timeline().last - day).count());
      if (before_end <= kEgressIncidentFirst &&
          before_end > kEgressIncidentFirst - kEgressIncidentDays) {
        export_.add(usage_charge(*bandwidth_, *egress_, Placement::of(*archive_), day,
                                 Fixed::quantity(kEgressIncidentGb), kEnterpriseDiscount));
      }
    });
    return export_.files();
  }

 private:
  void build() {
    auto* west_europe = inv_.add(Region{"westeurope", "West Europe"});
    auto* prod = inv_.add(SubAccount{guid(company_.rng("azure/sub/prod")), "nimbus-mail-prod"});
    auto* dev = inv_.add(SubAccount{guid(company_.rng("azure/sub/dev")), "nimbus-mail-dev"});

    auto* vms = inv_.add(Service{"Virtual Machines", "Compute", "Virtual Machines"});
    const Sku* d4s = sku("D4s v5", "Virtual Machines Dsv5 Series", "1 Hour", 0.23);
    vm_fleet(vms, d4s, "azure/vm/mx-filter", kTraffic, 4, prod, west_europe,
             {"hosting", "email", "prod"});
    vm_fleet(vms, d4s, "azure/vm/mx-filter-dev", kOffice, 1, dev, west_europe,
             {"hosting", "email", "dev"});

    auto* storage = inv_.add(Service{"Storage", "Storage", "Storage Platforms"});
    auto* archive = resource(prod, "Microsoft.Storage/storageAccounts", "nimbusmailarchive",
                             "rg-mail-prod", {"hosting", "email", "prod"}, west_europe);
    archive_ = archive;
    meters_.push_back(
        monthly_meter(*storage, *sku("Hot LRS Data Stored", "Blob Storage", "1 GB/Month", 0.0184),
                      *archive, "azure/storage/archive", kSteady, 38000));
    meters_.push_back(usage_meter(*storage,
                                  *sku("Hot Write Operations", "Blob Storage", "10K", 0.065),
                                  *archive, "azure/storage/archive/writes", kTraffic, 950));

    auto* sql = inv_.add(Service{"SQL Database", "Databases", "Relational Databases"});
    auto* db = resource(prod, "Microsoft.Sql/servers/databases", "sql-mail-prod/mailboxes",
                        "rg-mail-prod", {"hosting", "email", "prod"}, west_europe);
    meters_.push_back(hourly_meter(
        *sql, *sku("vCore", "SQL Database General Purpose - Compute Gen5", "1 Hour", 0.2523), *db,
        8));

    auto* bandwidth = inv_.add(Service{"Bandwidth", "Networking", "Network Connectivity"});
    egress_ = sku("Standard Data Transfer Out", "Rtn Preference: MGN", "1 GB", 0.087);
    bandwidth_ = bandwidth;
    meters_.push_back(
        account_meter(*bandwidth, *egress_, *prod, west_europe, "azure/bandwidth", kTraffic, 420));
  }

  const Sku* sku(const std::string& meter_name, std::string meter_category, std::string unit,
                 double price) {
    Rng r = company_.rng("azure/sku/" + meter_name);
    return inv_.add(Sku{guid(r), guid(r.derive("price")), std::move(meter_category), meter_name,
                        std::move(unit), Fixed::price(price)});
  }

  const Resource* resource(const SubAccount* sub, const std::string& type, const std::string& name,
                           const std::string& group, const Owner& owner, const Region* region) {
    return inv_.resource(fmt::format("/subscriptions/{}/resourceGroups/{}/providers/{}/{}", sub->id,
                                     group, type, name),
                         name, type, sub, region, owner);
  }

  void vm_fleet(const Service* vms, const Sku* size, const std::string& workload,
                const Shape& shape, double base, const SubAccount* sub, const Region* region,
                const Owner& owner) {
    std::string prefix = fmt::format(
        "/subscriptions/{}/resourceGroups/rg-mail-{}/providers/Microsoft.Compute/virtualMachines/",
        sub->id, owner.env);
    FleetSpec spec{workload,
                   shape,
                   base,
                   vms,
                   size,
                   sub,
                   region,
                   {"1", "2", "3"},
                   owner,
                   {},
                   "Microsoft.Compute/virtualMachines",
                   [prefix](const std::string& name, uint64_t) { return prefix + name; }};
    fleets_.emplace_back(company_, inv_, std::move(spec));
  }

  const Company& company_;
  FocusCsvExport export_;
  Inventory inv_{company_};
  std::vector<Meter> meters_;
  std::deque<Fleet> fleets_;
  const Service* bandwidth_ = nullptr;
  const Sku* egress_ = nullptr;
  const Resource* archive_ = nullptr;
};

}  // namespace

std::vector<GeneratedFile> generate_azure(const Company& company, std::string_view folder) {
  return AzureDemo(company, folder).generate();
}

}  // namespace billingfoot::app::demo
