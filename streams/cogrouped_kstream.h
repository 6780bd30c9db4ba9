// CogroupedKStream<K, VOut>: several grouped streams of one key type, and of any value
// types, aggregated into one table (Kafka Streams' cogroup, KIP-150). Each input has its own
// aggregator; all of them fold into the one aggregate per key, kept in one store.
//
//   KTable<std::string, Customer> customers =
//       orders.groupByKey()
//           .cogroup([](const std::string&, const Order& o, const Customer& c) { return c.withOrder(o); })
//           .cogroup(refunds.groupByKey(),
//                    [](const std::string&, const Refund& r, const Customer& c) { return c.withRefund(r); })
//           .aggregate([] { return Customer{}; }, Materialized<std::string, Customer>::as("customers"));
//
// The inputs are read in one sub-topology, so they must be co-partitioned (the same number
// of partitions, keys partitioned alike): an input whose key may have changed goes through a
// repartition topic of its own first, which gets the partition count of the other inputs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <typeinfo>
#include <variant>
#include <vector>

#include "streams/internal/stateless_node.h"
#include "streams/internal/table_nodes.h"
#include "streams/internal/window_nodes.h"
#include "streams/kgrouped_stream.h"
#include "streams/named.h"

namespace kstreams {

template <class K, class VOut>
class TimeWindowedCogroupedKStream;
template <class K, class VOut>
class SessionWindowedCogroupedKStream;

namespace internal {

// What an aggregate() asks of every input's aggregator: the store, how windows are cut,
// the initializer (and for sessions, the merger). The initializer and merger are called
// through std::function: once per new key, window or merged session, never per record; the
// aggregators stay fully typed.
template <class K, class VOut>
struct CogroupAggregation {
  std::string store;
  std::variant<std::monostate, TimeWindows, SlidingWindows, SessionWindows> windows;
  std::function<VOut()> initializer;
  std::function<VOut(const K&, const VOut&, const VOut&)> merger;
};

// One input of a cogroup, its value type erased.
template <class K, class VOut>
struct CogroupInput {
  std::shared_ptr<TopologyGraph> graph;
  // The grouped stream (shared by its copies), to refuse it twice in one cogroup.
  const void* identity = nullptr;
  size_t groupedNode = 0;
  bool repartitionRequired = false;
  bool namedGrouping = false;
  SerdePtr<K> keySerde;
  const std::type_info* valueType = nullptr;
  // The node whose records this input's aggregator takes: the grouped stream's, or that of
  // a repartition topic named after `topicBase` (or after the grouping, if named).
  std::function<size_t(const std::string& topicBase)> input;
  // The node of this input's aggregator, called `name`.
  std::function<NodeFactory(const std::string& name, const CogroupAggregation<K, VOut>&)> factory;
};

template <class K, class V, class VOut, class Aggregator>
CogroupInput<K, VOut> cogroupInput(const KGroupedStream<K, V>& grouped, Aggregator aggregator);

// Adds the aggregators of every input and the node that merges their changes (keyed by
// KOut: K, or Windowed<K>); returns the index of that node. `addStore` adds the store once
// its name is known.
template <class KOut, class K, class VOut>
size_t buildCogroup(const std::vector<CogroupInput<K, VOut>>& inputs, std::string_view kind, const Named& named,
                    const std::string& storeName, CogroupAggregation<K, VOut>& aggregation,
                    const std::function<void(TopologyGraph&, const std::string&)>& addStore);

// The type an aggregator returns, if it says (a lambda with typed parameters, a function):
// cogroup()'s VOut when not given. No `type` if it cannot be told (a generic lambda).
template <class F, class = void>
struct AggregatorResult {};
template <class F>
struct AggregatorResult<F, std::void_t<decltype(&F::operator())>> : AggregatorResult<decltype(&F::operator())> {};
template <class R, class... A>
struct AggregatorResult<R (*)(A...)> {
  using type = std::decay_t<R>;
};
template <class R, class... A>
struct AggregatorResult<R (*)(A...) noexcept> : AggregatorResult<R (*)(A...)> {};
template <class C, class R, class... A>
struct AggregatorResult<R (C::*)(A...)> : AggregatorResult<R (*)(A...)> {};
template <class C, class R, class... A>
struct AggregatorResult<R (C::*)(A...) const> : AggregatorResult<R (*)(A...)> {};
template <class C, class R, class... A>
struct AggregatorResult<R (C::*)(A...) noexcept> : AggregatorResult<R (*)(A...)> {};
template <class C, class R, class... A>
struct AggregatorResult<R (C::*)(A...) const noexcept> : AggregatorResult<R (*)(A...)> {};

template <class F, class = void>
struct DeducedVOut {
  using type = void;
};
template <class F>
struct DeducedVOut<F, std::void_t<typename AggregatorResult<F>::type>> {
  using type = typename AggregatorResult<F>::type;
};

}  // namespace internal

template <class K, class VOut>
class CogroupedKStream {
 public:
  // Adds another grouped stream of the same key type: aggregator
  // VOut(const K&, const V2&, const VOut& aggregate). Each grouped stream may be an input
  // once. As in Kafka Streams, the inputs are shared by the copies of this object: this
  // adds to them, and returns it.
  template <class V2, class Aggregator>
  CogroupedKStream& cogroup(const KGroupedStream<K, V2>& other, Aggregator aggregator) {
    static_assert(std::is_invocable_r_v<VOut, Aggregator&, const K&, const V2&, const VOut&>,
                  "cogroup() takes an aggregator VOut(const K&, const V&, const VOut& aggregate)");
    add(internal::cogroupInput<K, V2, VOut>(other, std::move(aggregator)));
    return *this;
  }

