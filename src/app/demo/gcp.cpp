// Google Cloud: the data platform (BigQuery, Dataflow, Cloud Composer, Cloud Storage, Vertex AI)
// and the search team's GKE cluster, one project per team and environment. Written as Google's
// billing export to BigQuery, exported as JSON lines (the detailed, resource-level table): one
// file per invoice month, nested records and repeated labels and credits as in the real export.
// Sustained use discounts ride on Compute Engine rows as credits; Vertex AI's launch months
// carry promotion credits.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "app/demo/inventory.hpp"
#include "app/demo/providers.hpp"

namespace billingfoot::app::demo {

namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";
constexpr std::string_view kBillingAccount = "01A2B3-C4D5E6-F7A8B9";

// A credit on an export row (negative amount).
struct Credit {
  std::string name, type;
  Fixed amount;
};

// JSON text of a string (escaped); numbers are written as their exact decimal text.
std::string q(const std::string& text) {
  return nlohmann::json(text).dump();
}

std::string key_values(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out = "[";
  for (const auto& [k, v] : pairs) {
    out +=
        (out.size() > 1 ? "," : "") + std::string("{\"key\":") + q(k) + ",\"value\":" + q(v) + "}";
  }
  return out + "]";
}

// Google's billing export rows, one JSON lines file per invoice month.
class BillingExport {
 public:
  explicit BillingExport(std::string folder) : folder_(std::move(folder)) {}

  void add(const Charge& c, const std::vector<Credit>& credits) {
    std::string month = month_key(c.start);
    Month& m = months_[month];
    const SubAccount* project = c.account;
    // Resource labels: the company's tags; Google's own (goog-…) are system labels.
    std::vector<std::pair<std::string, std::string>> labels, system_labels;
    std::string tags = c.resource ? c.resource->tags : c.tags;
    if (!tags.empty()) {
      const nlohmann::json parsed = nlohmann::json::parse(tags);
      for (const auto& [k, v] : parsed.items()) {
        // A valueless label is an empty string in the export.
        std::string value = v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
        (k.starts_with("goog-") ? system_labels : labels).emplace_back(k, value);
      }
    }
    std::string credit_list = "[";
    for (const auto& cr : credits) {
      credit_list += (credit_list.size() > 1 ? "," : "") + std::string("{\"name\":") + q(cr.name) +
                     ",\"amount\":" + cr.amount.text() + ",\"full_name\":" + q(cr.name) +
                     ",\"id\":" + q(cr.type + ":" + project->id) + ",\"type\":" + q(cr.type) + "}";
    }
    credit_list += "]";
    std::string region = c.region ? c.region->id : "";
    std::string zone = c.resource ? c.resource->zone : "";
    std::string row =
        "{\"billing_account_id\":" + q(std::string(kBillingAccount)) +
        ",\"service\":{\"id\":" + q(service_id(c.service->name)) +
        ",\"description\":" + q(c.service->name) + "},\"sku\":{\"id\":" + q(c.sku->id) +
        ",\"description\":" + q(c.sku->description) +
        "},\"usage_start_time\":" + q(timestamp(c.start)) +
        ",\"usage_end_time\":" + q(timestamp(c.end)) + ",\"project\":{\"id\":" + q(project->id) +
        ",\"number\":" + q(project_number(project->id)) + ",\"name\":" + q(project->name) +
        ",\"labels\":" + key_values({{"env", project->id.substr(project->id.rfind('-') + 1)}}) +
        "},\"labels\":" + key_values(labels) + ",\"system_labels\":" + key_values(system_labels) +
        ",\"location\":" +
        (region.empty() ? "null"
                        : "{\"location\":" + q(region) + ",\"country\":\"BE\",\"region\":" +
                              q(region) + ",\"zone\":" + (zone.empty() ? "null" : q(zone)) + "}") +
        ",\"resource\":" +
        (c.resource
             ? "{\"name\":" + q(c.resource->name) + ",\"global_name\":" + q(c.resource->id) + "}"
             : "null") +
        ",\"tags\":[],\"price\":{\"effective_price\":" + c.contracted_unit_price->text() +
        ",\"tier_start_amount\":0,\"unit\":" + q(c.sku->unit) +
        ",\"pricing_unit_quantity\":1,\"list_price\":" + c.list_unit_price->text() +
        ",\"effective_price_default\":" + c.contracted_unit_price->text() +
        "},\"transaction_type\":\"GOOGLE\",\"seller_name\":null,\"export_time\":" +
        q(iso_date(c.end) + "T04:17:00Z") + ",\"cost\":" + c.contracted.text() +
        ",\"currency\":\"USD\",\"currency_conversion_rate\":1,\"usage\":{\"amount\":" +
        c.quantity->text() + ",\"unit\":" + q(c.sku->unit) +
        ",\"amount_in_pricing_units\":" + c.quantity->text() +
        ",\"pricing_unit\":" + q(c.sku->unit) + "},\"credits\":" + credit_list +
        ",\"invoice\":{\"month\":" + q(month.substr(0, 4) + month.substr(5, 2)) +
        ",\"publisher_type\":\"GOOGLE\"},\"cost_type\":\"regular\",\"adjustment_info\":null,\"cost_"
        "at_list\":" +
        c.list.text() + "}\n";
    m.text += row;
    ++m.rows;
  }

