// TopologyTestDriver semantics that a Kafka Streams user's tests rely on: when wall-clock
// punctuations fire, that every record is committed on its own (also records the topology
// reads back from its repartition topics), and that records the topology writes to a
// global table's topic reach the table.
#include <gtest/gtest.h>

#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using Counts = std::vector<KeyValue<std::string, int64_t>>;

// Emits the wall-clock time of each punctuation.
class WallClockTicker : public Processor<std::string, std::string, std::string, int64_t> {
 public:
  void init(ProcessorContext<std::string, int64_t>& ctx) override {
    ctx_ = &ctx;
    ctx.schedule(std::chrono::milliseconds(100), PunctuationType::WALL_CLOCK_TIME,
                 [this](int64_t now) { ctx_->forward(Record<std::string, int64_t>{"tick", now, now, {}}); });
  }
  void process(Record<std::string, std::string>) override {}

 private:
  ProcessorContext<std::string, int64_t>* ctx_ = nullptr;
};

std::vector<int64_t> ticks(TestOutputTopic<std::string, int64_t>& out) {
  std::vector<int64_t> times;
  for (const auto& kv : out.readKeyValuesToList()) times.push_back(kv.value);
  return times;
}

// As in Kafka Streams, a wall-clock punctuation is due one interval after it was scheduled
// and every interval after that; one that was missed is skipped, and the schedule keeps its
// phase.
TEST(TestDriver, AWallClockPunctuationKeepsThePhaseOfWhenItWasScheduled) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in")
      .process([] { return std::make_unique<WallClockTicker>(); })
      .to("out", Produced<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()));
  TopologyTestDriver driver(builder.build(), {}, 1050);  // scheduled at 1050: due at 1150, 1250, ...
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  driver.advanceWallClockTime(std::chrono::milliseconds(100));
  EXPECT_EQ(ticks(out), (std::vector<int64_t>{1150}));
  driver.advanceWallClockTime(std::chrono::milliseconds(50));  // 1200: not due
  EXPECT_EQ(ticks(out), (std::vector<int64_t>{}));
  driver.advanceWallClockTime(std::chrono::milliseconds(50));  // 1250
  EXPECT_EQ(ticks(out), (std::vector<int64_t>{1250}));
  driver.advanceWallClockTime(std::chrono::milliseconds(230));  // 1480: 1350 and 1450 missed, fires once
  EXPECT_EQ(ticks(out), (std::vector<int64_t>{1480}));
  driver.advanceWallClockTime(std::chrono::milliseconds(60));  // 1540: next due at 1550
  EXPECT_EQ(ticks(out), (std::vector<int64_t>{}));
  driver.advanceWallClockTime(std::chrono::milliseconds(10));
  EXPECT_EQ(ticks(out), (std::vector<int64_t>{1550}));
}

// Kafka Streams' driver commits after every record it processes, records read back from a
// repartition topic included: with caching on, each update of a count is forwarded.
TEST(TestDriver, EachRecordReadBackFromARepartitionTopicIsCommittedOnItsOwn) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in")
      .flatMap([](const std::string&, const std::string& v) {
        return std::vector<KeyValue<std::string, std::string>>{{v, "a"}, {v, "b"}, {v, "c"}};
      })
      .groupByKey()
      .count(Materialized<std::string, int64_t>::as("counts"))
      .toStream()
      .to("out", Produced<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()));
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  in.pipeInput("k", "x");
  EXPECT_EQ(out.readKeyValuesToList(), (Counts{{"x", 1}, {"x", 2}, {"x", 3}}));
}

// As in Kafka Streams' driver, what the topology writes to a global table's topic updates
// the table, as piping it into that topic would.
TEST(TestDriver, RecordsTheTopologyWritesToAGlobalTablesTopicReachTheTable) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("country-updates").to("countries");
  auto countries = builder.globalTable<std::string, std::string>("countries", Consumed<std::string, std::string>{},
                                                                 Materialized<std::string, std::string>::as("countries"));
  builder.stream<std::string, std::string>("orders")
      .join(countries, [](const std::string&, const std::string& code) { return code; },
            [](const std::string& code, const std::string& name) { return code + "=" + name; })
      .to("joined");
  TopologyTestDriver driver(builder.build());
  auto updates = driver.createInputTopic<std::string, std::string>("country-updates");
  auto orders = driver.createInputTopic<std::string, std::string>("orders");
  auto joined = driver.createOutputTopic<std::string, std::string>("joined");
  updates.pipeInput("FR", "France");
  auto table = driver.getKeyValueStore<std::string, std::string>("countries");
  EXPECT_EQ(table->get("FR"), "France");
  orders.pipeInput("o1", "FR");
  using Pairs = std::vector<KeyValue<std::string, std::string>>;
  EXPECT_EQ(joined.readKeyValuesToList(), (Pairs{{"o1", "FR=France"}}));
}

// As in Kafka Streams, a global table's record that does not deserialize goes to the
// deserialization exception handler, not into the table: LogAndFail stops, naming it.
TopologyTestDriver amountsDriver(const std::string& handler) {
  StreamsBuilder builder;
  builder.globalTable<std::string, int64_t>("amounts", Consumed<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()),
                                            Materialized<std::string, int64_t>::as("amounts"));
  builder.stream<std::string, std::string>("unused").to("unused-out");
  return TopologyTestDriver(builder.build(), StreamsConfig({{"default.deserialization.exception.handler", handler}}));
}

TEST(TestDriver, AGlobalTablesRecordThatDoesNotDeserializeStopsTheDriverUnderLogAndFail) {
  TopologyTestDriver driver = amountsDriver("LogAndFail");
  try {
    driver.pipeRaw("amounts", std::string("bad"), std::string("abc"), 0, {});
    FAIL() << "a value of 3 bytes read as an int64 was taken";
  } catch (const StreamsException& e) {
    EXPECT_NE(std::string(e.what()).find("amounts partition 0 offset 0"), std::string::npos) << e.what();
  }
}

TEST(TestDriver, AGlobalTablesRecordThatDoesNotDeserializeIsSkippedUnderLogAndContinue) {
  TopologyTestDriver driver = amountsDriver("LogAndContinue");
  std::string seven;
  Serdes::Int64()->serialize(7, seven);
  driver.pipeRaw("amounts", std::string("good"), seven, 0, {});
  driver.pipeRaw("amounts", std::string("good"), std::string("abc"), 0, {});
  driver.pipeRaw("amounts", std::string("bad"), std::string("abc"), 0, {});
  auto table = driver.getKeyValueStore<std::string, int64_t>("amounts");
  EXPECT_EQ(table->get("good"), 7);
  EXPECT_EQ(table->get("bad"), std::nullopt);
  EXPECT_EQ(driver.skippedRecords(), 2);
}

}  // namespace
}  // namespace kstreams
