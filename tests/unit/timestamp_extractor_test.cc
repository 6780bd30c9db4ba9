// Timestamp extractors as in Kafka Streams: the partition time a 4-argument extractor is
// given, the built-in extractors and what each does with a negative timestamp, and
// default.timestamp.extractor. Through the TopologyTestDriver, which feeds the same Task code
// as a stream thread; and a Task driven directly where records must wait in its buffer.
#include <gtest/gtest.h>

#include <memory>

#include "runtime/task.h"
#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"
#include "streams/timestamp_extractors.h"
#include "tests/unit/task_services.h"

namespace kstreams {
namespace {

using Seen = std::vector<int64_t>;
using Extractor = TimestampExtractor<std::string, int64_t>;

TestInputTopic<std::string, int64_t> input(TopologyTestDriver& driver, const std::string& topic) {
  return driver.createInputTopic<std::string, int64_t>(topic);
}
TestOutputTopic<std::string, int64_t> output(TopologyTestDriver& driver, const std::string& topic) {
  return driver.createOutputTopic<std::string, int64_t>(topic);
}

// A stream of int64 values read from `topics`, written to "out" as they are.
Topology passThrough(std::initializer_list<std::string> topics, Extractor extractor) {
  StreamsBuilder builder;
  builder
      .stream(std::vector<std::string>(topics),
              Consumed<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()).withTimestampExtractor(extractor))
      .to("out", Produced<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()));
  return builder.build();
}

// An extractor that notes the partition time it is given and takes the value as the time.
Extractor notingPartitionTime(const std::shared_ptr<Seen>& seen) {
  return [seen](const std::string&, const int64_t& value, int64_t, int64_t partitionTime) {
    seen->push_back(partitionTime);
    return value;
  };
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const StreamsException& e) {
    return e.what();
  }
  return "";
}

void expectContains(const std::string& text, std::initializer_list<std::string> parts) {
  for (const auto& part : parts) EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' in: " << text;
}

// Two topics of one task: each record's extractor is given the time of its own partition
// (the largest timestamp processed from it so far, -1 before the first), not the task's.
TEST(TimestampExtractor, AFourArgumentExtractorIsGivenItsOwnPartitionsTime) {
  auto seen = std::make_shared<Seen>();
  TopologyTestDriver driver(passThrough({"a", "b"}, notingPartitionTime(seen)));
  auto a = driver.createInputTopic<std::string, int64_t>("a");
  auto b = driver.createInputTopic<std::string, int64_t>("b");
  a.pipeInput("k", 100);
  b.pipeInput("k", 50);
  a.pipeInput("k", 80);   // out of order: a's time stays 100
  b.pipeInput("k", 70);   // b's time is 50, though the task has seen 100
  a.pipeInput("k", 120);
  b.pipeInput("k", 60);
  EXPECT_EQ(*seen, (Seen{-1, -1, 100, 50, 100, 70}));
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  std::vector<int64_t> times;
  for (const auto& r : out.readRecordsToList()) times.push_back(r.timestamp);
  EXPECT_EQ(times, (std::vector<int64_t>{100, 50, 80, 70, 120, 60}));
}

// The three-argument form of before goes on working, and so does a 4-argument generic one.
TEST(TimestampExtractor, ThreeAndFourArgumentFunctionsAreBothExtractors) {
  TopologyTestDriver three(passThrough({"in"}, [](const std::string&, const int64_t& v, int64_t ts) { return v + ts; }));
  three.createInputTopic<std::string, int64_t>("in").pipeInput("k", 5, 1000);
  EXPECT_EQ(output(three, "out").readRecord().timestamp, 1005);

  TopologyTestDriver four(passThrough({"in"}, [](const auto&, const auto& v, int64_t ts, int64_t partitionTime) {
    return partitionTime < 0 ? ts : partitionTime + v;
  }));
  auto in = four.createInputTopic<std::string, int64_t>("in");
  in.pipeInput("k", 5, 1000);
  in.pipeInput("k", 7, 1);
  std::vector<int64_t> times;
  for (const auto& r : four.createOutputTopic<std::string, int64_t>("out").readRecordsToList())
    times.push_back(r.timestamp);
  EXPECT_EQ(times, (std::vector<int64_t>{1000, 1007}));

  // An empty function is no extractor, as an empty std::function was.
  const std::function<int64_t(const std::string&, const int64_t&, int64_t)> none;
  EXPECT_FALSE(static_cast<bool>(Extractor(none)));
  EXPECT_FALSE(static_cast<bool>(Extractor(nullptr)));
}

