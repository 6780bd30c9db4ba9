// Cogrouped streams (KIP-150) through the TopologyTestDriver: inputs of different value
// types folding into one aggregate and one store, repartitioned inputs, time, sliding and
// session windows, the topology's names and sub-topologies, and the combinations refused.
#include <gtest/gtest.h>

#include "runtime/internal_topics.h"
#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using Rows = std::vector<KeyValue<std::string, std::optional<std::string>>>;
const auto kText = Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String());

// Clicks carry a page (string), purchases an amount (int64_t): one activity log per user.
auto addClick = [](const std::string&, const std::string& page, const std::string& log) { return log + "c:" + page + " "; };
auto addPurchase = [](const std::string&, const int64_t& amount, const std::string& log) {
  return log + "p:" + std::to_string(amount) + " ";
};
auto emptyLog = [] { return std::string(); };

TEST(Cogroup, TwoInputsOfDifferentValueTypesFoldIntoOneAggregateEachWithItsOwnAggregator) {
  StreamsBuilder builder;
  auto clicks = builder.stream<std::string, std::string>("clicks").groupByKey();
  auto purchases = builder.stream<std::string, int64_t>("purchases").groupByKey();
  KTable<std::string, std::string> activity =
      clicks.cogroup(addClick)
          .cogroup(purchases, addPurchase)
          .aggregate(emptyLog, Materialized<std::string, std::string>::as("activity").withCachingDisabled());
  EXPECT_EQ(activity.queryableStoreName(), "activity");
  activity.toStream().to("out", kText);
  TopologyTestDriver driver(builder.build());
  auto clickIn = driver.createInputTopic<std::string, std::string>("clicks");
  auto purchaseIn = driver.createInputTopic<std::string, int64_t>("purchases");
  auto out = driver.createOutputTopic<std::string, std::optional<std::string>>("out");
  clickIn.pipeInput("ann", "home", 1);
  purchaseIn.pipeInput("ann", 30, 2);
  purchaseIn.pipeInput("bob", 5, 3);
  clickIn.pipeInput("ann", "cart", 4);
  EXPECT_EQ(out.readKeyValuesToList(),
            (Rows{{"ann", "c:home "}, {"ann", "c:home p:30 "}, {"bob", "p:5 "}, {"ann", "c:home p:30 c:cart "}}));
  auto store = driver.getKeyValueStore<std::string, std::string>("activity");
  EXPECT_EQ(store->get("ann"), "c:home p:30 c:cart ");
  EXPECT_EQ(store->get("bob"), "p:5 ");
}

TEST(Cogroup, ThreeInputsThroughTheStoresCacheGiveTheLatestAggregatePerKey) {
  StreamsBuilder builder;
  auto clicks = builder.stream<std::string, std::string>("clicks").groupByKey();
  auto purchases = builder.stream<std::string, int64_t>("purchases").groupByKey();
  auto ratings = builder.stream<std::string, double>("ratings").groupByKey();
  // The aggregate's type given, for a generic aggregator.
  clicks.cogroup<std::string>([](const auto&, const auto& page, const std::string& log) { return log + "c:" + page + " "; })
      .cogroup(purchases, addPurchase)
      .cogroup(ratings, [](const std::string&, const double& stars, const std::string& log) {
        return log + "r:" + std::to_string(static_cast<int>(stars)) + " ";
      })
      .aggregate(emptyLog, Materialized<std::string, std::string>::as("activity"))
      .toStream()
      .to("out", kText);
  TopologyTestDriver driver(builder.build());
  driver.createInputTopic<std::string, double>("ratings").pipeInput("ann", 4.0, 1);
  driver.createInputTopic<std::string, std::string>("clicks").pipeInput("ann", "home", 2);
  driver.createInputTopic<std::string, int64_t>("purchases").pipeInput("ann", 12, 3);
  auto latest = driver.createOutputTopic<std::string, std::optional<std::string>>("out").readKeyValuesToMap();
  EXPECT_EQ(latest.at("ann"), "r:4 c:home p:12 ");
  EXPECT_EQ((driver.getKeyValueStore<std::string, std::string>("activity")->get("ann")), "r:4 c:home p:12 ");
}

