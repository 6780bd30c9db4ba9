#include "runtime/changelog_reader.h"

#include <algorithm>
#include <thread>

#include "runtime/log.h"

namespace kstreams::internal {
namespace {

constexpr size_t kBatchRecords = 10000;

PartitionList single(const std::string& topic, int32_t partition, int64_t offset) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
  return list;
}

int64_t elapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

// Errors of a cluster that is still settling (leaders moving, a topic just created).
bool isTransient(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION || err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
         err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
         err == RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH || err == RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH ||
         err == RD_KAFKA_RESP_ERR__TRANSPORT;
}

// librdkafka 2.0 sends a watermark query to the leader in its metadata cache, and does not
// refresh the cache when that broker answers that it no longer leads the partition: after a
// broker bounce moved leadership, the query failed the same way for the minute it was
// retried (the system test's at_least_once run, 2026-12-01), until the periodic refresh
// minutes later. Asking for the topic's metadata updates the cache.
void refreshLeaders(rd_kafka_t* client, const std::string& topic) {
  rd_kafka_resp_err_t ignored;
  topicMetadata(client, topic, 5000, ignored);
}

}  // namespace

ChangelogReader::ChangelogReader(const StreamsConfig& config, const std::string& clientId, RestoreMetrics& metrics,
                                 WatermarkQuery queryWatermarks)
    : config_(config), metrics_(metrics), queryWatermarks_(std::move(queryWatermarks)) {
  // A changelog is read from whatever it still holds, whatever auto.offset.reset says for
  // input topics (under `error` a checkpoint that fell out of the log stalled the restore).
  // An empty changelog is read to its end too (see add()): the broker answers a fetch of it
  // after fetch.wait.max.ms, 500 ms by librdkafka's default, which every new task would wait.
  auto props = clientProperties(config, "consumer", clientId + "-restore-consumer",
                                {{"fetch.wait.max.ms", "20"}},
                                {{"auto.offset.reset", "earliest"},
                                 {"group.id", config.applicationId() + "-restore"},
                                 {"enable.auto.commit", "false"},
                                 {"enable.auto.offset.store", "false"},
                                 {"enable.partition.eof", "true"},
                                 {"isolation.level", config.exactlyOnce() ? "read_committed" : "read_uncommitted"}});
  consumer_ = createClient(RD_KAFKA_CONSUMER, makeConf(props));
  // Under exactly_once_v2 the end a read_committed query answers is the first offset of the
  // oldest open transaction: one that a killed or stalled thread left open holds it there,
  // possibly behind records another thread committed since, until the broker aborts it
  // transaction.timeout.ms after it began.
  if (config.exactlyOnce()) {
    confirmBehind_ = std::max<std::chrono::milliseconds>(confirmBehind_, config.transactionTimeout() + std::chrono::seconds(1));
  }
}

ChangelogReader::~ChangelogReader() {
  if (consumer_) rd_kafka_consumer_close(consumer_.get());
}