// Kafka Streams' default, FailOnInvalidTimestamp, stops at a negative timestamp whatever the
// deserialization handler says; so does the built-in given to a source.
TEST(TimestampExtractor, FailOnInvalidTimestampStopsAtANegativeTimestampUnderEitherHandler) {
  for (const char* handler : {"LogAndFail", "LogAndContinue"}) {
    for (bool explicitly : {false, true}) {
      TopologyTestDriver driver(
          passThrough({"in"}, explicitly ? Extractor(FailOnInvalidTimestamp{}) : Extractor()),
          StreamsConfig({{"default.deserialization.exception.handler", handler}}));
      auto in = driver.createInputTopic<std::string, int64_t>("in");
      in.pipeInput("k", 1, 10);
      const std::string error = messageOf([&] { in.pipeInput("k", 2, -7); });
      expectContains(error, {"topic in partition 0 offset 1", "timestamp -7", "FailOnInvalidTimestamp",
                             "LogAndSkipOnInvalidTimestamp"});
      EXPECT_EQ(driver.skippedRecords(), 0) << handler;
    }
  }
}

// LogAndSkipOnInvalidTimestamp skips the record (counted in skipped-records) and goes on;
// the skipped record does not move the partition time.
TEST(TimestampExtractor, LogAndSkipOnInvalidTimestampSkipsAndCounts) {
  TopologyTestDriver driver(passThrough({"in"}, LogAndSkipOnInvalidTimestamp{}));
  auto in = driver.createInputTopic<std::string, int64_t>("in");
  in.pipeInput("k", 1, 10);
  in.pipeInput("k", 2, -3);
  in.pipeInput("k", 3, 20);
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  EXPECT_EQ(out.readValuesToList(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(driver.skippedRecords(), 1);
}

// A function that gives a negative timestamp has its record skipped and counted, under the
// default deserialization handler too, as in Kafka Streams.
TEST(TimestampExtractor, ANegativeTimestampFromAFunctionSkipsTheRecord) {
  TopologyTestDriver driver(passThrough({"in"}, [](const std::string&, const int64_t& v, int64_t) { return v; }));
  auto in = driver.createInputTopic<std::string, int64_t>("in");
  in.pipeInput("k", -1, 10);
  in.pipeInput("k", 4, 10);
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  EXPECT_EQ(out.readValuesToList(), (std::vector<int64_t>{4}));
  EXPECT_EQ(driver.skippedRecords(), 1);
}

// An extractor that throws is the user's code failing, not a bad record: the thread stops
// under LogAndContinue too, as Kafka Streams' does. A record it must deserialize and cannot
// is a bad record, for the handler.
TEST(TimestampExtractor, AThrowingExtractorStopsButAnUnreadableRecordGoesToTheHandler) {
  const StreamsConfig config{{"default.deserialization.exception.handler", "LogAndContinue"}};
  TopologyTestDriver driver(passThrough({"in"}, [](const std::string&, const int64_t& v, int64_t) -> int64_t {
                              if (v == 13) throw std::runtime_error("unlucky");
                              return v;
                            }),
                            config);
  driver.pipeRaw("in", std::string("k"), std::string("short"), 5, {});  // not 8 bytes: no int64
  EXPECT_EQ(driver.skippedRecords(), 1);
  auto in = driver.createInputTopic<std::string, int64_t>("in");
  const std::string error = messageOf([&] { in.pipeInput("k", 13, 5); });
  expectContains(error, {"timestamp extractor", "topic in partition 0 offset 1", "unlucky"});
}

// UsePartitionTimeOnInvalidTimestamp gives a record with a negative timestamp its
// partition's time, and stops as Kafka Streams does when there is none yet.
TEST(TimestampExtractor, UsePartitionTimeOnInvalidTimestampUsesThePartitionsTime) {
  TopologyTestDriver driver(passThrough({"a", "b"}, UsePartitionTimeOnInvalidTimestamp{}));
  auto a = driver.createInputTopic<std::string, int64_t>("a");
  auto b = driver.createInputTopic<std::string, int64_t>("b");
  a.pipeInput("k", 1, 100);
  a.pipeInput("k", 2, 40);
  a.pipeInput("k", 3, -1);
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  std::vector<int64_t> times;
  for (const auto& r : out.readRecordsToList()) times.push_back(r.timestamp);
  EXPECT_EQ(times, (std::vector<int64_t>{100, 40, 100}));
  // b has no time of its own yet, whatever a's.
  const std::string error = messageOf([&] { b.pipeInput("k", 4, -1); });
  expectContains(error, {"topic b partition 0 offset 0", "timestamp -1", "UsePartitionTimeOnInvalidTimestamp"});
}

// WallclockTimestampExtractor: processing time, the driver's wall clock under the driver.
TEST(TimestampExtractor, WallclockTimestampExtractorTakesTheWallClock) {
  TopologyTestDriver driver(passThrough({"in"}, WallclockTimestampExtractor{}), {}, 5000);
  auto in = driver.createInputTopic<std::string, int64_t>("in");
  in.pipeInput("k", 1, 7);
  driver.advanceWallClockTime(std::chrono::milliseconds(25));
  in.pipeInput("k", 2, -7);
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  std::vector<int64_t> times;
  for (const auto& r : out.readRecordsToList()) times.push_back(r.timestamp);
  EXPECT_EQ(times, (std::vector<int64_t>{5000, 5025}));
}

// The built-ins read no key or value, so they serve a table's source (nullable types) too.
TEST(TimestampExtractor, ABuiltInServesATable) {
  StreamsBuilder builder;
  builder
      .table("rows", Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String())
                         .withTimestampExtractor(LogAndSkipOnInvalidTimestamp{}))
      .toStream()
      .to("out", Produced<std::string, std::optional<std::string>>::with(Serdes::String(), Serdes::String()));
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("rows");
  in.pipeInput("k", "v1", -1);
  in.pipeInput("k", "v2", 3);
  auto out = driver.createOutputTopic<std::string, std::optional<std::string>>("out");
  auto records = out.readRecordsToList();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value, std::optional<std::string>("v2"));
  EXPECT_EQ(driver.skippedRecords(), 1);
}

