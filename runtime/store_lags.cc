#include "runtime/store_lags.h"

#include <algorithm>
#include <thread>

#include "runtime/kafka_streams.h"
#include "runtime/log.h"
#include "runtime/stream_thread.h"

namespace kstreams::internal {

std::map<ChangelogPartition, int64_t> ChangelogEnds::query(const std::vector<ChangelogPartition>& partitions) {
  std::lock_guard lock(mutex_);
  if (!client_)
    client_ = createClient(RD_KAFKA_CONSUMER,
                           makeConf(clientProperties(config_, "consumer", config_.clientId() + "-store-lags", {},
                                                     {{"isolation.level", "read_uncommitted"},
                                                      {"enable.auto.commit", "false"}})));
  const auto timeout = config_.defaultApiTimeout();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::map<ChangelogPartition, int64_t> ends;
  std::vector<ChangelogPartition> left = partitions;
  std::sort(left.begin(), left.end());
  left.erase(std::unique(left.begin(), left.end()), left.end());
  rd_kafka_resp_err_t lastError = RD_KAFKA_RESP_ERR_NO_ERROR;
  while (!left.empty()) {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(left.size())));
    for (const auto& [topic, partition] : left)
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = RD_KAFKA_OFFSET_END;
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    // RD_KAFKA_OFFSET_END as the time asks ListOffsets for each partition's latest offset.
    const rd_kafka_resp_err_t err =
        rd_kafka_offsets_for_times(client_.get(), list.get(), static_cast<int>(std::max<int64_t>(1, remaining.count())));
    std::vector<ChangelogPartition> again;
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = list->elems[i];
      const rd_kafka_resp_err_t e = err ? err : tp.err;
      if (!e && tp.offset >= 0) {
        ends[{tp.topic, tp.partition}] = tp.offset;
        continue;
      }
      lastError = e ? e : RD_KAFKA_RESP_ERR__NO_OFFSET;
      // A changelog deleted, or not readable by the application, does not come back by asking again.
      if (topicGoneOrForbidden(e))
        throw StreamsException("cannot read the end offset of changelog " + partitionName(tp.topic, tp.partition) +
                               " for the stores' lags: " + rd_kafka_err2str(e));
      again.emplace_back(tp.topic, tp.partition);
    }
    left = std::move(again);
    if (left.empty() || std::chrono::steady_clock::now() >= deadline) break;
    // A leader moving, or the cluster not reachable: ask again, within the timeout.
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(100),
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())));
  }
  if (!left.empty()) {
    std::string names;
    for (const auto& [topic, partition] : left) names += (names.empty() ? "" : ", ") + partitionName(topic, partition);
    throw StreamsException(fmt::format(
        "cannot read the end offsets of changelog {} for the stores' lags within default.api.timeout.ms ({} ms): {}. "
        "Is the cluster reachable? Raise default.api.timeout.ms to wait longer",
        names, timeout.count(), rd_kafka_err2str(lastError)));
  }
  return ends;
}

std::map<std::string, std::map<int32_t, LagInfo>> storePartitionLags(
    const std::vector<StoreChangelogPosition>& positions, const std::map<ChangelogPartition, int64_t>& ends) {
  std::map<std::string, std::map<int32_t, LagInfo>> lags;
  for (const StoreChangelogPosition& p : positions) {
    auto end = ends.find({p.topic, p.partition});
    if (end == ends.end())
      throw StreamsException("no end offset of changelog " + partitionName(p.topic, p.partition) + " for store " +
                             p.store);
    const int64_t current = p.next.value_or(end->second);
    lags[p.store][p.partition] = LagInfo{current, end->second, std::max<int64_t>(0, end->second - current)};
  }
  return lags;
}

}  // namespace kstreams::internal

namespace kstreams {

std::map<std::string, std::map<int32_t, LagInfo>> KafkaStreams::allLocalStorePartitionLags() const {
  std::vector<internal::StoreChangelogPosition> positions;
  {
    std::lock_guard lock(mutex_);
    for (const auto& t : threads_) {
      if (t->state() == internal::StreamThread::State::kDead) continue;
      std::vector<internal::StoreChangelogPosition> mine = t->changelogPositions();
      positions.insert(positions.end(), std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()));
    }
  }
  if (positions.empty()) return {};
  std::vector<internal::ChangelogPartition> partitions;
  partitions.reserve(positions.size());
  for (const auto& p : positions) partitions.emplace_back(p.topic, p.partition);
  // Not under mutex_: the brokers may take up to default.api.timeout.ms to answer.
  return internal::storePartitionLags(positions, changelogEnds_->query(partitions));
}

}  // namespace kstreams
