// KTable::filter, filterNot and mapValues with a Named (and with a Named and a
// Materialized, as Kafka Streams offers them): the name is the operator's node's.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

bool describes(const std::string& described, const std::string& line) {
  return described.find(line) != std::string::npos;
}

TEST(KTableNamed, NamesTheNodesOfFilterFilterNotAndMapValues) {
  StreamsBuilder builder;
  auto balances = builder.table<std::string, int64_t>("balances");
  auto positive = [](const std::string&, int64_t v) { return v > 0; };
  balances.filter(positive, Named::as("positive")).toStream().to("positive");
  balances.filterNot(positive, Named::as("not-positive")).toStream().to("not-positive");
  balances.mapValues([](int64_t v) { return std::to_string(v); }, Named::as("as-text")).toStream().to("text");
  const std::string described = builder.build().describe().toString();
  EXPECT_TRUE(describes(described, "Processor: positive (stores: [])\n")) << described;
  EXPECT_TRUE(describes(described, "Processor: not-positive (stores: [])\n")) << described;
  EXPECT_TRUE(describes(described, "Processor: as-text (stores: [])\n")) << described;
  EXPECT_FALSE(describes(described, "KTABLE-FILTER-")) << described;
  EXPECT_FALSE(describes(described, "KTABLE-MAPVALUES-")) << described;
}

TEST(KTableNamed, ANamedOperatorWithAMaterializedKeepsItsResultInTheStore) {
  StreamsBuilder builder;
  auto balances = builder.table<std::string, int64_t>("balances");
  auto positive = [](const std::string&, int64_t v) { return v > 0; };
  balances.filter(positive, Named::as("positive"), Materialized<std::string, int64_t>::as("positive-store"));
  balances.filterNot(positive, Named::as("not-positive"), Materialized<std::string, int64_t>::as("debts"));
  balances.mapValues([](const std::string& k, int64_t v) { return k + "=" + std::to_string(v); }, Named::as("as-text"),
                     Materialized<std::string, std::string>::as("texts"));
  const Topology topology = builder.build();
  const std::string described = topology.describe().toString();
  EXPECT_TRUE(describes(described, "Processor: positive (stores: [])\n      --> KTABLE-MATERIALIZE-")) << described;
  EXPECT_TRUE(describes(described, "Processor: as-text (stores: [])\n      --> KTABLE-MATERIALIZE-")) << described;

  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, int64_t>("balances");
  in.pipeInput("alice", 5);
  in.pipeInput("bob", -2);
  auto positiveStore = driver.getKeyValueStore<std::string, int64_t>("positive-store");
  EXPECT_EQ(positiveStore->get("alice"), 5);
  EXPECT_EQ(positiveStore->get("bob"), std::nullopt);
  auto debts = driver.getKeyValueStore<std::string, int64_t>("debts");
  EXPECT_EQ(debts->get("bob"), -2);
  auto texts = driver.getKeyValueStore<std::string, std::string>("texts");
  EXPECT_EQ(texts->get("bob"), "bob=-2");
}

}  // namespace
}  // namespace kstreams
