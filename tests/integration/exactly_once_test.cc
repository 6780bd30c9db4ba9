// exactly_once_v2 on the real broker: outputs, changelogs and offsets commit together, and
// a failed thread's open transaction never becomes visible to read_committed consumers.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "kstreams.h"
#include "runtime/changelog_offsets.h"
#include "runtime/kafka_client.h"
#include "runtime/streams_producer.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::bootstrap;
using test::uniqueName;

StreamsConfig eosConfig(const std::string& app, std::map<std::string, std::string> extra = {}) {
  extra.try_emplace("processing.guarantee", "exactly_once_v2");
  extra.try_emplace("state.dir", "/tmp/kstreams-it-eos/" + app);
  return test::appConfig(app, extra);
}

// Reads `topic` (read_committed) until it holds n records or `streams` fails.
std::vector<TopicRecord> readCommitted(const std::string& topic, size_t n, KafkaStreams& streams,
                                       std::chrono::milliseconds timeout = 120s) {
  TopicReader::Options committed;
  committed.readCommitted = true;
  TopicReader reader(bootstrap(), topic, committed);
  std::vector<TopicRecord> records;
  test::eventually(
      [&] {
        auto more = reader.read(n - records.size(), 500ms);
        records.insert(records.end(), more.begin(), more.end());
        return records.size() >= n || streams.state() == KafkaStreams::State::ERROR;
      },
      timeout);
  return records;
}

void produceValues(const std::string& topic, const std::vector<std::string>& values) {
  KafkaProducer producer(bootstrap());
  for (const std::string& v : values) producer.send(topic, "k", v);
  producer.flush();
}

TEST(ExactlyOnce, RunningCountsThroughARepartitionHaveNoGapsAndNoDuplicates) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-in"), out = uniqueName("eos-out");
  admin.createTopic(in, 4);
  admin.createTopic(out, 4);
  constexpr int kKeys = 200, kRecords = 20000;
  {
    KafkaProducer producer(bootstrap());
    for (int i = 0; i < kRecords; ++i) producer.send(in, "k" + std::to_string(i % kKeys), std::to_string(i));
    producer.flush();
  }
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in)
      .groupBy([](const std::string&, const std::string& v) { return "g" + std::to_string(std::stoi(v) % kKeys); })
      .count(Materialized<std::string, int64_t>::as("counts").withCachingDisabled())
      .toStream()
      .to(out, Produced<std::string, std::optional<int64_t>>::with(Serdes::String(), Serdes::Int64()));
  KafkaStreams streams(builder.build(), eosConfig(uniqueName("eos-count"), {{"num.stream.threads", "2"}}));
  streams.start();
  std::vector<TopicRecord> records = readCommitted(out, kRecords, streams, 180s);
  ASSERT_EQ(records.size(), static_cast<size_t>(kRecords)) << streams.lastError();
  std::map<std::string, std::vector<int64_t>> counts;
  for (const auto& r : records) counts[*r.key].push_back(Serdes::Int64()->deserialize(*r.value));
  ASSERT_EQ(counts.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, seq] : counts) {
    ASSERT_EQ(seq.size(), static_cast<size_t>(kRecords / kKeys)) << key;
    for (size_t i = 0; i < seq.size(); ++i) ASSERT_EQ(seq[i], static_cast<int64_t>(i + 1)) << key;
  }
  EXPECT_GT(streams.metrics().commits, 0);
  EXPECT_TRUE(streams.close(60s));
  // Nothing more appears after the application stopped.
  EXPECT_EQ(test::consumeToEnd(out, 60s, true).size(), static_cast<size_t>(kRecords));
}

