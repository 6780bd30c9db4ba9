// Joins through the TopologyTestDriver: stream-stream (inner, left, outer, with grace),
// stream-table, table-table (inner, left, outer, tombstones), stream-global table.
#include <gtest/gtest.h>

#include "runtime/topology_test_driver.h"
#include "streams/json_serde.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using Pairs = std::vector<KeyValue<std::string, std::string>>;

std::string show(const std::optional<std::string>& v) { return v ? *v : "null"; }

struct TwoStreams {
  StreamsBuilder builder;
  KStream<std::string, std::string> left = builder.stream<std::string, std::string>("left");
  KStream<std::string, std::string> right = builder.stream<std::string, std::string>("right");
  std::unique_ptr<TopologyTestDriver> driver;
  std::optional<TestInputTopic<std::string, std::string>> l, r;
  std::optional<TestOutputTopic<std::string, std::string>> out;

  void start(KStream<std::string, std::string> joined) {
    joined.to("out");
    driver = std::make_unique<TopologyTestDriver>(builder.build());
    l = driver->createInputTopic<std::string, std::string>("left");
    r = driver->createInputTopic<std::string, std::string>("right");
    out = driver->createOutputTopic<std::string, std::string>("out");
  }
};

TEST(StreamStreamJoin, InnerJoinsRecordsWithinTheWindowEitherWay) {
  TwoStreams t;
  t.start(t.left.join(t.right, [](const std::string& a, const std::string& b) { return a + "+" + b; },
                      JoinWindows::ofTimeDifferenceWithNoGrace(10s)));
  t.l->pipeInput("k", "a1", 1000);
  t.r->pipeInput("k", "b1", 5000);    // 4 s after a1: joins
  t.r->pipeInput("j", "b2", 5000);    // another key: no
  t.l->pipeInput("k", "a2", 14000);   // 9 s after b1: joins b1
  t.r->pipeInput("k", "b3", 30000);   // 16 s after a2: too far
  EXPECT_EQ(t.out->readKeyValuesToList(), (Pairs{{"k", "a1+b1"}, {"k", "a2+b1"}}));
}

// A join's window stores are only read by ranges (their keys end in a sequence number, so
// a fetch of one window finds nothing): their RocksDB filters hold prefixes alone. A
// windowed aggregation reads its windows one by one.
TEST(StreamStreamJoin, ItsWindowStoresAreMarkedAsHavingNoPointReadsAndKeysWrittenOnce) {
  StreamsBuilder builder;
  auto right = builder.stream<std::string, std::string>("right");
  builder.stream<std::string, std::string>("left")
      .join(right, [](const std::string& l, const std::string& r) { return l + r; },
            JoinWindows::ofTimeDifferenceWithNoGrace(std::chrono::seconds(10)))
      .to("joined");
  builder.stream<std::string, std::string>("counted")
      .groupByKey()
      .windowedBy(TimeWindows::ofSizeWithNoGrace(std::chrono::seconds(10)))
      .count(Materialized<std::string, int64_t>::as("counts"));
  Topology topology = builder.build();
  int joinStores = 0;
  for (const auto& [name, spec] : topology.graph().stores()) {
    ASSERT_EQ(spec.kind, internal::StoreKind::kWindow) << name;
    if (name == "counts") {
      EXPECT_TRUE(spec.pointReads) << name;
      EXPECT_FALSE(spec.keysWrittenOnce) << name;
    } else {
      EXPECT_FALSE(spec.pointReads) << name;
      EXPECT_TRUE(spec.keysWrittenOnce) << name;
      ++joinStores;
    }
  }
  EXPECT_EQ(joinStores, 2);
}

