// A timestamp extractor is given its partition's time, and after a restart that is the
// partition time committed with the partition's offset, as in Kafka Streams.
#include <gtest/gtest.h>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::bootstrap;
using test::uniqueName;

// Records at 10 s, 20 s and 30 s (into a recent hour: the broker's retention would delete
// records from 1970); the application stops and starts again, and the next record, whose
// extractor takes the partition time, is stamped 30 s. Without the committed time it would
// be given -1, and skipped.
TEST(TimestampExtractor, AfterARestartTheExtractorIsGivenTheCommittedPartitionTime) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("extract-in"), out = uniqueName("extract-out"), app = uniqueName("extract");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  auto topology = [&] {
    StreamsBuilder builder;
    builder
        .stream(in, Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String())
                        .withTimestampExtractor([](const std::string&, const std::string& value, int64_t recordTimestamp,
                                                   int64_t partitionTime) {
                          return value == "use partition time" ? partitionTime : recordTimestamp;
                        }))
        .to(out);
    return builder.build();
  };
  const StreamsConfig config = test::appConfig(app, {{"state.dir", "/tmp/kstreams-it-state/" + uniqueName("dir")}});
  auto produce = [&](const std::vector<std::pair<std::string, int64_t>>& records) {
    KafkaProducer producer(bootstrap());
    for (const auto& [value, timestamp] : records) producer.send(in, "k", value, timestamp);
    producer.flush();
  };
  auto awaitOutputs = [&](KafkaStreams& streams, size_t count) {
    std::vector<TopicRecord> got;
    EXPECT_TRUE(test::eventually([&] { return (got = test::consumeToEnd(out, 30s)).size() >= count; }, 60s))
        << streams.lastError();
    return got;
  };

  constexpr int64_t kHour = 3600000;
  const int64_t t0 = (internal::nowMs() / kHour - 1) * kHour;
  produce({{"a", t0 + 10000}, {"b", t0 + 30000}, {"c", t0 + 20000}});
  {
    KafkaStreams streams(topology(), config);
    streams.start();
    ASSERT_EQ(awaitOutputs(streams, 3).size(), 3u);
    EXPECT_TRUE(streams.close(60s));
  }

  KafkaStreams streams(topology(), config);
  streams.start();
  produce({{"use partition time", t0 + 5000}});
  const auto all = awaitOutputs(streams, 4);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].value, "use partition time");
  EXPECT_EQ(all[3].timestamp, t0 + 30000);
  EXPECT_EQ(streams.metrics().skippedRecords, 0);
  EXPECT_TRUE(streams.close(60s));
}

}  // namespace
}  // namespace kstreams
