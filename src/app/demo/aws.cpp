// AWS, the company's largest bill: seven linked accounts under one payer, EC2 fleets covered
// by a Compute Savings Plan, RDS, S3, CloudFront, EKS, networking, and monthly sales tax.
#include <fmt/format.h>

#include <map>

#include "app/demo/inventory.hpp"
#include "app/demo/providers.hpp"

namespace billingfoot::app::demo {

namespace {

constexpr double kPrivatePricing = 0.04;   // negotiated discount on every list price
constexpr double kSavingsPlanRate = 0.72;  // Savings Plan price relative to the list price
constexpr double kCommitmentPerHour = 30.0;
constexpr double kSalesTax = 0.0725;
constexpr int kBedrockLaunchDay = 205;  // the storefront's AI product descriptions go live
constexpr int kCreditMonth = 6;         // a migration credit lands in this month of the history

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

class AwsDemo {
 public:
  AwsDemo(const Company& company, std::string_view folder)
      : company_(company),
        export_({"AWS", "Amazon Web Services, Inc.", "Amazon Web Services, Inc.", "618273645091",
                 "Nimbus Hosting Ltd", "Payer Account", "Linked Account", "AWS-"},
                std::string(folder), "aws-focus", company.timeline()) {
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
    auto* payments = account("471829305716", "nimbus-payments-prod");
    platform_ = account("526170394852", "nimbus-platform");
    auto* data = account("637281405963", "nimbus-data");
    auto* staging = account("748392516074", "nimbus-staging");
    auto* dev = account("859403627185", "nimbus-dev");

    ec2_ = service("Amazon Elastic Compute Cloud", "Compute", "Virtual Machines");
    ebs_ = service("Amazon Elastic Block Store", "Storage", "Block Storage");
    gp3_us_ = sku("ebs-gp3-us", "Storage",
                  "$0.08 per GB-month of General Purpose (gp3) provisioned storage", "GB-Mo", 0.08);
    gp3_eu_ = sku("ebs-gp3-eu", "Storage",
                  "$0.088 per GB-month of General Purpose (gp3) provisioned storage - EU (Ireland)",
                  "GB-Mo", 0.088);

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
    fleet("aws/ec2/payments-api", kTraffic, 3, "m6i.2xlarge", payments, us_,
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

    auto* rds = service("Amazon Relational Database Service", "Databases", "Relational Databases");
    database(rds, "shop-db", shop, us_, "db.r6g.4xlarge", "PostgreSQL Multi-AZ", 3.284, 2400, true,
             {"storefront", "shop-builder", "prod"});
    database(rds, "payments-db", payments, us_, "db.r6g.xlarge", "PostgreSQL Multi-AZ", 0.821, 600,
             true, {"payments", "shop-builder", "prod"});
    database(rds, "hosting-mysql", hosting, eu_, "db.m6g.2xlarge", "MySQL", 0.684, 3200, false,
             {"hosting", "web-hosting", "prod"});
    database(rds, "mail-db", hosting, eu_, "db.m6g.large", "MySQL", 0.171, 400, false,
             {"hosting", "email", "prod"});
    database(rds, "staging-db", staging, us_, "db.t4g.large", "PostgreSQL", 0.129, 300, false,
             {"storefront", "shop-builder", "staging"});
    database(rds, "dev-db", dev, us_, "db.t4g.medium", "PostgreSQL", 0.065, 100, false,
             {"platform", "", "dev"});

    auto* s3 = service("Amazon Simple Storage Service", "Storage", "Object Storage");
    bucket(s3, "nimbus-hosting-backups", hosting, eu_, 180000, {"hosting", "web-hosting", "prod"});
    bucket(s3, "nimbus-mail-archive", hosting, eu_, 26000, {"hosting", "email", "prod"});
    bucket(s3, "nimbus-shop-media", shop, us_, 42000, {"storefront", "shop-builder", "prod"});
    bucket(s3, "nimbus-data-lake", data, us_, 120000, {"data", "", "prod"});
    bucket(s3, "nimbus-platform-logs", platform_, us_, 64000, {"platform", "", "prod"});

    auto* cloudfront = service("Amazon CloudFront", "Networking", "Content Delivery");
    distribution(cloudfront, "hosting-cdn", "E2QWRUHAPOMQZL", hosting, 60000,
                 {"hosting", "web-hosting", "prod"});
    distribution(cloudfront, "shop-cdn", "E1Z8KX4WM9TQ3A", shop, 30000,
                 {"storefront", "shop-builder", "prod"});

    auto* transfer = service("AWS Data Transfer", "Networking", "Network Connectivity");
    const Sku* egress = sku("dt-out", "Data Transfer",
                            "$0.09 per GB - data transfer out to the internet", "GB", 0.09);
    const Sku* inter_az = sku("dt-az", "Data Transfer",
                              "$0.01 per GB - regional data transfer between AZs", "GB", 0.01);
    for (auto [acct, gb] :
         {std::pair{hosting, 900.0}, {shop, 520.0}, {payments, 60.0}, {platform_, 380.0}}) {
      std::string w = "aws/transfer/" + acct->name;
      meters_.push_back(account_meter(*transfer, *egress, *acct, us_, w, kTraffic, gb));
      meters_.push_back(account_meter(*transfer, *inter_az, *acct, us_, w, kTraffic, gb * 2.5));
    }

    auto* eks = service("Amazon Elastic Kubernetes Service", "Compute", "Containers");
    const Sku* eks_hours =
        sku("eks-cluster", "Compute", "$0.10 per hour per Amazon EKS cluster", "Hours", 0.10);
    for (auto [name, env] : {std::pair{"prod-main", "prod"}, {"staging-main", "staging"}}) {
      auto* cluster =
          inv_.resource("arn:aws:eks:us-east-1:526170394852:cluster/" + std::string(name), name,
                        "Cluster", platform_, us_, {"platform", "", env});
      meters_.push_back(hourly_meter(*eks, *eks_hours, *cluster));
    }

    auto* vpc = service("Amazon Virtual Private Cloud", "Networking", "Network Infrastructure");
    const Sku* nat_hours =
        sku("nat-hours", "NAT Gateway", "$0.045 per NAT Gateway Hour", "Hours", 0.045);
    const Sku* nat_bytes = sku("nat-bytes", "NAT Gateway",
                               "$0.045 per GB Data Processed by NAT Gateways", "GB", 0.045);
    for (int i = 0; i < 3; ++i) {
      auto* nat = inv_.resource(fmt::format("nat-0{:016x}", 0x4a1f00c3e2d1b7ULL + i),
                                fmt::format("nat-prod-{}", "abc"[i]), "NAT Gateway", platform_, us_,
                                {"platform", "", "prod"});
      meters_.push_back(hourly_meter(*vpc, *nat_hours, *nat));
      meters_.push_back(usage_meter(*vpc, *nat_bytes, *nat, "aws/nat", kTraffic, 700));
    }

    auto* cloudwatch = service("Amazon CloudWatch", "Management and Governance", "Observability");
    const Sku* ingest =
        sku("cw-logs", "Log Ingestion", "$0.50 per GB of custom log data ingested", "GB", 0.50);
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

    auto* route53 = service("Amazon Route 53", "Networking", "Network Routing");
    auto* zones = inv_.resource("arn:aws:route53:::hostedzone/customer-domains", "customer-domains",
                                "Hosted Zone", hosting, nullptr, {"hosting", "domains", "prod"});
    meters_.push_back(monthly_meter(
        *route53,
        *sku("r53-zones", "DNS Zone", "$0.50 per Hosted Zone for the first 25 Hosted Zones",
             "Hosted Zones", 0.5),
        *zones, "aws/route53/zones", kSteady, 4200));
    meters_.push_back(usage_meter(
        *route53,
        *sku("r53-queries", "DNS Query", "$0.40 per 1,000,000 queries", "1000 Queries", 0.0004),
        *zones, "aws/route53/queries", kTraffic, 120000));

    auto* ses = service("Amazon Simple Email Service", "Integration", "Messaging");
    auto* mail = inv_.resource(
        "arn:aws:ses:eu-west-1:304958172630:identity/mail.nimbus-hosting.example",
        "mail.nimbus-hosting.example", "Identity", hosting, eu_, {"hosting", "email", "prod"});
    meters_.push_back(usage_meter(
        *ses,
        *sku("ses-out", "Sending Email", "$0.10 per 1,000 outbound emails", "1000 Messages", 0.10),
        *mail, "aws/ses", kTraffic, 500));

    auto* bedrock = service("Amazon Bedrock", "AI and Machine Learning", "Generative AI");
    auto* model = inv_.resource(
        "arn:aws:bedrock:us-east-1:415069283741:inference-profile/product-descriptions",
        "product-descriptions", "Inference Profile", shop, us_,
        {"storefront", "shop-builder", "prod"});
    Shape launch{0.18, 0.8, 0.06};
    meters_.push_back(
        starting(usage_meter(*bedrock,
                             *sku("bedrock-in", "Input Tokens", "$0.003 per 1,000 input tokens",
                                  "1000 Tokens", 0.003),
                             *model, "aws/bedrock", launch, 2000),
                 kBedrockLaunchDay));
    meters_.push_back(
        starting(usage_meter(*bedrock,
                             *sku("bedrock-out", "Output Tokens", "$0.015 per 1,000 output tokens",
                                  "1000 Tokens", 0.015),
                             *model, "aws/bedrock", launch, 600),
                 kBedrockLaunchDay));

    savings_plans_ = service("Savings Plans for AWS Compute usage", "Compute", "Other (Compute)");
    std::string arn =
        "arn:aws:savingsplans::526170394852:savingsplan/3f9a1c2e-7b4d-4e1a-9c6f-2d8e5a7b0c41";
    plan_ = inv_.add(Commitment{arn, "Compute Savings Plan, 3 years, no upfront", "Savings Plan",
                                "Spend", "USD"});
    plan_resource_ = inv_.resource(arn, "compute-sp-2024", "Savings Plan", platform_, nullptr,
                                   {"platform", "", "prod"});
    plan_fee_ = sku("sp-fee", "Savings Plan", "Compute Savings Plan recurring fee", "Hours",
                    kCommitmentPerHour);
    plan_unused_ =
        sku("sp-unused", "Savings Plan", "Unused Compute Savings Plan commitment", "USD", 1);
    credit_account_ = hosting;
  }

  const SubAccount* account(std::string id, std::string name) {
    return inv_.add(SubAccount{std::move(id), std::move(name)});
  }
  const Service* service(std::string name, std::string category, std::string subcategory) {
    return inv_.add(Service{std::move(name), std::move(category), std::move(subcategory)});
  }
  const Sku* sku(const std::string& key, std::string meter, std::string description,
                 std::string unit, double price, std::string details = "") {
    Rng r = company_.rng("aws/sku/" + key);
    std::string id = r.token(kSkuAlphabet, 16);
    std::string price_id = id + ".JRTCKXETXF." + r.derive("rate").token(kSkuAlphabet, 10);
    return inv_.add(Sku{id, price_id, std::move(meter), std::move(description), std::move(unit),
                        Fixed::price(price), std::move(details)});
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
      it->second = sku(
          key, "Compute Instance",
          fmt::format("${} per On Demand Linux {} Instance Hour{}", hourly, type.name,
                      eu ? " - EU (Ireland)" : ""),
          "Hours", hourly,
          fmt::format(
              R"({{"InstanceType":"{}","CoreCount":{},"MemorySize":{},"OperatingSystem":"Linux"}})",
              type.name, type.vcpu, type.memory_gib));
    }
    FleetSpec spec{
        workload,   shape,
        base,       ec2_,
        it->second, acct,
        region,     {region->id + "a", region->id + "b", region->id + "c"},
        owner,      std::move(provider_tags),
        "Instance", [](const std::string&, uint64_t r) { return fmt::format("i-0{:016x}", r); }};
    fleets_.emplace_back(company_, inv_, std::move(spec));
  }

