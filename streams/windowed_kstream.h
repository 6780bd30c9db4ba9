// Windowed aggregations: grouped.windowedBy(windows) then count / reduce / aggregate, giving
// a KTable keyed by Windowed<K> whose rows are windows.
//
//   orders.groupByKey()
//       .windowedBy(TimeWindows::ofSizeAndGrace(1min, 10s).advanceBy(20s))
//       .count(Materialized<std::string, int64_t>::as("orders-per-minute"))
//       .toStream()   // KStream<Windowed<std::string>, std::optional<int64_t>>
//
// Windows are kept in a window (or session) store for the window size plus grace, or
// Materialized::withRetention (a shorter one is a TopologyException, as in Kafka Streams);
// its changelog is compact,delete.
//
// emitStrategy(EmitStrategy::onWindowClose()) before the aggregation sends each window's
// final result once it closed, instead of every update (emit_strategy.h).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "streams/emit_strategy.h"
#include "streams/internal/window_nodes.h"
#include "streams/ktable.h"
#include "streams/windows.h"

namespace kstreams {

template <class K, class V>
class KGroupedStream;

namespace internal {

// The part of a windowed aggregation both kinds share: naming, repartitioning, the store.
template <class K, class V>
struct WindowedAggregation {
  std::shared_ptr<TopologyGraph> graph;
  KStream<K, V> input;  // repartitioned if it had to be
  SerdePtr<K> keySerde;
  SerdePtr<V> valueSerde;
  std::string store;
  std::string lineage;
};

template <class K, class V, class VR>
WindowedAggregation<K, V> prepareWindowedAggregation(const KGroupedStream<K, V>& grouped, std::string_view kind,
                                                    const Materialized<K, VR>& m);

}  // namespace internal

template <class K, class V>
class TimeWindowedKStream {
 public:
  TimeWindowedKStream(KGroupedStream<K, V> grouped, std::variant<TimeWindows, SlidingWindows> windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

  // When the aggregation sends results downstream; EmitStrategy::onWindowUpdate() if not set.
  TimeWindowedKStream emitStrategy(EmitStrategy strategy) const {
    TimeWindowedKStream copy(*this);
    copy.emit_ = strategy;
    return copy;
  }

  KTable<Windowed<K>, int64_t> count(const Materialized<K, int64_t>& materialized = {}) const {
    return aggregateWith<int64_t>(
        "windowedCount", [] { return std::optional<int64_t>(0); },
        [](const K&, const V&, const std::optional<int64_t>& n) { return (n ? *n : 0) + 1; }, materialized);
  }
  template <class Reducer>
  KTable<Windowed<K>, V> reduce(Reducer reducer, const Materialized<K, V>& materialized = {}) const {
    return aggregateWith<V>(
        "windowedReduce", [] { return std::optional<V>(); },
        [reducer](const K&, const V& v, const std::optional<V>& agg) mutable { return agg ? reducer(*agg, v) : v; },
        materialized);
  }
  template <class Initializer, class Aggregator, class VR = std::decay_t<std::invoke_result_t<Initializer&>>>
  KTable<Windowed<K>, VR> aggregate(Initializer initializer, Aggregator aggregator,
                                    const Materialized<K, VR>& materialized = {}) const {
    return aggregateWith<VR>(
        "windowedAggregate", [initializer]() mutable { return std::optional<VR>(initializer()); },
        [aggregator](const K& k, const V& v, const std::optional<VR>& agg) mutable { return aggregator(k, v, *agg); },
        materialized);
  }

 private:
  template <class VR, class Init, class Agg>
  KTable<Windowed<K>, VR> aggregateWith(std::string_view kind, Init init, Agg agg, const Materialized<K, VR>& m) const;

  KGroupedStream<K, V> grouped_;
  std::variant<TimeWindows, SlidingWindows> windows_;
  EmitStrategy emit_ = EmitStrategy::onWindowUpdate();
};

template <class K, class V>
class SessionWindowedKStream {
 public:
  SessionWindowedKStream(KGroupedStream<K, V> grouped, SessionWindows windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

  // When the aggregation sends results downstream; EmitStrategy::onWindowUpdate() if not set.
  SessionWindowedKStream emitStrategy(EmitStrategy strategy) const {
    SessionWindowedKStream copy(*this);
    copy.emit_ = strategy;
    return copy;
  }

  KTable<Windowed<K>, int64_t> count(const Materialized<K, int64_t>& materialized = {}) const {
    return aggregateWith<int64_t>(
        "sessionCount", [] { return std::optional<int64_t>(0); },
        [](const K&, const V&, const std::optional<int64_t>& n) { return (n ? *n : 0) + 1; },
        [](const K&, const int64_t& a, const int64_t& b) { return a + b; }, materialized);
  }
  template <class Reducer>
  KTable<Windowed<K>, V> reduce(Reducer reducer, const Materialized<K, V>& materialized = {}) const {
    return aggregateWith<V>(
        "sessionReduce", [] { return std::optional<V>(); },
        [reducer](const K&, const V& v, const std::optional<V>& agg) mutable { return agg ? reducer(*agg, v) : v; },
        [reducer](const K&, const V& a, const V& b) mutable { return reducer(a, b); }, materialized);
  }
  // merger: VR(const K&, const VR&, const VR&) combines two sessions that a record joins.
  template <class Initializer, class Aggregator, class Merger,
            class VR = std::decay_t<std::invoke_result_t<Initializer&>>>
  KTable<Windowed<K>, VR> aggregate(Initializer initializer, Aggregator aggregator, Merger merger,
                                    const Materialized<K, VR>& materialized = {}) const {
    return aggregateWith<VR>(
        "sessionAggregate", [initializer]() mutable { return std::optional<VR>(initializer()); },
        [aggregator](const K& k, const V& v, const std::optional<VR>& agg) mutable { return aggregator(k, v, *agg); },
        merger, materialized);
  }

 private:
  template <class VR, class Init, class Agg, class Merger>
  KTable<Windowed<K>, VR> aggregateWith(std::string_view kind, Init init, Agg agg, Merger merger,
                                        const Materialized<K, VR>& m) const;

  KGroupedStream<K, V> grouped_;
  SessionWindows windows_;
  EmitStrategy emit_ = EmitStrategy::onWindowUpdate();
};

// ---------------------------------------------------------------------------------------
// Implementation.

namespace internal {

template <class K, class V, class VR>
WindowedAggregation<K, V> prepareWindowedAggregation(const KGroupedStream<K, V>& grouped, std::string_view kind,
                                                    const Materialized<K, VR>& m) {
  WindowedAggregation<K, V> a{grouped.stream().graph(), grouped.stream(), grouped.keySerde(), grouped.valueSerde(), "", ""};
  a.lineage = a.graph->childLineage(grouped.stream().node(), kind);
  a.store = m.storeName.empty() ? TopologyGraph::stableName("KSTREAM-AGGREGATE-STATE-STORE-", a.lineage) : m.storeName;
  a.input = grouped.input(a.store);
  return a;
}

// How long after its end a window accepts records: the grace; a session can also still
// grow for its inactivity gap.
inline int64_t windowGrace(const std::variant<TimeWindows, SlidingWindows>& windows) {
  return std::visit([](const auto& w) { return w.gracePeriodMs(); }, windows);
}
inline int64_t windowGrace(const SessionWindows& windows) {
  return windows.inactivityGapMs() + windows.gracePeriodMs();
}

// Adds the window store of a time or sliding windows aggregation.
template <class K, class VR>
void addTimeWindowStore(TopologyGraph& graph, const std::string& store,
                        const std::variant<TimeWindows, SlidingWindows>& windows, const Materialized<K, VR>& m,
                        SerdePtr<K> keySerde, SerdePtr<VR> valueSerde) {
  const bool sliding = std::holds_alternative<SlidingWindows>(windows);
  const int64_t size = sliding ? std::get<SlidingWindows>(windows).timeDifferenceMs() : std::get<TimeWindows>(windows).sizeMs();
  // Sliding windows reach back twice the time difference to find the previous record.
  const int64_t needed = (sliding ? 2 * size : size) + windowGrace(windows);
  if (m.retention && m.retention->count() < needed)
    throw TopologyException(
        "the retention of window store " + store + " (" + std::to_string(m.retention->count()) +
        " ms) is shorter than " + (sliding ? "twice the time difference" : "the window size") + " plus the grace (" +
        std::to_string(needed) + " ms): it would drop windows that still take records; give Materialized::withRetention "
        "at least " + std::to_string(needed) + " ms, or leave it out");
  const int64_t retention = m.retention ? m.retention->count() : needed;
  graph.addStore(windowStoreSpec<K, VR, true>(StoreKind::kWindow, store, m.persistent, m.logging, m.caching,
                                              m.changelogConfigs, keySerde, valueSerde, size, retention, false));
}

// Adds the session store of a session windows aggregation.
template <class K, class VR>
void addSessionStore(TopologyGraph& graph, const std::string& store, const SessionWindows& windows,
                     const Materialized<K, VR>& m, SerdePtr<K> keySerde, SerdePtr<VR> valueSerde) {
  if (m.retention && m.retention->count() < windowGrace(windows))
    throw TopologyException("the retention of session store " + store + " (" + std::to_string(m.retention->count()) +
                            " ms) is shorter than the inactivity gap plus the grace (" +
                            std::to_string(windowGrace(windows)) + " ms): it would drop sessions that still take "
                            "records; give Materialized::withRetention at least that, or leave it out");
  // One millisecond past gap and grace: a session that ends exactly gap and grace before
  // stream time is still open (it takes records), so its store must still keep it.
  const int64_t retention = std::max<int64_t>(windowGrace(windows) + 1, m.retention ? m.retention->count() : 0);
  graph.addStore(windowStoreSpec<K, VR, true>(StoreKind::kSession, store, m.persistent, m.logging, m.caching,
                                              m.changelogConfigs, keySerde, valueSerde, 0, retention, false));
}

// The table of a windowed aggregation whose last node is `node`.
template <class K, class VR>
KTable<Windowed<K>, VR> windowedTable(std::shared_ptr<TopologyGraph> graph, size_t node, SerdePtr<K> keySerde,
                                      SerdePtr<VR> valueSerde, std::string store, int64_t grace) {
  SerdePtr<Windowed<K>> windowedSerde;
  if (keySerde) windowedSerde = WindowedSerdes::windowedSerdeFrom(keySerde);
  KTable<Windowed<K>, VR> table(std::move(graph), node, windowedSerde, std::move(valueSerde), std::move(store));
  table.setWindowGrace(grace);
  return table;
}

}  // namespace internal

template <class K, class V>
template <class VR, class Init, class Agg>
KTable<Windowed<K>, VR> TimeWindowedKStream<K, V>::aggregateWith(std::string_view kind, Init init, Agg agg,
                                                                const Materialized<K, VR>& m) const {
  auto a = internal::prepareWindowedAggregation<K, V, VR>(grouped_, kind, m);
  SerdePtr<VR> valueSerde = m.valueSerde;
  if constexpr (std::is_same_v<VR, V>)
    if (!valueSerde) valueSerde = a.valueSerde;
  const SerdePtr<K> keySerde = m.keySerde ? m.keySerde : a.keySerde;
  internal::addTimeWindowStore<K, VR>(*a.graph, a.store, windows_, m, keySerde, valueSerde);
  const std::string name = a.graph->newName("KSTREAM-AGGREGATE-");
  size_t index = internal::addStoreProcessor(
      *a.graph, {a.input.node()}, name, a.lineage, a.store, typeid(K), typeid(V), typeid(Windowed<K>),
      typeid(Change<VR>), internal::timeWindowAggregateFactory<K, V, VR>(name, a.store, windows_, init, agg, emit_));
  return internal::windowedTable<K, VR>(a.graph, index, keySerde, valueSerde, a.store, internal::windowGrace(windows_));
}

template <class K, class V>
template <class VR, class Init, class Agg, class Merger>
KTable<Windowed<K>, VR> SessionWindowedKStream<K, V>::aggregateWith(std::string_view kind, Init init, Agg agg,
                                                                   Merger merger, const Materialized<K, VR>& m) const {
  auto a = internal::prepareWindowedAggregation<K, V, VR>(grouped_, kind, m);
  SerdePtr<VR> valueSerde = m.valueSerde;
  if constexpr (std::is_same_v<VR, V>)
    if (!valueSerde) valueSerde = a.valueSerde;
  const SerdePtr<K> keySerde = m.keySerde ? m.keySerde : a.keySerde;
  internal::addSessionStore<K, VR>(*a.graph, a.store, windows_, m, keySerde, valueSerde);
  const std::string name = a.graph->newName("KSTREAM-SESSION-AGGREGATE-");
  size_t index = internal::addStoreProcessor(
      *a.graph, {a.input.node()}, name, a.lineage, a.store, typeid(K), typeid(V), typeid(Windowed<K>),
      typeid(Change<VR>),
      internal::sessionWindowAggregateFactory<K, V, VR>(name, a.store, windows_, init, agg, merger, emit_));
  return internal::windowedTable<K, VR>(a.graph, index, keySerde, valueSerde, a.store, internal::windowGrace(windows_));
}

}  // namespace kstreams
