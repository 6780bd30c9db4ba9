// StreamThread's side of the consumer group: partitions assigned (tasks created, stores
// restored) and revoked (committed first, then closed). See stream_thread.cc for the
// processing loop and stream_thread_commit.cc for commits.
#include <algorithm>
#include <chrono>
#include <vector>

#include "runtime/log.h"
#include "runtime/stream_thread.h"

namespace kstreams::internal {

void StreamThread::onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<StreamThread*>(opaque);
  // No exception may cross librdkafka's C frames: keep it for after the poll returns.
  try {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->onAssigned(partitions);
      self->setStartOffsets(partitions);
    } else {
      self->onRevoked();
    }
  } catch (...) {
    if (!self->callbackError_) self->callbackError_ = std::current_exception();
  }
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && !self->callbackError_)
    rd_kafka_assign(rk, partitions);
  else
    rd_kafka_assign(rk, nullptr);
}

// librdkafka 2.0.2 counts a partition without a committed offset as an offset error and
// asks for its reset position (auto.offset.reset) only after a 100 ms back-off; the Java
// consumer asks at once. Assigning explicit positions skips the wait (and librdkafka's own
// look-up of the committed offsets).
//
// Under exactly_once_v2 the offsets must be stable (KIP-447): not older ones while a
// transaction that moves them is still completing. A read_committed consumer's
// rd_kafka_committed asks for stable offsets and waits while they are not (checked against
// a broker: with a transaction's offsets pending it timed out, read_uncommitted answered at
// once). So the look-up waits at most kStartOffsetsTimeout: an open transaction a killed
// thread left lasts until transaction.timeout.ms, and librdkafka's own look-up waits for it
// without stopping this thread's other partitions. Any doubt (the look-up failed or timed
// out, a partition came back with an error) leaves the assignment as it was, to librdkafka.
//
// A repartition topic's partition without a committed offset starts at its beginning, as in
// Kafka Streams, whatever auto.offset.reset says: all of it is this application's own work.
// (Where librdkafka resets a position itself, the topic's handle says earliest: see
// createClients.) Under auto.offset.reset=error a source topic's partition without one is
// left to librdkafka, which reports it, and the thread fails naming it.
//
// Under auto.offset.reset=latest, a partition without a committed offset starts at its end
// as of now, and that offset is committed at once. Otherwise "the end" would be looked up
// again by whoever next starts the partition without a commit (this thread after a fenced
// producer, a rejoin, another instance after a crash) and the records processed since,
// whose work was never committed, would be skipped.
void StreamThread::setStartOffsets(rd_kafka_topic_partition_list_t* partitions) {
  constexpr std::chrono::milliseconds kStartOffsetsTimeout{1000};
  if (partitions->cnt == 0) return;
  PartitionList committed(rd_kafka_topic_partition_list_copy(partitions));
  const auto timeout = std::min(config_.defaultApiTimeout(), kStartOffsetsTimeout);
  if (rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), committed.get(), static_cast<int>(timeout.count()))) {
    log().debug("{}: committed offsets not read ({}); librdkafka looks them up", name_, rd_kafka_err2str(err));
    return;
  }
  noteCommittedMetadata(committed.get());
  std::vector<int64_t> starts(static_cast<size_t>(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& tp = partitions->elems[i];
    const auto* c = rd_kafka_topic_partition_list_find(committed.get(), tp.topic, tp.partition);
    if (!c || c->err) {
      log().debug("{}: no committed offset read for {} [{}]; librdkafka looks them up", name_, tp.topic, tp.partition);
      return;
    }
    starts[static_cast<size_t>(i)] = c->offset >= 0                     ? c->offset
                                     : repartitionTopics_.count(tp.topic) ? RD_KAFKA_OFFSET_BEGINNING
                                                                          : resetOffset_;
  }
  if (resetOffset_ == RD_KAFKA_OFFSET_END) pinLatestStarts(partitions, starts, timeout);
  for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = starts[static_cast<size_t>(i)];
}

