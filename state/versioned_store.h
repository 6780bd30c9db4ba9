// A versioned key-value store (Kafka Streams' KIP-889): every put of a key is a version with
// its timestamp, and reads ask for the value valid as of a time. It is a LocalStore that
// keeps its versions in another LocalStore (RocksDB or memory), so it shares that store's
// pending writes and commit: local state stays at or behind the last commit, and an abort
// drops the versions written since.
//
// Layout in the store below, one entry per version:
//   key:   4-byte big-endian length of the user key, the user key, then the version's
//          timestamp as 8 bytes that sort newest first
//   value: 1 byte (1: a value, 0: a delete), validTo as 8 bytes big-endian (the timestamp of
//          the next newer version; INT64_MAX while the version is the latest), the value
// A key's versions are adjacent and newest first, so the version valid as of a time is the
// first entry at or after (key, time): one seek. The observed stream time is an entry of its
// own (a length no key can have), written with the versions so it commits and aborts with them.
//
// Changelog: the layers above see put(userKey, value or delete, versionTimestamp), so the
// changelog holds plain keys and values with the version's timestamp, as Kafka Streams'
// does; restore() replays them in order through the same put logic.
//
// History: a version whose validTo is older than the observed stream time minus the history
// retention is dropped, oldest first, when its key is next written; until then no read
// returns it. A key's latest version is kept however old. Internal.
#pragma once

#include <memory>

#include "state/local_store.h"
#include "streams/internal/versioned_bytes_store.h"

namespace kstreams::internal {

// Wraps `inner`, which must be empty or hold a versioned store written by this layout.
std::unique_ptr<LocalStore> openVersionedStore(std::unique_ptr<LocalStore> inner, int64_t historyRetentionMs);

}  // namespace kstreams::internal
