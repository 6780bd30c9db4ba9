// Where an application starts reading a partition nothing of which is committed
// (auto.offset.reset), on the real broker: latest, error, and repartition topics, which are
// read from their beginning whatever it says.
#include <gtest/gtest.h>

#include <set>

#include "kstreams.h"
#include "runtime/kafka_client.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

// Commits `offset` of partition 0 of `topic` for `group`, as an earlier run would have.
void commitOffset(const std::string& group, const std::string& topic, int64_t offset) {
  internal::KafkaHandle consumer = internal::createClient(
      RD_KAFKA_CONSUMER, internal::makeConf({{"bootstrap.servers", bootstrap()}, {"group.id", group}}));
  internal::PartitionList offsets(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), 0)->offset = offset;
  ASSERT_EQ(rd_kafka_commit(consumer.get(), offsets.get(), 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_consumer_close(consumer.get());
}

// A transaction holding offsets of `group`, left open until the broker aborts it after
// `timeout`. While it is open, a read_committed look-up of the group's offsets waits, as
// it does after a killed instance's transaction under exactly_once_v2.
class OpenOffsetsTransaction {
 public:
  OpenOffsetsTransaction(const std::string& group, const std::string& topic, std::chrono::milliseconds timeout)
      : producer_(internal::createClient(
            RD_KAFKA_PRODUCER, internal::makeConf({{"bootstrap.servers", bootstrap()},
                                                   {"transactional.id", uniqueName("open-offsets")},
                                                   {"transaction.timeout.ms", std::to_string(timeout.count())}}))) {
    check(rd_kafka_init_transactions(producer_.get(), 30000));
    check(rd_kafka_begin_transaction(producer_.get()));
    internal::PartitionList offsets(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), 0)->offset = 0;
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, internal::KafkaDeleter> metadata(
        rd_kafka_consumer_group_metadata_new(group.c_str()));
    check(rd_kafka_send_offsets_to_transaction(producer_.get(), offsets.get(), metadata.get(), 30000));
  }

 private:
  static void check(rd_kafka_error_t* error) {
    internal::KafkaError e(error);
    if (e) throw std::runtime_error(rd_kafka_error_string(e.get()));
  }
  internal::KafkaHandle producer_;
};

