// The orders view: order count and total amount per customer, as a queryable table.
//
//   orders (key: card id, value: Order JSON)
//     -> groupBy(customer id) -> aggregate(count, total) -> store "orders-per-customer"
//
// Grouping by the customer repartitions the orders through "<application.id>-
// orders-by-customer-repartition", so each customer's orders meet in one task.
#pragma once

#include "examples/fraud_detection/orders.h"
#include "streams/streams_builder.h"

namespace orders_view {

struct CustomerTotals {
  int64_t orders = 0;
  double total = 0;
  bool operator==(const CustomerTotals&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CustomerTotals, orders, total)

inline constexpr const char* kStore = "orders-per-customer";

inline kstreams::KTable<std::string, CustomerTotals> addCustomerTotals(kstreams::StreamsBuilder& builder,
                                                                       const std::string& ordersTopic) {
  using namespace kstreams;
  return builder
      .stream(ordersTopic, Consumed<std::string, fraud::Order>::with(Serdes::String(), Serdes::Json<fraud::Order>()))
      .groupBy([](const std::string&, const fraud::Order& o) { return o.customer_id; },
               Grouped<std::string, fraud::Order>::as("orders-by-customer")
                   .withKeySerde(Serdes::String())
                   .withValueSerde(Serdes::Json<fraud::Order>()))
      .aggregate([] { return CustomerTotals{}; },
                 [](const std::string&, const fraud::Order& o, const CustomerTotals& t) {
                   return CustomerTotals{t.orders + 1, t.total + o.amount};
                 },
                 Materialized<std::string, CustomerTotals>::as(kStore).withValueSerde(Serdes::Json<CustomerTotals>()));
}

}  // namespace orders_view
