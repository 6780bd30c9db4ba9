// Stateless pipelines on the real broker: partitions shared between threads, per-key order,
// repartitioning, restart from committed offsets, bad records, missing topics and brokers.
// (Where a new application starts: offset_reset_test.cc.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>

#include "kstreams.h"
#include "runtime/kafka_client.h"
#include "streams/default_partitioner.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

struct Order {
  std::string id;
  double amount = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, id, amount)

TEST(StatelessPipeline, TwoThreadsOverFourPartitionsKeepPerKeyOrderAndLoseNothing) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out");
  admin.createTopic(in, 4);
  admin.createTopic(out, 4);
  constexpr int kKeys = 100, kPerKey = 100;
  // Recent timestamps: the broker's retention deletes records older than a week.
  const int64_t base = internal::nowMs() - 60000;
  {
    KafkaProducer producer(bootstrap());
    for (int seq = 0; seq < kPerKey; ++seq)
      for (int k = 0; k < kKeys; ++k)
        producer.send(in, "k" + std::to_string(k), std::to_string(seq), base + seq, -1,
                      Headers{{"seq", std::to_string(seq)}});
    producer.flush();
  }
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in)
      .mapValues([](const std::string& v) { return v + "!"; })
      .to(out);
  KafkaStreams streams(builder.build(), appConfig(uniqueName("order-app"), {{"num.stream.threads", "2"}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();

  auto records = test::consume(out, kKeys * kPerKey, 120s);
  ASSERT_EQ(records.size(), static_cast<size_t>(kKeys * kPerKey));
  std::map<std::string, std::vector<int>> perKey;
  for (const auto& r : records) {
    ASSERT_TRUE(r.key && r.value);
    ASSERT_EQ(r.value->back(), '!');
    int seq = std::stoi(r.value->substr(0, r.value->size() - 1));
    EXPECT_EQ(r.timestamp, base + seq) << "timestamps flow through";
    ASSERT_NE(r.headers.lastHeader("seq"), nullptr);
    EXPECT_EQ(r.headers.lastHeader("seq")->value, std::to_string(seq)) << "headers flow through";
    EXPECT_EQ(r.partition, defaultPartition(*r.key, 4)) << "same key, same partition as the input";
    perKey[*r.key].push_back(seq);
  }
  ASSERT_EQ(perKey.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, seqs] : perKey) {
    std::vector<int> expected(kPerKey);
    for (int i = 0; i < kPerKey; ++i) expected[i] = i;
    EXPECT_EQ(seqs, expected) << "key " << key << " out of order or incomplete";
  }
  // Both threads took part: the group gave each of them tasks.
  auto threads = streams.metadataForLocalThreads();
  ASSERT_EQ(threads.size(), 2u);
  size_t tasks = 0;
  for (const auto& t : threads) {
    EXPECT_FALSE(t.activeTasks.empty()) << t.threadName << " has no task";
    tasks += t.activeTasks.size();
  }
  EXPECT_EQ(tasks, 4u);
  EXPECT_EQ(streams.metrics().processedRecords, kKeys * kPerKey);
  // Named, so that `top -H` and `perf` tell them from the program's own threads.
  std::multiset<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  EXPECT_EQ(names.count("ks-stream-1"), 1u);
  EXPECT_EQ(names.count("ks-stream-2"), 1u);
  EXPECT_EQ(names.count("ks-reports"), 2u) << "one delivery-report thread per stream thread's producer";
  EXPECT_TRUE(streams.close(60s));
  EXPECT_EQ(streams.state(), KafkaStreams::State::NOT_RUNNING);
}

// Emits each record with the repartition topic's partition it was read from as its value.
class PartitionEcho : public Processor<std::string, std::string, std::string, std::string> {
 public:
  void init(ProcessorContext<std::string, std::string>& context) override { context_ = &context; }
  void process(Record<std::string, std::string> record) override {
    record.value = std::to_string(context_->recordMetadata()->partition);
    context_->forward(std::move(record));
  }

 private:
  ProcessorContext<std::string, std::string>* context_ = nullptr;
};

TEST(StatelessPipeline, SelectKeyThenRepartitionPutsEachRecordOnItsNewKeysPartition) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out");
  const std::string app = uniqueName("repartition-app");
  admin.createTopic(in, 3);
  admin.createTopic(out, 1);
  constexpr int kRecords = 2000;
  {
    KafkaProducer producer(bootstrap());
    for (int i = 0; i < kRecords; ++i)
      producer.send(in, "old-" + std::to_string(i), "customer-" + std::to_string(i % 97));
    producer.flush();
  }
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in)
      .selectKey([](const std::string&, const std::string& v) { return v; })
      .repartition(Repartitioned<std::string, std::string>::as("by-customer").withNumberOfPartitions(4))
      .process([] { return std::make_unique<PartitionEcho>(); })
      .to(out);
  KafkaStreams streams(builder.build(), appConfig(app));
  streams.start();

  auto records = test::consume(out, kRecords, 120s);
  ASSERT_EQ(records.size(), static_cast<size_t>(kRecords)) << streams.lastError();
  for (const auto& r : records)
    ASSERT_EQ(std::stoi(*r.value), defaultPartition(*r.key, 4)) << "key " << *r.key;

  // The internal topic itself, as Kafka holds it.
  const std::string internal = app + "-by-customer-repartition";
  EXPECT_EQ(admin.listTopics().at(internal), 4);
  auto repartitioned = test::consumeToEnd(internal, 60s);
  EXPECT_GE(repartitioned.size(), static_cast<size_t>(kRecords));
  for (const auto& r : repartitioned) ASSERT_EQ(r.partition, defaultPartition(*r.key, 4));
  EXPECT_TRUE(streams.close(60s));
}

