// Restoring a store from its changelog on the real broker, when the broker's answers about
// the changelog's end cannot be trusted.
#include <gtest/gtest.h>

#include "kstreams.h"
#include "runtime/changelog_reader.h"
#include "runtime/streams_producer.h"
#include "state/in_memory_store.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using internal::ChangelogReader;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

// Runs the reader until `task` has caught up, or `timeout` passes. Returns whether it did.
bool restoreUntilDone(ChangelogReader& reader, TaskId task, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline)
    for (const TaskId& done : reader.restore(100ms))
      if (done == task) return true;
  return false;
}

// A one-partition changelog holding k0..k(n-1) -> v0..v(n-1), a reader of it with the given
// watermark query, and an empty store to restore task 0_0 into (by a thread that committed
// the changelog through `committedThrough`, if given).
struct RestoreSetup {
  explicit RestoreSetup(int records, internal::WatermarkQuery query = rd_kafka_query_watermark_offsets,
                        std::optional<int64_t> committedThrough = std::nullopt,
                        std::map<std::string, std::string> extraConfig = {},
                        const std::function<void(RestoreSetup&)>& beforeAdding = nullptr)
      : config(appConfig(uniqueName("restore"), extraConfig)), reader(config, "restore-test", metrics, std::move(query)) {
    Admin(bootstrap()).createTopic(changelog, 1);
    write(0, records);
    if (beforeAdding) beforeAdding(*this);
    reader.add(task, {{changelog, 0, store.get(), committedThrough}});
  }
  void write(int from, int to) {
    for (int i = from; i < to; ++i) producer.send(changelog, "k" + std::to_string(i), "v" + std::to_string(i));
    producer.flush();
  }
  const std::string changelog = uniqueName("restore-changelog");
  const TaskId task{0, 0};
  const StreamsConfig config;
  KafkaProducer producer{bootstrap()};
  internal::RestoreMetrics metrics;
  std::unique_ptr<internal::LocalStore> store = internal::openInMemoryStore("counts");
  ChangelogReader reader;
};

// librdkafka 2.0.2 has answered a watermark query with an end of 0 and no error (see
// ChangelogReader::add). A new instance's empty store must not take that for an empty
// changelog: it would go on from no state at all.
TEST(Restoration, AnEmptyStoreIsRestoredWhenTheChangelogsEndIsWronglyReportedAsZero) {
  RestoreSetup r(100, [](rd_kafka_t*, const char*, int32_t, int64_t* low, int64_t* high, int) {
    *low = 0;
    *high = 0;
    return RD_KAFKA_RESP_ERR_NO_ERROR;
  });
  ASSERT_TRUE(restoreUntilDone(r.reader, r.task, 60s));
  EXPECT_EQ(r.metrics.restoredRecords.load(), 100);
  EXPECT_EQ(r.store->get("k0"), "v0");
  EXPECT_EQ(r.store->get("k99"), "v99");
  EXPECT_EQ(r.store->checkpoint(), 99);
}

// A store that stopped at the first end the consumer found would miss the records still to
// come, and its task would go on from state behind its changelog.
TEST(Restoration, AStoreIsRestoredToTheEndTheLeaderReportedNotToWhereAFetchFirstEnds) {
  RestoreSetup r(100, test::endAhead(std::make_shared<std::atomic<int>>(5)));
  // Two seconds: past the first end found and the second question about the end.
  EXPECT_FALSE(restoreUntilDone(r.reader, r.task, 2s)) << "finished at the first end a fetch found";
  EXPECT_EQ(r.metrics.restoredRecords.load(), 100);

  r.write(100, 105);
  ASSERT_TRUE(restoreUntilDone(r.reader, r.task, 60s));
  EXPECT_EQ(r.metrics.restoredRecords.load(), 105);
  EXPECT_EQ(r.store->get("k104"), "v104");
  EXPECT_EQ(r.store->checkpoint(), 104);
}

// An end that was reported too far once (the changelog deleted and created again between
// the question and the fetch) does not keep the task waiting: the end is asked for again.
TEST(Restoration, AnEndReportedTooFarIsAskedForAgain) {
  auto ahead = std::make_shared<std::atomic<int>>(5);
  RestoreSetup r(100, test::endAhead(ahead));
  ahead->store(0);
  ASSERT_TRUE(restoreUntilDone(r.reader, r.task, 60s));
  EXPECT_EQ(r.metrics.restoredRecords.load(), 100);
  EXPECT_EQ(r.store->checkpoint(), 99);
}

