// KGroupedTable<K, V>: a table's rows regrouped by a new key (KTable::groupBy), ready to
// aggregate. When a row changes, its old value is subtracted from its old group and its new
// value added to its new group, so an aggregate always reflects the table as it is now.
//
//   KTable<std::string, int64_t> usersPerRegion =
//       users.groupBy([](const std::string& user, const User& u) { return KeyValue{u.region, user}; })
//            .count();
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "streams/ktable.h"

namespace kstreams {

template <class K, class V>
class KGroupedTable {
 public:
  // `regrouped`: the table's changes keyed by their group, before the repartition topic.
  KGroupedTable(KStream<K, Change<V>> regrouped, std::string name, SerdePtr<K> keySerde, SerdePtr<V> valueSerde)
      : regrouped_(std::move(regrouped)),
        name_(std::move(name)),
        keySerde_(std::move(keySerde)),
        valueSerde_(std::move(valueSerde)),
        namedRepartition_(std::make_shared<std::optional<KStream<K, Change<V>>>>()) {}

  // Rows per group.
  KTable<K, int64_t> count(const Materialized<K, int64_t>& materialized = {}) const {
    return aggregateWith<int64_t>(
        "count", [](const K&, const V&, const std::optional<int64_t>& n) { return n ? *n + 1 : 1; },
        [](const K&, const V&, int64_t n) { return n - 1; }, materialized);
  }
  // adder V(const V& aggregate, const V& value); subtractor V(const V& aggregate, const V& old).
  template <class Adder, class Subtractor>
  KTable<K, V> reduce(Adder adder, Subtractor subtractor, const Materialized<K, V>& materialized = {}) const {
    return aggregateWith<V>(
        "reduce",
        [adder](const K&, const V& v, const std::optional<V>& agg) mutable { return agg ? adder(*agg, v) : v; },
        [subtractor](const K&, const V& old, V agg) mutable { return subtractor(agg, old); }, materialized);
  }
  // initializer VR(); adder VR(const K&, const V&, const VR&); subtractor VR(const K&, const V& old, const VR&).
  template <class Initializer, class Adder, class Subtractor,
            class VR = std::decay_t<std::invoke_result_t<Initializer&>>>
  KTable<K, VR> aggregate(Initializer initializer, Adder adder, Subtractor subtractor,
                          const Materialized<K, VR>& materialized = {}) const {
    return aggregateWith<VR>(
        "aggregate",
        [initializer, adder](const K& k, const V& v, const std::optional<VR>& agg) mutable {
          return agg ? adder(k, v, *agg) : adder(k, v, initializer());
        },
        [subtractor](const K& k, const V& old, VR agg) mutable { return subtractor(k, old, agg); }, materialized);
  }

 private:
  // As in Kafka Streams: the aggregations of a regrouping named by Grouped share the
  // repartition topic that name gives; otherwise each has its own, named after its store.
  KStream<K, Change<V>> input(const std::string& storeName) const {
    if (name_.empty()) return repartitionAs(storeName);
    if (!*namedRepartition_) *namedRepartition_ = repartitionAs(name_);
    return **namedRepartition_;
  }

  KStream<K, Change<V>> repartitionAs(const std::string& name) const {
    SerdePtr<Change<V>> changeSerde;
    if (valueSerde_) changeSerde = std::make_shared<internal::ChangeSerde<V>>(valueSerde_);
    return regrouped_.repartition(
        Repartitioned<K, Change<V>>::as(name).withKeySerde(keySerde_).withValueSerde(changeSerde));
  }

