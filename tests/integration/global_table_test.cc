// Global tables on the real broker: every instance holds the whole topic, also after a crash.
#include <gtest/gtest.h>

#include <filesystem>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

// A crash leaves the state directory as its files are at that moment: what RocksDB holds
// only in memory is gone. The table rebuilt from such a directory must still hold every row.
TEST(GlobalTable, AStateDirectoryAsACrashLeavesItRebuildsTheWholeTable) {
  Admin admin(bootstrap());
  const std::string rows = uniqueName("rows"), orders = uniqueName("orders"), joined = uniqueName("joined");
  const std::string app = uniqueName("global-crash");
  admin.createTopic(rows, 1);
  admin.createTopic(orders, 1);
  admin.createTopic(joined, 1);
  constexpr int kRows = 50;
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < kRows; ++i) producer.send(rows, "k" + std::to_string(i), "row-" + std::to_string(i));
  producer.flush();
  auto topology = [&] {
    StreamsBuilder builder;
    auto table = builder.globalTable<std::string, std::string>(rows, Consumed<std::string, std::string>{},
                                                               Materialized<std::string, std::string>::as("rows"));
    builder.stream<std::string, std::string>(orders)
        .join(table, [](const std::string&, const std::string& row) { return row; },
              [](const std::string& order, const std::string& row) { return order + ":" + row; })
        .to(joined);
    return builder.build();
  };
  const std::string dir = "/tmp/kstreams-it-global/" + app, crashed = dir + "-crashed";
  {
    KafkaStreams streams(topology(), appConfig(app, {{"state.dir", dir}}));
    streams.start();
    ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
    std::filesystem::copy(dir, crashed, std::filesystem::copy_options::recursive);
    EXPECT_TRUE(streams.close(30s));
  }
  KafkaStreams streams(topology(), appConfig(app, {{"state.dir", crashed}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  for (int i = 0; i < kRows; ++i) producer.send(orders, "o" + std::to_string(i), "k" + std::to_string(i));
  producer.flush();
  auto records = test::consume(joined, kRows, 60s);
  EXPECT_EQ(records.size(), static_cast<size_t>(kRows)) << "orders whose row the rebuilt table lacked went unjoined";
  EXPECT_TRUE(streams.close(30s));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(crashed);
}

// A global table whose topic was deleted and created again holds only what the new topic
// holds: the store's offsets point past the new topic's end, so it is rebuilt from scratch.
TEST(GlobalTable, ATopicCreatedAgainReplacesTheWholeTable) {
  Admin admin(bootstrap());
  const std::string rows = uniqueName("rows"), orders = uniqueName("orders"), joined = uniqueName("joined");
  const std::string app = uniqueName("global-recreated");
  admin.createTopic(rows, 1);
  admin.createTopic(orders, 1);
  admin.createTopic(joined, 1);
  KafkaProducer producer(bootstrap());
  for (int i = 0; i < 50; ++i) producer.send(rows, "k" + std::to_string(i), "old-" + std::to_string(i));
  producer.flush();
  auto topology = [&] {
    StreamsBuilder builder;
    auto table = builder.globalTable<std::string, std::string>(rows, Consumed<std::string, std::string>{},
                                                               Materialized<std::string, std::string>::as("rows"));
    builder.stream<std::string, std::string>(orders)
        .join(table, [](const std::string&, const std::string& row) { return row; },
              [](const std::string&, const std::string& row) { return row; })
        .to(joined);
    return builder.build();
  };
  const std::string dir = "/tmp/kstreams-it-global/" + app;
  {
    KafkaStreams streams(topology(), appConfig(app, {{"state.dir", dir}}));
    streams.start();
    ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
    EXPECT_TRUE(streams.close(30s));
  }
  admin.deleteTopics({rows});
  ASSERT_TRUE(test::eventually([&] { return !admin.listTopics().count(rows); }, 60s)) << rows << " was not deleted";
  ASSERT_TRUE(test::eventually([&] { return admin.createTopic(rows, 1); }, 60s)) << rows << " was not created again";
  for (int i = 0; i < 10; ++i) producer.send(rows, "k" + std::to_string(i), "new-" + std::to_string(i));
  producer.flush();

  KafkaStreams streams(topology(), appConfig(app, {{"state.dir", dir}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  // Orders for rows only the old topic had, then for the new rows: one partition, so once
  // the last ten are joined, the first forty were processed.
  for (int i = 10; i < 50; ++i) producer.send(orders, "o", "k" + std::to_string(i));
  for (int i = 0; i < 10; ++i) producer.send(orders, "o", "k" + std::to_string(i));
  producer.flush();
  std::vector<std::string> values;
  test::eventually(
      [&] {
        values.clear();
        for (const auto& r : test::consumeToEnd(joined, 10s)) values.push_back(*r.value);
        return values.size() >= 10 && values.back() == "new-9";
      },
      60s);
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.push_back("new-" + std::to_string(i));
  EXPECT_EQ(values, expected) << "rows of the deleted topic were still joined";
  EXPECT_TRUE(streams.close(30s));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kstreams