// Under exactly_once_v2 the end of a changelog is its last stable offset, which passes a
// committed transaction only once the broker has written its commit marker, after the
// commit returned. A thread that redoes its work right after a commit restores its stores
// again: stopping at an end before what it just committed would leave a store behind the
// input offsets that commit moved past, and every later aggregate of its keys wrong.
TEST(Restoration, AStoreIsRestoredAtLeastToWhatItsThreadCommittedWhenTheEndIsReportedShort) {
  auto ahead = std::make_shared<std::atomic<int>>(-40);
  auto queries = std::make_shared<std::atomic<int>>(0);
  auto shortAtFirst = [ahead, queries, inner = test::endAhead(ahead)](rd_kafka_t* client, const char* topic,
                                                                     int32_t partition, int64_t* low, int64_t* high,
                                                                     int timeoutMs) {
    if (++*queries == 3) ahead->store(0);  // the marker is written
    return inner(client, topic, partition, low, high, timeoutMs);
  };
  RestoreSetup r(100, shortAtFirst, 99);
  ASSERT_TRUE(restoreUntilDone(r.reader, r.task, 60s));
  EXPECT_GE(queries->load(), 3) << "the end was not asked for again";
  EXPECT_EQ(r.metrics.restoredRecords.load(), 100);
  EXPECT_EQ(r.store->get("k99"), "v99");
  EXPECT_EQ(r.store->checkpoint(), 99);
}

// Under exactly_once_v2, a transaction left open on the changelog (here, one that another
// producer has not ended yet) holds the end read_committed readers see at its first
// record, before records committed after it. A store that stopped there would be behind
// what its thread committed: it waits for them, and fails after task.timeout.ms, naming
// the changelog partition, if they never become readable.
struct OpenTransactionOnTheChangelog {
  // k0..k49 committed, then an open transaction's k50, then k51..k99 committed (records
  // without a transaction): the thread committed through offset 99.
  // The reader's transactions end within its task.timeout.ms, as StreamsConfig requires;
  // the open one is another application's, long enough for the test.
  explicit OpenTransactionOnTheChangelog(const std::string& taskTimeoutMs)
      : r(50, rd_kafka_query_watermark_offsets, 99,
          {{"processing.guarantee", "exactly_once_v2"},
           {"task.timeout.ms", taskTimeoutMs},
           {"producer.transaction.timeout.ms", "1000"}},
          [this](RestoreSetup& s) {
            open = std::make_unique<internal::StreamsProducer>(
                appConfig(uniqueName("open"), {{"processing.guarantee", "exactly_once_v2"},
                                              {"producer.transaction.timeout.ms", "120000"}}),
                "restore-test-open", uniqueName("open-txn"));
            open->send(s.changelog, 0, std::string_view("k50"), std::string_view("v50"), 0, {});
            open->flush();
            s.write(51, 100);
          }) {}
  std::unique_ptr<internal::StreamsProducer> open;  // declared first: set while r is built
  RestoreSetup r;
};

TEST(Restoration, AStoreWaitsForWhatItsThreadCommittedBehindATransactionLeftOpen) {
  OpenTransactionOnTheChangelog c("300000");
  EXPECT_FALSE(restoreUntilDone(c.r.reader, c.r.task, 3s)) << "finished at the end read_committed readers saw";
  EXPECT_EQ(c.r.metrics.restoredRecords.load(), 50);
  c.open->commitTransaction(nullptr, nullptr);
  ASSERT_TRUE(restoreUntilDone(c.r.reader, c.r.task, 60s));
  EXPECT_EQ(c.r.metrics.restoredRecords.load(), 100);
  EXPECT_EQ(c.r.store->get("k99"), "v99");
  EXPECT_EQ(c.r.store->checkpoint(), 99);
}

TEST(Restoration, AStoreThatNeverSeesWhatItsThreadCommittedFailsAfterTheTaskTimeout) {
  OpenTransactionOnTheChangelog c("2000");
  try {
    restoreUntilDone(c.r.reader, c.r.task, 30s);
    FAIL() << "the restore ended or waited without failing";
  } catch (const StreamsException& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("topic " + c.r.changelog + " partition 0"), std::string::npos) << what;
    EXPECT_NE(what.find("up to offset 99"), std::string::npos) << what;
    EXPECT_NE(what.find("task.timeout.ms"), std::string::npos) << what;
  }
  EXPECT_EQ(c.r.metrics.restoredRecords.load(), 50);
}