TEST(Cogroup, ARekeyedInputGoesThroughARepartitionTopicOfItsOwnIntoTheOneAggregation) {
  StreamsBuilder builder;
  // Purchases keyed by order id, rekeyed by user: "user/amount".
  auto purchases = builder.stream<std::string, std::string>("purchases-by-order")
                       .groupBy([](const std::string&, const std::string& v) { return v.substr(0, v.find('/')); })
                       ;
  auto clicks = builder.stream<std::string, std::string>("clicks").groupByKey();
  clicks.cogroup(addClick)
      .cogroup(purchases, [](const std::string&, const std::string& v, const std::string& log) {
        return log + "p:" + v.substr(v.find('/') + 1) + " ";
      })
      .aggregate(emptyLog, Materialized<std::string, std::string>::as("activity").withCachingDisabled());
  Topology topology = builder.build();
  // The rekeying and the repartition topic's writer; then the aggregation of both inputs.
  EXPECT_EQ(topology.graph().subtopologies().size(), 2u) << topology.describe().toString();
  TopologyTestDriver driver(topology, {{"application.id", "app"}});
  driver.createInputTopic<std::string, std::string>("purchases-by-order").pipeInput("o-1", "ann/30", 1);
  driver.createInputTopic<std::string, std::string>("clicks").pipeInput("ann", "home", 2);
  EXPECT_TRUE(driver.producedTopicNames().count("app-activity-repartition"));
  EXPECT_EQ((driver.getKeyValueStore<std::string, std::string>("activity")->get("ann")), "p:30 c:home ");
}

TEST(Cogroup, EveryRekeyedInputHasARepartitionTopicOfItsOwn) {
  StreamsBuilder builder;
  auto byValue = [](const std::string&, const std::string& v) { return v; };
  auto one = builder.stream<std::string, std::string>("one").groupBy(byValue);
  auto two = builder.stream<std::string, std::string>("two").groupByKey();
  auto three = builder.stream<std::string, std::string>("three").groupBy(byValue);
  auto four = builder.stream<std::string, std::string>("four").groupBy(byValue, Grouped<std::string, std::string>::as("named"));
  auto count = [](const std::string&, const std::string&, const int64_t& n) { return n + 1; };
  one.cogroup(count).cogroup(two, count).cogroup(three, count).cogroup(four, count).aggregate(
      [] { return int64_t{0}; }, Materialized<std::string, int64_t>::as("counts").withCachingDisabled());
  Topology topology = builder.build();
  // Kafka Streams' name for the first; the store's name taken, the next one adds its
  // position among the inputs; a named grouping keeps its own.
  std::set<std::string> topics;
  for (const auto& [name, topic] : topology.graph().repartitionTopics()) topics.insert(name);
  EXPECT_EQ(topics, (std::set<std::string>{"counts-repartition", "counts-2-repartition", "named-repartition"}));
  TopologyTestDriver driver(topology);
  driver.createInputTopic<std::string, std::string>("one").pipeInput("x", "k", 1);
  driver.createInputTopic<std::string, std::string>("two").pipeInput("k", "x", 2);
  driver.createInputTopic<std::string, std::string>("three").pipeInput("y", "k", 3);
  driver.createInputTopic<std::string, std::string>("four").pipeInput("z", "k", 4);
  EXPECT_EQ((driver.getKeyValueStore<std::string, int64_t>("counts")->get("k")), 4);
}

