// Stores: state stores for the Processor API, and the suppliers the DSL's Materialized takes.
//
//   builder.addStateStore(Stores::keyValueStoreBuilder<std::string, int64_t>(
//       Stores::persistentKeyValueStore("seen"), Serdes::String(), Serdes::Int64()));
//   stream.process(supplier, {"seen"});
//   // in the processor: ctx.getStateStore<KeyValueStore<std::string, int64_t>>("seen")
#pragma once

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <type_traits>

#include "streams/internal/segmented_stores.h"
#include "streams/internal/topology_graph.h"
#include "streams/internal/typed_store.h"
#include "streams/versioned_key_value_store.h"

namespace kstreams {

using std::chrono::milliseconds;

// Which kind of byte store backs a key-value store.
struct KeyValueBytesStoreSupplier {
  std::string name;
  bool persistent = true;  // RocksDB under state.dir; otherwise in memory (restored in full at start)
};

// Which kind of byte store backs a window store, and for how long it keeps windows. Make
// one with Stores::persistentWindowStore or Stores::inMemoryWindowStore, which check it.
struct WindowBytesStoreSupplier {
  std::string name;
  bool persistent = true;
  milliseconds retention{0};
  milliseconds windowSize{0};
  // Keeps every put of a key and window instead of replacing the value (a stream-stream
  // join's stores do). A store that keeps duplicates is never cached, and a fetch of one
  // window finds nothing: read it with a time-range fetch.
  bool retainDuplicates = false;
};

// Which kind of byte store backs a session store, and for how long it keeps sessions
// (counted from a session's end).
struct SessionBytesStoreSupplier {
  std::string name;
  bool persistent = true;
  milliseconds retention{0};
};

// A versioned key-value store (RocksDB under state.dir) and how long it keeps versions that
// are no longer a key's latest. Make one with Stores::persistentVersionedKeyValueStore.
struct VersionedBytesStoreSupplier {
  std::string name;
  milliseconds historyRetention{0};
  // Accepted for Kafka Streams' signature; kstreams keeps a key's versions together instead of
  // in time segments (docs/state.md), so it changes nothing.
  milliseconds segmentInterval{0};
};

namespace internal {
VersionedBytesStoreSupplier checkedVersionedSupplier(std::string name, milliseconds historyRetention,
                                                     milliseconds segmentInterval);
WindowBytesStoreSupplier checkedWindowSupplier(std::string name, bool persistent, milliseconds retention,
                                               milliseconds windowSize, bool retainDuplicates);
SessionBytesStoreSupplier checkedSessionSupplier(std::string name, bool persistent, milliseconds retention);

// A key-value store spec: the typed store processors see is KeyValueStore<K, StoredV>;
// queries see ReadOnlyKeyValueStore<K, V>, which is the same unless the values are
// timestamped (StoredV = ValueAndTimestamp<V>).
template <class K, class V, bool kTimestamped>
StoreSpec keyValueStoreSpec(const std::string& name, bool persistent, bool logging, bool caching,
                            std::map<std::string, std::string> changelogConfigs, SerdePtr<K> keySerde,
                            SerdePtr<V> valueSerde) {
  using StoredV = std::conditional_t<kTimestamped, ValueAndTimestamp<V>, V>;
  StoreSpec spec;
  spec.name = name;
  spec.persistent = persistent;
  spec.logging = logging;
  spec.caching = caching;
  spec.changelogConfigs = std::move(changelogConfigs);
  spec.queryKey = &typeid(K);
  spec.queryValue = &typeid(V);
  spec.typedFactory = [name, keySerde, valueSerde](std::unique_ptr<KeyValueBytesStore> stack, const StoreInit& init)
      -> std::unique_ptr<StateStore> {
    SerdePtr<K> ks = resolveSerde<K>(keySerde, init.serdes, true, "store " + name);
    SerdePtr<V> vs = resolveSerde<V>(valueSerde, init.serdes, false, "store " + name);
    SerdePtr<StoredV> stored;
    if constexpr (kTimestamped) stored = std::make_shared<TimestampedSerde<V>>(vs);
    else stored = vs;
    return std::make_unique<TypedKeyValueStore<K, StoredV>>(std::move(stack), ks, stored, init.recordTimestamp);
  };
  spec.queryFactory = [name, keySerde, valueSerde](std::shared_ptr<KeyValueBytesStore> reader,
                                                   const SerdeDefaults& serdes) -> std::shared_ptr<void> {
    SerdePtr<K> ks = resolveSerde<K>(keySerde, serdes, true, "store " + name);
    SerdePtr<V> vs = resolveSerde<V>(valueSerde, serdes, false, "store " + name);
    if constexpr (kTimestamped) vs = std::make_shared<ValueOfTimestampedSerde<V>>(vs);
    return std::static_pointer_cast<ReadOnlyKeyValueStore<K, V>>(
        std::make_shared<TypedReadOnlyStore<K, V>>(std::move(reader), ks, vs));
  };
  return spec;
}

// Window and session store specs. Their changelogs delete what is older than the retention
// plus a day (cleanup.policy=compact,delete), as Kafka Streams' do.
template <class K, class V, bool kTimestamped>
StoreSpec windowStoreSpec(StoreKind kind, const std::string& name, bool persistent, bool logging, bool caching,
                          std::map<std::string, std::string> changelogConfigs, SerdePtr<K> keySerde,
                          SerdePtr<V> valueSerde, int64_t windowSizeMs, int64_t retentionMs, bool retainDuplicates) {
  using StoredV = std::conditional_t<kTimestamped, ValueAndTimestamp<V>, V>;
  StoreSpec spec;
  spec.name = name;
  spec.kind = kind;
  spec.persistent = persistent;
  spec.logging = logging;
  spec.caching = caching && !retainDuplicates;
  spec.keyPrefixBytes = kSegmentedKeyPrefixBytes;
  // Its keys end in a sequence number from 1: a fetch of one window (sequence 0) finds nothing.
  spec.pointReads = !retainDuplicates;
  spec.keysWrittenOnce = retainDuplicates;
  spec.changelogConfigs = {{"cleanup.policy", "compact,delete"},
                           {"retention.ms", std::to_string(retentionMs + 24 * 3600 * 1000LL)}};
  for (auto& [k, v] : changelogConfigs) spec.changelogConfigs[k] = v;
  spec.queryKey = &typeid(K);
  spec.queryValue = &typeid(V);
  auto serdes = [name, keySerde, valueSerde](const SerdeDefaults& d) {
    return std::make_pair(resolveSerde<K>(keySerde, d, true, "store " + name),
                          resolveSerde<V>(valueSerde, d, false, "store " + name));
  };
  spec.typedFactory = [=](std::unique_ptr<KeyValueBytesStore> stack, const StoreInit& init) -> std::unique_ptr<StateStore> {
    auto [ks, vs] = serdes(init.serdes);
    SerdePtr<StoredV> stored;
    if constexpr (kTimestamped) stored = std::make_shared<TimestampedSerde<V>>(vs);
    else stored = vs;
    std::shared_ptr<KeyValueBytesStore> bytes(std::move(stack));
    if (kind == StoreKind::kSession)
      return std::make_unique<TypedSessionStore<K, StoredV>>(bytes, ks, stored, retentionMs, init.recordTimestamp);
    return std::make_unique<TypedWindowStore<K, StoredV>>(bytes, ks, stored, windowSizeMs, retentionMs, retainDuplicates,
                                                          init.recordTimestamp);
  };
  spec.queryFactory = [=](std::shared_ptr<KeyValueBytesStore> reader, const SerdeDefaults& d) -> std::shared_ptr<void> {
    auto [ks, vs] = serdes(d);
    if constexpr (kTimestamped) vs = std::make_shared<ValueOfTimestampedSerde<V>>(vs);
    if (kind == StoreKind::kSession)
      return std::static_pointer_cast<ReadOnlySessionStore<K, V>>(
          std::make_shared<TypedSessionStore<K, V>>(std::move(reader), ks, vs, retentionMs));
    return std::static_pointer_cast<ReadOnlyWindowStore<K, V>>(
        std::make_shared<TypedWindowStore<K, V>>(std::move(reader), ks, vs, windowSizeMs, retentionMs, retainDuplicates));
  };
  return spec;
}

// A versioned store spec. Its changelog is compacted no sooner than the history retention
// plus a day after a record is written (min.compaction.lag.ms), as Kafka Streams' is, so a
// restore finds every version the store still keeps.
template <class K, class V>
StoreSpec versionedStoreSpec(const std::string& name, int64_t historyRetentionMs, bool logging,
                             const std::map<std::string, std::string>& changelogConfigs, SerdePtr<K> keySerde,
                             SerdePtr<V> valueSerde) {
  constexpr int64_t kDayMs = 24 * 3600 * 1000LL;
  StoreSpec spec;
  spec.name = name;
  spec.persistent = true;
  spec.logging = logging;
  spec.caching = false;
  spec.versionedHistoryMs = historyRetentionMs;
  const int64_t lag = historyRetentionMs > std::numeric_limits<int64_t>::max() - kDayMs
                          ? std::numeric_limits<int64_t>::max()
                          : historyRetentionMs + kDayMs;
  spec.changelogConfigs = {{"cleanup.policy", "compact"}, {"min.compaction.lag.ms", std::to_string(lag)}};
  for (auto& [k, v] : changelogConfigs) spec.changelogConfigs[k] = v;
  spec.queryKey = &typeid(K);
  spec.queryValue = &typeid(V);
  spec.typedFactory = [name, keySerde, valueSerde](std::unique_ptr<KeyValueBytesStore> stack, const StoreInit& init)
      -> std::unique_ptr<StateStore> {
    if (init.versioned == nullptr) throw StreamsException("store " + name + " is versioned, yet opened as a plain store");
    return std::make_unique<TypedVersionedKeyValueStore<K, V>>(
        std::move(stack), *init.versioned, resolveSerde<K>(keySerde, init.serdes, true, "store " + name),
        resolveSerde<V>(valueSerde, init.serdes, false, "store " + name));
  };
  // Queries read each key's latest value.
  spec.queryFactory = [name, keySerde, valueSerde](std::shared_ptr<KeyValueBytesStore> reader,
                                                   const SerdeDefaults& serdes) -> std::shared_ptr<void> {
    return std::static_pointer_cast<ReadOnlyKeyValueStore<K, V>>(std::make_shared<TypedReadOnlyStore<K, V>>(
        std::move(reader), resolveSerde<K>(keySerde, serdes, true, "store " + name),
        resolveSerde<V>(valueSerde, serdes, false, "store " + name)));
  };
  return spec;
}

}  // namespace internal

// Builds a typed store for the Processor API from a supplier: a KeyValueStore<K, V>, a
// WindowStore<K, V> or a SessionStore<K, V> (StoreBuilder, WindowStoreBuilder and
// SessionStoreBuilder). Defaults, as in Kafka Streams: logging (a changelog topic) on,
// caching off.
template <class Supplier, class K, class V>
class BasicStoreBuilder {
 public:
  BasicStoreBuilder(Supplier supplier, SerdePtr<K> keySerde, SerdePtr<V> valueSerde)
      : supplier_(std::move(supplier)), keySerde_(std::move(keySerde)), valueSerde_(std::move(valueSerde)) {}

