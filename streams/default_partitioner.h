// The partition a key's bytes land on, as Kafka's Java producer (and librdkafka's
// murmur2_random partitioner) computes it: positive murmur2 of the bytes modulo the
// partition count. kstreams and Java clients therefore agree on where a key lives.
#pragma once

#include <cstdint>
#include <string_view>

namespace kstreams {

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2).
int32_t murmur2(std::string_view bytes);

inline int32_t defaultPartition(std::string_view keyBytes, int32_t numPartitions) {
  return static_cast<int32_t>((murmur2(keyBytes) & 0x7fffffff) % numPartitions);
}

}  // namespace kstreams
