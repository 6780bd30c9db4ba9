// KTable<K, V>: a changelog stream read as a table — the latest value per key. It comes
// from a topic (StreamsBuilder::table) or an aggregation, and is kept in a state store that
// interactive queries can read when it is named (Materialized::as).
//
// A table forwards changes: each update carries the key's new value and the one it
// replaces, so downstream tables and aggregations can undo the old one.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "streams/change.h"
#include "streams/grouped.h"
#include "streams/internal/suppress_node.h"
#include "streams/internal/table_nodes.h"
#include "streams/kstream.h"
#include "streams/materialized.h"
#include "streams/suppressed.h"

namespace kstreams {

template <class K, class V>
class KGroupedTable;

template <class K, class V>
class KTable {
 public:
  using KeyType = K;
  using ValueType = V;

  // Rows whose value passes the predicate; others become deletes downstream. `named` names
  // the operator's node (KTABLE-FILTER-... otherwise), `materialized` keeps the result in a
  // store of that name.
  template <class Predicate>
  KTable filter(Predicate predicate, const Materialized<K, V>& materialized = {}) const {
    return filter(std::move(predicate), Named{}, materialized);
  }
  template <class Predicate>
  KTable filter(Predicate predicate, const Named& named, const Materialized<K, V>& materialized = {}) const;
  template <class Predicate>
  KTable filterNot(Predicate predicate, const Materialized<K, V>& materialized = {}) const {
    return filterNot(std::move(predicate), Named{}, materialized);
  }
  template <class Predicate>
  KTable filterNot(Predicate predicate, const Named& named, const Materialized<K, V>& materialized = {}) const;
  // Each row's value mapped: V2(const V&) or V2(const K&, const V&). Named and
  // Materialized as for filter (the node is KTABLE-MAPVALUES-... by default).
  template <class Mapper, class V2 = internal::ValueMapperResult<Mapper, K, V>>
  KTable<K, V2> mapValues(Mapper mapper, const Materialized<K, V2>& materialized = {}) const {
    return mapValues<Mapper, V2>(std::move(mapper), Named{}, materialized);
  }
  template <class Mapper, class V2 = internal::ValueMapperResult<Mapper, K, V>>
  KTable<K, V2> mapValues(Mapper mapper, const Named& named, const Materialized<K, V2>& materialized = {}) const;
  // Holds updates back (see suppressed.h): a window's final result, or a key's latest value
  // after a time limit.
  KTable suppress(const Suppressed& suppressed) const;
  // The table's changes as a stream; a delete is a record with a null value (std::nullopt).
  KStream<K, std::optional<V>> toStream(const Named& named = {}) const;
  // Regroups the rows by a new key for an aggregation: selector returns KeyValue<K2, V2> (or
  // std::pair). Goes through a repartition topic.
  template <class Selector>
  auto groupBy(Selector selector) const;
  template <class Selector, class K2, class V2>
  KGroupedTable<K2, V2> groupBy(Selector selector, const Grouped<K2, V2>& grouped) const;

  // Joins with another table of the same key type (defined in joins.h): the result updates
  // whenever either side changes, and deletes when the join has no result any more.
  // Joiners as for KStream joins.
  template <class V2, class Joiner, class VR = std::decay_t<std::invoke_result_t<Joiner&, const V&, const V2&>>>
  KTable<K, VR> join(const KTable<K, V2>& other, Joiner joiner, const Materialized<K, VR>& materialized = {}) const;
  template <class V2, class Joiner,
            class VR = std::decay_t<std::invoke_result_t<Joiner&, const V&, const std::optional<V2>&>>>
  KTable<K, VR> leftJoin(const KTable<K, V2>& other, Joiner joiner, const Materialized<K, VR>& materialized = {}) const;
  template <class V2, class Joiner,
            class VR = std::decay_t<std::invoke_result_t<Joiner&, const std::optional<V>&, const std::optional<V2>&>>>
  KTable<K, VR> outerJoin(const KTable<K, V2>& other, Joiner joiner, const Materialized<K, VR>& materialized = {}) const;

