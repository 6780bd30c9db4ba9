// A session store's searches of a key range and its backward reads: what each returns and
// in which order, over RocksDB and in memory, through the record cache before it is written
// down, and through the view over all of an instance's tasks that interactive queries use.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
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
constexpr int64_t kRetention = 2 * kSegment;  // keeps every session the tests write
constexpr int64_t kLatest = std::numeric_limits<int64_t>::max();
const std::vector<std::string> kKeys = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};
// Each key's sessions, by the segment of their end; the first of segment 1 starts in segment 0.
const std::vector<std::vector<Window>> kSessionsBySegment = {{{0, 100}, {500, 1000}},
                                                             {{59000, 60500}, {61000, 62000}}};

struct S {
  std::string key;
  int64_t start, end;
  int64_t value;
  bool operator==(const S&) const = default;
};
std::ostream& operator<<(std::ostream& os, const S& s) {
  return os << s.key << "@[" << s.start << "," << s.end << "]=" << s.value;
}

std::vector<S> listed(KeyValueIterator<Windowed<std::string>, int64_t> it) {
  std::vector<S> out;
  for (const auto& kv : it) out.push_back({kv.key.key, kv.key.window.start, kv.key.window.end, kv.value});
  return out;
}
std::vector<S> reversed(std::vector<S> s) {
  std::reverse(s.begin(), s.end());
  return s;
}
int64_t valueOf(size_t keyIndex, const Window& w) { return static_cast<int64_t>(keyIndex) * 1000000 + w.start; }

// The sessions of keys[from..to] that end at or after earliestEnd and start at or before
// latestStart, in the documented order of a key range: segment by segment, by key within
// one, each key's sessions by end.
std::vector<S> expectedRange(size_t from, size_t to, int64_t earliestEnd, int64_t latestStart) {
  std::vector<S> out;
  for (const auto& sessions : kSessionsBySegment)
    for (size_t k = from; k <= to; ++k)
      for (const Window& w : sessions)
        if (w.end >= earliestEnd && w.start <= latestStart) out.push_back({kKeys[k], w.start, w.end, valueOf(k, w)});
  return out;
}

using Store = TypedSessionStore<std::string, int64_t>;

class SessionStoreReadsTest : public LocalStoreTest {
 protected:
  void SetUp() override {
    LocalStoreTest::SetUp();
    store_.reset();
    store_ = open(kSegmentedKeyPrefixBytes);
  }
  static std::shared_ptr<KeyValueBytesStore> nonOwning(KeyValueBytesStore& s) {
    return std::shared_ptr<KeyValueBytesStore>(&s, [](KeyValueBytesStore*) {});
  }
  static Store sessionsOver(std::shared_ptr<KeyValueBytesStore> bytes) {
    return Store(std::move(bytes), Serdes::String(), Serdes::Int64(), kRetention);
  }
  // Every key's sessions, written in an order that is neither key nor time order.
  static void putAll(Store& sessions) {
    for (size_t seg = kSessionsBySegment.size(); seg-- > 0;)
      for (size_t k = kKeys.size(); k-- > 0;)
        for (const Window& w : kSessionsBySegment[seg]) sessions.put(Windowed<std::string>{kKeys[k], w}, valueOf(k, w));
  }
};

TEST_P(SessionStoreReadsTest, AKeyRangeIsBySegmentThenKeyThenEndAndBackwardIsItsReverse) {
  Store sessions = sessionsOver(nonOwning(*store_));
  putAll(sessions);
  std::vector<std::string> hashOrder;
  for (const S& s : listed(sessions.findSessionsEndingBetween(0, 1000))) hashOrder.push_back(s.key);
  ASSERT_FALSE(std::is_sorted(hashOrder.begin(), hashOrder.end())) << "the keys' hashes happen to be in key order";
  for (bool committed : {false, true}) {
    SCOPED_TRACE(committed ? "committed" : "pending");
    const std::vector<S> all = expectedRange(1, 5, 0, kLatest);  // bob..frank
    EXPECT_EQ(listed(sessions.fetch("bob", "frank")), all);
    EXPECT_EQ(listed(sessions.backwardFetch("bob", "frank")), reversed(all));
    EXPECT_EQ(listed(sessions.findSessions("bob", "frank", 0, kLatest)), all);
    // Ends at or after 1000 and starts at or before 59000: one session in each segment.
    const std::vector<S> some = expectedRange(2, 3, 1000, 59000);
    ASSERT_EQ(some.size(), 4u);
    EXPECT_EQ(listed(sessions.findSessions("carol", "dave", 1000, 59000)), some);
    EXPECT_EQ(listed(sessions.backwardFindSessions("carol", "dave", 1000, 59000)), reversed(some));
    EXPECT_EQ(listed(sessions.findSessions("b", "carl", 0, kLatest)), expectedRange(1, 1, 0, kLatest));
    store_->commit(std::nullopt);
  }
}

