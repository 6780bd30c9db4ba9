// The producer's settings as librdkafka ends up with them (no broker needed: creating a
// producer does not connect).
#include "runtime/streams_producer.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kstreams::internal
