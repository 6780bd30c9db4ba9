// Stream time across restarts: each committed input offset carries its partition's time
// (changelog_offsets.h), and a restarted application goes on from it, as Kafka Streams does.
#include <gtest/gtest.h>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::bootstrap;
using test::uniqueName;

// Forwards, for each record, the stream time it was processed at ("record:<value>" ->
// stream time), and for each stream-time punctuation the time it fired at ("punctuation").
class StreamTimeReporter : public Processor<std::string, std::string, std::string, std::string> {
 public:
  void init(ProcessorContext<std::string, std::string>& ctx) override {
    ctx_ = &ctx;
    ctx.schedule(1h, PunctuationType::STREAM_TIME, [this](int64_t time) {
      ctx_->forward(Record<std::string, std::string>{"punctuation", std::to_string(time), time, {}});
    });
  }
  void process(Record<std::string, std::string> r) override {
    ctx_->forward(Record<std::string, std::string>{"record:" + r.value, std::to_string(ctx_->currentStreamTimeMs()),
                                                   r.timestamp, {}});
  }

 private:
  ProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

class PartitionTime : public testing::TestWithParam<const char*> {};

// Records at 10 s, 20 s and 30 s (into a recent hour: the broker's retention would delete
// records from 1970), then the application stops and starts again. The restarted task's
// stream time is the committed partition time, 30 s: the stream-time punctuation due at it
// fires at once, before any new record (from -1, it waited for one), and a late record at
// 5 s that comes next does not move stream time back (from -1, both were at 5 s).
TEST_P(PartitionTime, ARestartedApplicationGoesOnFromTheCommittedPartitionTime) {
  const bool exactlyOnce = std::string(GetParam()) == "exactly_once_v2";
  Admin admin(bootstrap());
  const std::string in = uniqueName("ptime-in"), out = uniqueName("ptime-out"), app = uniqueName("ptime");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  auto topology = [&] {
    auto builder = std::make_shared<StreamsBuilder>();
    builder->stream<std::string, std::string>(in).process([] { return std::make_unique<StreamTimeReporter>(); }).to(out);
    return builder->build();
  };
  const StreamsConfig config = test::appConfig(app, {{"processing.guarantee", GetParam()},
                                                     {"state.dir", "/tmp/kstreams-it-state/" + uniqueName("dir")}});
  auto produce = [&](const std::vector<std::pair<std::string, int64_t>>& records) {
    KafkaProducer producer(bootstrap());
    for (const auto& [value, timestamp] : records) producer.send(in, "k", value, timestamp);
    producer.flush();
  };
  // key -> value of the output so far.
  auto outputs = [&](size_t count) {
    std::vector<std::pair<std::string, std::string>> got;
    for (const TopicRecord& r : test::consumeToEnd(out, 30s, exactlyOnce)) got.emplace_back(*r.key, *r.value);
    return got.size() >= count ? got : std::vector<std::pair<std::string, std::string>>{};
  };
  auto awaitOutputs = [&](KafkaStreams& streams, size_t count) {
    std::vector<std::pair<std::string, std::string>> got;
    EXPECT_TRUE(test::eventually([&] { return !(got = outputs(count)).empty(); }, 60s)) << streams.lastError();
    return got;
  };

  // The start of the previous hour: the punctuation's interval is an hour, aligned to
  // whole hours, so it fires once for the three records.
  constexpr int64_t kHour = 3600000;
  const int64_t t0 = (internal::nowMs() / kHour - 1) * kHour;
  const std::string at30s = std::to_string(t0 + 30000);
  produce({{"a", t0 + 10000}, {"b", t0 + 20000}, {"c", t0 + 30000}});
  {
    KafkaStreams streams(topology(), config);
    streams.start();
    const auto first = awaitOutputs(streams, 4);
    ASSERT_EQ(first.size(), 4u);
    EXPECT_EQ(first.back(), (std::pair<std::string, std::string>{"record:c", at30s}));
    EXPECT_TRUE(streams.close(60s));
  }

  KafkaStreams streams(topology(), config);
  streams.start();
  const auto resumed = awaitOutputs(streams, 5);
  ASSERT_EQ(resumed.size(), 5u);
  EXPECT_EQ(resumed[4], (std::pair<std::string, std::string>{"punctuation", at30s}));
  produce({{"late", t0 + 5000}});
  const auto all = awaitOutputs(streams, 6);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[5], (std::pair<std::string, std::string>{"record:late", at30s}));
  EXPECT_TRUE(streams.close(60s));
}

INSTANTIATE_TEST_SUITE_P(BothGuarantees, PartitionTime, testing::Values("at_least_once", "exactly_once_v2"));

}  // namespace
}  // namespace kstreams
