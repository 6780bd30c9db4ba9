// The Processor API: user code that sees one record at a time, forwards any number of
// records, keeps state in stores and schedules punctuations. The DSL is built on the same
// machinery; use this where the DSL does not reach.
//
//   class Dedup : public Processor<std::string, Event, std::string, Event> {
//     void init(ProcessorContext<std::string, Event>& ctx) override { ctx_ = &ctx; ... }
//     void process(Record<std::string, Event> r) override { ... ctx_->forward(std::move(r)); }
//   };
//
// A processor instance belongs to one task and is called from one thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "streams/errors.h"
#include "streams/punctuation.h"
#include "streams/record.h"
#include "streams/state_store.h"
#include "streams/task_id.h"

namespace kstreams {

// The output type of a processor that forwards nothing.
struct Void {
  bool operator==(const Void&) const = default;
};

// What a processor may ask of the task it runs in, whatever kind of records it forwards:
// the base of ProcessorContext and of FixedKeyProcessorContext (fixed_key_processor.h).
class ProcessingContext {
 public:
  virtual ~ProcessingContext() = default;

  virtual const std::string& applicationId() const = 0;
  virtual const TaskId& taskId() const = 0;
  // Where the record being processed came from; nullopt inside a punctuation.
  virtual std::optional<RecordMetadata> recordMetadata() const = 0;
  // The task's stream time: the largest timestamp it has processed. A task that starts
  // again (a restart, a rebalance, a redo) resumes it from the partition times its last
  // commit carried (docs/guarantees.md, "Stream time across restarts"); -1 only before
  // the first record of a task with no such commit.
  virtual int64_t currentStreamTimeMs() const = 0;
  virtual int64_t currentSystemTimeMs() const = 0;

  virtual Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                               Punctuator punctuator) = 0;
  // Asks kstreams to commit as soon as it can.
  virtual void commit() = 0;

  // The store `name`, which must have been connected to this processor (addStateStore, or
  // the store names given to KStream::process or processValues). Throws StreamsException
  // otherwise.
  template <class Store>
  Store& getStateStore(std::string_view name) {
    StateStore* store = stateStore(name);
    if (store == nullptr)
      throw StreamsException("state store '" + std::string(name) +
                             "' is not connected to this processor; name it in "
                             "Topology::addStateStore or KStream::process / processValues");
    auto* typed = dynamic_cast<Store*>(store);
    if (typed == nullptr)
      throw StreamsException("state store '" + std::string(name) +
                             "' is not of the requested store type");
    return *typed;
  }

 protected:
  virtual StateStore* stateStore(std::string_view name) = 0;
};

template <class KOut, class VOut>
class ProcessorContext : public ProcessingContext {
 public:
  // Sends a record to every child of this processor, or to the named child only.
  virtual void forward(Record<KOut, VOut> record) = 0;
  virtual void forward(Record<KOut, VOut> record, std::string_view childName) = 0;
};

template <class KIn, class VIn, class KOut = Void, class VOut = Void>
class Processor {
 public:
  using KeyIn = KIn;
  using ValueIn = VIn;
  using KeyOut = KOut;
  using ValueOut = VOut;

  virtual ~Processor() = default;
  // Called once before the first record; the context outlives the processor.
  virtual void init(ProcessorContext<KOut, VOut>& context) { (void)context; }
  virtual void process(Record<KIn, VIn> record) = 0;
  // Called once when the task closes.
  virtual void close() {}
};

// Makes one processor instance per task.
template <class P>
using ProcessorSupplier = std::function<std::unique_ptr<P>()>;

}  // namespace kstreams
