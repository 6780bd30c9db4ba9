// StreamThread's commits and the ways out of a failure: commits (at the interval, when
// the uncommitted budget fills, when handing partitions over), recovery from an aborted
// transaction (rewind and redo) and from fencing (a new producer, a new group member), a
// clean shutdown and a failure. See stream_thread.cc for the processing loop.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/log.h"
#include "runtime/stream_thread.h"

namespace kstreams::internal {

void StreamThread::seekToCommitted(rd_kafka_topic_partition_list_t* partitions) {
  if (partitions->cnt == 0) return;
  rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), partitions, static_cast<int>(config_.defaultApiTimeout().count()));
  if (err) throw StreamsException(std::string("cannot read the committed offsets to rewind to: ") + rd_kafka_err2str(err));
  noteCommittedMetadata(partitions);
  // None committed: under earliest the thread began at the beginning, as it does for a
  // repartition topic; under latest its start was committed when it got the partition
  // (pinLatestStarts), so only a failed pin gets here, and redoing too much beats skipping
  // what was processed. Under error that is the thread's error, as when it got the partition.
  for (int i = 0; i < partitions->cnt; ++i) {
    auto& tp = partitions->elems[i];
    if (tp.offset >= 0) continue;
    if (resetOffset_ == RD_KAFKA_OFFSET_INVALID && !repartitionTopics_.count(tp.topic))
      throw noStartPosition(tp.topic, tp.partition, "no committed offset");
    tp.offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  KafkaError e(rd_kafka_seek_partitions(consumer_.get(), partitions, static_cast<int>(config_.defaultApiTimeout().count())));
  if (e) throw StreamsException(std::string("cannot rewind to the committed offsets: ") + rd_kafka_error_string(e.get()));
}

void StreamThread::redoSinceLastCommit(const std::string& why) {
  // A failure that does not pass (a topic whose min.insync.replicas its replicas can never
  // meet, a broker's log directory gone) would be redone for ever: past task.timeout.ms
  // without a commit it is the thread's error.
  const auto now = std::chrono::steady_clock::now();
  if (!redoingSince_) redoingSince_ = now;
  if (now - *redoingSince_ >= config_.taskTimeout())
    throw StreamsException(why + "; the work since the last commit was redone for " +
                           std::to_string(config_.taskTimeout().count()) +
                           " ms (task.timeout.ms) without a commit");
  log().warn("{}: {}; redoing the work since the last commit", name_, why);
  metrics_.redos.fetch_add(1, std::memory_order_relaxed);
  rd_kafka_topic_partition_list_t* raw = nullptr;
  rd_kafka_assignment(consumer_.get(), &raw);
  PartitionList assignment(raw);
  // Dirty close: pending store writes and caches go; committed state stays.
  closeTasks(false);
  producer_->forgetFailuresToRedo();
  onAssigned(assignment.get(), false);
  try {
    seekToCommitted(assignment.get());
  } catch (const StreamsException& e) {
    // The group coordinator may be what the outage took away. A thread that joins again
    // starts its partitions from the committed offsets all the same.
    log().warn("{}: {}; joining the group again to start from the committed offsets", name_, e.what());
    closeTasks(false);
    rejoinGroup();
  }
}

void StreamThread::recoverFromFencing(const std::string& why) {
  log().warn("{}: {}; replacing the producer and rejoining the group", name_, why);
  closeTasks(false);
  producer_.reset();
  producer_ = createProducer();
  services_.collector = producer_.get();
  stateServices_.collector = producer_.get();
  rejoinGroup();
}

void StreamThread::rejoinGroup() {
  // Leaving and joining again hands out the partitions afresh.
  rd_kafka_unsubscribe(consumer_.get());
  PartitionList topics(rd_kafka_topic_partition_list_new(static_cast<int>(subscription_.size())));
  for (const auto& t : subscription_) rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), topics.get());
  if (err) throw StreamsException(std::string("cannot subscribe to the input topics again: ") + rd_kafka_err2str(err));
}

size_t StreamThread::uncommittedBytes() const {
  size_t n = 0;
  for (const auto& [id, task] : tasks_)
    if (StateManager* state = task->state()) n += state->pendingBytes();
  return n;
}

size_t StreamThread::publishMemory() {
  const size_t uncommitted = uncommittedBytes();
  metrics_.uncommittedBytes.store(static_cast<int64_t>(uncommitted), std::memory_order_relaxed);
  metrics_.recordCacheBytes.store(cache_.usedBytes, std::memory_order_relaxed);
  return uncommitted;
}

