// Window and session stores over a local store: segments expired at once, iterators that
// outlive the segments a put expires; and their query views read from two threads.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "state/in_memory_store.h"
#include "streams/internal/segmented_stores.h"
#include "tests/unit/local_store_fixture.h"

namespace kstreams::internal {
namespace {

// Window and session stores over a local store, as a task's processors see them.
class SegmentedStoreTest : public LocalStoreTest {
 protected:
  static constexpr int64_t kRetention = 60000;  // and the segment interval (at least a minute)
  void SetUp() override {
    LocalStoreTest::SetUp();
    store_.reset();
    store_ = open(kSegmentedKeyPrefixBytes);
    bytes_ = std::shared_ptr<KeyValueBytesStore>(store_.get(), [](KeyValueBytesStore*) {});
  }
  std::shared_ptr<KeyValueBytesStore> bytes_;
};

// Kafka Streams reads nothing of a segment once it has dropped it; the commit that applies
// the drop to the committed data must not be what hides its windows.
TEST_P(SegmentedStoreTest, ExpiredWindowsAreGoneAtOnceNotAtTheNextCommit) {
  TypedWindowStore<std::string, int64_t> windows(bytes_, Serdes::String(), Serdes::Int64(), 1000, kRetention, false);
  windows.put("k", 1, 0);
  windows.put("j", 1, 0);
  store_->commit(std::nullopt);
  windows.put("k", 2, 2 * kRetention);  // segment 0 expires
  for (bool committed : {false, true}) {
    SCOPED_TRACE(committed ? "committed" : "before the commit");
    EXPECT_EQ(windows.fetch("k", 0), std::nullopt);
    EXPECT_EQ(windows.fetch("j", 0), std::nullopt);
    EXPECT_EQ(windows.fetch("k", 0, 2 * kRetention).toList().size(), 1u);
    EXPECT_EQ(windows.fetchAll(0, 2 * kRetention).toList().size(), 1u);
    auto all = windows.all().toList();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].key.window.start, 2 * kRetention);
    store_->commit(std::nullopt);
  }
}

TEST_P(SegmentedStoreTest, ExpiredSessionsAreGoneAtOnceNotAtTheNextCommit) {
  TypedSessionStore<std::string, int64_t> sessions(bytes_, Serdes::String(), Serdes::Int64(), kRetention);
  sessions.put(Windowed<std::string>{"k", Window{0, 10}}, 1);
  store_->commit(std::nullopt);
  sessions.put(Windowed<std::string>{"k", Window{2 * kRetention, 2 * kRetention}}, 2);  // segment 0 expires
  for (bool committed : {false, true}) {
    SCOPED_TRACE(committed ? "committed" : "before the commit");
    EXPECT_EQ(sessions.fetchSession("k", 0, 10), std::nullopt);
    EXPECT_EQ(sessions.fetch("k").toList().size(), 1u);
    store_->commit(std::nullopt);
  }
}

// A restarted task's store holds what its changelog restored, windows past the retention
// included (the changelog keeps them a day longer). Once the restore is done they are
// gone, not at the task's first put. The data is written by two stores that each saw only
// part of it, as a changelog's records reach a restore without the puts' drops.
TEST_P(SegmentedStoreTest, WindowsTheRestoredDataShowsExpiredAreGoneOnceRestored) {
  TypedWindowStore<std::string, int64_t> newer(bytes_, Serdes::String(), Serdes::Int64(), 1000, kRetention, false);
  newer.put("k", 2, 3 * kRetention);
  TypedWindowStore<std::string, int64_t> older(bytes_, Serdes::String(), Serdes::Int64(), 1000, kRetention, false);
  older.put("k", 1, 0);
  store_->commit(std::nullopt);

  TypedWindowStore<std::string, int64_t> restarted(bytes_, Serdes::String(), Serdes::Int64(), 1000, kRetention,
                                                   false);
  ASSERT_EQ(restarted.fetch("k", 0), 1);  // what the restore wrote
  restarted.restored();
  EXPECT_EQ(restarted.fetch("k", 0), std::nullopt);
  EXPECT_EQ(restarted.fetch("k", 3 * kRetention), 2);
  EXPECT_EQ(restarted.all().toList().size(), 1u);
  store_->commit(std::nullopt);
  EXPECT_EQ(restarted.fetch("k", 0, 3 * kRetention).toList().size(), 1u);
}

