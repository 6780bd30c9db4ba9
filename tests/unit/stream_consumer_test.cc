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

// A fetch of caught-up partitions (a table's topic at its end) waits at the broker this long,
// and the busy partitions' refills wait with it.
TEST(StreamConsumer, FetchesWaitAtTheBrokerForTwentyMillisecondsUnlessTold) {
  EXPECT_EQ(consumerOf({}).at("fetch.wait.max.ms"), "20");
  EXPECT_EQ(consumerOf({{"consumer.fetch.wait.max.ms", "500"}}).at("fetch.wait.max.ms"), "500");
  EXPECT_EQ(consumerOf({{"fetch.wait.max.ms", "100"}}).at("fetch.wait.max.ms"), "100");
}

TEST(StreamConsumer, DefaultsGiveWayToTheUsersAndOwnedSettingsDoNot) {
  auto defaults = consumerOf({});
  EXPECT_EQ(defaults.at("auto.offset.reset"), "earliest");
  EXPECT_EQ(defaults.at("queued.max.messages.kbytes"), "1024");
  EXPECT_EQ(defaults.at("group.id"), "consumer-test");
  EXPECT_EQ(defaults.at("isolation.level"), "read_uncommitted");
  auto told = consumerOf({{"consumer.queued.max.messages.kbytes", "256"},
                          {"processing.guarantee", "exactly_once_v2"}});
  EXPECT_EQ(told.at("queued.max.messages.kbytes"), "256");
  EXPECT_EQ(told.at("isolation.level"), "read_committed");
}

}  // namespace
}  // namespace kstreams::internal
