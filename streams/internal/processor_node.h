// The node that runs a user's Processor: it is the processor's ProcessorContext, so a
// forward() from user code is a direct call into the children. Internal.
#pragma once

#include <memory>

#include "streams/internal/node.h"
#include "streams/processor.h"

namespace kstreams::internal {

// The ProcessingContext part of a node that runs user code (Processor, FixedKeyProcessor):
// everything but forward(), answered by the task the node runs in. Context is the context
// class the user's processor is given.
template <class Context>
class TaskProcessingContext : public Context {
 public:
  const std::string& applicationId() const override { return task_->applicationId(); }
  const TaskId& taskId() const override { return task_->taskId(); }
  std::optional<RecordMetadata> recordMetadata() const override {
    const RecordMetadata& m = task_->recordMetadata();
    if (m.partition < 0) return std::nullopt;
    return m;
  }
  int64_t currentStreamTimeMs() const override { return task_->streamTime(); }
  int64_t currentSystemTimeMs() const override { return task_->wallClockTime(); }
  Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                       Punctuator punctuator) override {
    return task_->schedule(interval, type, std::move(punctuator));
  }
  void commit() override { task_->requestCommit(); }

 protected:
  // Called from the node's init(), before the user's processor sees the context.
  void bindTask(TaskContext& task) { task_ = &task; }
  StateStore* stateStore(std::string_view name) override { return task_->stateStore(name); }

 private:
  TaskContext* task_ = nullptr;
};

// A node running a user's processor of type UserProcessor (Processor, FixedKeyProcessor),
// whose context it is: the processor is initialized once the node knows its task, and
// closed with it. The final class adds process() and forward(), which differ by kind.
template <class UserProcessor, class Context, class KIn, class VIn, class KOut, class VOut>
class UserProcessorNode : public RecordInput<KIn, VIn>, public TaskProcessingContext<Context> {
 public:
  explicit UserProcessorNode(std::unique_ptr<UserProcessor> processor) : processor_(std::move(processor)) {}

  void init(TaskContext& context) override {
    NodeInstance::init(context);
    this->bindTask(context);
    processor_->init(*this);
  }
  void close() override { processor_->close(); }
  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }

 protected:
  std::unique_ptr<UserProcessor> processor_;
  Downstream<KOut, VOut> out_;
};

template <class KIn, class VIn, class KOut, class VOut>
class ProcessorNode final : public UserProcessorNode<Processor<KIn, VIn, KOut, VOut>, ProcessorContext<KOut, VOut>,
                                                     KIn, VIn, KOut, VOut> {
 public:
  using ProcessorNode::UserProcessorNode::UserProcessorNode;

  void process(Record<KIn, VIn>&& record) override { this->processor_->process(std::move(record)); }

  void forward(Record<KOut, VOut> record) override { this->out_.forward(std::move(record)); }
  void forward(Record<KOut, VOut> record, std::string_view child) override {
    this->out_.forward(std::move(record), child);
  }
};

}  // namespace kstreams::internal
