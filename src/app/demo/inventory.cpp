#include "app/demo/inventory.hpp"

#include <fmt/format.h>

#include <cmath>

namespace billingfoot::app::demo {

const Resource* Inventory::resource(
    std::string id, std::string name, std::string type, const SubAccount* account,
    const Region* region, const Owner& owner,
    const std::vector<std::pair<std::string, std::string>>& provider_tags) {
  std::string tags = company_.tags(id, owner, provider_tags);
  return add(Resource{std::move(id), std::move(name), std::move(type), account, region, "",
                      std::move(tags)});
}

Meter usage_meter(const Service& service, const Sku& sku, const Resource& resource,
                  std::string workload, Shape shape, double per_day) {
  return {.service = &service,
          .sku = &sku,
          .resource = &resource,
          .workload = std::move(workload),
          .shape = shape,
          .per_day = per_day};
}

Meter monthly_meter(const Service& service, const Sku& sku, const Resource& resource,
                    std::string workload, Shape shape, double quantity) {
  Meter m = usage_meter(service, sku, resource, std::move(workload), shape, quantity);
  m.per_month = true;
  return m;
}

Meter hourly_meter(const Service& service, const Sku& sku, const Resource& resource, double units) {
  return {.service = &service, .sku = &sku, .resource = &resource, .per_day = 24 * units};
}

Meter account_meter(const Service& service, const Sku& sku, const SubAccount& account,
                    const Region* region, std::string workload, Shape shape, double per_day) {
  return {.service = &service,
          .sku = &sku,
          .account = &account,
          .region = region,
          .workload = std::move(workload),
          .shape = shape,
          .per_day = per_day};
}

Meter starting(Meter meter, int first_day) {
  meter.first_day = first_day;
  return meter;
}

Fixed meter_quantity(const Company& company, const Meter& meter, Day day) {
  if (company.timeline().day_index(day) < meter.first_day) return Fixed();
  double q = meter.per_day;
  if (!meter.workload.empty()) q *= company.activity(meter.workload, meter.shape, day);
  if (meter.per_month) q /= days_in_month(day);
  return Fixed::quantity(q);
}

std::optional<Charge> meter_charge(const Company& company, const Meter& meter, Day day,
                                   double discount) {
  Fixed quantity = meter_quantity(company, meter, day);
  if (quantity.is_zero()) return std::nullopt;
  Placement where = meter.resource ? Placement::of(*meter.resource)
                                   : Placement{meter.account, meter.region, nullptr};
  return usage_charge(*meter.service, *meter.sku, where, day, quantity, discount);
}

Fleet::Fleet(const Company& company, Inventory& inventory, FleetSpec spec)
    : company_(company), inventory_(inventory), spec_(std::move(spec)) {}

const Resource* Fleet::instance(size_t index) {
  while (instances_.size() <= index) {
    size_t n = instances_.size();
    std::string name =
        fmt::format("{}-{:02d}", spec_.workload.substr(spec_.workload.rfind('/') + 1), n + 1);
    Rng r = company_.rng(spec_.workload + "/" + std::to_string(n));
    Resource res;
    res.id = spec_.id(name, static_cast<uint64_t>(r.unit(0) * 0x1.0p52));
    res.name = name;
    res.type = spec_.resource_type;
    res.account = spec_.account;
    res.region = spec_.region;
    res.zone = spec_.zones.empty() ? "" : spec_.zones[n % spec_.zones.size()];
    // Instances of one group carry the group's tags, as autoscaling propagates them.
    res.tags = company_.tags(spec_.workload, spec_.owner, spec_.provider_tags);
    instances_.push_back(inventory_.add(std::move(res)));
  }
  return instances_[index];
}

std::vector<RunningInstance> Fleet::running(Day day) {
  double wanted = spec_.base * company_.activity(spec_.workload, spec_.shape, day);
  std::vector<RunningInstance> out;
  Fixed full = Fixed::quantity(24);
  int whole = static_cast<int>(std::floor(wanted));
  for (int i = 0; i < whole; ++i) out.push_back({instance(i), full});
  Fixed rest = Fixed::round((wanted - whole) * 24, 2);
  if (!rest.is_zero()) out.push_back({instance(whole), rest});
  return out;
}

}  // namespace billingfoot::app::demo
