// AWS, the company's largest bill, written as AWS delivers it: a CUR 2.0 Data Export in Parquet,
// refreshed several times a month. Seven linked accounts under one payer, EC2 fleets covered by
// a Compute Savings Plan, RDS with a Reserved Instance on the payments database, S3, CloudFront,
// EKS, networking, a migration credit, a refund after a traffic incident, and monthly sales tax.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "app/demo/cur_export.hpp"
#include "app/demo/inventory.hpp"
#include "app/demo/providers.hpp"

namespace billingfoot::app::demo {

namespace {

constexpr std::string_view kExportName = "nimbus-cur2";
constexpr double kPrivatePricing = 0.04;   // negotiated discount on every list price
constexpr double kSavingsPlanRate = 0.72;  // Savings Plan price relative to the list price
constexpr double kCommitmentPerHour = 30.0;
constexpr double kSalesTax = 0.0725;
constexpr int kBedrockLaunchDay = 205;  // the storefront's AI product descriptions go live
constexpr int kCreditMonth = 6;         // a migration credit lands in this month of the history
constexpr int kReservationMonth = 1;    // the payments database's reservation starts here
constexpr int kReservationMonths = 12;  // its term
// The reservation (1 year, partial upfront): per hour, amortized upfront and recurring fee.
constexpr double kReservedUpfrontPerHour = 0.255;
constexpr double kReservedFeePerHour = 0.255;
constexpr int kHoursPerYear = 8760;
// The CloudFront incident (bot traffic) is refunded the month after, less the normal traffic.
constexpr std::string_view kRefundedWorkload = "aws/cloudfront/hosting-cdn";

constexpr std::string_view kSkuAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

struct InstanceType {
  std::string_view name;
  int vcpu, memory_gib;
  double hourly_us;  // Linux on-demand, us-east-1
};
const InstanceType kInstanceTypes[] = {
    {"m6i.2xlarge", 8, 32, 0.384},    {"m6i.4xlarge", 16, 64, 0.768},
    {"m6i.8xlarge", 32, 128, 1.536},  {"c6i.8xlarge", 32, 64, 1.36},
    {"r6g.4xlarge", 16, 128, 0.8064}, {"r6i.8xlarge", 32, 256, 2.016},
    {"m6g.2xlarge", 8, 32, 0.308},    {"m6g.8xlarge", 32, 128, 1.232},
    {"t3.2xlarge", 8, 32, 0.3328},    {"t3.large", 2, 8, 0.0832},
};

const InstanceType& instance_type(std::string_view name) {
  for (const auto& t : kInstanceTypes) {
    if (t.name == name) return t;
  }
  throw std::logic_error("demo: unknown instance type " + std::string(name));
}

// What a CUR line says about a SKU beyond the provider-neutral Sku.
struct CurSku {
  std::string usage_type, operation;
  std::string instance_type = "";
  KeyValues attributes = {};  // product map entries
};

// AWS prefixes usage types with the region's code; us-east-1 has none.
std::string usage_prefix(const Region* region) {
  if (!region || region->id == "us-east-1") return "";
  if (region->id == "eu-west-1") return "EU-";
  throw std::logic_error("demo: no usage type prefix for " + region->id);
}

// resource_tags as CUR 2.0 writes them: user tags `user_<key>`, AWS tags `aws_<key>`; the
// Name tag carries the resource's name.
KeyValues cur_tags(const Resource& r) {
  KeyValues out;
  if (!r.name.empty()) out.emplace_back("user_Name", r.name);
  if (r.tags.empty()) return out;
  const auto tags = nlohmann::ordered_json::parse(r.tags);
  for (const auto& [key, value] : tags.items()) {
    out.emplace_back(key.starts_with("aws:") ? "aws_" + key.substr(4) : "user_" + key,
                     value.get<std::string>());
  }
  return out;
}

class AwsDemo {
 public:
  AwsDemo(const Company& company, std::string_view folder)
      : company_(company),
        export_({.folder = std::string(folder),
                 .export_name = std::string(kExportName),
                 .s3_root = "s3://nimbus-billing-exports/cur/" + std::string(kExportName),
                 .export_arn = "arn:aws:bcm-data-exports:us-east-1:618273645091:export/" +
                               std::string(kExportName) + "-5c1e8a2f-3b7d-4f09-a6e4-1d2c9b8e7f30",
                 .payer_account_id = "618273645091",
                 .payer_account_name = "Nimbus Hosting Ltd",
                 .invoicing_entity = "Amazon Web Services, Inc.",
                 .legal_entity = "Amazon Web Services, Inc.",
                 .invoice_prefix = "8"},
                company.timeline(), company.seed()) {
    build();
  }

  std::vector<GeneratedFile> generate() {
    company_.timeline().for_each_day([this](Day day) { emit_day(day); },
                                     [this](Day month) { emit_month(month); });
    return export_.files();
  }

 private:
  // --- inventory ---------------------------------------------------------------------------

