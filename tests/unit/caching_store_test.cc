// The caching layer over a local store: merging repeated updates, eviction, the old values
// a flush forwards, dropped ranges, listeners that read each other's caches.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "state/caching_store.h"
#include "state/in_memory_store.h"
#include "tests/unit/store_entries.h"

namespace kstreams::internal {
namespace {

struct Flushed {
  std::string key;
  std::optional<std::string> newValue, oldValue;
  bool operator==(const Flushed&) const = default;
};

void recordFlushes(CachingStore& cache, std::vector<Flushed>& flushed, bool sendOldValues = true) {
  cache.setFlushListener(
      [&flushed](std::string_view k, std::optional<std::string_view> n, std::optional<std::string_view> o, int64_t) {
        flushed.push_back({std::string(k), n ? std::optional<std::string>(*n) : std::nullopt,
                           o ? std::optional<std::string>(*o) : std::nullopt});
      },
      sendOldValues);
}

TEST(CachingStore, MergesRepeatedUpdatesAndFlushesTheLatestOnce) {
  CacheBudget budget{1 << 20, 0};
  auto inner = openInMemoryStore("s");
  LocalStore* local = inner.get();
  CachingStore cache(std::move(inner), budget);
  std::vector<Flushed> flushed;
  recordFlushes(cache, flushed);
  for (int i = 1; i <= 5; ++i) cache.put("a", std::to_string(i), i);
  cache.put("b", "x", 6);
  EXPECT_EQ(local->get("a"), std::nullopt) << "nothing reaches the store before a flush";
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"a", "5", std::nullopt}, {"b", "x", std::nullopt}}));
  EXPECT_EQ(local->get("a"), "5");
  EXPECT_EQ(cache.get("a"), "5");
  flushed.clear();
  cache.put("a", "6", 7);
  cache.put("a", std::nullopt, 8);
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"a", std::nullopt, "5"}})) << "a delete carries the value it removes";
  cache.flush();
  EXPECT_EQ(flushed.size(), 1u) << "clean entries are not flushed again";
}

TEST(CachingStore, EvictsTheLeastRecentlyUsedEntryWhenOverBudget) {
  CacheBudget budget{1 << 20, 0};
  auto inner = openInMemoryStore("s");
  LocalStore* local = inner.get();
  CachingStore cache(std::move(inner), budget);
  std::vector<std::string> flushed;
  cache.setFlushListener([&](std::string_view k, auto, auto, int64_t) { flushed.emplace_back(k); }, true);
  cache.put("a", "1", 0);
  budget.maxBytes = budget.usedBytes * 7 / 2;  // room for three and a half entries like a
  cache.put("b", "2", 0);
  cache.put("c", "3", 0);
  cache.get("a");  // a is now more recently used than b
  cache.put("d", "4", 0);
  cache.put("e", "5", 0);
  ASSERT_FALSE(flushed.empty());
  EXPECT_EQ(flushed.front(), "b");
  EXPECT_EQ(local->get("b"), "2");
  EXPECT_LE(budget.usedBytes, budget.maxBytes);
  // Ranges merge cached and stored entries.
  EXPECT_EQ(collect(cache.range(std::nullopt, std::nullopt, false)).size(), 5u);
}

