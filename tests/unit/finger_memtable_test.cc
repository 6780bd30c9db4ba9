// The RocksDB stores' own memtable (state/finger_memtable.h), read through a store: it must
// hold what an ordered map holds, in order both ways, whether its inserts come sorted (a
// commit) or not (a restoration), and a reader on another thread must only ever see whole,
// ordered entries while the writer inserts.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "state/finger_memtable.h"
#include "state/rocksdb_store.h"
#include "tests/unit/store_entries.h"

namespace kstreams::internal {
namespace {

using Model = std::map<std::string, std::string>;

// Puts value (nullopt: deletes key) into the store's pending writes and into the model.
void write(LocalStore& store, Model& model, const std::string& key, std::optional<std::string> value) {
  store.put(key, value, 0);
  if (value) model[key] = std::move(*value);
  else model.erase(key);
}

// What a get of key must return.
std::optional<std::string> expectedGet(const Model& model, const std::string& key) {
  auto it = model.find(key);
  return it == model.end() ? std::nullopt : std::optional<std::string>(it->second);
}

class FingerMemtableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kstreams-memtable-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Memtables large enough that everything stays in memory.
  RocksDBResources resources_{8 << 20, 256 << 20};
  std::filesystem::path dir_;
};

TEST_F(FingerMemtableTest, HoldsWhatAnOrderedMapHoldsWhateverOrderTheWritesCameIn) {
  auto store = openRocksDBStore("m", dir_.string(), resources_);
  Model model;
  std::mt19937 rng(42);
  // Keys of different lengths sharing leading bytes, so order depends on more than the first byte.
  auto randomKey = [&] {
    const int n = static_cast<int>(rng() % 3000);
    return fmt::format("k{}", n % 7 == 0 ? std::to_string(n) : fmt::format("{:05}", n));
  };
  auto asExpected = [&](Model::const_iterator from, Model::const_iterator to) { return Entries(from, to); };
  for (int round = 0; round < 60; ++round) {
    if (round % 4 == 3) {
      // A restoration writes in the changelog's order, not sorted.
      std::vector<ChangelogRecord> records;
      for (int i = 0; i < 300; ++i) {
        std::string key = randomKey();
        if (rng() % 5 == 0) {
          records.push_back({key, std::nullopt});
          model.erase(key);
        } else {
          std::string value = fmt::format("restored-{}-{}", round, i);
          records.push_back({key, value});
          model[key] = value;
        }
      }
      store->restore(records, round);
    } else {
      for (int i = 0; i < 400; ++i) {
        std::string key = randomKey();
        write(*store, model, key,
              rng() % 5 == 0 ? std::nullopt : std::optional<std::string>(fmt::format("put-{}-{}", round, i)));
      }
      store->commit(round);
    }
    ASSERT_EQ(collect(store->range(std::nullopt, std::nullopt, false)), asExpected(model.begin(), model.end()))
        << "round " << round;
    Entries reversed(model.rbegin(), model.rend());
    ASSERT_EQ(collect(store->range(std::nullopt, std::nullopt, true)), reversed) << "round " << round;
    for (int i = 0; i < 20; ++i) {
      std::string a = randomKey(), b = randomKey();
      if (b < a) std::swap(a, b);
      Entries expected = asExpected(model.lower_bound(a), model.upper_bound(b));
      ASSERT_EQ(collect(store->range(a, b, false)), expected) << a << " .. " << b;
      std::reverse(expected.begin(), expected.end());
      ASSERT_EQ(collect(store->range(a, b, true)), expected) << a << " .. " << b << " reversed";
      std::string key = randomKey();
      ASSERT_EQ(store->get(key), expectedGet(model, key)) << key;
    }
  }
}

// A store with a key prefix (a window store's [segment][key hash]) reads one prefix's range
// with RocksDB's prefix iterators and the prefix bloom filters: ranges and point reads
// within a prefix, many keys to a prefix or none, find what an ordered map finds. (Every
// key of such a store is at least the prefix long: RocksDB's prefix iterators assert that.)
TEST_F(FingerMemtableTest, PrefixRangesFindWhatAnOrderedMapFinds) {
  constexpr size_t kPrefix = 4;
  auto store = openRocksDBStore("m", dir_.string(), resources_, kPrefix);
  Model model;
  std::mt19937 rng(11);
  // Twelve prefixes with up to a hundred keys each.
  auto randomKey = [&] {
    return fmt::format("p{:03}{}", rng() % 12, rng() % 4 == 0 ? "" : std::to_string(rng() % 100));
  };
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 150; ++i) {
      std::string key = randomKey();
      write(*store, model, key, rng() % 6 == 0 ? std::nullopt : std::optional<std::string>(fmt::format("{}/{}", round, i)));
    }
    store->commit(round);
    ASSERT_EQ(collect(store->range(std::nullopt, std::nullopt, false)), Entries(model.begin(), model.end()))
        << "round " << round;
    for (int i = 0; i < 30; ++i) {
      const std::string prefix = fmt::format("p{:03}", rng() % 13);  // p012 is never written
      std::string a = prefix + std::to_string(rng() % 100), b = prefix + std::to_string(rng() % 100);
      if (b < a) std::swap(a, b);
      ASSERT_EQ(collect(store->range(a, b, false)), Entries(model.lower_bound(a), model.upper_bound(b)))
          << a << " .. " << b;
      const std::string key = prefix + (i % 3 ? std::to_string(rng() % 100) : "");
      ASSERT_EQ(store->get(key), expectedGet(model, key)) << key;
    }
  }
}