TEST_P(SegmentedStoreTest, SessionsTheRestoredDataShowsExpiredAreGoneOnceRestored) {
  TypedSessionStore<std::string, int64_t> newer(bytes_, Serdes::String(), Serdes::Int64(), kRetention);
  newer.put(Windowed<std::string>{"k", Window{3 * kRetention, 3 * kRetention}}, 2);
  TypedSessionStore<std::string, int64_t> older(bytes_, Serdes::String(), Serdes::Int64(), kRetention);
  older.put(Windowed<std::string>{"k", Window{0, 10}}, 1);
  store_->commit(std::nullopt);

  TypedSessionStore<std::string, int64_t> restarted(bytes_, Serdes::String(), Serdes::Int64(), kRetention);
  ASSERT_EQ(restarted.fetchSession("k", 0, 10), 1);
  restarted.restored();
  EXPECT_EQ(restarted.fetchSession("k", 0, 10), std::nullopt);
  EXPECT_EQ(restarted.fetch("k").toList().size(), 1u);
}

// A put that expires segments while all() is open (a processor scanning its windows and
// writing as it goes): the iterator goes on over the live windows, each once.
TEST_P(SegmentedStoreTest, AWindowIteratorOutlivesTheSegmentsAPutExpires) {
  TypedWindowStore<std::string, int64_t> windows(bytes_, Serdes::String(), Serdes::Int64(), 1000, kRetention, false);
  for (int i = 0; i < 20; ++i) windows.put("k" + std::to_string(i), i, 0);  // segment 0, pending
  for (int i = 0; i < 20; ++i) windows.put("k" + std::to_string(i), 100 + i, kRetention);  // segment 1
  auto it = windows.all();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(it.hasNext());
    EXPECT_EQ(it.next().key.window.start, 0);
  }
  windows.put("late", 7, 2 * kRetention);  // segment 0 expires
  EXPECT_EQ(windows.all().toList().size(), 21u);
  int live = 0;
  for (int n = 0; it.hasNext() && n < 100; ++n) {
    auto kv = it.next();
    if (kv.key.window.start != kRetention) continue;
    EXPECT_EQ(kv.value, 100 + std::stoi(kv.key.key.substr(1)));
    ++live;
  }
  EXPECT_EQ(live, 20);
}

INSTANTIATE_TEST_SUITE_P(Stores, SegmentedStoreTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "RocksDB" : "InMemory"; });
// A committed-data reader that calls hooks as a range over the whole store opens and as it
// closes: a test's way to stop a reader at a point of its choosing while another reads.
class HookedReader final : public KeyValueBytesStore {
 public:
  explicit HookedReader(std::shared_ptr<KeyValueBytesStore> inner) : inner_(std::move(inner)) {}
  std::function<void(bool reverse)> opened, closed;

  const std::string& name() const override { return inner_->name(); }
  bool persistent() const override { return false; }
  void flush() override {}
  std::optional<std::string> get(std::string_view key) override { return inner_->get(key); }
  void put(std::string_view, std::optional<std::string_view>, int64_t) override {}
  void deleteBefore(std::string_view) override {}
  int64_t approximateNumEntries() override { return inner_->approximateNumEntries(); }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override {
    if (from || to) return inner_->range(from, to, reverse);
    if (opened) opened(reverse);
    return std::make_unique<Hooked>(inner_->range(from, to, reverse), [this, reverse] {
      if (closed) closed(reverse);
    });
  }

 private:
  class Hooked final : public BytesIterator {
   public:
    Hooked(std::unique_ptr<BytesIterator> inner, std::function<void()> onClose)
        : inner_(std::move(inner)), onClose_(std::move(onClose)) {}
    ~Hooked() override { onClose_(); }
    bool valid() const override { return inner_->valid(); }
    std::string_view key() const override { return inner_->key(); }
    std::string_view value() const override { return inner_->value(); }
    void next() override { inner_->next(); }

   private:
    std::unique_ptr<BytesIterator> inner_;
    std::function<void()> onClose_;
  };
  std::shared_ptr<KeyValueBytesStore> inner_;
};

// Committed windows of "a" (1) and "b" (2) at 0, and a session of each, in two in-memory
// stores, read through hooked readers.
struct CommittedWindowsAndSessions {
  std::unique_ptr<LocalStore> windowStore = openInMemoryStore("w", kSegmentedKeyPrefixBytes);
  std::unique_ptr<LocalStore> sessionStore = openInMemoryStore("s", kSegmentedKeyPrefixBytes);
  std::shared_ptr<HookedReader> windowReader, sessionReader;
  CommittedWindowsAndSessions() {
    auto nonOwning = [](LocalStore& s) { return std::shared_ptr<KeyValueBytesStore>(&s, [](KeyValueBytesStore*) {}); };
    TypedWindowStore<std::string, int64_t> windows(nonOwning(*windowStore), Serdes::String(), Serdes::Int64(), 1000,
                                                   60000, false);
    TypedSessionStore<std::string, int64_t> sessions(nonOwning(*sessionStore), Serdes::String(), Serdes::Int64(), 60000);
    for (auto [key, value] : {std::pair<std::string, int64_t>{"a", 1}, {"b", 2}}) {
      windows.put(key, value, 0);
      sessions.put(Windowed<std::string>{key, Window{0, 10}}, value);
    }
    windowStore->commit(std::nullopt);
    sessionStore->commit(std::nullopt);
    windowReader = std::make_shared<HookedReader>(windowStore->committedReader());
    sessionReader = std::make_shared<HookedReader>(sessionStore->committedReader());
  }
};

