// State on the real broker: aggregates against an independent ground truth, restarts that
// restore only what is missing, a deleted state directory rebuilt from the changelog,
// compaction of the changelog, and queries while the application runs.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>

#include "kstreams.h"
#include "runtime/log.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::bootstrap;
using test::uniqueName;

struct Stats {
  int64_t count = 0;
  int64_t sum = 0;
  bool operator==(const Stats&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Stats, count, sum)

StreamsConfig appConfig(const std::string& app, const std::string& stateDir, std::map<std::string, std::string> extra = {}) {
  extra.try_emplace("state.dir", stateDir);
  return test::appConfig(app, extra);
}

std::string stateDir() { return "/tmp/kstreams-it-state/" + uniqueName("dir"); }

Topology statsTopology(const std::string& in, const std::string& out) {
  auto builder = std::make_shared<StreamsBuilder>();
  builder->stream(in, Consumed<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()))
      .groupByKey()
      .aggregate([] { return Stats{}; },
                 [](const std::string&, const int64_t& v, const Stats& s) { return Stats{s.count + 1, s.sum + v}; },
                 Materialized<std::string, Stats>::as("stats").withValueSerde(Serdes::Json<Stats>()))
      .toStream()
      .to(out, Produced<std::string, std::optional<Stats>>::with(Serdes::String(), Serdes::Json<Stats>()));
  return builder->build();
}

std::map<std::string, Stats> readAll(ReadOnlyKeyValueStore<std::string, Stats>& store) {
  std::map<std::string, Stats> out;
  for (const auto& kv : store.all()) out[kv.key] = kv.value;
  return out;
}

TEST(State, AggregatesEqualAGroundTruthComputedFromTheInput) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("amounts"), out = uniqueName("stats");
  admin.createTopic(in, 4);
  admin.createTopic(out, 4);
  std::map<std::string, Stats> truth;
  {
    KafkaProducer producer(bootstrap());
    std::mt19937 rng(7);
    for (int i = 0; i < 50000; ++i) {
      std::string key = "customer-" + std::to_string(rng() % 5000);
      int64_t amount = rng() % 1000;
      truth[key].count += 1;
      truth[key].sum += amount;
      producer.send<std::string, int64_t>(in, key, amount, Serdes::String(), Serdes::Int64());
    }
    producer.flush();
  }
  KafkaStreams streams(statsTopology(in, out), appConfig(uniqueName("stats-app"), stateDir(), {{"num.stream.threads", "2"}}));
  streams.start();
  auto store = streams.store<std::string, Stats>("stats");
  // Queries run concurrently with processing, from another thread.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> queries{0};
  std::thread reader([&] {
    while (!stop) {
      store->get("customer-1");
      store->range("customer-1", "customer-2").toList();
      ++queries;
    }
  });
  bool matched = test::eventually([&] { return readAll(*store) == truth; }, 120s);
  stop = true;
  reader.join();
  ASSERT_TRUE(matched) << streams.lastError();
  EXPECT_GT(queries.load(), 0);
  auto meta = streams.queryMetadataForKey<std::string>("stats", "customer-42");
  EXPECT_EQ(meta.partition, defaultPartition("customer-42", 4));
  // The second thread may join the group after the first has processed everything: while
  // the rebalance moves its task, a key is neither local nor readable for a moment.
  EXPECT_TRUE(test::eventually(
      [&] {
        return streams.queryMetadataForKey<std::string>("stats", "customer-42").local &&
               store->get("customer-42") == truth["customer-42"];
      },
      60s));
  ASSERT_TRUE(streams.close(60s));

  // The output topic's last value per key is the ground truth too.
  std::map<std::string, Stats> lastOut;
  for (const auto& r : test::consumeToEnd(out, 60s)) lastOut[*r.key] = Serdes::Json<Stats>()->deserialize(*r.value);
  EXPECT_EQ(lastOut, truth);
}

struct CountApp {
  std::string in = uniqueName("events");
  std::string out = uniqueName("counts");
  std::string app = uniqueName("count-app");
  CountApp() {
    Admin admin(bootstrap());
    admin.createTopic(in, 2);
    admin.createTopic(out, 2);
  }
  Topology topology(Materialized<std::string, int64_t> m = Materialized<std::string, int64_t>::as("counts")) const {
    auto builder = std::make_shared<StreamsBuilder>();
    builder->stream<std::string, std::string>(in).groupByKey().count(m).toStream().to(
        out, Produced<std::string, std::optional<int64_t>>::with(Serdes::String(), Serdes::Int64()));
    return builder->build();
  }
  void produce(int from, int to) const {
    KafkaProducer producer(bootstrap());
    for (int i = from; i < to; ++i) producer.send(in, "key-" + std::to_string(i), "x");
    producer.flush();
  }
  std::string changelog() const { return app + "-counts-changelog"; }
  // Sets the count of each key produce(from, to) writes to `count`.
  static void setCounts(std::map<std::string, int64_t>& counts, int from, int to, int64_t count) {
    for (int i = from; i < to; ++i) counts["key-" + std::to_string(i)] = count;
  }
};

