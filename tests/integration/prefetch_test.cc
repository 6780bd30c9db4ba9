// A stream thread's prefetch on the real broker: a partition's queue, taken below half of
// the level where librdkafka stops fetching, rings its broker (runtime/fetch_doorbell.h), and
// one that never fills does not.
#include <gtest/gtest.h>

#include "kstreams.h"
#include "runtime/kafka_client.h"
#include "runtime/partition_queue.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

constexpr int64_t kQueueKbytes = 64;

// A consumer assigned partition 0 of `topic` from its beginning, with a prefetch queue of its
// own that librdkafka stops filling at kQueueKbytes.
struct PrefetchingConsumer {
  explicit PrefetchingConsumer(const std::string& topic) {
    consumer = internal::createClient(
        RD_KAFKA_CONSUMER,
        internal::makeConf({{"bootstrap.servers", bootstrap()},
                            {"group.id", uniqueName("prefetch")},
                            {"enable.auto.commit", "false"},
                            {"queued.max.messages.kbytes", std::to_string(kQueueKbytes)},
                            // One fetch brings at most the queue's size.
                            {"fetch.message.max.bytes", std::to_string(kQueueKbytes * 1024)}}));
    doorbell = std::make_unique<internal::FetchDoorbell>(consumer.get(), kQueueKbytes * 1024, 100000);
    queue = internal::PartitionQueue(consumer.get(), topic, 0, wakeup, doorbell.get());
    internal::PartitionList assignment(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer.get(), assignment.get());
  }
  ~PrefetchingConsumer() {
    queue = internal::PartitionQueue();
    doorbell.reset();
    rd_kafka_consumer_close(consumer.get());
  }

  // The offsets of the next `count` records, taken as a stream thread takes them.
  std::vector<int64_t> take(size_t count, std::chrono::seconds timeout) {
    std::vector<int64_t> offsets;
    std::vector<rd_kafka_message_t*> batch(100);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (offsets.size() < count && std::chrono::steady_clock::now() < deadline) {
      wakeup.arm();
      doorbell->collect();
      const size_t n = queue.take(batch.data(), batch.size());
      for (size_t i = 0; i < n; ++i) {
        if (!batch[i]->err) offsets.push_back(batch[i]->offset);
        lastBroker = rd_kafka_message_broker_id(batch[i]);
        rd_kafka_message_destroy(batch[i]);
      }
      if (n == 0) wakeup.wait(100ms);
    }
    return offsets;
  }

  internal::KafkaHandle consumer;
  internal::Wakeup wakeup;
  std::unique_ptr<internal::FetchDoorbell> doorbell;
  internal::PartitionQueue queue;
  int32_t lastBroker = -1;  // the broker the last record came from
};

// A new topic named after `base` holding `records` records of `valueBytes`-byte values.
std::string filledTopic(const std::string& base, int32_t partitions, int records, size_t valueBytes) {
  const std::string topic = uniqueName(base);
  Admin(bootstrap()).createTopic(topic, partitions);
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < records; ++i)
    producer.send(topic, "k" + std::to_string(i), std::string(valueBytes, 'v'));
  producer.flush();
  return topic;
}

TEST(Prefetch, AQueueTakenBelowHalfOfItsStopLevelRingsItsBrokerAndEveryRecordArrives) {
  // About 50 fills of the 64 KiB queue.
  constexpr int kRecords = 3000;
  const std::string topic = filledTopic("prefetch-full", 1, kRecords, 1000);

  PrefetchingConsumer c(topic);
  const std::vector<int64_t> offsets = c.take(kRecords, 120s);
  ASSERT_EQ(offsets.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) ASSERT_EQ(offsets[i], i) << "a record lost or repeated";
  EXPECT_GT(c.doorbell->rings(), 0) << "the queue filled and was taken, but never rang";
  // At most one ring per fill: a ring waits for the queue to fill again.
  EXPECT_LE(c.doorbell->rings(), kRecords / 32);
}

TEST(Prefetch, AQueueThatNeverFillsDoesNotRing) {
  PrefetchingConsumer c(filledTopic("prefetch-slow", 1, 20, 100));
  ASSERT_EQ(c.take(20, 60s).size(), 20u);
  EXPECT_EQ(c.doorbell->rings(), 0);
}

TEST(Prefetch, ARingToABrokerIsAnsweredAndCanRingAgain) {
  PrefetchingConsumer c(filledTopic("prefetch-ring", 1, 1, 10));
  const std::vector<int64_t> first = c.take(1, 60s);
  ASSERT_EQ(first.size(), 1u);
  const int32_t broker = c.lastBroker;
  ASSERT_GE(broker, 0);
  EXPECT_FALSE(c.doorbell->ring(-1)) << "no broker to ring";
  ASSERT_TRUE(c.doorbell->ring(broker));
  EXPECT_FALSE(c.doorbell->ring(broker)) << "a second ring while the first is unanswered";
  EXPECT_TRUE(test::eventually([&] { c.doorbell->collect(); return c.doorbell->ring(broker); }, 30s))
      << "broker " << broker << " never answered the ring";
}

TEST(Prefetch, AStreamThreadDeliversEveryRecordWithAndWithoutRefillRequests) {
  Admin admin(bootstrap());
  constexpr int kRecords = 1000;
  const std::string in = filledTopic("prefetch-in", 2, kRecords, 1000);
  for (const std::string refill : {"true", "false"}) {
    SCOPED_TRACE("prefetch.refill.requests=" + refill);
    const std::string out = uniqueName("prefetch-out");
    admin.createTopic(out, 2);
    StreamsBuilder builder;
    builder.stream<std::string, std::string>(in).to(out);
    // A queue of 64 KiB per partition: the thread drains it many times over.
    KafkaStreams streams(builder.build(),
                         appConfig(uniqueName("prefetch-app"), {{"prefetch.refill.requests", refill},
                                                                {"consumer.queued.max.messages.kbytes", "64"},
                                                                {"consumer.fetch.message.max.bytes", "65536"}}));
    streams.start();
    EXPECT_EQ(test::consume(out, kRecords, 120s).size(), static_cast<size_t>(kRecords));
    streams.close();
  }
}

}  // namespace
}  // namespace kstreams
