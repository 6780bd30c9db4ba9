// The byte-level side of a versioned key-value store that its typed store reads: versions of
// a key as of a timestamp, and what the last put did. Writes go down the store stack like any
// store's (so the changelog layer logs them); state/versioned_store.h implements it. Internal.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace kstreams::internal {

// put()'s results other than a validTo timestamp, as in Kafka Streams' VersionedKeyValueStore.
inline constexpr int64_t kVersionValidToUndefined = -1;  // the put is the key's latest version
inline constexpr int64_t kVersionNotPut = std::numeric_limits<int64_t>::min();  // older than the history retention

struct VersionedBytes {
  std::string value;
  int64_t timestamp;
  std::optional<int64_t> validTo;  // nullopt: the key's latest version
};

class VersionedBytesStore {
 public:
  virtual ~VersionedBytesStore() = default;
  // The value valid as of asOf (inclusive; nullopt: the latest); nullopt when there is
  // none, the version valid then is a delete, or asOf is older than the history retention
  // and the latest version is not valid then.
  virtual std::optional<VersionedBytes> getAsOf(std::string_view key, std::optional<int64_t> asOf) = 0;
  // What the last put did: the new version's validTo, kVersionValidToUndefined or kVersionNotPut.
  virtual int64_t lastPutResult() const = 0;
  // Writes older than observedStreamTime() - historyRetentionMs() are not put.
  virtual int64_t observedStreamTime() const = 0;
  virtual int64_t historyRetentionMs() const = 0;
};

}  // namespace kstreams::internal
