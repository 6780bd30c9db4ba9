// Every stateless KStream operator, through the TopologyTestDriver.
#include <gtest/gtest.h>

#include "runtime/topology_test_driver.h"
#include "streams/json_serde.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using KV = KeyValue<std::string, std::string>;

struct Fixture {
  StreamsBuilder builder;
  KStream<std::string, std::string> input = builder.stream<std::string, std::string>("input");
};

TEST(KStream, FilterAndFilterNot) {
  Fixture f;
  auto isLong = [](const std::string&, const std::string& v) { return v.size() > 2; };
  f.input.filter(isLong).to("long");
  f.input.filterNot(isLong).to("short");
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto longOut = driver.createOutputTopic<std::string, std::string>("long");
  auto shortOut = driver.createOutputTopic<std::string, std::string>("short");
  in.pipeInput("a", "xyz");
  in.pipeInput("b", "x");
  EXPECT_EQ(longOut.readKeyValuesToList(), (std::vector<KV>{{"a", "xyz"}}));
  EXPECT_EQ(shortOut.readKeyValuesToList(), (std::vector<KV>{{"b", "x"}}));
}

TEST(KStream, MapChangesKeyAndValueTypes) {
  Fixture f;
  f.input.map([](const std::string& k, const std::string& v) {
           return KeyValue<int64_t, int32_t>{static_cast<int64_t>(k.size()),
                                             static_cast<int32_t>(v.size())};
         })
      .to("out");
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto out = driver.createOutputTopic<int64_t, int32_t>("out");
  in.pipeInput("abc", "hello");
  EXPECT_EQ(out.readKeyValue(), (KeyValue<int64_t, int32_t>{3, 5}));
}

TEST(KStream, MapValuesWithAndWithoutKey) {
  Fixture f;
  f.input.mapValues([](const std::string& v) { return static_cast<int64_t>(v.size()); }).to("len");
  f.input.mapValues([](const std::string& k, const std::string& v) { return k + ":" + v; }).to("kv");
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto len = driver.createOutputTopic<std::string, int64_t>("len");
  auto kv = driver.createOutputTopic<std::string, std::string>("kv");
  in.pipeInput("k", "four");
  EXPECT_EQ(len.readKeyValue(), (KeyValue<std::string, int64_t>{"k", 4}));
  EXPECT_EQ(kv.readValue(), "k:four");
}

TEST(KStream, FlatMapAndFlatMapValues) {
  Fixture f;
  f.input.flatMap([](const std::string& k, const std::string& v) {
           std::vector<KV> out;
           for (char c : v) out.push_back({k + c, std::string(1, c)});
           return out;
         })
      .to("chars");
  f.input.flatMapValues([](const std::string& v) {
           return std::vector<std::string>{v, v};
         })
      .to("twice");
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto chars = driver.createOutputTopic<std::string, std::string>("chars");
  auto twice = driver.createOutputTopic<std::string, std::string>("twice");
  in.pipeInput("k", "ab");
  in.pipeInput("e", "");
  EXPECT_EQ(chars.readKeyValuesToList(), (std::vector<KV>{{"ka", "a"}, {"kb", "b"}}));
  EXPECT_EQ(twice.readKeyValuesToList(), (std::vector<KV>{{"k", "ab"}, {"k", "ab"}, {"e", ""}, {"e", ""}}));
}

TEST(KStream, SelectKeyPeekAndForeach) {
  Fixture f;
  std::vector<std::string> peeked;
  auto seen = std::make_shared<std::vector<std::string>>();
  f.input.selectKey([](const std::string&, const std::string& v) { return v.substr(0, 1); })
      .peek([&peeked](const std::string& k, const std::string&) { peeked.push_back(k); })
      .to("out");
  f.input.foreach([seen](const std::string& k, const std::string& v) { seen->push_back(k + v); });
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto out = driver.createOutputTopic<std::string, std::string>("out");
  in.pipeInput("old", "value");
  EXPECT_EQ(out.readKeyValue(), (KV{"v", "value"}));
  EXPECT_EQ(peeked, (std::vector<std::string>{"v"}));
  EXPECT_EQ(*seen, (std::vector<std::string>{"oldvalue"}));
}