// Runs the app until its store holds `expected`, then closes it; returns its metrics.
KafkaStreams::Metrics runUntil(const CountApp& a, const std::string& dir, const std::map<std::string, int64_t>& expected) {
  KafkaStreams streams(a.topology(), appConfig(a.app, dir));
  streams.start();
  EXPECT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 120s)) << streams.lastError();
  auto store = streams.store<std::string, int64_t>("counts");
  bool matched = test::eventually(
      [&] {
        if (store->approximateNumEntries() < static_cast<int64_t>(expected.size()) / 2) return false;
        std::map<std::string, int64_t> got;
        for (const auto& kv : store->all()) got[kv.key] = kv.value;
        return got == expected;
      },
      120s);
  EXPECT_TRUE(matched) << streams.lastError();
  EXPECT_TRUE(streams.close(60s));
  return streams.metrics();
}

TEST(State, RestartsRestoreOnlyTheChangelogTailTheLocalStateMisses) {
  CountApp a;
  std::map<std::string, int64_t> expected;
  CountApp::setCounts(expected, 0, 100000, 1);
  a.produce(0, 100000);
  const std::string dirA = stateDir(), dirB = stateDir();

  auto first = runUntil(a, dirA, expected);
  EXPECT_EQ(first.restoredRecords, 0);

  // A clean restart finds its state complete: nothing to restore.
  auto second = runUntil(a, dirA, expected);
  EXPECT_EQ(second.restoredRecords, 0);

  // Another instance (its own, empty state directory) restores everything, then moves on.
  a.produce(0, 1000);
  CountApp::setCounts(expected, 0, 1000, 2);
  auto other = runUntil(a, dirB, expected);
  EXPECT_EQ(other.restoredRecords, 100000);

  // The first directory is now 1000 updates behind the changelog: only those are restored.
  auto third = runUntil(a, dirA, expected);
  EXPECT_EQ(third.restoredRecords, 1000);
}

TEST(State, AThreadWhoseStoresHoldTooManyUncommittedWritesCommitsEarly) {
  CountApp a;
  a.produce(0, 20000);  // 20,000 new keys: well over 1 MiB of store writes
  // The interval alone would not commit for ten minutes. No cache, which would hold the
  // writes back from the store.
  KafkaStreams streams(a.topology(Materialized<std::string, int64_t>::as("counts").withCachingDisabled()),
                       appConfig(a.app, stateDir(),
                                               {{"commit.interval.ms", "600000"},
                                                {"statestore.uncommitted.max.bytes", "1048576"}}));
  streams.start();
  Admin admin(bootstrap());
  const bool committed = test::eventually(
      [&] {
        int64_t total = 0;
        for (const auto& [partition, offset] : admin.committedOffsets(a.app, a.in)) total += std::max<int64_t>(0, offset);
        return total > 0;
      },
      60s);
  EXPECT_TRUE(committed) << "no offset committed before commit.interval.ms; " << streams.lastError();
  // The broker has the offsets a moment before the thread, back from the commit, counts it.
  EXPECT_TRUE(test::eventually([&] { return streams.metrics().commits > 0; }, 10s))
      << "the commit was not counted in metrics().commits";
  // Under at_least_once a commit applies the stores' writes at once.
  EXPECT_TRUE(test::eventually([&] { return streams.metrics().storeApplies > 0; }, 10s))
      << "the stores' writes applied by the commit were not counted in metrics().storeApplies";
  EXPECT_TRUE(streams.close(60s));
}

// metrics() shows what each memory budget holds while the instance runs: counts in the
// record cache, or, uncached, store writes waiting for a commit; memtables either way, and
// not again as the block cache's. A closed instance's threads hold nothing.
TEST(State, MetricsShowWhatEachMemoryBudgetHolds) {
  CountApp a;
  a.produce(0, 2000);
  for (const bool cached : {true, false}) {
    SCOPED_TRACE(cached ? "cached" : "uncached");
    auto counts = Materialized<std::string, int64_t>::as("counts");
    if (!cached) counts.withCachingDisabled();
    // No commit for ten minutes: what the records left in memory stays there.
    KafkaStreams streams(a.topology(counts), appConfig(a.app + (cached ? "" : "-uncached"), stateDir(),
                                                       {{"commit.interval.ms", "600000"}}));
    streams.start();
    ASSERT_TRUE(test::eventually(
        [&] {
          const auto m = streams.metrics();
          return m.processedRecords == 2000 && (cached ? m.recordCacheBytes : m.uncommittedBytes) > 0;
        },
        60s))
        << streams.lastError();
    const auto held = streams.metrics();
    // 2,000 keys of 8 bytes and their counts, with their index.
    EXPECT_GT(cached ? held.recordCacheBytes : held.uncommittedBytes, 2000 * 16);
    EXPECT_EQ(cached ? held.uncommittedBytes : held.recordCacheBytes, 0);
    EXPECT_GT(held.memtableBytes, 0) << "the stores' memtables were not counted";
    // Nothing was flushed or read from a table file: the cache holds only the memtables'
    // charge, which is theirs, not cached blocks.
    EXPECT_LT(held.blockCacheBytes, held.memtableBytes) << "the memtables' charge counted as cached blocks";
    EXPECT_TRUE(streams.close(60s));
    const auto closed = streams.metrics();
    EXPECT_EQ(closed.recordCacheBytes, 0);
    EXPECT_EQ(closed.uncommittedBytes, 0);
  }
}