// The stores' segments (90 s apart here: the retention is 3 min) are found again after a
// record lands in an earlier segment than any before it.
TEST(StreamStreamJoin, ARecordInAnEarlierSegmentThanAnyBeforeStillJoins) {
  TwoStreams t;
  t.start(t.left.join(t.right, [](const std::string& a, const std::string& b) { return a + "+" + b; },
                      JoinWindows::ofTimeDifferenceAndGrace(60s, 60s)));
  t.r->pipeInput("k", "r1", 125000);  // segment 1
  t.l->pipeInput("k", "l1", 130000);  // joins r1
  t.r->pipeInput("k", "r0", 59000);   // segment 0, within grace
  t.l->pipeInput("k", "l2", 100000);  // joins r0 (41 s before) and r1 (25 s after)
  EXPECT_EQ(t.out->readKeyValuesToList(), (Pairs{{"k", "l1+r1"}, {"k", "l2+r0"}, {"k", "l2+r1"}}));
}

TEST(StreamStreamJoin, JoinedRecordsTakeTheLaterTimestamp) {
  TwoStreams t;
  t.start(t.left.join(t.right, [](const std::string& a, const std::string& b) { return a + b; },
                      JoinWindows::ofTimeDifferenceWithNoGrace(10s)));
  t.r->pipeInput("k", "b", 3000);
  t.l->pipeInput("k", "a", 1000);
  EXPECT_EQ(t.out->readRecord().timestamp, 3000);
}

TEST(StreamStreamJoin, LeftJoinEmitsNoPartnerOnlyWhenTheWindowCloses) {
  TwoStreams t;
  t.start(t.left.leftJoin(
      t.right, [](const std::string& a, const std::optional<std::string>& b) { return a + "+" + show(b); },
      JoinWindows::ofTimeDifferenceAndGrace(5s, 1s)));
  t.l->pipeInput("k", "a1", 1000);
  t.l->pipeInput("j", "a2", 2000);
  EXPECT_TRUE(t.out->isEmpty()) << "no early a1+null";
  t.r->pipeInput("k", "b1", 4000);  // a1's partner arrives within the window
  EXPECT_EQ(t.out->readKeyValuesToList(), (Pairs{{"k", "a1+b1"}}));
  t.l->pipeInput("x", "a3", 9000);  // stream time 9 s: a2's window (2 s + 5 s + 1 s grace) has closed
  EXPECT_EQ(t.out->readKeyValuesToList(), (Pairs{{"j", "a2+null"}}));
}

TEST(StreamStreamJoin, OuterJoinEmitsUnmatchedRecordsOfBothSides) {
  TwoStreams t;
  t.start(t.left.outerJoin(
      t.right,
      [](const std::optional<std::string>& a, const std::optional<std::string>& b) { return show(a) + "+" + show(b); },
      JoinWindows::ofTimeDifferenceWithNoGrace(2s)));
  t.l->pipeInput("a", "l1", 1000);
  t.r->pipeInput("b", "r1", 1500);
  t.l->pipeInput("c", "l2", 1600);
  t.r->pipeInput("c", "r2", 1700);
  t.l->pipeInput("z", "late-clock", 10000);
  auto out = t.out->readKeyValuesToList();
  std::multiset<std::string> results;
  for (auto& kv : out) results.insert(kv.key + ":" + kv.value);
  EXPECT_EQ(results, (std::multiset<std::string>{"a:l1+null", "b:null+r1", "c:l2+r2"}));
}

TEST(StreamStreamJoin, LeftJoinKeepsEveryUnmatchedRecordOfOneKeyAndTimestamp) {
  TwoStreams t;
  t.start(t.left.leftJoin(
      t.right, [](const std::string& a, const std::optional<std::string>& b) { return a + "+" + show(b); },
      JoinWindows::ofTimeDifferenceWithNoGrace(5s)));
  t.l->pipeInput("k", "a", 1000);
  t.l->pipeInput("k", "b", 1000);  // same key, same timestamp: both wait
  t.l->pipeInput("x", "z", 20000);
  EXPECT_EQ(t.out->readKeyValuesToList(), (Pairs{{"k", "a+null"}, {"k", "b+null"}}));
}