// As in Kafka Streams: two cogroups of the same rekeyed grouping each repartition it through
// a topic named after their own store, and read in one sub-topology as they share an input.
TEST(Cogroup, ARekeyedGroupingInTwoCogroupsIsRepartitionedForEach) {
  StreamsBuilder builder;
  auto one = builder.stream<std::string, std::string>("one").groupBy(
      [](const std::string&, const std::string& v) { return v; });
  auto two = builder.stream<std::string, std::string>("two").groupByKey();
  auto concat = [](const std::string&, const std::string& v, const std::string& agg) { return agg + v; };
  auto first = one.cogroup(concat).cogroup(two, concat).aggregate(emptyLog);
  auto second = one.cogroup(concat).cogroup(two, concat).aggregate(emptyLog);
  ASSERT_NE(first.queryableStoreName(), second.queryableStoreName());
  Topology topology = builder.build();
  std::set<std::string> topics;
  for (const auto& [name, topic] : topology.graph().repartitionTopics()) topics.insert(name);
  EXPECT_EQ(topics, (std::set<std::string>{first.queryableStoreName() + "-repartition",
                                           second.queryableStoreName() + "-repartition"}));
  EXPECT_EQ(topology.graph().subtopologies().size(), 2u) << topology.describe().toString();
  TopologyTestDriver driver(topology);
  driver.createInputTopic<std::string, std::string>("one").pipeInput("x", "k", 1);
  driver.createInputTopic<std::string, std::string>("two").pipeInput("k", "y", 2);
  EXPECT_EQ((driver.getKeyValueStore<std::string, std::string>(first.queryableStoreName())->get("k")), "ky");
  EXPECT_EQ((driver.getKeyValueStore<std::string, std::string>(second.queryableStoreName())->get("k")), "ky");
}

// As Kafka Streams' describe() shows a cogroup: an aggregator per input, all using the one
// store, and a merge node (no store) that is the table.
TEST(Cogroup, DescribeShowsOneSubtopologyWithAnAggregatorPerInputAndAMergeNode) {
  StreamsBuilder builder;
  auto one = builder.stream<std::string, std::string>("one").groupByKey();
  auto two = builder.stream<std::string, std::string>("two").groupByKey();
  auto concat = [](const std::string&, const std::string& v, const std::string& agg) { return agg + v; };
  one.cogroup(concat)
      .cogroup(two, concat)
      .aggregate(emptyLog, Named::as("test"), Materialized<std::string, std::string>::as("store"))
      .toStream()
      .to("output", kText);
  Topology topology = builder.build();
  EXPECT_EQ(topology.describe().toString(),
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
            "      --> test-cogroup-agg-0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
            "      --> test-cogroup-agg-1\n"
            "    Processor: test-cogroup-agg-0 (stores: [store])\n"
            "      --> test-cogroup-merge\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: test-cogroup-agg-1 (stores: [store])\n"
            "      --> test-cogroup-merge\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: test-cogroup-merge (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000002\n"
            "      <-- test-cogroup-agg-0, test-cogroup-agg-1\n"
            "    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000003\n"
            "      <-- test-cogroup-merge\n"
            "    Sink: KSTREAM-SINK-0000000003 (topic: output)\n"
            "      <-- KTABLE-TOSTREAM-0000000002\n\n");
}

TEST(Cogroup, UnnamedNodesAndStoreGetKafkaStreamsPrefixes) {
  StreamsBuilder builder;
  auto one = builder.stream<std::string, std::string>("one").groupByKey();
  auto two = builder.stream<std::string, std::string>("two").groupByKey();
  auto concat = [](const std::string&, const std::string& v, const std::string& agg) { return agg + v; };
  KTable<std::string, std::string> table = one.cogroup(concat).cogroup(two, concat).aggregate(emptyLog);
  EXPECT_EQ(table.queryableStoreName().rfind("COGROUPKSTREAM-AGGREGATE-STATE-STORE-", 0), 0u)
      << table.queryableStoreName();
  const std::string text = builder.build().describe().toString();
  EXPECT_NE(text.find("Processor: COGROUPKSTREAM-AGGREGATE-0000000002 (stores: [" + table.queryableStoreName()), std::string::npos) << text;
  EXPECT_NE(text.find("Processor: COGROUPKSTREAM-AGGREGATE-0000000003"), std::string::npos) << text;
  EXPECT_NE(text.find("Processor: COGROUPKSTREAM-MERGE-0000000004 (stores: [])"), std::string::npos) << text;
}

