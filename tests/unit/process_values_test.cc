// KStream::processValues (Kafka Streams' KIP-820): fixed-key processors change values, not
// keys, so unlike process() they leave a stream partitioned by its key; they forward,
// punctuate and use stores as processors do.
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using Pairs = std::vector<KeyValue<std::string, std::string>>;

// Forwards each value in upper case.
class Upper : public FixedKeyProcessor<std::string, std::string, std::string> {
 public:
  void init(FixedKeyProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
  void process(FixedKeyRecord<std::string, std::string> r) override {
    std::string v = r.value();
    for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ctx_->forward(std::move(r).withValue(std::move(v)));
  }

 private:
  FixedKeyProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

// The same through process(): a Processor may change keys, so kstreams must assume it did.
class UpperProcessor : public Processor<std::string, std::string, std::string, std::string> {
 public:
  void init(ProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
  void process(Record<std::string, std::string> r) override { ctx_->forward(std::move(r)); }

 private:
  ProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

std::set<std::string> repartitionTopics(const Topology& topology) {
  std::set<std::string> topics;
  for (const auto& [name, topic] : topology.graph().repartitionTopics()) topics.insert(name);
  return topics;
}

Topology countAfter(bool fixedKey, bool rekeyedFirst) {
  StreamsBuilder builder;
  auto in = builder.stream<std::string, std::string>("in");
  if (rekeyedFirst) in = in.selectKey([](const std::string&, const std::string& v) { return v; });
  auto processed = fixedKey ? in.processValues([] { return std::make_unique<Upper>(); })
                            : in.process([] { return std::make_unique<UpperProcessor>(); });
  processed.groupByKey()
      .count(Materialized<std::string, int64_t>::as("counts"))
      .toStream()
      .to("out", Produced<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()));
  return builder.build();
}

TEST(ProcessValues, GroupingAfterProcessValuesNeedsNoRepartitionTopicAsAfterProcessItDoes) {
  const Topology values = countAfter(true, false);
  EXPECT_EQ(repartitionTopics(values), std::set<std::string>{}) << values.describe();
  EXPECT_EQ(values.graph().subtopologies().size(), 1u);

  const Topology processed = countAfter(false, false);
  EXPECT_EQ(repartitionTopics(processed).size(), 1u) << processed.describe();
  EXPECT_EQ(processed.graph().subtopologies().size(), 2u);

  TopologyTestDriver driver(values);
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, int64_t>("out", Serdes::String(), Serdes::Int64());
  in.pipeInput("a", "x");
  in.pipeInput("a", "y");
  EXPECT_EQ(out.readKeyValuesToList(), (std::vector<KeyValue<std::string, int64_t>>{{"a", 1}, {"a", 2}}));
  for (const auto& topic : driver.producedTopicNames())
    EXPECT_EQ(topic.find("repartition"), std::string::npos) << topic;
}

// processValues keeps the key, not the partitioning: a key changed before it still has to
// be repartitioned for (Kafka Streams passes repartitionRequired on unchanged).
TEST(ProcessValues, AKeyChangedBeforeProcessValuesIsStillRepartitioned) {
  const Topology topology = countAfter(true, true);
  EXPECT_EQ(repartitionTopics(topology).size(), 1u) << topology.describe();
}

// Forwards the record twice: its value with the timestamp moved on by 5, and its length
// with a header added.
class Annotate : public FixedKeyProcessor<std::string, std::string, std::string> {
 public:
  void init(FixedKeyProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
  void process(FixedKeyRecord<std::string, std::string> r) override {
    ctx_->forward(r.withTimestamp(r.timestamp() + 5));
    Headers headers = r.headers();
    headers.add("length-of", r.key());
    ctx_->forward(std::move(r).withValue(std::to_string(r.value().size())).withHeaders(std::move(headers)));
  }

 private:
  FixedKeyProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

TEST(ProcessValues, ForwardsNewValuesTimestampsAndHeadersUnderTheInputsKey) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in")
      .processValues([] { return std::make_unique<Annotate>(); })
      .to("out");
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, std::string>("out");
  in.pipeInput(TestRecord<std::string, std::string>{"k", "hello", 100, Headers{{"trace", "t1"}}});
  using Out = TestRecord<std::string, std::string>;
  EXPECT_EQ(out.readRecordsToList(),
            (std::vector<Out>{{"k", "hello", 105, Headers{{"trace", "t1"}}},
                              {"k", "5", 100, Headers{{"trace", "t1"}, {"length-of", "k"}}}}));
}

// Keeps the latest record of each key and, every 10 ms of stream time, forwards each kept
// record with the punctuation's time as its value. Counts records in a store it is given.
class LatestEvery10Ms : public FixedKeyProcessor<std::string, std::string, std::string> {
 public:
  void init(FixedKeyProcessorContext<std::string, std::string>& ctx) override {
    ctx_ = &ctx;
    seen_ = &ctx.getStateStore<KeyValueStore<std::string, int64_t>>("seen");
    ctx.schedule(std::chrono::milliseconds(10), PunctuationType::STREAM_TIME, [this](int64_t time) {
      for (const auto& [key, record] : latest_) ctx_->forward(record.withValue("tick@" + std::to_string(time)));
      latest_.clear();
    });
  }
  void process(FixedKeyRecord<std::string, std::string> r) override {
    seen_->put(r.key(), seen_->get(r.key()).value_or(0) + 1);
    latest_.insert_or_assign(r.key(), std::move(r));
  }

 private:
  FixedKeyProcessorContext<std::string, std::string>* ctx_ = nullptr;
  KeyValueStore<std::string, int64_t>* seen_ = nullptr;
  std::map<std::string, FixedKeyRecord<std::string, std::string>> latest_;
};

TEST(ProcessValues, PunctuationsForwardKeptRecordsAndStoresAreConnectedByName) {
  StreamsBuilder builder;
  builder.addStateStore(Stores::keyValueStoreBuilder<std::string, int64_t>(Stores::inMemoryKeyValueStore("seen")));
  builder.stream<std::string, std::string>("in")
      .processValues([] { return std::make_unique<LatestEvery10Ms>(); }, Named::as("latest"), {"seen"})
      .to("out");
  const Topology topology = builder.build();
  EXPECT_NE(topology.describe().toString().find("Processor: latest (stores: [seen])"), std::string::npos)
      << topology.describe();

  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, std::string>("out");
  using Out = TestRecord<std::string, std::string>;
  in.pipeInput("a", "1", 0);  // stream-time punctuations are due at multiples of 10: 0 is one
  EXPECT_EQ(out.readRecordsToList(), (std::vector<Out>{{"a", "tick@0", 0, {}}}));
  in.pipeInput("b", "2", 3);
  in.pipeInput("a", "3", 7);
  EXPECT_TRUE(out.isEmpty());
  in.pipeInput("c", "4", 12);  // processed, then the punctuation due at 10 runs
  EXPECT_EQ(out.readRecordsToList(),
            (std::vector<Out>{{"a", "tick@12", 7, {}}, {"b", "tick@12", 3, {}}, {"c", "tick@12", 12, {}}}));
  in.pipeInput("a", "5", 25);
  EXPECT_EQ(out.readKeyValuesToList(), (Pairs{{"a", "tick@25"}}));
  auto seen = driver.getKeyValueStore<std::string, int64_t>("seen");
  EXPECT_EQ(seen->get("a"), 3);
}

// Sends a value starting with "a" to the child named "to-a", others to "to-b".
class Route : public FixedKeyProcessor<std::string, std::string, std::string> {
 public:
  void init(FixedKeyProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
  void process(FixedKeyRecord<std::string, std::string> r) override {
    const bool a = r.value().starts_with("a");
    ctx_->forward(std::move(r), a ? "to-a" : "to-b");
  }

 private:
  FixedKeyProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

TEST(ProcessValues, ForwardsToOneChildByName) {
  StreamsBuilder builder;
  auto routed = builder.stream<std::string, std::string>("in").processValues([] { return std::make_unique<Route>(); });
  routed.to("a", Produced<std::string, std::string>::as("to-a"));
  routed.to("b", Produced<std::string, std::string>::as("to-b"));
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto a = driver.createOutputTopic<std::string, std::string>("a");
  auto b = driver.createOutputTopic<std::string, std::string>("b");
  in.pipeInput("k1", "apple");
  in.pipeInput("k2", "banana");
  EXPECT_EQ(a.readKeyValuesToList(), (Pairs{{"k1", "apple"}}));
  EXPECT_EQ(b.readKeyValuesToList(), (Pairs{{"k2", "banana"}}));
}

// withValue("text") makes a record of const char*, which forward() takes as the
// std::string record the context forwards.
class Seen : public FixedKeyProcessor<std::string, int64_t, std::string> {
 public:
  void init(FixedKeyProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
  void process(FixedKeyRecord<std::string, int64_t> r) override { ctx_->forward(std::move(r).withValue("seen")); }

 private:
  FixedKeyProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

TEST(ProcessValues, AValueThatConvertsToTheOutputTypeIsForwardedAsIt) {
  StreamsBuilder builder;
  builder.stream<std::string, int64_t>("in").processValues([] { return std::make_unique<Seen>(); }).to("out");
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, int64_t>("in");
  auto out = driver.createOutputTopic<std::string, std::string>("out");
  in.pipeInput("k", 7);
  EXPECT_EQ(out.readKeyValuesToList(), (Pairs{{"k", "seen"}}));
}

// The conversion is implicit only where the values' is: a constructor the value type
// marks explicit (std::vector's from a size) is not called behind the processor's back,
// so withValue(r.value().size()) cannot become a vector of that many zeros.
TEST(ProcessValues, ARecordConvertsOnlyWhereItsValueConvertsImplicitly) {
  using Text = FixedKeyRecord<std::string, std::string>;
  using Numbers = FixedKeyRecord<std::string, std::vector<int>>;
  EXPECT_TRUE((std::is_convertible_v<FixedKeyRecord<std::string, const char*>&&, Text>));
  EXPECT_FALSE((std::is_convertible_v<FixedKeyRecord<std::string, size_t>&&, Numbers>));
  EXPECT_TRUE((std::is_constructible_v<Numbers, FixedKeyRecord<std::string, size_t>&&>))
      << "an explicit conversion stays possible, as for the values";
}

TEST(ProcessValues, AStoreNotNamedForTheProcessorIsAnErrorThatSaysWhereToNameIt) {
  StreamsBuilder builder;
  builder.addStateStore(Stores::keyValueStoreBuilder<std::string, int64_t>(Stores::inMemoryKeyValueStore("seen")));
  builder.stream<std::string, std::string>("in")
      .processValues([] { return std::make_unique<LatestEvery10Ms>(); })
      .to("out");
  try {
    TopologyTestDriver driver(builder.build());
    FAIL() << "a processor found a store it was not connected to";
  } catch (const StreamsException& e) {
    EXPECT_NE(std::string(e.what()).find("processValues"), std::string::npos) << e.what();
  }
}

// A generated name, as Kafka Streams gives it, and the key's serde carried over to what
// follows (here a sink that gives none of its own).
TEST(ProcessValues, IsNamedKStreamProcessValuesAndKeepsTheKeySerde) {
  auto reversed = Serdes::from<std::string>(
      [](const std::string& v, std::string& out) { out.append(v.rbegin(), v.rend()); },
      [](std::string_view b) { return std::string(b.rbegin(), b.rend()); }, "Reversed");
  StreamsBuilder builder;
  builder.stream("in", Consumed<std::string, std::string>::with(reversed, Serdes::String()))
      .processValues([] { return std::make_unique<Upper>(); })
      .to("out");
  const Topology topology = builder.build();
  EXPECT_NE(topology.describe().toString().find("Processor: KSTREAM-PROCESSVALUES-0000000001 (stores: [])"),
            std::string::npos)
      << topology.describe();
  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, std::string>("in", reversed, Serdes::String());
  auto out = driver.createOutputTopic<std::string, std::string>("out", Serdes::String(), Serdes::String());
  in.pipeInput("key", "abc");
  EXPECT_EQ(out.readKeyValuesToList(), (Pairs{{"yek", "ABC"}}));
}

// As in Kafka Streams, both take their name before the store names too.
TEST(ProcessValues, ProcessAndProcessValuesTakeTheNameFirst) {
  StreamsBuilder builder;
  builder.addStateStore(Stores::keyValueStoreBuilder<std::string, int64_t>(Stores::inMemoryKeyValueStore("seen")));
  builder.stream<std::string, std::string>("in")
      .process([] { return std::make_unique<UpperProcessor>(); }, Named::as("p"), {"seen"})
      .processValues([] { return std::make_unique<Upper>(); }, Named::as("pv"), {"seen"})
      .to("out");
  const std::string described = builder.build().describe().toString();
  EXPECT_NE(described.find("Processor: p (stores: [seen])"), std::string::npos) << described;
  EXPECT_NE(described.find("Processor: pv (stores: [seen])"), std::string::npos) << described;
}

}  // namespace
}  // namespace kstreams
