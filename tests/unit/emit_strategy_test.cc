// EmitStrategy::onWindowClose() through the TopologyTestDriver: nothing goes downstream
// before a window closes, then its final result exactly once; late records; the wall-clock
// throttle between emits. And a windowed store's retention too short for its windows.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;

struct Result {
  std::string key;
  int64_t start, end;
  std::optional<int64_t> count;
  int64_t timestamp;
  bool operator==(const Result&) const = default;
  auto operator<=>(const Result&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Result& r) {
  return os << r.key << "@[" << r.start << "," << r.end << "]=" << (r.count ? std::to_string(*r.count) : "null")
            << " ts " << r.timestamp;
}

using Counter = std::function<KTable<Windowed<std::string>, int64_t>(KGroupedStream<std::string, std::string>,
                                                                      EmitStrategy)>;

struct Harness {
  StreamsBuilder builder;
  std::unique_ptr<TopologyTestDriver> driver;
  std::optional<TestInputTopic<std::string, std::string>> in;
  std::optional<TestOutputTopic<Windowed<std::string>, std::optional<int64_t>>> out;

  Harness(const Counter& count, EmitStrategy emit) {
    count(builder.stream<std::string, std::string>("in").groupByKey(), emit)
        .toStream()
        .to("out", Produced<Windowed<std::string>, std::optional<int64_t>>::with(
                       WindowedSerdes::windowedSerdeFrom(Serdes::String()), Serdes::Int64()));
    driver = std::make_unique<TopologyTestDriver>(builder.build());
    in = driver->createInputTopic<std::string, std::string>("in");
    out = driver->createOutputTopic<Windowed<std::string>, std::optional<int64_t>>(
        "out", WindowedSerdes::windowedSerdeFrom(Serdes::String()), Serdes::Int64());
  }
  // A second of wall clock before each record: the throttle lets every record emit.
  void pipe(const std::string& key, int64_t timestamp) {
    driver->advanceWallClockTime(1s);
    in->pipeInput(key, "v", timestamp);
  }
  // Sorted: a store sends the windows of a time range in the order of its keys' bytes.
  std::vector<Result> read() {
    std::vector<Result> results;
    for (auto& r : out->readRecordsToList())
      results.push_back(Result{r.key.key, r.key.window.start, r.key.window.end, r.value, r.timestamp});
    std::sort(results.begin(), results.end());
    return results;
  }
};

Counter tumbling(int64_t size, int64_t grace, bool caching = false) {
  return [=](KGroupedStream<std::string, std::string> g, EmitStrategy emit) {
    auto m = Materialized<std::string, int64_t>::as("counts");
    if (!caching) m = m.withCachingDisabled();
    return g.windowedBy(TimeWindows::ofSizeAndGrace(std::chrono::milliseconds(size), std::chrono::milliseconds(grace)))
        .emitStrategy(emit)
        .count(m);
  };
}

TEST(EmitOnWindowClose, TumblingSendsEachWindowOnceWhenItClosesAndNothingBefore) {
  for (bool caching : {false, true}) {
    SCOPED_TRACE(caching ? "caching" : "no caching");
    Harness h(tumbling(10, 0, caching), EmitStrategy::onWindowClose());
    h.pipe("a", 1);
    h.pipe("a", 5);
    h.pipe("b", 7);
    h.pipe("a", 9);
    EXPECT_TRUE(h.read().empty()) << "nothing before the window closes";
    h.pipe("a", 10);  // closes [0, 10): its end is the close time
    EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 0, 10, 3, 9}, {"b", 0, 10, 1, 7}}));
    h.pipe("b", 15);
    h.pipe("a", 3);  // late: dropped, and [0, 10) is not sent again
    EXPECT_EQ(h.driver->droppedRecords(), 1);
    EXPECT_TRUE(h.read().empty());
    h.pipe("a", 31);
    EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 10, 20, 1, 10}, {"b", 10, 20, 1, 15}}));
  }
}

TEST(EmitOnWindowClose, GraceKeepsTheWindowOpenAndLateRecordsWithinItCount) {
  Harness h(tumbling(10, 5), EmitStrategy::onWindowClose());
  h.pipe("a", 1);
  h.pipe("a", 14);  // close time 9: [0, 10) still takes records
  h.pipe("a", 8);
  EXPECT_TRUE(h.read().empty());
  h.pipe("a", 15);  // close time 10
  EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 0, 10, 2, 8}}));
}