// As in Kafka Streams, a record joins what the other side still holds within its window,
// however late it is; only a record older than its own side keeps (window plus grace) is
// not kept for the other side's later records, and counts as dropped.
TEST(StreamStreamJoin, ALateRecordStillJoinsWhatTheOtherSideHolds) {
  TwoStreams t;
  t.start(t.left.join(t.right, [](const std::string& a, const std::string& b) { return a + "+" + b; },
                      JoinWindows::ofTimeDifferenceAndGrace(2s, 1s)));
  t.r->pipeInput("k", "b", 7000);
  t.l->pipeInput("x", "clock", 10000);  // stream time 10 s
  t.l->pipeInput("k", "a", 6000);       // its window [4 s, 8 s] closed at 9 s; b is still held
  auto joined = t.out->readRecordsToList();
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].value, "a+b");
  EXPECT_EQ(joined[0].timestamp, 7000);
  EXPECT_EQ(t.driver->droppedRecords(), 0);
}

TEST(StreamStreamJoin, ARecordOlderThanItsSideKeepsIsDroppedFromItsStore) {
  TwoStreams t;
  t.start(t.left.join(t.right, [](const std::string& a, const std::string& b) { return a + b; },
                      JoinWindows::ofTimeDifferenceAndGrace(2s, 1s)));
  t.l->pipeInput("k", "new", 10000);
  t.l->pipeInput("k", "old", 1000);  // the left side keeps 2 s + 2 s + 1 s before 10 s: not 1 s
  EXPECT_EQ(t.driver->droppedRecords(), 1);
  t.r->pipeInput("k", "b", 1500);  // would join "old", which was not kept
  EXPECT_TRUE(t.out->isEmpty());
}

TEST(StreamStreamJoin, AWindowOfNoTimeDifferenceJoinsRecordsOfTheSameTimestamp) {
  TwoStreams t;
  t.start(t.left.join(t.right, [](const std::string& a, const std::string& b) { return a + "+" + b; },
                      JoinWindows::ofTimeDifferenceWithNoGrace(0ms)));
  t.l->pipeInput("k", "a", 1000);
  t.r->pipeInput("k", "b", 1000);
  t.r->pipeInput("k", "c", 1001);
  EXPECT_EQ(t.out->readKeyValuesToList(), (Pairs{{"k", "a+b"}}));
  EXPECT_EQ(t.driver->droppedRecords(), 0);
}

TEST(StreamStreamJoin, AWindowWithANegativeBeforeJoinsOnlyLaterRightRecords) {
  TwoStreams t;
  t.start(t.left.join(t.right, [](const std::string& a, const std::string& b) { return a + "+" + b; },
                      JoinWindows::ofTimeDifferenceWithNoGrace(10s).before(-5s)));
  t.l->pipeInput("k", "a", 100000);
  t.r->pipeInput("k", "early", 104000);  // 4 s after a: less than the 5 s a right record must be later
  t.r->pipeInput("k", "b", 107000);      // 7 s after a: within [5 s, 10 s]
  auto joined = t.out->readRecordsToList();
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].value, "a+b");
  EXPECT_EQ(joined[0].timestamp, 107000);
  EXPECT_EQ(t.driver->droppedRecords(), 0);
}

TEST(StreamTableJoin, EachRecordSeesTheCurrentRowAndTableUpdatesEmitNothing) {
  StreamsBuilder builder;
  auto profiles = builder.table<std::string, std::string>("profiles");
  auto orders = builder.stream<std::string, std::string>("orders");
  orders.join(profiles, [](const std::string& o, const std::string& p) { return o + "@" + p; }).to("joined");
  orders.leftJoin(profiles, [](const std::string& o, const std::optional<std::string>& p) { return o + "@" + show(p); })
      .to("left-joined");
  TopologyTestDriver driver(builder.build());
  auto p = driver.createInputTopic<std::string, std::optional<std::string>>("profiles");
  auto o = driver.createInputTopic<std::string, std::string>("orders");
  auto joined = driver.createOutputTopic<std::string, std::string>("joined");
  auto leftJoined = driver.createOutputTopic<std::string, std::string>("left-joined");
  o.pipeInput("c1", "o1");
  p.pipeInput("c1", std::string("gold"));
  o.pipeInput("c1", "o2");
  p.pipeInput("c1", std::string("silver"));
  o.pipeInput("c1", "o3");
  p.pipeInput("c1", std::nullopt);
  o.pipeInput("c1", "o4");
  EXPECT_EQ(joined.readValuesToList(), (std::vector<std::string>{"o2@gold", "o3@silver"}));
  EXPECT_EQ(leftJoined.readValuesToList(), (std::vector<std::string>{"o1@null", "o2@gold", "o3@silver", "o4@null"}));
}

