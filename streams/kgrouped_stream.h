// KGroupedStream<K, V>: a stream grouped by key, ready to aggregate into a KTable.
//
//   KTable<std::string, int64_t> counts =
//       orders.groupByKey().count(Materialized<std::string, int64_t>::as("order-counts"));
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "streams/ktable.h"
#include "streams/windows.h"

namespace kstreams {

template <class K, class V>
class TimeWindowedKStream;
template <class K, class V>
class SessionWindowedKStream;

template <class K, class V>
class KGroupedStream {
 public:
  KGroupedStream(KStream<K, V> stream, Grouped<K, V> grouped, bool repartitionRequired)
      : stream_(std::move(stream)),
        grouped_(std::move(grouped)),
        repartitionRequired_(repartitionRequired),
        namedRepartition_(std::make_shared<std::optional<KStream<K, V>>>()) {}

  // The number of records per key.
  KTable<K, int64_t> count(const Materialized<K, int64_t>& materialized = {}) const {
    return aggregateWith<int64_t>(
        "count", [](const K&, const V&, const std::optional<int64_t>& n) { return n ? *n + 1 : 1; }, materialized);
  }
  // Combines each key's values: reducer V(const V& aggregate, const V& value).
  template <class Reducer>
  KTable<K, V> reduce(Reducer reducer, const Materialized<K, V>& materialized = {}) const {
    static_assert(std::is_invocable_r_v<V, Reducer&, const V&, const V&>,
                  "reduce() takes a function V(const V& aggregate, const V& value)");
    return aggregateWith<V>(
        "reduce",
        [reducer](const K&, const V& v, const std::optional<V>& agg) mutable { return agg ? reducer(*agg, v) : v; },
        materialized);
  }
  // Folds each key's values into an aggregate: initializer VR(), aggregator
  // VR(const K&, const V&, const VR& aggregate).
  template <class Initializer, class Aggregator, class VR = std::decay_t<std::invoke_result_t<Initializer&>>>
  KTable<K, VR> aggregate(Initializer initializer, Aggregator aggregator,
                          const Materialized<K, VR>& materialized = {}) const {
    static_assert(std::is_invocable_r_v<VR, Aggregator&, const K&, const V&, const VR&>,
                  "aggregate() takes an aggregator VR(const K&, const V&, const VR& aggregate)");
    return aggregateWith<VR>(
        "aggregate",
        [initializer, aggregator](const K& k, const V& v, const std::optional<VR>& agg) mutable {
          return agg ? aggregator(k, v, *agg) : aggregator(k, v, initializer());
        },
        materialized);
  }

  // Starts a cogroup (cogrouped_kstream.h) with this stream as its first input: aggregator
  // VOut(const K&, const V&, const VOut& aggregate). VOut is what the aggregator returns,
  // or given, cogroup<VOut>(aggregator), when it cannot be told (a generic lambda).
  template <class VOut = void, class Aggregator>
  auto cogroup(Aggregator aggregator) const;

  // Windowed aggregations (windowed_kstream.h): tumbling and hopping, sliding, or session
  // windows.
  TimeWindowedKStream<K, V> windowedBy(TimeWindows windows) const;
  TimeWindowedKStream<K, V> windowedBy(SlidingWindows windows) const;
  SessionWindowedKStream<K, V> windowedBy(SessionWindows windows) const;

  // For windowedBy() and the DSL's own classes: the records to aggregate, repartitioned if
  // needed. As in Kafka Streams, the aggregations of a stream grouped with a name share the
  // repartition topic that name gives; otherwise each has its own, named after `storeName`.
  KStream<K, V> input(const std::string& storeName) const {
    if (!repartitionRequired_) return stream_;
    if (grouped_.name.empty()) return repartitionAs(storeName);
    if (!*namedRepartition_) *namedRepartition_ = repartitionAs(grouped_.name);
    return **namedRepartition_;
  }
  SerdePtr<K> keySerde() const { return grouped_.keySerde ? grouped_.keySerde : stream_.keySerde(); }
  SerdePtr<V> valueSerde() const { return grouped_.valueSerde ? grouped_.valueSerde : stream_.valueSerde(); }
  const KStream<K, V>& stream() const { return stream_; }
  bool repartitionRequired() const { return repartitionRequired_; }
  bool named() const { return !grouped_.name.empty(); }
  // The same for this object and its copies, and only for them.
  const void* identity() const { return namedRepartition_.get(); }

 private:
  // fn: VR(const K&, const V&, const std::optional<VR>& current).
  template <class VR, class Fn>
  KTable<K, VR> aggregateWith(std::string_view kind, Fn fn, const Materialized<K, VR>& m) const;