  // The table of aggregates: initializer VOut() gives a key's first aggregate, which the
  // aggregator of the input its first record came from then updates.
  template <class Initializer>
  KTable<K, VOut> aggregate(Initializer initializer, const Materialized<K, VOut>& materialized = {}) const {
    return aggregate(std::move(initializer), Named{}, materialized);
  }
  template <class Initializer>
  KTable<K, VOut> aggregate(Initializer initializer, const Named& named,
                            const Materialized<K, VOut>& materialized = {}) const;

  // Windowed aggregations (windowed_cogrouped_kstream.h).
  TimeWindowedCogroupedKStream<K, VOut> windowedBy(TimeWindows windows) const;
  TimeWindowedCogroupedKStream<K, VOut> windowedBy(SlidingWindows windows) const;
  SessionWindowedCogroupedKStream<K, VOut> windowedBy(SessionWindows windows) const;

  explicit CogroupedKStream(internal::CogroupInput<K, VOut> first)
      : inputs_(std::make_shared<std::vector<internal::CogroupInput<K, VOut>>>()) {
    inputs_->push_back(std::move(first));
  }
  const std::vector<internal::CogroupInput<K, VOut>>& inputs() const { return *inputs_; }

 private:
  void add(internal::CogroupInput<K, VOut> input) {
    const auto& first = inputs_->front();
    if (input.graph != first.graph)
      throw TopologyException("cogroup() needs grouped streams of the same StreamsBuilder, but the one grouped at node " +
                              input.graph->node(input.groupedNode).name + " comes from another");
    for (const auto& in : *inputs_)
      if (in.identity == input.identity)
        throw TopologyException("cogroup(): the stream grouped at node " + input.graph->node(input.groupedNode).name +
                                " is already an input of this cogroup; give each grouped stream once, with one "
                                "aggregator that does all it needs");
    inputs_->push_back(std::move(input));
  }

  std::shared_ptr<std::vector<internal::CogroupInput<K, VOut>>> inputs_;
};

// ---------------------------------------------------------------------------------------
// Implementation.

namespace internal {

template <class K, class V, class VOut, class Aggregator>
CogroupInput<K, VOut> cogroupInput(const KGroupedStream<K, V>& grouped, Aggregator aggregator) {
  CogroupInput<K, VOut> in;
  in.graph = grouped.stream().graph();
  in.identity = grouped.identity();
  in.groupedNode = grouped.stream().node();
  in.repartitionRequired = grouped.repartitionRequired();
  in.namedGrouping = grouped.named();
  in.keySerde = grouped.keySerde();
  in.valueType = &typeid(V);
  in.input = [grouped](const std::string& topicBase) { return grouped.input(topicBase).node(); };
  in.factory = [aggregator](const std::string& name, const CogroupAggregation<K, VOut>& a) -> NodeFactory {
    auto init = a.initializer;
    if (std::holds_alternative<std::monostate>(a.windows)) {
      auto fn = [init, aggregator](const K& k, const V& v, const std::optional<VOut>& current) mutable {
        return current ? aggregator(k, v, *current) : aggregator(k, v, init());
      };
      return [store = a.store, fn](const SerdeDefaults&) {
        return std::make_unique<StreamAggregateNode<K, V, VOut, decltype(fn)>>(store, fn);
      };
    }
    auto initial = [init]() mutable { return std::optional<VOut>(init()); };
    // The windowed nodes hand the aggregator a window's current value, or initial()'s.
    auto agg = [aggregator](const K& k, const V& v, const std::optional<VOut>& current) mutable {
      return aggregator(k, v, *current);
    };
    if (const auto* session = std::get_if<SessionWindows>(&a.windows))
      return sessionWindowAggregateFactory<K, V, VOut>(name, a.store, *session, initial, agg, a.merger);
    if (const auto* sliding = std::get_if<SlidingWindows>(&a.windows))
      return timeWindowAggregateFactory<K, V, VOut>(name, a.store, *sliding, initial, agg);
    return timeWindowAggregateFactory<K, V, VOut>(name, a.store, std::get<TimeWindows>(a.windows), initial, agg);
  };
  return in;
}

template <class KOut, class K, class VOut>
size_t buildCogroup(const std::vector<CogroupInput<K, VOut>>& inputs, std::string_view kind, const Named& named,
                    const std::string& storeName, CogroupAggregation<K, VOut>& aggregation,
                    const std::function<void(TopologyGraph&, const std::string&)>& addStore) {
  const CogroupInput<K, VOut>& first = inputs.front();
  TopologyGraph& graph = *first.graph;
  const std::string lineage = graph.childLineage(first.groupedNode, kind);
  aggregation.store =
      storeName.empty() ? TopologyGraph::stableName("COGROUPKSTREAM-AGGREGATE-STATE-STORE-", lineage) : storeName;

  // Every input that needs it gets a repartition topic of its own: a named grouping's, or
  // one named after the store as Kafka Streams names it; the store name being taken, the
  // later unnamed ones add their position among the inputs.
  std::vector<size_t> parents;
  std::set<std::string> topics;
  bool storeTopicTaken = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string topicBase = aggregation.store;
    if (inputs[i].repartitionRequired && !inputs[i].namedGrouping) {
      if (storeTopicTaken) topicBase += "-" + std::to_string(i);
      storeTopicTaken = true;
    }
    parents.push_back(inputs[i].input(topicBase));
    for (const auto& t : graph.sourceTopicsOf(parents.back())) topics.insert(t);
  }
  // One task reads every input's partition of a key: the inputs must be co-partitioned.
  if (inputs.size() > 1) graph.addCopartitionGroup(std::move(topics));