  void build() {
    us_ = inv_.add(Region{"us-east-1", "US East (N. Virginia)"});
    eu_ = inv_.add(Region{"eu-west-1", "Europe (Ireland)"});
    auto* hosting = account("304958172630", "nimbus-hosting-prod");
    auto* shop = account("415069283741", "nimbus-shop-prod");
    payments_ = account("471829305716", "nimbus-payments-prod");
    platform_ = account("526170394852", "nimbus-platform");
    auto* data = account("637281405963", "nimbus-data");
    auto* staging = account("748392516074", "nimbus-staging");
    auto* dev = account("059403627185", "nimbus-dev");  // account ids are text: the 0 stays

    // EC2 bills instances, their EBS volumes and NAT gateways, as AWS does.
    ec2_ = service("Amazon Elastic Compute Cloud", "AmazonEC2");
    gp3_us_ = sku("ebs-gp3-us", "Storage",
                  "$0.08 per GB-month of General Purpose (gp3) provisioned storage", "GB-Mo", 0.08,
                  {"EBS:VolumeUsage.gp3", "CreateVolume-Gp3", "", {{"volume_api_name", "gp3"}}});
    gp3_eu_ = sku("ebs-gp3-eu", "Storage",
                  "$0.088 per GB-month of General Purpose (gp3) provisioned storage - EU (Ireland)",
                  "GB-Mo", 0.088,
                  {"EU-EBS:VolumeUsage.gp3", "CreateVolume-Gp3", "", {{"volume_api_name", "gp3"}}});

    // Customer-facing fleets follow traffic; staging and dev follow office hours.
    fleet("aws/ec2/hosting-web-eu", kTraffic, 8, "m6i.8xlarge", hosting, eu_,
          {"hosting", "web-hosting", "prod"});
    fleet("aws/ec2/hosting-web-us", kTraffic, 6, "m6i.8xlarge", hosting, us_,
          {"hosting", "web-hosting", "prod"});
    fleet("aws/ec2/mail-mx", kTraffic, 3, "m6i.2xlarge", hosting, eu_,
          {"hosting", "email", "prod"});
    fleet("aws/ec2/dns", kSteady, 2, "t3.large", hosting, eu_, {"hosting", "domains", "prod"});
    fleet("aws/ec2/shop-web", kTraffic, 7, "c6i.8xlarge", shop, us_,
          {"storefront", "shop-builder", "prod"});
    fleet("aws/ec2/shop-workers", kTraffic, 3, "m6i.4xlarge", shop, us_,
          {"storefront", "shop-builder", "prod"});
    fleet("aws/ec2/search-es", kSteady, 4, "r6g.4xlarge", shop, us_,
          {"search", "shop-builder", "prod"});
    fleet("aws/ec2/payments-api", kTraffic, 3, "m6i.2xlarge", payments_, us_,
          {"payments", "shop-builder", "prod"});
    fleet("aws/ec2/eks-prod-nodes", kTraffic, 8, "m6g.8xlarge", platform_, us_,
          {"platform", "", "prod"}, {{"aws:eks:cluster-name", "prod-main"}});
    fleet("aws/ec2/eks-staging-nodes", kOffice, 3, "m6g.2xlarge", platform_, us_,
          {"platform", "", "staging"}, {{"aws:eks:cluster-name", "staging-main"}});
    fleet("aws/ec2/etl", kSteady, 2, "r6i.8xlarge", data, us_, {"data", "", "prod"});
    fleet("aws/ec2/staging-web", kOffice, 3, "t3.2xlarge", staging, eu_,
          {"hosting", "web-hosting", "staging"});
    fleet("aws/ec2/staging-shop", kOffice, 3, "t3.2xlarge", staging, us_,
          {"storefront", "shop-builder", "staging"});
    for (auto [team, n] : {std::pair{"hosting", 3},
                           {"storefront", 3},
                           {"payments", 1},
                           {"search", 1},
                           {"data", 2}}) {
      fleet(fmt::format("aws/ec2/dev-{}", team), kOffice, n, "t3.large", dev, us_,
            {team, "", "dev"});
    }

    rds_ = service("Amazon Relational Database Service", "AmazonRDS");
    database("shop-db", shop, us_, "db.r6g.4xlarge", kPostgres, 3.284, 2400, true,
             {"storefront", "shop-builder", "prod"});
    const Resource* payments_db =
        database("payments-db", payments_, us_, "db.r6g.xlarge", kPostgres, 0.821, 600, true,
                 {"payments", "shop-builder", "prod"});
    database("hosting-mysql", hosting, eu_, "db.m6g.2xlarge", kMysql, 0.684, 3200, false,
             {"hosting", "web-hosting", "prod"});
    database("mail-db", hosting, eu_, "db.m6g.large", kMysql, 0.171, 400, false,
             {"hosting", "email", "prod"});
    database("staging-db", staging, us_, "db.t4g.large", kPostgres, 0.129, 300, false,
             {"storefront", "shop-builder", "staging"});
    database("dev-db", dev, us_, "db.t4g.medium", kPostgres, 0.065, 100, false,
             {"platform", "", "dev"});
    reserve(*payments_db);

    auto* s3 = service("Amazon Simple Storage Service", "AmazonS3");
    bucket(s3, "nimbus-hosting-backups", hosting, eu_, 180000, {"hosting", "web-hosting", "prod"});
    bucket(s3, "nimbus-mail-archive", hosting, eu_, 26000, {"hosting", "email", "prod"});
    bucket(s3, "nimbus-shop-media", shop, us_, 42000, {"storefront", "shop-builder", "prod"});
    bucket(s3, "nimbus-data-lake", data, us_, 120000, {"data", "", "prod"});
    bucket(s3, "nimbus-platform-logs", platform_, us_, 64000, {"platform", "", "prod"});

    cloudfront_ = service("Amazon CloudFront", "AmazonCloudFront");
    distribution("hosting-cdn", "E2QWRUHAPOMQZL", hosting, 60000,
                 {"hosting", "web-hosting", "prod"});
    distribution("shop-cdn", "E1Z8KX4WM9TQ3A", shop, 30000, {"storefront", "shop-builder", "prod"});

    auto* transfer = service("AWS Data Transfer", "AWSDataTransfer");
    const Sku* egress =
        sku("dt-out", "Data Transfer", "$0.09 per GB - data transfer out to the internet", "GB",
            0.09, {"DataTransfer-Out-Bytes", "RunInstances"});
    const Sku* inter_az =
        sku("dt-az", "Data Transfer", "$0.01 per GB - regional data transfer between AZs", "GB",
            0.01, {"DataTransfer-Regional-Bytes", "InterZone-Out"});
    for (auto [acct, gb] :
         {std::pair{hosting, 900.0}, {shop, 520.0}, {payments_, 60.0}, {platform_, 380.0}}) {
      std::string w = "aws/transfer/" + acct->name;
      meters_.push_back(account_meter(*transfer, *egress, *acct, us_, w, kTraffic, gb));
      meters_.push_back(account_meter(*transfer, *inter_az, *acct, us_, w, kTraffic, gb * 2.5));
    }

    auto* eks = service("Amazon Elastic Kubernetes Service", "AmazonEKS");
    const Sku* eks_hours = sku("eks-cluster", "Compute", "$0.10 per hour per Amazon EKS cluster",
                               "Hours", 0.10, {"AmazonEKS-Hours:perCluster", "CreateOperation"});
    for (auto [name, env] : {std::pair{"prod-main", "prod"}, {"staging-main", "staging"}}) {
      auto* cluster =
          inv_.resource("arn:aws:eks:us-east-1:526170394852:cluster/" + std::string(name), name,
                        "Cluster", platform_, us_, {"platform", "", env});
      meters_.push_back(hourly_meter(*eks, *eks_hours, *cluster));
    }

    const Sku* nat_hours = sku("nat-hours", "NAT Gateway", "$0.045 per NAT Gateway Hour", "Hours",
                               0.045, {"NatGateway-Hours", "NatGateway"});
    const Sku* nat_bytes =
        sku("nat-bytes", "NAT Gateway", "$0.045 per GB Data Processed by NAT Gateways", "GB", 0.045,
            {"NatGateway-Bytes", "NatGateway"});
    for (int i = 0; i < 3; ++i) {
      auto* nat = inv_.resource(fmt::format("nat-0{:016x}", 0x4a1f00c3e2d1b7ULL + i),
                                fmt::format("nat-prod-{}", "abc"[i]), "NAT Gateway", platform_, us_,
                                {"platform", "", "prod"});
      meters_.push_back(hourly_meter(*ec2_, *nat_hours, *nat));
      meters_.push_back(usage_meter(*ec2_, *nat_bytes, *nat, "aws/nat", kTraffic, 700));
    }

    auto* cloudwatch = service("Amazon CloudWatch", "AmazonCloudWatch");
    const Sku* ingest = sku("cw-logs", "Log Ingestion", "$0.50 per GB of custom log data ingested",
                            "GB", 0.50, {"DataProcessing-Bytes", "PutLogEvents"});
    for (auto [group, gb, acct] : {std::tuple{"/eks/prod-main", 140.0, platform_},
                                   {"/hosting/access-logs", 80.0, hosting},
                                   {"/shop/application", 50.0, shop}}) {
      auto* log_group =
          inv_.resource(fmt::format("arn:aws:logs:us-east-1:{}:log-group:{}", acct->id, group),
                        group, "Log Group", acct, us_,
                        {acct == hosting ? "hosting"
                         : acct == shop  ? "storefront"
                                         : "platform",
                         "", "prod"});
      meters_.push_back(usage_meter(*cloudwatch, *ingest, *log_group,
                                    std::string("aws/logs") + group, kTraffic, gb));
    }

    auto* route53 = service("Amazon Route 53", "AmazonRoute53");
    auto* zones = inv_.resource("arn:aws:route53:::hostedzone/customer-domains", "customer-domains",
                                "Hosted Zone", hosting, nullptr, {"hosting", "domains", "prod"});
    meters_.push_back(monthly_meter(
        *route53,
        *sku("r53-zones", "DNS Zone", "$0.50 per Hosted Zone for the first 25 Hosted Zones",
             "Hosted Zones", 0.5, {"HostedZone", ""}),
        *zones, "aws/route53/zones", kSteady, 4200));
    meters_.push_back(usage_meter(*route53,
                                  *sku("r53-queries", "DNS Query", "$0.40 per 1,000,000 queries",
                                       "1000 Queries", 0.0004, {"DNS-Queries", ""}),
                                  *zones, "aws/route53/queries", kTraffic, 120000));

    auto* ses = service("Amazon Simple Email Service", "AmazonSES");
    auto* mail = inv_.resource(
        "arn:aws:ses:eu-west-1:304958172630:identity/mail.nimbus-hosting.example",
        "mail.nimbus-hosting.example", "Identity", hosting, eu_, {"hosting", "email", "prod"});
    meters_.push_back(
        usage_meter(*ses,
                    *sku("ses-out", "Sending Email", "$0.10 per 1,000 outbound emails",
                         "1000 Messages", 0.10, {"EU-Recipients", "Send"}),
                    *mail, "aws/ses", kTraffic, 500));

    auto* bedrock = service("Amazon Bedrock", "AmazonBedrock");
    auto* model = inv_.resource(
        "arn:aws:bedrock:us-east-1:415069283741:inference-profile/product-descriptions",
        "product-descriptions", "Inference Profile", shop, us_,
        {"storefront", "shop-builder", "prod"});
    Shape launch{0.18, 0.8, 0.06};
    meters_.push_back(starting(
        usage_meter(
            *bedrock,
            *sku("bedrock-in", "Input Tokens", "$0.003 per 1,000 input tokens", "1000 Tokens",
                 0.003, {"USE1-Claude3.5Sonnet-input-tokens", "InvokeModelInference"}),
            *model, "aws/bedrock", launch, 2000),
        kBedrockLaunchDay));
    meters_.push_back(starting(
        usage_meter(
            *bedrock,
            *sku("bedrock-out", "Output Tokens", "$0.015 per 1,000 output tokens", "1000 Tokens",
                 0.015, {"USE1-Claude3.5Sonnet-output-tokens", "InvokeModelInference"}),
            *model, "aws/bedrock", launch, 600),
        kBedrockLaunchDay));

    savings_plans_ = service("Savings Plans for AWS Compute usage", "ComputeSavingsPlans");
    plan_arn_ =
        "arn:aws:savingsplans::526170394852:savingsplan/3f9a1c2e-7b4d-4e1a-9c6f-2d8e5a7b0c41";
    plan_resource_ = inv_.resource(plan_arn_, "compute-sp-2024", "Savings Plan", platform_, nullptr,
                                   {"platform", "", "prod"});
    plan_fee_ = sku("sp-fee", "Savings Plan", "Compute Savings Plan recurring fee", "Hours",
                    kCommitmentPerHour, {"ComputeSP:3yrNoUpfront", ""});
    credit_account_ = hosting;
    for (const auto& incident : company_.incidents()) {
      if (incident.workload == kRefundedWorkload) refunded_incident_ = &incident;
    }
  }