// Copies each record, but fails the thread on the record whose value is `failOn`, once.
class FailOnce : public Processor<std::string, std::string, std::string, std::string> {
 public:
  FailOnce(std::atomic<bool>* armed, std::string failOn) : armed_(armed), failOn_(std::move(failOn)) {}
  void init(ProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
  void process(Record<std::string, std::string> r) override {
    if (r.value == failOn_ && armed_->exchange(false)) throw std::runtime_error("injected failure");
    ctx_->forward(std::move(r));
  }

 private:
  std::atomic<bool>* armed_;
  std::string failOn_;
  ProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

TEST(ExactlyOnce, AFailedThreadsOpenTransactionStaysInvisibleAndARestartCompletesTheOutput) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-fail-in"), out = uniqueName("eos-fail-out");
  const std::string app = uniqueName("eos-fail");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  {
    KafkaProducer producer(bootstrap());
    for (int i = 0; i < 1000; ++i) producer.send(in, "k", std::to_string(i));
    producer.flush();
  }
  std::atomic<bool> armed{true};
  auto topology = [&] {
    auto builder = std::make_shared<StreamsBuilder>();
    builder->stream<std::string, std::string>(in)
        .process([&armed] { return std::make_unique<FailOnce>(&armed, "700"); })
        .to(out);
    return builder->build();
  };
  // A long commit interval: the failure hits in the middle of an open transaction.
  {
    KafkaStreams first(topology(), eosConfig(app, {{"commit.interval.ms", "60000"}}));
    first.start();
    ASSERT_TRUE(first.waitForState(KafkaStreams::State::ERROR, 60s));
    EXPECT_NE(first.lastError().find("injected failure"), std::string::npos) << first.lastError();
    EXPECT_NE(first.lastError().find("offset 700"), std::string::npos) << first.lastError();
  }
  // The failure hit an open transaction: none of its records may be visible.
  auto visible = test::consumeToEnd(out, 30s, true);
  EXPECT_LT(visible.size(), 700u) << "records of the aborted transaction are visible";

  KafkaStreams second(topology(), eosConfig(app));
  second.start();
  std::vector<TopicRecord> all = readCommitted(out, 1000, second);
  ASSERT_EQ(all.size(), 1000u) << second.lastError();
  ASSERT_TRUE(second.close(60s));
  all = test::consumeToEnd(out, 30s, true);
  ASSERT_EQ(all.size(), 1000u) << "every input record's output exactly once";
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(*all[i].value, std::to_string(i));
}

// Copies each record; at the record whose value is `stallOn` (once), holds the thread until
// `until` holds, then asks for a commit.
class StallOnce : public Processor<std::string, std::string, std::string, std::string> {
 public:
  StallOnce(std::atomic<bool>* armed, std::string stallOn, std::function<bool()> until)
      : armed_(armed), stallOn_(std::move(stallOn)), until_(std::move(until)) {}
  void init(ProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
  void process(Record<std::string, std::string> r) override {
    if (r.value == stallOn_ && armed_->exchange(false)) {
      EXPECT_TRUE(test::eventually(until_, 60s)) << "the stall's condition never held";
      ctx_->commit();
    }
    ctx_->forward(std::move(r));
  }

 private:
  std::atomic<bool>* armed_;
  std::string stallOn_;
  std::function<bool()> until_;
  ProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

// Under auto.offset.reset=latest, a thread stalls past transaction.timeout.ms before
// anything it processed was committed; the broker aborts the transaction and fences the
// producer, the thread rejoins, and redoes the records it had processed: neither skips them
// (a second look-up of "the end") nor reads what came before it started.
TEST(ExactlyOnce, AStartAtTheEndIsCommittedSoAThreadFencedBeforeItsFirstCommitRedoesItsRecords) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-stall-in"), out = uniqueName("eos-stall-out"), app = uniqueName("eos-stall");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  produceValues(in, {"before-0", "before-1", "before-2"});
  std::atomic<bool> armed{true};
  auto topology = [&] {
    auto builder = std::make_shared<StreamsBuilder>();
    // The broker aborted the transaction when its marker follows the record "a" sent in it.
    auto aborted = [&admin, out] { return admin.endOffsets(out)[0] >= 2; };
    builder->stream<std::string, std::string>(in)
        .process([&armed, aborted] { return std::make_unique<StallOnce>(&armed, "stall", aborted); })
        .to(out);
    return builder->build();
  };
  KafkaStreams streams(topology(), eosConfig(app, {{"consumer.auto.offset.reset", "latest"},
                                                   {"producer.transaction.timeout.ms", "1000"}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  // The partition starts at its end, and that start is committed at once.
  EXPECT_TRUE(test::eventually([&] { return admin.committedOffsets(app, in)[0] == 3; }, 30s))
      << "committed: " << admin.committedOffsets(app, in)[0];
  produceValues(in, {"a", "stall", "b"});
  std::vector<TopicRecord> records = readCommitted(out, 3, streams, 90s);
  ASSERT_TRUE(streams.close(60s));
  records = test::consumeToEnd(out, 30s, true);
  std::vector<std::string> got;
  for (const auto& r : records) got.push_back(*r.value);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "stall", "b"}))
      << "the aborted records once each, and nothing from before the application started";
}

// Counts per key, with a FailOnce in front; no cache, so every record reaches the store.
Topology failingCount(const std::string& in, const std::string& out, std::atomic<bool>* armed) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in)
      .process([armed] { return std::make_unique<FailOnce>(armed, "fail"); })
      .groupByKey()
      .count(Materialized<std::string, int64_t>::as("counts").withCachingDisabled())
      .toStream()
      .to(out, Produced<std::string, std::optional<int64_t>>::with(Serdes::String(), Serdes::Int64()));
  return builder.build();
}

