// A store whose changelog lost the records after its checkpoint (deleted with DeleteRecords,
// or by retention) is wiped and restored from what the changelog still holds, as Kafka
// Streams does with a task whose changelog offsets are out of range.
#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "kstreams.h"
#include "runtime/changelog_reader.h"
#include "runtime/log.h"
#include "state/in_memory_store.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::bootstrap;
using test::uniqueName;

class ChangelogTruncation : public testing::TestWithParam<const char*> {};

// An instance counts keys 0-4 and stops (its store checkpointed at the changelog's end);
// another instance, with its own state directory, takes the task over and counts keys 5-9;
// the changelog's records are deleted up to two past the first instance's part. The first
// instance, started again, finds its checkpoint below the changelog's start: its store
// holds what the changelog holds (without the wipe it kept keys 0-4 and restored the rest
// on top of them). Kafka refuses to delete records of a topic that is only compacted: this
// changelog is deleted from by retention too, as a windowed store's is.
TEST_P(ChangelogTruncation, AStoreBehindTheChangelogsStartIsWipedAndHoldsWhatTheChangelogHolds) {
  const bool exactlyOnce = std::string(GetParam()) == "exactly_once_v2";
  Admin admin(bootstrap());
  const std::string in = uniqueName("truncated-in"), app = uniqueName("truncated");
  const std::string changelog = app + "-counts-changelog";
  admin.createTopic(in, 1);
  auto topology = [&] {
    auto builder = std::make_shared<StreamsBuilder>();
    builder->stream<std::string, std::string>(in).groupByKey().count(
        Materialized<std::string, int64_t>::as("counts").withCachingDisabled().withLoggingEnabled(
            {{"cleanup.policy", "compact,delete"}}));
    return builder->build();
  };
  auto config = [&](const std::string& dir) {
    return test::appConfig(app, {{"processing.guarantee", GetParam()}, {"state.dir", dir}});
  };
  const std::string first = "/tmp/kstreams-it-state/" + uniqueName("dir"), other = "/tmp/kstreams-it-state/" + uniqueName("dir");
  auto storeContents = [](KafkaStreams& streams) {
    std::map<std::string, int64_t> got;
    for (const auto& kv : streams.store<std::string, int64_t>("counts")->all()) got[kv.key] = kv.value;
    return got;
  };
  auto countKeys = [&](int from, int to, const std::string& dir) {
    KafkaProducer producer(bootstrap());
    for (int i = from; i < to; ++i) producer.send(in, "key-" + std::to_string(i), "x");
    producer.flush();
    KafkaStreams streams(topology(), config(dir));
    streams.start();
    ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 120s)) << streams.lastError();
    EXPECT_TRUE(test::eventually([&] { return storeContents(streams).size() == static_cast<size_t>(to); }, 60s))
        << streams.lastError();
    ASSERT_TRUE(streams.close(60s));
  };
  countKeys(0, 5, first);
  const int64_t firstEnd = admin.endOffsets(changelog)[0];
  countKeys(5, 10, other);
  admin.deleteRecords(changelog, {{0, firstEnd + 2}});

  // Each key was counted once, so each record of the changelog is a count of 1 of its own
  // key.
  std::map<std::string, int64_t> expected;
  for (const TopicRecord& r : test::consumeToEnd(changelog, 30s, exactlyOnce)) expected[*r.key] = 1;
  ASSERT_FALSE(expected.empty());
  ASSERT_LT(expected.size(), 5u);
  ASSERT_FALSE(expected.count("key-0"));

  std::ostringstream logged;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logged);
  internal::log().sinks().push_back(sink);
  KafkaStreams streams(topology(), config(first));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 120s)) << streams.lastError();
  EXPECT_EQ(storeContents(streams), expected);
  EXPECT_EQ(streams.metrics().restoredRecords, static_cast<int64_t>(expected.size()));
  EXPECT_TRUE(streams.close(60s));
  std::erase(internal::log().sinks(), sink);
  const std::string warning = logged.str();
  EXPECT_NE(warning.find("store counts of task 0_0 is at changelog offset"), std::string::npos) << warning;
  EXPECT_NE(warning.find("below the start " + std::to_string(firstEnd + 2) + " of topic " + changelog + " partition 0"),
            std::string::npos)
      << warning;
}