// The log start and end offsets of a changelog partition.
void ChangelogReader::queryOffsets(const RestoreTarget& t, TaskId task, int64_t& low, int64_t& high) {
  const auto deadline = std::chrono::steady_clock::now() + config_.defaultApiTimeout();
  rd_kafka_resp_err_t err;
  // A changelog created a moment ago may not have a leader everywhere yet, and a leader may
  // have moved since the cache was filled.
  while ((err = queryWatermarks_(consumer_.get(), t.topic.c_str(), t.partition, &low, &high,
                                 static_cast<int>(config_.defaultApiTimeout().count()))) &&
         isTransient(err) && std::chrono::steady_clock::now() < deadline) {
    refreshLeaders(consumer_.get(), t.topic);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (err)
    throw StreamsException("cannot find the end of changelog " + partitionName(t.topic, t.partition) + " to restore store " +
                           t.store->name() + " of task " + task.toString() + ": " + rd_kafka_err2str(err));
}

void ChangelogReader::add(TaskId task, const std::vector<RestoreTarget>& targets) {
  int restoring = 0;
  for (const RestoreTarget& t : targets) {
    int64_t low = 0, high = 0;
    queryOffsets(t, task, low, high);
    std::optional<int64_t> checkpoint = t.store->checkpoint();
    // librdkafka 2.0 reports a failed half of its watermark query (the end offset of a
    // leader that has not settled, say) as an end of 0, without an error: in the system
    // test a store at offset 1919 was wiped for that, and its task went on from an empty
    // aggregate. So an end behind the checkpoint is asked for again, with fresh metadata,
    // for a few seconds (longer under exactly_once_v2, see the constructor) before the store
    // is taken for one whose changelog was deleted (once per changelog: its other
    // partitions are then taken at their word). Under at_least_once, so is an end behind
    // what this thread committed to the changelog (a new leader's high watermark lags).
    //
    // Under exactly_once_v2 the end is the last stable offset, which passes a committed
    // transaction only once the broker has its commit marker (after the commit returned),
    // and never passes a transaction left open before it. A restore that stopped short of
    // what was committed (by this thread, or by the task's previous owner as its last
    // commit's metadata says) would leave the store behind its task's input offsets, and
    // every later result of its keys wrong; so the restore reads on to that offset, however
    // long the records take to become readable (see endConfirmed()).
    const auto confirmBy =
        std::chrono::steady_clock::now() + (changelogsFoundBehind_.count(t.topic) ? std::chrono::milliseconds(0) : confirmBehind_);
    const bool exactlyOnce = config_.exactlyOnce();
    const int64_t mustPass =
        std::max(checkpoint.value_or(-1), exactlyOnce ? int64_t{-1} : t.committedThrough.value_or(-1));
    int asked = 1;
    while (mustPass >= 0 && mustPass >= high && std::chrono::steady_clock::now() < confirmBy) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      refreshLeaders(consumer_.get(), t.topic);
      queryOffsets(t, task, low, high);
      ++asked;
    }
    if (checkpoint && *checkpoint >= high) {
      // The changelog is behind the local state: it was deleted and created again.
      log().warn("store {} of task {} is at changelog offset {}, past the end {} of {} ({} queries); restoring it "
                 "from scratch",
                 t.store->name(), task.toString(), *checkpoint, high, partitionName(t.topic, t.partition), asked);
      changelogsFoundBehind_.insert(t.topic);
      t.store->wipe();
      checkpoint.reset();
    } else if (checkpoint && *checkpoint + 1 < low) {
      // The changelog no longer holds the records right after the checkpoint (deleted with
      // DeleteRecords, or by retention on a changelog that is not only compacted): the store
      // may hold what the changelog no longer has, and cannot be brought up to date on top
      // of it. Kafka Streams takes the task as corrupted, and wipes its state under
      // exactly_once_v2 only; restoring on top of the store would be as wrong under
      // at_least_once, so kstreams wipes under both.
      log().warn("store {} of task {} is at changelog offset {}, below the start {} of {}: records after it were "
                 "deleted from the changelog; wiping the store and restoring it from the changelog's start",
                 t.store->name(), task.toString(), *checkpoint, low, partitionName(t.topic, t.partition));
      t.store->wipe();
      checkpoint.reset();
    } else if (!exactlyOnce && t.committedThrough && *t.committedThrough >= high) {
      log().warn("changelog {} ends at {} after {} queries, before offset {} that this thread wrote to it: it was "
                 "deleted; restoring store {} of task {} to that end",
                 partitionName(t.topic, t.partition), high, asked, *t.committedThrough, t.store->name(), task.toString());
    } else if (asked > 1) {
      log().info("store {} of task {}: changelog {} ends at {} ({} queries; the first answers were behind the store)",
                 t.store->name(), task.toString(), partitionName(t.topic, t.partition), high, asked);
    }
    const int64_t from = checkpoint ? *checkpoint + 1 : low;
    const int64_t end = exactlyOnce && t.committedThrough ? std::max(high, *t.committedThrough + 1) : high;
    // An empty store of a changelog that looks empty may be the same answer of 0 for a
    // changelog that holds records (a new instance taking the task over): taken at its word,
    // the task would go on from empty state, silently. So such a changelog is read until
    // the consumer finds its end, at once if it is empty.
    const bool looksEmpty = !checkpoint && end <= low;
    if (from >= end && !looksEmpty) continue;  // caught up already
    if (!looksEmpty)
      log().info("task {}: restoring store {} from {}, offsets {} to {}{}", task.toString(), t.store->name(),
                 partitionName(t.topic, t.partition), from, end,
                 end > high ? fmt::format(" (its committed records end at {} for now)", high) : "");
    Partition p;
    p.task = task;
    p.target = t;
    p.endOffset = looksEmpty ? kEndFoundByFetch : end;
    p.started = std::chrono::steady_clock::now();
    partitions_.emplace(Key{t.topic, t.partition}, std::move(p));
    KafkaError e(rd_kafka_incremental_assign(consumer_.get(), single(t.topic, t.partition, from).get()));
    if (e)
      throw StreamsException("cannot read changelog " + partitionName(t.topic, t.partition) + ": " +
                             rd_kafka_error_string(e.get()));
    ++restoring;
  }
  taskStarted_[task] = std::chrono::steady_clock::now();
  if (restoring == 0) doneAtOnce_.push_back(task);
  else remaining_[task] = restoring;
}