// The same race across owners: the previous owner of a task committed its changelog
// through some offset, and the records up to there are not yet readable to read_committed
// consumers (here, behind another producer's transaction left open; in practice while
// the commit's markers are written) when the task's next owner, on another machine,
// restores it. Stopping at the stable end, the store would be behind the input offsets the
// new owner goes on from. The previous owner's commit says how far its changelog reached
// (the committed offsets' metadata): the new owner waits for that.
struct TwoOwners {
  // The first owner counts 100 records, another producer's transaction is left open on the
  // changelog, the first owner counts 100 more and closes.
  TwoOwners() {
    Admin admin(bootstrap());
    admin.createTopic(in, 1);
    admin.createTopic(out, 1);
    output.emplace(bootstrap(), out, readCommitted());
    produce(100);
    KafkaStreams first(topology(), config("first"));
    first.start();
    EXPECT_EQ(output->read(100, 120s).size(), 100u) << first.lastError();
    // Open for as long as the test needs: with the default 10 s the broker could abort it
    // before the second owner has been checked on a slow machine.
    open = std::make_unique<internal::StreamsProducer>(
        appConfig(app, {{"processing.guarantee", "exactly_once_v2"}, {"producer.transaction.timeout.ms", "120000"}}),
        "restore-test-open", uniqueName("open-txn"));
    open->send(app + "-counts-changelog", 0, std::string_view("other"), std::string_view("12345678"), 0, {});
    open->flush();
    produce(100);
    EXPECT_EQ(output->read(100, 120s).size(), 100u) << first.lastError();
    EXPECT_TRUE(first.close(60s));
  }
  Topology topology() const {
    StreamsBuilder builder;
    builder.stream<std::string, std::string>(in)
        .groupByKey()
        .count(Materialized<std::string, int64_t>::as("counts").withCachingDisabled())
        .toStream()
        .to(out, Produced<std::string, std::optional<int64_t>>::with(Serdes::String(), Serdes::Int64()));
    return builder.build();
  }
  // Each instance on a machine of its own: no local state to begin from.
  StreamsConfig config(const std::string& machine) const {
    return appConfig(app, {{"processing.guarantee", "exactly_once_v2"},
                           {"state.dir", "/tmp/kstreams-it-owners/" + app + "/" + machine}});
  }
  void produce(int n) const {
    KafkaProducer producer(bootstrap());
    for (int i = 0; i < n; ++i) producer.send(in, "k", "x");
    producer.flush();
  }
  // The second owner: not RUNNING while the transaction is open, then the count of all 200
  // records, restored, and the next record counted on from there.
  void secondOwnerWaitsAndGoesOnFromEveryCommittedRecord() {
    KafkaStreams second(topology(), config("second"));
    second.start();
    EXPECT_FALSE(second.waitForState(KafkaStreams::State::RUNNING, 3s))
        << "restored to the end read_committed readers saw, short of the previous owner's commit";
    open->abortTransaction();
    ASSERT_TRUE(second.waitForState(KafkaStreams::State::RUNNING, 60s)) << second.lastError();
    auto counts = second.store<std::string, int64_t>("counts");
    EXPECT_EQ(counts->get("k"), 200);
    EXPECT_EQ(second.metrics().restoredRecords, 200);
    produce(1);
    auto next = output->read(1, 60s);
    ASSERT_EQ(next.size(), 1u) << second.lastError();
    EXPECT_EQ(Serdes::Int64()->deserialize(*next[0].value), 201);
    EXPECT_TRUE(second.close(60s));
  }
  static TopicReader::Options readCommitted() {
    TopicReader::Options o;
    o.readCommitted = true;
    return o;
  }
  const std::string in = uniqueName("owner-in"), out = uniqueName("owner-out"), app = uniqueName("owner");
  std::optional<TopicReader> output;  // read_committed, from the first record on
  std::unique_ptr<internal::StreamsProducer> open;
};

TEST(Restoration, ANewOwnerRestoresWhatThePreviousOwnerCommittedBehindATransactionLeftOpen) {
  TwoOwners owners;
  ASSERT_FALSE(testing::Test::HasFailure());
  owners.secondOwnerWaitsAndGoesOnFromEveryCommittedRecord();
}

// The same when the new owner cannot read the committed offsets at first: the open
// transaction also moves them (offsets in a transaction are not stable until it ends), so
// the look-up at the assignment times out, and the task's stores wait until a later one
// reads them.
TEST(Restoration, ANewOwnerWaitsForCommittedOffsetsThatAreNotStableYet) {
  TwoOwners owners;
  ASSERT_FALSE(testing::Test::HasFailure());
  internal::PartitionList offsets(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(offsets.get(), owners.in.c_str(), 0)->offset = 0;
  std::unique_ptr<rd_kafka_consumer_group_metadata_t, void (*)(rd_kafka_consumer_group_metadata_t*)> group(
      rd_kafka_consumer_group_metadata_new(owners.app.c_str()), rd_kafka_consumer_group_metadata_destroy);
  rd_kafka_error_t* error = rd_kafka_send_offsets_to_transaction(owners.open->handle(), offsets.get(), group.get(), 30000);
  ASSERT_EQ(error, nullptr) << rd_kafka_error_string(error);
  owners.secondOwnerWaitsAndGoesOnFromEveryCommittedRecord();
}

// What that costs a new application: its empty changelogs are read to their end too, which
// ends at once.
TEST(Restoration, AnEmptyChangelogFinishesWithNothingRestored) {
  RestoreSetup r(0);
  ASSERT_TRUE(restoreUntilDone(r.reader, r.task, 60s));
  EXPECT_EQ(r.metrics.restoredRecords.load(), 0);
  EXPECT_EQ(r.metrics.restorations.load(), 0) << "an empty changelog counted as a restoration";
  EXPECT_FALSE(r.store->checkpoint().has_value());
}

}  // namespace
}  // namespace kstreams
