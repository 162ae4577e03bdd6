// Google Cloud: the data team's BigQuery warehouse and the search team's GKE cluster, one
// project per team and environment (SubAccount = project).
#include <fmt/format.h>

#include "app/demo/inventory.hpp"
#include "app/demo/providers.hpp"

namespace billingfoot::app::demo {

namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";

class GcpDemo {
 public:
  GcpDemo(const Company& company, std::string_view folder)
      : company_(company),
        export_({"Google Cloud", "Google Cloud", "Google Cloud", "01A2B3-C4D5E6-F7A8B9",
                 "Nimbus Hosting", "Billing Account", "Project", "GCP-"},
                std::string(folder), "gcp-focus", company.timeline()) {
    build();
  }

  std::vector<GeneratedFile> generate() {
    company_.timeline().for_each_day([this](Day day) { emit_day(day); });
    return export_.files();
  }

 private:
  void build() {
    auto* belgium = inv_.add(Region{"europe-west1", "Belgium"});
    auto* data = inv_.add(SubAccount{"nimbus-data-prod", "Nimbus Data (prod)"});
    auto* data_dev = inv_.add(SubAccount{"nimbus-data-dev", "Nimbus Data (dev)"});
    auto* search = inv_.add(SubAccount{"nimbus-search-prod", "Nimbus Search (prod)"});

    auto* bigquery = inv_.add(Service{"BigQuery", "Databases", "Data Warehouses"});
    const Sku* analysis = sku("Analysis", "Analysis (on-demand query bytes)", "Tebibytes", 6.25);
    const Sku* storage =
        sku("Active Logical Storage", "Active logical storage", "Gibibyte-Months", 0.02);
    for (auto [name, acct, tib, gib, owner] :
         {std::tuple{"events", data, 34.0, 210000.0, Owner{"data", "", "prod"}},
          {"orders", data, 9.0, 48000.0, Owner{"data", "shop-builder", "prod"}},
          {"sandbox", data_dev, 3.0, 15000.0, Owner{"data", "", "dev"}}}) {
      auto* dataset = inv_.resource(
          fmt::format("//bigquery.googleapis.com/projects/{}/datasets/{}", acct->id, name), name,
          "Dataset", acct, belgium, owner);
      // The events dataset is where the analysts' dashboards run (and where the incident hits).
      std::string workload = std::string_view(name) == "events"
                                 ? "gcp/bigquery/analysis"
                                 : "gcp/bigquery/" + std::string(name);
      meters_.push_back(usage_meter(*bigquery, *analysis, *dataset, workload, kOffice, tib));
      meters_.push_back(
          monthly_meter(*bigquery, *storage, *dataset, workload + "/storage", kSteady, gib));
    }

    gce_ = inv_.add(Service{"Compute Engine", "Compute", "Virtual Machines"});
    core_ = sku("N2 Instance Core running in Belgium", "N2 Instance Core", "Hours", 0.034773);
    ram_ = sku("N2 Instance Ram running in Belgium", "N2 Instance Ram", "Gibibyte-Hours", 0.004661);
    node_pool("gcp/gke/search-pool", kTraffic, 10, search, belgium, "search-prod",
              {"search", "shop-builder", "prod"});
    node_pool("gcp/gke/data-pool", kOffice, 6, data, belgium, "data-prod", {"data", "", "prod"});

    auto* gke = inv_.add(Service{"Kubernetes Engine", "Compute", "Containers"});
    const Sku* fee = sku("Regional Kubernetes Clusters", "Cluster management fee", "Hours", 0.10);
    for (auto [cluster, acct, owner] :
         {std::tuple{"search-prod", search, Owner{"search", "shop-builder", "prod"}},
          {"data-prod", data, Owner{"data", "", "prod"}}}) {
      auto* c = inv_.resource(
          fmt::format("//container.googleapis.com/projects/{}/locations/europe-west1/clusters/{}",
                      acct->id, cluster),
          cluster, "Cluster", acct, belgium, owner);
      meters_.push_back(hourly_meter(*gke, *fee, *c));
    }

    auto* gcs = inv_.add(Service{"Cloud Storage", "Storage", "Object Storage"});
    const Sku* standard =
        sku("Standard Storage Belgium", "Standard storage", "Gibibyte-Months", 0.02);
    const Sku* class_a =
        sku("Standard Storage Class A Operations", "Class A operations", "10000 Requests", 0.05);
    for (auto [bucket, acct, gib, owner] :
         {std::tuple{"nimbus-data-raw", data, 95000.0, Owner{"data", "", "prod"}},
          {"nimbus-search-index", search, 8000.0, Owner{"search", "shop-builder", "prod"}}}) {
      auto* b = inv_.resource(fmt::format("//storage.googleapis.com/projects/_/buckets/{}", bucket),
                              bucket, "Bucket", acct, belgium, owner);
      meters_.push_back(
          monthly_meter(*gcs, *standard, *b, "gcp/gcs/" + std::string(bucket), kSteady, gib));
      meters_.push_back(usage_meter(*gcs, *class_a, *b, "gcp/gcs/" + std::string(bucket) + "/ops",
                                    kTraffic, gib / 500));
    }

    auto* network = inv_.add(Service{"Networking", "Networking", "Network Connectivity"});
    const Sku* egress = sku("Network Internet Egress from Belgium to Americas", "Internet egress",
                            "Gibibytes", 0.12);
    meters_.push_back(
        account_meter(*network, *egress, *search, belgium, "gcp/egress/search", kTraffic, 300));
    meters_.push_back(
        account_meter(*network, *egress, *data, belgium, "gcp/egress/data", kOffice, 100));
  }

