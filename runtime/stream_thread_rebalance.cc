// StreamThread's side of the consumer group: partitions assigned (tasks created, stores
// restored) and revoked (committed first, then closed). See stream_thread.cc for the
// processing loop and commits.
#include "runtime/log.h"
#include "runtime/stream_thread.h"

namespace kstreams::internal {

void StreamThread::onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<StreamThread*>(opaque);
  // No exception may cross librdkafka's C frames: keep it for after the poll returns.
  try {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) self->onAssigned(partitions);
    else self->onRevoked();
  } catch (...) {
    if (!self->callbackError_) self->callbackError_ = std::current_exception();
  }
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && !self->callbackError_)
    rd_kafka_assign(rk, partitions);
  else
    rd_kafka_assign(rk, nullptr);
}

void StreamThread::onAssigned(const rd_kafka_topic_partition_list_t* partitions) {
  metrics_.rebalances.fetch_add(1, std::memory_order_relaxed);
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
  log().info("{}: assigned tasks [{}]", name_, names);
  setState(State::kPartitionsAssigned);
}

void StreamThread::onRevoked() {
  bool clean = !failed_;
  if (!failed_ && !tasks_.empty()) {
    log().info("{}: partitions revoked; committing before handing them over", name_);
    try {
      commit(true);
    } catch (const TransactionAbortedException& e) {
      // The next owner redoes the work since the last commit.
      log().warn("{}: {}; partitions revoked without committing", name_, e.what());
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
  {
    std::lock_guard lock(activeTasksMutex_);
    activeTasks_.clear();
  }
  routes_.clear();
  routesByHandle_.clear();
}

}  // namespace kstreams::internal
