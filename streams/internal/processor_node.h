// The node that runs a user's Processor: it is the processor's ProcessorContext, so a
// forward() from user code is a direct call into the children. Internal.
#pragma once

#include <memory>

#include "streams/internal/node.h"
#include "streams/processor.h"

namespace kstreams::internal {

template <class KIn, class VIn, class KOut, class VOut>
class ProcessorNode final : public RecordInput<KIn, VIn>, public ProcessorContext<KOut, VOut> {
 public:
  explicit ProcessorNode(std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor)
      : processor_(std::move(processor)) {}

  void init(TaskContext& context) override {
    NodeInstance::init(context);
    processor_->init(*this);
  }
  void close() override { processor_->close(); }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }
  void process(Record<KIn, VIn>&& record) override { processor_->process(std::move(record)); }

  void forward(Record<KOut, VOut> record) override { out_.forward(std::move(record)); }
  void forward(Record<KOut, VOut> record, std::string_view child) override {
    out_.forward(std::move(record), child);
  }
  const std::string& applicationId() const override { return ctx().applicationId(); }
  const TaskId& taskId() const override { return ctx().taskId(); }
  std::optional<RecordMetadata> recordMetadata() const override {
    const RecordMetadata& m = ctx().recordMetadata();
    if (m.partition < 0) return std::nullopt;
    return m;
  }
  int64_t currentStreamTimeMs() const override { return ctx().streamTime(); }
  int64_t currentSystemTimeMs() const override { return ctx().wallClockTime(); }
  Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                       Punctuator punctuator) override {
    return ctx().schedule(interval, type, std::move(punctuator));
  }
  void commit() override { ctx().requestCommit(); }

 protected:
  StateStore* stateStore(std::string_view name) override { return ctx().stateStore(name); }

 private:
  TaskContext& ctx() const { return *this->context_; }

  std::unique_ptr<Processor<KIn, VIn, KOut, VOut>> processor_;
  Downstream<KOut, VOut> out_;
};

}  // namespace kstreams::internal