TEST(EmitOnWindowClose, HoppingSendsEveryClosedWindowOnce) {
  Harness h(
      [](KGroupedStream<std::string, std::string> g, EmitStrategy emit) {
        return g.windowedBy(TimeWindows::ofSizeWithNoGrace(10ms).advanceBy(5ms))
            .emitStrategy(emit)
            .count(Materialized<std::string, int64_t>::as("counts"));
      },
      EmitStrategy::onWindowClose());
  h.pipe("a", 1);
  h.pipe("a", 6);
  h.pipe("a", 20);  // closes the windows that end by 20: starting at 0, 5 (and 10, empty)
  EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 0, 10, 2, 6}, {"a", 5, 15, 1, 6}}));
  h.pipe("a", 21);  // close time 21: no window start in (10, 11]
  EXPECT_TRUE(h.read().empty());
  h.pipe("a", 26);  // [15, 25) closed
  EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 15, 25, 2, 21}}));
}

// The final results are the last updates onWindowUpdate() would send, one per window.
void expectFinalsAreTheLastUpdates(const Counter& count, const std::vector<std::pair<std::string, int64_t>>& records,
                                   size_t expectedWindows) {
  Harness updates(count, EmitStrategy::onWindowUpdate());
  Harness finals(count, EmitStrategy::onWindowClose());
  for (const auto& [key, ts] : records) {
    updates.pipe(key, ts);
    finals.pipe(key, ts);
  }
  std::map<std::tuple<std::string, int64_t, int64_t>, Result> last;
  for (Result& r : updates.read()) {
    if (r.count) last[{r.key, r.start, r.end}] = r;
    else last.erase({r.key, r.start, r.end});
  }
  std::map<std::tuple<std::string, int64_t, int64_t>, Result> sent;
  for (Result& r : finals.read()) {
    EXPECT_TRUE(sent.emplace(std::make_tuple(r.key, r.start, r.end), r).second) << "sent twice: " << r;
    auto it = last.find({r.key, r.start, r.end});
    ASSERT_NE(it, last.end()) << "no such window: " << r;
    EXPECT_EQ(r.count, it->second.count) << r;
  }
  EXPECT_EQ(sent.size(), expectedWindows);
}

TEST(EmitOnWindowClose, SlidingSendsTheLastUpdateOfEachClosedWindow) {
  const Counter sliding = [](KGroupedStream<std::string, std::string> g, EmitStrategy emit) {
    return g.windowedBy(SlidingWindows::ofTimeDifferenceWithNoGrace(10ms))
        .emitStrategy(emit)
        .count(Materialized<std::string, int64_t>::as("counts").withCachingDisabled());
  };
  // a: [10,20]=1, [15,25]=2, [21,31]=1 close (end < 40); [30,40] stays open.
  expectFinalsAreTheLastUpdates(sliding, {{"a", 20}, {"a", 25}, {"a", 40}}, 3);

  Harness h(sliding, EmitStrategy::onWindowClose());
  h.pipe("a", 20);
  h.pipe("a", 25);
  h.pipe("a", 35);  // close time 35: [25, 35] and the right window [26, 36] stay open
  EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 10, 20, 1, 20}, {"a", 15, 25, 2, 25}, {"a", 21, 31, 1, 25}}));
  h.pipe("a", 45);
  auto next = h.read();
  ASSERT_FALSE(next.empty());
  for (const Result& r : next) EXPECT_LT(r.end, 45) << r;
  for (const Result& r : next) EXPECT_GE(r.end, 35) << r;
}

TEST(EmitOnWindowClose, SessionsAreSentOnceClosedWithTheirEndAsTimestamp) {
  const Counter sessions = [](KGroupedStream<std::string, std::string> g, EmitStrategy emit) {
    return g.windowedBy(SessionWindows::ofInactivityGapWithNoGrace(10ms))
        .emitStrategy(emit)
        .count(Materialized<std::string, int64_t>::as("sessions"));
  };
  Harness h(sessions, EmitStrategy::onWindowClose());
  h.pipe("a", 0);
  h.pipe("a", 5);
  h.pipe("b", 3);
  h.pipe("a", 12);  // merges into a's [0, 12]
  EXPECT_TRUE(h.read().empty());
  h.pipe("c", 30);  // close time 20: sessions ending before it
  EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 0, 12, 3, 12}, {"b", 3, 3, 1, 3}}));
  h.pipe("a", 2);  // late
  EXPECT_EQ(h.driver->droppedRecords(), 1);
  h.pipe("c", 31);
  EXPECT_TRUE(h.read().empty());
  h.pipe("d", 50);
  EXPECT_EQ(h.read(), (std::vector<Result>{{"c", 30, 31, 2, 31}}));

  expectFinalsAreTheLastUpdates(sessions, {{"a", 0}, {"a", 5}, {"b", 3}, {"a", 12}, {"c", 30}, {"c", 31}, {"d", 50}},
                                3);
}

