// What a task does with its records, through the TopologyTestDriver: timestamp order across
// partitions, bad records under both handlers, punctuation, partition times.
#include <gtest/gtest.h>

#include <atomic>

#include "runtime/producer_errors.h"
#include "runtime/task.h"
#include "runtime/topology_test_driver.h"
#include "streams/json_serde.h"
#include "streams/streams_builder.h"
#include "tests/unit/task_services.h"

namespace kstreams {
namespace {

using test::NullCollector;
using test::servicesFor;

TEST(Task, ProcessesTheRecordWithTheLowestTimestampFirst) {
  // Two topics of one sub-topology: a task owns partition 0 of both.
  StreamsBuilder builder;
  builder.stream<std::string, std::string>({"a", "b"}).to("out");
  internal::TopologyGraph& graph = *builder.graph();
  ASSERT_EQ(graph.subtopologies().size(), 1u);

  // The test driver processes each record as it is piped; drive a Task directly instead,
  // buffering records of both inputs before processing.
  std::vector<std::string> order;
  struct Collector : NullCollector {
    std::vector<std::string>* order;
    void send(std::string_view, int32_t, std::optional<std::string_view>, std::optional<std::string_view> v,
              int64_t, const Headers&) override {
      order->push_back(std::string(*v));
    }
  } collector;
  collector.order = &order;
  internal::SerdeDefaults serdes;
  internal::TaskServices services = servicesFor(collector, serdes);
  internal::Task task(TaskId{0, 0}, graph, graph.subtopologies()[0], services, {{"a", 0}, {"b", 0}});
  task.initialize();

  struct Owned {
    std::string topic, value;
  };
  auto add = [&](size_t input, const std::string& topic, int64_t offset, int64_t ts, const std::string& v) {
    auto* owned = new Owned{topic, v};
    internal::RawRecord raw;
    raw.topic = owned->topic;
    raw.offset = offset;
    raw.timestamp = ts;
    raw.key = std::string_view("k");
    raw.value = std::string_view(owned->value);
    task.addRecord(input, raw, internal::RecordOwner(owned, [](void* p) { delete static_cast<Owned*>(p); }));
  };
  add(0, "a", 0, 10, "a10");
  add(0, "a", 1, 30, "a30");
  add(1, "b", 0, 20, "b20");
  add(1, "b", 1, 25, "b25");
  while (task.process()) {
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a10", "b20", "b25", "a30"}));
  EXPECT_EQ(task.streamTime(), 30);
  auto offsets = task.offsetsToCommit();
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[0].offset, 2);
  EXPECT_EQ(offsets[1].offset, 2);
}

TEST(Task, WaitsForAnEmptyInputWhileTheBrokerHasRecordsForIt) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>({"a", "b"}).to("out");
  internal::TopologyGraph& graph = *builder.graph();
  NullCollector collector;
  internal::SerdeDefaults serdes;
  bool brokerHasMore = true;
  internal::TaskServices services;
  services.applicationId = "app";
  services.collector = &collector;
  services.serdes = &serdes;
  services.maxTaskIdleMs = 0;
  services.wallClock = [] { return 0; };
  services.hasUnfetched = [&](const std::string&, int32_t) { return brokerHasMore; };
  internal::Task task(TaskId{0, 0}, graph, graph.subtopologies()[0], services, {{"a", 0}, {"b", 0}});
  task.initialize();
  static const std::string topic = "a";
  internal::RawRecord raw;
  raw.topic = topic;
  raw.timestamp = 5;
  raw.key = std::string_view("k");
  raw.value = std::string_view("v");
  task.addRecord(0, raw, internal::RecordOwner(nullptr, nullptr));
  EXPECT_FALSE(task.process()) << "input b is empty but the broker has records for it";
  brokerHasMore = false;
  EXPECT_TRUE(task.process());
}

// The stream thread hands a single-partition task its records as they arrive, unbuffered;
// such a record is processed as a buffered one would be, bad ones included.
TEST(Task, ARecordProcessedOnArrivalIsProcessedAsABufferedOne) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("a").to("out");
  internal::TopologyGraph& graph = *builder.graph();
  std::vector<std::pair<std::string, int64_t>> sent;
  struct Collector : NullCollector {
    std::vector<std::pair<std::string, int64_t>>* sent;
    void send(std::string_view, int32_t, std::optional<std::string_view>, std::optional<std::string_view> v,
              int64_t ts, const Headers&) override {
      sent->emplace_back(std::string(*v), ts);
    }
  } collector;
  collector.sent = &sent;
  internal::SerdeDefaults serdes;
  // A negative timestamp is skipped, not fatal (as under Kafka Streams' default extractor).
  serdes.timestampExtractor = internal::TimestampExtraction::kLogAndSkipOnInvalidTimestamp;
  std::atomic<int64_t> skipped{0};
  internal::TaskServices services = servicesFor(collector, serdes);
  services.deserialization = DeserializationHandling::kLogAndContinue;
  services.skippedRecords = &skipped;
  internal::Task task(TaskId{0, 0}, graph, graph.subtopologies()[0], services, {{"a", 0}});
  static const std::string topic = "a";
  auto record = [](int64_t offset, int64_t ts, std::string_view value) {
    return test::rawRecord(topic, offset, ts, value);
  };

