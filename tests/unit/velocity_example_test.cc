// The fraud example's velocity check through the TopologyTestDriver, against the reference
// computed directly from the orders.
#include <gtest/gtest.h>

#include <random>

#include "examples/fraud_detection/velocity_reference.h"
#include "runtime/topology_test_driver.h"

namespace fraud {
namespace {

TEST(VelocityExample, AlertsExactlyOnTheWindowsTheReferenceFindsWithOutOfOrderOrders) {
  VelocityOptions options;
  kstreams::StreamsBuilder builder;
  addVelocityAlerts(builder, options);
  kstreams::TopologyTestDriver driver(builder.build());
  namespace Serdes = kstreams::Serdes;
  auto profiles = driver.createInputTopic<std::string, CustomerProfile>("customer_profiles", Serdes::String(),
                                                                       Serdes::Json<CustomerProfile>());
  auto orders = driver.createInputTopic<std::string, Order>("orders", Serdes::String(), Serdes::Json<Order>());
  auto alerts = driver.createOutputTopic<std::string, VelocityAlert>("fraud_velocity_alerts", Serdes::String(),
                                                                     Serdes::Json<VelocityAlert>());
  std::map<std::string, CustomerProfile> known = {{"c1", {"c1", "Ada", "gold"}}, {"c2", {"c2", "Bob", "standard"}}};
  for (const auto& [id, p] : known) profiles.pipeInput(id, p);

  // Bursts on some cards, quiet cards, one large total; each order up to 5 s out of order.
  std::vector<Order> input;
  std::mt19937 rng(3);
  const int64_t base = 1'700'000'000'000;
  int n = 0;
  auto add = [&](const std::string& customer, const std::string& card, int64_t ts, double amount) {
    input.push_back(Order{"o" + std::to_string(n++), customer, amount, ts, card});
  };
  for (int i = 0; i < 8; ++i) add("c1", "card-a", base + i * 3000, 20);            // 8 in 21 s
  for (int i = 0; i < 3; ++i) add("c2", "card-b", base + 40000 + i * 10000, 50);  // quiet
  add("c2", "card-c", base + 70000, 2500);
  add("c2", "card-c", base + 80000, 900);                                         // total above 3000
  for (int i = 0; i < 6; ++i) add("c3", "card-d", base + 130000 + i * 2000, 10);  // no profile
  // Out of order within a card's burst: disjoint neighbours a few seconds apart swap places,
  // well within the grace period, so nothing is late.
  std::vector<Order> shuffled = input;
  for (size_t i = 0; i + 1 < shuffled.size(); i += 2)
    if (shuffled[i].card_id == shuffled[i + 1].card_id &&
        shuffled[i + 1].timestamp - shuffled[i].timestamp <= 5000 && rng() % 2)
      std::swap(shuffled[i], shuffled[i + 1]);
  for (const Order& o : shuffled) orders.pipeInput(o.customer_id, o, o.timestamp);
  // A later order moves stream time on, so every window above closes.
  orders.pipeInput("c9", Order{"clock", "c9", 1, base + 600000, "card-z"}, base + 600000);

  std::map<std::pair<std::string, int64_t>, VelocityAlert> got;
  for (auto& kv : alerts.readKeyValuesToList()) {
    EXPECT_EQ(kv.key, kv.value.customer_id);
    EXPECT_TRUE(got.emplace(std::make_pair(kv.value.card_id, kv.value.window_start), kv.value).second)
        << "one alert per window";
  }
  auto expected = expectedVelocityAlerts(input, known, options);
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(driver.droppedRecords(), 0) << "nothing was late";
}

// An alert's total is money: it shows whole cents, not a sum of doubles' drift.
TEST(VelocityExample, TotalsStayOnWholeCents) {
  ASSERT_EQ(nlohmann::json(0.1 + 0.2).dump(), "0.30000000000000004") << "the drift this guards against";
  EXPECT_EQ(nlohmann::json(addAmounts(0.1, 0.2)).dump(), "0.3");
  double total = 0;
  for (int i = 0; i < 1000; ++i) total = addAmounts(total, 19.99);
  EXPECT_EQ(nlohmann::json(total).dump(), "19990.0");
}

}  // namespace
}  // namespace fraud