// Commit intervals in which nothing was sent commit their offsets without a transaction;
// mixed with transactional commits, the newest offset wins, and a restart resumes there.
TEST(ExactlyOnce, IntervalsWithoutOutputCommitOffsetsAloneAndARestartResumesAfterThem) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-quiet-in"), out = uniqueName("eos-quiet-out"), app = uniqueName("eos-quiet");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  std::atomic<bool> armed{true};
  auto topology = [&] {
    auto builder = std::make_shared<StreamsBuilder>();
    builder->stream<std::string, std::string>(in)
        .filter([](const std::string&, const std::string& v) { return v.rfind("keep", 0) == 0; })
        .process([&armed] { return std::make_unique<FailOnce>(&armed, "keep-fail"); })
        .to(out);
    return builder->build();
  };
  auto values = [](const std::string& prefix, int from, int to) {
    std::vector<std::string> v;
    for (int i = from; i < to; ++i) v.push_back(prefix + std::to_string(i));
    return v;
  };
  {
    KafkaStreams first(topology(), eosConfig(app));
    first.start();
    produceValues(in, values("keep-", 0, 100));
    ASSERT_EQ(readCommitted(out, 100, first).size(), 100u) << first.lastError();
    const int64_t transactions = first.metrics().transactions;
    EXPECT_GT(transactions, 0) << "the output was committed in a transaction";
    // 1000 records that all fail the filter: their offsets are committed all the same.
    produceValues(in, values("drop-", 0, 1000));
    EXPECT_TRUE(test::eventually([&] { return admin.committedOffsets(app, in)[0] == 1100; }, 60s))
        << "committed: " << admin.committedOffsets(app, in)[0] << "; " << first.lastError();
    auto m = first.metrics();
    EXPECT_EQ(m.transactions, transactions) << "no transaction without records in it";
    EXPECT_GT(m.commits, m.transactions) << "the offsets of the filtered records were committed alone";
    // The thread fails at the first record of the next interval.
    std::vector<std::string> more = values("keep-", 100, 200);
    more.insert(more.begin(), "keep-fail");
    produceValues(in, more);
    ASSERT_TRUE(first.waitForState(KafkaStreams::State::ERROR, 60s));
  }
  KafkaStreams second(topology(), eosConfig(app));
  second.start();
  ASSERT_EQ(readCommitted(out, 201, second).size(), 201u) << second.lastError();
  // It started after the filtered records, where the last (plain) commit left off, not at the
  // last transaction's offsets.
  EXPECT_EQ(second.metrics().processedRecords, 101);
  ASSERT_TRUE(second.close(60s));
  auto all = test::consumeToEnd(out, 30s, true);
  std::vector<std::string> expected = values("keep-", 0, 100);
  expected.push_back("keep-fail");
  for (const auto& v : values("keep-", 100, 200)) expected.push_back(v);
  std::vector<std::string> got;
  for (const auto& r : all) got.push_back(*r.value);
  EXPECT_EQ(got, expected) << "every kept record's output exactly once, in order";
}

// Writes its store on every wall-clock punctuation, whether records arrive or not.
class Ticker : public Processor<std::string, std::string, std::string, std::string> {
 public:
  void init(ProcessorContext<std::string, std::string>& ctx) override {
    store_ = &ctx.getStateStore<KeyValueStore<std::string, int64_t>>("ticks");
    ctx.schedule(20ms, PunctuationType::WALL_CLOCK_TIME, [this](int64_t) { store_->put("tick", ++ticks_); });
  }
  void process(Record<std::string, std::string>) override {}

 private:
  KeyValueStore<std::string, int64_t>* store_ = nullptr;
  int64_t ticks_ = 0;
};

