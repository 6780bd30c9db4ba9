// StreamsBuilder: where a topology written with the DSL starts. Read topics with stream(),
// transform them with KStream's operators, then build() the Topology to run.
//
//   StreamsBuilder builder;
//   builder.stream("orders", Consumed<std::string, Order>::with(Serdes::String(), orderSerde))
//       .filter([](const std::string&, const Order& o) { return o.amount > 1000; })
//       .to("large-orders");
//   KafkaStreams streams(builder.build(), config);
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "streams/consumed.h"
#include "streams/kgrouped_stream.h"
#include "streams/global_ktable.h"
#include "streams/joins.h"
#include "streams/kgrouped_table.h"
#include "streams/kstream.h"
#include "streams/ktable.h"
#include "streams/stores.h"
#include "streams/topology.h"

namespace kstreams {

class StreamsBuilder {
 public:
  StreamsBuilder() : graph_(std::make_shared<internal::TopologyGraph>()) {}

  // A stream of the records of one or more topics. With several topics, records of one
  // partition number of all of them are processed by the same task, ordered by timestamp.
  template <class K, class V>
  KStream<K, V> stream(const std::string& topic, const Consumed<K, V>& consumed = {}) {
    return stream<K, V>(std::vector<std::string>{topic}, consumed);
  }
  template <class K, class V>
  KStream<K, V> stream(std::initializer_list<std::string> topics,
                       const Consumed<K, V>& consumed = {}) {
    return stream<K, V>(std::vector<std::string>(topics), consumed);
  }
  template <class K, class V>
  KStream<K, V> stream(const std::vector<std::string>& topics, const Consumed<K, V>& consumed = {});

  // A table of a topic: each record sets its key's row, a tombstone (null value) deletes
  // it. The table is kept in a store, named by `materialized` when it is to be queried.
  template <class K, class V>
  KTable<K, V> table(const std::string& topic, const Consumed<K, V>& consumed = {},
                     const Materialized<K, V>& materialized = {});

  // A global table of a topic: every instance holds all of it (see global_ktable.h).
  template <class K, class V>
  GlobalKTable<K, V> globalTable(const std::string& topic, const Consumed<K, V>& consumed = {},
                                 const Materialized<K, V>& materialized = {});

  // Adds a store for processors of KStream::process to use by name: a key-value, window or
  // session store (Stores::keyValueStoreBuilder, windowStoreBuilder, sessionStoreBuilder).
  template <class Builder>
    requires requires(const Builder& b) { b.spec(); }
  StreamsBuilder& addStateStore(const Builder& store) {
    graph_->addStore(store.spec());
    return *this;
  }

  // The topology built so far. Later DSL calls on this builder change it too.
  Topology build() const { return Topology(graph_); }

  const std::shared_ptr<internal::TopologyGraph>& graph() const { return graph_; }