void ChangelogReader::remove(TaskId task) {
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    if (it->second.task == task) {
      KafkaError e(rd_kafka_incremental_unassign(consumer_.get(),
                                                 single(it->first.first, it->first.second, RD_KAFKA_OFFSET_INVALID).get()));
      it = partitions_.erase(it);
    } else {
      ++it;
    }
  }
  remaining_.erase(task);
  taskStarted_.erase(task);
  tasksThatRestored_.erase(task);
  std::erase(doneAtOnce_, task);
}

void ChangelogReader::apply(Partition& p) {
  if (p.batch.empty()) return;
  p.target.store->restore(p.batch, p.batchLastOffset);
  p.restored += static_cast<int64_t>(p.batch.size());
  metrics_.restoredRecords.fetch_add(static_cast<int64_t>(p.batch.size()), std::memory_order_relaxed);
  p.batch.clear();
}

void ChangelogReader::finish(const Key& key, std::vector<TaskId>& done) {
  auto it = partitions_.find(key);
  if (it == partitions_.end()) return;
  Partition& p = it->second;
  apply(p);
  const int64_t ms = elapsedMs(p.started);
  if (p.restored > 0 || p.endOffset != kEndFoundByFetch) {  // not a changelog confirmed empty
    tasksThatRestored_.insert(p.task);
    log().info("task {}: restored store {} ({} records from {}) in {} ms", p.task.toString(), p.target.store->name(),
               p.restored, partitionName(key.first, key.second), ms);
    metrics_.restorations.fetch_add(1, std::memory_order_relaxed);
    metrics_.restoreTimeMs.fetch_add(ms, std::memory_order_relaxed);
  }
  KafkaError e(rd_kafka_incremental_unassign(consumer_.get(), single(key.first, key.second, RD_KAFKA_OFFSET_INVALID).get()));
  const TaskId task = p.task;
  partitions_.erase(it);
  if (--remaining_[task] == 0) {
    remaining_.erase(task);
    if (tasksThatRestored_.erase(task))
      metrics_.lastRestoreTimeMs.store(elapsedMs(taskStarted_[task]), std::memory_order_relaxed);
    taskStarted_.erase(task);
    done.push_back(task);
  }
}