TEST(StatelessPipeline, ARestartedApplicationResumesFromItsCommittedOffsets) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out");
  const std::string app = uniqueName("restart-app");
  admin.createTopic(in, 2);
  admin.createTopic(out, 2);
  auto produce = [&](int from, int to) {
    KafkaProducer producer(bootstrap());
    for (int i = from; i < to; ++i) producer.send(in, "k" + std::to_string(i % 10), std::to_string(i));
    producer.flush();
  };
  auto topology = [&] {
    auto builder = std::make_shared<StreamsBuilder>();
    builder->stream<std::string, std::string>(in).to(out);
    return builder->build();
  };

  produce(0, 500);
  {
    KafkaStreams first(topology(), appConfig(app));
    first.start();
    ASSERT_EQ(test::consume(out, 500, 60s).size(), 500u) << first.lastError();
    ASSERT_TRUE(first.close(60s));
  }
  // close() committed everything it processed.
  auto committed = admin.committedOffsets(app, in);
  auto ends = admin.endOffsets(in);
  EXPECT_EQ(committed, ends);

  produce(500, 1000);
  KafkaStreams second(topology(), appConfig(app));
  second.start();
  ASSERT_EQ(test::consume(out, 1000, 60s).size(), 1000u) << second.lastError();
  ASSERT_TRUE(second.close(60s));

  auto all = test::consumeToEnd(out, 60s);
  std::multiset<std::string> values;
  for (const auto& r : all) values.insert(*r.value);
  EXPECT_EQ(all.size(), 1000u) << "a clean restart neither loses nor repeats a record";
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(values.count(std::to_string(i)), 1u) << i;
}

struct MalformedInput {
  std::string in = uniqueName("orders");
  std::string out = uniqueName("out");
  MalformedInput() {
    Admin admin(bootstrap());
    admin.createTopic(in, 1);
    admin.createTopic(out, 1);
    KafkaProducer producer(bootstrap());
    producer.send(in, "c1", R"({"id":"o1","amount":10})");
    producer.send(in, "c2", "{this is not json");
    producer.send(in, "c3", R"({"id":"o3","amount":30})");
    producer.flush();
  }
  Topology topology() const {
    auto builder = std::make_shared<StreamsBuilder>();
    builder->stream(in, Consumed<std::string, Order>::with(Serdes::String(), Serdes::Json<Order>()))
        .mapValues([](const Order& o) { return o.id; })
        .to(out);
    return builder->build();
  }
};