// Stable offsets, as in setStartOffsets: a commit whose transaction is still completing is
// waited for, since its metadata holds the changelog offsets the restore must reach. Each
// try is short and tried again at most once a second, so that while one task's offsets are
// not stable (a killed owner's transaction lasts up to transaction.timeout.ms) the thread's
// running tasks go on; tasks whose offsets came back go on to restore meanwhile.
bool StreamThread::readCommittedMetadata(const std::vector<Task*>& tasks) {
  constexpr std::chrono::milliseconds kReadTimeout{200}, kRetryInterval{1000};
  const auto now = std::chrono::steady_clock::now();
  if (committedMetadataUnreadSince_ && now - lastCommittedMetadataRead_ < kRetryInterval) return false;
  lastCommittedMetadataRead_ = now;
  PartitionList committed(rd_kafka_topic_partition_list_new(static_cast<int>(tasks.size())));
  for (const Task* task : tasks)
    for (const Task::InputPartition& in : task->inputs())
      rd_kafka_topic_partition_list_add(committed.get(), in.topic.c_str(), in.partition);
  const auto timeout = std::min(config_.defaultApiTimeout(), kReadTimeout);
  rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), committed.get(), static_cast<int>(timeout.count()));
  if (!err) noteCommittedMetadata(committed.get());
  std::string unread;
  for (const Task* task : tasks)
    if (!committedMetadataRead_.count(task->taskId())) unread += (unread.empty() ? "" : ", ") + task->taskId().toString();
  if (unread.empty()) {
    committedMetadataUnreadSince_.reset();
    return true;
  }
  for (int i = 0; !err && i < committed->cnt; ++i) err = committed->elems[i].err;
  if (!committedMetadataUnreadSince_) committedMetadataUnreadSince_ = now;
  if (now - *committedMetadataUnreadSince_ >= config_.taskTimeout())
    throw StreamsException("cannot read the committed offsets of tasks [" + unread + "] (" + rd_kafka_err2str(err) +
                           ") for " + std::to_string(config_.taskTimeout().count()) +
                           " ms (task.timeout.ms); a task begins only once what its last commit carries is known "
                           "(its partition times, and under exactly_once_v2 the changelog offsets its stores are "
                           "restored to). Check the group coordinator");
  if (now - lastCommittedMetadataWarning_ > std::chrono::seconds(10)) {
    log().warn("{}: the committed offsets of tasks [{}] not read yet ({}); the tasks wait to begin", name_,
               unread, rd_kafka_err2str(err));
    lastCommittedMetadataWarning_ = now;
  }
  return false;
}

void StreamThread::noteCommittedMetadata(const rd_kafka_topic_partition_list_t* committed) {
  for (int i = 0; i < committed->cnt; ++i) {
    const auto& tp = committed->elems[i];
    if (tp.err || !tp.metadata || tp.metadata_size == 0) continue;
    std::optional<CommitMetadata> read =
        readCommitMetadata(std::string_view(static_cast<const char*>(tp.metadata), tp.metadata_size));
    if (!read) continue;
    if (config_.exactlyOnce()) addChangelogOffsets(read->changelogOffsets, committedChangelogOffsets_);
    // A task that has begun is past what it committed.
    auto routes = routes_.find(tp.topic);
    if (routes == routes_.end() || routes->second.size() <= static_cast<size_t>(tp.partition)) continue;
    const Route& route = routes->second[static_cast<size_t>(tp.partition)];
    if (!route.task || route.task->initialized()) continue;
    if (read->partitionTime >= 0) route.task->resumePartitionTime(route.input, read->partitionTime);
    route.task->resumeProcessorMetadata(read->processorMetadata);
  }
  for (const auto& [id, task] : tasks_) {
    bool all = true;
    for (const Task::InputPartition& in : task->inputs()) {
      const auto* tp = rd_kafka_topic_partition_list_find(committed, in.topic.c_str(), in.partition);
      all = all && tp && !tp->err;
    }
    if (all) committedMetadataRead_.insert(id);
  }
}