  addStore(graph, aggregation.store);
  std::vector<size_t> aggregators;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = named.name.empty() ? graph.newName("COGROUPKSTREAM-AGGREGATE-")
                                                : named.name + "-cogroup-agg-" + std::to_string(i);
    aggregators.push_back(addStoreProcessor(graph, {parents[i]}, name, lineage + "/input#" + std::to_string(i),
                                            aggregation.store, typeid(K), *inputs[i].valueType, typeid(KOut),
                                            typeid(Change<VOut>), inputs[i].factory(name, aggregation)));
  }

  // The aggregators' changes, merged: the table's node. It holds no store (Kafka Streams'
  // describe() shows none) and passes old values on to whoever reads them.
  GraphNode merge;
  merge.kind = GraphNode::Kind::kProcessor;
  merge.seesHeaders = false;
  merge.name = named.name.empty() ? graph.newName("COGROUPKSTREAM-MERGE-") : named.name + "-cogroup-merge";
  merge.inKey = merge.outKey = &typeid(KOut);
  merge.inValue = merge.outValue = &typeid(Change<VOut>);
  merge.lineage = lineage;
  merge.factory = [](const SerdeDefaults&) {
    auto pass = [](Record<KOut, Change<VOut>>&& r, Downstream<KOut, Change<VOut>>& out) { out.forward(std::move(r)); };
    return std::make_unique<StatelessNode<KOut, Change<VOut>, KOut, Change<VOut>, decltype(pass)>>(
        pass, OldValues::kPassedOn);
  };
  return graph.addNode(std::move(merge), aggregators);
}

}  // namespace internal

template <class K, class VOut>
template <class Initializer>
KTable<K, VOut> CogroupedKStream<K, VOut>::aggregate(Initializer initializer, const Named& named,
                                                     const Materialized<K, VOut>& m) const {
  static_assert(std::is_invocable_r_v<VOut, Initializer&>, "aggregate() takes an initializer VOut()");
  internal::CogroupAggregation<K, VOut> a;
  a.initializer = std::move(initializer);
  const SerdePtr<K> keySerde = m.keySerde ? m.keySerde : inputs_->front().keySerde;
  size_t index = internal::buildCogroup<K>(
      *inputs_, "cogroup", named, m.storeName, a, [&](internal::TopologyGraph& graph, const std::string& store) {
        internal::addTableStore<K, VOut>(graph, store, m, keySerde, m.valueSerde);
      });
  return KTable<K, VOut>(inputs_->front().graph, index, keySerde, m.valueSerde, a.store);
}

template <class K, class V>
template <class VOut, class Aggregator>
auto KGroupedStream<K, V>::cogroup(Aggregator aggregator) const {
  using VR = std::conditional_t<std::is_void_v<VOut>, typename internal::DeducedVOut<Aggregator>::type, VOut>;
  static_assert(!std::is_void_v<VR>,
                "cogroup() cannot tell the aggregate's type from this aggregator (a generic lambda?): "
                "give it, cogroup<VOut>(aggregator)");
  static_assert(std::is_invocable_r_v<VR, Aggregator&, const K&, const V&, const VR&>,
                "cogroup() takes an aggregator VOut(const K&, const V&, const VOut& aggregate)");
  return CogroupedKStream<K, VR>(internal::cogroupInput<K, V, VR>(*this, std::move(aggregator)));
}

}  // namespace kstreams

#include "streams/windowed_cogrouped_kstream.h"
