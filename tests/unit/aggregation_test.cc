// Aggregations and tables through the TopologyTestDriver: count, reduce, aggregate, source
// tables with tombstones, table operations, regrouped tables, the Processor API with stores.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using Counts = std::vector<KeyValue<std::string, std::optional<int64_t>>>;
const auto kCount = Produced<std::string, std::optional<int64_t>>::with(Serdes::String(), Serdes::Int64());

TEST(Aggregation, CountPerKeyWithoutCacheForwardsEveryUpdate) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in")
      .groupByKey()
      .count(Materialized<std::string, int64_t>::as("counts").withCachingDisabled())
      .toStream()
      .to("out", kCount);
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, std::optional<int64_t>>("out");
  in.pipeInput("a", "x");
  in.pipeInput("b", "x");
  in.pipeInput("a", "y");
  EXPECT_EQ(out.readKeyValuesToList(), (Counts{{"a", 1}, {"b", 1}, {"a", 2}}));
  auto store = driver.getKeyValueStore<std::string, int64_t>("counts");
  EXPECT_EQ(store->get("a"), 2);
  EXPECT_EQ(store->get("b"), 1);
  EXPECT_EQ(store->get("c"), std::nullopt);
  EXPECT_EQ(store->all().toList().size(), 2u);
}

TEST(Aggregation, WordCountRepartitionsByTheNewKey) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("lines")
      .flatMapValues([](const std::string& line) {
        std::vector<std::string> words;
        std::istringstream s(line);
        for (std::string w; s >> w;) words.push_back(w);
        return words;
      })
      .groupBy([](const std::string&, const std::string& word) { return word; },
               Grouped<std::string, std::string>::as("words"))
      .count(Materialized<std::string, int64_t>::as("word-counts"))
      .toStream()
      .to("counts", kCount);
  Topology topology = builder.build();
  EXPECT_EQ(topology.graph().subtopologies().size(), 2u);
  TopologyTestDriver driver(topology, {{"application.id", "wc"}});
  auto in = driver.createInputTopic<std::string, std::string>("lines");
  auto out = driver.createOutputTopic<std::string, std::optional<int64_t>>("counts");
  in.pipeInput("l1", "the cat and the hat");
  in.pipeInput("l2", "the end");
  auto counts = out.readKeyValuesToMap();
  EXPECT_EQ(counts.at("the"), 3);
  EXPECT_EQ(counts.at("cat"), 1);
  EXPECT_EQ(counts.at("end"), 1);
  EXPECT_TRUE(driver.producedTopicNames().count("wc-words-repartition"));
  EXPECT_TRUE(driver.producedTopicNames().count("wc-word-counts-changelog"));
  auto store = driver.getKeyValueStore<std::string, int64_t>("word-counts");
  EXPECT_EQ(store->get("the"), 3);
}

// As in Kafka Streams: aggregations of a grouped stream named by Grouped share its
// repartition topic; unnamed ones each get their own, named after their store.
TEST(Aggregation, AGroupedStreamWhoseKeyChangedCanBeAggregatedMoreThanOnce) {
  StreamsBuilder builder;
  auto byValue = [](const std::string&, const std::string& v) { return v; };
  auto words = builder.stream<std::string, std::string>("words");
  auto named = words.groupBy(byValue, Grouped<std::string, std::string>::as("by-word"));
  named.count(Materialized<std::string, int64_t>::as("named-counts").withCachingDisabled());
  named.reduce([](const std::string& agg, const std::string& v) { return agg + v; },
               Materialized<std::string, std::string>::as("named-concat").withCachingDisabled());
  auto unnamed = words.groupBy(byValue);
  unnamed.count(Materialized<std::string, int64_t>::as("counts-1").withCachingDisabled());
  unnamed.count(Materialized<std::string, int64_t>::as("counts-2").withCachingDisabled());
  unnamed.count();
  unnamed.count();
  Topology topology = builder.build();
  std::set<std::string> topics;
  for (const auto& [topic, spec] : topology.graph().repartitionTopics()) topics.insert(topic);
  EXPECT_EQ(topics.size(), 5u);
  EXPECT_TRUE(topics.count("by-word-repartition"));
  EXPECT_TRUE(topics.count("counts-1-repartition"));
  EXPECT_TRUE(topics.count("counts-2-repartition"));
  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, std::string>("words");
  in.pipeInput("1", "a");
  in.pipeInput("2", "a");
  in.pipeInput("3", "b");
  auto count = [&](const std::string& store, const std::string& key) {
    return driver.getKeyValueStore<std::string, int64_t>(store)->get(key);
  };
  EXPECT_EQ(count("named-counts", "a"), 2);
  EXPECT_EQ(count("counts-1", "a"), 2);
  EXPECT_EQ(count("counts-2", "b"), 1);
  auto concat = driver.getKeyValueStore<std::string, std::string>("named-concat");
  EXPECT_EQ(concat->get("a"), "aa");
}