TEST_P(SessionStoreReadsTest, AnOpenEndOfTheKeyRangeReachesTheFirstOrLastKey) {
  Store sessions = sessionsOver(nonOwning(*store_));
  putAll(sessions);
  EXPECT_EQ(listed(sessions.fetch(std::nullopt, "carol")), expectedRange(0, 2, 0, kLatest));
  EXPECT_EQ(listed(sessions.fetch("frank", std::nullopt)), expectedRange(5, 7, 0, kLatest));
  EXPECT_EQ(listed(sessions.fetch(std::nullopt, std::nullopt)), expectedRange(0, 7, 0, kLatest));
  EXPECT_EQ(listed(sessions.backwardFetch(std::nullopt, "carol")), reversed(expectedRange(0, 2, 0, kLatest)));
  EXPECT_EQ(listed(sessions.findSessions(std::nullopt, std::nullopt, 60500, 60500)), expectedRange(0, 7, 60500, 60500));
  EXPECT_EQ(listed(sessions.backwardFindSessions("frank", std::nullopt, 0, 500)), reversed(expectedRange(5, 7, 0, 500)));
}

TEST_P(SessionStoreReadsTest, SearchesHoldingNothingReturnNothing) {
  Store sessions = sessionsOver(nonOwning(*store_));
  putAll(sessions);
  for (bool backward : {false, true}) {
    SCOPED_TRACE(backward ? "backward" : "forward");
    auto range = [&](std::optional<std::string> from, std::optional<std::string> to, int64_t e, int64_t l) {
      return listed(backward ? sessions.backwardFindSessions(from, to, e, l) : sessions.findSessions(from, to, e, l));
    };
    EXPECT_EQ(range("frank", "bob", 0, kLatest), std::vector<S>{}) << "keyFrom after keyTo";
    EXPECT_EQ(listed(backward ? sessions.backwardFetch("frank", "bob") : sessions.fetch("frank", "bob")),
              std::vector<S>{});
    EXPECT_EQ(range("bz", "c", 0, kLatest), std::vector<S>{}) << "no key between the bounds";
    EXPECT_EQ(range(std::nullopt, std::nullopt, 1001, 58999), std::vector<S>{}) << "no session overlaps";
    EXPECT_EQ(range(std::nullopt, std::nullopt, 62001, kLatest), std::vector<S>{}) << "past the data";
    auto one = [&](const std::string& key, int64_t e, int64_t l) {
      return listed(backward ? sessions.backwardFindSessions(key, e, l) : sessions.findSessions(key, e, l));
    };
    EXPECT_EQ(one("zoe", 0, kLatest), std::vector<S>{});
    EXPECT_EQ(one("bob", 1001, 58999), std::vector<S>{});
    EXPECT_EQ(listed(backward ? sessions.backwardFetch("zoe") : sessions.fetch("zoe")), std::vector<S>{});
  }
}

TEST_P(SessionStoreReadsTest, BackwardReadsOfOneKeyAreLatestFirstAcrossSegments) {
  Store sessions = sessionsOver(nonOwning(*store_));
  putAll(sessions);
  for (bool committed : {false, true}) {
    SCOPED_TRACE(committed ? "committed" : "pending");
    EXPECT_EQ(listed(sessions.backwardFetch("dave")), reversed(expectedRange(3, 3, 0, kLatest)));
    EXPECT_EQ(listed(sessions.fetch("dave")), expectedRange(3, 3, 0, kLatest));
    EXPECT_EQ(listed(sessions.backwardFindSessions("dave", 1000, 59000)), reversed(expectedRange(3, 3, 1000, 59000)));
    store_->commit(std::nullopt);
  }
}

