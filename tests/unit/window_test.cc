// Windowed aggregations through the TopologyTestDriver: tumbling, hopping, sliding and
// session windows, grace and late records, out-of-order records, suppress.
#include <gtest/gtest.h>

#include <unordered_map>

#include "runtime/topology_test_driver.h"
#include "streams/default_partitioner.h"
#include "streams/internal/segmented_stores.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using WindowCounts = std::map<std::pair<int64_t, int64_t>, int64_t>;  // [start, end] -> count

struct Harness {
  StreamsBuilder builder;
  KStream<std::string, std::string> input = builder.stream<std::string, std::string>("in");
  std::unique_ptr<TopologyTestDriver> driver;
  std::optional<TestInputTopic<std::string, std::string>> in;
  std::optional<TestOutputTopic<Windowed<std::string>, std::optional<int64_t>>> out;

  void start(KTable<Windowed<std::string>, int64_t> table) {
    table.toStream().to("out", Produced<Windowed<std::string>, std::optional<int64_t>>::with(
                                   WindowedSerdes::windowedSerdeFrom(Serdes::String()), Serdes::Int64()));
    driver = std::make_unique<TopologyTestDriver>(builder.build());
    in = driver->createInputTopic<std::string, std::string>("in");
    out = driver->createOutputTopic<Windowed<std::string>, std::optional<int64_t>>(
        "out", WindowedSerdes::windowedSerdeFrom(Serdes::String()), Serdes::Int64());
  }
  // The latest count per window (a deleted window is absent).
  WindowCounts latest() {
    WindowCounts counts;
    for (auto& r : out->readRecordsToList()) {
      auto w = std::make_pair(r.key.window.start, r.key.window.end);
      if (r.value) counts[w] = *r.value;
      else counts.erase(w);
    }
    return counts;
  }
};

// Window and session store keys are on disk and in changelogs: their bytes must not change.
TEST(WindowStoreKeys, NumbersAreBigEndianAfterTheSegmentAndMurmur2OfTheKey) {
  std::string key;
  internal::appendSegmentedKeyPrefix(key, 0x0102030405060708, "k", internal::segmentedKeyHash("k"));
  internal::appendInt64(key, -2);
  internal::appendInt32(key, 0xA0B0C0D0u);
  const auto hash = static_cast<uint32_t>(murmur2("k"));
  const std::string expected = std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8) +
                               static_cast<char>(hash >> 24) + static_cast<char>(hash >> 16) +
                               static_cast<char>(hash >> 8) + static_cast<char>(hash) + "k" +
                               std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8) + "\xa0\xb0\xc0\xd0";
  EXPECT_EQ(key, expected);
  EXPECT_EQ(internal::readInt64(key, 0), 0x0102030405060708);
  EXPECT_EQ(internal::readInt64(key, 13), -2);
}

TEST(Windows, TumblingWindowsCountPerWindow) {
  Harness h;
  h.start(h.input.groupByKey().windowedBy(TimeWindows::ofSizeWithNoGrace(60s)).count(
      Materialized<std::string, int64_t>::as("per-minute").withCachingDisabled()));
  h.in->pipeInput("card", "a", 0);
  h.in->pipeInput("card", "b", 30000);
  h.in->pipeInput("card", "c", 59999);
  h.in->pipeInput("card", "d", 60000);
  EXPECT_EQ(h.latest(), (WindowCounts{{{0, 60000}, 3}, {{60000, 120000}, 1}}));
  auto store = h.driver->getWindowStore<std::string, int64_t>("per-minute");
  EXPECT_EQ(store->fetch("card", 0), 3);
  EXPECT_EQ(store->fetch("card", 0, 60000).toList().size(), 2u);
  try {
    h.driver->getKeyValueStore<std::string, int64_t>("per-minute");
    FAIL() << "a window store is not a key-value store";
  } catch (const InvalidStateStoreException& e) {
    EXPECT_NE(std::string(e.what()).find("is a window store, not a key-value store"), std::string::npos) << e.what();
  }
}

