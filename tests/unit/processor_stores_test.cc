// Window and session stores in the Processor API: built the way Kafka Streams builds them
// (a supplier, then a builder), connected to processors, and read back by queries.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr int64_t kMinute = 60'000;

// Counts each key's records per minute in a window store, forwarding the running count.
class PerMinuteCounter : public Processor<std::string, std::string, std::string, int64_t> {
 public:
  void init(ProcessorContext<std::string, int64_t>& ctx) override {
    ctx_ = &ctx;
    store_ = &ctx.getStateStore<WindowStore<std::string, int64_t>>("per-minute");
  }
  void process(Record<std::string, std::string> r) override {
    const int64_t start = r.timestamp - r.timestamp % kMinute;
    const int64_t n = store_->fetch(r.key, start).value_or(0) + 1;
    store_->put(r.key, n, start);
    ctx_->forward(Record<std::string, int64_t>{r.key, n, r.timestamp, {}});
  }

 private:
  ProcessorContext<std::string, int64_t>* ctx_ = nullptr;
  WindowStore<std::string, int64_t>* store_ = nullptr;
};

TEST(ProcessorStores, AWindowStoreKeepsAValuePerKeyAndWindow) {
  StreamsBuilder builder;
  builder.addStateStore(Stores::windowStoreBuilder<std::string, int64_t>(
      Stores::persistentWindowStore("per-minute", minutes(10), minutes(1), false)));
  builder.stream<std::string, std::string>("clicks")
      .process([] { return std::make_unique<PerMinuteCounter>(); }, {"per-minute"})
      .to("counts");
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("clicks");
  auto out = driver.createOutputTopic<std::string, int64_t>("counts");
  in.pipeInput("alice", "a", 1'000);
  in.pipeInput("alice", "b", 2'000);
  in.pipeInput("bob", "c", 3'000);
  in.pipeInput("alice", "d", kMinute + 5);  // the next minute
  EXPECT_EQ(out.readValuesToList(), (std::vector<int64_t>{1, 2, 1, 1}));

  auto view = driver.getWindowStore<std::string, int64_t>("per-minute");
  EXPECT_EQ(view->fetch("alice", 0), 2);
  EXPECT_EQ(view->fetch("alice", kMinute), 1);
  EXPECT_EQ(view->fetch("bob", 0), 1);
  EXPECT_EQ(view->fetch("alice", 0, kMinute).toList(),
            (std::vector<KeyValue<int64_t, int64_t>>{{0, 2}, {kMinute, 1}}));
}

TEST(ProcessorStores, AWindowStoreDropsWindowsOlderThanItsRetention) {
  StreamsBuilder builder;
  builder.addStateStore(Stores::windowStoreBuilder<std::string, int64_t>(
      Stores::inMemoryWindowStore("per-minute", minutes(2), minutes(1), false)));
  builder.stream<std::string, std::string>("clicks")
      .process([] { return std::make_unique<PerMinuteCounter>(); }, {"per-minute"})
      .to("counts");
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("clicks");
  in.pipeInput("alice", "a", 1'000);
  auto view = driver.getWindowStore<std::string, int64_t>("per-minute");
  ASSERT_EQ(view->fetch("alice", 0), 1);
  // Stream time ten minutes on: the first minute's window is past the two minutes kept.
  in.pipeInput("bob", "b", 10 * kMinute);
  EXPECT_EQ(view->fetch("alice", 0), std::nullopt);
  EXPECT_EQ(view->fetch("bob", 10 * kMinute), 1);
}

// Keeps every click of a key in a store that retains duplicates, and forwards how many
// clicks the key had in the minute before this one (inclusive).
class RecentClicks : public Processor<std::string, std::string, std::string, int64_t> {
 public:
  void init(ProcessorContext<std::string, int64_t>& ctx) override {
    ctx_ = &ctx;
    store_ = &ctx.getStateStore<WindowStore<std::string, std::string>>("clicks-seen");
  }
  void process(Record<std::string, std::string> r) override {
    store_->put(r.key, r.value, r.timestamp);
    const auto recent = store_->fetch(r.key, r.timestamp - kMinute, r.timestamp).toList();
    ctx_->forward(Record<std::string, int64_t>{r.key, static_cast<int64_t>(recent.size()), r.timestamp, {}});
  }

 private:
  ProcessorContext<std::string, int64_t>* ctx_ = nullptr;
  WindowStore<std::string, std::string>* store_ = nullptr;
};

TEST(ProcessorStores, AWindowStoreThatRetainsDuplicatesKeepsEveryPut) {
  Topology topology;
  topology.addSource<std::string, std::string>("source", {"clicks"})
      .addProcessor("recent", [] { return std::make_unique<RecentClicks>(); }, {"source"})
      .addStateStore(Stores::windowStoreBuilder<std::string, std::string>(
                         Stores::persistentWindowStore("clicks-seen", minutes(5), minutes(1), true), Serdes::String(),
                         Serdes::String()),
                     {"recent"})
      .addSink<std::string, int64_t>("sink", "recent-clicks", nullptr, nullptr, {"recent"});
  EXPECT_NE(topology.describe().toString().find("clicks-seen"), std::string::npos);
  TopologyTestDriver driver(topology);
  auto in = driver.createInputTopic<std::string, std::string>("clicks");
  auto out = driver.createOutputTopic<std::string, int64_t>("recent-clicks");
  in.pipeInput("alice", "home", 1'000);
  in.pipeInput("alice", "home", 1'000);  // the same key, window and value again
  in.pipeInput("alice", "cart", 30'000);
  in.pipeInput("alice", "pay", 80'000);  // the two at 1 s are more than a minute back
  EXPECT_EQ(out.readValuesToList(), (std::vector<int64_t>{1, 2, 3, 2}));
}

// Merges each key's records into sessions that end after five minutes without a record,
// as SessionWindows do, and forwards the merged session's record count.
class Sessionizer : public Processor<std::string, std::string, std::string, int64_t> {
 public:
  static constexpr int64_t kGap = 5 * kMinute;
  void init(ProcessorContext<std::string, int64_t>& ctx) override {
    ctx_ = &ctx;
    store_ = &ctx.getStateStore<SessionStore<std::string, int64_t>>("sessions");
  }
  void process(Record<std::string, std::string> r) override {
    Window merged{r.timestamp, r.timestamp};
    int64_t count = 1;
    std::vector<Windowed<std::string>> absorbed;
    for (const auto& kv : store_->findSessions(r.key, r.timestamp - kGap, r.timestamp + kGap)) {
      merged.start = std::min(merged.start, kv.key.window.start);
      merged.end = std::max(merged.end, kv.key.window.end);
      count += kv.value;
      absorbed.push_back(kv.key);
    }
    for (const auto& session : absorbed) store_->remove(session);
    store_->put(Windowed<std::string>{r.key, merged}, count);
    ctx_->forward(Record<std::string, int64_t>{r.key, count, r.timestamp, {}});
  }

 private:
  ProcessorContext<std::string, int64_t>* ctx_ = nullptr;
  SessionStore<std::string, int64_t>* store_ = nullptr;
};

TEST(ProcessorStores, ASessionStoreMergesAKeysSessions) {
  StreamsBuilder builder;
  builder.addStateStore(Stores::sessionStoreBuilder<std::string, int64_t>(
      Stores::persistentSessionStore("sessions", minutes(60)), Serdes::String(), Serdes::Int64()));
  builder.stream<std::string, std::string>("clicks")
      .process([] { return std::make_unique<Sessionizer>(); }, {"sessions"})
      .to("session-sizes");
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("clicks");
  auto out = driver.createOutputTopic<std::string, int64_t>("session-sizes");
  in.pipeInput("alice", "a", 0);
  in.pipeInput("alice", "b", 4 * kMinute);   // within the gap: one session
  in.pipeInput("alice", "c", 14 * kMinute);  // ten minutes on: a new session
  in.pipeInput("alice", "d", 9 * kMinute);   // late, and within the gap of both
  EXPECT_EQ(out.readValuesToList(), (std::vector<int64_t>{1, 2, 1, 4}));

  auto view = driver.getSessionStore<std::string, int64_t>("sessions");
  auto sessions = view->fetch("alice").toList();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].key.window.start, 0);
  EXPECT_EQ(sessions[0].key.window.end, 14 * kMinute);
  EXPECT_EQ(sessions[0].value, 4);
  EXPECT_EQ(view->fetchSession("alice", 0, 14 * kMinute), 4);
}

TEST(ProcessorStores, ASupplierWithImpossibleTimesIsRefusedByName) {
  auto message = [](auto make) {
    try {
      make();
    } catch (const TopologyException& e) {
      return std::string(e.what());
    }
    return std::string("(no exception)");
  };
  const std::string shorter = message([] { Stores::persistentWindowStore("w", minutes(1), minutes(2), false); });
  EXPECT_NE(shorter.find("'w'"), std::string::npos) << shorter;
  EXPECT_NE(shorter.find("at least its window size"), std::string::npos) << shorter;
  const std::string negative = message([] { Stores::inMemoryWindowStore("w", minutes(1), milliseconds(-1), false); });
  EXPECT_NE(negative.find("window size of store 'w' cannot be negative"), std::string::npos) << negative;
  const std::string session = message([] { Stores::persistentSessionStore("s", milliseconds(-5)); });
  EXPECT_NE(session.find("retention of store 's' cannot be negative"), std::string::npos) << session;
}

}  // namespace
}  // namespace kstreams