void StreamThread::pinLatestStarts(const rd_kafka_topic_partition_list_t* partitions, std::vector<int64_t>& starts,
                                   std::chrono::milliseconds timeout) {
  // The end offsets, as a read_committed consumer sees them under exactly_once_v2 (the
  // look-up asks with the consumer's isolation level).
  PartitionList ends(rd_kafka_topic_partition_list_new(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i)
    if (starts[static_cast<size_t>(i)] == RD_KAFKA_OFFSET_END)
      rd_kafka_topic_partition_list_add(ends.get(), partitions->elems[i].topic, partitions->elems[i].partition)->offset =
          RD_KAFKA_OFFSET_END;
  if (ends->cnt == 0) return;
  const int ms = static_cast<int>(timeout.count());
  if (rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(consumer_.get(), ends.get(), ms)) {
    log().warn("{}: end offsets not read ({}); partitions without a committed offset start at their end "
               "unpinned", name_, rd_kafka_err2str(err));
    return;
  }
  for (int i = 0; i < ends->cnt; ++i)
    if (ends->elems[i].err || ends->elems[i].offset < 0) {
      log().warn("{}: no end offset read for {} [{}] ({}); partitions without a committed offset start at "
                 "their end unpinned", name_, ends->elems[i].topic, ends->elems[i].partition,
                 rd_kafka_err2str(ends->elems[i].err));
      return;
    }
  // A plain commit under either guarantee: the offset is where processing starts, nothing
  // was produced for it (see commit()). Waited for within the same bound as the look-ups: a
  // commit that lands after the wait only pins a start at or before the actual one.
  KafkaQueue replies(rd_kafka_queue_new(consumer_.get()));
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(consumer_.get(), ends.get(), replies.get(), nullptr, nullptr);
  if (!err) {
    KafkaEvent result(rd_kafka_queue_poll(replies.get(), ms));
    err = !result ? RD_KAFKA_RESP_ERR__TIMED_OUT : rd_kafka_event_error(result.get());
    if (const rd_kafka_topic_partition_list_t* done = result ? rd_kafka_event_topic_partition_list(result.get()) : nullptr)
      for (int i = 0; !err && i < done->cnt; ++i) err = done->elems[i].err;
  }
  if (err) {
    log().warn("{}: the start offsets of partitions without a committed offset were not committed ({}); "
               "they start at their end unpinned", name_, rd_kafka_err2str(err));
    return;
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& tp = partitions->elems[i];
    if (const auto* end = rd_kafka_topic_partition_list_find(ends.get(), tp.topic, tp.partition))
      starts[static_cast<size_t>(i)] = end->offset;
  }
}

void StreamThread::onAssigned(const rd_kafka_topic_partition_list_t* partitions, bool rebalance) {
  if (rebalance) metrics_.rebalances.fetch_add(1, std::memory_order_relaxed);
  std::map<TaskId, std::vector<Task::InputPartition>> inputs;
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& tp = partitions->elems[i];
    auto st = topicToSubtopology_.find(tp.topic);
    if (st == topicToSubtopology_.end()) continue;
    inputs[TaskId{st->second, tp.partition}].push_back({tp.topic, tp.partition});
  }
  std::string names;
  for (auto& [id, in] : inputs) {
    const Subtopology& st = subtopologies_.at(static_cast<size_t>(id.subtopology));
    size_t expected = 0;
    for (const auto& t : st.sourceTopics)
      expected += layout_.partitions.count(t) && layout_.partitions.at(t) > id.partition;
    for (const auto& t : st.repartitionSourceTopics)
      expected += layout_.partitions.count(config_.applicationId() + "-" + t) &&
                  layout_.partitions.at(config_.applicationId() + "-" + t) > id.partition;
    if (in.size() < expected)
      log().warn("{}: task {} got {} of its {} input partitions; are the input topics "
                 "co-partitioned (same partition count)?", name_, id.toString(), in.size(), expected);
    auto task = std::make_unique<Task>(id, topology_.graph(), st, services_, in);
    for (size_t i = 0; i < in.size(); ++i) {
      auto& routes = routes_[in[i].topic];
      if (routes.size() <= static_cast<size_t>(in[i].partition)) routes.resize(in[i].partition + 1);
      routes[in[i].partition] = Route{
          task.get(), i,
          PartitionQueue(consumer_.get(), in[i].topic, in[i].partition, wakeup_, doorbell_.get()), -1};
    }
    names += (names.empty() ? "" : ", ") + id.toString();
    tasks_.emplace(id, std::move(task));
  }
  {
    std::lock_guard lock(activeTasksMutex_);
    activeTasks_.clear();
    for (const auto& [id, task] : tasks_) activeTasks_.push_back(id);
  }
  publishChangelogPositions();
  log().info("{}: assigned tasks [{}]", name_, names);
  setState(State::kPartitionsAssigned);
}

void StreamThread::onRevoked() {
  bool clean = !failed_;
  if (!failed_ && !tasks_.empty()) {
    log().info("{}: partitions revoked; committing before handing them over", name_);
    try {
      commit(true);
    } catch (const RedoSinceLastCommitException& e) {
      // The next owner redoes the work since the last commit.
      log().warn("{}: {}; partitions revoked without committing", name_, e.what());
      producer_->forgetFailuresToRedo();
      clean = false;
    } catch (const ProducerFencedException& e) {
      log().warn("{}: {}; partitions revoked without committing", name_, e.what());
      producerFenced_ = true;
      clean = false;
    }
  }
  closeTasks(clean);
  if (!failed_ && state_ != State::kPendingShutdown) setState(State::kPartitionsRevoked);
}

void StreamThread::closeTasks(bool clean) {
  for (auto& [id, task] : tasks_) {
    if (restoring_.count(id) && restorer_) restorer_->remove(id);
    try {
      task->close();
    } catch (const std::exception& e) {
      if (clean) throw;
      log().warn("{}: closing task {} after an error failed too: {}", name_, id.toString(), e.what());
    }
  }
  tasks_.clear();
  restoring_.clear();
  committedMetadataRead_.clear();
  committedMetadataUnreadSince_.reset();
  {
    std::lock_guard lock(activeTasksMutex_);
    activeTasks_.clear();
  }
  publishChangelogPositions();
  routes_.clear();
  routesByHandle_.clear();
  publishMemory();
}

}  // namespace kstreams::internal
