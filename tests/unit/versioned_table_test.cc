// Versioned key-value stores through the TopologyTestDriver: in the Processor API, as a
// source table's store (out-of-order records are not forwarded; docs/state.md says how that
// differs from Kafka Streams), in a stream-table join, which looks the table up as of the
// stream record's time, and in a foreign-key join, which reads either side's latest version.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"
#include "streams/versioned_key_value_store.h"

namespace kstreams {
namespace {

using std::chrono::milliseconds;

// Keeps each item's price as versions; an order ("item") gets the price as of its time.
class PriceAtOrderTime : public Processor<std::string, std::string, std::string, std::string> {
 public:
  void init(ProcessorContext<std::string, std::string>& ctx) override {
    ctx_ = &ctx;
    prices_ = &ctx.getStateStore<VersionedKeyValueStore<std::string, std::string>>("prices");
  }
  void process(Record<std::string, std::string> r) override {
    // "price:<value>" sets the item's price at the record's time; "order" asks for it.
    if (r.value.starts_with("price:")) {
      const int64_t validTo = prices_->put(r.key, r.value.substr(6), r.timestamp);
      ctx_->forward(Record<std::string, std::string>{r.key, "put " + std::to_string(validTo), r.timestamp, {}});
    } else if (r.value == "delete") {
      auto before = prices_->remove(r.key, r.timestamp);
      ctx_->forward(Record<std::string, std::string>{r.key, "deleted " + (before ? before->value : "-"), r.timestamp, {}});
    } else {
      auto price = prices_->get(r.key, r.timestamp);
      ctx_->forward(Record<std::string, std::string>{r.key, price ? price->value : "-", r.timestamp, {}});
    }
  }

