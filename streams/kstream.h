// KStream<K, V>: an unbounded stream of records, transformed by chaining operators.
//
// Every operator returns a new KStream (or ends the chain) and adds a node to the topology;
// nothing runs until the topology is given to KafkaStreams or TopologyTestDriver. User
// functions are copied into each task, so a function with state has one copy per task and
// is only ever called from that task's thread.
//
// Operators that take a function accept lambdas of these shapes:
//   filter, filterNot     bool(const K&, const V&)
//   map                   KeyValue<K2, V2>(const K&, const V&)   (or std::pair<K2, V2>)
//   mapValues             V2(const V&)  or  V2(const K&, const V&)
//   flatMap               a range of KeyValue<K2, V2> (or std::pair), from (const K&, const V&)
//   flatMapValues         a range of V2, from (const V&) or (const K&, const V&)
//   selectKey             K2(const K&, const V&)
//   peek, foreach         void(const K&, const V&)
// print writes each record as a line of text (see printed.h).
// Records keep their timestamp and headers through every operator.
#pragma once

#include <concepts>
#include <map>
#include <memory>
#include <ranges>
#include <string>
#include <type_traits>
#include <vector>

#include "streams/branched.h"
#include "streams/fixed_key_processor.h"
#include "streams/grouped.h"
#include "streams/internal/print_node.h"
#include "streams/internal/source_sink_nodes.h"
#include "streams/internal/stateless_node.h"
#include "streams/internal/topology_graph.h"
#include "streams/named.h"
#include "streams/printed.h"
#include "streams/produced.h"
#include "streams/repartitioned.h"

namespace kstreams {

template <class K, class V>
class BranchedKStream;
template <class K, class V>
class KGroupedStream;
template <class K, class V>
class KTable;
template <class K, class V>
class GlobalKTable;
class JoinWindows;
template <class K, class V1, class V2>
struct StreamJoined;
template <class K, class V, class VT>
struct Joined;
template <class K, class V>
struct Materialized;
class StreamsBuilder;

template <class K, class V>
class KStream {
 public:
  using KeyType = K;
  using ValueType = V;
  using KeyPayload = typename NullableTraits<K>::Payload;
  using ValuePayload = typename NullableTraits<V>::Payload;

  template <class Predicate>
  KStream filter(Predicate predicate, const Named& named = {}) const;
  template <class Predicate>
  KStream filterNot(Predicate predicate, const Named& named = {}) const;
  template <class Mapper>
  auto map(Mapper mapper, const Named& named = {}) const;
  template <class Mapper>
  auto mapValues(Mapper mapper, const Named& named = {}) const;
  template <class Mapper>
  auto flatMap(Mapper mapper, const Named& named = {}) const;
  template <class Mapper>
  auto flatMapValues(Mapper mapper, const Named& named = {}) const;
  template <class Mapper>
  auto selectKey(Mapper mapper, const Named& named = {}) const;
  template <class Action>
  KStream peek(Action action, const Named& named = {}) const;
  template <class Action>
  void foreach(Action action, const Named& named = {}) const;
  // Writes each record as the line "[label]: key, value" to standard output or a file
  // (Printed::toSysOut, Printed::toFile). Ends the stream.
  void print(const Printed<K, V>& printed) const;

  // Routes each record to the first branch whose predicate it matches (see BranchedKStream).
  BranchedKStream<K, V> split(const Named& named = {}) const;
  // The records of both streams, each in its own order.
  KStream merge(const KStream& other, const Named& named = {}) const;

  // Writes the stream to a topic, or to the topic a function chooses per record.
  void to(const std::string& topic, const Produced<K, V>& produced = {}) const;
  void to(TopicNameExtractor<K, V> topicExtractor, const Produced<K, V>& produced = {}) const;

  // Writes the stream through the internal topic "<application.id>-<name>-repartition" and
  // reads it back, so that each record lands on the partition (and the task) of its key.
  // Starts a new sub-topology.
  KStream repartition(const Repartitioned<K, V>& repartitioned = {}) const;

  // The stream as a table: each record sets its key's row; in a stream of optional values a
  // null value deletes it, and records with a null key are dropped. A stream whose key may
  // have changed is repartitioned first. The table is kept in a store, named by
  // `materialized` to query it. Defined in ktable.h.
  KTable<KeyPayload, ValuePayload> toTable(const Named& named = {},
                                           const Materialized<KeyPayload, ValuePayload>& materialized = {}) const;

