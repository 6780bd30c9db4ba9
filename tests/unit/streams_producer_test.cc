// The producer's settings as librdkafka ends up with them, and what it makes of records that
// time out (no broker needed: creating a producer does not connect, and nothing listens at
// 127.0.0.1:1, so every record times out).
#include "runtime/streams_producer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>

namespace kstreams::internal {
namespace {

std::string effective(StreamsProducer& producer, const char* name) {
  char value[64];
  size_t size = sizeof(value);
  if (rd_kafka_conf_get(rd_kafka_conf(producer.handle()), name, value, &size) != RD_KAFKA_CONF_OK) return "?";
  return value;
}

StreamsConfig configWith(std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> props = {{"application.id", "producer-test"},
                                              {"bootstrap.servers", "127.0.0.1:1"}};
  for (auto& [k, v] : extra) props[k] = v;
  return StreamsConfig(props);
}

TEST(StreamsProducer, DeliveryTimeoutDefaultsToKafkaStreams) {
  StreamsProducer producer(configWith({}), "p", "", false);
  EXPECT_EQ(effective(producer, "message.timeout.ms"), "120000");
}

TEST(StreamsProducer, AUsersDeliveryTimeoutWinsUnderEitherName) {
  {
    StreamsProducer producer(configWith({{"producer.delivery.timeout.ms", "5000"}}), "p", "", false);
    EXPECT_EQ(effective(producer, "message.timeout.ms"), "5000") << "delivery.timeout.ms is its alias";
  }
  StreamsProducer producer(configWith({{"producer.message.timeout.ms", "6000"}}), "p", "", false);
  EXPECT_EQ(effective(producer, "message.timeout.ms"), "6000");
}

// A record that timed out is neither lost nor the record's fault: whatever the production
// handler, the thread is told to redo the work since its last commit (flush() and, without
// transactions, the next send), until it has rewound.
TEST(StreamsProducer, ARecordThatTimedOutIsRedoneWhateverTheProductionHandler) {
  for (const char* handling : {"Fail", "Continue"}) {
    std::atomic<int64_t> dropped{0};
    StreamsProducer producer(configWith({{"default.production.exception.handler", handling},
                                         {"producer.message.timeout.ms", "200"},
                                         {"producer.linger.ms", "0"}}),
                             "p", "", false, &dropped);
    producer.send("t", 0, std::string_view("k"), std::string_view("v"), 0, {});
    try {
      producer.flush();
      ADD_FAILURE() << handling << ": a record that timed out was taken as delivered";
    } catch (const RedoSinceLastCommitException& e) {
      EXPECT_NE(std::string(e.what()).find("writing to topic t partition 0 failed: Local: Message timed out"),
                std::string::npos)
          << handling << ": " << e.what();
    }
    EXPECT_EQ(dropped.load(), 0) << handling << ": a record that timed out was dropped";
    EXPECT_THROW(producer.send("t", 0, std::string_view("k"), std::string_view("v2"), 0, {}),
                 RedoSinceLastCommitException)
        << handling << ": a send after the failure went on as if nothing had happened";
    producer.forgetFailuresToRedo();
    EXPECT_NO_THROW(producer.flush()) << handling << ": the failure outlived the rewind";
  }
}

// librdkafka refuses a record larger than its message.max.bytes before sending it. Under
// Fail that stops the thread: the error says how large the record was, which setting it
// exceeds (Kafka's max.request.size is librdkafka's message.max.bytes), and what to do.
TEST(StreamsProducer, ARecordLargerThanMessageMaxBytesIsRefusedNamingItsSizeAndTheSetting) {
  StreamsProducer producer(configWith({{"producer.message.max.bytes", "1000"}}), "p", "", false);
  try {
    producer.send("big", -1, std::string_view("k"), std::string(5000, 'x'), 0, {});
    FAIL() << "a record larger than message.max.bytes was taken";
  } catch (const StreamsException& e) {
    const std::string error = e.what();
    EXPECT_NE(error.find("topic big"), std::string::npos) << error;
    EXPECT_NE(error.find("5001 bytes"), std::string::npos) << "the record's size: " << error;
    EXPECT_NE(error.find("producer.message.max.bytes (1000)"), std::string::npos) << error;
    EXPECT_NE(error.find("max.request.size"), std::string::npos) << "Kafka's name of it: " << error;
    EXPECT_NE(error.find("default.production.exception.handler=Continue"), std::string::npos) << error;
  }
}

// Under Continue the same record is dropped and counted, and the producer goes on.
TEST(StreamsProducer, ARecordLargerThanMessageMaxBytesIsDroppedUnderContinue) {
  std::atomic<int64_t> dropped{0};
  StreamsProducer producer(configWith({{"producer.message.max.bytes", "1000"},
                                       {"default.production.exception.handler", "Continue"}}),
                           "p", "", false, &dropped);
  EXPECT_NO_THROW(producer.send("big", -1, std::string_view("k"), std::string(5000, 'x'), 0, {}));
  EXPECT_EQ(dropped.load(), 1);
}

}  // namespace
}  // namespace kstreams::internal