// Where the line is, as in Kafka Streams (whose restore consumer seeks to the checkpoint
// plus one and finds it out of range or not): a store whose next offset is the changelog's
// start misses nothing and is kept; one whose next offset was deleted is wiped.
TEST(ChangelogTruncation, OnlyAStoreWhoseNextOffsetIsGoneIsWiped) {
  Admin admin(bootstrap());
  const StreamsConfig config = test::appConfig(uniqueName("truncated-reader"));
  internal::RestoreMetrics metrics;
  internal::ChangelogReader reader(config, "truncation-test", metrics);
  // Two changelogs of k0..k9 (offsets 0 to 9), each with a store that has restored k0..k4;
  // the first loses the records before offset 5, the second those before 6.
  std::vector<std::unique_ptr<internal::LocalStore>> stores;
  std::vector<internal::RestoreTarget> targets;
  for (int64_t start : {5, 6}) {
    const std::string changelog = uniqueName("truncated-changelog");
    admin.createTopic(changelog, 1, -1, {{"cleanup.policy", "compact,delete"}});
    KafkaProducer producer(bootstrap());
    for (int i = 0; i < 10; ++i) producer.send(changelog, "k" + std::to_string(i), "v" + std::to_string(i));
    producer.flush();
    admin.deleteRecords(changelog, {{0, start}});
    stores.push_back(internal::openInMemoryStore("counts"));
    std::vector<internal::ChangelogRecord> restored;
    for (int i = 0; i < 5; ++i) restored.push_back({"k" + std::to_string(i), "v" + std::to_string(i)});
    stores.back()->restore(restored, 4);
    targets.push_back({changelog, 0, stores.back().get(), std::nullopt});
  }
  const TaskId task{0, 0};
  reader.add(task, targets);
  bool done = false;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!done && std::chrono::steady_clock::now() < deadline)
    for (const TaskId& finished : reader.restore(100ms)) done = done || finished == task;
  ASSERT_TRUE(done);
  auto keys = [](internal::LocalStore& store) {
    std::vector<std::string> out;
    for (int i = 0; i < 10; ++i)
      if (store.get("k" + std::to_string(i))) out.push_back("k" + std::to_string(i));
    return out;
  };
  EXPECT_EQ(keys(*stores[0]), (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"}));
  EXPECT_EQ(keys(*stores[1]), (std::vector<std::string>{"k6", "k7", "k8", "k9"}));
  EXPECT_EQ(stores[1]->checkpoint(), 9);
}

// Kafka refuses DeleteRecords on a topic that is only compacted (POLICY_VIOLATION): the
// error names the topic and offset and says which cleanup.policy would allow it.
TEST(ChangelogTruncation, DeletingRecordsOfACompactedTopicSaysItsCleanupPolicyForbidsIt) {
  Admin admin(bootstrap());
  const std::string topic = uniqueName("compacted-only");
  admin.createTopic(topic, 1, -1, {{"cleanup.policy", "compact"}});
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 3; ++i) producer.send(topic, "k" + std::to_string(i), "v");
  producer.flush();
  try {
    admin.deleteRecords(topic, {{0, 2}});
    FAIL() << "Kafka deleted records of a topic that is only compacted";
  } catch (const StreamsException& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(topic), std::string::npos) << what;
    EXPECT_NE(what.find("before offset 2"), std::string::npos) << what;
    EXPECT_NE(what.find("cleanup.policy"), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(BothGuarantees, ChangelogTruncation, testing::Values("at_least_once", "exactly_once_v2"));

}  // namespace
}  // namespace kstreams