  void database(const Service* rds, const std::string& name, const SubAccount* acct,
                const Region* region, const std::string& klass, const std::string& engine,
                double hourly, double storage_gb, bool multi_az, const Owner& owner) {
    auto* db = inv_.resource(fmt::format("arn:aws:rds:{}:{}:db:{}", region->id, acct->id, name),
                             name, "DB Instance", acct, region, owner);
    meters_.push_back(hourly_meter(
        *rds,
        *sku("rds/" + klass + engine + region->id, "Database Instance",
             fmt::format("${} per {} {} instance hour", hourly, klass, engine), "Hours", hourly),
        *db));
    double gb_price = multi_az ? 0.23 : 0.115;
    meters_.push_back(monthly_meter(
        *rds,
        *sku(fmt::format("rds/storage/{}/{}", multi_az, region->id), "Database Storage",
             fmt::format("${} per GB-month of provisioned gp2 storage{}", gb_price,
                         multi_az ? " (Multi-AZ)" : ""),
             "GB-Mo", gb_price),
        *db, "aws/rds/" + name, kSteady, storage_gb));
  }

  void bucket(const Service* s3, const std::string& name, const SubAccount* acct,
              const Region* region, double gb, const Owner& owner) {
    auto* b = inv_.resource("arn:aws:s3:::" + name, name, "Bucket", acct, region, owner);
    meters_.push_back(monthly_meter(*s3,
                                    *sku("s3/storage/" + region->id, "Storage",
                                         "$0.023 per GB - first 50 TB / month of storage used",
                                         "GB-Mo", region == eu_ ? 0.024 : 0.023),
                                    *b, "aws/s3/" + name, kSteady, gb));
    meters_.push_back(usage_meter(
        *s3,
        *sku("s3/requests/" + region->id, "API Request",
             "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", "1000 Requests", 0.005),
        *b, "aws/s3/" + name + "/requests", kTraffic, gb / 40));
  }

