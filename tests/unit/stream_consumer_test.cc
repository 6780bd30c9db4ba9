// The settings of a stream thread's consumer: the defaults kstreams chooses, the user's
// overrides, and what kstreams keeps for itself.
#include <gtest/gtest.h>

#include "runtime/stream_thread.h"

namespace kstreams::internal {
namespace {

std::map<std::string, std::string> consumerOf(std::map<std::string, std::string> props) {
  props.emplace("application.id", "consumer-test");
  props.emplace("bootstrap.servers", "127.0.0.1:1");
  return streamConsumerProperties(StreamsConfig(props), "c", 1024);
}

TEST(StreamConsumer, EverySettingAtTheDefaults) {
  const std::map<std::string, std::string> expected = {
      {"bootstrap.servers", "127.0.0.1:1"},
      {"client.id", "c"},
      {"auto.offset.reset", "earliest"},
      {"queued.max.messages.kbytes", "1024"},
      {"fetch.message.max.bytes", "262144"},
      {"fetch.wait.max.ms", "50"},
      {"group.id", "consumer-test"},
      {"partition.assignment.strategy", "range"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"isolation.level", "read_uncommitted"},
  };
  EXPECT_EQ(consumerOf({}), expected);
}

// A fetch of caught-up partitions (a table's topic at its end) waits at the broker this long,
// and the busy partitions' refills wait with it.
TEST(StreamConsumer, FetchesWaitAtTheBrokerForFiftyMillisecondsUnlessTold) {
  EXPECT_EQ(consumerOf({}).at("fetch.wait.max.ms"), "50");
  EXPECT_EQ(consumerOf({{"consumer.fetch.wait.max.ms", "500"}}).at("fetch.wait.max.ms"), "500");
  EXPECT_EQ(consumerOf({{"fetch.wait.max.ms", "100"}}).at("fetch.wait.max.ms"), "100");
}

// A fetch brings at most a quarter of a partition's prefetch queue (whoever sized it), so a
// queue passes its bound by a quarter at most; 64 KiB at least, librdkafka's 1 MiB at most.
TEST(StreamConsumer, AFetchIsAQuarterOfThePrefetchQueueUnlessTold) {
  auto withQueue = [](int64_t kbytes, std::map<std::string, std::string> props = {}) {
    props.emplace("application.id", "consumer-test");
    props.emplace("bootstrap.servers", "127.0.0.1:1");
    return streamConsumerProperties(StreamsConfig(props), "c", kbytes);
  };
  EXPECT_EQ(withQueue(1024).at("fetch.message.max.bytes"), "262144");
  EXPECT_EQ(withQueue(4096).at("fetch.message.max.bytes"), "1048576");
  EXPECT_EQ(withQueue(16384).at("fetch.message.max.bytes"), "1048576");
  EXPECT_EQ(withQueue(1024, {{"consumer.queued.max.messages.kbytes", "512"}}).at("fetch.message.max.bytes"), "131072");
  EXPECT_EQ(withQueue(1024, {{"consumer.queued.max.messages.kbytes", "16"}}).at("fetch.message.max.bytes"), "65536");
  EXPECT_EQ(withQueue(1024, {{"consumer.fetch.message.max.bytes", "2097152"}}).at("fetch.message.max.bytes"), "2097152");
  auto alias = withQueue(1024, {{"max.partition.fetch.bytes", "524288"}});
  EXPECT_EQ(alias.count("fetch.message.max.bytes"), 0u);
  EXPECT_EQ(alias.at("max.partition.fetch.bytes"), "524288");
  auto prefixedAlias = withQueue(1024, {{"consumer.max.partition.fetch.bytes", "524288"}});
  EXPECT_EQ(prefixedAlias.count("fetch.message.max.bytes"), 0u);
  EXPECT_EQ(prefixedAlias.at("max.partition.fetch.bytes"), "524288");
}

TEST(StreamConsumer, TheUsersPropertiesWinOverTheDefaultsAndTheGuaranteeSetsTheIsolation) {
  auto told = consumerOf({{"consumer.queued.max.messages.kbytes", "256"},
                          {"auto.offset.reset", "latest"},
                          {"processing.guarantee", "exactly_once_v2"}});
  EXPECT_EQ(told.at("queued.max.messages.kbytes"), "256");
  EXPECT_EQ(told.at("auto.offset.reset"), "latest");
  EXPECT_EQ(told.at("isolation.level"), "read_committed");
}

}  // namespace
}  // namespace kstreams::internal
