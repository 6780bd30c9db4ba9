// Global tables on the real broker: every instance holds the whole topic, also after a crash
// and after the topic was created again.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "kstreams.h"
#include "runtime/global_stream_thread.h"
#include "runtime/store_registry.h"
#include "state/rocksdb_store.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

// Orders (key "o", value a row key) joined with a global table of rows: each join emits the
// row's value. The rows topic holds `rows` rows k0.. with values prefix-0...
struct OrdersJoinRows {
  OrdersJoinRows(const std::string& name, int rows, const std::string& prefix) : app(uniqueName(name)) {
    for (const auto& topic : {this->rows, orders, joined}) admin.createTopic(topic, 1);
    writeRows(rows, prefix);
  }
  void writeRows(int n, const std::string& prefix) {
    for (int i = 0; i < n; ++i) producer.send(rows, "k" + std::to_string(i), prefix + std::to_string(i));
    producer.flush();
  }
  void order(int row) { producer.send(orders, "o", "k" + std::to_string(row)); }
  Topology topology() const {
    StreamsBuilder builder;
    auto table = builder.globalTable<std::string, std::string>(rows, Consumed<std::string, std::string>{},
                                                               Materialized<std::string, std::string>::as("rows"));
    builder.stream<std::string, std::string>(orders)
        .join(table, [](const std::string&, const std::string& row) { return row; },
              [](const std::string&, const std::string& row) { return row; })
        .to(joined);
    return builder.build();
  }
  // Runs the application on `stateDir` until it is RUNNING, then closes it.
  void runOnce(const std::string& stateDir, const std::function<void()>& whileRunning = [] {}) const {
    KafkaStreams streams(topology(), appConfig(app, {{"state.dir", stateDir}}));
    streams.start();
    ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
    whileRunning();
    EXPECT_TRUE(streams.close(30s));
  }

  Admin admin{bootstrap()};
  KafkaProducer producer{bootstrap()};
  const std::string app, rows = uniqueName("rows"), orders = uniqueName("orders"), joined = uniqueName("joined");
  const std::string dir = "/tmp/kstreams-it-global/" + app;
};