// The merge node passes old values on: a table made from the cogroup can be regrouped and
// aggregated again, each update replacing the key's earlier value.
TEST(Cogroup, ATableAggregatedFromTheCogroupSubtractsOldValues) {
  StreamsBuilder builder;
  auto deposits = builder.stream<std::string, int64_t>("deposits").groupByKey();
  auto fees = builder.stream<std::string, std::string>("fees").groupByKey();
  deposits.cogroup([](const std::string&, const int64_t& amount, const int64_t& balance) { return balance + amount; })
      .cogroup(fees, [](const std::string&, const std::string&, const int64_t& balance) { return balance - 1; })
      .aggregate([] { return int64_t{0}; })
      .groupBy([](const std::string&, const int64_t& balance) { return KeyValue<std::string, int64_t>{"all", balance}; })
      .reduce([](const int64_t& a, const int64_t& b) { return a + b; },
              [](const int64_t& a, const int64_t& b) { return a - b; },
              Materialized<std::string, int64_t>::as("total").withCachingDisabled());
  TopologyTestDriver driver(builder.build());
  auto depositIn = driver.createInputTopic<std::string, int64_t>("deposits");
  depositIn.pipeInput("a", 10, 1);
  depositIn.pipeInput("b", 5, 2);
  driver.createInputTopic<std::string, std::string>("fees").pipeInput("a", "fee", 3);
  depositIn.pipeInput("a", 100, 4);
  EXPECT_EQ((driver.getKeyValueStore<std::string, int64_t>("total")->get("all")), 10 - 1 + 100 + 5);
}

TEST(Cogroup, TheSameGroupedStreamTwiceIsRefused) {
  StreamsBuilder builder;
  auto clicks = builder.stream<std::string, std::string>("clicks").groupByKey();
  auto cogrouped = clicks.cogroup(addClick);
  try {
    cogrouped.cogroup(clicks, addClick);
    FAIL() << "a grouped stream given twice should be refused";
  } catch (const TopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("KSTREAM-SOURCE-0000000000 is already an input of this cogroup"),
              std::string::npos)
        << e.what();
  }
  // Grouped again, the stream is another input, as in Kafka Streams.
  cogrouped.cogroup(builder.stream<std::string, std::string>("clicks-2").groupByKey(), addClick);
  EXPECT_EQ(cogrouped.inputs().size(), 2u);
}

TEST(Cogroup, GroupedStreamsOfAnotherBuilderAreRefused) {
  StreamsBuilder builder, other;
  auto clicks = builder.stream<std::string, std::string>("clicks").groupByKey();
  auto purchases = other.stream<std::string, int64_t>("purchases").groupByKey();
  try {
    clicks.cogroup(addClick).cogroup(purchases, addPurchase);
    FAIL() << "grouped streams of two builders cannot be cogrouped";
  } catch (const TopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("same StreamsBuilder"), std::string::npos) << e.what();
  }
}

// Kafka Streams puts a cogroup's input topics in one co-partition group: a repartition
// topic among them gets the partition count of the user topics it is read with.
TEST(Cogroup, ARepartitionedInputTakesThePartitionCountOfTheOtherInputs) {
  StreamsBuilder builder;
  auto rekeyed = builder.stream<std::string, std::string>("one").groupBy(
      [](const std::string&, const std::string& v) { return v; });
  auto two = builder.stream<std::string, std::string>("two").groupByKey();
  auto concat = [](const std::string&, const std::string& v, const std::string& agg) { return agg + v; };
  rekeyed.cogroup(concat).cogroup(two, concat).aggregate(emptyLog, Materialized<std::string, std::string>::as("s"));
  Topology topology = builder.build();
  auto topics = internal::InternalTopicManager::repartitionTopics(topology.graph(), "app", {{"one", 2}, {"two", 6}});
  ASSERT_EQ(topics.size(), 1u);
  EXPECT_EQ(topics[0].name, "app-s-repartition");
  EXPECT_EQ(topics[0].partitions, 6) << "as many as 'two', which it is aggregated with, not as 'one'";
}

