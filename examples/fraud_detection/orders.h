// The records of the fraud-detection example: orders in, alerts out, both JSON.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "streams/json_serde.h"
#include "streams/streams_builder.h"

namespace fraud {

struct Order {
  std::string order_id;
  std::string customer_id;
  double amount = 0;
  int64_t timestamp = 0;  // ms since the epoch
  std::string card_id;    // the card paid with; empty in orders that do not say
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Order, order_id, customer_id, amount, timestamp, card_id)

// Topic customer_profiles, keyed by customer id.
struct CustomerProfile {
  std::string customer_id;
  std::string name;
  std::string tier;  // "standard", "gold", ...
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CustomerProfile, customer_id, name, tier)

// Amounts are dollars with cents. A running sum of doubles drifts off the cents (an alert
// said "total":2388.8999999999996), so each sum is rounded back to them.
inline double addAmounts(double total, double amount) { return std::round((total + amount) * 100) / 100; }

// A card's activity in one window.
struct CardActivity {
  std::string card_id;
  std::string customer_id;
  int64_t orders = 0;
  double total = 0;
  bool operator==(const CardActivity&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CardActivity, card_id, customer_id, orders, total)

// Topic fraud_velocity_alerts, keyed by customer id.
struct VelocityAlert {
  std::string card_id;
  std::string customer_id;
  std::string customer_name;  // empty when the customer has no profile
  std::string tier;
  int64_t window_start = 0;
  int64_t window_end = 0;
  int64_t orders = 0;
  double total = 0;
  std::string reason;
  bool operator==(const VelocityAlert&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VelocityAlert, card_id, customer_id, customer_name, tier, window_start, window_end,
                                   orders, total, reason)

struct FraudAlert {
  std::string order_id;
  std::string customer_id;
  double amount = 0;
  double threshold = 0;
  std::string reason;
  int64_t order_timestamp = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(FraudAlert, order_id, customer_id, amount, threshold, reason,
                                   order_timestamp)

// The orders topic as a stream. A topic is read by one source, so checks that run together
// share this stream.
inline kstreams::KStream<std::string, Order> orderStream(kstreams::StreamsBuilder& builder, const std::string& topic) {
  using namespace kstreams;
  return builder.stream(topic, Consumed<std::string, Order>::with(Serdes::String(), Serdes::Json<Order>())
                                   .withName("orders-source"));
}

}  // namespace fraud
