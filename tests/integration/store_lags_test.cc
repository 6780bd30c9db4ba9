// KafkaStreams::allLocalStorePartitionLags (KIP-535) on the real broker: a store whose task
// runs is caught up; one waiting to restore lags by what its changelog holds past its
// checkpoint, and is caught up once restored. A table read from a topic has a lag too.
#include <gtest/gtest.h>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

struct LagSetup {
  LagSetup() {
    admin.createTopic(in, 1);
    admin.createTopic(rows, 1);
  }
  // Each record a new key: one changelog record each, however the record cache merges.
  void produce(const std::string& topic, const std::string& prefix, int from, int to) {
    KafkaProducer producer(bootstrap());
    for (int i = from; i < to; ++i)
      producer.send<std::string, std::string>(topic, prefix + std::to_string(i), "v", Serdes::String(),
                                              Serdes::String());
    producer.flush();
  }
  Topology topology() const {
    StreamsBuilder builder;
    builder.stream<std::string, std::string>(in).groupByKey().count(Materialized<std::string, int64_t>::as("counts"));
    builder.table<std::string, std::string>(rows, {}, Materialized<std::string, std::string>::as("rows"));
    return builder.build();
  }
  StreamsConfig config(const std::string& stateDir) const {
    return appConfig(app, {{"state.dir", "/tmp/kstreams-it-state/" + stateDir}});
  }
  int64_t end(const std::string& store) { return admin.endOffsets(app + "-" + store + "-changelog").at(0); }

  Admin admin{bootstrap()};
  const std::string in = uniqueName("lags-in"), rows = uniqueName("lags-rows"), app = uniqueName("lags-app");
  const std::string firstDir = uniqueName("lags-first"), secondDir = uniqueName("lags-second");
};

bool lagIs(const std::map<std::string, std::map<int32_t, LagInfo>>& lags, const std::string& store, int64_t position,
           int64_t end) {
  auto s = lags.find(store);
  if (s == lags.end() || !s->second.count(0)) return false;
  const LagInfo& l = s->second.at(0);
  return l.currentOffsetPosition == position && l.endOffsetPosition == end && l.offsetLag == end - position;
}

TEST(StoreLags, AStoreWaitingToRestoreLagsByWhatItsChangelogHoldsPastItsCheckpoint) {
  LagSetup s;
  s.produce(s.in, "k", 0, 30);
  s.produce(s.rows, "r", 0, 5);
  {
    KafkaStreams first(s.topology(), s.config(s.firstDir));
    EXPECT_TRUE(first.allLocalStorePartitionLags().empty()) << "no task yet";
    first.start();
    ASSERT_TRUE(test::eventually([&] { return first.metrics().processedRecords == 35; }, 60s)) << first.lastError();
    // Running tasks are caught up, at the changelogs' ends.
    ASSERT_TRUE(test::eventually([&] { return s.end("counts") == 30 && s.end("rows") == 5; }, 30s));
    const auto lags = first.allLocalStorePartitionLags();
    EXPECT_EQ(lags.size(), 2u);
    EXPECT_TRUE(lagIs(lags, "counts", 30, 30));
    EXPECT_TRUE(lagIs(lags, "rows", 5, 5));
    EXPECT_TRUE(first.close(60s));
  }
  // Another instance (its own state directory) moves the changelogs on.
  s.produce(s.in, "k", 30, 50);
  s.produce(s.rows, "r", 5, 8);
  {
    KafkaStreams second(s.topology(), s.config(s.secondDir));
    second.start();
    ASSERT_TRUE(test::eventually([&] { return second.metrics().processedRecords == 23; }, 60s)) << second.lastError();
    EXPECT_TRUE(second.close(60s));
  }
  ASSERT_EQ(s.end("counts"), 50);
  ASSERT_EQ(s.end("rows"), 8);

  // The first state directory again, paused: the stores open at their checkpoints (offsets
  // 29 and 4) and wait to restore the rest.
  KafkaStreams again(s.topology(), s.config(s.firstDir));
  again.pause();
  again.start();
  std::map<std::string, std::map<int32_t, LagInfo>> lags;
  EXPECT_TRUE(test::eventually(
      [&] {
        lags = again.allLocalStorePartitionLags();
        return lagIs(lags, "counts", 30, 50) && lagIs(lags, "rows", 5, 8);
      },
      60s))
      << "counts at " << lags["counts"][0].currentOffsetPosition << " of " << lags["counts"][0].endOffsetPosition
      << ", rows at " << lags["rows"][0].currentOffsetPosition << " of " << lags["rows"][0].endOffsetPosition << "; "
      << again.lastError();
  EXPECT_EQ(lags["counts"][0].offsetLag, 20);
  EXPECT_EQ(lags["rows"][0].offsetLag, 3);

  again.resume();
  ASSERT_TRUE(again.waitForState(KafkaStreams::State::RUNNING, 60s)) << again.lastError();
  lags = again.allLocalStorePartitionLags();
  EXPECT_TRUE(lagIs(lags, "counts", 50, 50));
  EXPECT_TRUE(lagIs(lags, "rows", 8, 8));
  auto rowsView = again.store<std::string, std::string>("rows");
  EXPECT_EQ(rowsView->get("r7"), "v") << "restored";
  EXPECT_TRUE(again.close(60s));
}

}  // namespace
}  // namespace kstreams
