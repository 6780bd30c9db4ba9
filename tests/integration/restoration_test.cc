// Restoring a store from its changelog on the real broker, when the broker's answers about
// the changelog's end cannot be trusted.
#include <gtest/gtest.h>

#include "kstreams.h"
#include "runtime/changelog_reader.h"
#include "state/in_memory_store.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using internal::ChangelogReader;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

// Runs the reader until `task` has caught up, or `timeout` passes. Returns whether it did.
bool restoreUntilDone(ChangelogReader& reader, TaskId task, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline)
    for (const TaskId& done : reader.restore(100ms))
      if (done == task) return true;
  return false;
}

// librdkafka 2.0.2 has answered a watermark query with an end of 0 and no error (see
// ChangelogReader::add). A new instance's empty store must not take that for an empty
// changelog: it would go on from no state at all.
TEST(Restoration, AnEmptyStoreIsRestoredWhenTheChangelogsEndIsWronglyReportedAsZero) {
  const std::string changelog = uniqueName("restore-changelog");
  Admin(bootstrap()).createTopic(changelog, 1);
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 100; ++i) producer.send(changelog, "k" + std::to_string(i), "v" + std::to_string(i));
  producer.flush();

  const StreamsConfig config = appConfig(uniqueName("restore"));
  internal::RestoreMetrics metrics;
  ChangelogReader reader(config, "restore-test", metrics,
                         [](rd_kafka_t*, const char*, int32_t, int64_t* low, int64_t* high, int) {
                           *low = 0;
                           *high = 0;
                           return RD_KAFKA_RESP_ERR_NO_ERROR;
                         });
  auto store = internal::openInMemoryStore("counts");
  const TaskId task{0, 0};
  reader.add(task, {{changelog, 0, store.get()}});
  ASSERT_TRUE(restoreUntilDone(reader, task, 60s));
  EXPECT_EQ(metrics.restoredRecords.load(), 100);
  EXPECT_EQ(store->get("k0"), "v0");
  EXPECT_EQ(store->get("k99"), "v99");
  EXPECT_EQ(store->checkpoint(), 99);
}

// A watermark query answering the changelog's real end plus `ahead`: a leader that has
// records the replica a fetch reads from does not have yet, as a new leader's high
// watermark can lag the old one's for a moment.
internal::WatermarkQuery endAhead(std::shared_ptr<std::atomic<int>> ahead) {
  return [ahead](rd_kafka_t* client, const char* topic, int32_t partition, int64_t* low, int64_t* high, int timeoutMs) {
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(client, topic, partition, low, high, timeoutMs);
    *high += ahead->load();
    return err;
  };
}

// A store that stopped at the first end the consumer found would miss the records still to
// come, and its task would go on from state behind its changelog.
TEST(Restoration, AStoreIsRestoredToTheEndTheLeaderReportedNotToWhereAFetchFirstEnds) {
  const std::string changelog = uniqueName("restore-behind");
  Admin(bootstrap()).createTopic(changelog, 1);
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 100; ++i) producer.send(changelog, "k" + std::to_string(i), "v" + std::to_string(i));
  producer.flush();

  const StreamsConfig config = appConfig(uniqueName("restore"));
  internal::RestoreMetrics metrics;
  ChangelogReader reader(config, "restore-test", metrics, endAhead(std::make_shared<std::atomic<int>>(5)));
  auto store = internal::openInMemoryStore("counts");
  const TaskId task{0, 0};
  reader.add(task, {{changelog, 0, store.get()}});
  // Two seconds: past the first end found and the second question about the end.
  EXPECT_FALSE(restoreUntilDone(reader, task, 2s)) << "finished at the first end a fetch found";
  EXPECT_EQ(metrics.restoredRecords.load(), 100);

  for (int i = 100; i < 105; ++i) producer.send(changelog, "k" + std::to_string(i), "v" + std::to_string(i));
  producer.flush();
  ASSERT_TRUE(restoreUntilDone(reader, task, 60s));
  EXPECT_EQ(metrics.restoredRecords.load(), 105);
  EXPECT_EQ(store->get("k104"), "v104");
  EXPECT_EQ(store->checkpoint(), 104);
}

// An end that was reported too far once (the changelog deleted and created again between
// the question and the fetch) does not keep the task waiting: the end is asked for again.
TEST(Restoration, AnEndReportedTooFarIsAskedForAgain) {
  const std::string changelog = uniqueName("restore-ahead");
  Admin(bootstrap()).createTopic(changelog, 1);
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 100; ++i) producer.send(changelog, "k" + std::to_string(i), "v" + std::to_string(i));
  producer.flush();

  const StreamsConfig config = appConfig(uniqueName("restore"));
  internal::RestoreMetrics metrics;
  auto ahead = std::make_shared<std::atomic<int>>(5);
  ChangelogReader reader(config, "restore-test", metrics, endAhead(ahead));
  auto store = internal::openInMemoryStore("counts");
  const TaskId task{0, 0};
  reader.add(task, {{changelog, 0, store.get()}});
  ahead->store(0);
  ASSERT_TRUE(restoreUntilDone(reader, task, 60s));
  EXPECT_EQ(metrics.restoredRecords.load(), 100);
  EXPECT_EQ(store->checkpoint(), 99);
}

// What that costs a new application: its empty changelogs are read to their end too, which
// ends at once.
TEST(Restoration, AnEmptyChangelogFinishesWithNothingRestored) {
  const std::string changelog = uniqueName("restore-empty");
  Admin(bootstrap()).createTopic(changelog, 1);
  const StreamsConfig config = appConfig(uniqueName("restore"));
  internal::RestoreMetrics metrics;
  ChangelogReader reader(config, "restore-test", metrics);
  auto store = internal::openInMemoryStore("counts");
  const TaskId task{0, 0};
  reader.add(task, {{changelog, 0, store.get()}});
  ASSERT_TRUE(restoreUntilDone(reader, task, 60s));
  EXPECT_EQ(metrics.restoredRecords.load(), 0);
  EXPECT_EQ(metrics.restorations.load(), 0) << "an empty changelog counted as a restoration";
  EXPECT_FALSE(store->checkpoint().has_value());
}

}  // namespace
}  // namespace kstreams