// ---------------------------------------------------------------------------------------
// Windowed cogroups.

using WindowRows = std::map<std::pair<int64_t, int64_t>, std::string>;  // [start, end] -> aggregate

struct WindowedHarness {
  StreamsBuilder builder;
  KGroupedStream<std::string, std::string> clicks = builder.stream<std::string, std::string>("clicks").groupByKey();
  KGroupedStream<std::string, int64_t> purchases = builder.stream<std::string, int64_t>("purchases").groupByKey();
  std::unique_ptr<TopologyTestDriver> driver;
  std::optional<TestInputTopic<std::string, std::string>> clickIn;
  std::optional<TestInputTopic<std::string, int64_t>> purchaseIn;
  std::optional<TestOutputTopic<Windowed<std::string>, std::optional<std::string>>> out;

  CogroupedKStream<std::string, std::string> cogrouped() { return clicks.cogroup(addClick).cogroup(purchases, addPurchase); }
  void start(KTable<Windowed<std::string>, std::string> table) {
    auto windowed = WindowedSerdes::windowedSerdeFrom(Serdes::String());
    table.toStream().to("out", Produced<Windowed<std::string>, std::optional<std::string>>::with(windowed, Serdes::String()));
    driver = std::make_unique<TopologyTestDriver>(builder.build());
    clickIn = driver->createInputTopic<std::string, std::string>("clicks");
    purchaseIn = driver->createInputTopic<std::string, int64_t>("purchases");
    out = driver->createOutputTopic<Windowed<std::string>, std::optional<std::string>>("out", windowed, Serdes::String());
  }
  // The latest aggregate per window (a deleted window is absent).
  WindowRows latest() {
    WindowRows rows;
    for (auto& r : out->readRecordsToList()) {
      auto w = std::make_pair(r.key.window.start, r.key.window.end);
      if (r.value) rows[w] = *r.value;
      else rows.erase(w);
    }
    return rows;
  }
};

TEST(CogroupWindows, TimeWindowsFoldEveryInputIntoTheSameWindowsOfOneStore) {
  WindowedHarness h;
  h.start(h.cogrouped().windowedBy(TimeWindows::ofSizeWithNoGrace(10s)).aggregate(
      emptyLog, Materialized<std::string, std::string>::as("per-10s").withCachingDisabled()));
  h.clickIn->pipeInput("ann", "home", 1000);
  h.purchaseIn->pipeInput("ann", 30, 9000);
  h.purchaseIn->pipeInput("ann", 7, 12000);
  EXPECT_EQ(h.latest(), (WindowRows{{{0, 10000}, "c:home p:30 "}, {{10000, 20000}, "p:7 "}}));
  auto store = h.driver->getWindowStore<std::string, std::string>("per-10s");
  EXPECT_EQ(store->fetch("ann", 0), "c:home p:30 ");
  EXPECT_EQ(store->fetch("ann", 10000), "p:7 ");
}

// As in Kafka Streams, where each input's aggregator keeps its own stream time.
TEST(CogroupWindows, ARecordIsLateByTheStreamTimeOfItsOwnInput) {
  WindowedHarness h;
  h.start(h.cogrouped().windowedBy(TimeWindows::ofSizeAndGrace(10s, 2s)).aggregate(
      emptyLog, Materialized<std::string, std::string>::as("graced").withCachingDisabled()));
  h.clickIn->pipeInput("ann", "a", 1000);
  h.clickIn->pipeInput("ann", "b", 20000);  // clicks' time 20 s: [0,10) closed for clicks
  h.purchaseIn->pipeInput("ann", 5, 3000);  // purchases' time 3 s: [0,10) still open
  EXPECT_EQ(h.driver->droppedRecords(), 0);
  h.clickIn->pipeInput("ann", "late", 4000);  // late for clicks: dropped
  EXPECT_EQ(h.driver->droppedRecords(), 1);
  h.purchaseIn->pipeInput("ann", 6, 30000);
  h.purchaseIn->pipeInput("ann", 1, 5000);  // now late for purchases too
  EXPECT_EQ(h.driver->droppedRecords(), 2);
  auto rows = h.latest();
  EXPECT_EQ(rows.at({0, 10000}), "c:a p:5 ");
  EXPECT_EQ(rows.at({20000, 30000}), "c:b ");
  EXPECT_EQ(rows.at({30000, 40000}), "p:6 ");
}