TEST(Aggregation, CachedResultsAreForwardedOncePerCommit) {
  // The driver commits after each piped record, so a record that updates the same key twice
  // (a flatMap emitting one key twice) shows the cache merging within a commit.
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in")
      .flatMapValues([](const std::string& v) { return std::vector<std::string>{v, v, v}; })
      .groupByKey()
      .count()
      .toStream()
      .to("out", kCount);
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, std::optional<int64_t>>("out");
  in.pipeInput("k", "x");
  in.pipeInput("k", "y");
  EXPECT_EQ(out.readKeyValuesToList(), (Counts{{"k", 3}, {"k", 6}}));
}

TEST(Aggregation, ReduceAndAggregate) {
  StreamsBuilder builder;
  auto amounts = builder.stream<std::string, int64_t>("amounts").groupByKey();
  amounts.reduce([](int64_t a, int64_t b) { return std::max(a, b); }).toStream().to("max", kCount);
  amounts
      .aggregate([] { return std::string(); },
                 [](const std::string&, const int64_t& v, const std::string& agg) {
                   return agg.empty() ? std::to_string(v) : agg + "," + std::to_string(v);
                 },
                 Materialized<std::string, std::string>::as("history"))
      .toStream()
      .to("history", Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String()));
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, int64_t>("amounts");
  auto max = driver.createOutputTopic<std::string, std::optional<int64_t>>("max");
  auto history = driver.createOutputTopic<std::string, std::optional<std::string>>("history");
  in.pipeInput("c", 5);
  in.pipeInput("c", 3);
  in.pipeInput("c", 9);
  EXPECT_EQ(max.readKeyValuesToList(), (Counts{{"c", 5}, {"c", 5}, {"c", 9}}));
  EXPECT_EQ(history.readValuesToList().back(), "5,3,9");
}

TEST(Aggregation, NullKeysAndValuesAreDroppedBeforeGrouping) {
  StreamsBuilder builder;
  builder.stream<std::optional<std::string>, std::optional<std::string>>("in")
      .groupByKey()
      .count(Materialized<std::string, int64_t>::as("counts"));
  TopologyTestDriver driver(builder.build());
  driver.pipeRaw("in", std::nullopt, std::string("v"), 0, {});
  driver.pipeRaw("in", std::string("k"), std::nullopt, 0, {});
  driver.pipeRaw("in", std::string("k"), std::string("v"), 0, {});
  auto store = driver.getKeyValueStore<std::string, int64_t>("counts");
  EXPECT_EQ(store->get("k"), 1);
  EXPECT_EQ(store->approximateNumEntries(), 1);
}

TEST(Table, ASourceTableUpsertsAndTombstonesDelete) {
  StreamsBuilder builder;
  builder.table("users", Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String()),
                Materialized<std::string, std::string>::as("users-store").withCachingDisabled())
      .toStream()
      .to("changes", Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String()));
  TopologyTestDriver driver(builder.build());
  auto users = driver.createInputTopic<std::string, std::optional<std::string>>("users");
  auto changes = driver.createOutputTopic<std::string, std::optional<std::string>>("changes");
  users.pipeInput("u1", std::string("alice"));
  users.pipeInput("u2", std::string("bob"));
  users.pipeInput("u1", std::string("alicia"));
  users.pipeInput("u2", std::nullopt);
  users.pipeInput("u3", std::nullopt);  // deleting nothing changes nothing
  using Changes = std::vector<KeyValue<std::string, std::optional<std::string>>>;
  EXPECT_EQ(changes.readKeyValuesToList(),
            (Changes{{"u1", "alice"}, {"u2", "bob"}, {"u1", "alicia"}, {"u2", std::nullopt}}));
  auto store = driver.getKeyValueStore<std::string, std::string>("users-store");
  EXPECT_EQ(store->get("u1"), "alicia");
  EXPECT_EQ(store->get("u2"), std::nullopt);
}

