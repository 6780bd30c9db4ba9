// LagInfo: how far a local store is behind its changelog partition
// (KafkaStreams::allLocalStorePartitionLags, KIP-535).
#pragma once

#include <cstdint>

namespace kstreams {

struct LagInfo {
  // The offset of the first changelog record the store has not applied.
  int64_t currentOffsetPosition = 0;
  // The changelog partition's end: the offset its next record will get.
  int64_t endOffsetPosition = 0;
  // endOffsetPosition - currentOffsetPosition, and never negative.
  int64_t offsetLag = 0;
};

}  // namespace kstreams
