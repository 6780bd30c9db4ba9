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
  // Every key's windows starting in [timeFrom, timeTo]: older segments first, keys in no
  // particular order.
  virtual KeyValueIterator<Windowed<K>, V> fetchAll(int64_t timeFrom, int64_t timeTo) = 0;
  // Every window the store holds, in the same order as fetchAll.
  virtual KeyValueIterator<Windowed<K>, V> all() = 0;
};

template <class K, class V>
class WindowStore : public ReadOnlyWindowStore<K, V>, public StateStore {
 public:
  // Stores value for key's window starting at windowStart. A store that keeps duplicates
  // (a stream-stream join's) adds a record each time; others replace the value.
  virtual void put(const K& key, const V& value, int64_t windowStart) = 0;
  virtual void remove(const K& key, int64_t windowStart) = 0;
};

template <class K, class V>
class ReadOnlySessionStore {
 public:
  virtual ~ReadOnlySessionStore() = default;
  // Sessions of key that end at or after earliestSessionEnd and start at or before
  // latestSessionStart, in order of their end.
  virtual KeyValueIterator<Windowed<K>, V> findSessions(const K& key, int64_t earliestSessionEnd,
                                                       int64_t latestSessionStart) = 0;
  // Every session of key.
  virtual KeyValueIterator<Windowed<K>, V> fetch(const K& key) = 0;
  virtual std::optional<V> fetchSession(const K& key, int64_t sessionStart, int64_t sessionEnd) = 0;
};

template <class K, class V>
class SessionStore : public ReadOnlySessionStore<K, V>, public StateStore {
 public:
  virtual void put(const Windowed<K>& session, const V& aggregate) = 0;
  virtual void remove(const Windowed<K>& session) = 0;
};

}  // namespace kstreams