  // Groups records by key for an aggregation (count, reduce, aggregate, windowedBy). If the
  // key may have changed since the stream was read (map, selectKey, ...), the records go
  // through a repartition topic first. Records with a null key or value are dropped, and
  // counted in metrics().droppedRecords. Defined in kgrouped_stream.h (included by
  // streams_builder.h).
  KGroupedStream<KeyPayload, ValuePayload> groupByKey(
      const Grouped<KeyPayload, ValuePayload>& grouped = {}) const;
  // Groups by a new key, selector: K2(const K&, const V&); always repartitions.
  template <class Selector>
  auto groupBy(Selector selector) const;
  template <class Selector, class K2>
  KGroupedStream<K2, ValuePayload> groupBy(Selector selector, const Grouped<K2, ValuePayload>& grouped) const;

  // Joins (defined in joins.h, included by streams_builder.h). Joiners take the values (or
  // the key first, then the values): join (const V&, const V2&); leftJoin (const V&,
  // const std::optional<V2>&); outerJoin (both optional). Keys must be co-partitioned: a
  // stream whose key changed is repartitioned first, and topics of different partition
  // counts are an error at start-up.
  //
  // With another stream: records whose timestamps differ by at most the join window.
  template <class V2, class Joiner>
  auto join(const KStream<K, V2>& other, Joiner joiner, const JoinWindows& windows,
            const StreamJoined<K, V, V2>& joined = {}) const;
  template <class V2, class Joiner>
  auto leftJoin(const KStream<K, V2>& other, Joiner joiner, const JoinWindows& windows,
                const StreamJoined<K, V, V2>& joined = {}) const;
  template <class V2, class Joiner>
  auto outerJoin(const KStream<K, V2>& other, Joiner joiner, const JoinWindows& windows,
                 const StreamJoined<K, V, V2>& joined = {}) const;
  // With a table: each record looks up its key's current row (table updates emit nothing).
  template <class VT, class Joiner>
  auto join(const KTable<K, VT>& table, Joiner joiner, const Joined<K, V, VT>& joined = {}) const;
  template <class VT, class Joiner>
  auto leftJoin(const KTable<K, VT>& table, Joiner joiner, const Joined<K, V, VT>& joined = {}) const;
  // With a global table, by the key selector's key: KG(const K&, const V&). No
  // co-partitioning needed.
  template <class KG, class VG, class Selector, class Joiner>
  auto join(const GlobalKTable<KG, VG>& table, Selector keySelector, Joiner joiner, const Named& named = {}) const;
  template <class KG, class VG, class Selector, class Joiner>
  auto leftJoin(const GlobalKTable<KG, VG>& table, Selector keySelector, Joiner joiner, const Named& named = {}) const;

  // Runs a user Processor (see processor.h) on every record. `stores` names the state stores
  // it uses, added with StreamsBuilder::addStateStore. The name may also come first, as in
  // Kafka Streams: process(supplier, Named::as("n"), {"store"}).
  template <class Supplier>
  auto process(Supplier supplier, const std::vector<std::string>& stores = {},
               const Named& named = {}) const;
  template <class Supplier, std::same_as<Named> N>
  auto process(Supplier supplier, const N& named, const std::vector<std::string>& stores = {}) const {
    return process(std::move(supplier), stores, named);
  }
  // Runs a user FixedKeyProcessor (see fixed_key_processor.h) on every record: as process(),
  // but it can change values only, so the stream stays partitioned by its key and a later
  // groupByKey() or join needs no repartition. Stores as for process(); the name may also
  // come first, as in Kafka Streams: processValues(supplier, Named::as("n"), {"store"}).
  template <class Supplier>
  auto processValues(Supplier supplier, const std::vector<std::string>& stores = {},
                     const Named& named = {}) const;
  template <class Supplier, std::same_as<Named> N>
  auto processValues(Supplier supplier, const N& named, const std::vector<std::string>& stores = {}) const {
    return processValues(std::move(supplier), stores, named);
  }