// A store whose keys are written once (a join's window store) indexes each prefix's first
// entry in its memtables and starts prefix seeks there. Keys arrive out of order across
// commits, so a prefix's first entry changes; some prefixes outgrow the steps a seek takes
// from the index; the index outgrows its first table several times.
TEST_F(FingerMemtableTest, APrefixIndexFindsWhatAnOrderedMapFinds) {
  constexpr size_t kPrefix = 6;
  auto store = openRocksDBStore("m", dir_.string(), resources_, kPrefix, false, true);
  Model model;
  std::mt19937 rng(5);
  int written = 0;
  // 3000 prefixes; those below p00040 get many keys, the rest a few.
  auto newKey = [&] {
    const unsigned prefix = rng() % 2 ? rng() % 40 : rng() % 3000;
    return fmt::format("p{:05}{:06}-{}", prefix, rng() % 1000000, written++);
  };
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 400; ++i) write(*store, model, newKey(), fmt::format("{}/{}", round, i));
    store->commit(round);
    for (int i = 0; i < 60; ++i) {
      const std::string prefix = fmt::format("p{:05}", i % 2 ? rng() % 40 : rng() % 3100);  // some never written
      std::string a = prefix + fmt::format("{:06}", rng() % 1000000), b = prefix + fmt::format("{:06}", rng() % 1000000);
      if (b < a) std::swap(a, b);
      if (i % 5 == 0) a = prefix;  // from the prefix's start
      ASSERT_EQ(collect(store->range(a, b, false)), Entries(model.lower_bound(a), model.upper_bound(b)))
          << "round " << round << ": " << a << " .. " << b;
    }
  }
  ASSERT_EQ(collect(store->range(std::nullopt, std::nullopt, false)), Entries(model.begin(), model.end()));
}