TEST(Windows, HoppingWindowsPutARecordInEveryWindowThatContainsIt) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(TimeWindows::ofSizeWithNoGrace(10s).advanceBy(5s))
              .count(Materialized<std::string, int64_t>::as("hopping").withCachingDisabled()));
  h.in->pipeInput("k", "x", 7000);
  h.in->pipeInput("k", "y", 12000);
  EXPECT_EQ(h.latest(), (WindowCounts{{{0, 10000}, 1}, {{5000, 15000}, 2}, {{10000, 20000}, 1}}));
}

TEST(Windows, LateRecordsAfterGraceAreDroppedAndCountedOutOfOrderOnesWithinGraceAreNot) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(TimeWindows::ofSizeAndGrace(10s, 5s))
              .count(Materialized<std::string, int64_t>::as("graced").withCachingDisabled()));
  h.in->pipeInput("k", "a", 1000);
  h.in->pipeInput("k", "b", 12000);  // stream time 12 s: window [0,10) closes at 15 s
  h.in->pipeInput("k", "c", 8000);   // out of order, within grace: counted
  EXPECT_EQ(h.driver->droppedRecords(), 0);
  h.in->pipeInput("k", "d", 16000);  // stream time 16 s: window [0,10) is closed
  h.in->pipeInput("k", "e", 3000);   // late: dropped, never merged
  EXPECT_EQ(h.driver->droppedRecords(), 1);
  auto counts = h.latest();
  EXPECT_EQ(counts.at({0, 10000}), 2);
  EXPECT_EQ(counts.at({10000, 20000}), 2);
}

TEST(Windows, SuppressUntilWindowClosesEmitsOneFinalResultPerWindow) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(TimeWindows::ofSizeAndGrace(10s, 2s))
              .count()
              .suppress(Suppressed::untilWindowCloses(BufferConfig::unbounded())));
  h.in->pipeInput("k", "a", 1000);
  h.in->pipeInput("k", "b", 5000);
  h.in->pipeInput("j", "c", 9000);
  h.in->pipeInput("k", "d", 11000);
  EXPECT_TRUE(h.out->isEmpty()) << "nothing before [0,10) closes at 12 s";
  h.in->pipeInput("k", "e", 11999);
  EXPECT_TRUE(h.out->isEmpty());
  h.in->pipeInput("k", "f", 12000);  // stream time reaches 10 s + 2 s grace
  auto records = h.out->readKeyValuesToList();
  ASSERT_EQ(records.size(), 2u);
  std::map<std::string, int64_t> finals;
  for (auto& kv : records) {
    EXPECT_EQ(kv.key.window.start, 0);
    finals[kv.key.key] = *kv.value;
  }
  EXPECT_EQ(finals, (std::map<std::string, int64_t>{{"j", 1}, {"k", 2}}));
  h.in->pipeInput("k", "g", 30000);
  EXPECT_EQ(h.out->readKeyValue().value, 3) << "[10,20) closes when stream time passes 22 s";
}

TEST(Windows, SuppressUntilTimeLimitEmitsTheLatestValueAfterTheLimit) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in")
      .groupByKey()
      .count()
      .suppress(Suppressed::untilTimeLimit(5s, BufferConfig::maxRecords(100)))
      .toStream()
      .to("out", Produced<std::string, std::optional<int64_t>>::with(Serdes::String(), Serdes::Int64()));
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  auto out = driver.createOutputTopic<std::string, std::optional<int64_t>>("out");
  in.pipeInput("a", "1", 0);
  in.pipeInput("a", "2", 1000);
  in.pipeInput("a", "3", 4999);
  EXPECT_TRUE(out.isEmpty());
  in.pipeInput("b", "1", 5000);
  EXPECT_EQ(out.readKeyValuesToList(), (std::vector<KeyValue<std::string, std::optional<int64_t>>>{{"a", 3}}));
}

// A session stays open for its inactivity gap after its last record (then the grace): its
// final result waits that long, and a session merged into a later one is no final result.
TEST(Windows, SuppressUntilWindowClosesEmitsOneFinalResultPerSessionAfterItsGap) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(SessionWindows::ofInactivityGapWithNoGrace(10ms))
              .count(Materialized<std::string, int64_t>::as("sessions").withCachingDisabled())
              .suppress(Suppressed::untilWindowCloses(BufferConfig::unbounded())));
  h.in->pipeInput("k", "a", 0);
  h.in->pipeInput("k", "b", 5);  // extends the session: [0, 0] is merged away, not closed
  EXPECT_TRUE(h.out->isEmpty()) << "[0, 5] is open until stream time passes 5 + 10";
  h.in->pipeInput("k", "c", 100);
  auto records = h.out->readRecordsToList();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key.window.start, 0);
  EXPECT_EQ(records[0].key.window.end, 5);
  EXPECT_EQ(records[0].value, 2);
}

