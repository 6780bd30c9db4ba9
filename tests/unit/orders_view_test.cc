// The orders_view example's table, through the TopologyTestDriver.
#include <gtest/gtest.h>

#include "examples/orders_view/customer_totals.h"
#include "runtime/topology_test_driver.h"

namespace orders_view {
namespace {

TEST(OrdersViewExample, CountsAndTotalsOrdersPerCustomer) {
  kstreams::StreamsBuilder builder;
  addCustomerTotals(builder, "orders");
  kstreams::TopologyTestDriver driver(builder.build());
  auto orders = driver.createInputTopic<std::string, fraud::Order>("orders", kstreams::Serdes::String(),
                                                                   kstreams::Serdes::Json<fraud::Order>());
  orders.pipeInput("c1", fraud::Order{"o1", "c1", 10.5, 1, ""});
  orders.pipeInput("c2", fraud::Order{"o2", "c2", 3, 2, ""});
  orders.pipeInput("c1", fraud::Order{"o3", "c1", 20, 3, ""});
  auto view = driver.getKeyValueStore<std::string, CustomerTotals>(kStore);
  EXPECT_EQ(view->get("c1"), (CustomerTotals{2, 30.5}));
  EXPECT_EQ(view->get("c2"), (CustomerTotals{1, 3}));
  EXPECT_EQ(view->get("c3"), std::nullopt);
}

}  // namespace
}  // namespace orders_view