  void distribution(const Service* cloudfront, const std::string& name, const std::string& id,
                    const SubAccount* acct, double gb_per_month, const Owner& owner) {
    auto* d = inv_.resource(fmt::format("arn:aws:cloudfront::{}:distribution/{}", acct->id, id),
                            name, "Distribution", acct, nullptr, owner);
    std::string workload = "aws/cloudfront/" + name;
    meters_.push_back(
        usage_meter(*cloudfront,
                    *sku("cf-out", "Data Transfer",
                         "$0.085 per GB - first 10 TB / month data transfer out", "GB", 0.085),
                    *d, workload, kTraffic, gb_per_month / 30));
    meters_.push_back(usage_meter(
        *cloudfront,
        *sku("cf-https", "Request", "$0.0100 per 10,000 HTTPS requests", "10000 Requests", 0.01),
        *d, workload, kTraffic, gb_per_month / 30 * 2));
  }

  // --- charges -----------------------------------------------------------------------------

  void emit(const Charge& c) {
    export_.add(c);
    Taxable& t = month_billed_[{c.account->id, c.service->name}];
    t.account = c.account;
    t.service = c.service;
    t.billed += c.billed;
  }

  void emit_day(Day day) {
    for (const auto& m : meters_) {
      if (auto c = meter_charge(company_, m, day, kPrivatePricing)) emit(*c);
    }
    // The Savings Plan covers instance hours, in fleet order, up to the day's commitment; what
    // it does not cover is billed on demand, what is left of the commitment is an Unused row.
    Fixed commitment = Fixed::quantity(kCommitmentPerHour * 24);
    Fixed used;
    for (auto& f : fleets_) {
      for (const auto& run : f.running(day)) {
        Charge c = usage_charge(*ec2_, *f.spec().sku, Placement::of(*run.resource), day, run.hours,
                                kPrivatePricing);
        Fixed covered = Fixed::price(c.list_unit_price->to_double() * kSavingsPlanRate) * run.hours;
        if (used + covered <= commitment) {
          used += covered;
          c.pricing_category = "Committed";
          c.billed = Fixed();
          c.effective = covered;
          c.commitment = plan_;
          c.commitment_status = "Used";
          c.commitment_quantity = covered;
        }
        emit(c);
        emit(ebs_volume(run, day));
      }
    }
    if (used < commitment) emit(unused_commitment(day, commitment - used));
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
    return usage_charge(*ebs_, eu ? *gp3_eu_ : *gp3_us_, Placement::of(*it->second), day, gb_months,
                        kPrivatePricing);
  }

