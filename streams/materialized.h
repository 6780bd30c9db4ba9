// Materialized: the store that holds a table — its name (for interactive queries), serdes,
// kind (RocksDB or memory), changelogging and caching. DSL defaults, as in Kafka Streams:
// persistent, logged, cached.
//
//   stream.groupByKey().count(Materialized<std::string, int64_t>::as("counts"));
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "streams/stores.h"

namespace kstreams {

template <class K, class V>
struct Materialized {
  std::string storeName;  // empty: generated (and the table is not meant to be queried)
  bool persistent = true;
  SerdePtr<K> keySerde;    // null: the stream's own, else the defaults
  SerdePtr<V> valueSerde;  // null: the defaults
  bool logging = true;
  std::map<std::string, std::string> changelogConfigs;
  bool caching = true;
  // Windowed stores: how long windows are kept. Unset: the window size plus grace.
  std::optional<std::chrono::milliseconds> retention;
  // Set: the table is a versioned store keeping this much history (Materialized::as with a
  // VersionedBytesStoreSupplier); it is never cached.
  std::optional<std::chrono::milliseconds> versionedHistory;

  static Materialized as(std::string name) {
    Materialized m;
    m.storeName = std::move(name);
    return m;
  }
  static Materialized as(const KeyValueBytesStoreSupplier& supplier) {
    Materialized m;
    m.storeName = supplier.name;
    m.persistent = supplier.persistent;
    return m;
  }
  // A versioned table (KIP-914): a source table only, for now.
  static Materialized as(const VersionedBytesStoreSupplier& supplier) {
    Materialized m;
    m.storeName = supplier.name;
    m.versionedHistory = supplier.historyRetention;
    m.caching = false;
    return m;
  }
  static Materialized with(SerdePtr<K> k, SerdePtr<V> v) {
    Materialized m;
    m.keySerde = std::move(k);
    m.valueSerde = std::move(v);
    return m;
  }
  Materialized& withKeySerde(SerdePtr<K> k) { keySerde = std::move(k); return *this; }
  Materialized& withValueSerde(SerdePtr<V> v) { valueSerde = std::move(v); return *this; }
  Materialized& withLoggingEnabled(std::map<std::string, std::string> configs = {}) {
    logging = true;
    changelogConfigs = std::move(configs);
    return *this;
  }
  Materialized& withLoggingDisabled() { logging = false; return *this; }
  Materialized& withCachingEnabled() { caching = true; return *this; }
  Materialized& withCachingDisabled() { caching = false; return *this; }
  Materialized& withRetention(std::chrono::milliseconds r) { retention = r; return *this; }
};

}  // namespace kstreams