  // Foreign-key joins: each row joins the row of `other` whose key foreignKey(value)
  // extracts (KO(const V&)); joiner VR(const V&, const VO&), or for leftJoin
  // VR(const V&, const std::optional<VO>&). The result is keyed by this table's key and
  // updates as either side changes. No co-partitioning is needed between the tables.
  template <class KO, class VO, class Extractor, class Joiner,
            class VR = std::decay_t<std::invoke_result_t<Joiner&, const V&, const VO&>>>
    requires std::is_invocable_v<Extractor&, const V&>
  KTable<K, VR> join(const KTable<KO, VO>& other, Extractor foreignKey, Joiner joiner,
                     const Materialized<K, VR>& materialized = {}) const;
  template <class KO, class VO, class Extractor, class Joiner,
            class VR = std::decay_t<std::invoke_result_t<Joiner&, const V&, const std::optional<VO>&>>>
    requires std::is_invocable_v<Extractor&, const V&>
  KTable<K, VR> leftJoin(const KTable<KO, VO>& other, Extractor foreignKey, Joiner joiner,
                         const Materialized<K, VR>& materialized = {}) const;

  // This table with a store (its own, or a new one for a table that has none), for lookups.
  KTable ensureMaterialized() const;

  // The store holding this table, if it was materialized; empty otherwise.
  const std::string& queryableStoreName() const { return storeName_; }
  // For a windowed table: the grace period of its windows (when suppress() closes them).
  std::optional<int64_t> windowGrace() const { return windowGrace_; }
  void setWindowGrace(int64_t grace) { windowGrace_ = grace; }

  KTable(std::shared_ptr<internal::TopologyGraph> graph, size_t node, SerdePtr<K> keySerde, SerdePtr<V> valueSerde,
         std::string storeName)
      : graph_(std::move(graph)), node_(node), keySerde_(std::move(keySerde)), valueSerde_(std::move(valueSerde)),
        storeName_(std::move(storeName)) {}
  const std::shared_ptr<internal::TopologyGraph>& graph() const { return graph_; }
  size_t node() const { return node_; }
  const SerdePtr<K>& keySerde() const { return keySerde_; }
  const SerdePtr<V>& valueSerde() const { return valueSerde_; }
  // The table's change stream, as KStream's operators see it.
  KStream<K, Change<V>> changes() const { return KStream<K, Change<V>>(graph_, node_, keySerde_, nullptr, false); }

 private:
  template <class V2>
  KTable<K, V2> materializeIfNamed(const KStream<K, Change<V2>>& changes, const Materialized<K, V2>& m,
                                   SerdePtr<V2> valueSerde) const;