  EXPECT_FALSE(task.processesOnArrival(0)) << "not initialized";
  task.initialize();
  EXPECT_TRUE(task.processesOnArrival(0));
  task.processArrived(0, record(7, 40, "v7"));
  task.processArrived(0, record(8, -1, "bad timestamp"));
  EXPECT_EQ(sent, (std::vector<std::pair<std::string, int64_t>>{{"v7", 40}}));
  EXPECT_EQ(skipped.load(), 1);
  EXPECT_EQ(task.streamTime(), 40);
  auto offsets = task.offsetsToCommit();
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0].offset, 9) << "a skipped record is consumed too";

  // Once a record waits in the buffer, the next must queue behind it.
  task.addRecord(0, record(9, 50, "v9"), internal::RecordOwner(nullptr, nullptr));
  EXPECT_FALSE(task.processesOnArrival(0));
  EXPECT_TRUE(task.process());
  EXPECT_TRUE(task.processesOnArrival(0));

  // A task of two partitions orders them by timestamp: nothing skips its buffer.
  StreamsBuilder two;
  two.stream<std::string, std::string>({"a", "b"}).to("out");
  internal::Task joined(TaskId{0, 1}, *two.graph(), two.graph()->subtopologies()[0], services, {{"a", 1}, {"b", 1}});
  joined.initialize();
  EXPECT_FALSE(joined.processesOnArrival(0));
  EXPECT_FALSE(joined.processesOnArrival(1));
}

struct Order {
  std::string id;
  double amount = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, id, amount)

Topology orderTopology() {
  StreamsBuilder builder;
  builder.stream("orders", Consumed<std::string, Order>::with(Serdes::String(), Serdes::Json<Order>()))
      .mapValues([](const Order& o) { return o.id; })
      .to("ids");
  return builder.build();
}

// A failure of the thread's producer is not the record's: it reaches the thread as thrown,
// for the thread to recover from (redo the transaction, or rejoin with a new producer).
// Anything else a sink throws is the record's error and names it.
TEST(Task, ProducerFailuresPassThroughUnwrapped) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in").to("out");
  internal::TopologyGraph& graph = *builder.graph();
  struct Throwing : NullCollector {
    std::function<void()> fail;
    void send(std::string_view, int32_t, std::optional<std::string_view>, std::optional<std::string_view>, int64_t,
              const Headers&) override {
      fail();
    }
  } collector;
  internal::SerdeDefaults serdes;
  internal::TaskServices services = servicesFor(collector, serdes);
  internal::Task task(TaskId{0, 0}, graph, graph.subtopologies()[0], services, {{"in", 0}});
  task.initialize();
  auto add = [&](int64_t offset) {
    internal::RawRecord raw;
    raw.topic = "in";
    raw.offset = offset;
    raw.timestamp = 1;
    raw.key = std::string_view("k");
    raw.value = std::string_view("v");
    task.addRecord(0, raw, internal::RecordOwner(nullptr, nullptr));
  };

  collector.fail = [] { throw internal::ProducerFencedException("fenced"); };
  add(0);
  EXPECT_THROW(task.process(), internal::ProducerFencedException);
  collector.fail = [] { throw internal::TransactionAbortedException("aborted"); };
  add(1);
  EXPECT_THROW(task.process(), internal::TransactionAbortedException);
  collector.fail = [] { throw std::runtime_error("refused"); };
  add(2);
  try {
    task.process();
    ADD_FAILURE() << "the sink's error was swallowed";
  } catch (const internal::ProducerStateException& e) {
    ADD_FAILURE() << "a record's error taken for the producer's: " << e.what();
  } catch (const StreamsException& e) {
    EXPECT_NE(std::string(e.what()).find("topic in partition 0 offset 2"), std::string::npos) << e.what();
  }
}

