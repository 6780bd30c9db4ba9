// The fraud-detection example's pipeline, through the TopologyTestDriver.
#include <gtest/gtest.h>

#include "examples/fraud_detection/large_order_alerts.h"
#include "runtime/topology_test_driver.h"

namespace fraud {
namespace {

TEST(FraudExample, AlertsOnOrdersAboveTheThresholdOnly) {
  kstreams::StreamsBuilder builder;
  std::vector<std::string> printed;
  addLargeOrderAlerts(builder, {"orders", "alerts", 500.0, [&](const FraudAlert& a) { printed.push_back(a.order_id); }});
  kstreams::TopologyTestDriver driver(builder.build());
  auto orders = driver.createInputTopic<std::string, Order>("orders", kstreams::Serdes::String(),
                                                            kstreams::Serdes::Json<Order>());
  auto alerts = driver.createOutputTopic<std::string, FraudAlert>("alerts", kstreams::Serdes::String(),
                                                                  kstreams::Serdes::Json<FraudAlert>());
  orders.pipeInput("c1", Order{"o1", "c1", 499.99, 1, ""});
  orders.pipeInput("c2", Order{"o2", "c2", 500.01, 2, ""});
  orders.pipeInput("c1", Order{"o3", "c1", 7000, 3, ""});
  auto out = alerts.readKeyValuesToList();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].key, "c2");
  EXPECT_EQ(out[0].value.order_id, "o2");
  EXPECT_EQ(out[0].value.threshold, 500.0);
  EXPECT_EQ(out[1].value.order_id, "o3");
  EXPECT_EQ(out[1].value.order_timestamp, 3);
  EXPECT_EQ(printed, (std::vector<std::string>{"o2", "o3"}));
}

}  // namespace
}  // namespace fraud