  std::shared_ptr<internal::TopologyGraph> graph_;
  size_t node_;
  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
  std::string storeName_;
  std::optional<int64_t> windowGrace_;
};

namespace internal {

// Adds the store of a table (values with timestamps) to the graph; a versioned store where
// Materialized asks for one and the table can be one (versionedAllowed: a source table).
template <class K, class V>
void addTableStore(TopologyGraph& graph, const std::string& name, const Materialized<K, V>& m, SerdePtr<K> keySerde,
                   SerdePtr<V> valueSerde, bool versionedAllowed = false) {
  if (m.versionedHistory) {
    if (!versionedAllowed)
      throw TopologyException("store '" + name +
                              "' is versioned, which kstreams supports for a source table (StreamsBuilder::table) "
                              "only; materialize this table with a plain store");
    graph.addStore(versionedStoreSpec<K, V>(name, m.versionedHistory->count(), m.logging, m.changelogConfigs,
                                            m.keySerde ? m.keySerde : keySerde, m.valueSerde ? m.valueSerde : valueSerde));
    return;
  }
  graph.addStore(keyValueStoreSpec<K, V, true>(name, m.persistent, m.logging, m.caching, m.changelogConfigs,
                                               m.keySerde ? m.keySerde : keySerde,
                                               m.valueSerde ? m.valueSerde : valueSerde));
}

// Adds a processor that uses `store`, below `parents`, and returns its index.
inline size_t addStoreProcessor(TopologyGraph& graph, std::vector<size_t> parents, std::string name,
                                std::string lineage, const std::string& store, const std::type_info& inKey,
                                const std::type_info& inValue, const std::type_info& outKey,
                                const std::type_info& outValue, NodeFactory factory) {
  GraphNode node;
  node.kind = GraphNode::Kind::kProcessor;
  node.seesHeaders = false;
  node.name = std::move(name);
  node.inKey = &inKey;
  node.inValue = &inValue;
  node.outKey = &outKey;
  node.outValue = &outValue;
  node.lineage = std::move(lineage);
  node.factory = std::move(factory);
  size_t index = graph.addNode(std::move(node), parents);
  graph.connectStore(store, index);
  return index;
}

}  // namespace internal

// ---------------------------------------------------------------------------------------
// Implementation.

template <class K, class V>
template <class V2>
KTable<K, V2> KTable<K, V>::materializeIfNamed(const KStream<K, Change<V2>>& changes, const Materialized<K, V2>& m,
                                               SerdePtr<V2> valueSerde) const {
  if (m.storeName.empty()) return KTable<K, V2>(graph_, changes.node(), keySerde_, valueSerde, "");
  internal::addTableStore<K, V2>(*graph_, m.storeName, m, keySerde_, valueSerde);
  size_t index = internal::addStoreProcessor(
      *graph_, {changes.node()}, graph_->newName("KTABLE-MATERIALIZE-"),
      graph_->childLineage(changes.node(), "materialize"), m.storeName, typeid(K), typeid(Change<V2>), typeid(K),
      typeid(Change<V2>), [store = m.storeName](const internal::SerdeDefaults&) {
        return std::make_unique<internal::TableMaterializeNode<K, V2>>(store);
      });
  return KTable<K, V2>(graph_, index, keySerde_, m.valueSerde ? m.valueSerde : valueSerde, m.storeName);
}

template <class K, class V>
KTable<K, V> KTable<K, V>::ensureMaterialized() const {
  if (!storeName_.empty()) return *this;
  const std::string store =
      internal::TopologyGraph::stableName("KTABLE-STATE-STORE-", graph_->node(node_).lineage + "/materialize");
  return materializeIfNamed<V>(changes(), Materialized<K, V>::as(store), valueSerde_);
}

template <class K, class V>
template <class Predicate>
KTable<K, V> KTable<K, V>::filter(Predicate predicate, const Named& named, const Materialized<K, V>& m) const {
  static_assert(std::is_invocable_r_v<bool, Predicate&, const K&, const V&>,
                "filter() takes a predicate bool(const K&, const V&)");
  auto filtered = changes().template addStatelessNode<K, Change<V>>(
      "tableFilter", "KTABLE-FILTER-", named,
      [predicate](Record<K, Change<V>>&& r, internal::Downstream<K, Change<V>>& out) mutable {
        Change<V>& c = r.value;
        if (c.newValue && !predicate(std::as_const(r.key), std::as_const(*c.newValue))) c.newValue.reset();
        if (c.oldValue && !predicate(std::as_const(r.key), std::as_const(*c.oldValue))) c.oldValue.reset();
        if (c.newValue || c.oldValue) out.forward(std::move(r));
      },
      keySerde_, SerdeFor<Change<V>>{}, false);
  return materializeIfNamed<V>(filtered, m, valueSerde_);
}

template <class K, class V>
template <class Predicate>
KTable<K, V> KTable<K, V>::filterNot(Predicate predicate, const Named& named, const Materialized<K, V>& m) const {
  return filter([predicate](const K& k, const V& v) mutable { return !predicate(k, v); }, named, m);
}

template <class K, class V>
template <class Mapper, class V2>
KTable<K, V2> KTable<K, V>::mapValues(Mapper mapper, const Named& named, const Materialized<K, V2>& m) const {
  auto mapped = changes().template addStatelessNode<K, Change<V2>>(
      "tableMapValues", "KTABLE-MAPVALUES-", named,
      [mapper](Record<K, Change<V>>&& r, internal::Downstream<K, Change<V2>>& out) mutable {
        Change<V2> c;
        if (r.value.newValue) c.newValue = internal::callValueMapper(mapper, std::as_const(r.key), *r.value.newValue);
        if (r.value.oldValue) c.oldValue = internal::callValueMapper(mapper, std::as_const(r.key), *r.value.oldValue);
        out.forward(Record<K, Change<V2>>{std::move(r.key), std::move(c), r.timestamp, std::move(r.headers)});
      },
      keySerde_, SerdeFor<Change<V2>>{}, false, internal::OldValues::kPassedOn);
  return materializeIfNamed<V2>(mapped, m, m.valueSerde);
}

template <class K, class V>
KTable<K, V> KTable<K, V>::suppress(const Suppressed& suppressed) const {
  int64_t grace = 0;
  if (suppressed.untilWindowClosesSet()) {
    if constexpr (!internal::IsWindowed<K>::value)
      throw TopologyException("Suppressed::untilWindowCloses needs a windowed table (windowedBy(...) then an aggregation)");
    if (!windowGrace_)
      throw TopologyException("Suppressed::untilWindowCloses must follow the windowed aggregation directly");
    grace = *windowGrace_;
  }
  const std::string lineage = graph_->childLineage(node_, "suppress");
  const std::string store = suppressed.name().empty()
                                ? internal::TopologyGraph::stableName("KTABLE-SUPPRESS-STATE-STORE-", lineage)
                                : suppressed.name() + "-store";
  graph_->addStore(internal::keyValueStoreSpec<Bytes, Bytes, false>(store, false, true, false, {}, Serdes::Bytes(),
                                                                    Serdes::Bytes()));
  const std::string name = suppressed.name().empty() ? graph_->newName("KTABLE-SUPPRESS-") : suppressed.name();
  size_t index = internal::addStoreProcessor(
      *graph_, {node_}, name, lineage, store, typeid(K), typeid(Change<V>), typeid(K), typeid(Change<V>),
      [name, store, suppressed, grace, ks = keySerde_, vs = valueSerde_](const internal::SerdeDefaults& d) {
        SerdePtr<K> keySerde = internal::resolveSerde<K>(ks, d, true, name);
        SerdePtr<Change<V>> changeSerde =
            std::make_shared<internal::ChangeSerde<V>>(internal::resolveSerde<V>(vs, d, false, name));
        return std::make_unique<internal::SuppressNode<K, V>>(name, store, suppressed, grace, keySerde, changeSerde);
      });
  KTable<K, V> result(graph_, index, keySerde_, valueSerde_, "");
  if (windowGrace_) result.setWindowGrace(*windowGrace_);
  return result;
}

template <class K, class V>
KStream<K, std::optional<V>> KTable<K, V>::toStream(const Named& named) const {
  return changes().template addStatelessNode<K, std::optional<V>>(
      "toStream", "KTABLE-TOSTREAM-", named,
      [](Record<K, Change<V>>&& r, internal::Downstream<K, std::optional<V>>& out) {
        out.forward(Record<K, std::optional<V>>{std::move(r.key), std::move(r.value.newValue), r.timestamp,
                                                std::move(r.headers)});
      },
      keySerde_, valueSerde_, false, internal::OldValues::kIgnored);
}

template <class K, class V>
KTable<typename KStream<K, V>::KeyPayload, typename KStream<K, V>::ValuePayload> KStream<K, V>::toTable(
    const Named& named, const Materialized<KeyPayload, ValuePayload>& materialized) const {
  using KT = KeyPayload;
  using VT = ValuePayload;
  auto& graph = *graph_;
  const std::string lineage = graph.childLineage(node_, "toTable");
  const std::string name = named.name.empty() ? graph.newName("KSTREAM-TOTABLE-") : named.name;
  KStream<K, V> in = *this;
  if (repartitionRequired_) {
    // Not the generated node name: its sequence number shifts when an operator is added
    // anywhere before it, and a renamed repartition topic starts empty.
    const std::string base =
        named.name.empty() ? internal::TopologyGraph::stableName("KSTREAM-TOTABLE-", lineage) : named.name;
    in = repartition(Repartitioned<K, V>::as(base).withKeySerde(keySerde_).withValueSerde(valueSerde_));
  }
  const std::string store = materialized.storeName.empty()
                                ? internal::TopologyGraph::stableName("KSTREAM-TOTABLE-STATE-STORE-", lineage)
                                : materialized.storeName;
  SerdePtr<KT> ks = materialized.keySerde ? materialized.keySerde : keySerde_;
  SerdePtr<VT> vs = materialized.valueSerde ? materialized.valueSerde : valueSerde_;
  internal::addTableStore<KT, VT>(graph, store, materialized, ks, vs);
  size_t index = internal::addStoreProcessor(
      graph, {in.node()}, name, lineage, store, typeid(K), typeid(V), typeid(KT), typeid(Change<VT>),
      [name, store](const internal::SerdeDefaults&) {
        return std::make_unique<internal::TableSourceNode<KT, VT, K, V>>(name, store);
      });
  return KTable<KT, VT>(graph_, index, ks, vs, store);
}

}  // namespace kstreams