  BasicStoreBuilder& withCachingEnabled() { caching_ = true; return *this; }
  BasicStoreBuilder& withCachingDisabled() { caching_ = false; return *this; }
  // `configs` are topic configs of the changelog, on top of kstreams' own: cleanup.policy=
  // compact for a key-value store; compact,delete and a retention.ms of the store's
  // retention plus a day for window and session stores.
  BasicStoreBuilder& withLoggingEnabled(std::map<std::string, std::string> configs = {}) {
    logging_ = true;
    changelogConfigs_ = std::move(configs);
    return *this;
  }
  BasicStoreBuilder& withLoggingDisabled() { logging_ = false; return *this; }
  const std::string& name() const { return supplier_.name; }

  internal::StoreSpec spec() const {
    const Supplier& s = supplier_;
    if constexpr (std::is_same_v<Supplier, VersionedBytesStoreSupplier>) {
      if (caching_)
        throw TopologyException("versioned store '" + s.name +
                                "' cannot be cached (Kafka Streams' versioned stores have no cache either); "
                                "remove withCachingEnabled()");
      return internal::versionedStoreSpec<K, V>(s.name, s.historyRetention.count(), logging_, changelogConfigs_,
                                                keySerde_, valueSerde_);
    } else if constexpr (std::is_same_v<Supplier, KeyValueBytesStoreSupplier>)
      return internal::keyValueStoreSpec<K, V, false>(s.name, s.persistent, logging_, caching_, changelogConfigs_,
                                                      keySerde_, valueSerde_);
    else if constexpr (std::is_same_v<Supplier, WindowBytesStoreSupplier>)
      return internal::windowStoreSpec<K, V, false>(internal::StoreKind::kWindow, s.name, s.persistent, logging_,
                                                    caching_, changelogConfigs_, keySerde_, valueSerde_,
                                                    s.windowSize.count(), s.retention.count(), s.retainDuplicates);
    else
      return internal::windowStoreSpec<K, V, false>(internal::StoreKind::kSession, s.name, s.persistent, logging_,
                                                    caching_, changelogConfigs_, keySerde_, valueSerde_, 0,
                                                    s.retention.count(), false);
  }