  struct Engine {
    std::string_view name, operation;
  };
  static constexpr Engine kPostgres{"PostgreSQL", "CreateDBInstance:0014"};
  static constexpr Engine kMysql{"MySQL", "CreateDBInstance:0002"};

  const SubAccount* account(std::string id, std::string name) {
    return inv_.add(SubAccount{std::move(id), std::move(name)});
  }
  const Service* service(std::string name, std::string product_code) {
    const Service* s = inv_.add(Service{std::move(name), "", ""});
    product_codes_[s] = std::move(product_code);
    return s;
  }
  const Sku* sku(const std::string& key, std::string family, std::string description,
                 std::string unit, double price, CurSku cur) {
    Rng r = company_.rng("aws/sku/" + key);
    std::string id = r.token(kSkuAlphabet, 16);
    std::string price_id = id + ".JRTCKXETXF." + r.derive("rate").token(kSkuAlphabet, 10);
    const Sku* s = inv_.add(Sku{id, price_id, std::move(family), std::move(description),
                                std::move(unit), Fixed::price(price)});
    cur_skus_[s] = std::move(cur);
    return s;
  }

  void fleet(const std::string& workload, const Shape& shape, double base,
             std::string_view type_name, const SubAccount* acct, const Region* region,
             const Owner& owner,
             std::vector<std::pair<std::string, std::string>> provider_tags = {}) {
    const InstanceType& type = instance_type(type_name);
    bool eu = region == eu_;
    double hourly = eu ? std::round(type.hourly_us * 1.115 * 10000) / 10000 : type.hourly_us;
    std::string key = fmt::format("ec2/{}/{}", type.name, region->id);
    auto [it, added] = instance_skus_.try_emplace(key, nullptr);
    if (added) {
      it->second = sku(key, "Compute Instance",
                       fmt::format("${} per On Demand Linux {} Instance Hour{}", hourly, type.name,
                                   eu ? " - EU (Ireland)" : ""),
                       "Hours", hourly,
                       {usage_prefix(region) + "BoxUsage:" + std::string(type.name),
                        "RunInstances",
                        std::string(type.name),
                        {{"vcpu", std::to_string(type.vcpu)},
                         {"memory", fmt::format("{} GiB", type.memory_gib)},
                         {"operating_system", "Linux"},
                         {"tenancy", "Shared"}}});
    }
    // Autoscaling launches the instances: AWS tags each with the role that created it.
    provider_tags.emplace_back("aws:createdBy", "AssumedRole:AROA4NIMBUSASG7EXAMPLE:AutoScaling");
    FleetSpec spec{
        workload,   shape,
        base,       ec2_,
        it->second, acct,
        region,     {region->id + "a", region->id + "b", region->id + "c"},
        owner,      std::move(provider_tags),
        "Instance", [](const std::string&, uint64_t r) { return fmt::format("i-0{:016x}", r); }};
    fleets_.emplace_back(company_, inv_, std::move(spec));
  }