TEST(Task, LogAndFailStopsAtABadRecordNamingWhereItIs) {
  TopologyTestDriver driver(orderTopology());
  try {
    driver.pipeRaw("orders", std::string("k"), std::string("not json"), 0, {});
    FAIL() << "expected the bad record to stop processing";
  } catch (const StreamsException& e) {
    EXPECT_NE(std::string(e.what()).find("topic orders partition 0 offset 0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("value"), std::string::npos) << e.what();
  }
}

TEST(Task, ARecordProcessedOnArrivalUnderLogAndFailNamesWhereItIs) {
  NullCollector collector;
  internal::SerdeDefaults serdes;
  Topology topology = orderTopology();
  const internal::TopologyGraph& graph = topology.graph();
  internal::Task task(TaskId{0, 0}, graph, graph.subtopologies()[0], servicesFor(collector, serdes),
                      {{"orders", 3}});
  task.initialize();
  static const std::string topic = "orders";
  internal::RawRecord raw;
  raw.topic = topic;
  raw.partition = 3;
  raw.offset = 12;
  raw.key = std::string_view("k");
  raw.value = std::string_view("not json");
  try {
    task.processArrived(0, raw);
    FAIL() << "expected the bad record to stop processing";
  } catch (const StreamsException& e) {
    EXPECT_NE(std::string(e.what()).find("topic orders partition 3 offset 12"), std::string::npos) << e.what();
  }
}

TEST(Task, LogAndContinueSkipsAndCountsBadRecords) {
  TopologyTestDriver driver(orderTopology(), {{"default.deserialization.exception.handler", "LogAndContinue"}});
  auto out = driver.createOutputTopic<std::string, std::string>("ids");
  driver.pipeRaw("orders", std::string("k"), std::string("not json"), 0, {});
  driver.pipeRaw("orders", std::nullopt, std::string(R"({"id":"o","amount":1})"), 0, {});  // null key
  driver.pipeRaw("orders", std::string("k"), std::string(R"({"id":"o2","amount":1})"), 0, {});
  EXPECT_EQ(out.readValuesToList(), (std::vector<std::string>{"o2"}));
  EXPECT_EQ(driver.skippedRecords(), 2);
}

TEST(Task, NegativeTimestampsAreBadRecords) {
  TopologyTestDriver driver(orderTopology());
  EXPECT_THROW(driver.pipeRaw("orders", std::string("k"), std::string(R"({"id":"o","amount":1})"), -5, {}),
               StreamsException);
}

TEST(Task, ATimestampExtractorChoosesTheRecordsTime) {
  StreamsBuilder builder;
  builder
      .stream("in", Consumed<std::string, int64_t>::with(Serdes::String(), Serdes::Int64())
                        .withTimestampExtractor([](const std::string&, const int64_t& v, int64_t) { return v * 10; }))
      .to("out");
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, int64_t>("in");
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  in.pipeInput("k", 7, 1);
  EXPECT_EQ(out.readRecord().timestamp, 70);
}

// Counts records and emits the count on every punctuation.
class Counter : public Processor<std::string, std::string, std::string, int64_t> {
 public:
  explicit Counter(PunctuationType type) : type_(type) {}
  void init(ProcessorContext<std::string, int64_t>& ctx) override {
    ctx_ = &ctx;
    ctx.schedule(std::chrono::milliseconds(100), type_, [this](int64_t ts) {
      ctx_->forward(Record<std::string, int64_t>{"count@" + std::to_string(ts), count_, ts, {}});
    });
  }
  void process(Record<std::string, std::string>) override { ++count_; }

 private:
  PunctuationType type_;
  ProcessorContext<std::string, int64_t>* ctx_ = nullptr;
  int64_t count_ = 0;
};

TEST(Task, StreamTimePunctuationFollowsRecordTimestamps) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in")
      .process([] { return std::make_unique<Counter>(PunctuationType::STREAM_TIME); })
      .to("out");
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  in.pipeInput("k", "v", 0);    // first record: first punctuation at stream time 0
  in.pipeInput("k", "v", 50);   // not yet
  in.pipeInput("k", "v", 120);  // passes 100
  in.pipeInput("k", "v", 450);  // passes 200, 300, 400: fires once, at 450
  driver.advanceWallClockTime(std::chrono::seconds(10));  // wall clock does not matter
  EXPECT_EQ(out.readKeyValuesToList(),
            (std::vector<KeyValue<std::string, int64_t>>{{"count@0", 1}, {"count@120", 3}, {"count@450", 4}}));
}

TEST(Task, WallClockPunctuationFollowsTheClock) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in")
      .process([] { return std::make_unique<Counter>(PunctuationType::WALL_CLOCK_TIME); })
      .to("out");
  TopologyTestDriver driver(builder.build(), {}, 1000);
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, int64_t>("out");
  in.pipeInput("k", "v", 0);
  EXPECT_TRUE(out.isEmpty());
  driver.advanceWallClockTime(std::chrono::milliseconds(99));
  EXPECT_TRUE(out.isEmpty());
  driver.advanceWallClockTime(std::chrono::milliseconds(1));
  EXPECT_EQ(out.readKeyValue(), (KeyValue<std::string, int64_t>{"count@1100", 1}));
}