 private:
  Supplier supplier_;
  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
  bool caching_ = false;
  bool logging_ = true;
  std::map<std::string, std::string> changelogConfigs_;
};

template <class K, class V>
using StoreBuilder = BasicStoreBuilder<KeyValueBytesStoreSupplier, K, V>;
template <class K, class V>
using VersionedKeyValueStoreBuilder = BasicStoreBuilder<VersionedBytesStoreSupplier, K, V>;
template <class K, class V>
using WindowStoreBuilder = BasicStoreBuilder<WindowBytesStoreSupplier, K, V>;
template <class K, class V>
using SessionStoreBuilder = BasicStoreBuilder<SessionBytesStoreSupplier, K, V>;

namespace Stores {

inline KeyValueBytesStoreSupplier persistentKeyValueStore(std::string name) { return {std::move(name), true}; }
inline KeyValueBytesStoreSupplier inMemoryKeyValueStore(std::string name) { return {std::move(name), false}; }

template <class K, class V>
StoreBuilder<K, V> keyValueStoreBuilder(KeyValueBytesStoreSupplier supplier, SerdePtr<K> keySerde = nullptr,
                                        SerdePtr<V> valueSerde = nullptr) {
  return StoreBuilder<K, V>(std::move(supplier), std::move(keySerde), std::move(valueSerde));
}

// A versioned key-value store in RocksDB under state.dir that keeps versions that are no
// longer a key's latest for historyRetention (counted back from the largest timestamp put),
// and accepts no put older than that. Throws TopologyException for a negative retention or
// a segment interval that is not positive.
inline VersionedBytesStoreSupplier persistentVersionedKeyValueStore(std::string name, milliseconds historyRetention) {
  return internal::checkedVersionedSupplier(std::move(name), historyRetention,
                                            std::max(historyRetention / 3, milliseconds(2000)));
}
inline VersionedBytesStoreSupplier persistentVersionedKeyValueStore(std::string name, milliseconds historyRetention,
                                                                    milliseconds segmentInterval) {
  return internal::checkedVersionedSupplier(std::move(name), historyRetention, segmentInterval);
}
template <class K, class V>
VersionedKeyValueStoreBuilder<K, V> versionedKeyValueStoreBuilder(VersionedBytesStoreSupplier supplier,
                                                                  SerdePtr<K> keySerde = nullptr,
                                                                  SerdePtr<V> valueSerde = nullptr) {
  return VersionedKeyValueStoreBuilder<K, V>(std::move(supplier), std::move(keySerde), std::move(valueSerde));
}

// A RocksDB window store under state.dir. Throws TopologyException for a negative
// retention or window size, or a retention shorter than the window size.
inline WindowBytesStoreSupplier persistentWindowStore(std::string name, milliseconds retention, milliseconds windowSize,
                                                      bool retainDuplicates) {
  return internal::checkedWindowSupplier(std::move(name), true, retention, windowSize, retainDuplicates);
}
// The same in memory, restored in full from its changelog when its task starts.
inline WindowBytesStoreSupplier inMemoryWindowStore(std::string name, milliseconds retention, milliseconds windowSize,
                                                    bool retainDuplicates) {
  return internal::checkedWindowSupplier(std::move(name), false, retention, windowSize, retainDuplicates);
}
// A RocksDB session store under state.dir. Throws TopologyException for a negative retention.
inline SessionBytesStoreSupplier persistentSessionStore(std::string name, milliseconds retention) {
  return internal::checkedSessionSupplier(std::move(name), true, retention);
}
inline SessionBytesStoreSupplier inMemorySessionStore(std::string name, milliseconds retention) {
  return internal::checkedSessionSupplier(std::move(name), false, retention);
}

template <class K, class V>
WindowStoreBuilder<K, V> windowStoreBuilder(WindowBytesStoreSupplier supplier, SerdePtr<K> keySerde = nullptr,
                                            SerdePtr<V> valueSerde = nullptr) {
  return WindowStoreBuilder<K, V>(std::move(supplier), std::move(keySerde), std::move(valueSerde));
}
template <class K, class V>
SessionStoreBuilder<K, V> sessionStoreBuilder(SessionBytesStoreSupplier supplier, SerdePtr<K> keySerde = nullptr,
                                              SerdePtr<V> valueSerde = nullptr) {
  return SessionStoreBuilder<K, V>(std::move(supplier), std::move(keySerde), std::move(valueSerde));
}

}  // namespace Stores

}  // namespace kstreams