  const Resource* database(const std::string& name, const SubAccount* acct, const Region* region,
                           const std::string& klass, Engine engine, double hourly,
                           double storage_gb, bool multi_az, const Owner& owner) {
    auto* db = inv_.resource(fmt::format("arn:aws:rds:{}:{}:db:{}", region->id, acct->id, name),
                             name, "DB Instance", acct, region, owner);
    std::string deployment = multi_az ? "Multi-AZ" : "Single-AZ";
    const Sku* instance =
        sku(fmt::format("rds/{}/{}/{}/{}", klass, engine.name, multi_az, region->id),
            "Database Instance",
            fmt::format("${} per {} {}{} instance hour", hourly, klass, engine.name,
                        multi_az ? " Multi-AZ" : ""),
            "Hours", hourly,
            {usage_prefix(region) + (multi_az ? "Multi-AZUsage:" : "InstanceUsage:") + klass,
             std::string(engine.operation),
             klass,
             {{"database_engine", std::string(engine.name)}, {"deployment_option", deployment}}});
    meters_.push_back(hourly_meter(*rds_, *instance, *db));
    double gb_price = multi_az ? 0.23 : 0.115;
    meters_.push_back(monthly_meter(
        *rds_,
        *sku(fmt::format("rds/storage/{}/{}", multi_az, region->id), "Database Storage",
             fmt::format("${} per GB-month of provisioned gp2 storage{}", gb_price,
                         multi_az ? " (Multi-AZ)" : ""),
             "GB-Mo", gb_price,
             {usage_prefix(region) + (multi_az ? "RDS:Multi-AZ-GP2-Storage" : "RDS:GP2-Storage"),
              "CreateDBInstance",
              "",
              {{"volume_type", "General Purpose"}, {"deployment_option", deployment}}}),
        *db, "aws/rds/" + name, kSteady, storage_gb));
    db_instance_skus_[db] = instance;
    return db;
  }