std::vector<TaskId> ChangelogReader::restore(std::chrono::milliseconds budget) {
  std::vector<TaskId> done = std::move(doneAtOnce_);
  doneAtOnce_.clear();
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (!partitions_.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(left.count()));
    if (m == nullptr) continue;
    Key key{m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->partition};
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      const int64_t at = m->offset;
      rd_kafka_message_destroy(m);
      auto it = partitions_.find(key);
      // Finishing here would leave the store without the records between `at` and the end
      // the leader reported, and the task would go on from state that is behind its
      // changelog. The consumer reads on; endConfirmed() asks for the end again.
      if (it != partitions_.end() && it->second.endOffset != kEndFoundByFetch && at < it->second.endOffset) {
        Partition& p = it->second;
        if (p.endFoundAt < 0) p.endLastAskedFor = std::chrono::steady_clock::now();
        p.endFoundAt = at;
        continue;
      }
      finish(key, done);
      continue;
    }
    if (m->err) {
      std::string text = rd_kafka_message_errstr(m);
      rd_kafka_resp_err_t err = m->err;
      rd_kafka_message_destroy(m);
      if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        throw StreamsException("changelog topic " + key.first + " cannot be read (" + text +
                               "); was it deleted? Reset the application to start over");
      log().warn("restore consumer: {}", text);
      continue;
    }
    auto it = partitions_.find(key);
    if (it == partitions_.end()) {
      rd_kafka_message_destroy(m);
      continue;
    }
    Partition& p = it->second;
    p.endFoundAt = -1;
    if (p.endOffset == kEndFoundByFetch && p.restored == 0 && p.batch.empty())
      log().warn("task {}: changelog {} of store {} was reported empty, yet holds records; restoring them",
                 p.task.toString(), partitionName(key.first, key.second), p.target.store->name());
    ChangelogRecord r;
    if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value = std::string(static_cast<const char*>(m->payload), m->len);
    r.timestamp = rd_kafka_message_timestamp(m, nullptr);
    p.batch.push_back(std::move(r));
    p.batchLastOffset = m->offset;
    const bool last = m->offset >= p.endOffset - 1;
    rd_kafka_message_destroy(m);
    if (last) finish(key, done);
    else if (p.batch.size() >= kBatchRecords) apply(p);
  }
  std::vector<Key> ended;
  for (auto& [key, p] : partitions_) {
    if (p.endFoundAt >= 0 && endConfirmed(key, p)) {
      ended.push_back(key);
      continue;
    }
    apply(p);  // checkpoint the progress so far
    // An empty changelog ends within a fetch; one that does not may have no leader.
    constexpr int64_t kWaitBeforeWarningMs = 10000;
    if (p.endOffset == kEndFoundByFetch && p.restored == 0 && !p.warnedStillWaiting &&
        elapsedMs(p.started) >= kWaitBeforeWarningMs) {
      p.warnedStillWaiting = true;
      log().warn("task {}: store {} still waits for the end of changelog {}, reported empty, after {} ms; "
                 "librdkafka's log says why the partition cannot be fetched",
                 p.task.toString(), p.target.store->name(), partitionName(key.first, key.second), elapsedMs(p.started));
    }
  }
  for (const Key& key : ended) finish(key, done);
  return done;
}

// A partition whose end the consumer found before the end its leader reported: asks for
// the end again, once a second, and takes the partition as restored if the end is now
// where the consumer found it (the first answer was ahead: the changelog was deleted and
// created again, say). Otherwise the consumer reads on to the end now reported.
bool ChangelogReader::endConfirmed(const Key& key, Partition& p) {
  const auto now = std::chrono::steady_clock::now();
  if (now - p.endLastAskedFor < std::chrono::seconds(1)) return false;
  p.endLastAskedFor = now;
  int64_t low = 0, high = 0;
  queryOffsets(p.target, p.task, low, high);
  // Records committed to the changelog (by this thread, or by the task's previous owner) are
  // there, whatever end read_committed readers are shown for now: the store waits for them
  // (see add()), up to task.timeout.ms.
  const std::optional<int64_t> committed = config_.exactlyOnce() ? p.target.committedThrough : std::nullopt;
  if (committed && *committed >= p.endFoundAt && high <= *committed) {
    const std::string what = fmt::format(
        "changelog {} holds records committed up to offset {} (by this thread, or by the task's previous owner as its "
        "last commit says), but read_committed readers see it end at {}: a transaction left open on it holds them "
        "back (Kafka's kafka-transactions.sh find-hanging and abort settle one that no producer will end), or the "
        "changelog was deleted and created again (reset the application then)",
        partitionName(key.first, key.second), *committed, high);
    if (elapsedMs(p.started) >= config_.taskTimeout().count())
      throw StreamsException("cannot restore store " + p.target.store->name() + " of task " + p.task.toString() +
                             " within task.timeout.ms (" + std::to_string(config_.taskTimeout().count()) +
                             " ms): " + what);
    if (!p.warnedStillWaiting && elapsedMs(p.started) >= 10000) {
      p.warnedStillWaiting = true;
      log().warn("task {}: store {} waits: {}", p.task.toString(), p.target.store->name(), what);
    }
    return false;
  }
  if (high <= p.endFoundAt) {
    log().info("task {}: changelog {} of store {} ends at {}, not at {} as first reported", p.task.toString(),
               partitionName(key.first, key.second), p.target.store->name(), p.endFoundAt, p.endOffset);
    return true;
  }
  if (!p.warnedStillWaiting && elapsedMs(p.started) >= 10000) {
    p.warnedStillWaiting = true;
    log().warn("task {}: store {} waits for changelog {} to reach offset {}; its leader has records to {} only, "
               "librdkafka's log may say why",
               p.task.toString(), p.target.store->name(), partitionName(key.first, key.second), high, p.endFoundAt);
  }
  p.endOffset = high;
  return false;
}

}  // namespace kstreams::internal