// How far the metadata of `group`'s committed offset of `topic` partition 0 says the
// changelog partition `changelog` 0 reached (-1 if it names none).
int64_t changelogOffsetInCommitMetadata(const std::string& group, const std::string& topic,
                                        const std::string& changelog) {
  internal::KafkaConf conf(rd_kafka_conf_new());
  char err[256];
  const std::map<std::string, std::string> properties{
      {"bootstrap.servers", bootstrap()}, {"group.id", group}, {"isolation.level", "read_committed"}};
  for (const auto& [k, v] : properties)
    EXPECT_EQ(rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK) << err;
  internal::KafkaHandle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf.release(), err, sizeof err));
  internal::PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), 0);
  if (rd_kafka_committed(consumer.get(), list.get(), 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) return -1;
  const rd_kafka_topic_partition_t& p = list->elems[0];
  internal::CommittedChangelogOffsets offsets;
  internal::addChangelogOffsetsFromMetadata(
      std::string_view(static_cast<const char*>(p.metadata), p.metadata_size), offsets);
  auto it = offsets.find({changelog, 0});
  return it == offsets.end() ? -1 : it->second;
}

// The next owner of a task restores at least as far as the metadata of its committed offsets
// says (changelog_offsets.h). Changelog records written with no input processed (here by a
// wall-clock punctuation) must move that metadata too, or a new owner could restore short
// of them while their transaction's markers are still on their way.
TEST(ExactlyOnce, StoreWritesWithoutInputMoveTheChangelogOffsetsInTheCommit) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-ticks-in"), app = uniqueName("eos-ticks");
  admin.createTopic(in, 1);
  StreamsBuilder builder;
  builder.addStateStore(Stores::keyValueStoreBuilder<std::string, int64_t>(Stores::persistentKeyValueStore("ticks"),
                                                                           Serdes::String(), Serdes::Int64()));
  builder.stream<std::string, std::string>(in).process([] { return std::make_unique<Ticker>(); }, {"ticks"});
  KafkaStreams streams(builder.build(), eosConfig(app));
  streams.start();
  produceValues(in, {"one"});  // the one record: the input's position moves once
  ASSERT_TRUE(test::eventually([&] { return streams.metrics().processedRecords == 1; }, 60s)) << streams.lastError();
  const std::string changelog = app + "-ticks-changelog";
  const int64_t first = changelogOffsetInCommitMetadata(app, in, changelog);
  EXPECT_TRUE(test::eventually(
      [&] { return changelogOffsetInCommitMetadata(app, in, changelog) >= std::max<int64_t>(first, 0) + 20; }, 60s))
      << "the commit metadata stayed at changelog offset " << first << "; the changelog ends at "
      << admin.endOffsets(changelog)[0] << "; " << streams.lastError();
  EXPECT_TRUE(streams.close(60s));
}

TEST(ExactlyOnce, CommittedStoreWritesWaitForTheApplyIntervalAndACleanCloseAppliesThem) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-apply-in"), out = uniqueName("eos-apply-out"), app = uniqueName("eos-apply");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  produceValues(in, std::vector<std::string>(300, "x"));
  std::atomic<bool> armed{false};
  {
    KafkaStreams streams(failingCount(in, out, &armed), eosConfig(app, {{"statestore.apply.interval.ms", "600000"}}));
    streams.start();
    ASSERT_EQ(readCommitted(out, 300, streams).size(), 300u) << streams.lastError();
    // Committed (the output is visible), but not yet applied to local state, where queries read.
    auto counts = streams.store<std::string, int64_t>("counts");
    EXPECT_EQ(counts->get("k"), std::nullopt);
    ASSERT_TRUE(streams.close(60s));
  }
  // The clean close applied them: a restart has nothing to restore.
  KafkaStreams again(failingCount(in, out, &armed), eosConfig(app));
  again.start();
  ASSERT_TRUE(again.waitForState(KafkaStreams::State::RUNNING, 120s)) << again.lastError();
  auto counts = again.store<std::string, int64_t>("counts");
  EXPECT_EQ(counts->get("k"), 300);
  EXPECT_EQ(again.metrics().restoredRecords, 0);
  EXPECT_TRUE(again.close(60s));
}