  // A 1-year partial-upfront reservation covering the database's instance hours.
  void reserve(const Resource& db) {
    reserved_db_ = &db;
    reservation_arn_ =
        fmt::format("arn:aws:rds:us-east-1:{}:ri:payments-db-1yr-partial", db.account->id);
    reservation_start_ = add_months(company_.timeline().first, kReservationMonth);
    const Sku& on_demand = *db_instance_skus_.at(&db);
    reserved_rate_code_ =
        on_demand.id + ".38NPMPTW36." + company_.rng("aws/ri/rate").token(kSkuAlphabet, 10);
  }

  void bucket(const Service* s3, const std::string& name, const SubAccount* acct,
              const Region* region, double gb, const Owner& owner) {
    // S3 lines name the bucket itself, not its ARN.
    auto* b = inv_.resource(name, name, "Bucket", acct, region, owner);
    std::string p = usage_prefix(region);
    meters_.push_back(monthly_meter(*s3,
                                    *sku("s3/storage/" + region->id, "Storage",
                                         "$0.023 per GB - first 50 TB / month of storage used",
                                         "GB-Mo", region == eu_ ? 0.024 : 0.023,
                                         {p + "TimedStorage-ByteHrs",
                                          "StandardStorage",
                                          "",
                                          {{"storage_class", "General Purpose"}}}),
                                    *b, "aws/s3/" + name, kSteady, gb));
    meters_.push_back(usage_meter(*s3,
                                  *sku("s3/requests/" + region->id, "API Request",
                                       "$0.005 per 1,000 PUT, COPY, POST, or LIST requests",
                                       "1000 Requests", 0.005, {p + "Requests-Tier1", "PutObject"}),
                                  *b, "aws/s3/" + name + "/requests", kTraffic, gb / 40));
  }