TEST(EmitOnWindowClose, EmitsAtMostOncePerSecondOfWallClock) {
  Harness h(tumbling(10, 0), EmitStrategy::onWindowClose());
  h.in->pipeInput("a", "v", 1);   // wall clock 0: looks (nothing closed), next look at 1000
  h.in->pipeInput("a", "v", 12);  // [0, 10) closed, but the throttle holds the emit back
  EXPECT_TRUE(h.read().empty());
  h.driver->advanceWallClockTime(999ms);
  h.in->pipeInput("a", "v", 13);
  EXPECT_TRUE(h.read().empty());
  h.driver->advanceWallClockTime(1ms);
  h.in->pipeInput("a", "v", 14);
  EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 0, 10, 1, 1}}));
  h.in->pipeInput("a", "v", 25);  // [10, 20) closed, next look at 2000
  EXPECT_TRUE(h.read().empty());
  h.driver->advanceWallClockTime(1s);
  h.in->pipeInput("a", "v", 3);  // late, but it lets the held-back emit through
  EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 10, 20, 3, 14}}));
}

TEST(EmitOnWindowClose, OnWindowUpdateIsTheDefault) {
  Harness h(
      [](KGroupedStream<std::string, std::string> g, EmitStrategy) {
        return g.windowedBy(TimeWindows::ofSizeWithNoGrace(10ms))
            .count(Materialized<std::string, int64_t>::as("counts").withCachingDisabled());
      },
      EmitStrategy::onWindowClose());
  h.pipe("a", 1);
  EXPECT_EQ(h.read(), (std::vector<Result>{{"a", 0, 10, 1, 1}}));
}

// As in Kafka Streams: a retention that would drop windows still open is an error, not
// silently extended.
TEST(WindowRetention, ShorterThanWhatKeepsWindowsOpenIsAnErrorNamingTheStore) {
  StreamsBuilder builder;
  auto grouped = builder.stream<std::string, std::string>("in").groupByKey();
  auto expectRefused = [](const std::function<void()>& define, const std::string& store) {
    try {
      define();
      ADD_FAILURE() << "accepted " << store;
    } catch (const TopologyException& e) {
      EXPECT_NE(std::string(e.what()).find(store), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("withRetention"), std::string::npos) << e.what();
    }
  };
  expectRefused(
      [&] {
        grouped.windowedBy(TimeWindows::ofSizeAndGrace(10s, 5s))
            .count(Materialized<std::string, int64_t>::as("short-tumbling").withRetention(14999ms));
      },
      "short-tumbling");
  expectRefused(
      [&] {
        grouped.windowedBy(SlidingWindows::ofTimeDifferenceAndGrace(10s, 5s))
            .count(Materialized<std::string, int64_t>::as("short-sliding").withRetention(24999ms));
      },
      "short-sliding");
  expectRefused(
      [&] {
        grouped.windowedBy(SessionWindows::ofInactivityGapAndGrace(10s, 5s))
            .count(Materialized<std::string, int64_t>::as("short-sessions").withRetention(14999ms));
      },
      "short-sessions");
  // Exactly enough is accepted.
  grouped.windowedBy(TimeWindows::ofSizeAndGrace(10s, 5s))
      .count(Materialized<std::string, int64_t>::as("tumbling").withRetention(15s));
  grouped.windowedBy(SlidingWindows::ofTimeDifferenceAndGrace(10s, 5s))
      .count(Materialized<std::string, int64_t>::as("sliding").withRetention(25s));
  grouped.windowedBy(SessionWindows::ofInactivityGapAndGrace(10s, 5s))
      .count(Materialized<std::string, int64_t>::as("sessions").withRetention(15s));
}

}  // namespace
}  // namespace kstreams