// A task's partition times: kept per input partition, committed with its offsets, and
// resumed from a commit before the task processes (changelog_offsets.h).
struct TwoInputTask {
  TwoInputTask() {
    builder.stream<std::string, std::string>({"a", "b"}).to("out");
    services = servicesFor(collector, serdes);
    task = std::make_unique<internal::Task>(TaskId{0, 0}, *builder.graph(), builder.graph()->subtopologies()[0],
                                            services, std::vector<internal::Task::InputPartition>{{"a", 0}, {"b", 0}});
  }
  void process(size_t input, int64_t offset, int64_t timestamp) {
    static const std::string topics[] = {"a", "b"};
    internal::RawRecord raw;
    raw.topic = topics[input];
    raw.offset = offset;
    raw.timestamp = timestamp;
    raw.key = std::string_view("k");
    raw.value = std::string_view("v");
    task->addRecord(input, raw, internal::RecordOwner(nullptr, [](void*) {}));
    while (task->process()) {
    }
  }
  int64_t partitionTime(size_t input) const {
    for (const internal::CommitOffset& o : task->offsetsToCommit(true))
      if (o.topic == (input == 0 ? "a" : "b")) return o.partitionTime;
    return -2;  // no position
  }

  StreamsBuilder builder;
  NullCollector collector;
  internal::SerdeDefaults serdes;
  internal::TaskServices services;
  std::unique_ptr<internal::Task> task;
};

TEST(Task, EachInputKeepsTheLargestTimestampProcessedFromIt) {
  TwoInputTask t;
  t.task->initialize();
  t.process(0, 0, 30);
  t.process(1, 0, 20);
  t.process(0, 1, 10);  // late: neither time goes back
  EXPECT_EQ(t.partitionTime(0), 30);
  EXPECT_EQ(t.partitionTime(1), 20);
  EXPECT_EQ(t.task->streamTime(), 30);
}

TEST(Task, ATaskResumesItsStreamTimeFromTheLargestCommittedPartitionTime) {
  TwoInputTask t;
  t.task->resumePartitionTime(0, 500);
  t.task->resumePartitionTime(1, 700);
  t.task->initialize();
  EXPECT_EQ(t.task->streamTime(), 700);
  t.process(0, 10, 100);
  EXPECT_EQ(t.task->streamTime(), 700);
  EXPECT_EQ(t.partitionTime(0), 500) << "a record older than the committed partition time does not move it back";
  t.process(0, 11, 900);
  EXPECT_EQ(t.partitionTime(0), 900);
  EXPECT_EQ(t.task->streamTime(), 900);
}

// Partition times move only with input: once committed, an idle task has nothing new to
// commit (a commit that found it did would commit every interval for nothing).
TEST(Task, ACommittedTaskWithoutNewInputHasNothingToCommit) {
  TwoInputTask t;
  t.task->resumePartitionTime(0, 500);
  t.task->initialize();
  EXPECT_TRUE(t.task->offsetsToCommit().empty()) << "no position yet: nothing to commit";
  t.process(0, 3, 600);
  ASSERT_EQ(t.task->offsetsToCommit().size(), 1u);
  EXPECT_EQ(t.task->offsetsToCommit()[0].partitionTime, 600);
  t.task->markCommitted("");
  EXPECT_TRUE(t.task->offsetsToCommit().empty());
}

// Each committed input offset carries the task's processor metadata; inputs committed at
// different times carry different values, and the latest (largest) is where nodes go on.
TEST(Task, ATaskResumesEachProcessorMetadataEntryFromItsLargestCommittedValue) {
  TwoInputTask t;
  EXPECT_EQ(t.task->processorMetadataForKey("counts"), std::nullopt);
  t.task->resumeProcessorMetadata({{"counts", 500}, {"sessions", 90}});
  t.task->resumeProcessorMetadata({{"counts", 300}, {"sessions", 120}});
  EXPECT_EQ(t.task->processorMetadataForKey("counts"), 500);
  EXPECT_EQ(t.task->processorMetadataForKey("sessions"), 120);
  t.task->initialize();
  t.task->addProcessorMetadataKeyValue("counts", 800);
  EXPECT_EQ(t.task->processorMetadata().at("counts"), 800) << "the next commit carries what the node set";
  EXPECT_THROW(t.task->addProcessorMetadataKeyValue("counts", -1), std::invalid_argument);
}

}  // namespace
}  // namespace kstreams