TEST(Windows, ASessionRecordWithinTheGapOfStreamTimeIsNotLate) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(SessionWindows::ofInactivityGapWithNoGrace(10s))
              .count(Materialized<std::string, int64_t>::as("sessions").withCachingDisabled()));
  h.in->pipeInput("k", "a", 0);
  h.in->pipeInput("j", "b", 5000);  // stream time 5 s
  h.in->pipeInput("k", "c", 3000);  // [0, 3000] could still grow until 13 s: merged, not dropped
  EXPECT_EQ(h.driver->droppedRecords(), 0);
  auto counts = h.latest();
  EXPECT_EQ(counts.at({0, 3000}), 2);
  h.in->pipeInput("j", "d", 30000);
  h.in->pipeInput("k", "e", 3500);  // stream time 30 s: past 3.5 s + 10 s
  EXPECT_EQ(h.driver->droppedRecords(), 1);
}

TEST(Windows, ASessionStillOpenAtItsLastMomentIsKept) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(SessionWindows::ofInactivityGapWithNoGrace(10ms))
              .count(Materialized<std::string, int64_t>::as("sessions").withCachingDisabled()));
  h.in->pipeInput("k", "a", 0);
  h.in->pipeInput("j", "b", 20);  // stream time 20: a session ending at 10 is still open
  h.in->pipeInput("k", "c", 10);  // [0, 10], exactly gap before stream time
  h.in->pipeInput("k", "d", 12);  // joins it
  EXPECT_EQ(h.latest().at({0, 12}), 3);
  EXPECT_EQ(h.driver->droppedRecords(), 0);
}

TEST(Windows, ABoundedFinalResultsBufferEmitsDueWindowsBeforeItCountsAsFull) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(TimeWindows::ofSizeWithNoGrace(10ms))
              .count(Materialized<std::string, int64_t>::as("counts").withCachingDisabled())
              .suppress(Suppressed::untilWindowCloses(BufferConfig::maxRecords(1))));
  h.in->pipeInput("k", "a", 5);
  h.in->pipeInput("k", "b", 15);  // closes [0, 10): one held window, not two
  auto records = h.out->readRecordsToList();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key.window.start, 0);
  EXPECT_EQ(records[0].value, 1);
}

TEST(Windows, SlidingWindowsFollowKafkaStreamsDefinition) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(SlidingWindows::ofTimeDifferenceWithNoGrace(5s))
              .count(Materialized<std::string, int64_t>::as("sliding").withCachingDisabled()));
  h.in->pipeInput("k", "A", 10000);
  h.in->pipeInput("k", "B", 12000);
  h.in->pipeInput("k", "C", 20000);
  // One window per distinct set of records within 5 s: {A}, {B}, {A, B}, {C}.
  EXPECT_EQ(h.latest(), (WindowCounts{{{5000, 10000}, 1}, {{10001, 15001}, 1}, {{7000, 12000}, 2}, {{15000, 20000}, 1}}));
}

TEST(Windows, SlidingWindowsUpdateEveryWindowAnOutOfOrderRecordFallsIn) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(SlidingWindows::ofTimeDifferenceAndGrace(5s, 10s))
              .count(Materialized<std::string, int64_t>::as("sliding").withCachingDisabled()));
  h.in->pipeInput("k", "A", 10000);
  h.in->pipeInput("k", "C", 14000);
  h.in->pipeInput("k", "B", 12000);  // out of order
  auto counts = h.latest();
  EXPECT_EQ(counts.at({9000, 14000}), 3) << "the window ending at C holds A, B and C";
  EXPECT_EQ(counts.at({7000, 12000}), 2) << "B's own window holds A and B";
  EXPECT_EQ(counts.at({10001, 15001}), 2) << "A's right window holds B and C";
}