  void distribution(const std::string& name, const std::string& id, const SubAccount* acct,
                    double gb_per_month, const Owner& owner) {
    auto* d = inv_.resource(fmt::format("arn:aws:cloudfront::{}:distribution/{}", acct->id, id),
                            name, "Distribution", acct, nullptr, owner);
    std::string workload = "aws/cloudfront/" + name;
    meters_.push_back(usage_meter(
        *cloudfront_,
        *sku("cf-out", "Data Transfer", "$0.085 per GB - first 10 TB / month data transfer out",
             "GB", 0.085, {"US-DataTransfer-Out-Bytes", "GET"}),
        *d, workload, kTraffic, gb_per_month / 30));
    meters_.push_back(usage_meter(*cloudfront_,
                                  *sku("cf-https", "Request", "$0.0100 per 10,000 HTTPS requests",
                                       "10000 Requests", 0.01, {"US-Requests-Tier2-HTTPS", "GET"}),
                                  *d, workload, kTraffic, gb_per_month / 30 * 2));
  }

  // --- CUR lines ---------------------------------------------------------------------------

  void set_account(CurLine& l, const SubAccount& a) const {
    l.account_id = a.id;
    l.account_name = a.name;
  }
  void set_product(CurLine& l, const Service& s) const {
    l.product_code = product_codes_.at(&s);
    l.product_name = s.name;
  }
  void set_savings_plan(CurLine& l) const {
    l.savings_plan_arn = plan_arn_;
    l.savings_plan_offering_type = "ComputeSavingsPlans";
    l.savings_plan_payment_option = "No Upfront";
    l.savings_plan_purchase_term = "3yr";
  }
  void set_reservation(CurLine& l) const {
    l.reservation_arn = reservation_arn_;
    l.pricing_term = "Reserved";
    l.purchase_option = "Partial Upfront";
  }

  // An on-demand usage line for a charge priced by usage_charge().
  CurLine usage_line(const Charge& c) const {
    const CurSku& s = cur_skus_.at(c.sku);
    CurLine l;
    l.start = c.start;
    l.end = c.end;
    set_account(l, *c.account);
    set_product(l, *c.service);
    l.product_family = c.sku->meter;
    l.usage_type = s.usage_type;
    l.operation = s.operation;
    l.instance_type = s.instance_type;
    l.product_attributes = s.attributes;
    if (c.region) {
      l.region_code = c.region->id;
      l.location = c.region->name;
    }
    if (c.resource) {
      l.availability_zone = c.resource->zone;
      l.resource_id = c.resource->id;
      l.tags = cur_tags(*c.resource);
    }
    l.usage_amount = c.quantity;
    l.pricing_unit = c.sku->unit;
    l.unblended_rate = c.contracted_unit_price;
    l.unblended_cost = c.contracted;
    l.public_on_demand_rate = c.list_unit_price;
    l.public_on_demand_cost = c.list;
    l.description = c.description;
    l.sku = c.sku->id;
    l.rate_code = c.sku->price_id;
    l.pricing_term = "OnDemand";
    return l;
  }

  // A line without usage (tax, credit, refund) of `amount` over [start, end).
  CurLine money_line(std::string type, const SubAccount& a, const Service& s, Day start, Day end,
                     Fixed amount, std::string description) const {
    CurLine l;
    l.line_item_type = std::move(type);
    l.start = start;
    l.end = end;
    set_account(l, a);
    set_product(l, s);
    l.unblended_cost = amount;
    l.description = std::move(description);
    return l;
  }

  void emit(const CurLine& line, Day posted) {
    export_.add(line, posted);
    taxable(line) += line.unblended_cost;
  }

  // Billed cost of the month so far by (account id, product code): the basis of its tax. Keyed
  // by names, not pointers, so the tax lines come out in the same order on every run.
  Fixed& taxable(const CurLine& line) {
    Taxable& t = month_billed_[{line.account_id, line.product_code}];
    t.account_name = line.account_name;
    t.product_name = line.product_name;
    return t.billed;
  }

  void emit_day(Day day) {
    if (day == month_start(day)) emit_month_start(day);
    for (const auto& m : meters_) {
      auto c = meter_charge(company_, m, day, kPrivatePricing);
      if (!c) continue;
      if (m.resource == reserved_db_ && c->sku == db_instance_skus_.at(reserved_db_) &&
          day >= reservation_start_) {
        emit(reserved_usage(*c), day);
        continue;
      }
      if (refunded_incident_ && m.workload == refunded_incident_->workload && in_incident(day))
        incident_billed_ += c->contracted;
      emit(usage_line(*c), day);
    }
    // The Savings Plan covers instance hours, in fleet order, up to the day's commitment: the
    // covered hours bill on demand and a negation line cancels that; what it does not cover is
    // billed on demand; the day's fee line says how much of the commitment was used.
    Fixed commitment = Fixed::quantity(kCommitmentPerHour * 24);
    Fixed used;
    for (auto& f : fleets_) {
      for (const auto& run : f.running(day)) {
        Charge c = usage_charge(*ec2_, *f.spec().sku, Placement::of(*run.resource), day, run.hours,
                                kPrivatePricing);
        CurLine line = usage_line(c);
        Fixed rate = Fixed::price(c.list_unit_price->to_double() * kSavingsPlanRate);
        Fixed covered = rate * run.hours;
        if (used + covered <= commitment) {
          used += covered;
          line.line_item_type = "SavingsPlanCoveredUsage";
          set_savings_plan(line);
          line.savings_plan_rate = rate;
          line.savings_plan_effective_cost = covered;
          emit(line, day);
          emit(negation(line), day);
        } else {
          emit(line, day);
        }
        emit(usage_line(ebs_volume(run, day)), day);
      }
    }
    emit(savings_plan_fee(day, commitment, used), day);
  }