// Through the record cache: sessions written to it and not yet written down (a merged
// session replacing two, and a new key) are read with those below it, each in its place.
TEST_P(SessionStoreReadsTest, TheCachesDirtySessionsAppearInTheirPlace) {
  CacheBudget budget{1 << 20, 0};
  LocalStore* local = store_.get();
  auto cache = std::make_shared<CachingStore>(std::move(store_), budget);
  Store sessions = sessionsOver(cache);
  putAll(sessions);
  cache->flush();
  local->commit(std::nullopt);

  // carol's two sessions of segment 0 merge into one, as a session aggregation does.
  for (const Window& w : kSessionsBySegment[0]) sessions.remove(Windowed<std::string>{"carol", w});
  sessions.put(Windowed<std::string>{"carol", Window{0, 1000}}, -1);
  sessions.put(Windowed<std::string>{"bobby", Window{60000, 60000}}, 7);  // a new key, between bob and carol
  const std::vector<S> expected = {
      {"bob", 0, 100, valueOf(1, {0, 100})},
      {"bob", 500, 1000, valueOf(1, {500, 1000})},
      {"carol", 0, 1000, -1},
      {"bob", 59000, 60500, valueOf(1, {59000, 60500})},
      {"bob", 61000, 62000, valueOf(1, {61000, 62000})},
      {"bobby", 60000, 60000, 7},
      {"carol", 59000, 60500, valueOf(2, {59000, 60500})},
      {"carol", 61000, 62000, valueOf(2, {61000, 62000})},
  };
  for (bool writtenDown : {false, true}) {
    SCOPED_TRACE(writtenDown ? "written down" : "dirty in the cache");
    EXPECT_EQ(listed(sessions.fetch("bob", "carol")), expected);
    EXPECT_EQ(listed(sessions.backwardFetch("bob", "carol")), reversed(expected));
    EXPECT_EQ(listed(sessions.backwardFetch("carol")),
              (std::vector<S>{expected[7], expected[6], expected[2]}));
    EXPECT_EQ(listed(sessions.backwardFindSessions("bobby", 0, kLatest)), (std::vector<S>{expected[5]}));
    cache->flush();
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, SessionStoreReadsTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "RocksDB" : "InMemory"; });

// The view interactive queries read (KafkaStreams::sessionStore): each task holds other
// keys; a key range merges them into one key order within each segment.
TEST(SessionStoreReadsOfAllTasks, AKeyRangeMergesTheTasksKeysInOrder) {
  StoreRegistry registry;
  std::vector<std::unique_ptr<LocalStore>> tasks;
  for (int32_t partition = 0; partition < 2; ++partition) {
    tasks.push_back(openInMemoryStore("s", kSegmentedKeyPrefixBytes));
    Store sessions(std::shared_ptr<KeyValueBytesStore>(tasks.back().get(), [](KeyValueBytesStore*) {}),
                   Serdes::String(), Serdes::Int64(), kRetention);
    for (size_t k = partition; k < kKeys.size(); k += 2)  // alice, carol, ... in one; bob, dave, ... in the other
      for (const auto& segment : kSessionsBySegment)
        for (const Window& w : segment) sessions.put(Windowed<std::string>{kKeys[k], w}, valueOf(k, w));
    tasks.back()->commit(std::nullopt);
    registry.add("s", TaskId{0, partition}, tasks.back()->committedReader());
  }
  Store view(std::make_shared<CompositeReader>(registry, "s"), Serdes::String(), Serdes::Int64(), kRetention);
  EXPECT_EQ(listed(view.fetch("bob", "grace")), expectedRange(1, 6, 0, kLatest));
  EXPECT_EQ(listed(view.backwardFindSessions(std::nullopt, std::nullopt, 1000, 59000)),
            reversed(expectedRange(0, 7, 1000, 59000)));
  EXPECT_EQ(listed(view.backwardFetch("erin")), reversed(expectedRange(4, 4, 0, kLatest)));
}

}  // namespace
}  // namespace kstreams::internal