  const Sku* sku(const std::string& description, std::string meter, std::string unit,
                 double price) {
    Rng r = company_.rng("gcp/sku/" + description);
    std::string id =
        r.token(kHex, 4) + "-" + r.derive("b").token(kHex, 4) + "-" + r.derive("c").token(kHex, 4);
    return inv_.add(
        Sku{id, id, std::move(meter), description, std::move(unit), Fixed::price(price)});
  }

  void node_pool(const std::string& workload, const Shape& shape, double base,
                 const SubAccount* project, const Region* region, const std::string& cluster,
                 const Owner& owner) {
    std::string project_id = project->id;
    FleetSpec spec{workload,
                   shape,
                   base,
                   gce_,
                   core_,
                   project,
                   region,
                   {"europe-west1-b", "europe-west1-c", "europe-west1-d"},
                   owner,
                   {{"goog-k8s-cluster-name", cluster}},
                   "Instance",
                   [project_id, cluster](const std::string&, uint64_t r) {
                     return fmt::format(
                         "//compute.googleapis.com/projects/{}/zones/europe-west1-b/instances/"
                         "gke-{}-pool-{:08x}",
                         project_id, cluster, r & 0xffffffffULL);
                   }};
    pools_.emplace_back(company_, inv_, std::move(spec));
  }

  void emit_day(Day day) {
    for (const auto& m : meters_) {
      if (auto c = meter_charge(company_, m, day, 0)) export_.add(*c);
    }
    // n2-standard-8 nodes: 8 vCPUs and 32 GiB, billed as core hours and RAM hours.
    for (auto& pool : pools_) {
      for (const auto& run : pool.running(day)) {
        auto where = Placement::of(*run.resource);
        export_.add(usage_charge(*gce_, *core_, where, day, Fixed::quantity(8) * run.hours, 0));
        export_.add(usage_charge(*gce_, *ram_, where, day, Fixed::quantity(32) * run.hours, 0));
      }
    }
  }

  const Company& company_;
  Inventory inv_{company_};
  FocusCsvExport export_;
  const Service* gce_ = nullptr;
  const Sku *core_ = nullptr, *ram_ = nullptr;
  std::vector<Meter> meters_;
  std::deque<Fleet> pools_;
};

}  // namespace

std::vector<GeneratedFile> generate_gcp(const Company& company, std::string_view folder) {
  return GcpDemo(company, folder).generate();
}

}  // namespace billingfoot::app::demo
