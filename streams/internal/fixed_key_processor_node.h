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
class FixedKeyProcessorNode final : public RecordInput<K, VIn>,
                                    public TaskProcessingContext<FixedKeyProcessorContext<K, VOut>> {
 public:
  explicit FixedKeyProcessorNode(std::unique_ptr<FixedKeyProcessor<K, VIn, VOut>> processor)
      : processor_(std::move(processor)) {}

  void init(TaskContext& context) override {
    NodeInstance::init(context);
    this->bindTask(context);
    processor_->init(*this);
  }
  void close() override { processor_->close(); }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<K, VIn>&& record) override {
    processor_->process(FixedKeyRecord<K, VIn>(std::move(record)));
  }

  void forward(FixedKeyRecord<K, VOut> record) override { out_.forward(std::move(record.record_)); }
  void forward(FixedKeyRecord<K, VOut> record, std::string_view child) override {
    out_.forward(std::move(record.record_), child);
  }

 private:
  std::unique_ptr<FixedKeyProcessor<K, VIn, VOut>> processor_;
  Downstream<K, VOut> out_;
};

}  // namespace kstreams::internal
