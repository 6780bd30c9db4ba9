// Window and session stores: what windowed aggregations, stream-stream joins and Processor
// API code keep per key and window. Both are segmented by time: data older than the
// store's retention is dropped a segment at a time.
#pragma once

#include <cstdint>
#include <optional>

#include "streams/key_value_store.h"
#include "streams/windows.h"

namespace kstreams {

template <class K, class V>
class ReadOnlyWindowStore {
 public:
  virtual ~ReadOnlyWindowStore() = default;
  // The value of key's window starting at windowStart.
  virtual std::optional<V> fetch(const K& key, int64_t windowStart) = 0;
  // key's windows starting in [timeFrom, timeTo], oldest first: (window start, value).
  virtual KeyValueIterator<int64_t, V> fetch(const K& key, int64_t timeFrom, int64_t timeTo) = 0;
  // The same windows, newest first.
  virtual KeyValueIterator<int64_t, V> backwardFetch(const K& key, int64_t timeFrom, int64_t timeTo) = 0;
  // The windows starting in [timeFrom, timeTo] of the keys from keyFrom to keyTo, both
  // inclusive; std::nullopt leaves that end of the key range open (Kafka Streams' null).
  // Keys compare as their serialized bytes do (see key_value_store.h); keyFrom after keyTo
  // is an empty range, as in Kafka Streams. Order: segment by segment (a segment spans half
  // the retention, at least a minute), older segments first; within a segment by key, and
  // each key's windows oldest first. That is the order of Kafka Streams' RocksDB window
  // store (its in-memory one orders by window start, then key).
  //
  // Cost: a store's keys are laid out by a hash of the key within each segment, so a key
  // range reads every window of every key in the segments [timeFrom, timeTo] touches (as
  // fetchAll does), keeps those in range, and sorts each segment's by key, holding one
  // segment's windows of the range in memory at a time. A narrow time range is what keeps
  // it cheap; for one key, fetch(key, timeFrom, timeTo) reads only that key's windows.
  virtual KeyValueIterator<Windowed<K>, V> fetch(const std::optional<K>& keyFrom, const std::optional<K>& keyTo,
                                                 int64_t timeFrom, int64_t timeTo) = 0;
  // The same windows in the reverse order: newer segments first, keys descending, each key's
  // windows newest first.
  virtual KeyValueIterator<Windowed<K>, V> backwardFetch(const std::optional<K>& keyFrom,
                                                         const std::optional<K>& keyTo, int64_t timeFrom,
                                                         int64_t timeTo) = 0;
  // Every key's windows starting in [timeFrom, timeTo]: older segments first, keys in no
  // particular order (the order of their hashes), each key's windows oldest first. Reads
  // what a key range reads, without the sort.
  virtual KeyValueIterator<Windowed<K>, V> fetchAll(int64_t timeFrom, int64_t timeTo) = 0;
  // The same windows in the reverse order: newer segments first.
  virtual KeyValueIterator<Windowed<K>, V> backwardFetchAll(int64_t timeFrom, int64_t timeTo) = 0;
  // Every window the store holds, in the same order as fetchAll.
  virtual KeyValueIterator<Windowed<K>, V> all() = 0;
  // Every window the store holds, in the reverse order.
  virtual KeyValueIterator<Windowed<K>, V> backwardAll() = 0;
};

template <class K, class V>
class WindowStore : public ReadOnlyWindowStore<K, V>, public StateStore {
 public:
  // Stores value for key's window starting at windowStart. A store that keeps duplicates
  // (a stream-stream join's) adds a record each time; others replace the value.
  virtual void put(const K& key, const V& value, int64_t windowStart) = 0;
  virtual void remove(const K& key, int64_t windowStart) = 0;
};

// Sessions are kept in segments by their end, and the bounds of a search are Kafka Streams':
// a session matches when it ends at or after earliestSessionEnd and starts at or before
// latestSessionStart (so it overlaps [earliestSessionEnd, latestSessionStart]).
template <class K, class V>
class ReadOnlySessionStore {
 public:
  virtual ~ReadOnlySessionStore() = default;
  // key's matching sessions, by end and then start, earliest first.
  virtual KeyValueIterator<Windowed<K>, V> findSessions(const K& key, int64_t earliestSessionEnd,
                                                       int64_t latestSessionStart) = 0;
  // The same sessions, latest first.
  virtual KeyValueIterator<Windowed<K>, V> backwardFindSessions(const K& key, int64_t earliestSessionEnd,
                                                               int64_t latestSessionStart) = 0;
  // The matching sessions of the keys from keyFrom to keyTo, both inclusive; std::nullopt
  // leaves that end open, and keyFrom after keyTo is an empty range (keys compare as their
  // serialized bytes do). Order: segment by segment (by session end; a segment spans half
  // the retention, at least a minute), earlier segments first; within a segment by key,
  // and each key's sessions by end and then start. That is the order of Kafka Streams'
  // RocksDB session store (its in-memory one orders by end, then key, then start).
  //
  // Cost: as a window store's key range (ReadOnlyWindowStore::fetch of keyFrom and keyTo),
  // it reads every session of every key in the segments from earliestSessionEnd's on,
  // keeps those that match, and sorts each segment's by key, one segment at a time.
  virtual KeyValueIterator<Windowed<K>, V> findSessions(const std::optional<K>& keyFrom,
                                                       const std::optional<K>& keyTo, int64_t earliestSessionEnd,
                                                       int64_t latestSessionStart) = 0;
  // The same sessions in the reverse order: later segments first, keys descending, each
  // key's sessions latest first.
  virtual KeyValueIterator<Windowed<K>, V> backwardFindSessions(const std::optional<K>& keyFrom,
                                                               const std::optional<K>& keyTo,
                                                               int64_t earliestSessionEnd,
                                                               int64_t latestSessionStart) = 0;
  // Every session of key, earliest first; backwardFetch: latest first.
  virtual KeyValueIterator<Windowed<K>, V> fetch(const K& key) = 0;
  virtual KeyValueIterator<Windowed<K>, V> backwardFetch(const K& key) = 0;
  // Every session of the keys from keyFrom to keyTo: findSessions of the key range over all
  // time, in its order (and at its cost); backwardFetch: in the reverse order.
  virtual KeyValueIterator<Windowed<K>, V> fetch(const std::optional<K>& keyFrom, const std::optional<K>& keyTo) = 0;
  virtual KeyValueIterator<Windowed<K>, V> backwardFetch(const std::optional<K>& keyFrom,
                                                        const std::optional<K>& keyTo) = 0;
  virtual std::optional<V> fetchSession(const K& key, int64_t sessionStart, int64_t sessionEnd) = 0;
};

template <class K, class V>
class SessionStore : public ReadOnlySessionStore<K, V>, public StateStore {
 public:
  virtual void put(const Windowed<K>& session, const V& aggregate) = 0;
  virtual void remove(const Windowed<K>& session) = 0;
};

}  // namespace kstreams
