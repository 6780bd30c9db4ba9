#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "runtime/streams_config.h"

namespace kstreams {
namespace {

void expectRejected(std::map<std::string, std::string> props, const std::string& mention) {
  try {
    StreamsConfig config(props);
    FAIL() << "expected a ConfigException mentioning " << mention;
  } catch (const ConfigException& e) {
    EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
  }
}

TEST(StreamsConfig, DefaultsAreKafkaStreamsDefaults) {
  StreamsConfig config{{"application.id", "app"}, {"bootstrap.servers", "b:9092"}};
  EXPECT_EQ(config.numStreamThreads(), 1);
  EXPECT_EQ(config.processingGuarantee(), ProcessingGuarantee::kAtLeastOnce);
  EXPECT_EQ(config.commitInterval(), std::chrono::milliseconds(30000));
  EXPECT_EQ(config.deserializationHandling(), DeserializationHandling::kLogAndFail);
  EXPECT_EQ(config.bufferedRecordsPerPartition(), 1000);
  EXPECT_EQ(config.maxTaskIdleMs(), 0);
  EXPECT_EQ(config.clientId(), "app");
  EXPECT_EQ(config.statestoreUncommittedMaxBytes(), 32 << 20);
  EXPECT_EQ(config.statestoreApplyInterval(), std::chrono::milliseconds(1000));
  EXPECT_TRUE(config.prefetchRefillRequests());
  EXPECT_FALSE(StreamsConfig({{"prefetch.refill.requests", "false"}}).prefetchRefillRequests());
}

TEST(StreamsConfig, ExactlyOnceCommitsEvery100MsUnlessTold) {
  StreamsConfig eos{{"application.id", "a"}, {"processing.guarantee", "exactly_once_v2"}};
  EXPECT_EQ(eos.commitInterval(), std::chrono::milliseconds(100));
  StreamsConfig told{{"application.id", "a"}, {"processing.guarantee", "exactly_once_v2"},
                     {"commit.interval.ms", "500"}};
  EXPECT_EQ(told.commitInterval(), std::chrono::milliseconds(500));
}

TEST(StreamsConfig, UnknownKeysAndBadValuesNameTheKey) {
  expectRejected({{"application.id", "a"}, {"num.stream.thread", "2"}}, "'num.stream.thread'");
  expectRejected({{"num.stream.threads", "two"}}, "'num.stream.threads'");
  expectRejected({{"num.stream.threads", "0"}}, "'num.stream.threads'");
  expectRejected({{"processing.guarantee", "exactly_once"}}, "exactly_once_v2");
  expectRejected({{"application.id", "has space"}}, "'application.id'");
  expectRejected({{"default.deserialization.exception.handler", "Ignore"}}, "LogAndContinue");
  expectRejected({{"default.value.serde", "Avro"}}, "setDefaultSerde");
  expectRejected({{"consumer.group.id", "x"}}, "application.id");
  // A changelog's offsets come from every record's delivery report.
  expectRejected({{"producer.delivery.report.only.error", "true"}}, "set by kstreams itself");
  expectRejected({{"producer.linger.ms", "soon"}}, "'producer.linger.ms'");
  expectRejected({{"consumer.no.such.property", "1"}}, "'consumer.no.such.property'");
  expectRejected({{"statestore.uncommitted.max.bytes", "1000"}}, "'statestore.uncommitted.max.bytes'");
  expectRejected({{"statestore.apply.interval.ms", "-1"}}, "'statestore.apply.interval.ms'");
  expectRejected({{"prefetch.refill.requests", "yes"}}, "'prefetch.refill.requests'");
}

// Under exactly_once_v2 a task's next owner waits up to task.timeout.ms for a killed
// owner's open transaction, which the broker aborts transaction.timeout.ms after it began:
// a wait shorter than the transaction would fail that owner after every crash.
TEST(StreamsConfig, ExactlyOnceTransactionsEndWithinTheTaskTimeout) {
  const std::pair<const std::string, std::string> eos{"processing.guarantee", "exactly_once_v2"};
  EXPECT_EQ(StreamsConfig({eos}).transactionTimeout(), std::chrono::milliseconds(10000));
  StreamsConfig longer{eos, {"producer.transaction.timeout.ms", "60000"}};
  EXPECT_EQ(longer.transactionTimeout(), std::chrono::milliseconds(60000));
  EXPECT_EQ(StreamsConfig({eos, {"transaction.timeout.ms", "5000"}, {"producer.transaction.timeout.ms", "7000"}})
                .transactionTimeout(),
            std::chrono::milliseconds(7000));

  expectRejected({eos, {"task.timeout.ms", "5000"}}, "'transaction.timeout.ms' (10000 ms) is not below 'task.timeout.ms' (5000 ms)");
  expectRejected({eos, {"transaction.timeout.ms", "300000"}}, "Lower transaction.timeout.ms");
  expectRejected({eos, {"producer.transaction.timeout.ms", "900000"}}, "'producer.transaction.timeout.ms' (900000 ms)");
  // One number for the check and the producer: librdkafka alone would read this one as hex.
  expectRejected({eos, {"producer.transaction.timeout.ms", "0x2710"}}, "expected a whole number");
  // At least once does not read it.
  EXPECT_NO_THROW(StreamsConfig({{"producer.transaction.timeout.ms", "0x2710"}}));
  StreamsConfig both{eos, {"task.timeout.ms", "5000"}, {"producer.transaction.timeout.ms", "2000"}};
  EXPECT_EQ(both.taskTimeout(), std::chrono::milliseconds(5000));
  // At least once has no transactions to wait for.
  EXPECT_EQ(StreamsConfig({{"task.timeout.ms", "1000"}}).taskTimeout(), std::chrono::milliseconds(1000));
}

TEST(StreamsConfig, ClientPropertiesPassThroughWithPrefixesWinning) {
  StreamsConfig config{{"application.id", "a"},
                       {"socket.timeout.ms", "1000"},
                       {"consumer.socket.timeout.ms", "2000"},
                       {"producer.linger.ms", "7"}};
  auto consumer = config.clientProperties("consumer");
  auto producer = config.clientProperties("producer");
  EXPECT_EQ(consumer.at("socket.timeout.ms"), "2000");
  EXPECT_EQ(producer.at("socket.timeout.ms"), "1000");
  EXPECT_EQ(producer.at("linger.ms"), "7");
  EXPECT_EQ(consumer.count("linger.ms"), 0u);
}

TEST(StreamsConfig, JavasAutoOffsetResetNoneIsLibrdkafkasError) {
  StreamsConfig config{{"application.id", "a"}, {"consumer.auto.offset.reset", "none"}};
  EXPECT_EQ(config.clientProperties("consumer").at("auto.offset.reset"), "error");
  expectRejected({{"application.id", "a"}, {"auto.offset.reset", "sometimes"}}, "auto.offset.reset");
}

TEST(StreamsConfig, JavaHandlerNamesAreAccepted) {
  StreamsConfig config{{"default.deserialization.exception.handler",
                        "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler"}};
  EXPECT_EQ(config.deserializationHandling(), DeserializationHandling::kLogAndContinue);
}

// librdkafka checks some client properties only together, when a client is created: a
// stream thread would create its producer, and fail, only after start(). They are checked
// at construction instead, naming the keys as given and kstreams' own default involved.
TEST(StreamsConfig, ProducerPropertiesThatDoNotGoTogetherAreRejectedNamingTheKeys) {
  // kstreams' producers are idempotent unless told otherwise.
  expectRejected({{"producer.acks", "1"}}, "'producer.acks'");
  expectRejected({{"producer.acks", "1"}}, "enable.idempotence=true");
  expectRejected({{"max.in.flight", "10"}}, "'max.in.flight'");
  EXPECT_NO_THROW(StreamsConfig({{"producer.acks", "1"}, {"producer.enable.idempotence", "false"}}));
  EXPECT_NO_THROW(StreamsConfig({{"producer.acks", "all"}, {"consumer.fetch.wait.max.ms", "10"}}));
  // A transaction must outlast its deliveries.
  expectRejected({{"processing.guarantee", "exactly_once_v2"}, {"producer.message.timeout.ms", "60000"}},
                 "'producer.message.timeout.ms'");
}

TEST(StreamsConfig, ConsumerPropertiesThatDoNotGoTogetherAreRejectedNamingTheKeys) {
  expectRejected({{"consumer.fetch.max.bytes", "1000"}}, "'consumer.fetch.max.bytes'");
  expectRejected({{"consumer.fetch.max.bytes", "1000"}}, "message.max.bytes");
  EXPECT_NO_THROW(StreamsConfig({{"consumer.fetch.max.bytes", "1000"}, {"consumer.message.max.bytes", "1000"}}));
}

// Kafka Streams and Java client keys that kstreams names otherwise, or has no use for: the
// error says what to use instead, for a Kafka Streams user who brings a config along.
TEST(StreamsConfig, JavaKeysOfAnotherNameSayWhatToUseInstead) {
  expectRejected({{"cache.max.bytes.buffering", "0"}}, "statestore.cache.max.bytes");
  expectRejected({{"producer.max.request.size", "2000000"}}, "producer.message.max.bytes");
  expectRejected({{"max.request.size", "2000000"}}, "'max.request.size'");
  expectRejected({{"default.timestamp.extractor", "x"}}, "withTimestampExtractor");
  expectRejected({{"consumer.max.poll.records", "10"}}, "buffered.records.per.partition");
  expectRejected({{"num.standby.replicas", "1"}}, "standby");
}

// The check of client properties creates clients; one that authenticates would run its
// kinit command (or fetch a token) when a config is merely built.
TEST(StreamsConfig, CheckingClientPropertiesRunsNoSecurityMachinery) {
  const std::string marker = ::testing::TempDir() + "kstreams-kinit-ran";
  std::remove(marker.c_str());
  StreamsConfig config{{"security.protocol", "SASL_PLAINTEXT"},
                       {"sasl.mechanisms", "GSSAPI"},
                       {"sasl.kerberos.kinit.cmd", "touch " + marker},
                       {"producer.linger.ms", "5"}};
  EXPECT_FALSE(std::ifstream(marker).good()) << "the config check ran sasl.kerberos.kinit.cmd";
  // The combinations it checks are still checked.
  EXPECT_THROW((StreamsConfig{{"security.protocol", "SASL_PLAINTEXT"}, {"producer.acks", "1"}}), ConfigException);
}

}  // namespace
}  // namespace kstreams