  template <class VR, class Add, class Subtract>
  KTable<K, VR> aggregateWith(std::string_view kind, Add add, Subtract subtract, const Materialized<K, VR>& m) const {
    auto& graph = *regrouped_.graph();
    // Generated store names come from this lineage. It is the one aggregations had when all
    // of a regrouping's aggregations read one topic, named by Grouped or else by the
    // regrouping's lineage, so that the stores of existing programs keep their names.
    const std::string sharedTopic =
        (name_.empty() ? internal::TopologyGraph::stableName("KTABLE-AGGREGATE-", graph.node(regrouped_.node()).lineage)
                       : name_) +
        "-repartition";
    const std::string lineage = graph.childLineage("repartition:" + sharedTopic, kind);
    const std::string store =
        m.storeName.empty() ? internal::TopologyGraph::stableName("KTABLE-AGGREGATE-STATE-STORE-", lineage) : m.storeName;
    KStream<K, Change<V>> in = input(store);
    SerdePtr<VR> valueSerde = m.valueSerde;
    if constexpr (std::is_same_v<VR, V>)
      if (!valueSerde) valueSerde = valueSerde_;
    internal::addTableStore<K, VR>(graph, store, m, keySerde_, valueSerde);
    size_t index = internal::addStoreProcessor(
        graph, {in.node()}, graph.newName("KTABLE-AGGREGATE-"), lineage, store, typeid(K), typeid(Change<V>),
        typeid(K), typeid(Change<VR>), [store, add, subtract](const internal::SerdeDefaults&) {
          return std::make_unique<internal::TableAggregateNode<K, V, VR, Add, Subtract>>(store, add, subtract);
        });
    return KTable<K, VR>(regrouped_.graph(), index, m.keySerde ? m.keySerde : keySerde_, valueSerde, store);
  }

  KStream<K, Change<V>> regrouped_;
  std::string name_;  // Grouped's: names the shared repartition topic
  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
  // The repartitioned changes of a named regrouping, made by its first aggregation; shared
  // by the copies of this KGroupedTable.
  std::shared_ptr<std::optional<KStream<K, Change<V>>>> namedRepartition_;
};

template <class K, class V>
template <class Selector>
auto KTable<K, V>::groupBy(Selector selector) const {
  using Result = std::decay_t<std::invoke_result_t<Selector&, const K&, const V&>>;
  using Traits = internal::KeyValueTraits<Result>;
  return groupBy(std::move(selector), Grouped<typename Traits::Key, typename Traits::Value>{});
}

template <class K, class V>
template <class Selector, class K2, class V2>
KGroupedTable<K2, V2> KTable<K, V>::groupBy(Selector selector, const Grouped<K2, V2>& grouped) const {
  using Result = std::decay_t<std::invoke_result_t<Selector&, const K&, const V&>>;
  using Traits = internal::KeyValueTraits<Result>;
  static_assert(std::is_same_v<typename Traits::Key, K2> && std::is_same_v<typename Traits::Value, V2>,
                "the selector must return KeyValue<K2, V2> matching the Grouped types");
  // Each change becomes a subtraction from the old row's group and an addition to the new
  // row's group (one record when both are the same group).
  auto regrouped = changes().template addStatelessNode<K2, Change<V2>>(
      "tableGroupBy", "KTABLE-SELECT-", {},
      [selector](Record<K, Change<V>>&& r, internal::Downstream<K2, Change<V2>>& out) mutable {
        std::optional<Result> newKv, oldKv;
        if (r.value.newValue) newKv = selector(std::as_const(r.key), std::as_const(*r.value.newValue));
        if (r.value.oldValue) oldKv = selector(std::as_const(r.key), std::as_const(*r.value.oldValue));
        if (newKv && oldKv && Traits::key(*newKv) == Traits::key(*oldKv)) {
          K2 key = Traits::key(*newKv);
          out.forward(Record<K2, Change<V2>>{std::move(key), Change<V2>{Traits::value(*newKv), Traits::value(*oldKv)},
                                             r.timestamp, r.headers});
          return;
        }
        if (oldKv)
          out.forward(Record<K2, Change<V2>>{Traits::key(*oldKv), Change<V2>{std::nullopt, Traits::value(*oldKv)},
                                             r.timestamp, r.headers});
        if (newKv)
          out.forward(Record<K2, Change<V2>>{Traits::key(*newKv), Change<V2>{Traits::value(*newKv), std::nullopt},
                                             r.timestamp, r.headers});
      },
      grouped.keySerde, SerdeFor<Change<V2>>{}, true);
  return KGroupedTable<K2, V2>(regrouped, grouped.name, grouped.keySerde, grouped.valueSerde);
}

}  // namespace kstreams
