// The velocity check fraud teams write first: too many orders, or too much money, on one card
// within a minute.
//
//   orders -> selectKey(card) -> groupByKey -> windowedBy(1-minute hopping windows, grace)
//     -> aggregate(order count, total) -> suppress(until the window closes)
//     -> filter(count > N or total > X) -> rekey by customer -> leftJoin(customer_profiles)
//     -> fraud_velocity_alerts
//
// Each window yields at most one alert, once it is closed: late orders within the grace
// period still count, later ones are dropped (and counted in metrics().droppedRecords).
#pragma once

#include <chrono>
#include <string>

#include "examples/fraud_detection/orders.h"
#include "streams/streams_builder.h"

namespace fraud {

struct VelocityOptions {
  std::string ordersTopic = "orders";
  std::string profilesTopic = "customer_profiles";
  std::string alertsTopic = "fraud_velocity_alerts";
  std::chrono::milliseconds window{std::chrono::minutes(1)};
  std::chrono::milliseconds advance{std::chrono::seconds(30)};
  std::chrono::milliseconds grace{std::chrono::seconds(10)};
  int64_t maxOrders = 5;       // alert above this many orders in a window...
  double maxAmount = 3000.0;   // ...or above this total
};

inline void addVelocityAlerts(kstreams::StreamsBuilder& builder, const kstreams::KStream<std::string, Order>& orders,
                              const VelocityOptions& o) {
  using namespace kstreams;
  auto profiles = builder.table(o.profilesTopic, Consumed<std::string, CustomerProfile>::with(
                                                     Serdes::String(), Serdes::Json<CustomerProfile>()),
                                Materialized<std::string, CustomerProfile>::as("customer-profiles"));
  const int64_t maxOrders = o.maxOrders;
  const double maxAmount = o.maxAmount;
  orders
      .filter([](const std::string&, const Order& order) { return !order.card_id.empty(); }, Named::as("has-card"))
      .selectKey([](const std::string&, const Order& order) { return order.card_id; }, Named::as("by-card"))
      .groupByKey(Grouped<std::string, Order>::as("orders-by-card").withValueSerde(Serdes::Json<Order>()))
      .windowedBy(TimeWindows::ofSizeAndGrace(o.window, o.grace).advanceBy(o.advance))
      .aggregate([] { return CardActivity{}; },
                 [](const std::string& card, const Order& order, const CardActivity& a) {
                   return CardActivity{card, order.customer_id, a.orders + 1, addAmounts(a.total, order.amount)};
                 },
                 Materialized<std::string, CardActivity>::as("card-activity").withValueSerde(Serdes::Json<CardActivity>()))
      .suppress(Suppressed::untilWindowCloses(BufferConfig::unbounded()).withName("card-activity-final"))
      .toStream()
      .filter([maxOrders, maxAmount](const Windowed<std::string>&, const std::optional<CardActivity>& a) {
        return a && (a->orders > maxOrders || a->total > maxAmount);
      }, Named::as("too-fast"))
      .map([maxOrders](const Windowed<std::string>& w, const std::optional<CardActivity>& a) {
        VelocityAlert alert{a->card_id, a->customer_id, "", "", w.window.start, w.window.end, a->orders, a->total,
                            a->orders > maxOrders ? "more than " + std::to_string(maxOrders) + " orders in a window"
                                                  : "more than the allowed total in a window"};
        return KeyValue<std::string, VelocityAlert>{a->customer_id, std::move(alert)};
      }, Named::as("to-velocity-alert"))
      .leftJoin(profiles,
                [](VelocityAlert alert, const std::optional<CustomerProfile>& profile) {
                  if (profile) {
                    alert.customer_name = profile->name;
                    alert.tier = profile->tier;
                  }
                  return alert;
                },
                Joined<std::string, VelocityAlert, CustomerProfile>::with(Serdes::String(), Serdes::Json<VelocityAlert>(),
                                                                          Serdes::Json<CustomerProfile>())
                    .withName("enrich-with-profile"))
      .to(o.alertsTopic, Produced<std::string, VelocityAlert>::with(Serdes::String(), Serdes::Json<VelocityAlert>()));
}

// The check alone, reading o.ordersTopic.
inline void addVelocityAlerts(kstreams::StreamsBuilder& builder, const VelocityOptions& o) {
  addVelocityAlerts(builder, orderStream(builder, o.ordersTopic), o);
}

}  // namespace fraud