TEST(Table, AStreamBecomesATableAndARekeyedOneIsRepartitionedFirst) {
  StreamsBuilder builder;
  auto events = builder.stream("events", Consumed<std::string, std::optional<std::string>>::with(Serdes::String(),
                                                                                               Serdes::String()));
  events.toTable(Named::as("latest"), Materialized<std::string, std::string>::as("latest-store").withCachingDisabled())
      .toStream()
      .to("latest-changes", Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String()));
  builder.stream("names", Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String()))
      .selectKey([](const std::string&, const std::string& v) { return v.substr(0, 1); })
      .toTable(Named::as("by-initial"), Materialized<std::string, std::string>::as("by-initial-store").withCachingDisabled());
  Topology topology = builder.build();
  EXPECT_NE(topology.describe().toString().find("by-initial-repartition"), std::string::npos)
      << topology.describe().toString();
  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, std::optional<std::string>>("events");
  auto out = driver.createOutputTopic<std::string, std::optional<std::string>>("latest-changes");
  in.pipeInput("k", std::string("a"));
  in.pipeInput("k", std::string("b"));
  in.pipeInput("k", std::nullopt);
  using Changes = std::vector<KeyValue<std::string, std::optional<std::string>>>;
  EXPECT_EQ(out.readKeyValuesToList(), (Changes{{"k", "a"}, {"k", "b"}, {"k", std::nullopt}}));
  auto names = driver.createInputTopic<std::string, std::string>("names");
  names.pipeInput("1", "ada");
  names.pipeInput("2", "alan");
  auto byInitial = driver.getKeyValueStore<std::string, std::string>("by-initial-store");
  EXPECT_EQ(byInitial->get("a"), "alan");
}

TEST(Table, FilterAndMapValuesPropagateChangesAndTombstones) {
  StreamsBuilder builder;
  auto balances = builder.table<std::string, int64_t>("balances", {},
                                                      Materialized<std::string, int64_t>::as("b").withCachingDisabled());
  balances.filter([](const std::string&, const int64_t& v) { return v >= 100; },
                  Materialized<std::string, int64_t>::as("rich").withCachingDisabled())
      .mapValues([](const int64_t& v) { return v * 2; })
      .toStream()
      .to("doubled-rich", kCount);
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::optional<int64_t>>("balances");
  auto out = driver.createOutputTopic<std::string, std::optional<int64_t>>("doubled-rich");
  in.pipeInput("a", int64_t{50});   // filtered out, nothing to retract
  in.pipeInput("a", int64_t{150});  // enters
  in.pipeInput("a", int64_t{20});   // leaves: a delete downstream
  in.pipeInput("b", int64_t{100});
  in.pipeInput("b", std::nullopt);  // deleted
  EXPECT_EQ(out.readKeyValuesToList(), (Counts{{"a", 300}, {"a", std::nullopt}, {"b", 200}, {"b", std::nullopt}}));
  auto rich = driver.getKeyValueStore<std::string, int64_t>("rich");
  EXPECT_EQ(rich->all().toList().size(), 0u);
}