  KStream<K, V> repartitionAs(const std::string& name) const {
    return stream_.repartition(Repartitioned<K, V>::as(name).withKeySerde(keySerde()).withValueSerde(valueSerde()));
  }

  KStream<K, V> stream_;
  Grouped<K, V> grouped_;
  bool repartitionRequired_;
  // The repartitioned stream of a named grouping, made by its first aggregation; shared by
  // the copies of this KGroupedStream, and so also what tells them from other groupings
  // (identity()).
  std::shared_ptr<std::optional<KStream<K, V>>> namedRepartition_;
};

template <class K, class V>
template <class VR, class Fn>
KTable<K, VR> KGroupedStream<K, V>::aggregateWith(std::string_view kind, Fn fn, const Materialized<K, VR>& m) const {
  auto& graph = *stream_.graph();
  const std::string lineage = graph.childLineage(stream_.node(), kind);
  const std::string store =
      m.storeName.empty() ? internal::TopologyGraph::stableName("KSTREAM-AGGREGATE-STATE-STORE-", lineage) : m.storeName;
  KStream<K, V> in = input(store);
  SerdePtr<VR> valueSerde = m.valueSerde;
  if constexpr (std::is_same_v<VR, V>)
    if (!valueSerde) valueSerde = this->valueSerde();
  internal::addTableStore<K, VR>(graph, store, m, keySerde(), valueSerde);
  size_t index = internal::addStoreProcessor(
      graph, {in.node()}, graph.newName("KSTREAM-AGGREGATE-"), lineage, store, typeid(K), typeid(V), typeid(K),
      typeid(Change<VR>), [store, fn](const internal::SerdeDefaults&) {
        return std::make_unique<internal::StreamAggregateNode<K, V, VR, Fn>>(store, fn);
      });
  return KTable<K, VR>(stream_.graph(), index, m.keySerde ? m.keySerde : keySerde(), valueSerde, store);
}

// KStream's grouping, which needs KGroupedStream complete.
template <class K, class V>
KGroupedStream<typename KStream<K, V>::KeyPayload, typename KStream<K, V>::ValuePayload> KStream<K, V>::groupByKey(
    const Grouped<KeyPayload, ValuePayload>& grouped) const {
  if constexpr (NullableTraits<K>::kNullable || NullableTraits<V>::kNullable) {
    internal::GraphNode node;
    node.kind = internal::GraphNode::Kind::kProcessor;
    node.seesHeaders = false;
    node.name = graph_->newName("KSTREAM-FILTER-");
    node.inKey = &typeid(K);
    node.inValue = &typeid(V);
    node.outKey = &typeid(KeyPayload);
    node.outValue = &typeid(ValuePayload);
    node.lineage = graph_->childLineage(node_, "dropNulls");
    node.factory = [name = node.name](const internal::SerdeDefaults&) {
      return std::make_unique<internal::DropNullsNode<K, V>>(name);
    };
    size_t index = graph_->addNode(std::move(node), std::vector<size_t>{node_});
    return KGroupedStream<KeyPayload, ValuePayload>(
        KStream<KeyPayload, ValuePayload>(graph_, index, keySerde_, valueSerde_, repartitionRequired_), grouped,
        repartitionRequired_);
  } else {
    return KGroupedStream<K, V>(*this, grouped, repartitionRequired_);
  }
}

template <class K, class V>
template <class Selector>
auto KStream<K, V>::groupBy(Selector selector) const {
  using K2 = typename NullableTraits<std::decay_t<std::invoke_result_t<Selector&, const K&, const V&>>>::Payload;
  return groupBy(std::move(selector), Grouped<K2, ValuePayload>{});
}

template <class K, class V>
template <class Selector, class K2>
KGroupedStream<K2, typename KStream<K, V>::ValuePayload> KStream<K, V>::groupBy(
    Selector selector, const Grouped<K2, ValuePayload>& grouped) const {
  auto rekeyed = selectKey(std::move(selector));
  return rekeyed.groupByKey(grouped);
}

}  // namespace kstreams

#include "streams/windowed_kstream.h"

namespace kstreams {

template <class K, class V>
TimeWindowedKStream<K, V> KGroupedStream<K, V>::windowedBy(TimeWindows windows) const {
  return TimeWindowedKStream<K, V>(*this, windows);
}
template <class K, class V>
TimeWindowedKStream<K, V> KGroupedStream<K, V>::windowedBy(SlidingWindows windows) const {
  return TimeWindowedKStream<K, V>(*this, windows);
}
template <class K, class V>
SessionWindowedKStream<K, V> KGroupedStream<K, V>::windowedBy(SessionWindows windows) const {
  return SessionWindowedKStream<K, V>(*this, windows);
}

}  // namespace kstreams

#include "streams/cogrouped_kstream.h"  // KGroupedStream::cogroup(), which needs KGroupedStream complete