TEST(State, ADeletedStateDirectoryIsRebuiltFromTheChangelog) {
  CountApp a;
  std::map<std::string, int64_t> expected;
  CountApp::setCounts(expected, 0, 5000, 1);
  a.produce(0, 5000);
  const std::string dir = stateDir();
  runUntil(a, dir, expected);
  {
    KafkaStreams streams(a.topology(), appConfig(a.app, dir));
    streams.cleanUp();
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/" + a.app));
  auto rebuilt = runUntil(a, dir, expected);
  EXPECT_EQ(rebuilt.restoredRecords, 5000);
}

// A store whose changelog was deleted (and is created again, empty, at start-up) is ahead
// of it: it is wiped, and counts start over from what the new changelog holds. The end
// offset is asked for again for a few seconds first (see ChangelogReader::add), so a
// moment's wrong answer from the broker does not wipe a good store.
TEST(State, AStoreAheadOfItsDeletedChangelogStartsOverFromTheNewOne) {
  CountApp a;
  std::map<std::string, int64_t> expected;
  CountApp::setCounts(expected, 0, 2000, 1);
  a.produce(0, 2000);
  const std::string dir = stateDir();
  runUntil(a, dir, expected);

  Admin admin(bootstrap());
  admin.deleteTopics({a.changelog()});
  ASSERT_TRUE(test::eventually([&] { return !admin.listTopics().count(a.changelog()); }, 60s))
      << a.changelog() << " was not deleted";
  a.produce(0, 100);
  expected.clear();
  CountApp::setCounts(expected, 0, 100, 1);
  auto restarted = runUntil(a, dir, expected);
  EXPECT_EQ(restarted.restoredRecords, 0);
}

TEST(State, TheChangelogIsCompactedToAboutOneRecordPerKeyAndRestoresTheSameState) {
  Admin admin(bootstrap());
  CountApp a;
  constexpr int kKeys = 10, kUpdates = 1000;
  std::map<std::string, int64_t> expected;
  {
    KafkaProducer producer(bootstrap());
    for (int u = 0; u < kUpdates; ++u)
      for (int k = 0; k < kKeys; ++k) producer.send(a.in, "key-" + std::to_string(k), "x");
    producer.flush();
  }
  CountApp::setCounts(expected, 0, kKeys, kUpdates);
  // No cache, so every update reaches the changelog; small segments, so it compacts soon.
  auto m = Materialized<std::string, int64_t>::as("counts").withCachingDisabled().withLoggingEnabled(
      {{"segment.ms", "100"}, {"min.cleanable.dirty.ratio", "0.01"}, {"min.compaction.lag.ms", "0"}});
  const std::string dir = stateDir();
  {
    KafkaStreams streams(a.topology(m), appConfig(a.app, dir));
    streams.start();
    auto store = streams.store<std::string, int64_t>("counts");
    ASSERT_TRUE(test::eventually([&] { return store->get("key-0") == kUpdates && store->get("key-9") == kUpdates; }, 120s))
        << streams.lastError();
    EXPECT_EQ(test::consumeToEnd(a.changelog(), 60s).size(), static_cast<size_t>(kKeys * kUpdates));
    // The active segment is never cleaned: one more update of every key (so every
    // partition) after it is old enough rolls it.
    KafkaProducer producer(bootstrap());
    ASSERT_TRUE(test::eventually(
        [&] {
          for (int k = 0; k < kKeys; ++k) {
            producer.send(a.in, "key-" + std::to_string(k), "x");
            expected["key-" + std::to_string(k)] += 1;
          }
          producer.flush();
          return test::consumeToEnd(a.changelog(), 30s).size() <= 3 * kKeys;
        },
        120s))
        << "the broker did not compact " << a.changelog();
    ASSERT_TRUE(test::eventually(
        [&] {
          for (const auto& [key, count] : expected)
            if (store->get(key) != count) return false;
          return true;
        },
        60s));
    ASSERT_TRUE(streams.close(60s));
    streams.cleanUp();
  }
  auto rebuilt = runUntil(a, dir, expected);
  EXPECT_LE(rebuilt.restoredRecords, 3 * kKeys) << "restored from the compacted changelog";
}

// A small file system mounted for one test, unmounted however the test ends.
class SmallFileSystem {
 public:
  SmallFileSystem(const std::string& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directories(dir);
    const std::string command = "mount -t tmpfs -o size=" + size + " tmpfs " + dir + " 2>/dev/null";
    mounted_ = std::system(command.c_str()) == 0;
  }
  ~SmallFileSystem() { unmount(); }
  bool mounted() const { return mounted_; }
  // Makes room, keeping the files.
  bool grow(const std::string& size) {
    return std::system(("mount -o remount,size=" + size + " " + dir_).c_str()) == 0;
  }
  void unmount() {
    if (mounted_) mounted_ = std::system(("umount " + dir_).c_str()) != 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Log lines of kstreams' logger while it lives.
class CapturedLog {
 public:
  CapturedLog() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_)) { internal::log().sinks().push_back(sink_); }
  ~CapturedLog() { std::erase(internal::log().sinks(), sink_); }
  std::string text() {
    sink_->flush();
    return lines_.str();
  }

 private:
  std::ostringstream lines_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

// A count application (without a cache) whose state directory is a 1 MB disk, and
// `records` keys counted once each, written to its input. Skipped where no tmpfs can be
// mounted (it needs root).
class StateOnASmallDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs (needs root): no small disk to fill";
  }
  void start(int records) {
    CountApp::setCounts(expected, 0, records, 1);
    a.produce(0, records);
  }
  Topology topology() const { return a.topology(Materialized<std::string, int64_t>::as("counts").withCachingDisabled()); }
  // Makes room on the disk and runs the application on the same files until it has every
  // count; returns how many records it restored.
  int64_t restartWithRoom() {
    EXPECT_TRUE(disk.grow("256m"));
    return runUntil(a, dir, expected).restoredRecords;
  }

  const std::string dir = stateDir();
  SmallFileSystem disk{dir, "1m"};
  CountApp a;
  std::map<std::string, int64_t> expected;
};

