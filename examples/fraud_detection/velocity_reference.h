// What the velocity check should alert on, computed directly from a list of orders with no
// windows machinery: for tests of addVelocityAlerts. Assumes no order is later than the
// grace period allows.
#pragma once

#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "examples/fraud_detection/velocity_alerts.h"

namespace fraud {

// (card, window start) -> the alert that window must produce.
inline std::map<std::pair<std::string, int64_t>, VelocityAlert> expectedVelocityAlerts(
    const std::vector<Order>& orders, const std::map<std::string, CustomerProfile>& profiles, const VelocityOptions& o) {
  const int64_t size = o.window.count(), advance = o.advance.count();
  std::map<std::pair<std::string, int64_t>, CardActivity> windows;
  for (const Order& order : orders) {
    if (order.card_id.empty()) continue;
    for (int64_t start = std::max<int64_t>(0, order.timestamp - size + advance) / advance * advance;
         start <= order.timestamp; start += advance) {
      CardActivity& a = windows[{order.card_id, start}];
      a.card_id = order.card_id;
      a.customer_id = order.customer_id;
      a.orders += 1;
      a.total = addAmounts(a.total, order.amount);
    }
  }
  std::map<std::pair<std::string, int64_t>, VelocityAlert> alerts;
  for (const auto& [key, a] : windows) {
    if (a.orders <= o.maxOrders && a.total <= o.maxAmount) continue;
    VelocityAlert alert{a.card_id, a.customer_id, "", "", key.second, key.second + size, a.orders, a.total,
                        a.orders > o.maxOrders ? "more than " + std::to_string(o.maxOrders) + " orders in a window"
                                               : "more than the allowed total in a window"};
    if (auto p = profiles.find(a.customer_id); p != profiles.end()) {
      alert.customer_name = p->second.name;
      alert.tier = p->second.tier;
    }
    alerts[key] = alert;
  }
  return alerts;
}

}  // namespace fraud