TEST(StreamTableJoin, AStreamWhoseKeyChangedIsRepartitionedFirst) {
  StreamsBuilder builder;
  auto profiles = builder.table<std::string, std::string>("profiles");
  builder.stream<std::string, std::string>("orders")
      .selectKey([](const std::string&, const std::string& v) { return v.substr(0, v.find(':')); })
      .join(profiles, [](const std::string& o, const std::string& p) { return o + "@" + p; })
      .to("joined");
  Topology topology = builder.build();
  EXPECT_EQ(topology.graph().repartitionTopics().size(), 1u);
  TopologyTestDriver driver(topology);
  auto p = driver.createInputTopic<std::string, std::optional<std::string>>("profiles");
  auto o = driver.createInputTopic<std::string, std::string>("orders");
  auto joined = driver.createOutputTopic<std::string, std::string>("joined");
  p.pipeInput("c7", std::string("gold"));
  o.pipeInput("order-1", "c7:o1");
  EXPECT_EQ(joined.readKeyValue(), (KeyValue<std::string, std::string>{"c7", "c7:o1@gold"}));
}

TEST(TableTableJoin, ResultsFollowEitherSideAndDeletesPropagate) {
  StreamsBuilder builder;
  auto a = builder.table<std::string, std::string>("a");
  auto b = builder.table<std::string, std::string>("b");
  auto produced = Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String());
  a.join(b, [](const std::string& x, const std::string& y) { return x + y; },
         Materialized<std::string, std::string>::as("inner").withCachingDisabled())
      .toStream()
      .to("inner", produced);
  a.leftJoin(b, [](const std::string& x, const std::optional<std::string>& y) { return x + show(y); })
      .toStream()
      .to("left", produced);
  a.outerJoin(b, [](const std::optional<std::string>& x, const std::optional<std::string>& y) { return show(x) + show(y); })
      .toStream()
      .to("outer", produced);
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::optional<std::string>>("a");
  auto inB = driver.createInputTopic<std::string, std::optional<std::string>>("b");
  auto inner = driver.createOutputTopic<std::string, std::optional<std::string>>("inner");
  auto left = driver.createOutputTopic<std::string, std::optional<std::string>>("left");
  auto outer = driver.createOutputTopic<std::string, std::optional<std::string>>("outer");
  using Out = std::vector<std::optional<std::string>>;
  in.pipeInput("k", std::string("1"));
  inB.pipeInput("k", std::string("x"));
  in.pipeInput("k", std::string("2"));
  inB.pipeInput("k", std::nullopt);
  in.pipeInput("k", std::nullopt);
  EXPECT_EQ(inner.readValuesToList(), (Out{"1x", "2x", std::nullopt}));
  EXPECT_EQ(left.readValuesToList(), (Out{"1null", "1x", "2x", "2null", std::nullopt}));
  EXPECT_EQ(outer.readValuesToList(), (Out{"1null", "1x", "2x", "2null", std::nullopt}));
  auto innerStore = driver.getKeyValueStore<std::string, std::string>("inner");
  EXPECT_EQ(innerStore->get("k"), std::nullopt);
}

