// The first fraud check users write: every order above a threshold becomes an alert.
//
//   orders (value: Order JSON)
//     -> filter(amount > threshold) -> mapValues(to FraudAlert) -> fraud_alerts
#pragma once

#include <functional>
#include <string>

#include "examples/fraud_detection/orders.h"
#include "streams/streams_builder.h"

namespace fraud {

struct LargeOrderOptions {
  std::string ordersTopic = "orders";
  std::string alertsTopic = "fraud_alerts";
  double threshold = 1000.0;
  // Called for every alert as it is produced (the example prints it).
  std::function<void(const FraudAlert&)> onAlert;
};

inline void addLargeOrderAlerts(const kstreams::KStream<std::string, Order>& orders, const LargeOrderOptions& options) {
  using namespace kstreams;
  const double threshold = options.threshold;
  auto alerts =
      orders
          .filter([threshold](const std::string&, const Order& o) { return o.amount > threshold; },
                  Named::as("above-threshold"))
          .mapValues(
              [threshold](const Order& o) {
                return FraudAlert{o.order_id, o.customer_id, o.amount, threshold,
                                  "amount above " + std::to_string(static_cast<int64_t>(threshold)),
                                  o.timestamp};
              },
              Named::as("to-alert"));
  if (options.onAlert)
    alerts = alerts.peek([onAlert = options.onAlert](const std::string&, const FraudAlert& a) { onAlert(a); },
                         Named::as("print-alert"));
  alerts.to(options.alertsTopic,
            Produced<std::string, FraudAlert>::with(Serdes::String(), Serdes::Json<FraudAlert>())
                .withName("alerts-sink"));
}

// The check alone, reading options.ordersTopic.
inline void addLargeOrderAlerts(kstreams::StreamsBuilder& builder, const LargeOrderOptions& options) {
  addLargeOrderAlerts(orderStream(builder, options.ordersTopic), options);
}

}  // namespace fraud
