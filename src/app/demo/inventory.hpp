#pragma once
// What a provider's part of the company is made of, and how it is metered day by day: single
// resources with one SKU each (a database, a bucket's storage) and fleets of identical instances
// that scale with demand. Providers describe their inventory with these and price the result.
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "app/demo/charge.hpp"
#include "app/demo/company.hpp"

namespace billingfoot::app::demo {

// Owns the accounts, services, SKUs and resources that charges point to (stable addresses).
class Inventory {
 public:
  explicit Inventory(const Company& company) : company_(company) {}

  // A resource with the tags the company would have put on it (drawn from its id).
  const Resource* resource(
      std::string id, std::string name, std::string type, const SubAccount* account,
      const Region* region, const Owner& owner,
      const std::vector<std::pair<std::string, std::string>>& provider_tags = {});

  template <class T>
  const T* add(T value) {
    return &std::get<std::deque<T>>(items_).emplace_back(std::move(value));
  }

 private:
  const Company& company_;
  std::tuple<std::deque<SubAccount>, std::deque<Region>, std::deque<Service>, std::deque<Sku>,
             std::deque<Resource>, std::deque<Commitment>>
      items_;
};

// One SKU metered on one resource (or on an account when resource is null).
struct Meter {
  const Service* service = nullptr;
  const Sku* sku = nullptr;
  const Resource* resource = nullptr;
  const SubAccount* account = nullptr;  // taken from the resource when it has one
  const Region* region = nullptr;       // likewise
  std::string workload = "";            // activity key; "" = the same quantity every day
  Shape shape{0, 1, 0};
  double per_day = 0;      // quantity on a weekday of the first month
  bool per_month = false;  // unit is per month (GB-Mo): a day is 1/days-in-month of it
  int first_day = 0;       // index in the timeline where the meter starts
};

// A resource's SKU whose daily quantity follows the activity of `workload`.
Meter usage_meter(const Service& service, const Sku& sku, const Resource& resource,
                  std::string workload, Shape shape, double per_day);
// The same for a SKU priced per month (GB-Mo, hosted zones): `quantity` is per month.
Meter monthly_meter(const Service& service, const Sku& sku, const Resource& resource,
                    std::string workload, Shape shape, double quantity);
// Always on: `units` × 24 hours a day (instances, clusters, vCores).
Meter hourly_meter(const Service& service, const Sku& sku, const Resource& resource,
                   double units = 1);
// Usage of an account that no resource carries (e.g. data transfer).
Meter account_meter(const Service& service, const Sku& sku, const SubAccount& account,
                    const Region* region, std::string workload, Shape shape, double per_day);
// The meter, starting on day `first_day` of the timeline (a service launched mid-history).
Meter starting(Meter meter, int first_day);

// The meter's quantity on `day` (0 before it starts).
Fixed meter_quantity(const Company& company, const Meter& meter, Day day);
// The meter's charge on `day`, or nothing when its quantity is 0.
std::optional<Charge> meter_charge(const Company& company, const Meter& meter, Day day,
                                   double discount);

// Identical instances scaled with demand: with activity a, ceil(base × a) instances run that
// day, the last one for the fraction of the day.
struct FleetSpec {
  std::string workload = "";  // activity key, also the prefix of the instances' names
  Shape shape;
  double base = 0;  // instances on a weekday of the first month
  const Service* service = nullptr;
  const Sku* sku = nullptr;  // per hour
  const SubAccount* account = nullptr;
  const Region* region = nullptr;
  std::vector<std::string> zones;
  Owner owner;
  std::vector<std::pair<std::string, std::string>> provider_tags;
  std::string resource_type;
  // The resource id of an instance, from its name and a random number.
  std::function<std::string(const std::string& name, uint64_t random)> id;
};

struct RunningInstance {
  const Resource* resource;
  Fixed hours;
};

class Fleet {
 public:
  Fleet(const Company& company, Inventory& inventory, FleetSpec spec);
  const FleetSpec& spec() const { return spec_; }
  std::vector<RunningInstance> running(Day day);

 private:
  const Resource* instance(size_t index);

  const Company& company_;
  Inventory& inventory_;
  FleetSpec spec_;
  std::vector<const Resource*> instances_;
};

}  // namespace billingfoot::app::demo