TEST(Table, GroupedTableSubtractsFromTheOldGroupWhenAKeyMoves) {
  StreamsBuilder builder;
  builder.table<std::string, std::string>("user-regions")  // user -> region
      .groupBy([](const std::string& user, const std::string& region) { return KeyValue{region, user}; })
      .count(Materialized<std::string, int64_t>::as("users-per-region").withCachingDisabled());
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::optional<std::string>>("user-regions");
  auto store = driver.getKeyValueStore<std::string, int64_t>("users-per-region");
  in.pipeInput("u1", std::string("eu"));
  in.pipeInput("u2", std::string("eu"));
  in.pipeInput("u3", std::string("us"));
  EXPECT_EQ(store->get("eu"), 2);
  EXPECT_EQ(store->get("us"), 1);
  in.pipeInput("u1", std::string("us"));  // moves
  EXPECT_EQ(store->get("eu"), 1);
  EXPECT_EQ(store->get("us"), 2);
  in.pipeInput("u3", std::nullopt);  // leaves
  EXPECT_EQ(store->get("us"), 1);
}

// As Kafka Streams names them: a regrouped table's repartition topic is named by Grouped
// and shared by its aggregations, or else is each aggregation's own, named after its store.
TEST(Table, GroupedTableRepartitionTopicsAreNamedAsKafkaStreamsNamesThem) {
  StreamsBuilder builder;
  auto regions = builder.table<std::string, std::string>("user-regions");
  auto byRegion = [](const std::string& user, const std::string& region) { return KeyValue{region, user}; };
  auto named = regions.groupBy(byRegion, Grouped<std::string, std::string>::as("by-region"));
  named.count(Materialized<std::string, int64_t>::as("named-1").withCachingDisabled());
  named.count(Materialized<std::string, int64_t>::as("named-2").withCachingDisabled());
  auto unnamed = regions.groupBy(byRegion);
  unnamed.count(Materialized<std::string, int64_t>::as("users-per-region").withCachingDisabled());
  unnamed.reduce([](const std::string& a, const std::string& b) { return std::max(a, b); },
                 [](const std::string& a, const std::string&) { return a; },
                 Materialized<std::string, std::string>::as("last-user").withCachingDisabled());
  Topology topology = builder.build();
  std::set<std::string> topics;
  for (const auto& [topic, spec] : topology.graph().repartitionTopics()) topics.insert(topic);
  EXPECT_EQ(topics, (std::set<std::string>{"by-region-repartition", "users-per-region-repartition",
                                           "last-user-repartition"}));
  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, std::optional<std::string>>("user-regions");
  in.pipeInput("u1", std::string("eu"));
  in.pipeInput("u2", std::string("eu"));
  in.pipeInput("u1", std::string("us"));
  for (const char* store : {"named-1", "named-2", "users-per-region"}) {
    auto counts = driver.getKeyValueStore<std::string, int64_t>(store);
    EXPECT_EQ(counts->get("eu"), 1) << store;
    EXPECT_EQ(counts->get("us"), 1) << store;
  }
}

TEST(Table, GroupedTableAggregateWithAdderAndSubtractor) {
  StreamsBuilder builder;
  builder.table<std::string, int64_t>("account-balances")  // account -> balance; account = "<customer>/<n>"
      .groupBy([](const std::string& account, const int64_t& balance) {
        return KeyValue<std::string, int64_t>{account.substr(0, account.find('/')), balance};
      })
      .aggregate([] { return int64_t{0}; },
                 [](const std::string&, const int64_t& v, const int64_t& agg) { return agg + v; },
                 [](const std::string&, const int64_t& v, const int64_t& agg) { return agg - v; },
                 Materialized<std::string, int64_t>::as("customer-totals"));
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::optional<int64_t>>("account-balances");
  auto totals = driver.getKeyValueStore<std::string, int64_t>("customer-totals");
  in.pipeInput("c1/a", int64_t{100});
  in.pipeInput("c1/b", int64_t{50});
  in.pipeInput("c1/a", int64_t{70});  // an update replaces, it does not add
  EXPECT_EQ(totals->get("c1"), 120);
}

// Counts per key in a user store and emits the count on every record.
class CountingProcessor : public Processor<std::string, std::string, std::string, int64_t> {
 public:
  void init(ProcessorContext<std::string, int64_t>& ctx) override {
    ctx_ = &ctx;
    store_ = &ctx.getStateStore<KeyValueStore<std::string, int64_t>>("seen");
  }
  void process(Record<std::string, std::string> r) override {
    int64_t n = store_->get(r.key).value_or(0) + 1;
    store_->put(r.key, n);
    ctx_->forward(Record<std::string, int64_t>{r.key, n, r.timestamp, {}});
  }