TEST(StatelessPipeline, AMalformedRecordUnderLogAndFailStopsTheApplicationAtThatRecord) {
  MalformedInput input;
  const std::string app = uniqueName("fail-app");
  KafkaStreams streams(input.topology(), appConfig(app));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::ERROR, 60s));
  const std::string error = streams.lastError();
  EXPECT_NE(error.find("topic " + input.in + " partition 0 offset 1"), std::string::npos) << error;
  EXPECT_NE(error.find("LogAndContinue"), std::string::npos) << "says what to do: " << error;
  auto out = test::consumeToEnd(input.out, 30s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, "o1");
  // Progress up to the bad record is committed, nothing past it: once the record is dealt
  // with, processing resumes exactly there.
  auto committed = Admin(bootstrap()).committedOffsets(app, input.in);
  EXPECT_EQ(committed.at(0), 1);
  streams.close(30s);
  EXPECT_EQ(streams.state(), KafkaStreams::State::ERROR);
}

TEST(StatelessPipeline, AMalformedRecordUnderLogAndContinueIsSkippedAndCounted) {
  MalformedInput input;
  KafkaStreams streams(input.topology(), appConfig(uniqueName("continue-app"),
                                                    {{"default.deserialization.exception.handler", "LogAndContinue"}}));
  streams.start();
  auto out = test::consume(input.out, 2, 60s);
  ASSERT_EQ(out.size(), 2u) << streams.lastError();
  EXPECT_EQ(out[0].value, "o1");
  EXPECT_EQ(out[1].value, "o3");
  EXPECT_TRUE(test::eventually([&] { return streams.metrics().skippedRecords == 1; }, 10s));
  EXPECT_NE(streams.state(), KafkaStreams::State::ERROR);
  EXPECT_TRUE(streams.close(30s));
}

// A sink whose records the broker refuses: the output topic takes at most 1000-byte
// records, and one input value is 5000 bytes. The refusal comes back in a delivery report
// (served off the stream thread), and the commit after it acts on it.
struct OversizedOutput {
  std::string in = uniqueName("sizes-in"), out = uniqueName("sizes-out");
  OversizedOutput() {
    Admin admin(bootstrap());
    admin.createTopic(in, 1);
    admin.createTopic(out, 1, -1, {{"max.message.bytes", "1000"}});
    KafkaProducer producer(bootstrap());
    producer.send(in, "a", "small-1");
    producer.send(in, "b", std::string(5000, 'x'));
    producer.send(in, "c", "small-2");
    producer.flush();
  }
  Topology topology() const {
    StreamsBuilder builder;
    builder.stream<std::string, std::string>(in).to(out);
    return builder.build();
  }
};

TEST(StatelessPipeline, ARecordTheBrokerRefusesStopsTheApplicationAndNamesTheTopic) {
  OversizedOutput io;
  const std::string app = uniqueName("refused-app");
  KafkaStreams streams(io.topology(), appConfig(app));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::ERROR, 60s)) << "state " << static_cast<int>(streams.state());
  const std::string error = streams.lastError();
  EXPECT_NE(error.find("writing to topic " + io.out + " partition 0 failed"), std::string::npos) << error;
  // What was too large for what, and what to do.
  EXPECT_NE(error.find("the topic's max.message.bytes"), std::string::npos) << error;
  EXPECT_NE(error.find("producer.message.max.bytes"), std::string::npos) << error;
  EXPECT_NE(error.find("default.production.exception.handler=Continue"), std::string::npos) << error;
  // Nothing past the refused record is committed: its input is read again after a restart.
  auto committed = Admin(bootstrap()).committedOffsets(app, io.in);
  EXPECT_LT(committed.at(0), 2) << "the offset of the refused record's input was committed";
  streams.close(30s);
}

