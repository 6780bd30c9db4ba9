// KafkaProducer's errors, as the `kstreams produce` command shows them (no broker needed for
// a record librdkafka refuses before sending it).
#include "runtime/kafka_producer.h"

#include <gtest/gtest.h>

#include <string>

#include "streams/errors.h"

namespace kstreams {
namespace {

TEST(KafkaProducer, ARecordLargerThanMessageMaxBytesIsRefusedNamingItsSizeAndTheSetting) {
  KafkaProducer producer("127.0.0.1:1", {{"message.max.bytes", "1000"}});
  try {
    producer.send("big", std::string_view("k"), std::string(5000, 'x'));
    FAIL() << "a record larger than message.max.bytes was taken";
  } catch (const StreamsException& e) {
    const std::string error = e.what();
    EXPECT_NE(error.find("topic big"), std::string::npos) << error;
    EXPECT_NE(error.find("5001 bytes"), std::string::npos) << error;
    EXPECT_NE(error.find("message.max.bytes (1000)"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace kstreams