  // For the DSL's own classes.
  KStream(std::shared_ptr<internal::TopologyGraph> graph, size_t node, SerdeFor<K> keySerde,
          SerdeFor<V> valueSerde, bool repartitionRequired)
      : graph_(std::move(graph)),
        node_(node),
        keySerde_(std::move(keySerde)),
        valueSerde_(std::move(valueSerde)),
        repartitionRequired_(repartitionRequired) {}
  const std::shared_ptr<internal::TopologyGraph>& graph() const { return graph_; }
  size_t node() const { return node_; }
  const SerdeFor<K>& keySerde() const { return keySerde_; }
  const SerdeFor<V>& valueSerde() const { return valueSerde_; }
  // Whether the key may have changed since the stream was last partitioned by its key.
  bool repartitionRequired() const { return repartitionRequired_; }

  // Adds a node of kind `kind` (the lineage word; see TopologyGraph::childLineage) below this
  // stream, running fn(Record<K, V>&&, Downstream<K2, V2>&) per record. oldValues: what fn
  // does with the old values of table changes (only for a stream of a table's changes).
  template <class K2, class V2, class Fn>
  KStream<K2, V2> addStatelessNode(std::string_view kind, std::string_view prefix,
                                   const Named& named, Fn fn, SerdeFor<K2> keySerde,
                                   SerdeFor<V2> valueSerde, bool repartitionRequired,
                                   internal::OldValues oldValues = internal::OldValues::kRead) const;

 private:
  std::string nameFor(const Named& named, std::string_view prefix) const {
    return named.name.empty() ? graph_->newName(prefix) : named.name;
  }
  // Adds the node of a user's processor (process, processValues) below this stream, lets
  // it use `stores`, and returns its index. It forwards records of outKey and outValue if
  // `forwards`. Defined in kstream_processors.h.
  size_t addUserProcessor(const Named& named, std::string_view prefix, std::string_view kind,
                          const std::vector<std::string>& stores, const std::type_info* outKey,
                          const std::type_info* outValue, bool forwards, internal::NodeFactory factory) const;