TEST(OffsetReset, UnderAutoOffsetResetLatestANewApplicationSkipsWhatItsInputHeldAtStart) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out");
  admin.createTopic(in, 2);
  admin.createTopic(out, 2);
  KafkaProducer producer(bootstrap());
  auto produce = [&](int from, int to) {
    for (int i = from; i < to; ++i) producer.send(in, "k" + std::to_string(i % 10), std::to_string(i));
    producer.flush();
  };
  produce(0, 100);
  auto builder = std::make_shared<StreamsBuilder>();
  builder->stream<std::string, std::string>(in).to(out);
  const std::string app = uniqueName("latest-app");
  KafkaStreams streams(builder->build(), appConfig(app, {{"consumer.auto.offset.reset", "latest"}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();

  // Each partition's start is its end when the application got it, committed at once.
  EXPECT_EQ(admin.committedOffsets(app, in), admin.endOffsets(in));
  const int fresh = 100;
  produce(fresh, fresh + 100);

  std::multiset<int> values;
  ASSERT_TRUE(test::eventually(
      [&] {
        values.clear();
        for (const auto& r : test::consumeToEnd(out, 10s)) values.insert(std::stoi(*r.value));
        return values.size() >= 100;
      },
      60s))
      << streams.lastError();
  ASSERT_TRUE(streams.close(60s));
  EXPECT_EQ(values.size(), 100u) << "records the input held before the application started were read";
  for (int i = fresh; i < fresh + 100; ++i) EXPECT_EQ(values.count(i), 1u) << i;
}

// A repartition topic is read from its beginning when the application has committed
// nothing of it, whatever auto.offset.reset says: its records are the application's own.
TEST(OffsetReset, UnderAutoOffsetResetLatestARepartitionTopicIsStillReadFromItsBeginning) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out"), app = uniqueName("latest-repartition");
  admin.createTopic(in, 2);
  admin.createTopic(out, 2);
  // Records an earlier run's upstream task wrote before anything downstream was committed.
  const std::string repartition = app + "-by-key-repartition";
  admin.createTopic(repartition, 2);
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 5; ++i) producer.send(repartition, "k" + std::to_string(i), "earlier-" + std::to_string(i));
  producer.flush();

  auto builder = std::make_shared<StreamsBuilder>();
  builder->stream<std::string, std::string>(in)
      .repartition(Repartitioned<std::string, std::string>::as("by-key"))
      .to(out);
  KafkaStreams streams(builder->build(), appConfig(app, {{"consumer.auto.offset.reset", "latest"}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  for (int i = 0; i < 5; ++i) producer.send(in, "k" + std::to_string(i), "new-" + std::to_string(i));
  producer.flush();

  std::set<std::string> values;
  test::eventually(
      [&] {
        values.clear();
        for (const auto& r : test::consumeToEnd(out, 10s)) values.insert(*r.value);
        return values.size() >= 10;
      },
      60s);
  ASSERT_TRUE(streams.close(60s));
  std::set<std::string> expected;
  for (int i = 0; i < 5; ++i) expected.insert({"earlier-" + std::to_string(i), "new-" + std::to_string(i)});
  EXPECT_EQ(values, expected);
}

TEST(OffsetReset, UnderErrorAPartitionWithoutACommittedOffsetStopsTheApplicationAndNamesIt) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in).to(out);
  KafkaStreams streams(builder.build(), appConfig(uniqueName("error-app"), {{"consumer.auto.offset.reset", "error"}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::ERROR, 60s)) << "state " << static_cast<int>(streams.state());
  const std::string error = streams.lastError();
  EXPECT_NE(error.find("input topic " + in + " partition 0 has no position"), std::string::npos) << error;
  EXPECT_NE(error.find("consumer.auto.offset.reset"), std::string::npos) << error;
  streams.close(30s);
}

// An application that reads `in` through the repartition topic "by-key" into `out`. The
// repartition topic already holds three records an earlier run's upstream task wrote.
struct ThroughRepartition {
  explicit ThroughRepartition(const std::string& name) : app(uniqueName(name)) {
    Admin admin(bootstrap());
    admin.createTopic(in, 1);
    admin.createTopic(out, 1);
    admin.createTopic(app + "-by-key-repartition", 1);
    KafkaProducer producer(bootstrap());
    for (int i = 0; i < 3; ++i) producer.send(app + "-by-key-repartition", "k", "earlier-" + std::to_string(i));
    producer.flush();
  }
  Topology topology() const {
    StreamsBuilder builder;
    builder.stream<std::string, std::string>(in)
        .repartition(Repartitioned<std::string, std::string>::as("by-key"))
        .to(out);
    return builder.build();
  }
  // The values in `out` once it holds `n` records, or the application failed, or a minute passed.
  std::multiset<std::string> output(KafkaStreams& streams, size_t n, bool readCommitted = false) const {
    std::vector<TopicRecord> records;
    test::eventually(
        [&] {
          records = test::consumeToEnd(out, 10s, readCommitted);
          return records.size() >= n || streams.state() == KafkaStreams::State::ERROR;
        },
        60s);
    std::multiset<std::string> values;
    for (const auto& r : records) values.insert(*r.value);
    return values;
  }
  const std::string app, in = uniqueName("in"), out = uniqueName("out");
};

TEST(OffsetReset, UnderErrorARepartitionTopicWithoutACommittedOffsetIsReadFromItsBeginning) {
  ThroughRepartition io("error-repartition");
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 2; ++i) producer.send(io.in, "k", "new-" + std::to_string(i));
  producer.flush();
  commitOffset(io.app, io.in, 0);

  KafkaStreams streams(io.topology(), appConfig(io.app, {{"consumer.auto.offset.reset", "error"}}));
  streams.start();
  EXPECT_EQ(io.output(streams, 5), (std::multiset<std::string>{"earlier-0", "earlier-1", "earlier-2", "new-0", "new-1"}))
      << streams.lastError();
  EXPECT_TRUE(streams.close(60s));
}

// A committed offset no longer in the log (past its end here; before its start after
// retention) is reset by auto.offset.reset like a missing one, and is not an error.
TEST(OffsetReset, UnderEarliestACommittedOffsetOutOfRangeStartsAgainAtTheBeginning) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out"), app = uniqueName("out-of-range");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 3; ++i) producer.send(in, "k", "v-" + std::to_string(i));
  producer.flush();
  commitOffset(app, in, 100);

  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in).to(out);
  KafkaStreams streams(builder.build(), appConfig(app));
  streams.start();
  auto records = test::consume(out, 3, 60s);
  EXPECT_EQ(records.size(), 3u) << streams.lastError();
  EXPECT_NE(streams.state(), KafkaStreams::State::ERROR) << streams.lastError();
  EXPECT_TRUE(streams.close(30s));
}

// When a thread cannot read the committed offsets within its bound (here: a transaction
// holding the group's offsets is open) librdkafka looks them up and resets the positions
// itself once they are stable; a repartition topic still starts at its beginning.
TEST(OffsetReset, ARepartitionTopicStartsAtItsBeginningAlsoWhenLibrdkafkaResetsIt) {
  ThroughRepartition io("pending-repartition");
  OpenOffsetsTransaction open(io.app, io.in, 15s);

  KafkaStreams streams(io.topology(), appConfig(io.app, {{"processing.guarantee", "exactly_once_v2"},
                                                         {"consumer.auto.offset.reset", "latest"}}));
  streams.start();
  EXPECT_EQ(io.output(streams, 3, true), (std::multiset<std::string>{"earlier-0", "earlier-1", "earlier-2"}))
      << streams.lastError();
  EXPECT_TRUE(streams.close(60s));
}

}  // namespace
}  // namespace kstreams