TEST(KStream, SplitSendsEachRecordToTheFirstMatchingBranch) {
  Fixture f;
  auto branches =
      f.input.split(Named::as("size-"))
          .branch([](const std::string&, const std::string& v) { return v.size() > 5; },
                  Branched<std::string, std::string>::as("large"))
          .branch([](const std::string&, const std::string& v) { return v.size() > 2; },
                  Branched<std::string, std::string>::as("medium"))
          .defaultBranch(Branched<std::string, std::string>::as("small"));
  ASSERT_EQ(branches.size(), 3u);
  branches.at("size-large").to("large");
  branches.at("size-medium").to("medium");
  branches.at("size-small").to("small");
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto large = driver.createOutputTopic<std::string, std::string>("large");
  auto medium = driver.createOutputTopic<std::string, std::string>("medium");
  auto small = driver.createOutputTopic<std::string, std::string>("small");
  in.pipeInput("1", "abcdefgh");
  in.pipeInput("2", "abcd");
  in.pipeInput("3", "a");
  EXPECT_EQ(large.readValuesToList(), (std::vector<std::string>{"abcdefgh"}));
  EXPECT_EQ(medium.readValuesToList(), (std::vector<std::string>{"abcd"}));
  EXPECT_EQ(small.readValuesToList(), (std::vector<std::string>{"a"}));
}

TEST(KStream, SplitWithoutDefaultDropsTheRestAndNamesBranchesByPosition) {
  Fixture f;
  auto branches = f.input.split()
                      .branch([](const std::string& k, const std::string&) { return k == "x"; })
                      .noDefaultBranch();
  ASSERT_EQ(branches.size(), 1u);
  EXPECT_TRUE(branches.begin()->first.ends_with("1")) << branches.begin()->first;
  branches.begin()->second.to("x");
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto x = driver.createOutputTopic<std::string, std::string>("x");
  in.pipeInput("y", "1");
  in.pipeInput("x", "2");
  EXPECT_EQ(x.readValuesToList(), (std::vector<std::string>{"2"}));
}

TEST(KStream, MergeKeepsRecordsOfBoth) {
  StreamsBuilder builder;
  auto a = builder.stream<std::string, std::string>("a");
  auto b = builder.stream<std::string, std::string>("b");
  a.merge(b).to("out");
  TopologyTestDriver driver(builder.build());
  auto inA = driver.createInputTopic<std::string, std::string>("a");
  auto inB = driver.createInputTopic<std::string, std::string>("b");
  auto out = driver.createOutputTopic<std::string, std::string>("out");
  inA.pipeInput("k", "1");
  inB.pipeInput("k", "2");
  inA.pipeInput("k", "3");
  EXPECT_EQ(out.readValuesToList(), (std::vector<std::string>{"1", "2", "3"}));
}

TEST(KStream, ToChoosesTheTopicPerRecord) {
  Fixture f;
  f.input.to([](const std::string& k, const std::string&, const RecordMetadata& in) {
    return "out-" + k + "-from-" + std::string(in.topic);
  });
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  in.pipeInput("a", "1");
  in.pipeInput("b", "2");
  EXPECT_EQ(driver.producedTopicNames(),
            (std::set<std::string>{"out-a-from-input", "out-b-from-input"}));
}

