// The records of the fraud-detection example: orders in, alerts out, both JSON.
#pragma once

#include <cstdint>
#include <string>

#include "streams/json_serde.h"

namespace fraud {

struct Order {
  std::string order_id;
  std::string customer_id;
  double amount = 0;
  int64_t timestamp = 0;  // ms since the epoch
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, order_id, customer_id, amount, timestamp)

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

}  // namespace fraud