TEST(CogroupWindows, SlidingWindowsFollowKafkaStreamsDefinitionAcrossInputs) {
  WindowedHarness h;
  h.start(h.cogrouped().windowedBy(SlidingWindows::ofTimeDifferenceWithNoGrace(5s)).aggregate(
      emptyLog, Materialized<std::string, std::string>::as("sliding").withCachingDisabled()));
  h.clickIn->pipeInput("k", "A", 10000);
  h.purchaseIn->pipeInput("k", 2, 12000);
  h.clickIn->pipeInput("k", "C", 20000);
  // One window per distinct set of records within 5 s: {A}, {2}, {A, 2}, {C}.
  EXPECT_EQ(h.latest(), (WindowRows{{{5000, 10000}, "c:A "},
                                    {{10001, 15001}, "p:2 "},
                                    {{7000, 12000}, "c:A p:2 "},
                                    {{15000, 20000}, "c:C "}}));
}

TEST(CogroupWindows, SessionWindowsMergeSessionsARecordOfAnyInputBridges) {
  WindowedHarness h;
  h.start(h.cogrouped()
              .windowedBy(SessionWindows::ofInactivityGapWithNoGrace(5s))
              .aggregate(emptyLog, [](const std::string&, const std::string& a, const std::string& b) { return a + b; },
                         Named::as("sessions"),
                         Materialized<std::string, std::string>::as("sessions").withCachingDisabled()));
  h.clickIn->pipeInput("k", "a", 0);
  h.purchaseIn->pipeInput("k", 3, 3000);
  h.clickIn->pipeInput("k", "c", 10000);
  EXPECT_EQ(h.latest(), (WindowRows{{{0, 3000}, "c:a p:3 "}, {{10000, 10000}, "c:c "}}));
  h.purchaseIn->pipeInput("k", 6, 6000);  // within 5 s of both sessions: one session now
  EXPECT_EQ(h.latest(), (WindowRows{{{0, 10000}, "c:a p:3 c:c p:6 "}}));
  auto sessions = h.driver->getSessionStore<std::string, std::string>("sessions");
  EXPECT_EQ(sessions->fetchSession("k", 0, 10000), "c:a p:3 c:c p:6 ");
  const std::string text = h.builder.build().describe().toString();
  EXPECT_NE(text.find("Processor: sessions-cogroup-agg-1 (stores: [sessions])"), std::string::npos) << text;
}

TEST(CogroupWindows, WindowedCogroupsCanBeCachedAndSuppressedToOneResultPerWindow) {
  WindowedHarness h;
  h.start(h.cogrouped()
              .windowedBy(TimeWindows::ofSizeWithNoGrace(10s))
              .aggregate(emptyLog)
              .suppress(Suppressed::untilWindowCloses(BufferConfig::unbounded())));
  h.clickIn->pipeInput("k", "a", 1000);
  h.purchaseIn->pipeInput("k", 2, 2000);
  EXPECT_TRUE(h.latest().empty());
  h.purchaseIn->pipeInput("k", 3, 10000);  // stream time passes [0,10)'s end: it closes
  EXPECT_EQ(h.latest(), (WindowRows{{{0, 10000}, "c:a p:2 "}}));
}

}  // namespace
}  // namespace kstreams
