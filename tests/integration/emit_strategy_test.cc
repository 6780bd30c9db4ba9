// EmitStrategy::onWindowClose() on the real broker under exactly_once_v2: across a restart
// of the application (same application id) every closed window's final result is in the
// output exactly once.
#include <gtest/gtest.h>

#include <map>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

TEST(EmitOnWindowClose, ARestartNeitherRepeatsNorLosesAFinalResult) {
  Admin admin(bootstrap());
  const std::string input = uniqueName("clicks"), output = uniqueName("final-counts");
  admin.createTopic(input, 1);
  admin.createTopic(output, 1);
  const std::string app = uniqueName("emit-on-close");
  const StreamsConfig config =
      appConfig(app, {{"processing.guarantee", "exactly_once_v2"}, {"state.dir", "/tmp/kstreams-it-emit/" + app}});
  const auto windowedSerde = WindowedSerdes::windowedSerdeFrom(Serdes::String());
  auto topology = [&] {
    StreamsBuilder builder;
    builder.stream<std::string, std::string>(input)
        .groupByKey()
        .windowedBy(TimeWindows::ofSizeWithNoGrace(10s))
        .emitStrategy(EmitStrategy::onWindowClose())
        // Windows outlive the test: a restart that forgot what it sent would send them again.
        .count(Materialized<std::string, int64_t>::as("counts").withRetention(24h))
        .toStream()
        .to(output, Produced<Windowed<std::string>, std::optional<int64_t>>::with(windowedSerde, Serdes::Int64()));
    return builder.build();
  };
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t base = (now - 3600000) / 10000 * 10000;
  auto produce = [&](const std::string& key, int64_t timestamp) {
    KafkaProducer producer(bootstrap());
    producer.send<std::string, std::string>(input, key, "click", Serdes::String(), Serdes::String(), timestamp);
    producer.flush();
  };
  // Final results read so far, per (key, window start); a repeat fails the test.
  std::map<std::pair<std::string, int64_t>, int64_t> finals;
  TopicReader::Options committed;
  committed.readCommitted = true;
  TopicReader reader(bootstrap(), output, committed);
  // Sends `tick` records (in a window that stays open) until the output holds `count`
  // results: the emit is throttled to once a second of wall clock, and a record triggers it.
  auto awaitFinals = [&](KafkaStreams& streams, size_t count, int64_t tick) {
    return test::eventually(
        [&] {
          produce("tick", tick);
          for (auto& r : reader.read(100, 300ms)) {
            const Windowed<std::string> key = windowedSerde->deserialize(*r.key);
            const int64_t value = Serdes::Int64()->deserialize(*r.value);
            EXPECT_TRUE(finals.emplace(std::make_pair(key.key, key.window.start), value).second)
                << "sent again: " << key.key << "@" << key.window.start;
          }
          return finals.size() >= count || streams.state() == KafkaStreams::State::ERROR;
        },
        120s);
  };

  // Windows 0 and 1 close once a record of window 2 arrives.
  for (int i = 0; i < 3; ++i) produce("a", base + i * 1000);
  produce("b", base + 5000);
  produce("a", base + 12000);
  produce("b", base + 15000);
  produce("b", base + 16000);
  {
    KafkaStreams first(topology(), config);
    first.start();
    ASSERT_TRUE(awaitFinals(first, 4, base + 20000)) << first.lastError();
    ASSERT_TRUE(first.close(60s));
  }
  EXPECT_EQ(finals, (std::map<std::pair<std::string, int64_t>, int64_t>{
                        {{"a", base}, 3}, {{"b", base}, 1}, {{"a", base + 10000}, 1}, {{"b", base + 10000}, 2}}));

  // After the restart window 2 closes; windows 0 and 1 must not come again.
  produce("c", base + 21000);
  produce("c", base + 30000);
  KafkaStreams second(topology(), config);
  second.start();
  ASSERT_TRUE(awaitFinals(second, 6, base + 30000)) << second.lastError();
  EXPECT_TRUE(second.close(60s));
  // Whatever else the output holds would be a repeat.
  for (auto& r : reader.readToEnd(30s)) {
    const Windowed<std::string> key = windowedSerde->deserialize(*r.key);
    ADD_FAILURE() << "sent again after the restart: " << key.key << "@" << key.window.start;
  }
  ASSERT_EQ(finals.size(), 6u);
  EXPECT_EQ(finals.at({"c", base + 20000}), 1);
  EXPECT_GE(finals.at({"tick", base + 20000}), 1);
}

}  // namespace
}  // namespace kstreams