TEST(TableTableJoin, AJoinGroupedDownstreamStillGetsTheOldValuesItSubtracts) {
  // Tables read a row's old value only when something below needs it. Here the need is
  // three nodes down (mapValues, groupBy): without the old joined value the moved user would
  // be counted in both regions.
  StreamsBuilder builder;
  auto users = builder.table<std::string, std::string>("user-regions");  // user -> region
  auto active = builder.table<std::string, std::string>("user-active");  // user -> anything
  users.join(active, [](const std::string& region, const std::string&) { return region; })
      .mapValues([](const std::string& region) { return "region-" + region; })
      .groupBy([](const std::string& user, const std::string& region) { return KeyValue{region, user}; })
      .count(Materialized<std::string, int64_t>::as("active-per-region").withCachingDisabled());
  TopologyTestDriver driver(builder.build());
  auto regions = driver.createInputTopic<std::string, std::optional<std::string>>("user-regions");
  auto activity = driver.createInputTopic<std::string, std::optional<std::string>>("user-active");
  auto store = driver.getKeyValueStore<std::string, int64_t>("active-per-region");
  regions.pipeInput("u1", std::string("eu"));
  regions.pipeInput("u2", std::string("eu"));
  activity.pipeInput("u1", std::string("yes"));
  activity.pipeInput("u2", std::string("yes"));
  EXPECT_EQ(store->get("region-eu"), 2);
  regions.pipeInput("u1", std::string("us"));  // moves
  EXPECT_EQ(store->get("region-eu"), 1);
  EXPECT_EQ(store->get("region-us"), 1);
  activity.pipeInput("u2", std::nullopt);  // no longer active
  EXPECT_EQ(store->get("region-eu"), 0);
}

TEST(GlobalTableJoin, StreamsJoinTheRowTheirKeySelectorPicks) {
  StreamsBuilder builder;
  auto countries = builder.globalTable<std::string, std::string>("countries",
                                                                 Consumed<std::string, std::string>{},
                                                                 Materialized<std::string, std::string>::as("countries"));
  auto orders = builder.stream<std::string, std::string>("orders");  // order id -> country code
  orders.join(countries, [](const std::string&, const std::string& code) { return code; },
              [](const std::string& code, const std::string& name) { return code + "=" + name; })
      .to("joined");
  orders.leftJoin(countries, [](const std::string&, const std::string& code) { return code; },
                  [](const std::string& code, const std::optional<std::string>& name) { return code + "=" + show(name); })
      .to("left");
  Topology topology = builder.build();
  EXPECT_NE(topology.describe().toString().find("for global store (will not generate tasks)"), std::string::npos);
  TopologyTestDriver driver(topology);
  auto c = driver.createInputTopic<std::string, std::string>("countries");
  auto o = driver.createInputTopic<std::string, std::string>("orders");
  auto joined = driver.createOutputTopic<std::string, std::string>("joined");
  auto left = driver.createOutputTopic<std::string, std::string>("left");
  c.pipeInput("FR", "France");
  o.pipeInput("o1", "FR");
  o.pipeInput("o2", "XX");
  EXPECT_EQ(joined.readKeyValuesToList(), (Pairs{{"o1", "FR=France"}}));
  EXPECT_EQ(left.readValuesToList(), (std::vector<std::string>{"FR=France", "XX=null"}));
  auto countryStore = driver.getKeyValueStore<std::string, std::string>("countries");
  EXPECT_EQ(countryStore->get("FR"), "France");
}

}  // namespace
}  // namespace kstreams

