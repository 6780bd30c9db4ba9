// Topology: the graph of processors an application runs, built by StreamsBuilder or, with
// the Processor API below, by hand. describe() prints it the way Kafka Streams does.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "streams/internal/processor_node.h"
#include "streams/internal/source_sink_nodes.h"
#include "streams/internal/topology_graph.h"
#include "streams/stores.h"

namespace kstreams {

class TopologyDescription {
 public:
  explicit TopologyDescription(std::string text) : text_(std::move(text)) {}
  const std::string& toString() const { return text_; }
  friend std::ostream& operator<<(std::ostream& os, const TopologyDescription& d) {
    return os << d.text_;
  }

 private:
  std::string text_;
};

class Topology {
 public:
  Topology() : graph_(std::make_shared<internal::TopologyGraph>()) {}
  explicit Topology(std::shared_ptr<internal::TopologyGraph> graph) : graph_(std::move(graph)) {}

  // A source node reading `topics`, deserializing with the given serdes (or the defaults).
  template <class K, class V>
  Topology& addSource(const std::string& name, std::vector<std::string> topics,
                      SerdeFor<K> keySerde = nullptr, SerdeFor<V> valueSerde = nullptr);

  // A processor below `parentNames`. The supplier returns a new
  // std::unique_ptr<P> per task, where P derives from Processor<KIn, VIn, KOut, VOut>.
  template <class Supplier>
  Topology& addProcessor(const std::string& name, Supplier supplier,
                         const std::vector<std::string>& parentNames);

  // A sink writing the records of `parentNames` to `topic`.
  template <class K, class V>
  Topology& addSink(const std::string& name, std::string topic,
                    SerdeFor<K> keySerde, SerdeFor<V> valueSerde,
                    const std::vector<std::string>& parentNames);

  // Adds a state store (Stores::keyValueStoreBuilder, windowStoreBuilder or
  // sessionStoreBuilder) and lets the named processors use it.
  template <class Builder>
    requires requires(const Builder& b) { b.spec(); }
  Topology& addStateStore(const Builder& store, const std::vector<std::string>& processorNames) {
    graph_->addStore(store.spec());
    for (const auto& name : processorNames) {
      auto node = graph_->find(name);
      if (!node) throw TopologyException("processor '" + name + "' does not exist; add it before its store");
      graph_->connectStore(store.name(), *node);
    }
    return *this;
  }

  TopologyDescription describe() const { return TopologyDescription(graph_->describe()); }

  const internal::TopologyGraph& graph() const { return *graph_; }
  internal::TopologyGraph& graph() { return *graph_; }
  std::shared_ptr<internal::TopologyGraph> sharedGraph() const { return graph_; }

 private:
  std::shared_ptr<internal::TopologyGraph> graph_;
};

// ---------------------------------------------------------------------------------------
// Implementation.

template <class K, class V>
Topology& Topology::addSource(const std::string& name, std::vector<std::string> topics,
                              SerdeFor<K> keySerde, SerdeFor<V> valueSerde) {
  if (topics.empty()) throw TopologyException("source " + name + " needs at least one topic");
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kSource;
  node.name = name;
  node.topics = std::move(topics);
  node.outKey = &typeid(K);
  node.outValue = &typeid(V);
  node.lineage = "source:" + name;
  node.factory = [name, keySerde, valueSerde](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SourceNode<K, V>>(
        internal::resolveSerde<K>(keySerde, d, true, name),
        internal::resolveSerde<V>(valueSerde, d, false, name), nullptr);
  };
  graph_->addNode(std::move(node), std::vector<size_t>{});
  return *this;
}

template <class Supplier>
Topology& Topology::addProcessor(const std::string& name, Supplier supplier,
                                 const std::vector<std::string>& parentNames) {
  using P = typename decltype(supplier())::element_type;
  using KIn = typename P::KeyIn;
  using VIn = typename P::ValueIn;
  using KOut = typename P::KeyOut;
  using VOut = typename P::ValueOut;
  if (parentNames.empty()) throw TopologyException("processor " + name + " needs a parent");
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kProcessor;
  node.name = name;
  node.inKey = &typeid(KIn);
  node.inValue = &typeid(VIn);
  node.outKey = &typeid(KOut);
  node.outValue = &typeid(VOut);
  node.lineage = "processor:" + name;
  node.factory = [supplier](const internal::SerdeDefaults&) {
    std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor = supplier();
    return std::make_unique<internal::ProcessorNode<KIn, VIn, KOut, VOut>>(std::move(processor));
  };
  graph_->addNode(std::move(node), parentNames);
  return *this;
}

template <class K, class V>
Topology& Topology::addSink(const std::string& name, std::string topic, SerdeFor<K> keySerde,
                            SerdeFor<V> valueSerde, const std::vector<std::string>& parentNames) {
  if (parentNames.empty()) throw TopologyException("sink " + name + " needs a parent");
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kSink;
  node.name = name;
  node.topics = {topic};
  node.inKey = &typeid(K);
  node.inValue = &typeid(V);
  node.lineage = "sink:" + name;
  node.factory = [name, topic, keySerde, valueSerde](const internal::SerdeDefaults& d) {
    return std::make_unique<internal::SinkNode<K, V>>(
        name, topic, false, nullptr, internal::resolveSerde<K>(keySerde, d, true, name),
        internal::resolveSerde<V>(valueSerde, d, false, name), nullptr);
  };
  graph_->addNode(std::move(node), parentNames);
  return *this;
}

}  // namespace kstreams