  std::shared_ptr<internal::TopologyGraph> graph_;
  size_t node_;
  SerdeFor<K> keySerde_;
  SerdeFor<V> valueSerde_;
  bool repartitionRequired_;
};


// ---------------------------------------------------------------------------------------
// Implementation.

template <class K, class V>
template <class K2, class V2, class Fn>
KStream<K2, V2> KStream<K, V>::addStatelessNode(std::string_view kind, std::string_view prefix,
                                                const Named& named, Fn fn,
                                                SerdeFor<K2> keySerde, SerdeFor<V2> valueSerde,
                                                bool repartitionRequired, internal::OldValues oldValues) const {
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kProcessor;
  node.seesHeaders = false;  // the user's functions see keys and values only
  node.name = nameFor(named, prefix);
  node.inKey = &typeid(K);
  node.inValue = &typeid(V);
  if constexpr (!std::is_same_v<K2, Void>) {
    node.outKey = &typeid(K2);
    node.outValue = &typeid(V2);
  }
  node.lineage = graph_->childLineage(node_, kind);
  node.factory = [fn, oldValues](const internal::SerdeDefaults&) {
    return std::make_unique<internal::StatelessNode<K, V, K2, V2, Fn>>(fn, oldValues);
  };
  size_t index = graph_->addNode(std::move(node), std::vector<size_t>{node_});
  return KStream<K2, V2>(graph_, index, std::move(keySerde), std::move(valueSerde),
                         repartitionRequired);
}

template <class K, class V>
template <class Predicate>
KStream<K, V> KStream<K, V>::filter(Predicate predicate, const Named& named) const {
  static_assert(std::is_invocable_r_v<bool, Predicate&, const K&, const V&>,
                "filter() takes a predicate bool(const K&, const V&)");
  return addStatelessNode<K, V>(
      "filter", "KSTREAM-FILTER-", named,
      [predicate](Record<K, V>&& r, internal::Downstream<K, V>& out) mutable {
        if (predicate(std::as_const(r.key), std::as_const(r.value))) out.forward(std::move(r));
      },
      keySerde_, valueSerde_, repartitionRequired_);
}

template <class K, class V>
template <class Predicate>
KStream<K, V> KStream<K, V>::filterNot(Predicate predicate, const Named& named) const {
  static_assert(std::is_invocable_r_v<bool, Predicate&, const K&, const V&>,
                "filterNot() takes a predicate bool(const K&, const V&)");
  return addStatelessNode<K, V>(
      "filter", "KSTREAM-FILTER-", named,
      [predicate](Record<K, V>&& r, internal::Downstream<K, V>& out) mutable {
        if (!predicate(std::as_const(r.key), std::as_const(r.value))) out.forward(std::move(r));
      },
      keySerde_, valueSerde_, repartitionRequired_);
}

template <class K, class V>
template <class Mapper>
auto KStream<K, V>::map(Mapper mapper, const Named& named) const {
  static_assert(std::is_invocable_v<Mapper&, const K&, const V&>,
                "map() takes a function KeyValue<K2, V2>(const K&, const V&)");
  using Result = std::decay_t<std::invoke_result_t<Mapper&, const K&, const V&>>;
  using Traits = internal::KeyValueTraits<Result>;
  using K2 = typename Traits::Key;
  using V2 = typename Traits::Value;
  return addStatelessNode<K2, V2>(
      "map", "KSTREAM-MAP-", named,
      [mapper](Record<K, V>&& r, internal::Downstream<K2, V2>& out) mutable {
        Result kv = mapper(std::as_const(r.key), std::as_const(r.value));
        out.forward(Record<K2, V2>{Traits::key(kv), Traits::value(kv), r.timestamp,
                                   std::move(r.headers)});
      },
      SerdeFor<K2>{}, SerdeFor<V2>{}, true);
}

template <class K, class V>
template <class Mapper>
auto KStream<K, V>::mapValues(Mapper mapper, const Named& named) const {
  static_assert(std::is_invocable_v<Mapper&, const V&> ||
                    std::is_invocable_v<Mapper&, const K&, const V&>,
                "mapValues() takes a function V2(const V&) or V2(const K&, const V&)");
  using V2 = internal::ValueMapperResult<Mapper, K, V>;
  return addStatelessNode<K, V2>(
      "mapValues", "KSTREAM-MAPVALUES-", named,
      [mapper](Record<K, V>&& r, internal::Downstream<K, V2>& out) mutable {
        V2 value = internal::callValueMapper(mapper, std::as_const(r.key), std::as_const(r.value));
        out.forward(std::move(r).withValue(std::move(value)));
      },
      keySerde_, SerdeFor<V2>{}, repartitionRequired_);
}

template <class K, class V>
template <class Mapper>
auto KStream<K, V>::flatMap(Mapper mapper, const Named& named) const {
  static_assert(std::is_invocable_v<Mapper&, const K&, const V&>,
                "flatMap() takes a function returning a range of KeyValue<K2, V2>");
  using Range = std::decay_t<std::invoke_result_t<Mapper&, const K&, const V&>>;
  using Element = std::decay_t<std::ranges::range_value_t<Range>>;
  using Traits = internal::KeyValueTraits<Element>;
  using K2 = typename Traits::Key;
  using V2 = typename Traits::Value;
  return addStatelessNode<K2, V2>(
      "flatMap", "KSTREAM-FLATMAP-", named,
      [mapper](Record<K, V>&& r, internal::Downstream<K2, V2>& out) mutable {
        Range results = mapper(std::as_const(r.key), std::as_const(r.value));
        for (auto&& kv : results) {
          Element e = std::move(kv);
          out.forward(Record<K2, V2>{Traits::key(e), Traits::value(e), r.timestamp, r.headers});
        }
      },
      SerdeFor<K2>{}, SerdeFor<V2>{}, true);
}

template <class K, class V>
template <class Mapper>
auto KStream<K, V>::flatMapValues(Mapper mapper, const Named& named) const {
  using Range = internal::ValueMapperResult<Mapper, K, V>;
  using V2 = std::decay_t<std::ranges::range_value_t<Range>>;
  return addStatelessNode<K, V2>(
      "flatMapValues", "KSTREAM-FLATMAPVALUES-", named,
      [mapper](Record<K, V>&& r, internal::Downstream<K, V2>& out) mutable {
        Range results =
            internal::callValueMapper(mapper, std::as_const(r.key), std::as_const(r.value));
        for (auto&& v : results)
          out.forward(Record<K, V2>{r.key, V2(std::move(v)), r.timestamp, r.headers});
      },
      keySerde_, SerdeFor<V2>{}, repartitionRequired_);
}

template <class K, class V>
template <class Mapper>
auto KStream<K, V>::selectKey(Mapper mapper, const Named& named) const {
  static_assert(std::is_invocable_v<Mapper&, const K&, const V&>,
                "selectKey() takes a function K2(const K&, const V&)");
  using K2 = std::decay_t<std::invoke_result_t<Mapper&, const K&, const V&>>;
  return addStatelessNode<K2, V>(
      "selectKey", "KSTREAM-KEY-SELECT-", named,
      [mapper](Record<K, V>&& r, internal::Downstream<K2, V>& out) mutable {
        K2 key = mapper(std::as_const(r.key), std::as_const(r.value));
        out.forward(std::move(r).withKey(std::move(key)));
      },
      SerdeFor<K2>{}, valueSerde_, true);
}

template <class K, class V>
template <class Action>
KStream<K, V> KStream<K, V>::peek(Action action, const Named& named) const {
  static_assert(std::is_invocable_v<Action&, const K&, const V&>,
                "peek() takes a function void(const K&, const V&)");
  return addStatelessNode<K, V>(
      "peek", "KSTREAM-PEEK-", named,
      [action](Record<K, V>&& r, internal::Downstream<K, V>& out) mutable {
        action(std::as_const(r.key), std::as_const(r.value));
        out.forward(std::move(r));
      },
      keySerde_, valueSerde_, repartitionRequired_);
}

template <class K, class V>
template <class Action>
void KStream<K, V>::foreach(Action action, const Named& named) const {
  static_assert(std::is_invocable_v<Action&, const K&, const V&>,
                "foreach() takes a function void(const K&, const V&)");
  addStatelessNode<Void, Void>(
      "foreach", "KSTREAM-FOREACH-", named,
      [action](Record<K, V>&& r, internal::Downstream<Void, Void>&) mutable {
        action(std::as_const(r.key), std::as_const(r.value));
      },
      SerdeFor<Void>{}, SerdeFor<Void>{}, false);
}

template <class K, class V>
KStream<K, V> KStream<K, V>::merge(const KStream& other, const Named& named) const {
  if (other.graph_ != graph_)
    throw TopologyException("merge() needs two streams of the same StreamsBuilder");
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kProcessor;
  node.seesHeaders = false;
  node.name = nameFor(named, "KSTREAM-MERGE-");
  node.inKey = node.outKey = &typeid(K);
  node.inValue = node.outValue = &typeid(V);
  node.lineage = "merge(" + graph_->node(node_).lineage + "," + graph_->node(other.node_).lineage + ")";
  node.factory = [](const internal::SerdeDefaults&) {
    auto pass = [](Record<K, V>&& r, internal::Downstream<K, V>& out) { out.forward(std::move(r)); };
    return std::make_unique<internal::StatelessNode<K, V, K, V, decltype(pass)>>(pass);
  };
  size_t index = graph_->addNode(std::move(node), std::vector<size_t>{node_, other.node_});
  return KStream(graph_, index, keySerde_ ? keySerde_ : other.keySerde_,
                 valueSerde_ ? valueSerde_ : other.valueSerde_,
                 repartitionRequired_ || other.repartitionRequired_);
}

template <class K, class V>
void KStream<K, V>::to(const std::string& topic, const Produced<K, V>& produced) const {
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kSink;
  node.name = nameFor(Named{produced.processorName}, "KSTREAM-SINK-");
  node.topics = {topic};
  node.inKey = &typeid(K);
  node.inValue = &typeid(V);
  node.lineage = graph_->childLineage(node_, "to");
  SerdeFor<K> ks = produced.keySerde ? produced.keySerde : keySerde_;
  SerdeFor<V> vs = produced.valueSerde ? produced.valueSerde : valueSerde_;
  node.factory = [name = node.name, topic, ks, vs,
                  partitioner = produced.partitioner](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SinkNode<K, V>>(
        name, topic, false, nullptr, internal::resolveSerde<K>(ks, d, true, name),
        internal::resolveSerde<V>(vs, d, false, name), partitioner);
  };
  graph_->addNode(std::move(node), std::vector<size_t>{node_});
}

template <class K, class V>
void KStream<K, V>::to(TopicNameExtractor<K, V> topicExtractor,
                       const Produced<K, V>& produced) const {
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kSink;
  node.name = nameFor(Named{produced.processorName}, "KSTREAM-SINK-");
  node.inKey = &typeid(K);
  node.inValue = &typeid(V);
  node.lineage = graph_->childLineage(node_, "to");
  SerdeFor<K> ks = produced.keySerde ? produced.keySerde : keySerde_;
  SerdeFor<V> vs = produced.valueSerde ? produced.valueSerde : valueSerde_;
  node.factory = [name = node.name, topicExtractor, ks, vs,
                  partitioner = produced.partitioner](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SinkNode<K, V>>(
        name, std::string(), false, topicExtractor, internal::resolveSerde<K>(ks, d, true, name),
        internal::resolveSerde<V>(vs, d, false, name), partitioner);
  };
  graph_->addNode(std::move(node), std::vector<size_t>{node_});
}

template <class K, class V>
KStream<K, V> KStream<K, V>::repartition(const Repartitioned<K, V>& repartitioned) const {
  const std::string lineage = graph_->childLineage(node_, "repartition");
  const bool named = !repartitioned.name.empty();
  const std::string base = named ? repartitioned.name
                                 : internal::TopologyGraph::stableName("KSTREAM-REPARTITION-", lineage);
  const std::string topic = base + "-repartition";
  graph_->addRepartitionTopic({topic, repartitioned.numberOfPartitions});
  SerdeFor<K> ks = repartitioned.keySerde ? repartitioned.keySerde : keySerde_;
  SerdeFor<V> vs = repartitioned.valueSerde ? repartitioned.valueSerde : valueSerde_;

  internal::GraphNode sink;
  sink.kind = internal::GraphNode::Kind::kSink;
  sink.name = named ? base + "-repartition-sink" : graph_->newName("KSTREAM-SINK-");
  sink.topics = {topic};
  sink.internalTopics = true;
  sink.inKey = &typeid(K);
  sink.inValue = &typeid(V);
  sink.lineage = lineage;
  sink.factory = [name = sink.name, topic, ks, vs,
                  partitioner = repartitioned.partitioner](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SinkNode<K, V>>(
        name, topic, true, nullptr, internal::resolveSerde<K>(ks, d, true, name),
        internal::resolveSerde<V>(vs, d, false, name), partitioner);
  };
  graph_->addNode(std::move(sink), std::vector<size_t>{node_});

  internal::GraphNode source;
  source.kind = internal::GraphNode::Kind::kSource;
  source.name = named ? base + "-repartition-source" : graph_->newName("KSTREAM-SOURCE-");
  source.topics = {topic};
  source.internalTopics = true;
  source.outKey = &typeid(K);
  source.outValue = &typeid(V);
  source.lineage = "repartition:" + topic;
  source.factory = [name = source.name, ks, vs](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SourceNode<K, V>>(
        internal::resolveSerde<K>(ks, d, true, name),
        internal::resolveSerde<V>(vs, d, false, name), nullptr);
  };
  size_t index = graph_->addNode(std::move(source), std::vector<size_t>{});
  return KStream(graph_, index, ks, vs, false);
}

template <class K, class V>
void KStream<K, V>::print(const Printed<K, V>& printed) const {
  if constexpr (!internal::printable<K>() || !internal::printable<V>()) {
    if (!printed.keyValueMapper())
      throw TopologyException("print() cannot show records of key type " + internal::typeName<K>() +
                              " and value type " + internal::typeName<V>() +
                              ": give Printed::withKeyValueMapper a function that makes their text, "
                              "or define operator<< for std::ostream for the type");
  }
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kProcessor;
  node.seesHeaders = false;
  node.name = nameFor(Named{printed.processorName()}, "KSTREAM-PRINTER-");
  node.inKey = &typeid(K);
  node.inValue = &typeid(V);
  node.lineage = graph_->childLineage(node_, "print");
  // As Kafka Streams, an unlabelled line is labelled with the name of the printed stream's
  // node, not of the print node.
  node.factory = [target = printed.target(), label = printed.label().value_or(graph_->node(node_).name),
                  mapper = printed.keyValueMapper()](const internal::SerdeDefaults&) {
    return std::make_unique<internal::PrintNode<K, V>>(target, label, mapper);
  };
  graph_->addNode(std::move(node), std::vector<size_t>{node_});
}

}  // namespace kstreams

#include "streams/branched_kstream.h"  // KStream::split(), which needs KStream complete
#include "streams/kstream_processors.h"  // process(), processValues()