// A read of a view (the main thread's) is stopped just after it has read which segments
// hold data, until a second thread's read of the same view has begun its own; then the
// first goes on while the second waits. Each must see everything: a view shared between
// threads (KafkaStreams::windowStore(), sessionStore()) keeps nothing of one read for another.
void expectBothThreadsReadEverything(HookedReader& reader, const std::function<size_t()>& read, size_t expected) {
  const auto mainThread = std::this_thread::get_id();
  std::promise<void> firstStopped, secondStarted, firstDone;
  auto firstStoppedF = firstStopped.get_future();
  auto secondStartedF = secondStarted.get_future();
  auto firstDoneF = firstDone.get_future();
  std::atomic<bool> firstGated{false}, secondGated{false};
  reader.closed = [&](bool reverse) {  // the last segment is read: the bounds are known
    if (!reverse || std::this_thread::get_id() != mainThread || firstGated.exchange(true)) return;
    firstStopped.set_value();
    secondStartedF.wait();
  };
  reader.opened = [&](bool) {
    if (std::this_thread::get_id() == mainThread || secondGated.exchange(true)) return;
    secondStarted.set_value();
    firstDoneF.wait();
  };
  size_t second = 0;
  std::thread other([&] {
    firstStoppedF.wait();
    second = read();
  });
  const size_t first = read();
  firstDone.set_value();
  other.join();
  reader.opened = nullptr;
  reader.closed = nullptr;
  EXPECT_TRUE(firstGated && secondGated) << "the two reads did not meet where the test stops them";
  EXPECT_EQ(first, expected) << "the first thread's read";
  EXPECT_EQ(second, expected) << "the second thread's read";
}

TEST(SegmentedStoreViews, TwoThreadsReadingOneViewEachSeeEveryWindowAndSession) {
  CommittedWindowsAndSessions data;
  TypedWindowStore<std::string, int64_t> windows(data.windowReader, Serdes::String(), Serdes::Int64(), 1000, 60000,
                                                 false);
  TypedSessionStore<std::string, int64_t> sessions(data.sessionReader, Serdes::String(), Serdes::Int64(), 60000);
  {
    SCOPED_TRACE("fetchAll");
    expectBothThreadsReadEverything(*data.windowReader, [&] { return windows.fetchAll(0, 1000).toList().size(); }, 2);
  }
  {
    SCOPED_TRACE("fetch");
    expectBothThreadsReadEverything(*data.windowReader, [&] { return windows.fetch("a", 0, 1000).toList().size(); }, 1);
  }
  {
    SCOPED_TRACE("findSessions");
    expectBothThreadsReadEverything(*data.sessionReader, [&] { return sessions.fetch("b").toList().size(); }, 1);
  }
}

// A fetch of one window serializes its key while another thread fetches another key's
// window from the same view: each gets its own key's window.
TEST(SegmentedStoreViews, TwoThreadsFetchingOneWindowEachGetTheirOwnKey) {
  CommittedWindowsAndSessions data;
  const auto mainThread = std::this_thread::get_id();
  std::promise<void> firstSerialized, secondDone;
  auto firstSerializedF = firstSerialized.get_future();
  auto secondDoneF = secondDone.get_future();
  std::atomic<bool> armed{false};
  // Serializes as Serdes::String() does; the main thread's fetch stops after its key.
  auto keys = Serdes::from<std::string>(
      [&](const std::string& key, std::string& out) {
        out.append(key);
        if (std::this_thread::get_id() != mainThread || !armed.exchange(false)) return;
        firstSerialized.set_value();
        secondDoneF.wait();
      },
      [](std::string_view bytes) { return std::string(bytes); }, "StoppingString");
  TypedWindowStore<std::string, int64_t> windows(data.windowReader, keys, Serdes::Int64(), 1000, 60000, false);
  std::optional<int64_t> b;
  std::thread other([&] {
    firstSerializedF.wait();
    b = windows.fetch("b", 0);
    secondDone.set_value();
  });
  armed = true;
  const std::optional<int64_t> a = windows.fetch("a", 0);
  other.join();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
}

}  // namespace
}  // namespace kstreams::internal