  Charge unused_commitment(Day day, Fixed amount) {
    Charge c = usage_charge(*savings_plans_, *plan_unused_, Placement::of(*plan_resource_), day,
                            amount, 0);
    c.frequency = "Recurring";
    c.pricing_category = "Committed";
    c.consumed = false;
    c.billed = Fixed();
    c.commitment = plan_;
    c.commitment_status = "Unused";
    c.commitment_quantity = amount;
    return c;
  }

  void emit_month(Day month) {
    const Timeline& t = company_.timeline();
    Day end = t.data_end(month);
    // The plan's fee for the month (to date): billed here, amortized over the covered usage.
    Fixed hours = Fixed::quantity(static_cast<double>((end - month).count()) * 24);
    Charge fee =
        usage_charge(*savings_plans_, *plan_fee_, Placement::of(*plan_resource_), month, hours, 0);
    fee.end = end;
    fee.category = "Purchase";
    fee.frequency = "Recurring";
    fee.consumed = false;
    fee.effective = Fixed();
    fee.commitment = plan_;
    fee.commitment_quantity = fee.billed;
    emit(fee);

    if (month == add_months(t.first, kCreditMonth)) {
      emit(flat_charge("Credit", "AWS Migration Acceleration Program credit", *ec2_,
                       *credit_account_, month, end, Fixed::cents(-2500)));
    }
    if (t.complete(month)) {
      for (const auto& [key, taxable] : month_billed_) {
        Charge tax =
            tax_charge(*taxable.service, *taxable.account, month, end, taxable.billed, kSalesTax);
        if (!tax.billed.is_zero()) export_.add(tax);
      }
    }
    month_billed_.clear();
  }

