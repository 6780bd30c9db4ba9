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
