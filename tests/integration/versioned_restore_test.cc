// A versioned store restored from a changelog on the real broker: the restore replays each
// record at its own timestamp, so the restored store answers reads as of a time as the
// store that wrote the changelog did.
#include <gtest/gtest.h>

#include "kstreams.h"
#include "runtime/changelog_reader.h"
#include "state/in_memory_store.h"
#include "state/versioned_store.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using internal::VersionedBytesStore;

TEST(VersionedRestore, TheRestoredStoreFindsEachVersionAtItsChangelogRecordsTimestamp) {
  const std::string changelog = test::uniqueName("versioned-changelog");
  Admin(test::bootstrap()).createTopic(changelog, 1);
  KafkaProducer producer{test::bootstrap()};
  // As the changelog layer writes them: the key, the value (null: a delete), the version's time.
  producer.send(changelog, "apple", "1", 1'000);
  producer.send(changelog, "apple", "3", 3'000);
  producer.send(changelog, "apple", "2", 2'000);  // out of order
  producer.send(changelog, "apple", std::nullopt, 4'000);
  producer.send(changelog, "pear", "9", 9'000);
  producer.flush();

  const StreamsConfig config = test::appConfig(test::uniqueName("versioned-restore"));
  internal::RestoreMetrics metrics;
  internal::ChangelogReader reader(config, "versioned-restore-test", metrics);
  std::unique_ptr<internal::LocalStore> store =
      internal::openVersionedStore(internal::openInMemoryStore("prices"), 60'000);
  const TaskId task{0, 0};
  reader.add(task, {{changelog, 0, store.get(), std::nullopt}});
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline)
    for (const TaskId& t : reader.restore(100ms)) done = done || t == task;
  ASSERT_TRUE(done) << "the restore did not finish within a minute";

  auto& versions = dynamic_cast<VersionedBytesStore&>(*store);
  auto at = [&](const std::string& key, int64_t asOf) {
    auto found = versions.getAsOf(key, asOf);
    return found ? found->value : "-";
  };
  EXPECT_EQ(at("apple", 999), "-");
  EXPECT_EQ(at("apple", 1'500), "1");
  EXPECT_EQ(at("apple", 2'500), "2");
  EXPECT_EQ(at("apple", 3'500), "3");
  EXPECT_EQ(at("apple", 4'500), "-");
  EXPECT_EQ(versions.getAsOf("apple", 2'500)->validTo, 3'000);
  EXPECT_EQ(at("pear", 9'000), "9");
  EXPECT_EQ(versions.observedStreamTime(), 9'000);
  EXPECT_EQ(store->checkpoint(), 4);
}

}  // namespace
}  // namespace kstreams