// A crash leaves the state directory as its files are at that moment: what RocksDB holds
// only in memory is gone. The table rebuilt from such a directory must still hold every row.
TEST(GlobalTable, AStateDirectoryAsACrashLeavesItRebuildsTheWholeTable) {
  OrdersJoinRows io("global-crash", 50, "row-");
  const std::string crashed = io.dir + "-crashed";
  io.runOnce(io.dir, [&] { std::filesystem::copy(io.dir, crashed, std::filesystem::copy_options::recursive); });

  KafkaStreams streams(io.topology(), appConfig(io.app, {{"state.dir", crashed}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  // Interactive queries read the global store as any other.
  auto rows = streams.store<std::string, std::string>("rows");
  EXPECT_EQ(rows->get("k0"), "row-0");
  EXPECT_EQ(rows->get("k49"), "row-49");
  EXPECT_EQ(rows->all().toList().size(), 50u);
  for (int i = 0; i < 50; ++i) io.order(i);
  io.producer.flush();
  auto records = test::consume(io.joined, 50, 60s);
  EXPECT_EQ(records.size(), 50u) << "orders whose row the rebuilt table lacked went unjoined";
  EXPECT_TRUE(streams.close(30s));
  std::filesystem::remove_all(io.dir);
  std::filesystem::remove_all(crashed);
}

// A global table whose topic was deleted and created again holds only what the new topic
// holds: the store's offsets point past the new topic's end, so it is rebuilt from scratch.
TEST(GlobalTable, ATopicCreatedAgainReplacesTheWholeTable) {
  OrdersJoinRows io("global-recreated", 50, "old-");
  io.runOnce(io.dir);
  io.admin.deleteTopics({io.rows});
  ASSERT_TRUE(test::eventually([&] { return !io.admin.listTopics().count(io.rows); }, 60s))
      << io.rows << " was not deleted";
  ASSERT_TRUE(test::eventually([&] { return io.admin.createTopic(io.rows, 1); }, 60s))
      << io.rows << " was not created again";
  io.writeRows(10, "new-");

  KafkaStreams streams(io.topology(), appConfig(io.app, {{"state.dir", io.dir}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  // Orders for rows only the old topic had, then for the new rows: one partition, so once
  // the last ten are joined, the first forty were processed.
  for (int i = 10; i < 50; ++i) io.order(i);
  for (int i = 0; i < 10; ++i) io.order(i);
  io.producer.flush();
  std::vector<std::string> values;
  test::eventually(
      [&] {
        values.clear();
        for (const auto& r : test::consumeToEnd(io.joined, 10s)) values.push_back(*r.value);
        return values.size() >= 10 && values.back() == "new-9";
      },
      60s);
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.push_back("new-" + std::to_string(i));
  EXPECT_EQ(values, expected) << "rows of the deleted topic were still joined";
  EXPECT_TRUE(streams.close(30s));
  std::filesystem::remove_all(io.dir);
}

// An application whose global consumer can never receive the rows topic's one record: its
// fetch answer is larger than the consumer's receive.message.max.bytes, so librdkafka drops
// the connection and fetches again, for ever, and tells the consumer nothing. (A partition
// whose leader is down looks the same to the consumer.)
struct UnreadableRows : OrdersJoinRows {
  explicit UnreadableRows(const std::string& name) : OrdersJoinRows(name, 0, "") {
    producer.send(rows, "k0", std::string(20000, 'x'));
    producer.flush();
  }
  StreamsConfig config(const std::string& taskTimeoutMs) const {
    return appConfig(app, {{"state.dir", dir},
                           {"task.timeout.ms", taskTimeoutMs},
                           {"consumer.message.max.bytes", "1000"},
                           {"consumer.fetch.max.bytes", "1000"},
                           {"consumer.receive.message.max.bytes", "4096"}});
  }
};

// How many threads of this process have the name `name` now.
int threadsNamed(const std::string& name) {
  int n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++n;
  }
  return n;
}

// An instance whose stream threads all failed is in ERROR: nothing of it runs any more, the
// global thread included (cleanUp() may then delete the global stores' files).
TEST(GlobalTable, AnInstanceInErrorStopsItsGlobalThreadToo) {
  OrdersJoinRows s("global-error-app", 3, "v-");
  StreamsBuilder builder;
  auto table = builder.globalTable<std::string, std::string>(s.rows, Consumed<std::string, std::string>{},
                                                             Materialized<std::string, std::string>::as("rows"));
  builder.stream<std::string, std::string>(s.orders)
      .peek([](const std::string&, const std::string& v) {
        if (v == "boom") throw std::runtime_error("boom");
      })
      .join(table, [](const std::string&, const std::string& row) { return row; },
            [](const std::string&, const std::string& row) { return row; })
      .to(s.joined);
  KafkaStreams streams(builder.build(), appConfig(s.app, {{"state.dir", s.dir}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  EXPECT_EQ(threadsNamed("ks-global"), 1);
  s.producer.send(s.orders, "o", "boom");
  s.producer.flush();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::ERROR, 60s)) << streams.lastError();
  EXPECT_TRUE(test::eventually([] { return threadsNamed("ks-global") == 0; }, 30s)) << "the global thread runs on";
  streams.cleanUp();
  EXPECT_FALSE(std::filesystem::exists(s.dir + "/" + s.app));
  EXPECT_EQ(streams.state(), KafkaStreams::State::ERROR);
  EXPECT_NE(streams.lastError().find("boom"), std::string::npos) << streams.lastError();
  streams.close(30s);
}

TEST(GlobalTable, ARestorationWithoutProgressFailsStartNamingThePartitionAfterTaskTimeout) {
  UnreadableRows io("global-stuck");
  KafkaStreams streams(io.topology(), io.config("2000"));
  auto started = std::async(std::launch::async, [&] { streams.start(); });
  ASSERT_EQ(started.wait_for(60s), std::future_status::ready) << "start() still restoring after a minute";
  try {
    started.get();
    FAIL() << "start() returned without the global table";
  } catch (const StreamsException& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("task.timeout.ms"), std::string::npos) << what;
    EXPECT_NE(what.find("topic " + io.rows + " partition 0"), std::string::npos) << what;
  }
  EXPECT_EQ(streams.state(), KafkaStreams::State::ERROR);
  std::filesystem::remove_all(io.dir);
}

// close() while start() restores a global table stops the restoration: start() returns, and
// no stream thread starts.
TEST(GlobalTable, CloseStopsARestorationInProgress) {
  UnreadableRows io("global-close");
  KafkaStreams streams(io.topology(), io.config("600000"));
  auto started = std::async(std::launch::async, [&] { streams.start(); });
  // The store's directory is made just before its topic is read.
  ASSERT_TRUE(test::eventually([&] { return std::filesystem::exists(io.dir + "/" + io.app + "/global/rows"); }, 60s));
  EXPECT_TRUE(streams.close(30s));
  ASSERT_EQ(started.wait_for(30s), std::future_status::ready) << "start() went on restoring after close()";
  EXPECT_NO_THROW(started.get());
  EXPECT_EQ(streams.state(), KafkaStreams::State::NOT_RUNNING);
  EXPECT_EQ(streams.metrics().aliveThreads, 0);
  std::filesystem::remove_all(io.dir);
}

// A checkpoint that cannot be written (here a directory is in the way; a full disk fails
// the same way) is an error naming the file, not a position silently lost.
TEST(GlobalTable, ACheckpointThatCannotBeWrittenFailsNamingTheFile) {
  OrdersJoinRows io("global-unwritable", 5, "row-");
  const std::string checkpoint = io.dir + "/" + io.app + "/global/rows.checkpoint";
  std::filesystem::create_directories(checkpoint + ".tmp");
  KafkaStreams streams(io.topology(), appConfig(io.app, {{"state.dir", io.dir}}));
  try {
    streams.start();
    FAIL() << "start() wrote no checkpoint and went on";
  } catch (const StreamsException& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write the checkpoint of global store rows to " + checkpoint),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(streams.state(), KafkaStreams::State::ERROR);
  EXPECT_TRUE(streams.close(30s));
  std::filesystem::remove_all(io.dir);
}

// A global store with a checkpoint checks it against where its partition begins and ends.
// A leader that does not answer that question (moving, restarting; here a stand-in that
// says LEADER_NOT_AVAILABLE) says nothing about the checkpoint: start() fails after
// default.api.timeout.ms naming the partition, and the store is kept, so the next start
// reads on from the checkpoint instead of reading the whole topic again.
TEST(GlobalTable, ALeaderThatCannotSayWhereThePartitionEndsKeepsTheStore) {
  OrdersJoinRows io("global-no-watermarks", 20, "row-");
  io.runOnce(io.dir);
  const Topology topology = io.topology();
  const StreamsConfig config = appConfig(io.app, {{"state.dir", io.dir}, {"default.api.timeout.ms", "1000"}});
  internal::RocksDBResources rocksdb(config.rocksdbBlockCacheBytes(), config.rocksdbWriteBufferBytes());
  internal::StoreRegistry registry;
  {
    internal::GlobalStreamThread global(
        topology.graph(), config, &rocksdb, registry, [](const std::string&) {},
        [](rd_kafka_t*, const char*, int32_t, int64_t*, int64_t*, int) { return RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE; });
    try {
      global.restore();
      FAIL() << "restored without knowing whether the checkpoint is still in the partition";
    } catch (const StreamsException& e) {
      EXPECT_NE(std::string(e.what()).find("cannot learn where topic " + io.rows + " partition 0 begins and ends"),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("The store is kept"), std::string::npos) << e.what();
    }
  }
  internal::GlobalStreamThread global(topology.graph(), config, &rocksdb, registry, [](const std::string&) {});
  ASSERT_TRUE(global.restore());
  EXPECT_EQ(global.restoredRecords(), 0) << "the store was wiped and the whole topic read again";
  EXPECT_EQ(global.readers().at("rows")->get("k19"), std::optional<std::string>("row-19"));
  std::filesystem::remove_all(io.dir);
}

// A fetch may find a partition's end short of the end its leader reported before reading
// began (a new leader whose high watermark lags the old one's): a table that started there
// would lack the rows between, and the first joins would miss them. Restoration reads on
// to the reported end, and takes the partition as ended short of it only once the leader
// says so too (the reported end was too far: the topic was created again, say).
TEST(GlobalTable, ATableIsRestoredToTheEndTheLeaderReportedNotToWhereAFetchFirstEnds) {
  OrdersJoinRows io("global-end-ahead", 20, "row-");
  const Topology topology = io.topology();
  const StreamsConfig config = appConfig(io.app, {{"state.dir", io.dir}});
  internal::RocksDBResources rocksdb(config.rocksdbBlockCacheBytes(), config.rocksdbWriteBufferBytes());
  internal::StoreRegistry registry;
  auto ahead = std::make_shared<std::atomic<int>>(3);
  {
    internal::GlobalStreamThread global(topology.graph(), config, &rocksdb, registry, [](const std::string&) {},
                                        test::endAhead(ahead));
    auto restored = std::async(std::launch::async, [&] { return global.restore(); });
    // Past the first end a fetch finds, and the second question about the end.
    EXPECT_EQ(restored.wait_for(2500ms), std::future_status::timeout) << "finished at the first end a fetch found";
    // The rows the leader spoke of arrive; one more question, and the table has them all.
    ahead->store(0);
    io.writeRows(23, "row-");  // k20..k22 are new
    ASSERT_EQ(restored.wait_for(60s), std::future_status::ready);
    ASSERT_TRUE(restored.get());
    EXPECT_EQ(global.readers().at("rows")->get("k22"), std::optional<std::string>("row-22"));
  }
  // An end reported too far, and never reached: asked again, the leader says where it is.
  ahead->store(5);
  internal::GlobalStreamThread global(topology.graph(), config, &rocksdb, registry, [](const std::string&) {},
                                      test::endAhead(ahead));
  auto restored = std::async(std::launch::async, [&] { return global.restore(); });
  EXPECT_EQ(restored.wait_for(1500ms), std::future_status::timeout) << "finished short of the reported end";
  ahead->store(0);
  ASSERT_EQ(restored.wait_for(60s), std::future_status::ready) << "waited for an end the leader no longer reports";
  EXPECT_TRUE(restored.get());
  EXPECT_EQ(global.readers().at("rows")->get("k22"), std::optional<std::string>("row-22"));
  std::filesystem::remove_all(io.dir);
}

// close() during start() stops a global store's restoration also while the cluster is
// unreachable, not after default.api.timeout.ms (a minute here).
TEST(GlobalTable, ShutdownEndsARestorationThatWaitsForAnUnreachableBroker) {
  StreamsBuilder builder;
  builder.globalTable<std::string, std::string>("rows", Consumed<std::string, std::string>{},
                                                Materialized<std::string, std::string>::as("rows"));
  const Topology topology = builder.build();
  const std::string dir = (std::filesystem::temp_directory_path() / uniqueName("global-unreachable")).string();
  const StreamsConfig config({{"application.id", uniqueName("global-unreachable")},
                              {"bootstrap.servers", "127.0.0.1:1"},
                              {"state.dir", dir},
                              {"default.api.timeout.ms", "60000"}});
  internal::RocksDBResources rocksdb(config.rocksdbBlockCacheBytes(), config.rocksdbWriteBufferBytes());
  internal::StoreRegistry registry;
  {
    internal::GlobalStreamThread global(topology.graph(), config, &rocksdb, registry, [](const std::string&) {});
    auto restored = std::async(std::launch::async, [&] { return global.restore(); });
    global.shutdown();
    ASSERT_EQ(restored.wait_for(10s), std::future_status::ready) << "shutdown() did not end the wait";
    EXPECT_FALSE(restored.get());
  }
  std::filesystem::remove_all(dir);
}

// As Kafka Streams' global thread does, a record of a global table's topic that does not
// deserialize goes to the deserialization exception handler, not into the table: stored, it
// would fail every lookup of its key, in the stream thread that made it.
TEST(GlobalTable, ARowThatDoesNotDeserializeIsSkippedUnderLogAndContinue) {
  const std::string app = uniqueName("global-bad-row-app"), rows = uniqueName("rows"), orders = uniqueName("orders"),
                    joined = uniqueName("joined");
  const std::string dir = "/tmp/kstreams-it-global/" + app;
  Admin admin{bootstrap()};
  for (const auto& topic : {rows, orders, joined}) admin.createTopic(topic, 1);
  KafkaProducer producer{bootstrap()};
  StreamsBuilder builder;
  auto amounts = builder.globalTable<std::string, int64_t>(
      rows, Consumed<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()),
      Materialized<std::string, int64_t>::as("amounts"));
  builder.stream<std::string, std::string>(orders)
      .leftJoin(amounts, [](const std::string&, const std::string& row) { return row; },
                [](const std::string& row, const std::optional<int64_t>& amount) {
                  return row + "=" + (amount ? std::to_string(*amount) : "null");
                })
      .to(joined);
  KafkaStreams streams(builder.build(),
                       appConfig(app, {{"state.dir", dir}, {"default.deserialization.exception.handler", "LogAndContinue"}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  std::string seven;
  Serdes::Int64()->serialize(7, seven);
  producer.send(rows, "good", seven);
  producer.send(rows, "bad", "abc");
  producer.send(rows, "last", seven);
  producer.flush();
  auto table = streams.store<std::string, int64_t>("amounts");
  ASSERT_TRUE(test::eventually([&] { return table->get("last").has_value(); }, 30s));
  EXPECT_EQ(table->get("bad"), std::nullopt);
  EXPECT_EQ(streams.metrics().skippedRecords, 1);
  producer.send(orders, "o1", "bad");
  producer.send(orders, "o2", "good");
  producer.flush();
  std::vector<std::string> values;
  for (const auto& r : test::consume(joined, 2, 30s)) values.push_back(r.value.value_or("<null>"));
  EXPECT_EQ(values, (std::vector<std::string>{"bad=null", "good=7"}));
  EXPECT_EQ(streams.state(), KafkaStreams::State::RUNNING) << streams.lastError();
  EXPECT_TRUE(streams.close(30s));
  std::filesystem::remove_all(dir);
}

TEST(GlobalTable, ARowThatDoesNotDeserializeStopsTheInstanceNamingItUnderLogAndFail) {
  const std::string app = uniqueName("global-bad-row-fail-app"), rows = uniqueName("rows"), orders = uniqueName("orders");
  const std::string dir = "/tmp/kstreams-it-global/" + app;
  Admin admin{bootstrap()};
  for (const auto& topic : {rows, orders}) admin.createTopic(topic, 1);
  KafkaProducer producer{bootstrap()};
  StreamsBuilder builder;
  builder.globalTable<std::string, int64_t>(rows, Consumed<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()),
                                            Materialized<std::string, int64_t>::as("amounts"));
  builder.stream<std::string, std::string>(orders).foreach([](const std::string&, const std::string&) {});
  KafkaStreams streams(builder.build(), appConfig(app, {{"state.dir", dir}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  producer.send(rows, "bad", "abc");
  producer.flush();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::ERROR, 60s));
  EXPECT_NE(streams.lastError().find(rows + " partition 0 offset 0"), std::string::npos) << streams.lastError();
  streams.close(30s);
  std::filesystem::remove_all(dir);
}

// As in Kafka Streams, a topology of global tables only runs no stream thread (there is no
// task to run): the instance is RUNNING once the tables are restored, and serves them.
TEST(GlobalTable, ATopologyOfGlobalTablesOnlyRunsAndServesThem) {
  OrdersJoinRows s("global-only-app", 3, "v-");
  StreamsBuilder builder;
  builder.globalTable<std::string, std::string>(s.rows, Consumed<std::string, std::string>{},
                                                Materialized<std::string, std::string>::as("rows"));
  KafkaStreams streams(builder.build(), appConfig(s.app, {{"state.dir", s.dir}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  auto rows = streams.store<std::string, std::string>("rows");
  EXPECT_EQ(rows->get("k2"), "v-2");
  s.producer.send(s.rows, "k9", "v-9");
  s.producer.flush();
  EXPECT_TRUE(test::eventually([&] { return rows->get("k9") == std::optional<std::string>("v-9"); }, 30s));
  EXPECT_EQ(streams.state(), KafkaStreams::State::RUNNING) << streams.lastError();
  EXPECT_TRUE(streams.close(30s));
  std::filesystem::remove_all(s.dir);
}

}  // namespace
}  // namespace kstreams