TEST(StatelessPipeline, ARecordTheBrokerRefusesUnderContinueIsDroppedAndTheRestArrive) {
  OversizedOutput io;
  const std::string app = uniqueName("refused-continue-app");
  // One record per produce request: the broker's limit applies to a whole batch.
  KafkaStreams streams(io.topology(), appConfig(app, {{"default.production.exception.handler", "Continue"},
                                                      {"producer.batch.num.messages", "1"}}));
  streams.start();
  auto out = test::consume(io.out, 2, 60s);
  ASSERT_EQ(out.size(), 2u) << streams.lastError();
  EXPECT_EQ(out[0].value, "small-1");
  EXPECT_EQ(out[1].value, "small-2");
  // The application goes on, and commits past the dropped record.
  Admin admin(bootstrap());
  EXPECT_TRUE(test::eventually([&] { return admin.committedOffsets(app, io.in).at(0) == 3; }, 30s));
  EXPECT_EQ(streams.metrics().droppedRecords, 1);
  EXPECT_NE(streams.state(), KafkaStreams::State::ERROR) << streams.lastError();
  EXPECT_TRUE(streams.close(30s));
}

// The broker refuses a whole batch larger than the topic's max.message.bytes, and
// librdkafka does not split it (the Java producer does): the records that fit, sent in one
// batch with the one that does not, fail with it. Continue must not drop them: either each
// went alone and only the large one is dropped, or the thread stops, naming the batch and
// the setting that keeps batches within the topic's limit, with their input not committed.
TEST(StatelessPipeline, UnderContinueRecordsThatFitAreNotDroppedWithALargeOneInTheirBatch) {
  OversizedOutput io;
  const std::string app = uniqueName("refused-batch-app");
  KafkaStreams streams(io.topology(), appConfig(app, {{"default.production.exception.handler", "Continue"}}));
  streams.start();
  Admin admin(bootstrap());
  ASSERT_TRUE(test::eventually(
      [&] {
        if (streams.state() == KafkaStreams::State::ERROR) return true;
        auto committed = admin.committedOffsets(app, io.in);
        return committed.count(0) && committed.at(0) == 3;
      },
      60s))
      << "neither stopped nor committed: " << streams.lastError();
  EXPECT_LE(streams.metrics().droppedRecords, 1) << "records that fit were dropped with the one that does not";
  if (streams.state() == KafkaStreams::State::ERROR) {
    const std::string error = streams.lastError();
    EXPECT_NE(error.find("a batch of"), std::string::npos) << error;
    EXPECT_NE(error.find("producer.message.max.bytes"), std::string::npos) << error;
    auto committed = admin.committedOffsets(app, io.in);
    EXPECT_TRUE(!committed.count(0) || committed.at(0) < 1) << "the batch's input was committed";
  } else {
    auto out = test::consume(io.out, 2, 30s);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].value, "small-1");
    EXPECT_EQ(out[1].value, "small-2");
  }
  streams.close(30s);
}

// What `kstreams produce` shows for a record the broker refuses.
TEST(StatelessPipeline, APlainProducersRecordTheBrokerRefusesNamesItsSizeAndTheTopicsLimit) {
  const std::string topic = uniqueName("plain-sizes");
  Admin(bootstrap()).createTopic(topic, 1, -1, {{"max.message.bytes", "1000"}});
  KafkaProducer producer(bootstrap());
  producer.send(topic, "b", std::string(5000, 'x'));
  try {
    producer.flush();
    FAIL() << "the broker took a record larger than the topic's max.message.bytes";
  } catch (const StreamsException& e) {
    const std::string error = e.what();
    EXPECT_NE(error.find("writing to topic " + topic + " partition 0 failed"), std::string::npos) << error;
    EXPECT_NE(error.find("5001 bytes"), std::string::npos) << error;
    EXPECT_NE(error.find("the topic's max.message.bytes"), std::string::npos) << error;
  }
}