TEST(ExactlyOnce, AnAbortAfterCommitsNotYetAppliedRestoresThemFromTheChangelogAndCountsEachRecordOnce) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-unapplied-in"), out = uniqueName("eos-unapplied-out");
  const std::string app = uniqueName("eos-unapplied");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  produceValues(in, std::vector<std::string>(500, "x"));
  std::atomic<bool> armed{true};
  {
    KafkaStreams first(failingCount(in, out, &armed), eosConfig(app, {{"statestore.apply.interval.ms", "600000"}}));
    first.start();
    // 500 counts committed in transactions whose store writes still wait in memory...
    ASSERT_EQ(readCommitted(out, 500, first).size(), 500u) << first.lastError();
    // ...when the thread fails at the first record of the next transaction.
    std::vector<std::string> more(500, "x");
    more[0] = "fail";
    produceValues(in, more);
    ASSERT_TRUE(first.waitForState(KafkaStreams::State::ERROR, 60s));
  }
  KafkaStreams second(failingCount(in, out, &armed), eosConfig(app));
  second.start();
  auto all = readCommitted(out, 1000, second);
  ASSERT_EQ(all.size(), 1000u) << second.lastError();
  // The first instance's writes were never applied locally: restoration brought them back.
  EXPECT_EQ(second.metrics().restoredRecords, 500);
  ASSERT_TRUE(second.close(60s));
  all = test::consumeToEnd(out, 30s, true);
  ASSERT_EQ(all.size(), 1000u) << "one count per input record";
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(Serdes::Int64()->deserialize(*all[i].value), static_cast<int64_t>(i + 1));
}


// A record the broker refuses makes its transaction abortable, so under exactly_once_v2 the
// Continue handler cannot drop it: redone, the transaction would be refused again, forever.
// The thread fails instead and names the record's topic, and nothing of the transaction is
// visible.
TEST(ExactlyOnce, ARecordTheBrokerRefusesUnderContinueStopsTheApplicationInsteadOfARedoLoop) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-sizes-in"), out = uniqueName("eos-sizes-out");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1, -1, {{"max.message.bytes", "1000"}});
  produceValues(in, {"small-1", std::string(5000, 'x'), "small-2"});
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in).to(out);
  // One record per produce request: the broker's limit applies to a whole batch.
  KafkaStreams streams(builder.build(), eosConfig(uniqueName("eos-sizes"),
                                                  {{"default.production.exception.handler", "Continue"},
                                                   {"producer.batch.num.messages", "1"}}));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::ERROR, 60s)) << "state " << static_cast<int>(streams.state());
  const std::string error = streams.lastError();
  EXPECT_NE(error.find("writing to topic " + out + " partition 0 failed"), std::string::npos) << error;
  EXPECT_NE(error.find("cannot be dropped"), std::string::npos) << error;
  EXPECT_TRUE(test::consumeToEnd(out, 10s, true).empty()) << "records of the aborted transaction are visible";
  streams.close(30s);
}

// A record larger than the producer's message.max.bytes is refused before it is queued, so
// it never enters a transaction: Continue drops it under exactly_once_v2 as well.
TEST(ExactlyOnce, ARecordRefusedBeforeItIsSentIsDroppedUnderContinueAndTheRestCommit) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-local-sizes-in"), out = uniqueName("eos-local-sizes-out");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  produceValues(in, {"small-1", std::string(5000, 'x'), "small-2"});
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in).to(out);
  KafkaStreams streams(builder.build(), eosConfig(uniqueName("eos-local-sizes"),
                                                  {{"default.production.exception.handler", "Continue"},
                                                   {"producer.message.max.bytes", "2000"}}));
  streams.start();
  std::vector<TopicRecord> records = readCommitted(out, 2, streams, 60s);
  std::vector<std::string> got;
  for (const auto& r : records) got.push_back(*r.value);
  EXPECT_EQ(got, (std::vector<std::string>{"small-1", "small-2"})) << streams.lastError();
  EXPECT_EQ(streams.metrics().droppedRecords, 1);
  EXPECT_NE(streams.state(), KafkaStreams::State::ERROR) << streams.lastError();
  EXPECT_TRUE(streams.close(30s));
}