void StreamThread::maybeCommit() {
  bool requested = false;
  for (const auto& [id, task] : tasks_) requested = requested || task->commitRequested();
  // Store writes wait in memory: past the thread's share of statestore.uncommitted.max.bytes,
  // commit (and apply them) now. Under either guarantee local state then stays at or behind
  // what Kafka committed.
  if (requested || publishMemory() >= maxUncommittedBytes_ ||
      std::chrono::steady_clock::now() - lastCommit_ >= config_.commitInterval())
    commit();
}

void StreamThread::commit(bool handingOver) {
  // Set again at the end; from here, a commit that fails is retried an interval later.
  lastCommit_ = std::chrono::steady_clock::now();
  // Cached results go downstream (and to changelogs) first: they are part of this commit.
  for (auto& [id, task] : tasks_)
    if (task->initialized() && task->state()) task->state()->flushCaches();
  const bool exactlyOnce = config_.exactlyOnce();
  const bool sentRecords = exactlyOnce && producer_->inTransaction();
  // What the changelogs hold once this commit succeeds. Without records in it, an offset
  // slot may still hold one of an aborted transaction's records: only what is known stays.
  CommittedChangelogOffsets committedChangelogs = committedChangelogOffsets_;
  if (!exactlyOnce) producer_->flush();
  // Under exactly_once_v2 the transaction's changelog offsets go into its offsets' metadata
  // (see changelog_offsets.h), so they must be known before the offsets are sent.
  // If they do not all come (a broker away), the metadata holds what was known before, and
  // the offset slots are not read while reports may still write them.
  auto noteWhatTheChangelogsHold = [&] {
    for (auto& [id, task] : tasks_)
      if (task->initialized() && task->state()) task->state()->noteCommittedOffsets(committedChangelogs);
  };
  const bool delivered = !sentRecords || !hasStores() || producer_->awaitDeliveries();
  if ((!exactlyOnce || sentRecords) && delivered) noteWhatTheChangelogsHold();
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(tasks_.size())));
  bool anyOffsets = false;
  // Per task, the metadata of the changelog offsets its commit carries; each input offset
  // carries them with its own partition time (see changelog_offsets.h).
  std::map<TaskId, std::string> changelogMetadataOf;
  for (const auto& [id, task] : tasks_) {
    CommittedChangelogOffsets changelogs;
    if (exactlyOnce && task->initialized() && task->state())
      changelogs = task->state()->changelogOffsetsIn(committedChangelogs);
    std::string& changelogMetadata = changelogMetadataOf[id];
    changelogMetadata = commitMetadata(changelogs);
    // A task whose changelogs moved while its input did not (a wall-clock punctuation wrote
    // to its stores) commits its positions again: the metadata must reach the next owner.
    // Partition times move only with input, so they never call for that.
    const bool newChangelogs = !changelogMetadata.empty() && changelogMetadata != task->committedChangelogMetadata();
    const std::vector<CommitOffset> offsets = task->offsetsToCommit(newChangelogs);
    // A task without a position yet (no record processed since it began) carries nothing:
    // its metadata is not committed, and the next commit tries again.
    if (offsets.empty()) {
      changelogMetadata = task->committedChangelogMetadata();
      continue;
    }
    for (const CommitOffset& o : offsets) {
      rd_kafka_topic_partition_t* p = rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition);
      p->offset = o.offset;
      if (const std::string metadata = commitMetadata(changelogs, o.partitionTime, task->processorMetadata());
          !metadata.empty()) {
        // The list frees it with librdkafka's allocator, which is malloc.
        p->metadata = std::malloc(metadata.size());
        std::memcpy(p->metadata, metadata.data(), metadata.size());
        p->metadata_size = metadata.size();
      }
      anyOffsets = true;
    }
  }

  // Under at_least_once every output record of the processed input is acknowledged before
  // the input's offset is committed. Under exactly_once_v2 outputs, changelog records and
  // offsets commit (or abort) together, in a transaction; but with nothing sent since the
  // last commit, a transaction would hold the offsets alone: a plain commit is the same
  // write in one round trip instead of three (2-3 ms instead of 9-11 on loopback), fenced by
  // the same group generation, and the group coordinator orders it after any earlier
  // transactional commit by their places in __consumer_offsets. It is synchronous, so it
  // lands before the next transaction's offsets. If it fails for another reason than a
  // rebalance, the transaction retries what can be retried and aborts what cannot.
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (!sentRecords && anyOffsets) {
    err = rd_kafka_commit(consumer_.get(), list.get(), 0);
    if (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
        err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || err == RD_KAFKA_RESP_ERR__STATE) {
      log().warn("{}: committing offsets failed because the group is rebalancing ({}); records "
                 "since the last commit will be processed again by their next owner",
                 name_, rd_kafka_err2str(err));
      return;
    }
    if (err && !exactlyOnce) throw StreamsException(std::string("committing offsets failed: ") + rd_kafka_err2str(err));
    if (err)
      log().debug("{}: committing offsets alone failed ({}); committing them in a transaction", name_,
                  rd_kafka_err2str(err));
  }
  if (sentRecords || err) {
    producer_->commitTransaction(list.get(), consumer_.get());
    metrics_.transactions.fetch_add(1, std::memory_order_relaxed);
  }
  if (sentRecords || anyOffsets) metrics_.commits.fetch_add(1, std::memory_order_relaxed);
  // The reports the wait above did not get are in by now.
  if (sentRecords && !delivered) noteWhatTheChangelogsHold();
  committedChangelogOffsets_ = std::move(committedChangelogs);
  // Stores last: a crash before this leaves them behind their changelogs, which a restart
  // catches up from; never ahead of what Kafka committed. Under exactly_once_v2 a 100 ms
  // commit carries a few hundred writes per store, and applying each batch scattered them
  // over RocksDB's memtables; they stay in memory (where the task reads them faster) until
  // the apply interval passes or they fill the budget. An abort closes the tasks without
  // applying, and restoration replays the committed changelog past each store's checkpoint.
  if (!config_.exactlyOnce() || handingOver || uncommittedBytes() >= maxUncommittedBytes_ ||
      lastCommit_ - lastStoresApplied_ >= config_.statestoreApplyInterval()) {
    lastStoresApplied_ = lastCommit_;
    for (auto& [id, task] : tasks_)
      if (task->initialized() && task->state()) task->state()->commit();
    if (hasStores()) metrics_.storeApplies.fetch_add(1, std::memory_order_relaxed);
  }
  for (auto& [id, task] : tasks_) task->markCommitted(std::move(changelogMetadataOf[id]));
  publishMemory();
  // Progress: the redos before it were not in vain.
  if (sentRecords || anyOffsets) redoingSince_.reset();
  // The interval runs from the end of a commit, as in Kafka Streams: under exactly_once_v2 a
  // transaction's commit takes tens of milliseconds, and counted from its start it left
  // little of a 100 ms interval for processing.
  lastCommit_ = std::chrono::steady_clock::now();
}