// The same refusal, found only by close(): the records wait in the producer (a long linger,
// no commit before) until the last commit flushes them. The thread fails in its last commit,
// and close() still returns.
TEST(StatelessPipeline, CloseReturnsWhenTheLastCommitFails) {
  OversizedOutput io;
  const std::string app = uniqueName("refused-at-close-app");
  KafkaStreams streams(io.topology(), appConfig(app, {{"commit.interval.ms", "600000"},
                                                      {"producer.linger.ms", "300000"},
                                                      {"producer.message.timeout.ms", "600000"}}));
  streams.start();
  ASSERT_TRUE(test::eventually([&] { return streams.metrics().processedRecords == 3; }, 60s)) << streams.lastError();
  auto closed = std::async(std::launch::async, [&] { return streams.close(); });
  ASSERT_EQ(closed.wait_for(120s), std::future_status::ready) << "close() waits for a thread that is gone";
  EXPECT_TRUE(closed.get());
  EXPECT_EQ(streams.state(), KafkaStreams::State::NOT_RUNNING);
  EXPECT_NE(streams.lastError().find("writing to topic " + io.out), std::string::npos) << streams.lastError();
  auto committed = Admin(bootstrap()).committedOffsets(app, io.in);
  EXPECT_TRUE(!committed.count(0) || committed.at(0) < 2) << "the refused record's input was committed";
}

TEST(StatelessPipeline, AMissingSourceTopicFailsAtStartAndNamesTheTopic) {
  const std::string missing = uniqueName("no-such-topic");
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(missing).to(missing + "-out");
  KafkaStreams streams(builder.build(), appConfig(uniqueName("missing-app")));
  try {
    streams.start();
    FAIL() << "start() should throw";
  } catch (const MissingSourceTopicException& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  EXPECT_EQ(streams.state(), KafkaStreams::State::ERROR);
}

// An input topic deleted while the application runs stops it in ERROR naming the topic, as
// Kafka Streams does, instead of running on with nothing to read and librdkafka's errors in
// the log every second.
TEST(StatelessPipeline, AnInputTopicDeletedWhileTheApplicationRunsStopsItNamingTheTopic) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out");
  admin.createTopic(in, 2);
  admin.createTopic(out, 2);
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 10; ++i) producer.send(in, "k" + std::to_string(i), "v");
  producer.flush();
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in).to(out);
  KafkaStreams streams(builder.build(), appConfig(uniqueName("deleted-input-app")));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  ASSERT_EQ(test::consume(out, 10, 60s).size(), 10u);
  admin.deleteTopics({in});
  ASSERT_TRUE(test::eventually([&] { return streams.state() == KafkaStreams::State::ERROR; }, 90s))
      << "still " << static_cast<int>(streams.state()) << " after its input topic was deleted";
  const std::string error = streams.lastError();
  EXPECT_NE(error.find("input topic(s) " + in + " cannot be read"), std::string::npos) << error;
  EXPECT_NE(error.find("deleted while the application ran"), std::string::npos) << error;
  EXPECT_TRUE(streams.close(60s));
}

// An application whose bootstrap server nothing listens on.
std::unique_ptr<KafkaStreams> unreachableApp(const std::string& apiTimeoutMs) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in").to("out");
  return std::make_unique<KafkaStreams>(builder.build(),
                                        StreamsConfig({{"application.id", uniqueName("unreachable-app")},
                                                       {"bootstrap.servers", "127.0.0.1:1"},
                                                       {"default.api.timeout.ms", apiTimeoutMs}}));
}

TEST(StatelessPipeline, AnUnreachableBrokerFailsAtStartWithinTheApiTimeout) {
  auto app = unreachableApp("2000");
  KafkaStreams& streams = *app;
  try {
    streams.start();
    FAIL() << "start() should throw";
  } catch (const StreamsException& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach the Kafka cluster at bootstrap.servers=127.0.0.1:1"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(streams.state(), KafkaStreams::State::ERROR);
}

// A Ctrl-C while start() waits for an unreachable cluster: close() ends the wait instead of
// waiting out default.api.timeout.ms (a minute here) for start() to return.
TEST(StatelessPipeline, CloseEndsAStartThatWaitsForAnUnreachableBroker) {
  auto app = unreachableApp("60000");
  KafkaStreams& streams = *app;
  auto started = std::async(std::launch::async, [&] { streams.start(); });
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::REBALANCING, 10s));
  EXPECT_TRUE(streams.close(10s)) << "close() waited for start() to give up on the cluster";
  ASSERT_EQ(started.wait_for(10s), std::future_status::ready);
  EXPECT_NO_THROW(started.get());
  EXPECT_EQ(streams.state(), KafkaStreams::State::NOT_RUNNING);
}

}  // namespace
}  // namespace kstreams