 private:
  ProcessorContext<std::string, std::string>* ctx_ = nullptr;
  VersionedKeyValueStore<std::string, std::string>* prices_ = nullptr;
};

Topology priceTopology() {
  StreamsBuilder builder;
  builder.addStateStore(Stores::versionedKeyValueStoreBuilder<std::string, std::string>(
      Stores::persistentVersionedKeyValueStore("prices", milliseconds(1000)), Serdes::String(), Serdes::String()));
  builder.stream<std::string, std::string>("events")
      .process([] { return std::make_unique<PriceAtOrderTime>(); }, {"prices"})
      .to("out");
  return builder.build();
}

TEST(VersionedStore, AProcessorReadsTheVersionValidAtATime) {
  TopologyTestDriver driver(priceTopology(), {{"application.id", "ver"}});
  auto in = driver.createInputTopic<std::string, std::string>("events");
  auto out = driver.createOutputTopic<std::string, std::string>("out");
  in.pipeInput("apple", "price:1", 100);
  in.pipeInput("apple", "price:3", 300);
  in.pipeInput("apple", "price:2", 200);  // out of order: valid until 300
  in.pipeInput("apple", "order", 150);
  in.pipeInput("apple", "order", 250);
  in.pipeInput("apple", "order", 50);
  in.pipeInput("apple", "delete", 400);
  in.pipeInput("apple", "order", 450);
  in.pipeInput("apple", "order", 350);
  in.pipeInput("apple", "price:9", 5000);
  in.pipeInput("apple", "price:0", 100);  // older than the history retention
  EXPECT_EQ(out.readValuesToList(),
            (std::vector<std::string>{"put -1", "put -1", "put 300", "1", "2", "-", "deleted 3", "-", "3", "put -1",
                                      "put " + std::to_string(VersionedKeyValueStore<std::string, std::string>::PUT_RETURN_CODE_NOT_PUT)}));

  // The store as a processor sees it, and a query of latest values.
  auto& store = dynamic_cast<VersionedKeyValueStore<std::string, std::string>&>(*driver.getStateStore("prices"));
  auto latest = store.get("apple");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->value, "9");
  EXPECT_EQ(latest->timestamp, 5000);
  EXPECT_EQ(latest->validTo, std::nullopt);
  auto query = driver.getKeyValueStore<std::string, std::string>("prices");
  EXPECT_EQ(query->get("apple"), "9");
}

TEST(VersionedStore, ItsChangelogHoldsEachWriteWithTheVersionsTimestamp) {
  Topology topology = priceTopology();
  const auto& configs = topology.graph().stores().at("prices").changelogConfigs;
  EXPECT_EQ(configs.at("cleanup.policy"), "compact");
  EXPECT_EQ(configs.at("min.compaction.lag.ms"), std::to_string(1000 + 24 * 3600 * 1000LL));
  TopologyTestDriver driver(topology, {{"application.id", "ver"}});
  auto in = driver.createInputTopic<std::string, std::string>("events");
  in.pipeInput("apple", "price:1", 100);
  in.pipeInput("apple", "price:2", 50);
  in.pipeInput("apple", "delete", 70);
  auto changelog = driver.createOutputTopic<std::string, std::optional<std::string>>("ver-prices-changelog");
  EXPECT_EQ(changelog.readRecordsToList(), (std::vector<TestRecord<std::string, std::optional<std::string>>>{
                                               {"apple", "1", 100, {}}, {"apple", "2", 50, {}}, {"apple", std::nullopt, 70, {}}}));
}

TEST(VersionedStore, BadArgumentsAreTopologyErrors) {
  EXPECT_THROW(Stores::persistentVersionedKeyValueStore("p", milliseconds(-1)), TopologyException);
  EXPECT_THROW(Stores::persistentVersionedKeyValueStore("p", milliseconds(10), milliseconds(0)), TopologyException);
  auto cached = Stores::versionedKeyValueStoreBuilder<std::string, std::string>(
      Stores::persistentVersionedKeyValueStore("p", milliseconds(10)));
  cached.withCachingEnabled();
  EXPECT_THROW(cached.spec(), TopologyException);
  StreamsBuilder builder;
  using CountStore = Materialized<std::string, int64_t>;
  auto counted = builder.stream<std::string, std::string>("s").groupByKey();
  EXPECT_THROW(counted.count(CountStore::as(Stores::persistentVersionedKeyValueStore("c", milliseconds(10)))),
               TopologyException);
  using TableStore = Materialized<std::string, std::string>;
  using TableConsumed = Consumed<std::string, std::string>;
  EXPECT_THROW(builder.globalTable("g", TableConsumed{},
                                   TableStore::as(Stores::persistentVersionedKeyValueStore("g-store", milliseconds(10)))),
               TopologyException);
}

// A table of prices: versioned, or (versioned false) a plain one.
KTable<std::string, std::string> priceTable(StreamsBuilder& builder, bool versioned) {
  auto consumed = Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String());
  if (!versioned)
    return builder.table("prices", consumed, Materialized<std::string, std::string>::as("price-table"));
  return builder.table("prices", consumed,
                       Materialized<std::string, std::string>::as(
                           Stores::persistentVersionedKeyValueStore("price-table", milliseconds(10'000))));
}

std::vector<std::string> joinOrders(bool versioned) {
  StreamsBuilder builder;
  auto prices = priceTable(builder, versioned);
  builder.stream<std::string, std::string>("orders")
      .join(prices, [](const std::string& order, const std::string& price) { return order + "@" + price; })
      .to("priced");
  TopologyTestDriver driver(builder.build());
  auto priceIn = driver.createInputTopic<std::string, std::string>("prices");
  auto orderIn = driver.createInputTopic<std::string, std::string>("orders");
  auto out = driver.createOutputTopic<std::string, std::string>("priced");
  priceIn.pipeInput("apple", "1", 100);
  priceIn.pipeInput("apple", "2", 300);
  orderIn.pipeInput("apple", "o1", 200);  // arrives after the price of 300
  orderIn.pipeInput("apple", "o2", 50);   // before any price
  orderIn.pipeInput("apple", "o3", 400);
  return out.readValuesToList();
}

TEST(VersionedTable, AStreamTableJoinReadsTheRowAsOfTheStreamRecordsTime) {
  EXPECT_EQ(joinOrders(true), (std::vector<std::string>{"o1@1", "o3@2"}));
  // A plain table joins with whatever row it has when the record arrives.
  EXPECT_EQ(joinOrders(false), (std::vector<std::string>{"o1@2", "o2@2", "o3@2"}));
}

std::vector<KeyValue<std::string, std::optional<std::string>>> tableChanges(bool versioned) {
  StreamsBuilder builder;
  priceTable(builder, versioned).toStream().to("changes");
  TopologyTestDriver driver(builder.build());
  auto priceIn = driver.createInputTopic<std::string, std::string>("prices");
  auto out = driver.createOutputTopic<std::string, std::optional<std::string>>("changes");
  priceIn.pipeInput("apple", "1", 100);
  priceIn.pipeInput("apple", "3", 300);
  priceIn.pipeInput("apple", "2", 200);  // out of order
  priceIn.pipeTombstone("apple", 250);   // out of order too
  priceIn.pipeTombstone("pear", 400);    // deletes nothing
  priceIn.pipeInput("apple", "4", 400);
  auto changes = out.readKeyValuesToList();
  if (versioned) {
    auto query = driver.getKeyValueStore<std::string, std::string>("price-table");
    EXPECT_EQ(query->get("apple"), "4");
  }
  return changes;
}

TEST(VersionedTable, ItsSourceForwardsNoRecordOlderThanTheKeysLatest) {
  using Changes = std::vector<KeyValue<std::string, std::optional<std::string>>>;
  EXPECT_EQ(tableChanges(true), (Changes{{"apple", "1"}, {"apple", "3"}, {"apple", "4"}}));
  EXPECT_EQ(tableChanges(false), (Changes{{"apple", "1"}, {"apple", "3"}, {"apple", "2"}, {"apple", std::nullopt},
                                          {"apple", "4"}}));
}

// KIP-914: a foreign-key join reads a versioned table, on either side, at its latest version;
// an out-of-order version of the table pointed at changes no result.
TEST(VersionedTable, AForeignKeyJoinReadsEitherVersionedSideAtItsLatestVersion) {
  StreamsBuilder builder;
  const auto consumed = Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String());
  auto versioned = [](const std::string& store) {
    return Materialized<std::string, std::string>::as(
        Stores::persistentVersionedKeyValueStore(store, milliseconds(10'000)));
  };
  auto orders = builder.table("orders", consumed, versioned("order-table"));  // order -> item
  auto prices = builder.table("prices", consumed, versioned("price-table"));  // item -> price
  orders.join(prices, [](const std::string& item) { return item; },
              [](const std::string& item, const std::string& price) { return item + "@" + price; },
              Materialized<std::string, std::string>::as("priced").withCachingDisabled());
  TopologyTestDriver driver(builder.build());
  auto priceIn = driver.createInputTopic<std::string, std::string>("prices");
  auto orderIn = driver.createInputTopic<std::string, std::string>("orders");
  auto priced = driver.getKeyValueStore<std::string, std::string>("priced");
  priceIn.pipeInput("apple", "1", 100);
  orderIn.pipeInput("o1", "apple", 200);
  EXPECT_EQ(priced->get("o1"), "apple@1");
  priceIn.pipeInput("apple", "2", 300);
  EXPECT_EQ(priced->get("o1"), "apple@2") << "a new latest price reaches the order";
  priceIn.pipeInput("apple", "0", 150);
  EXPECT_EQ(priced->get("o1"), "apple@2") << "an out-of-order price is no latest one";
  orderIn.pipeInput("o2", "apple", 250);
  EXPECT_EQ(priced->get("o2"), "apple@2");
}

}  // namespace
}  // namespace kstreams
