// A window store's reads of a key range and its backward reads: what each returns and in
// which order, over RocksDB and in memory, through the record cache before it is written
// down, and through the view over all of an instance's tasks that interactive queries use.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "runtime/composite_reader.h"
#include "state/caching_store.h"
#include "streams/internal/segmented_stores.h"
#include "tests/unit/local_store_fixture.h"

namespace kstreams::internal {
namespace {

constexpr int64_t kSegment = 60000;  // the segment interval: half the retention, at least a minute
constexpr int64_t kRetention = 2 * kSegment;  // keeps every window the tests write
const std::vector<std::string> kKeys = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};
// Two windows in each of segments 0 and 1.
const std::vector<std::vector<int64_t>> kStartsBySegment = {{0, 1000}, {kSegment, kSegment + 1000}};

struct W {
  std::string key;
  int64_t start;
  int64_t value;
  bool operator==(const W&) const = default;
};
std::ostream& operator<<(std::ostream& os, const W& w) { return os << w.key << "@" << w.start << "=" << w.value; }

std::vector<W> listed(KeyValueIterator<Windowed<std::string>, int64_t> it) {
  std::vector<W> out;
  for (const auto& kv : it) out.push_back({kv.key.key, kv.key.window.start, kv.value});
  return out;
}
std::vector<W> listed(const std::string& key, KeyValueIterator<int64_t, int64_t> it) {
  std::vector<W> out;
  for (const auto& kv : it) out.push_back({key, kv.key, kv.value});
  return out;
}
std::vector<W> reversed(std::vector<W> w) {
  std::reverse(w.begin(), w.end());
  return w;
}
int64_t valueOf(size_t keyIndex, int64_t start) { return static_cast<int64_t>(keyIndex) * 1000000 + start; }

// The windows of keys[from..to] starting in [timeFrom, timeTo], in the documented order of a
// key range: segment by segment, by key within one, each key's windows oldest first.
std::vector<W> expectedRange(size_t from, size_t to, int64_t timeFrom, int64_t timeTo) {
  std::vector<W> out;
  for (const auto& starts : kStartsBySegment)
    for (size_t k = from; k <= to; ++k)
      for (int64_t start : starts)
        if (start >= timeFrom && start <= timeTo) out.push_back({kKeys[k], start, valueOf(k, start)});
  return out;
}

using Store = TypedWindowStore<std::string, int64_t>;

class WindowStoreReadsTest : public LocalStoreTest {
 protected:
  void SetUp() override {
    LocalStoreTest::SetUp();
    store_.reset();
    store_ = open(kSegmentedKeyPrefixBytes);
  }
  std::shared_ptr<KeyValueBytesStore> nonOwning(KeyValueBytesStore& s) {
    return std::shared_ptr<KeyValueBytesStore>(&s, [](KeyValueBytesStore*) {});
  }
  Store windowsOver(std::shared_ptr<KeyValueBytesStore> bytes) {
    return Store(std::move(bytes), Serdes::String(), Serdes::Int64(), 1000, kRetention, false);
  }
  // Every key's windows, written in an order that is neither key nor time order.
  static void putAll(Store& windows) {
    for (size_t seg = kStartsBySegment.size(); seg-- > 0;)
      for (size_t k = kKeys.size(); k-- > 0;)
        for (int64_t start : kStartsBySegment[seg]) windows.put(kKeys[k], valueOf(k, start), start);
  }
};

// The order a key range promises costs a sort only because the store's own order, which
// fetchAll returns, is not it: checked here so that the tests below can fail.
TEST_P(WindowStoreReadsTest, FetchAllIsNotInKeyOrderWithinASegment) {
  Store windows = windowsOver(nonOwning(*store_));
  putAll(windows);
  std::vector<std::string> keys;
  for (const W& w : listed(windows.fetchAll(0, 0))) keys.push_back(w.key);
  ASSERT_EQ(keys.size(), kKeys.size());
  EXPECT_FALSE(std::is_sorted(keys.begin(), keys.end())) << "the keys' hashes happen to be in key order";
}

TEST_P(WindowStoreReadsTest, AKeyRangeIsBySegmentThenKeyThenStartAndBackwardIsItsReverse) {
  Store windows = windowsOver(nonOwning(*store_));
  putAll(windows);
  for (bool committed : {false, true}) {
    SCOPED_TRACE(committed ? "committed" : "pending");
    const std::vector<W> expected = expectedRange(1, 5, 0, 2 * kSegment);  // bob..frank
    EXPECT_EQ(listed(windows.fetch(std::optional<std::string>("bob"), std::optional<std::string>("frank"), 0,
                                   2 * kSegment)),
              expected);
    EXPECT_EQ(listed(windows.backwardFetch(std::optional<std::string>("bob"), std::optional<std::string>("frank"), 0,
                                           2 * kSegment)),
              reversed(expected));
    // A time range within segments: windows outside it are left out, both ends inclusive.
    EXPECT_EQ(listed(windows.fetch("carol", "dave", 1000, kSegment)), expectedRange(2, 3, 1000, kSegment));
    EXPECT_EQ(listed(windows.backwardFetch("carol", "dave", 1000, kSegment)),
              reversed(expectedRange(2, 3, 1000, kSegment)));
    // Bounds that are not keys of the store.
    EXPECT_EQ(listed(windows.fetch("b", "carl", 0, 1000)), expectedRange(1, 1, 0, 1000));
    store_->commit(std::nullopt);
  }
}

TEST_P(WindowStoreReadsTest, AnOpenEndOfTheKeyRangeReachesTheFirstOrLastKey) {
  Store windows = windowsOver(nonOwning(*store_));
  putAll(windows);
  const int64_t end = 2 * kSegment;
  EXPECT_EQ(listed(windows.fetch(std::nullopt, "carol", 0, end)), expectedRange(0, 2, 0, end));
  EXPECT_EQ(listed(windows.fetch("frank", std::nullopt, 0, end)), expectedRange(5, 7, 0, end));
  EXPECT_EQ(listed(windows.fetch(std::nullopt, std::nullopt, 0, end)), expectedRange(0, 7, 0, end));
  EXPECT_EQ(listed(windows.backwardFetch(std::nullopt, "carol", 0, end)), reversed(expectedRange(0, 2, 0, end)));
  EXPECT_EQ(listed(windows.backwardFetch("frank", std::nullopt, 0, end)), reversed(expectedRange(5, 7, 0, end)));
  EXPECT_EQ(listed(windows.backwardFetch(std::nullopt, std::nullopt, 0, end)), reversed(expectedRange(0, 7, 0, end)));
}

TEST_P(WindowStoreReadsTest, RangesHoldingNothingReturnNothing) {
  Store windows = windowsOver(nonOwning(*store_));
  putAll(windows);
  const int64_t end = 2 * kSegment;
  for (bool backward : {false, true}) {
    SCOPED_TRACE(backward ? "backward" : "forward");
    auto range = [&](std::optional<std::string> from, std::optional<std::string> to, int64_t t0, int64_t t1) {
      return listed(backward ? windows.backwardFetch(from, to, t0, t1) : windows.fetch(from, to, t0, t1));
    };
    EXPECT_EQ(range("frank", "bob", 0, end), std::vector<W>{}) << "keyFrom after keyTo";
    EXPECT_EQ(range("bz", "c", 0, end), std::vector<W>{}) << "no key between the bounds";
    EXPECT_EQ(range(std::nullopt, std::nullopt, 2000, kSegment - 1), std::vector<W>{}) << "no window in the time range";
    EXPECT_EQ(range(std::nullopt, std::nullopt, 1000, 0), std::vector<W>{}) << "timeFrom after timeTo";
    EXPECT_EQ(range(std::nullopt, std::nullopt, 3 * kSegment, 4 * kSegment), std::vector<W>{}) << "past the data";
    auto one = [&](const std::string& key, int64_t t0, int64_t t1) {
      return listed(key, backward ? windows.backwardFetch(key, t0, t1) : windows.fetch(key, t0, t1));
    };
    EXPECT_EQ(one("zoe", 0, end), std::vector<W>{});
    EXPECT_EQ(one("bob", 2000, kSegment - 1), std::vector<W>{});
    EXPECT_EQ(one("bob", 1000, 0), std::vector<W>{});
    auto all = [&](int64_t t0, int64_t t1) {
      return listed(backward ? windows.backwardFetchAll(t0, t1) : windows.fetchAll(t0, t1));
    };
    EXPECT_EQ(all(2000, kSegment - 1), std::vector<W>{});
    EXPECT_EQ(all(1000, 0), std::vector<W>{});
  }
  auto emptyStore = openInMemoryStore("empty", kSegmentedKeyPrefixBytes);
  Store empty = windowsOver(nonOwning(*emptyStore));
  EXPECT_EQ(listed(empty.backwardAll()), std::vector<W>{});
  EXPECT_EQ(listed(empty.backwardFetch(std::nullopt, std::nullopt, 0, end)), std::vector<W>{});
}

TEST_P(WindowStoreReadsTest, BackwardFetchOfOneKeyIsNewestFirstAcrossSegments) {
  Store windows = windowsOver(nonOwning(*store_));
  putAll(windows);
  for (bool committed : {false, true}) {
    SCOPED_TRACE(committed ? "committed" : "pending");
    EXPECT_EQ(listed("dave", windows.backwardFetch("dave", 0, 2 * kSegment)),
              reversed(expectedRange(3, 3, 0, 2 * kSegment)));
    EXPECT_EQ(listed("dave", windows.backwardFetch("dave", 1000, kSegment)),
              (std::vector<W>{{"dave", kSegment, valueOf(3, kSegment)}, {"dave", 1000, valueOf(3, 1000)}}));
    store_->commit(std::nullopt);
  }
}

TEST_P(WindowStoreReadsTest, BackwardFetchAllAndBackwardAllAreTheReverseOfFetchAllAndAll) {
  Store windows = windowsOver(nonOwning(*store_));
  putAll(windows);
  for (bool committed : {false, true}) {
    SCOPED_TRACE(committed ? "committed" : "pending");
    const std::vector<W> forward = listed(windows.fetchAll(1000, kSegment));
    ASSERT_EQ(forward.size(), 2 * kKeys.size());
    EXPECT_EQ(forward.front().start, 1000);
    EXPECT_EQ(listed(windows.backwardFetchAll(1000, kSegment)), reversed(forward));
    const std::vector<W> all = listed(windows.all());
    ASSERT_EQ(all.size(), 4 * kKeys.size());
    EXPECT_EQ(listed(windows.backwardAll()), reversed(all));
    store_->commit(std::nullopt);
  }
}

// Through the record cache: windows written to it and not yet written down (new ones,
// updates and a removal) are read with those below it, each in its place.
TEST_P(WindowStoreReadsTest, TheCachesDirtyWindowsAppearInTheirPlace) {
  CacheBudget budget{1 << 20, 0};
  LocalStore* local = store_.get();
  auto cache = std::make_shared<CachingStore>(std::move(store_), budget);
  Store windows = windowsOver(cache);
  putAll(windows);
  cache->flush();
  local->commit(std::nullopt);

  windows.put("carol", -1, 1000);  // an update
  windows.remove("dave", 0);
  windows.put("bobby", 7, kSegment + 500);  // a new key, between bob and carol
  std::vector<W> expected = expectedRange(1, 3, 0, 2 * kSegment);
  std::erase(expected, W{"dave", 0, valueOf(3, 0)});
  for (W& w : expected)
    if (w.key == "carol" && w.start == 1000) w.value = -1;
  expected.insert(std::find(expected.begin(), expected.end(), W{"carol", kSegment, valueOf(2, kSegment)}),
                  W{"bobby", kSegment + 500, 7});
  for (bool writtenDown : {false, true}) {
    SCOPED_TRACE(writtenDown ? "written down" : "dirty in the cache");
    EXPECT_EQ(listed(windows.fetch("bob", "dave", 0, 2 * kSegment)), expected);
    EXPECT_EQ(listed(windows.backwardFetch("bob", "dave", 0, 2 * kSegment)), reversed(expected));
    EXPECT_EQ(listed("carol", windows.backwardFetch("carol", 0, 2 * kSegment)),
              reversed(std::vector<W>{{"carol", 0, valueOf(2, 0)},
                                      {"carol", 1000, -1},
                                      {"carol", kSegment, valueOf(2, kSegment)},
                                      {"carol", kSegment + 1000, valueOf(2, kSegment + 1000)}}));
    const std::vector<W> all = listed(windows.fetchAll(0, 2 * kSegment));
    EXPECT_EQ(all.size(), 4 * kKeys.size());  // one removed, one added
    EXPECT_NE(std::find(all.begin(), all.end(), W{"bobby", kSegment + 500, 7}), all.end());
    EXPECT_EQ(listed(windows.backwardFetchAll(0, 2 * kSegment)), reversed(all));
    EXPECT_EQ(listed(windows.backwardAll()), reversed(listed(windows.all())));
    cache->flush();
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, WindowStoreReadsTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "RocksDB" : "InMemory"; });

// The view interactive queries read (KafkaStreams::windowStore): one store over the same
// store of every task of the instance. Each task holds other keys; a key range merges them
// into one key order within each segment.
TEST(WindowStoreReadsOfAllTasks, AKeyRangeMergesTheTasksKeysInOrder) {
  StoreRegistry registry;
  std::vector<std::unique_ptr<LocalStore>> tasks;
  for (int32_t partition = 0; partition < 2; ++partition) {
    tasks.push_back(openInMemoryStore("w", kSegmentedKeyPrefixBytes));
    Store windows(std::shared_ptr<KeyValueBytesStore>(tasks.back().get(), [](KeyValueBytesStore*) {}),
                  Serdes::String(), Serdes::Int64(), 1000, kRetention, false);
    for (size_t k = partition; k < kKeys.size(); k += 2)  // alice, carol, ... in one; bob, dave, ... in the other
      for (const auto& starts : kStartsBySegment)
        for (int64_t start : starts) windows.put(kKeys[k], valueOf(k, start), start);
    tasks.back()->commit(std::nullopt);
    registry.add("w", TaskId{0, partition}, tasks.back()->committedReader());
  }
  Store view(std::make_shared<CompositeReader>(registry, "w"), Serdes::String(), Serdes::Int64(), 1000, kRetention,
             false);
  const int64_t end = 2 * kSegment;
  EXPECT_EQ(listed(view.fetch("bob", "grace", 0, end)), expectedRange(1, 6, 0, end));
  EXPECT_EQ(listed(view.backwardFetch(std::nullopt, std::nullopt, 0, end)), reversed(expectedRange(0, 7, 0, end)));
  EXPECT_EQ(listed("erin", view.backwardFetch("erin", 0, end)), reversed(expectedRange(4, 4, 0, end)));
  const std::vector<W> all = listed(view.fetchAll(0, end));
  EXPECT_EQ(all.size(), 4 * kKeys.size());
  EXPECT_EQ(listed(view.backwardFetchAll(0, end)), reversed(all));
  EXPECT_EQ(listed(view.backwardAll()), reversed(listed(view.all())));
}

}  // namespace
}  // namespace kstreams::internal
