// Store semantics, for both kinds of local store: ordering, ranges, prefix scans, deletes,
// dropped ranges (expired segments), pending writes versus committed data, checkpoints,
// restoration; and RocksDB's own: filters, kept iterators, memory, its log. Window and
// session stores over a local store are in segmented_store_test.cc, the caching layer in
// caching_store_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table_properties.h>
#include <rocksdb/write_buffer_manager.h>

#include "state/in_memory_store.h"
#include "state/rocksdb_store.h"
#include "tests/unit/local_store_fixture.h"
#include "tests/unit/store_entries.h"

namespace kstreams::internal {
namespace {

TEST_P(LocalStoreTest, RangesAreOrderedByKeyBytesAndInclusive) {
  for (std::string k : {"b", "d", "a", "c", "e"}) store_->put(k, "v" + k, 0);
  store_->commit(std::nullopt);
  store_->put("bb", "vbb", 0);  // pending, still visible
  EXPECT_EQ(collect(store_->range("b", "d", false)), (Entries{{"b", "vb"}, {"bb", "vbb"}, {"c", "vc"}, {"d", "vd"}}));
  EXPECT_EQ(collect(store_->range("b", "d", true)), (Entries{{"d", "vd"}, {"c", "vc"}, {"bb", "vbb"}, {"b", "vb"}}));
  EXPECT_EQ(collect(store_->range(std::nullopt, "a", false)), (Entries{{"a", "va"}}));
  EXPECT_EQ(collect(store_->range("d", std::nullopt, false)), (Entries{{"d", "vd"}, {"e", "ve"}}));
  EXPECT_EQ(collect(store_->range("x", "a", false)), Entries{});
  EXPECT_EQ(collect(store_->range(std::nullopt, std::nullopt, true)).front().first, "e");
}

TEST_P(LocalStoreTest, PrefixScanFindsExactlyThePrefix) {
  for (std::string k : {"user:1", "user:10", "user:2", "usera", "user", "order:1"}) store_->put(k, "x", 0);
  store_->commit(std::nullopt);
  Entries got = collect(store_->prefixScan("user:"));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, "user:1");
  EXPECT_EQ(got[1].first, "user:10");
  EXPECT_EQ(got[2].first, "user:2");
}

TEST_P(LocalStoreTest, DeletesHideCommittedEntriesAndAbortDropsPendingWrites) {
  store_->put("a", "1", 0);
  store_->put("b", "2", 0);
  store_->commit(std::nullopt);
  store_->put("a", std::nullopt, 0);
  store_->put("c", "3", 0);
  EXPECT_EQ(store_->get("a"), std::nullopt);
  EXPECT_EQ(collect(store_->range(std::nullopt, std::nullopt, false)), (Entries{{"b", "2"}, {"c", "3"}}));
  // Queries see only committed data.
  auto reader = store_->committedReader();
  EXPECT_EQ(reader->get("a"), "1");
  EXPECT_EQ(reader->get("c"), std::nullopt);
  store_->abort();
  EXPECT_EQ(store_->get("a"), "1");
  EXPECT_EQ(store_->get("c"), std::nullopt);
  EXPECT_EQ(store_->pendingBytes(), 0u);
}

TEST_P(LocalStoreTest, CommitMovesTheCheckpointWithTheData) {
  EXPECT_EQ(store_->checkpoint(), std::nullopt);
  store_->put("k", "v", 0);
  store_->commit(41);
  EXPECT_EQ(store_->checkpoint(), 41);
  EXPECT_EQ(store_->committedReader()->get("k"), "v");
  store_->restore({{"k", std::nullopt}, {"j", std::string("w")}}, 44);
  EXPECT_EQ(store_->checkpoint(), 44);
  EXPECT_EQ(store_->get("k"), std::nullopt);
  EXPECT_EQ(store_->get("j"), "w");
  if (persistent()) {
    // Data and checkpoint survive reopening; pending writes do not.
    store_->put("pending", "lost", 0);
    store_.reset();
    store_ = open();
    EXPECT_EQ(store_->checkpoint(), 44);
    EXPECT_EQ(store_->get("j"), "w");
    EXPECT_EQ(store_->get("pending"), std::nullopt);
  }
  store_->wipe();
  EXPECT_EQ(store_->checkpoint(), std::nullopt);
  EXPECT_EQ(collect(store_->range(std::nullopt, std::nullopt, false)), Entries{});
}

TEST_P(LocalStoreTest, ACommitOfManyMegabytesAppliesEveryWriteAndTheCheckpoint) {
  const std::string value(200, 'v');
  for (int i = 0; i < 1000; ++i) store_->put(fmt::format("key-{:06}", i), "old", 0);
  store_->commit(1);
  for (int i = 0; i < 30000; ++i) store_->put(fmt::format("key-{:06}", i), value, 0);
  for (int i = 0; i < 30000; i += 3) store_->put(fmt::format("key-{:06}", i), std::nullopt, 0);
  store_->commit(2);
  if (persistent()) {
    store_.reset();
    store_ = open();
  }
  EXPECT_EQ(store_->checkpoint(), 2);
  size_t count = 0;
  for (auto it = store_->range(std::nullopt, std::nullopt, false); it->valid(); it->next()) {
    ASSERT_EQ(it->value(), value) << it->key();
    ++count;
  }
  EXPECT_EQ(count, 20000u);
  EXPECT_EQ(store_->get("key-000000"), std::nullopt);
  EXPECT_EQ(store_->get("key-029997"), std::nullopt);
  EXPECT_EQ(store_->get("key-029999"), value);
}

TEST_P(LocalStoreTest, IteratingWhileWritingSeesAConsistentOrder) {
  for (int i = 0; i < 10; ++i) store_->put("k" + std::to_string(i), "v", 0);
  store_->commit(std::nullopt);
  auto it = store_->range(std::nullopt, std::nullopt, false);
  std::vector<std::string> seen;
  for (; it->valid(); it->next()) {
    seen.emplace_back(it->key());
    store_->put(std::string(it->key()), "updated", 0);  // a processor rewriting what it scans
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(store_->get("k5"), "updated");
}

// With a key prefix, a range within one prefix finds pending writes by hash (and, in
// RocksDB, reads through the prefix's bloom filters): same answers as any other range.
TEST_P(LocalStoreTest, RangesWithinAKeyPrefixSeeCommittedAndPendingWritesInOrder) {
  store_.reset();
  store_ = open(4);
  for (std::string k : {"aaaa1", "aaaa3", "aaab1", "aaa", "zzzz9"}) store_->put(k, "c", 0);
  store_->commit(std::nullopt);
  for (std::string k : {"aaaa2", "aaaa4", "aaab0"}) store_->put(k, "p", 0);
  store_->put("aaaa3", std::nullopt, 0);  // a pending delete hides the committed entry
  EXPECT_EQ(collect(store_->range("aaaa0", "aaaa9", false)), (Entries{{"aaaa1", "c"}, {"aaaa2", "p"}, {"aaaa4", "p"}}));
  EXPECT_EQ(collect(store_->range("aaaa0", "aaaa9", true)), (Entries{{"aaaa4", "p"}, {"aaaa2", "p"}, {"aaaa1", "c"}}));
  EXPECT_EQ(collect(store_->range("aaaa2", "aaaa2", false)), (Entries{{"aaaa2", "p"}}));
  EXPECT_EQ(collect(store_->range("aaaa4", "aaab0", false)), (Entries{{"aaaa4", "p"}, {"aaab0", "p"}}));
  EXPECT_EQ(collect(store_->range("aaa", "aaaa1", false)), (Entries{{"aaa", "c"}, {"aaaa1", "c"}}));
  store_->commit(std::nullopt);
  EXPECT_EQ(collect(store_->range("aaaa0", "aaaa9", false)), (Entries{{"aaaa1", "c"}, {"aaaa2", "p"}, {"aaaa4", "p"}}));
}

// Expiry drops everything before a key between ordinary writes. In RocksDB the drop is a
// range tombstone in the same memtable as the writes around it, which must not share their
// insert hint (see OneInsertHint in rocksdb_store.cc).
TEST_P(LocalStoreTest, DeletingBeforeAKeyBetweenWritesKeepsEveryLaterKey) {
  auto key = [](int i) { return fmt::format("k{:03}", i); };
  std::map<std::string, std::string> expected;
  auto put = [&](int i, const std::string& value) {
    store_->put(key(i), value, 0);
    expected[key(i)] = value;
  };
  auto deleteBefore = [&](int i) {
    store_->deleteBefore(key(i));
    expected.erase(expected.begin(), expected.lower_bound(key(i)));
  };
  auto contents = [&] { return Entries(expected.begin(), expected.end()); };
  for (int i = 0; i < 300; i += 2) put(i, "first");
  store_->commit(std::nullopt);
  for (int i = 1; i < 300; i += 2) put(i, "second");
  deleteBefore(100);  // drops committed and pending keys alike, the committed ones at the commit
  for (int i = 0; i < 300; i += 3) put(i, "third");  // below the dropped key, too: new writes live
  store_->commit(std::nullopt);
  EXPECT_EQ(collect(store_->range(std::nullopt, std::nullopt, false)), contents());
  for (int i = 250; i >= 150; i -= 5) put(i, "fourth");
  deleteBefore(120);
  deleteBefore(110);  // an earlier key than before drops nothing more
  for (int i = 299; i >= 0; i -= 7) put(i, "fifth");
  store_->commit(std::nullopt);
  EXPECT_EQ(collect(store_->range(std::nullopt, std::nullopt, false)), contents());
  EXPECT_EQ(store_->get(key(5)), "fifth");
  EXPECT_EQ(store_->get(key(101)), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Stores, LocalStoreTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "RocksDB" : "InMemory"; });

// Dropping a range (expired window segments) hides its committed keys at once, as Kafka
// Streams drops a segment at once: not only at the next commit, which applies the drop.
// Keys written after the drop are live, below the drop's key too.
TEST_P(LocalStoreTest, DroppedCommittedKeysAreGoneBeforeTheNextCommit) {
  store_.reset();
  store_ = open(4);
  for (std::string k : {"aaaa1", "aaaa2", "aaab1", "bbbb1", "bbbb2"}) store_->put(k, "c", 0);
  store_->commit(std::nullopt);
  store_->put("bbbb3", "p", 0);
  store_->deleteBefore("b");
  store_->put("aaab9", "again", 0);  // written after the drop: live, below its key too
  const Entries all{{"aaab9", "again"}, {"bbbb1", "c"}, {"bbbb2", "c"}, {"bbbb3", "p"}};
  for (bool committed : {false, true}) {
    SCOPED_TRACE(committed ? "committed" : "before the commit");
    EXPECT_EQ(store_->get("aaaa1"), std::nullopt);
    EXPECT_EQ(store_->get("aaab1"), std::nullopt);
    EXPECT_EQ(store_->get("aaab9"), "again");
    EXPECT_EQ(store_->get("bbbb1"), "c");
    EXPECT_EQ(collect(store_->range("aaaa0", "aaaa9", false)), Entries{});  // within one prefix
    EXPECT_EQ(collect(store_->range("aaaa0", "aaaa9", true)), Entries{});
    EXPECT_EQ(collect(store_->range("aaab0", "aaab9", false)), (Entries{{"aaab9", "again"}}));
    EXPECT_EQ(collect(store_->range("a", "az", false)), (Entries{{"aaab9", "again"}}));
    EXPECT_EQ(collect(store_->range("aaaa0", "bbbb1", false)), (Entries{{"aaab9", "again"}, {"bbbb1", "c"}}));
    EXPECT_EQ(collect(store_->range("b", "b", false)), Entries{});
    EXPECT_EQ(collect(store_->range(std::nullopt, std::nullopt, false)), all);
    EXPECT_EQ(collect(store_->range(std::nullopt, std::nullopt, true)), Entries(all.rbegin(), all.rend()));
    store_->commit(std::nullopt);
  }
}

// A range over more than one key prefix (a window store's all() or fetchAll(), a reverse
// range) walks the pending writes in key order; a write that drops a range while it is
// open (a put that expires a segment) must leave it walkable. What was dropped may or may
// not still be seen; everything at or after the drop's key is, once, in order.
TEST_P(LocalStoreTest, RangesOpenWhileKeysAreDroppedGoOnOverTheRest) {
  auto key = [](int i) { return fmt::format("k{:02}", i); };
  for (int i = 0; i < 40; i += 2) store_->put(key(i), "committed", 0);
  store_->commit(std::nullopt);
  for (int i = 1; i < 40; i += 2) store_->put(key(i), "pending", 0);
  auto forward = store_->range(std::nullopt, std::nullopt, false);
  for (int i = 0; i < 5; ++i) forward->next();
  ASSERT_EQ(forward->key(), key(5));
  auto reverse = store_->range(std::nullopt, std::nullopt, true);
  for (int i = 39; i > 30; --i) reverse->next();
  ASSERT_EQ(reverse->key(), key(30));
  store_->deleteBefore(key(10));
  // More writes, ordered by the next range: new entries where the dropped ones were.
  for (int i = 50; i < 60; ++i) store_->put(key(i), "later", 0);
  EXPECT_EQ(collect(store_->range(std::nullopt, std::nullopt, false)).size(), 40u);
  auto rest = [](BytesIterator& it) {
    std::vector<std::string> keys;
    for (int n = 0; it.valid() && n < 200; ++n, it.next()) keys.emplace_back(it.key());
    return keys;
  };
  auto within = [](const std::vector<std::string>& keys, const std::string& from, const std::string& to) {
    std::vector<std::string> out;
    for (const auto& k : keys)
      if (k >= from && k <= to) out.push_back(k);
    return out;
  };
  std::vector<std::string> expected;
  for (int i = 10; i < 40; ++i) expected.push_back(key(i));
  forward->next();
  const std::vector<std::string> ahead = rest(*forward);
  EXPECT_TRUE(std::is_sorted(ahead.begin(), ahead.end()) &&
              std::adjacent_find(ahead.begin(), ahead.end()) == ahead.end());
  EXPECT_TRUE(ahead.empty() || ahead.front() > key(5));
  EXPECT_EQ(within(ahead, key(10), key(39)), expected);
  reverse->next();
  std::vector<std::string> behind = rest(*reverse);
  std::reverse(behind.begin(), behind.end());
  EXPECT_TRUE(std::is_sorted(behind.begin(), behind.end()) &&
              std::adjacent_find(behind.begin(), behind.end()) == behind.end());
  EXPECT_TRUE(behind.empty() || behind.back() < key(30));
  EXPECT_EQ(within(behind, key(10), key(39)), std::vector<std::string>(expected.begin(), expected.begin() + 20));
}


// A store whose keys begin with a 4-byte prefix reads a range within one prefix through the
// prefix's bloom filters; what it returns must be what a total-order read returns, from
// files and memtable alike, and ranges across prefixes must still see everything.
TEST(RocksDBStore, RangesWithinAKeyPrefixFindWhatATotalOrderReadFinds) {
  const auto dir = std::filesystem::temp_directory_path() / ("kstreams-prefix-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  RocksDBResources resources{8 << 20, 8 << 20};
  auto key = [](int prefix, int rest) { return fmt::format("{:04}{:03}", prefix, rest); };
  Entries expected;  // of prefix 0007, in order
  {
    auto store = openRocksDBStore("p", dir.string(), resources, 4);
    for (int p = 0; p < 50; p += 2)
      for (int r = 0; r < 20; r += 2) store->put(key(p, r), "file", 0);
    store->commit(0);
  }  // closing flushes the memtable into a table file
  auto store = openRocksDBStore("p", dir.string(), resources, 4);
  for (int p = 1; p < 50; p += 2)
    for (int r = 1; r < 20; r += 2) store->put(key(p, r), "memtable", 0);
  store->commit(1);
  store->put(key(6, 5), "pending", 0);
  for (int r = 3; r <= 9; r += 2) expected.emplace_back(key(7, r), "memtable");

  EXPECT_EQ(collect(store->range(key(7, 3), key(7, 9), false)), expected);
  EXPECT_EQ(collect(store->range(key(6, 4), key(6, 6), false)),
            (Entries{{key(6, 4), "file"}, {key(6, 5), "pending"}, {key(6, 6), "file"}}));
  EXPECT_EQ(collect(store->range(key(51, 0), key(51, 999), false)), Entries{});  // a prefix never written
  // Across prefixes: the end of one and the start of the next.
  EXPECT_EQ(collect(store->range(key(7, 17), key(8, 2), false)),
            (Entries{{key(7, 17), "memtable"}, {key(7, 19), "memtable"}, {key(8, 0), "file"}, {key(8, 2), "file"}}));
  EXPECT_EQ(collect(store->range(std::nullopt, std::nullopt, false)).size(), 25u * 10 + 25 * 10 + 1);
  EXPECT_EQ(collect(store->range(key(7, 3), key(7, 9), true)).front().first, key(7, 9));

  // The iterators kept between reads of a prefix see each commit; two open at once both
  // read, and both are kept (a window store's fetch reads a range per segment at once).
  store->put(key(7, 4), "later", 0);
  store->commit(2);
  expected.insert(expected.begin() + 1, {key(7, 4), "later"});
  EXPECT_EQ(collect(store->range(key(7, 3), key(7, 9), false)), expected);
  auto outer = store->range(key(7, 0), key(7, 999), false);
  auto inner = store->range(key(7, 0), key(7, 999), false);
  EXPECT_EQ(collect(std::move(inner)).size(), 10u + 1);
  EXPECT_EQ(collect(std::move(outer)).size(), 10u + 1);
  store->put(key(7, 4), std::nullopt, 0);
  store->commit(3);
  expected.erase(expected.begin() + 1);
  auto first = store->range(key(7, 3), key(7, 9), false);
  auto second = store->range(key(7, 3), key(7, 9), false);
  EXPECT_EQ(collect(std::move(second)), expected);
  EXPECT_EQ(collect(std::move(first)), expected);
  store.reset();
  std::filesystem::remove_all(dir);
}

// A read within one prefix reuses an iterator kept from the read before, positioned
// wherever that read ended. Random ranges over a prefix whose keys span many data blocks of
// a table file (and the memtable), one after the other: each must start and end where its
// own bounds say.
TEST(RocksDBStore, AKeptIteratorReadsEachRangeToItsOwnEnd) {
  const auto dir = std::filesystem::temp_directory_path() / ("kstreams-bound-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  RocksDBResources resources{8 << 20, 8 << 20};
  auto key = [](int prefix, int rest) { return fmt::format("{:04}{:05}", prefix, rest); };
  const std::string value(100, 'v');  // about 35 entries a 4 KiB block
  std::map<std::string, std::string> model;
  {
    auto store = openRocksDBStore("b", dir.string(), resources, 4);
    for (int p = 0; p < 3; ++p)
      for (int r = 0; r < 3000; r += 2) {
        store->put(key(p, r), value, 0);
        model[key(p, r)] = value;
      }
    store->commit(0);
  }  // closing flushes: the even keys are in a table file
  auto store = openRocksDBStore("b", dir.string(), resources, 4);
  for (int r = 1; r < 3000; r += 14) {
    store->put(key(1, r), "memtable", 0);
    model[key(1, r)] = "memtable";
  }
  store->commit(1);

  std::mt19937 random(7);
  for (int read = 0; read < 3000; ++read) {
    int from = static_cast<int>(random() % 3000);
    // Mostly short ranges, that end inside or just past one block; now and then a long one.
    int to = from + static_cast<int>(read % 10 == 0 ? random() % 3000 : random() % 80);
    Entries expected;
    for (auto it = model.lower_bound(key(1, from)); it != model.end() && it->first <= key(1, to); ++it)
      expected.emplace_back(it->first, it->second);
    ASSERT_EQ(collect(store->range(key(1, from), key(1, to), false)), expected)
        << "read " << read << ": " << key(1, from) << ".." << key(1, to);
  }
  store.reset();
  std::filesystem::remove_all(dir);
}

// A join's window store (keys written once) reads one key's windows without keeping the
// data blocks in the shared block cache: they hold other keys' records and were evicted
// before anything read them again. Other stores' range reads still fill it.
TEST(RocksDBStore, AJoinsRangeReadsLeaveTheBlockCacheAsItWas) {
  auto cacheGrowthOfRangeReads = [](bool keysWrittenOnce) {
    const auto dir = std::filesystem::temp_directory_path() /
                     fmt::format("kstreams-fill-test-{}-{}", ::getpid(), keysWrittenOnce);
    std::filesystem::remove_all(dir);
    RocksDBResources resources{8 << 20, 8 << 20};
    auto key = [](int prefix, int rest) { return fmt::format("{:04}{:05}", prefix, rest); };
    const std::string value(100, 'v');
    {
      auto store = openRocksDBStore("w", dir.string(), resources, 4, false, keysWrittenOnce);
      for (int p = 0; p < 300; ++p)
        for (int r = 0; r < 10; ++r) store->put(key(p, r), value, 0);
      store->commit(0);
    }  // closing flushes: every entry is in a table file, about 80 data blocks
    auto store = openRocksDBStore("w", dir.string(), resources, 4, false, keysWrittenOnce);
    const size_t before = resources.blockCache()->GetUsage();
    for (int p = 0; p < 300; ++p) EXPECT_EQ(collect(store->range(key(p, 0), key(p, 99999), false)).size(), 10u) << p;
    const size_t growth = resources.blockCache()->GetUsage() - before;
    store.reset();
    std::filesystem::remove_all(dir);
    return growth;
  };
  EXPECT_GT(cacheGrowthOfRangeReads(false), 100u << 10);
  EXPECT_EQ(cacheGrowthOfRangeReads(true), 0u);
}

// RocksDB's log lines go to kstreams' log, not to a LOG file beside the data: a full disk
// that failed a write to that file made the next line abort the process (Debian builds
// RocksDB with assertions).
TEST(RocksDBStore, RocksDBsLogLinesGoToTheSinkAndNoLogFileIsWritten) {
  const auto dir = std::filesystem::temp_directory_path() / ("kstreams-log-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::vector<std::string> lines;
  RocksDBLog log;
  log.sink = [&](bool, std::string_view line) { lines.emplace_back(line); };
  log.debugLines = true;
  {
    RocksDBResources resources{8 << 20, 8 << 20, log};
    auto store = openRocksDBStore("logged", dir.string(), resources);
    store->put("k", "v", 0);
    store->commit(0);
    store->persist();
  }
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front().rfind("rocksdb logged (" + dir.string() + "): ", 0), 0u) << lines.front();
  for (const auto& file : std::filesystem::directory_iterator(dir))
    EXPECT_FALSE(file.path().filename().string().starts_with("LOG")) << file.path();

  // Without debug lines an uneventful store says nothing: not even the hundreds of header
  // lines (its options) RocksDB logs when it opens.
  lines.clear();
  log.debugLines = false;
  {
    RocksDBResources resources{8 << 20, 8 << 20, log};
    auto store = openRocksDBStore("logged", dir.string(), resources);
    store->put("k", "w", 0);
    store->commit(1);
  }
  EXPECT_TRUE(lines.empty()) << lines.front();
  std::filesystem::remove_all(dir);
}

// The properties of every table file in a store's directory.
using Table = std::pair<std::string, std::shared_ptr<const rocksdb::TableProperties>>;
void readTables(const std::filesystem::path& dir, std::vector<Table>& tables) {
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (file.path().extension() != ".sst") continue;
    rocksdb::SstFileReader reader{rocksdb::Options()};
    ASSERT_TRUE(reader.Open(file.path().string()).ok()) << file.path();
    tables.emplace_back(file.path().string(), reader.GetTableProperties());
  }
}

// Flushed tables (level 0) are rewritten by the next compaction; compressing them spent CPU at
// every flush for disk that is soon given back. And every look-up consults each level-0
// file's filter: from a pinned block, not through a cache look-up each time.
TEST(RocksDBStore, FlushedTablesAreUncompressedAndTheirFiltersStayPinnedInTheCache) {
  const auto dir = std::filesystem::temp_directory_path() / ("kstreams-level0-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  RocksDBResources resources{8 << 20, 8 << 20};
  const std::string compressible(200, 'a');
  {
    auto store = openRocksDBStore("l0", dir.string(), resources, 12);
    for (int i = 0; i < 2000; ++i) store->put(fmt::format("prefix-{:06}-{:06}", i % 100, i), compressible, 0);
    store->commit(0);
  }  // closing flushes the memtables into level-0 tables
  std::vector<Table> tables;
  ASSERT_NO_FATAL_FAILURE(readTables(dir, tables));
  for (const auto& [path, properties] : tables) EXPECT_EQ(properties->compression_name, "NoCompression") << path;
  EXPECT_GE(tables.size(), 1u);

  auto store = openRocksDBStore("l0", dir.string(), resources, 12);
  EXPECT_EQ(store->get(fmt::format("prefix-{:06}-{:06}", 7, 1007)), compressible);
  // What the cache holds now: the index and filter blocks of the tables, and the one data
  // block the read needed. Pinned, the metadata cannot be evicted by data blocks.
  const auto& cache = *resources.blockCache();
  EXPECT_GT(cache.GetPinnedUsage(), cache.GetUsage() / 2)
      << "pinned " << cache.GetPinnedUsage() << " of " << cache.GetUsage() << " bytes";
  store.reset();
  std::filesystem::remove_all(dir);
}

// A store read only by ranges within one prefix (a stream-stream join's window store) keeps
// the prefixes alone in its filters; a store with point reads keeps whole keys as well.
// Either answers every read, from its table files and its memtable.
TEST(RocksDBStore, AStoreWithoutPointReadsFiltersByPrefixAloneAndStillAnswersEveryRead) {
  const auto dir = std::filesystem::temp_directory_path() / ("kstreams-prefix-only-test-" + std::to_string(::getpid()));
  RocksDBResources resources{8 << 20, 8 << 20};
  auto key = [](int prefix, int rest) { return fmt::format("{:04}{:03}", prefix, rest); };
  for (const bool wholeKeyFilters : {false, true}) {
    std::filesystem::remove_all(dir);
    {
      auto store = openRocksDBStore("w", dir.string(), resources, 4, wholeKeyFilters);
      for (int p = 0; p < 50; p += 2)
        for (int r = 0; r < 20; r += 2) store->put(key(p, r), "file", 0);
      store->commit(0);
    }  // closing flushes the memtable into a table file
    std::vector<Table> tables;
    ASSERT_NO_FATAL_FAILURE(readTables(dir, tables));
    int dataTables = 0;
    for (const auto& [path, properties] : tables) {
      const auto& collected = properties->user_collected_properties;
      auto filtering = collected.find("rocksdb.block.based.table.whole.key.filtering");
      ASSERT_NE(filtering, collected.end()) << path;
      EXPECT_EQ(filtering->second, wholeKeyFilters ? "1" : "0") << path;
      if (properties->num_entries > 1) ++dataTables;  // not the checkpoint's
    }
    EXPECT_GE(dataTables, 1);

    auto store = openRocksDBStore("w", dir.string(), resources, 4, wholeKeyFilters);
    store->put(key(7, 1), "memtable", 0);
    store->commit(1);
    EXPECT_EQ(store->get(key(6, 4)), "file");
    EXPECT_EQ(store->get(key(7, 1)), "memtable");
    EXPECT_EQ(store->get(key(6, 5)), std::nullopt);   // its prefix is there, the key is not
    EXPECT_EQ(store->get(key(51, 0)), std::nullopt);  // neither is
    EXPECT_EQ(collect(store->range(key(6, 3), key(6, 7), false)), (Entries{{key(6, 4), "file"}, {key(6, 6), "file"}}));
    EXPECT_EQ(collect(store->range(key(7, 0), key(7, 999), false)), (Entries{{key(7, 1), "memtable"}}));
  }
  std::filesystem::remove_all(dir);
}

// Every memtable takes its bloom filter and first arena block from the instance's shared
// write buffer budget when it is created. An instance with many tasks has many nearly empty
// stores; if each cost megabytes, they alone would fill the budget, and every store would be
// flushed at a few thousand entries.
TEST(RocksDBStore, ManyNearlyEmptyStoresTakeLittleOfTheSharedWriteBufferBudget) {
  const auto dir = std::filesystem::temp_directory_path() / ("kstreams-budget-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  RocksDBResources resources{8 << 20, 64 << 20};
  constexpr int kStores = 48;
  std::vector<std::unique_ptr<LocalStore>> stores;
  for (int i = 0; i < kStores; ++i) {
    // Half of them window-style, with a key prefix.
    stores.push_back(openRocksDBStore("s", (dir / std::to_string(i)).string(), resources, i % 2 ? 12 : 0));
    stores.back()->put("a key of twelve bytes or more", "value", 0);
    stores.back()->commit(0);
  }
  EXPECT_LT(resources.writeBufferManager()->memory_usage() / kStores, size_t{1} << 20);
  stores.clear();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kstreams::internal