// A prefix seek on another thread finds every key whose commit finished before it began,
// while the writer inserts into the same memtable and its prefix index grows.
TEST_F(FingerMemtableTest, APrefixIndexServesAReaderOnAnotherThreadWhileTheWriterInserts) {
  constexpr size_t kPrefix = 6;
  auto store = openRocksDBStore("m", dir_.string(), resources_, kPrefix, false, true);
  auto reader = store->committedReader();
  constexpr int kPerRound = 250, kRounds = 160;
  // 5000 prefixes of eight keys each; a later key of a prefix sorts before the earlier ones,
  // so every round replaces the first node of the prefixes it writes to.
  auto keyOf = [](int i) { return fmt::format("p{:05}{:07}", (i * 7919) % 5000, 9999999 - i); };
  std::atomic<int> committedRounds{0};
  std::atomic<bool> done{false};
  std::atomic<int> lookUps{0}, missing{0};
  std::thread looker([&] {
    std::mt19937 rng(9);
    while (!done.load()) {
      const int rounds = committedRounds.load(std::memory_order_acquire);
      if (rounds == 0) continue;
      const std::string key = keyOf(static_cast<int>(rng() % (rounds * kPerRound)));
      Entries found = collect(reader->range(key, key, false));
      if (found.size() != 1 || found[0].first != key) missing.fetch_add(1);
      lookUps.fetch_add(1);
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> keys;
    for (int i = round * kPerRound; i < (round + 1) * kPerRound; ++i) keys.push_back(keyOf(i));
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) store->put(key, key, 0);
    store->commit(round);
    committedRounds.store(round + 1, std::memory_order_release);
  }
  while (lookUps.load() < 1000) std::this_thread::yield();
  done = true;
  looker.join();
  EXPECT_EQ(missing.load(), 0) << "of " << lookUps.load() << " look-ups";
}

// RocksDB 7.8's default memtable look-up never frees the iterator it asks for; a look-up
// that reaches the memtable (a key that is there, or a bloom filter's false positive) must
// not leave one behind.
TEST_F(FingerMemtableTest, LookUpsLeaveNoIteratorBehind) {
  auto store = openRocksDBStore("m", dir_.string(), resources_);
  for (int i = 0; i < 100; ++i) store->put(fmt::format("k{}", i), "v", 0);
  store->commit(0);
  const int64_t before = fingerMemtableHeapIterators();
  for (int round = 0; round < 20; ++round)
    for (int i = 0; i < 100; ++i) ASSERT_EQ(store->get(fmt::format("k{}", i)), "v");
  EXPECT_EQ(collect(store->range(std::nullopt, std::nullopt, true)).size(), 100u);
  EXPECT_EQ(fingerMemtableHeapIterators(), before);
}

TEST_F(FingerMemtableTest, AReaderOnAnotherThreadSeesWholeEntriesInOrderWhileTheWriterInserts) {
  auto store = openRocksDBStore("m", dir_.string(), resources_);
  auto reader = store->committedReader();
  std::atomic<bool> done{false};
  std::atomic<int> scans{0}, badScans{0};
  std::thread scanner([&] {
    while (!done.load()) {
      std::string previous;
      bool first = true, ordered = true;
      for (auto it = reader->range(std::nullopt, std::nullopt, (scans.load() & 1) != 0); it->valid(); it->next()) {
        std::string key(it->key()), value(it->value());
        // Every value begins with its key: a torn or misplaced entry would not.
        if (value.compare(0, key.size(), key) != 0) ordered = false;
        if (!first && (scans.load() & 1 ? key >= previous : key <= previous)) ordered = false;
        previous = std::move(key);
        first = false;
      }
      if (!ordered) badScans.fetch_add(1);
      scans.fetch_add(1);
    }
  });
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    for (int i = 0; i < 200; ++i) {
      std::string key = fmt::format("key-{:06}", rng() % 100000);
      store->put(key, key + fmt::format("/{}", round), 0);
    }
    store->commit(round);
  }
  while (scans.load() < 3) std::this_thread::yield();
  done = true;
  scanner.join();
  EXPECT_EQ(badScans.load(), 0) << "of " << scans.load() << " scans";
  EXPECT_GT(collect(store->range(std::nullopt, std::nullopt, false)).size(), 40000u);
}

// A look-up on another thread finds every key whose commit finished before it began, while
// the writer keeps inserting new keys into the same memtable.
TEST_F(FingerMemtableTest, AReaderOnAnotherThreadFindsEveryCommittedKeyWhileTheWriterInserts) {
  auto store = openRocksDBStore("m", dir_.string(), resources_);
  auto reader = store->committedReader();
  constexpr int kPerRound = 250, kRounds = 200;
  auto keyOf = [](int i) { return fmt::format("key-{:07}", i); };
  std::atomic<int> committedRounds{0};
  std::atomic<bool> done{false};
  std::atomic<int> lookUps{0}, missing{0};
  std::thread looker([&] {
    std::mt19937 rng(3);
    while (!done.load()) {
      const int rounds = committedRounds.load(std::memory_order_acquire);
      if (rounds == 0) continue;
      const int i = static_cast<int>(rng() % (rounds * kPerRound));
      auto value = reader->get(keyOf(i));
      if (!value || *value != keyOf(i)) missing.fetch_add(1);
      lookUps.fetch_add(1);
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    for (int i = round * kPerRound; i < (round + 1) * kPerRound; ++i) store->put(keyOf(i), keyOf(i), 0);
    store->commit(round);
    committedRounds.store(round + 1, std::memory_order_release);
  }
  while (lookUps.load() < 1000) std::this_thread::yield();
  done = true;
  looker.join();
  EXPECT_EQ(missing.load(), 0) << "of " << lookUps.load() << " look-ups";
  EXPECT_EQ(reader->get(keyOf(kRounds * kPerRound - 1)), keyOf(kRounds * kPerRound - 1));
}

}  // namespace
}  // namespace kstreams::internal
