// How far each local store is behind its changelog (KIP-535), for
// KafkaStreams::allLocalStorePartitionLags: the stores' positions, published by their stream
// threads, against the changelogs' end offsets, asked of the brokers. Internal, but for
// LagInfo.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "runtime/kafka_client.h"
#include "runtime/lag_info.h"
#include "runtime/state_manager.h"

namespace kstreams::internal {

using ChangelogPartition = std::pair<std::string, int32_t>;

// Asks the brokers where changelog partitions end. Thread-safe; one query at a time.
class ChangelogEnds {
 public:
  explicit ChangelogEnds(const StreamsConfig& config) : config_(config) {}

  // The end offset (the high watermark, as Kafka Streams' admin client reads it) of each
  // partition, in one ListOffsets request per leader; a partition whose leader is moving is
  // asked again. Throws StreamsException naming the partitions not answered within
  // default.api.timeout.ms.
  std::map<ChangelogPartition, int64_t> query(const std::vector<ChangelogPartition>& partitions);

 private:
  const StreamsConfig& config_;
  std::mutex mutex_;
  KafkaHandle client_;  // a consumer outside the group, made at the first query
};

// Per store and partition: where the store stands (a caught-up store at the end) and the
// lag, never negative. Throws StreamsException for a position without an end in `ends`.
std::map<std::string, std::map<int32_t, LagInfo>> storePartitionLags(
    const std::vector<StoreChangelogPosition>& positions, const std::map<ChangelogPartition, int64_t>& ends);

}  // namespace kstreams::internal