TEST(CachingStore, TheOldValueAFlushForwardsIsWhatTheStoreBelowHeld) {
  // The cache remembers what is below a dirty entry instead of reading it back at the flush;
  // each step here would forward a wrong old value if that memory were stale.
  CacheBudget budget{1 << 20, 0};
  auto inner = openInMemoryStore("s");
  LocalStore* local = inner.get();
  local->put("present", "p0", 0);
  CachingStore cache(std::move(inner), budget);
  std::vector<Flushed> flushed;
  recordFlushes(cache, flushed);

  // Read, then written: an aggregation's first record of a key, and of a key already stored.
  EXPECT_EQ(cache.get("k"), std::nullopt);
  cache.put("k", "1", 0);
  EXPECT_EQ(cache.get("present"), "p0");
  cache.put("present", "p1", 0);
  cache.put("present", "p2", 0);
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"k", "1", std::nullopt}, {"present", "p2", "p0"}}));
  flushed.clear();

  // A clean entry overwritten: its value was the one below.
  cache.put("k", "2", 0);
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"k", "2", "1"}}));
  flushed.clear();

  // A key read as absent, then another key written, then the first one.
  EXPECT_EQ(cache.get("k2"), std::nullopt);
  cache.put("other", "o", 0);
  cache.put("k2", "a", 0);
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"other", "o", std::nullopt}, {"k2", "a", std::nullopt}}));
  flushed.clear();

  // Read as absent, written, evicted (written down): written again without a read, its old
  // value is the one written down, not the absence read before.
  EXPECT_EQ(cache.get("k3"), std::nullopt);
  cache.put("k3", "x", 0);
  budget.maxBytes = 0;
  cache.put("k2", "b", 0);  // evicts everything: k2 (old "a") and k3 are written down
  EXPECT_EQ(budget.usedBytes, 0) << "an evicted entry's bytes, the one below it included, are all given back";
  budget.maxBytes = 1 << 20;
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"k3", "x", std::nullopt}, {"k2", "b", "a"}}));
  flushed.clear();
  cache.put("k3", "y", 0);
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"k3", "y", "x"}}));
  flushed.clear();

  // After an abort the store below may hold again what the cache had seen absent.
  EXPECT_EQ(cache.get("gone"), std::nullopt);
  cache.clear();
  local->put("gone", "back", 0);
  cache.put("gone", "new", 0);
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"gone", "new", "back"}}));
}

// A store that counts the reads that reach it.
class ReadCountingStore final : public KeyValueBytesStore {
 public:
  explicit ReadCountingStore(std::unique_ptr<KeyValueBytesStore> inner) : inner_(std::move(inner)) {}
  const std::string& name() const override { return inner_->name(); }
  bool persistent() const override { return false; }
  void flush() override { inner_->flush(); }
  std::optional<std::string> get(std::string_view key) override {
    ++reads;
    return inner_->get(key);
  }
  void put(std::string_view key, std::optional<std::string_view> value, int64_t timestamp) override {
    inner_->put(key, value, timestamp);
  }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override {
    return inner_->range(from, to, reverse);
  }
  int64_t approximateNumEntries() override { return inner_->approximateNumEntries(); }
  void deleteBefore(std::string_view to) override { inner_->deleteBefore(to); }

  int reads = 0;

 private:
  std::unique_ptr<KeyValueBytesStore> inner_;
};

TEST(CachingStore, WithoutOldValuesAnUpdateIsWrittenDownWithoutReadingBelowButADeleteStillIs) {
  CacheBudget budget{1 << 20, 0};
  auto local = openInMemoryStore("s");
  local->put("present", "p0", 0);
  local->put("doomed", "d0", 0);
  auto counting = std::make_unique<ReadCountingStore>(std::move(local));
  ReadCountingStore* below = counting.get();
  CachingStore cache(std::move(counting), budget);
  std::vector<Flushed> flushed;
  recordFlushes(cache, flushed, /*sendOldValues=*/false);

  cache.put("present", "p1", 1);
  cache.put("new", "n1", 1);
  cache.put("doomed", std::nullopt, 1);
  cache.put("never", std::nullopt, 1);
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"present", "p1", std::nullopt}, {"new", "n1", std::nullopt},
                                           {"doomed", std::nullopt, "d0"}}))
      << "updates carry no old value; a delete carries the row it removes, and deleting a missing row is no change";
  EXPECT_EQ(below->reads, 2) << "only the two deletes read the store below";
  EXPECT_EQ(cache.get("present"), "p1");
}