TEST(Windows, SessionWindowsMergeSessionsARecordBridges) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(SessionWindows::ofInactivityGapWithNoGrace(5s))
              .count(Materialized<std::string, int64_t>::as("sessions").withCachingDisabled()));
  h.in->pipeInput("k", "a", 0);
  h.in->pipeInput("k", "b", 3000);
  h.in->pipeInput("k", "c", 10000);
  EXPECT_EQ(h.latest(), (WindowCounts{{{0, 3000}, 2}, {{10000, 10000}, 1}}));
  h.in->pipeInput("k", "d", 6000);  // within 5 s of both sessions: one session now
  EXPECT_EQ(h.latest(), (WindowCounts{{{0, 10000}, 4}}));
  auto sessions = h.driver->getSessionStore<std::string, int64_t>("sessions");
  auto all = sessions->fetch("k").toList();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].key.window.start, 0);
  EXPECT_EQ(all[0].value, 4);
}

TEST(Windows, SessionAggregateMergesWithTheMerger) {
  StreamsBuilder builder;
  builder.stream<std::string, int64_t>("in")
      .groupByKey()
      .windowedBy(SessionWindows::ofInactivityGapAndGrace(5s, 0ms))
      .aggregate([] { return int64_t{0}; },
                 [](const std::string&, const int64_t& v, const int64_t& sum) { return sum + v; },
                 [](const std::string&, const int64_t& a, const int64_t& b) { return a + b; },
                 Materialized<std::string, int64_t>::as("sums").withCachingDisabled());
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, int64_t>("in");
  in.pipeInput("k", 10, 0);
  in.pipeInput("k", 20, 8000);
  in.pipeInput("k", 5, 4000);  // bridges the two sessions
  auto sessions = driver.getSessionStore<std::string, int64_t>("sums");
  EXPECT_EQ(sessions->fetchSession("k", 0, 8000), 35);
}

TEST(Windows, ExpiredSegmentsAreDroppedFromTheStore) {
  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(TimeWindows::ofSizeWithNoGrace(1s))
              .count(Materialized<std::string, int64_t>::as("short").withCachingDisabled()));
  h.in->pipeInput("k", "a", 0);
  h.in->pipeInput("k", "b", 10 * 60 * 1000);  // ten minutes later: the first segment expires
  auto store = h.driver->getWindowStore<std::string, int64_t>("short");
  EXPECT_EQ(store->fetch("k", 0), std::nullopt);
  EXPECT_EQ(store->fetch("k", 10 * 60 * 1000), 1);
}

// Window store keys begin with a hash of the key (see segmented_stores.h); keys that share
// it, or share leading bytes, still keep their windows apart.
TEST(Windows, KeysWithTheSameHashOrTheSameLeadingBytesKeepTheirOwnWindows) {
  std::unordered_map<int32_t, std::string> byHash;
  std::pair<std::string, std::string> colliding;
  for (int i = 0; colliding.first.empty(); ++i) {
    std::string k = "key-" + std::to_string(i);
    auto [it, fresh] = byHash.emplace(murmur2(k), k);
    if (!fresh) colliding = {it->second, k};
  }
  ASSERT_EQ(murmur2(colliding.first), murmur2(colliding.second));

  Harness h;
  h.start(h.input.groupByKey()
              .windowedBy(TimeWindows::ofSizeWithNoGrace(1s))
              .count(Materialized<std::string, int64_t>::as("counts").withCachingDisabled()));
  const std::string withNul("k\0", 2);
  for (const std::string& k : {colliding.first, colliding.second, colliding.second, std::string("k"), withNul, withNul,
                               withNul})
    h.in->pipeInput(k, "x", 500);
  auto store = h.driver->getWindowStore<std::string, int64_t>("counts");
  EXPECT_EQ(store->fetch(colliding.first, 0), 1);
  EXPECT_EQ(store->fetch(colliding.second, 0), 2);
  EXPECT_EQ(store->fetch("k", 0), 1);
  EXPECT_EQ(store->fetch(withNul, 0), 3);
  EXPECT_EQ(store->fetch(colliding.second, 0, 1000).toList().size(), 1u);
  EXPECT_EQ(store->fetch("k", 0, 1000).toList().size(), 1u);
  EXPECT_EQ(store->fetchAll(0, 1000).toList().size(), 4u);
}

}  // namespace
}  // namespace kstreams