 private:
  ProcessorContext<std::string, int64_t>* ctx_ = nullptr;
  KeyValueStore<std::string, int64_t>* store_ = nullptr;
};

TEST(ProcessorApi, AUserProcessorUsesItsStateStore) {
  StreamsBuilder builder;
  builder.addStateStore(Stores::keyValueStoreBuilder<std::string, int64_t>(Stores::inMemoryKeyValueStore("seen")));
  builder.stream<std::string, std::string>("in")
      .process([] { return std::make_unique<CountingProcessor>(); }, {"seen"})
      .to("out");
  Topology topology = builder.build();
  EXPECT_NE(topology.describe().toString().find("(stores: [seen])"), std::string::npos);
  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  in.pipeInput("a", "1");
  in.pipeInput("a", "2");
  EXPECT_EQ(out.readValuesToList(), (std::vector<int64_t>{1, 2}));
  auto seen = driver.getKeyValueStore<std::string, int64_t>("seen");
  EXPECT_EQ(seen->get("a"), 2);
}

// A store writes a String key or value as it is only with the built-in serde; a user's
// serde for std::string decides the bytes, which order the store (reversed here).
TEST(ProcessorApi, AStoreWithAUsersStringSerdeKeepsTheSerdesBytes) {
  auto reversed = Serdes::from<std::string>(
      [](const std::string& v, std::string& out) { out.append(v.rbegin(), v.rend()); },
      [](std::string_view b) { return std::string(b.rbegin(), b.rend()); }, "Reversed");
  StreamsBuilder builder;
  builder.addStateStore(Stores::keyValueStoreBuilder<std::string, std::string>(
      Stores::persistentKeyValueStore("last"), reversed, reversed));
  struct Last : Processor<std::string, std::string, std::string, std::string> {
    void init(ProcessorContext<std::string, std::string>& ctx) override {
      store = &ctx.getStateStore<KeyValueStore<std::string, std::string>>("last");
    }
    void process(Record<std::string, std::string> r) override { store->put(r.key, r.value); }
    KeyValueStore<std::string, std::string>* store = nullptr;
  };
  builder.stream<std::string, std::string>("in").process([] { return std::make_unique<Last>(); }, {"last"});
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  in.pipeInput("ab", "v1");
  in.pipeInput("ba", "v2");
  auto last = driver.getKeyValueStore<std::string, std::string>("last");
  EXPECT_EQ(last->get("ab"), "v1");
  EXPECT_EQ(last->get("ba"), "v2");
  std::vector<std::string> order;
  for (auto it = last->all(); it.hasNext();) order.push_back(it.next().key);
  EXPECT_EQ(order, (std::vector<std::string>{"ba", "ab"}));  // "ab" < "ba" as stored bytes
}

TEST(ProcessorApi, AStoreMustBeAddedBeforeAProcessorUsesIt) {
  StreamsBuilder builder;
  auto s = builder.stream<std::string, std::string>("in");
  auto useMissingStore = [&] { s.process([] { return std::make_unique<CountingProcessor>(); }, {"nope"}); };
  EXPECT_THROW(useMissingStore(), TopologyException);
}

TEST(ProcessorApi, TopologyAddStateStoreConnectsProcessors) {
  Topology topology;
  topology.addSource<std::string, std::string>("src", {"in"})
      .addProcessor("counter", [] { return std::make_unique<CountingProcessor>(); }, {"src"})
      .addStateStore(Stores::keyValueStoreBuilder<std::string, int64_t>(Stores::persistentKeyValueStore("seen"),
                                                                        Serdes::String(), Serdes::Int64()),
                     {"counter"})
      .addSink<std::string, int64_t>("sink", "out", nullptr, nullptr, {"counter"});
  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  in.pipeInput("k", "v");
  in.pipeInput("k", "v");
  EXPECT_EQ(out.readValuesToList(), (std::vector<int64_t>{1, 2}));
}

}  // namespace
}  // namespace kstreams