// default.timestamp.extractor names a built-in, as Kafka Streams' class name, short or in
// full; it serves every source without its own (repartition topics' too), and a source's
// own wins.
TEST(TimestampExtractor, DefaultTimestampExtractorServesSourcesWithoutTheirOwn) {
  for (const char* name : {"WallclockTimestampExtractor", "org.apache.kafka.streams.processor.WallclockTimestampExtractor"}) {
    StreamsBuilder builder;
    const auto consumed = Consumed<std::string, int64_t>::with(Serdes::String(), Serdes::Int64());
    const auto produced = Produced<std::string, int64_t>::with(Serdes::String(), Serdes::Int64());
    builder.stream("plain", consumed).to("plain-out", produced);
    builder.stream("own", Consumed<std::string, int64_t>(consumed).withTimestampExtractor(FailOnInvalidTimestamp{}))
        .to("own-out", produced);
    builder.stream("rekeyed", Consumed<std::string, int64_t>(consumed).withTimestampExtractor(FailOnInvalidTimestamp{}))
        .repartition()
        .to("rekeyed-out", produced);
    TopologyTestDriver driver(builder.build(), StreamsConfig({{"default.timestamp.extractor", name}}), 9000);
    for (const char* topic : {"plain", "own", "rekeyed"}) driver.createInputTopic<std::string, int64_t>(topic).pipeInput("k", 1, 3);
    EXPECT_EQ(output(driver, "plain-out").readRecord().timestamp, 9000) << name;
    EXPECT_EQ(output(driver, "own-out").readRecord().timestamp, 3) << name;
    // Read from its repartition topic with the default, the wall clock at that time.
    EXPECT_EQ(output(driver, "rekeyed-out").readRecord().timestamp, 9000) << name;
  }

  for (const char* name : {"LogAndSkipOnInvalidTimestamp", "org.apache.kafka.streams.processor.LogAndSkipOnInvalidTimestamp"}) {
    TopologyTestDriver driver(passThrough({"in"}, nullptr), StreamsConfig({{"default.timestamp.extractor", name}}));
    auto in = driver.createInputTopic<std::string, int64_t>("in");
    in.pipeInput("k", 1, -2);
    EXPECT_EQ(driver.skippedRecords(), 1) << name;
  }
  TopologyTestDriver usePartitionTime(passThrough({"in"}, nullptr),
                                      StreamsConfig({{"default.timestamp.extractor", "UsePartitionTimeOnInvalidTimestamp"}}));
  auto in = usePartitionTime.createInputTopic<std::string, int64_t>("in");
  in.pipeInput("k", 1, 50);
  in.pipeInput("k", 2, -2);
  EXPECT_EQ(output(usePartitionTime, "out").readRecordsToList().back().timestamp, 50);
  TopologyTestDriver fail(passThrough({"in"}, nullptr),
                          StreamsConfig({{"default.timestamp.extractor", "org.apache.kafka.streams.processor.FailOnInvalidTimestamp"}}));
  EXPECT_THROW(input(fail, "in").pipeInput("k", 1, -2), StreamsException);
}