// The disk fills up while the application runs: the instance stops in ERROR saying which
// store could not be written, where, and what to do; once there is room again, a restart on
// the same files has every count, what the stores lack restored from the changelog.
TEST_F(StateOnASmallDisk, AFullDiskStopsTheInstanceNamingTheStoreAndARestartLosesNothing) {
  start(300000);  // about 10 MB of memtables for two stores
  {
    // A small write buffer budget: memtables are flushed to files while the input is read.
    KafkaStreams streams(topology(), appConfig(a.app, dir, {{"rocksdb.write.buffer.bytes", "1048576"}}));
    streams.start();
    ASSERT_TRUE(test::eventually([&] { return streams.state() == KafkaStreams::State::ERROR; }, 120s))
        << "the instance went on with a full disk";
    const std::string error = streams.lastError();
    EXPECT_NE(error.find("state store counts (" + dir + "/" + a.app), std::string::npos) << error;
    EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
    EXPECT_NE(error.find("free space where state.dir is"), std::string::npos) << error;
    // Not asserted: that it stopped before the last record. Whether the input outlasts the
    // first failed flush is a race between processing and RocksDB's flush thread (a faster
    // stream thread read all 300,000 first in two of three runs); ERROR before close() is
    // what shows the failure came while it ran.
    streams.close(60s);
  }
  EXPECT_GT(restartWithRoom(), 0);
}

// The disk fills up as the application closes, when its stores' memtables are written to
// their files: a warning names the store and what happens next, and the next start restores
// what did not reach the disk.
TEST_F(StateOnASmallDisk, AStoreThatCannotBeWrittenAtCloseIsRestoredFromItsChangelogAtTheNextStart) {
  start(50000);  // within the memtables' budget, and more than the disk once written
  CapturedLog log;
  {
    KafkaStreams streams(topology(), appConfig(a.app, dir));
    streams.start();
    ASSERT_TRUE(test::eventually([&] { return streams.metrics().processedRecords >= 50000; }, 120s))
        << streams.lastError();
    ASSERT_TRUE(streams.close(60s));
    EXPECT_EQ(streams.state(), KafkaStreams::State::NOT_RUNNING) << streams.lastError();
  }
  const std::string lines = log.text();
  EXPECT_NE(lines.find("flushing failed: IO error: No space left on device"), std::string::npos) << lines;
  EXPECT_NE(lines.find("will be restored from its changelog at the next start"), std::string::npos) << lines;
  EXPECT_GT(restartWithRoom(), 0);
}

}  // namespace
}  // namespace kstreams