  CurLine negation(const CurLine& covered) const {
    CurLine n = covered;
    n.line_item_type = "SavingsPlanNegation";
    n.unblended_rate = -*covered.unblended_rate;
    n.unblended_cost = -covered.unblended_cost;
    n.public_on_demand_rate.reset();
    n.public_on_demand_cost.reset();
    n.savings_plan_rate.reset();
    n.savings_plan_effective_cost.reset();
    n.description = fmt::format("SavingsPlanNegation used by AccountId : {} and UsageSku : {}",
                                covered.account_id, covered.sku);
    return n;
  }

  CurLine savings_plan_fee(Day day, Fixed commitment, Fixed used) const {
    Charge c = usage_charge(*savings_plans_, *plan_fee_, Placement::of(*plan_resource_), day,
                            Fixed::quantity(24), 0);
    CurLine fee = usage_line(c);
    fee.line_item_type = "SavingsPlanRecurringFee";
    fee.pricing_term = "";  // its public price is the commitment itself (list = billed)
    fee.description =
        fmt::format("3 year No Upfront Compute Savings Plan with {} USD hourly commitment",
                    Fixed::price(kCommitmentPerHour).text());
    set_savings_plan(fee);
    fee.total_commitment_to_date = commitment;
    fee.used_commitment = used;
    return fee;
  }

  CurLine reserved_usage(const Charge& on_demand) const {
    CurLine l = usage_line(on_demand);
    l.line_item_type = "DiscountedUsage";
    set_reservation(l);
    l.rate_code = reserved_rate_code_;
    l.unblended_rate = Fixed();
    l.unblended_cost = Fixed();  // the reservation's fees bill it
    Fixed hours = *on_demand.quantity;
    l.reservation_recurring_fee_for_usage = Fixed::price(kReservedFeePerHour) * hours;
    l.reservation_amortized_upfront_cost_for_usage = Fixed::price(kReservedUpfrontPerHour) * hours;
    l.reservation_effective_cost =
        *l.reservation_recurring_fee_for_usage + *l.reservation_amortized_upfront_cost_for_usage;
    return l;
  }

  Charge ebs_volume(const RunningInstance& run, Day day) {
    auto [it, added] = volumes_.try_emplace(run.resource->id, nullptr);
    if (added) {
      Resource v = *run.resource;
      v.id = "vol-" + run.resource->id.substr(2);
      v.type = "Volume";
      v.name = run.resource->name + "-root";
      it->second = inv_.add(std::move(v));
    }
    bool eu = run.resource->region == eu_;
    double days = days_in_month(day);
    // 200 GB per instance, for the hours it existed.
    Fixed gb_months = Fixed::quantity(200.0 * run.hours.to_double() / 24 / days);
    return usage_charge(*ec2_, eu ? *gp3_eu_ : *gp3_us_, Placement::of(*it->second), day, gb_months,
                        kPrivatePricing);
  }

  bool in_incident(Day day) const {
    int index = company_.timeline().day_index(day);
    return index >= refunded_incident_->first_day &&
           index < refunded_incident_->first_day + refunded_incident_->days;
  }

  // Lines AWS posts early in a month: the reservation's fees, the credit, the refund.
  void emit_month_start(Day month) {
    const Timeline& t = company_.timeline();
    if (month >= reservation_start_ && month < add_months(reservation_start_, kReservationMonths)) {
      emit_reservation_fees(month);
    }
    if (month == add_months(t.first, kCreditMonth)) {
      emit(money_line("Credit", *credit_account_, *ec2_, month, next_month_start(month),
                      Fixed::cents(-2500), "AWS Migration Acceleration Program credit"),
           month + std::chrono::days(2));
    }
    if (refunded_incident_) {
      Day first = t.first + std::chrono::days(refunded_incident_->first_day);
      if (month == next_month_start(first)) {
        // The excess over normal traffic, which support agreed to refund.
        Fixed amount =
            Fixed::cents(incident_billed_.to_double() * (1 - 1 / refunded_incident_->factor));
        CurLine refund =
            money_line("Refund", *credit_account_, *cloudfront_, first,
                       first + std::chrono::days(refunded_incident_->days), -amount,
                       "Refund for CloudFront data transfer of bot traffic (case 17204933651)");
        emit(refund, month + std::chrono::days(8));
      }
    }
  }