void StreamThread::shutdownCleanly() {
  setState(State::kPendingShutdown);
  try {
    commit(true);
  } catch (const RedoSinceLastCommitException& e) {
    // Not an error of the thread's: the partitions' next owner redoes the work. Closed now,
    // the tasks have nothing left for the revocation below to commit.
    log().warn("{}: {}; stopping without committing", name_, e.what());
    closeTasks(false);
  } catch (const ProducerFencedException& e) {
    // Another member owns the tasks now (this one was taken for dead): it has their work,
    // and a thread that is stopping anyway has nothing to recover.
    log().warn("{}: {}; stopping without committing", name_, e.what());
    closeTasks(false);
  }
  // Leaving the group revokes the partitions (onRevoked commits nothing new) and lets the
  // rest of the group take them over at once.
  releaseQueues();
  rd_kafka_consumer_close(consumer_.get());
  rethrowCallbackError();
  closeTasks(true);
  consumer_.reset();
  restorer_.reset();
  producer_.reset();
  log().info("{} stopped", name_);
  setState(State::kDead);
}

void StreamThread::fail(const std::string& error) {
  log().error("{} failed: {}", name_, error);
  if (!config_.exactlyOnce() && producer_ && consumer_) {
    // Keep the progress made before the failure: the records processed so far are complete,
    // and commit() refuses if any of their output was lost.
    try {
      commit();
    } catch (const std::exception& e) {
      // It may have committed the offsets before a store write failed (stores go last).
      log().warn("{}: the commit after the failure did not complete: {}; the stores catch up from their "
                 "changelogs and the records not committed are processed again at the next start",
                 name_, e.what());
    }
  }
  failed_ = true;
  closeTasks(false);
  if (consumer_) {
    releaseQueues();
    rd_kafka_consumer_close(consumer_.get());
    callbackError_ = nullptr;
    // A failure (a deleted input topic) must reach the instance even if librdkafka hangs here.
    destroyWithin(std::move(consumer_), std::chrono::seconds(10));
  }
  restorer_.reset();
  producer_.reset();
  state_ = State::kDead;
  listener_.onThreadError(*this, error);
}

}  // namespace kstreams::internal