// A transaction open longer than transaction.timeout.ms is aborted by the broker (here a
// record takes the processor 6 s, the timeout is 2 s), which bumps the producer's epoch:
// librdkafka 2.0.2 reports the thread's next commit as fenced. The thread closes its tasks
// dirty, replaces its producer, rejoins the group and redoes the records since the last
// commit. Every record is then in the output once.
TEST(ExactlyOnce, ATransactionTheBrokerAbortedForItsTimeoutIsRedoneAndEachRecordCommitsOnce) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("eos-redo-in"), out = uniqueName("eos-redo-out");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  std::vector<std::string> values;
  for (int i = 0; i < 50; ++i) values.push_back("v" + std::to_string(i));
  values[20] = "slow";
  produceValues(in, values);
  std::atomic<bool> slowOnce{true};
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in)
      .mapValues([&](const std::string& v) {
        if (v == "slow" && slowOnce.exchange(false)) std::this_thread::sleep_for(6s);
        return v;
      })
      .to(out);
  KafkaStreams streams(builder.build(), eosConfig(uniqueName("eos-redo"), {{"producer.transaction.timeout.ms", "2000"}}));
  streams.start();
  std::vector<std::string> got;
  for (const auto& r : readCommitted(out, values.size(), streams, 60s)) got.push_back(*r.value);
  EXPECT_EQ(got, values) << streams.lastError();
  EXPECT_NE(streams.state(), KafkaStreams::State::ERROR) << streams.lastError();
  EXPECT_GE(streams.metrics().rebalances, 2) << "the thread did not rejoin with a new producer";
  EXPECT_TRUE(streams.close(30s));
  EXPECT_EQ(test::consumeToEnd(out, 10s, true).size(), values.size()) << "a redone record was committed twice";
}

// Once a record of a transaction has failed, librdkafka refuses every further record of it:
// what the thread reports then is the failed record's error, not that refusal's, under
// either production handler.
TEST(ExactlyOnce, ASendAfterARefusedRecordReportsTheRefusedRecord) {
  Admin admin(bootstrap());
  const std::string out = uniqueName("eos-refused-then-more");
  admin.createTopic(out, 1, -1, {{"max.message.bytes", "1000"}});
  for (const char* handling : {"Fail", "Continue"}) {
    StreamsConfig config = eosConfig(uniqueName("eos-refused-then-more"),
                                     {{"default.production.exception.handler", handling}});
    internal::StreamsProducer producer(config, "refused-then-more", uniqueName("refused-then-more"), false);
    producer.send(out, 0, "k", std::string(5000, 'x'), 0, {});
    // Its report has come back once nothing is outstanding: the transaction is abortable.
    ASSERT_EQ(rd_kafka_flush(producer.handle(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR) << handling;
    try {
      producer.send(out, 0, "k", "small", 0, {});
      ADD_FAILURE() << handling << ": a record was taken into an abortable transaction";
    } catch (const internal::TransactionAbortedException& e) {
      ADD_FAILURE() << handling << ": the refused record was not named: " << e.what();
    } catch (const StreamsException& e) {
      EXPECT_NE(std::string(e.what()).find("writing to topic " + out + " partition 0 failed: Broker: Message size too large"),
                std::string::npos)
          << handling << ": " << e.what();
    }
  }
}

// A producer fenced by a newer one with its transactional.id (a zombie) learns it from a
// refused record; its next send says so as ProducerFencedException, which makes the thread
// rejoin with a new producer instead of failing.
TEST(ExactlyOnce, ASendOfAFencedProducerSaysItWasFenced) {
  Admin admin(bootstrap());
  const std::string out = uniqueName("eos-fenced-send");
  admin.createTopic(out, 1);
  const std::string transactionalId = uniqueName("fenced-send");
  internal::StreamsProducer producer(eosConfig(uniqueName("eos-fenced-send")), "fenced-send", transactionalId, false);
  producer.send(out, 0, "k", "a", 0, {});
  ASSERT_EQ(rd_kafka_flush(producer.handle(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  {
    internal::KafkaHandle newer = internal::createClient(
        RD_KAFKA_PRODUCER,
        internal::makeConf({{"bootstrap.servers", bootstrap()}, {"transactional.id", transactionalId}}));
    internal::KafkaError error(rd_kafka_init_transactions(newer.get(), 30000));
    ASSERT_FALSE(error) << rd_kafka_error_string(error.get());
  }
  producer.send(out, 0, "k", "b", 0, {});
  ASSERT_EQ(rd_kafka_flush(producer.handle(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_THROW(producer.send(out, 0, "k", "c", 0, {}), internal::ProducerFencedException);
}

}  // namespace
}  // namespace kstreams