  // The reservation bills its recurring fee for the whole month on the first day (and the upfront
  // fee in its first month); what it has not covered yet is unused, recomputed on every refresh.
  void emit_reservation_fees(Day month) {
    const Sku& on_demand = *db_instance_skus_.at(reserved_db_);
    Fixed hours = Fixed::quantity(24.0 * days_in_month(month));
    Fixed upfront_rate = Fixed::price(kReservedUpfrontPerHour);
    Fixed fee_rate = Fixed::price(kReservedFeePerHour);
    CurLine fee;
    fee.line_item_type = "RIFee";
    fee.start = month;
    fee.end = next_month_start(month);
    set_account(fee, *reserved_db_->account);
    set_product(fee, *rds_);
    fee.product_family = "Database Instance";
    fee.usage_type = "HeavyUsage:" + cur_skus_.at(&on_demand).instance_type;
    fee.operation = cur_skus_.at(&on_demand).operation;
    fee.region_code = reserved_db_->region->id;
    fee.location = reserved_db_->region->name;
    fee.usage_amount = hours;
    fee.pricing_unit = "Hours";
    fee.unblended_rate = fee_rate;
    fee.unblended_cost = fee_rate * hours;
    fee.public_on_demand_rate = fee.unblended_rate;  // the reservation's published price
    fee.public_on_demand_cost = fee.unblended_cost;
    fee.description = fmt::format("USD {} hourly fee per PostgreSQL, {} Multi-AZ instance",
                                  fee_rate.text(), cur_skus_.at(&on_demand).instance_type);
    fee.sku = on_demand.id;
    fee.rate_code = reserved_rate_code_;
    set_reservation(fee);
    fee.reservation_amortized_upfront_fee_for_billing_period = upfront_rate * hours;
    for (Day through : export_.delivery_days(month)) {
      Fixed unused =
          hours - Fixed::quantity(24.0 * static_cast<double>((through - month).count() + 1));
      CurLine refreshed = fee;
      refreshed.reservation_unused_amortized_upfront_fee_for_billing_period = upfront_rate * unused;
      refreshed.reservation_unused_recurring_fee = fee_rate * unused;
      export_.add_to_delivery(refreshed, through);
    }
    taxable(fee) += fee.unblended_cost;

    if (month == reservation_start_) {
      CurLine upfront = fee;
      upfront.line_item_type = "Fee";
      upfront.end = month + std::chrono::days(1);
      upfront.usage_amount = Fixed::quantity(1);
      upfront.pricing_unit = "Quantity";
      upfront.unblended_rate = upfront.unblended_cost =
          upfront_rate * Fixed::quantity(kHoursPerYear);
      upfront.public_on_demand_rate = upfront.public_on_demand_cost = upfront.unblended_cost;
      upfront.reservation_amortized_upfront_fee_for_billing_period.reset();
      upfront.description = "Sign up charge for subscription: 2231873, planId: 4312903";
      emit(upfront, month);
    }
  }

  void emit_month(Day month) {
    if (company_.timeline().complete(month)) {
      Day last = next_month_start(month) - std::chrono::days(1);
      for (const auto& [key, t] : month_billed_) {
        Fixed tax = Fixed::cents(t.billed.to_double() * kSalesTax);
        if (tax.is_zero()) continue;
        CurLine line;
        line.line_item_type = "Tax";
        line.start = month;
        line.end = next_month_start(month);
        line.account_id = key.first;
        line.account_name = t.account_name;
        line.product_code = key.second;
        line.product_name = t.product_name;
        line.unblended_cost = tax;
        line.tax_type = "USSalesTax";
        line.description = "Tax of type USSalesTax for product code " + key.second;
        export_.add(line, last);
      }
    }
    month_billed_.clear();
  }

  const Company& company_;
  Inventory inv_{company_};
  CurExport export_;
  const Region *us_ = nullptr, *eu_ = nullptr;
  const SubAccount *platform_ = nullptr, *payments_ = nullptr, *credit_account_ = nullptr;
  const Service *ec2_ = nullptr, *rds_ = nullptr, *cloudfront_ = nullptr, *savings_plans_ = nullptr;
  const Sku *gp3_us_ = nullptr, *gp3_eu_ = nullptr, *plan_fee_ = nullptr;
  std::string plan_arn_;
  const Resource* plan_resource_ = nullptr;
  std::map<const Service*, std::string> product_codes_;
  std::map<const Sku*, CurSku> cur_skus_;
  std::vector<Meter> meters_;
  std::deque<Fleet> fleets_;
  std::map<std::string, const Sku*> instance_skus_;
  std::map<std::string, const Resource*> volumes_;
  std::map<const Resource*, const Sku*> db_instance_skus_;
  const Resource* reserved_db_ = nullptr;
  std::string reservation_arn_, reserved_rate_code_;
  Day reservation_start_;
  const Incident* refunded_incident_ = nullptr;
  Fixed incident_billed_;
  struct Taxable {
    std::string account_name, product_name;
    Fixed billed;
  };
  std::map<std::pair<std::string, std::string>, Taxable> month_billed_;
};

}  // namespace

std::vector<GeneratedFile> generate_aws(const Company& company, std::string_view folder) {
  return AwsDemo(company, folder).generate();
}

}  // namespace billingfoot::app::demo
