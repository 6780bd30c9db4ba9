// The node that runs a user's FixedKeyProcessor (KStream::processValues). Like
// ProcessorNode, it is the processor's context; a record passes between the task and the
// processor as a FixedKeyRecord wrapped around the same Record, moved, never copied. Internal.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "streams/fixed_key_processor.h"
#include "streams/internal/processor_node.h"

namespace kstreams::internal {

template <class K, class VIn, class VOut>
class FixedKeyProcessorNode final
    : public UserProcessorNode<FixedKeyProcessor<K, VIn, VOut>, FixedKeyProcessorContext<K, VOut>, K, VIn, K, VOut> {
 public:
  using FixedKeyProcessorNode::UserProcessorNode::UserProcessorNode;

  void process(Record<K, VIn>&& record) override {
    this->processor_->process(FixedKeyRecord<K, VIn>(std::move(record)));
  }

  void forward(FixedKeyRecord<K, VOut> record) override { this->out_.forward(std::move(record.record_)); }
  void forward(FixedKeyRecord<K, VOut> record, std::string_view child) override {
    this->out_.forward(std::move(record.record_), child);
  }
};

}  // namespace kstreams::internal