 private:
  std::shared_ptr<internal::TopologyGraph> graph_;
};

template <class K, class V>
KStream<K, V> StreamsBuilder::stream(const std::vector<std::string>& topics,
                                     const Consumed<K, V>& consumed) {
  if (topics.empty()) throw TopologyException("stream() needs at least one topic");
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kSource;
  node.name = consumed.processorName.empty() ? graph_->newName("KSTREAM-SOURCE-")
                                             : consumed.processorName;
  node.topics = topics;
  node.outKey = &typeid(K);
  node.outValue = &typeid(V);
  node.lineage = "source:";
  for (const auto& t : topics) node.lineage += t + ",";
  node.factory = [name = node.name, ks = consumed.keySerde, vs = consumed.valueSerde,
                  extractor = consumed.timestampExtractor](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SourceNode<K, V>>(
        internal::resolveSerde<K>(ks, d, true, name), internal::resolveSerde<V>(vs, d, false, name),
        extractor);
  };
  size_t index = graph_->addNode(std::move(node), std::vector<size_t>{});
  return KStream<K, V>(graph_, index, consumed.keySerde, consumed.valueSerde, false);
}

template <class K, class V>
GlobalKTable<K, V> StreamsBuilder::globalTable(const std::string& topic, const Consumed<K, V>& consumed,
                                               const Materialized<K, V>& materialized) {
  const std::string store = materialized.storeName.empty()
                                ? internal::TopologyGraph::stableName(topic + "-GLOBAL-STORE-", "global:" + topic)
                                : materialized.storeName;
  if (materialized.versionedHistory)
    throw TopologyException("global table store '" + store +
                            "' cannot be versioned (Kafka Streams' global tables are not either); "
                            "use a source table, builder.table(), for versioned look-ups");
  SerdePtr<K> ks = materialized.keySerde ? materialized.keySerde : consumed.keySerde;
  SerdePtr<V> vs = materialized.valueSerde ? materialized.valueSerde : consumed.valueSerde;
  // The global thread keeps the store from the topic's bytes; these nodes describe it.
  internal::GraphNode source;
  source.kind = internal::GraphNode::Kind::kSource;
  source.global = true;
  source.name = consumed.processorName.empty() ? graph_->newName("KSTREAM-SOURCE-") : consumed.processorName;
  source.topics = {topic};
  source.outKey = &typeid(std::optional<K>);
  source.outValue = &typeid(std::optional<V>);
  source.lineage = "global:" + topic;
  source.factory = [name = source.name, ks, vs](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SourceNode<std::optional<K>, std::optional<V>>>(
        internal::resolveSerde<K>(ks, d, true, name), internal::resolveSerde<V>(vs, d, false, name), nullptr);
  };
  size_t sourceIndex = graph_->addNode(std::move(source), std::vector<size_t>{});
  graph_->addStore(internal::keyValueStoreSpec<K, V, false>(store, materialized.persistent, false, false, {}, ks, vs));
  graph_->addGlobalStore(store, topic);
  internal::GraphNode updater;
  updater.kind = internal::GraphNode::Kind::kProcessor;
  updater.global = true;
  updater.name = graph_->newName("KTABLE-SOURCE-");
  updater.inKey = &typeid(std::optional<K>);
  updater.inValue = &typeid(std::optional<V>);
  updater.lineage = "global:" + topic + "/update";
  updater.factory = [](const internal::SerdeDefaults&) -> std::unique_ptr<internal::NodeInstance> {
    auto ignore = [](Record<std::optional<K>, std::optional<V>>&&, internal::Downstream<Void, Void>&) {};
    return std::make_unique<internal::StatelessNode<std::optional<K>, std::optional<V>, Void, Void, decltype(ignore)>>(ignore);
  };
  size_t updaterIndex = graph_->addNode(std::move(updater), std::vector<size_t>{sourceIndex});
  graph_->connectStore(store, updaterIndex);
  return GlobalKTable<K, V>(store, topic, ks, vs);
}

template <class K, class V>
KTable<K, V> StreamsBuilder::table(const std::string& topic, const Consumed<K, V>& consumed,
                                   const Materialized<K, V>& materialized) {
  // Records are read with nullable keys and values: a tombstone deletes, a null key is dropped.
  internal::GraphNode source;
  source.kind = internal::GraphNode::Kind::kSource;
  source.name = consumed.processorName.empty() ? graph_->newName("KSTREAM-SOURCE-") : consumed.processorName;
  source.topics = {topic};
  source.outKey = &typeid(std::optional<K>);
  source.outValue = &typeid(std::optional<V>);
  source.lineage = "table:" + topic;
  SerdePtr<K> ks = materialized.keySerde ? materialized.keySerde : consumed.keySerde;
  SerdePtr<V> vs = materialized.valueSerde ? materialized.valueSerde : consumed.valueSerde;
  source.factory = [name = source.name, ks, vs,
                    extractor = internal::adaptTimestampExtractor<std::optional<K>, std::optional<V>>(
                        consumed.timestampExtractor)](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SourceNode<std::optional<K>, std::optional<V>>>(
        internal::resolveSerde<K>(ks, d, true, name), internal::resolveSerde<V>(vs, d, false, name), extractor);
  };
  const std::string lineage = source.lineage;
  size_t sourceIndex = graph_->addNode(std::move(source), std::vector<size_t>{});

  const std::string store = materialized.storeName.empty()
                                ? internal::TopologyGraph::stableName(topic + "-STATE-STORE-", lineage)
                                : materialized.storeName;
  internal::addTableStore<K, V>(*graph_, store, materialized, ks, vs, /*versionedAllowed=*/true);
  const std::string name = graph_->newName("KTABLE-SOURCE-");
  size_t index = internal::addStoreProcessor(
      *graph_, {sourceIndex}, name, lineage + "/tableSource", store, typeid(std::optional<K>), typeid(std::optional<V>),
      typeid(K), typeid(Change<V>), [name, store](const internal::SerdeDefaults&) {
        return std::make_unique<internal::TableSourceNode<K, V>>(name, store);
      });
  return KTable<K, V>(graph_, index, ks, vs, store);
}

}  // namespace kstreams