  const Company& company_;
  Inventory inv_{company_};
  FocusCsvExport export_;
  const Region *us_ = nullptr, *eu_ = nullptr;
  const SubAccount* platform_ = nullptr;
  const Service *ec2_ = nullptr, *ebs_ = nullptr, *savings_plans_ = nullptr;
  const SubAccount* credit_account_ = nullptr;
  const Sku *gp3_us_ = nullptr, *gp3_eu_ = nullptr, *plan_fee_ = nullptr, *plan_unused_ = nullptr;
  const Commitment* plan_ = nullptr;
  const Resource* plan_resource_ = nullptr;
  std::vector<Meter> meters_;
  std::deque<Fleet> fleets_;
  std::map<std::string, const Sku*> instance_skus_;
  std::map<std::string, const Resource*> volumes_;
  // Billed cost of the month so far by (account id, service name): the basis of its tax. Keyed
  // by names, not pointers, so the tax rows come out in the same order on every run.
  struct Taxable {
    const SubAccount* account = nullptr;
    const Service* service = nullptr;
    Fixed billed;
  };
  std::map<std::pair<std::string, std::string>, Taxable> month_billed_;
};

}  // namespace

std::vector<GeneratedFile> generate_aws(const Company& company, std::string_view folder) {
  return AwsDemo(company, folder).generate();
}

}  // namespace billingfoot::app::demo