  std::vector<GeneratedFile> files() const {
    std::vector<GeneratedFile> out;
    for (const auto& [month, m] : months_) {
      out.push_back(
          {folder_ + "/gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9-" + month + ".jsonl",
           m.text, m.rows});
    }
    return out;
  }

 private:
  struct Month {
    std::string text;
    int64_t rows = 0;
  };
  static std::string service_id(const std::string& name) {
    Rng r(0, "gcp/service/" + name);
    return r.token(kHex, 4) + "-" + r.derive("b").token(kHex, 4) + "-" +
           r.derive("c").token(kHex, 4);
  }
  static std::string project_number(const std::string& id) {
    return std::to_string(100000000000ULL + Rng(0, "gcp/project/" + id).below(899999999999ULL));
  }

  std::string folder_;
  std::map<std::string, Month> months_;
};

class GcpDemo {
 public:
  GcpDemo(const Company& company, std::string_view folder)
      : company_(company), export_(std::string(folder)) {
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

    Owner data_prod{"data", "", "prod"};
    auto* dataflow = inv_.add(Service{"Dataflow", "Analytics", "Data Processing"});
    const Sku* df_cpu =
        sku("Dataflow Streaming vCPU Time Belgium", "Streaming vCPU", "Hours", 0.069);
    const Sku* df_mem = sku("Dataflow Streaming Memory Time Belgium", "Streaming memory",
                            "Gibibyte-Hours", 0.003557);
    auto* pipeline = inv_.resource(
        "//dataflow.googleapis.com/projects/nimbus-data-prod/locations/europe-west1/jobs/"
        "events-ingest",
        "events-ingest", "Job", data, belgium, data_prod);
    meters_.push_back(
        usage_meter(*dataflow, *df_cpu, *pipeline, "gcp/dataflow", kTraffic, 24 * 12));
    meters_.push_back(
        usage_meter(*dataflow, *df_mem, *pipeline, "gcp/dataflow", kTraffic, 24 * 45));

    auto* composer = inv_.add(Service{"Cloud Composer", "Integration", "Workflow Orchestration"});
    const Sku* composer_cpu =
        sku("Cloud Composer 2 Compute vCPU time Belgium", "Environment vCPU", "Hours", 0.0495);
    auto* environment = inv_.resource(
        "//composer.googleapis.com/projects/nimbus-data-prod/locations/europe-west1/environments/"
        "data-orchestration",
        "data-orchestration", "Environment", data, belgium, data_prod);
    meters_.push_back(hourly_meter(*composer, *composer_cpu, *environment, 6));

    // Vertex AI arrives mid-history for search ranking; its first two months are on credits.
    vertex_ = inv_.add(Service{"Vertex AI", "AI and Machine Learning", "AI Platforms"});
    const Sku* predict = sku("Vertex AI: Online Prediction n1-standard-4 in Belgium",
                             "Online prediction", "Hours", 0.2185);
    const Sku* train = sku("Vertex AI: Custom Training n1-highmem-8 in Belgium", "Custom training",
                           "Hours", 0.5442);
    auto* endpoint = inv_.resource(
        "//aiplatform.googleapis.com/projects/nimbus-data-prod/locations/europe-west1/endpoints/"
        "search-ranking",
        "search-ranking", "Endpoint", data, belgium, {"search", "shop-builder", "prod"});
    vertex_start_ = company_.timeline().days() / 2;
    meters_.push_back(starting(hourly_meter(*vertex_, *predict, *endpoint, 2), vertex_start_));
    meters_.push_back(
        starting(usage_meter(*vertex_, *train, *endpoint, "gcp/vertex/training", kOffice, 30),
                 vertex_start_));
  }

  // Sustained use discounts on every Compute Engine row; promotion credits on Vertex AI for its
  // first sixty days.
  std::vector<Credit> credits_for(const Charge& c, Day day) const {
    if (c.service == gce_) {
      return {{"Sustained Usage Discount", "SUSTAINED_USAGE_DISCOUNT",
               -Fixed::round(c.contracted.to_double() * 0.2, 6)}};
    }
    if (c.service == vertex_ && company_.timeline().day_index(day) < vertex_start_ + 60) {
      return {{"Vertex AI launch credit", "PROMOTION",
               -Fixed::round(c.contracted.to_double() * 0.5, 6)}};
    }
    return {};
  }

  void add(const Charge& c, Day day) { export_.add(c, credits_for(c, day)); }

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
      if (auto c = meter_charge(company_, m, day, 0)) add(*c, day);
    }
    // n2-standard-8 nodes: 8 vCPUs and 32 GiB, billed as core hours and RAM hours.
    for (auto& pool : pools_) {
      for (const auto& run : pool.running(day)) {
        auto where = Placement::of(*run.resource);
        add(usage_charge(*gce_, *core_, where, day, Fixed::quantity(8) * run.hours, 0), day);
        add(usage_charge(*gce_, *ram_, where, day, Fixed::quantity(32) * run.hours, 0), day);
      }
    }
  }

  const Company& company_;
  Inventory inv_{company_};
  BillingExport export_;
  const Service* gce_ = nullptr;
  const Service* vertex_ = nullptr;
  int vertex_start_ = 0;
  const Sku *core_ = nullptr, *ram_ = nullptr;
  std::vector<Meter> meters_;
  std::deque<Fleet> pools_;
};

}  // namespace

std::vector<GeneratedFile> generate_gcp(const Company& company, std::string_view folder) {
  return GcpDemo(company, folder).generate();
}

}  // namespace billingfoot::app::demo
