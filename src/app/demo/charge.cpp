#include "app/demo/charge.hpp"

namespace billingfoot::app::demo {

Charge usage_charge(const Service& service, const Sku& sku, const Placement& where, Day day,
                    Fixed quantity, double discount) {
  Charge c;
  c.start = day;
  c.end = day + std::chrono::days(1);
  c.description = sku.description;
  c.service = &service;
  c.account = where.account;
  c.region = where.region;
  c.resource = where.resource;
  c.sku = &sku;
  c.quantity = quantity;
  c.list_unit_price = sku.list_price;
  c.contracted_unit_price = Fixed::price(sku.list_price.to_double() * (1 - discount));
  c.list = sku.list_price * quantity;
  c.contracted = *c.contracted_unit_price * quantity;
  c.billed = c.effective = c.contracted;
  return c;
}

Charge flat_charge(std::string category, std::string description, const Service& service,
                   const SubAccount& account, Day start, Day end, Fixed amount) {
  Charge c;
  c.start = start;
  c.end = end;
  c.category = std::move(category);
  c.frequency = "One-Time";
  c.pricing_category = "";
  c.description = std::move(description);
  c.service = &service;
  c.account = &account;
  c.consumed = false;
  c.billed = c.effective = c.list = c.contracted = amount;
  return c;
}

Charge tax_charge(const Service& service, const SubAccount& account, Day start, Day end,
                  Fixed taxed, double rate) {
  return flat_charge("Tax", "Sales tax on " + service.name, service, account, start, end,
                     Fixed::cents(taxed.to_double() * rate));
}

}  // namespace billingfoot::app::demo
