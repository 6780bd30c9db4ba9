// KStream's operators that run user processors (the Processor API): process() and
// processValues(). Included at the end of kstream.h; include that instead.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include "streams/fixed_key_processor.h"
#include "streams/internal/fixed_key_processor_node.h"
#include "streams/internal/processor_node.h"
#include "streams/kstream.h"
#include "streams/processor.h"

namespace kstreams {

template <class K, class V>
size_t KStream<K, V>::addUserProcessor(const Named& named, std::string_view prefix, std::string_view kind,
                                       const std::vector<std::string>& stores, const std::type_info* outKey,
                                       const std::type_info* outValue, bool forwards,
                                       internal::NodeFactory factory) const {
  internal::GraphNode node;
  node.kind = internal::GraphNode::Kind::kProcessor;
  node.name = nameFor(named, prefix);
  node.inKey = &typeid(K);
  node.inValue = &typeid(V);
  if (forwards) {
    node.outKey = outKey;
    node.outValue = outValue;
  }
  node.lineage = graph_->childLineage(node_, kind);
  node.factory = std::move(factory);
  size_t index = graph_->addNode(std::move(node), std::vector<size_t>{node_});
  for (const auto& store : stores) graph_->connectStore(store, index);
  return index;
}

template <class K, class V>
template <class Supplier>
auto KStream<K, V>::process(Supplier supplier, const std::vector<std::string>& stores,
                            const Named& named) const {
  using P = typename decltype(supplier())::element_type;
  using KOut = typename P::KeyOut;
  using VOut = typename P::ValueOut;
  static_assert(std::is_same_v<typename P::KeyIn, K> && std::is_same_v<typename P::ValueIn, V>,
                "the processor's input types must be the stream's key and value types");
  size_t index = addUserProcessor(
      named, "KSTREAM-PROCESSOR-", "process", stores, &typeid(KOut), &typeid(VOut), !std::is_same_v<KOut, Void>,
      [supplier](const internal::SerdeDefaults&) {
        std::unique_ptr<Processor<K, V, KOut, VOut>> processor = supplier();
        return std::make_unique<internal::ProcessorNode<K, V, KOut, VOut>>(std::move(processor));
      });
  return KStream<KOut, VOut>(graph_, index, SerdeFor<KOut>{}, SerdeFor<VOut>{}, true);
}

template <class K, class V>
template <class Supplier>
auto KStream<K, V>::processValues(Supplier supplier, const std::vector<std::string>& stores,
                                  const Named& named) const {
  using P = typename decltype(supplier())::element_type;
  using VOut = typename P::ValueOut;
  static_assert(std::is_base_of_v<FixedKeyProcessor<typename P::KeyIn, typename P::ValueIn, VOut>, P>,
                "processValues() takes a supplier of FixedKeyProcessors; for a Processor use process()");
  static_assert(std::is_same_v<typename P::KeyIn, K> && std::is_same_v<typename P::ValueIn, V>,
                "the processor's input types must be the stream's key and value types");
  size_t index = addUserProcessor(
      named, "KSTREAM-PROCESSVALUES-", "processValues", stores, &typeid(K), &typeid(VOut), !std::is_same_v<VOut, Void>,
      [supplier](const internal::SerdeDefaults&) {
        std::unique_ptr<FixedKeyProcessor<K, V, VOut>> processor = supplier();
        return std::make_unique<internal::FixedKeyProcessorNode<K, V, VOut>>(std::move(processor));
      });
  // The key and its serde stay, so does whether the stream must be repartitioned by key
  // (Kafka Streams' processValues keeps repartitionRequired as it is).
  return KStream<K, VOut>(graph_, index, keySerde_, SerdeFor<VOut>{}, repartitionRequired_);
}

}  // namespace kstreams
