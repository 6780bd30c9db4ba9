// A versioned store restored from a changelog on the real broker: the restore replays each
// record at its own timestamp, so the restored store answers reads as of a time as the
// store that wrote the changelog did; and an application's versioned table rebuilt from its
// changelog alone still joins a stream record with the row valid at its time.
#include <gtest/gtest.h>

#include <filesystem>

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
  // Times of today: the broker's retention deletes records stamped in 1970 at once.
  const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  // As the changelog layer writes them: the key, the value (null: a delete), the version's time.
  producer.send(changelog, "apple", "1", t0 + 1'000);
  producer.send(changelog, "apple", "3", t0 + 3'000);
  producer.send(changelog, "apple", "2", t0 + 2'000);  // out of order
  producer.send(changelog, "apple", std::nullopt, t0 + 4'000);
  producer.send(changelog, "pear", "9", t0 + 9'000);
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
    auto found = versions.getAsOf(key, t0 + asOf);
    return found ? found->value : "-";
  };
  EXPECT_EQ(at("apple", 999), "-");
  EXPECT_EQ(at("apple", 1'500), "1");
  EXPECT_EQ(at("apple", 2'500), "2");
  EXPECT_EQ(at("apple", 3'500), "3");
  EXPECT_EQ(at("apple", 4'500), "-");
  EXPECT_EQ(versions.getAsOf("apple", t0 + 2'500)->validTo, t0 + 3'000);
  EXPECT_EQ(at("pear", 9'000), "9");
  EXPECT_EQ(versions.observedStreamTime(), t0 + 9'000);
  EXPECT_EQ(store->checkpoint(), 4);
}


// Orders joined with the price of their item as of the order's time, from a versioned table.
Topology pricedOrders(const std::string& prices, const std::string& orders, const std::string& out) {
  StreamsBuilder builder;
  auto table = builder.table(prices, Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String()),
                             Materialized<std::string, std::string>::as(
                                 Stores::persistentVersionedKeyValueStore("prices", std::chrono::hours(1))));
  builder.stream(orders, Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String()))
      .join(table, [](const std::string& order, const std::string& price) { return order + "@" + price; })
      .to(out, Produced<std::string, std::string>::with(Serdes::String(), Serdes::String()));
  return builder.build();
}

// The second instance starts with no local state: its table comes from the changelog alone,
// and must still hold the price that an order older than the latest one joins with.
TEST(VersionedRestore, AJoinAfterARestoreFromScratchStillReadsOlderVersions) {
  const std::string app = test::uniqueName("versioned-join");
  const std::string prices = test::uniqueName("prices"), orders = test::uniqueName("orders"),
                    out = test::uniqueName("priced");
  Admin admin(test::bootstrap());
  for (const auto& t : {prices, orders, out}) admin.createTopic(t, 1);
  KafkaProducer producer{test::bootstrap()};
  // Times of today: the broker's retention deletes records stamped in 1970 at once.
  const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  producer.send(prices, "apple", "1", t0 + 1'000);
  producer.send(prices, "apple", "2", t0 + 3'000);
  producer.send(orders, "apple", "o1", t0 + 2'000);
  producer.flush();

  // Runs an instance until the output holds `outputs` records; returns them and the
  // table's latest price as a query sees it.
  auto run = [&](const std::string& stateDir, size_t outputs) {
    KafkaStreams streams(pricedOrders(prices, orders, out), test::appConfig(app, {{"state.dir", stateDir}}));
    streams.start();
    std::vector<std::string> values;
    test::eventually(
        [&] {
          values.clear();
          for (const auto& r : test::consumeToEnd(out, 10s)) values.push_back(r.value.value_or("null"));
          return values.size() >= outputs;
        },
        60s);
    // Queries read committed data: the latest price shows once a commit has passed it.
    std::optional<std::string> latest;
    test::eventually(
        [&] {
          try {
            latest = streams.store<std::string, std::string>("prices")->get("apple");
          } catch (const InvalidStateStoreException&) {
          }
          return latest == "2";
        },
        60s);
    EXPECT_TRUE(streams.close(60s));
    return std::make_pair(values, latest);
  };
  const std::string first = "/tmp/kstreams-it-state/" + test::uniqueName("dir");
  auto [got, latest] = run(first, 1);
  EXPECT_EQ(got, (std::vector<std::string>{"o1@1"}));
  EXPECT_EQ(latest, "2");

  producer.send(orders, "apple", "o2", t0 + 2'500);  // older than the latest price
  producer.flush();
  const std::string second = "/tmp/kstreams-it-state/" + test::uniqueName("dir");
  std::tie(got, latest) = run(second, 2);
  EXPECT_EQ(got, (std::vector<std::string>{"o1@1", "o2@1"}))
      << "the restored table lost the version valid at the order's time";
  EXPECT_EQ(latest, "2");
  std::filesystem::remove_all(first);
  std::filesystem::remove_all(second);
}

}  // namespace
}  // namespace kstreams