TEST(CachingStore, ADroppedRangeStillForwardsItsUnflushedUpdatesAndKeepsTheRest) {
  // Expiring window segments drops a range; windows updated since the last flush must still
  // reach downstream (a suppress waiting for them to close), in the order they were written.
  CacheBudget budget{1 << 20, 0};
  auto inner = openInMemoryStore("s");
  LocalStore* local = inner.get();
  CachingStore cache(std::move(inner), budget);
  std::vector<Flushed> flushed;
  recordFlushes(cache, flushed);
  cache.put("a2", "old", 0);
  cache.flush();
  flushed.clear();
  cache.put("a2", "new", 1);
  cache.put("a1", "x", 2);
  cache.put("b1", "kept", 3);
  cache.deleteBefore("b");
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"a2", "new", "old"}, {"a1", "x", std::nullopt}}));
  EXPECT_EQ(cache.get("a2"), std::nullopt);
  EXPECT_EQ(local->get("a2"), std::nullopt);
  flushed.clear();
  cache.flush();
  EXPECT_EQ(flushed, (std::vector<Flushed>{{"b1", "kept", std::nullopt}}));
}

TEST(CachingStore, ListenersThatReadEachOthersCacheWhileEvictingLoseNothing) {
  // A table-table join: each table's flush listener looks up the other table, whose cache
  // may evict (and call back) in the middle of the first one's eviction.
  CacheBudget budget{2000, 0};
  auto leftInner = openInMemoryStore("l"), rightInner = openInMemoryStore("r");
  LocalStore *leftStore = leftInner.get(), *rightStore = rightInner.get();
  CachingStore left(std::move(leftInner), budget), right(std::move(rightInner), budget);
  int flushed = 0;
  left.setFlushListener(
      [&](std::string_view k, auto, auto, int64_t) {
        ++flushed;
        right.get(std::string(k));
      },
      true);
  right.setFlushListener(
      [&](std::string_view k, auto, auto, int64_t) {
        ++flushed;
        left.get(std::string(k));
      },
      true);
  for (int i = 0; i < 500; ++i) {
    const std::string key = "key-" + std::to_string(i % 137);
    left.put(key, "l" + std::to_string(i), i);
    right.put(key, "r" + std::to_string(i), i);
  }
  left.flush();
  right.flush();
  EXPECT_GT(flushed, 0);
  for (int k = 0; k < 137; ++k) {
    const std::string key = "key-" + std::to_string(k);
    const int last = 500 - 137 + ((k - (500 - 137) % 137 + 137) % 137);  // the last i with i % 137 == k
    EXPECT_EQ(leftStore->get(key), "l" + std::to_string(last)) << key;
    EXPECT_EQ(rightStore->get(key), "r" + std::to_string(last)) << key;
  }
  EXPECT_LE(budget.usedBytes, budget.maxBytes);
}

TEST(CachingStore, ADroppedRangeHidesWhatTheStoreBelowCommittedBeforeItsNextCommit) {
  // Windows of an expired segment are gone once it is dropped, whether the cache held them
  // or only the committed data below it does: the commit that applies the drop below is not
  // what hides them.
  CacheBudget budget{1 << 20, 0};
  auto inner = openInMemoryStore("s");
  LocalStore* local = inner.get();
  CachingStore cache(std::move(inner), budget);
  cache.put("a1", "cached", 0);
  cache.put("a2", "below only", 0);
  cache.put("b1", "kept", 0);
  cache.flush();
  local->commit(std::nullopt);
  cache.clear();  // a2 is no longer cached
  EXPECT_EQ(cache.get("a1"), "cached");
  cache.deleteBefore("b");
  EXPECT_EQ(cache.get("a1"), std::nullopt);
  EXPECT_EQ(cache.get("a2"), std::nullopt);
  EXPECT_EQ(local->get("a1"), std::nullopt);
  EXPECT_EQ(collect(cache.range(std::nullopt, std::nullopt, false)), (Entries{{"b1", "kept"}}));
  EXPECT_EQ(collect(cache.range("a", "az", true)), Entries{});
  local->commit(std::nullopt);
  EXPECT_EQ(cache.get("a2"), std::nullopt);
  EXPECT_EQ(cache.get("b1"), "kept");
}

}  // namespace
}  // namespace kstreams::internal