TEST(KStream, TimestampsAndHeadersFlowThrough) {
  Fixture f;
  f.input.mapValues([](const std::string& v) { return v + "!"; })
      .selectKey([](const std::string& k, const std::string&) { return k + k; })
      .to("out");
  TopologyTestDriver driver(f.builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto out = driver.createOutputTopic<std::string, std::string>("out");
  Headers headers{{"trace", std::string("abc")}, {"empty", std::nullopt}};
  in.pipeInput(TestRecord<std::string, std::string>{"k", "v", 1234, headers});
  TestRecord<std::string, std::string> r = out.readRecord();
  EXPECT_EQ(r.key, "kk");
  EXPECT_EQ(r.value, "v!");
  EXPECT_EQ(r.timestamp, 1234);
  EXPECT_EQ(r.headers, headers);
}

TEST(KStream, TombstonesAreOptionalValues) {
  StreamsBuilder builder;
  builder.stream<std::string, std::optional<std::string>>("input")
      .mapValues([](const std::optional<std::string>& v) {
        return v ? std::optional<int64_t>(v->size()) : std::nullopt;
      })
      .to("out", Produced<std::string, std::optional<int64_t>>::with(Serdes::String(), Serdes::Int64()));
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::optional<std::string>>("input");
  auto out = driver.createOutputTopic<std::string, std::optional<int64_t>>("out");
  in.pipeInput("a", std::string("xyz"));
  in.pipeInput("a", std::nullopt);
  EXPECT_EQ(out.readValue(), std::optional<int64_t>(3));
  EXPECT_EQ(out.readValue(), std::nullopt);
}

// A value "<name>@<millis>" carries its event time.
int64_t eventTime(const std::string&, const std::string& value, int64_t) {
  return std::stoll(value.substr(value.find('@') + 1));
}

// Consumed's timestamp extractor holds for a stream of optional values and for a table: a
// tombstone, which it cannot be given, keeps the record's own timestamp.
TEST(KStream, TheTimestampExtractorOfConsumedIsUsedForNullableStreamsAndTables) {
  const auto consumed =
      Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String()).withTimestampExtractor(eventTime);
  const auto produced = Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String());
  StreamsBuilder builder;
  builder.stream<std::string, std::optional<std::string>>("events", consumed).to("events-out", produced);
  builder.table("rows", consumed, Materialized<std::string, std::string>::as("rows").withCachingDisabled())
      .toStream()
      .to("rows-out", produced);
  TopologyTestDriver driver(builder.build());
  for (const char* topic : {"events", "rows"}) {
    auto in = driver.createInputTopic<std::string, std::optional<std::string>>(topic);
    in.pipeInput("k", std::string("a@1000"), 5);
    in.pipeInput("k", std::nullopt, 7);
    auto out = driver.createOutputTopic<std::string, std::optional<std::string>>(std::string(topic) + "-out");
    auto records = out.readRecordsToList();
    ASSERT_EQ(records.size(), 2u) << topic;
    EXPECT_EQ(records[0].timestamp, 1000) << topic;
    EXPECT_EQ(records[1].timestamp, 7) << topic;
  }
}

// A partitioner declared for other (non-optional) types cannot see every record of the
// stream; it is refused rather than left out.
TEST(KStream, APartitionerForOtherTypesIsRefusedNotDropped) {
  StreamsBuilder builder;
  auto tombstones = builder.stream<std::string, std::optional<std::string>>("input");
  auto toPartitionZero = [](std::string_view, const std::string&, const std::string&, int32_t) {
    return std::optional<int32_t>(0);
  };
  auto produced =
      Produced<std::string, std::string>::with(Serdes::String(), Serdes::String()).withStreamPartitioner(toPartitionZero);
  EXPECT_THROW(tombstones.to("out", produced), TopologyException);
}

TEST(KStream, RepartitionGoesThroughAnInternalTopicAndBack) {
  Fixture f;
  f.input.selectKey([](const std::string&, const std::string& v) { return v; })
      .repartition(Repartitioned<std::string, std::string>::as("by-value"))
      .to("out");
  Topology topology = f.builder.build();
  TopologyTestDriver driver(topology, {{"application.id", "app"}});
  auto in = driver.createInputTopic<std::string, std::string>("input");
  auto out = driver.createOutputTopic<std::string, std::string>("out");
  in.pipeInput("k", "v1");
  EXPECT_EQ(out.readKeyValue(), (KV{"v1", "v1"}));
  EXPECT_EQ(driver.producedTopicNames(),
            (std::set<std::string>{"app-by-value-repartition", "out"}));
  EXPECT_EQ(topology.graph().subtopologies().size(), 2u);
}

struct Order {
  std::string id;
  double amount = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, id, amount)

TEST(KStream, JsonValuesAndDefaultSerdesFromConfig) {
  StreamsBuilder builder;
  builder.stream<std::string, Order>("orders")
      .filter([](const std::string&, const Order& o) { return o.amount > 10; })
      .mapValues([](const Order& o) { return o.id; })
      .to("big");
  StreamsConfig config({{"application.id", "app"}, {"bootstrap.servers", "x:1"}});
  config.setDefaultSerde(Serdes::Json<Order>());
  TopologyTestDriver driver(builder.build(), config);
  auto in = driver.createInputTopic<std::string, Order>("orders");
  auto out = driver.createOutputTopic<std::string, std::string>("big");
  in.pipeInput("c1", Order{"o1", 5});
  in.pipeInput("c1", Order{"o2", 50});
  EXPECT_EQ(out.readValuesToList(), (std::vector<std::string>{"o2"}));
}

TEST(KStream, MissingSerdeIsAClearErrorAtStart) {
  StreamsBuilder builder;
  builder.stream<std::string, Order>("orders").to("out");
  try {
    TopologyTestDriver driver(builder.build());
    FAIL() << "expected a TopologyException";
  } catch (const TopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("Order"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("KSTREAM-SOURCE-0000000000"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace kstreams