namespace kstreams {
namespace {

struct Order {
  std::string customer;
  int64_t amount = 0;
  bool operator==(const Order&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, customer, amount)

TEST(ForeignKeyJoin, RowsJoinTheRowTheirForeignKeyPointsAtAndFollowBothSides) {
  StreamsBuilder builder;
  auto orders = builder.table("orders", Consumed<std::string, Order>::with(Serdes::String(), Serdes::Json<Order>()));
  auto customers = builder.table<std::string, std::string>("customers");  // customer -> name
  auto produced = Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String());
  orders.join(customers, [](const Order& o) { return o.customer; },
              [](const Order& o, const std::string& name) { return name + ":" + std::to_string(o.amount); },
              Materialized<std::string, std::string>::as("enriched").withCachingDisabled())
      .toStream()
      .to("enriched", produced);
  orders.leftJoin(customers, [](const Order& o) { return o.customer; },
                  [](const Order& o, const std::optional<std::string>& name) { return show(name) + ":" + std::to_string(o.amount); })
      .toStream()
      .to("left-enriched", produced);
  TopologyTestDriver driver(builder.build());
  auto o = driver.createInputTopic<std::string, std::optional<Order>>("orders", Serdes::String(), Serdes::Json<Order>());
  auto c = driver.createInputTopic<std::string, std::optional<std::string>>("customers");
  auto enriched = driver.getKeyValueStore<std::string, std::string>("enriched");
  auto left = driver.createOutputTopic<std::string, std::optional<std::string>>("left-enriched");

  o.pipeInput("o1", Order{"c1", 10});
  EXPECT_EQ(enriched->get("o1"), std::nullopt) << "no customer yet";
  c.pipeInput("c1", std::string("Ada"));
  EXPECT_EQ(enriched->get("o1"), "Ada:10") << "the customer's arrival updates the order";
  o.pipeInput("o2", Order{"c1", 20});
  EXPECT_EQ(enriched->get("o2"), "Ada:20");
  c.pipeInput("c1", std::string("Ada L."));
  EXPECT_EQ(enriched->get("o1"), "Ada L.:10") << "a customer change reaches all its orders";
  EXPECT_EQ(enriched->get("o2"), "Ada L.:20");
  c.pipeInput("c2", std::string("Bob"));
  o.pipeInput("o1", Order{"c2", 11});  // the order moves to another customer
  EXPECT_EQ(enriched->get("o1"), "Bob:11");
  c.pipeInput("c1", std::string("Ada again"));
  EXPECT_EQ(enriched->get("o1"), "Bob:11") << "o1 no longer follows c1";
  o.pipeInput("o2", std::nullopt);
  EXPECT_EQ(enriched->get("o2"), std::nullopt) << "a deleted order leaves the result";
  c.pipeInput("c2", std::nullopt);
  EXPECT_EQ(enriched->get("o1"), std::nullopt) << "inner join: no customer, no row";
  EXPECT_EQ(left.readKeyValuesToMap().at("o1"), "null:11") << "left join keeps the order";
}

// As in Kafka Streams: a subscription's answer is as new as the newer of the subscribing row
// and the row it points at; a change of the row pointed at is as new as that change.
TEST(ForeignKeyJoin, AResultIsAsNewAsTheAnswerThatMadeIt) {
  StreamsBuilder builder;
  auto orders = builder.table("orders", Consumed<std::string, Order>::with(Serdes::String(), Serdes::Json<Order>()));
  auto customers = builder.table<std::string, std::string>("customers");
  orders.join(customers, [](const Order& o) { return o.customer; },
              [](const Order& o, const std::string& name) { return name + ":" + std::to_string(o.amount); },
              Materialized<std::string, std::string>::as("enriched").withCachingDisabled())
      .toStream()
      .to("enriched", Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String()));
  TopologyTestDriver driver(builder.build());
  auto o = driver.createInputTopic<std::string, std::optional<Order>>("orders", Serdes::String(), Serdes::Json<Order>());
  auto c = driver.createInputTopic<std::string, std::optional<std::string>>("customers");
  auto out = driver.createOutputTopic<std::string, std::optional<std::string>>("enriched");

  c.pipeInput("c1", std::string("Ada"), 100);
  o.pipeInput("o1", Order{"c1", 10}, 50);
  auto first = out.readRecordsToList();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].value, "Ada:10");
  EXPECT_EQ(first[0].timestamp, 100) << "the customer row is newer than the order";
  c.pipeInput("c1", std::string("Ada L."), 70);
  auto second = out.readRecordsToList();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].value, "Ada L.:10");
  EXPECT_EQ(second[0].timestamp, 70) << "the customer's change, as Kafka Streams stamps it";
}

}  // namespace
}  // namespace kstreams