TEST(TimestampExtractor, AnUnknownDefaultTimestampExtractorIsAConfigException) {
  for (const char* name : {"", "Wallclock", "com.example.MyExtractor", "org.apache.kafka.streams.processor.Nope"}) {
    try {
      StreamsConfig config({{"default.timestamp.extractor", name}});
      FAIL() << name << " was accepted";
    } catch (const ConfigException& e) {
      expectContains(e.what(), {"default.timestamp.extractor", "FailOnInvalidTimestamp", "LogAndSkipOnInvalidTimestamp",
                                "UsePartitionTimeOnInvalidTimestamp", "WallclockTimestampExtractor",
                                "withTimestampExtractor"});
    }
  }
}

// A Task driven directly, records waiting in its buffer: the next record's extractor is
// given the partition time as it will be when the records before it are processed (Kafka
// Streams extracts a partition's head record once the one before it is taken), and a
// partition time resumed from a commit reaches records buffered before it.
TEST(TimestampExtractor, BufferedRecordsAreGivenThePartitionTimeOfTheRecordsBeforeThem) {
  auto seen = std::make_shared<Seen>();
  StreamsBuilder builder;
  builder.stream("in", Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String())
                           .withTimestampExtractor([seen](const std::string&, const std::string& v, int64_t ts,
                                                          int64_t partitionTime) {
                             seen->push_back(partitionTime);
                             return v == "use partition time" ? partitionTime : ts;
                           }));
  internal::TopologyGraph& graph = *builder.graph();
  test::NullCollector collector;
  internal::SerdeDefaults serdes;
  internal::TaskServices services = test::servicesFor(collector, serdes);
  internal::Task task(TaskId{0, 0}, graph, graph.subtopologies()[0], services, {{"in", 0}});
  auto add = [&](int64_t offset, int64_t ts, std::string_view value) {
    task.addRecord(0, test::rawRecord("in", offset, ts, value), internal::RecordOwner(nullptr, nullptr));
  };

  add(0, 30, "a");
  add(1, 10, "b");
  // Buffered before the committed partition time (500) was known: extracted again with it.
  task.resumePartitionTime(0, 500);
  add(2, 20, "c");
  task.initialize();
  while (task.process()) {
  }
  add(3, 700, "d");
  add(4, 5, "use partition time");
  while (task.process()) {
  }
  EXPECT_EQ(*seen, (Seen{-1, 30, 500, 500, 500, 500, 700}));
  EXPECT_EQ(task.offsetsToCommit().at(0).partitionTime, 700);
}

}  // namespace
}  // namespace kstreams
