// Fixed-key processors (KStream::processValues): user code, as in the Processor API, that
// may change a record's value, timestamp and headers but never its key. Because the key
// stays, a stream processed this way is still partitioned by its key, and a later
// groupByKey() or join needs no repartition topic (process() cannot promise that).
//
//   class Enrich : public FixedKeyProcessor<std::string, Order, std::string> {
//     void init(FixedKeyProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
//     void process(FixedKeyRecord<std::string, Order> r) override {
//       ctx_->forward(std::move(r).withValue(describe(r.value())));
//     }
//     FixedKeyProcessorContext<std::string, std::string>* ctx_ = nullptr;
//   };
//   stream.processValues([] { return std::make_unique<Enrich>(); });
//
// The key cannot be changed because a FixedKeyRecord is only ever made by kstreams, from
// the record being processed: a processor forwards the record it was given, or one derived
// from it with withValue / withTimestamp / withHeaders (as often as it likes, also from a
// punctuation, for a record it kept).
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "streams/processor.h"
#include "streams/record.h"

namespace kstreams {

namespace internal {
template <class K, class VIn, class VOut>
class FixedKeyProcessorNode;
}  // namespace internal

template <class K, class V>
class FixedKeyRecord {
 public:
  // A record of another value type converts, for withValue("text") to a std::string record:
  // implicitly where the value does, explicitly where only an explicit constructor makes V
  // from U (std::vector from a size), so that no such constructor runs unasked.
  template <class U>
    requires(!std::is_same_v<U, V> && std::is_constructible_v<V, U &&>)
  explicit(!std::is_convertible_v<U&&, V>) FixedKeyRecord(FixedKeyRecord<K, U>&& other)  // NOLINT: as V converts
      : record_{std::move(other.record_.key), V(std::move(other.record_.value)), other.record_.timestamp,
                std::move(other.record_.headers)} {}

  const K& key() const { return record_.key; }
  const V& value() const { return record_.value; }
  int64_t timestamp() const { return record_.timestamp; }
  const Headers& headers() const { return record_.headers; }
  Headers& headers() { return record_.headers; }

  // The same record with another value (of any type), timestamp or headers. On an rvalue
  // (std::move(r).withValue(v)) the key and headers are moved, not copied.
  template <class V2>
  FixedKeyRecord<K, V2> withValue(V2 value) && {
    return FixedKeyRecord<K, V2>(std::move(record_).withValue(std::move(value)));
  }
  template <class V2>
  FixedKeyRecord<K, V2> withValue(V2 value) const& {
    return FixedKeyRecord<K, V2>(Record<K, V2>{record_.key, std::move(value), record_.timestamp, record_.headers});
  }
  FixedKeyRecord withTimestamp(int64_t timestamp) && {
    record_.timestamp = timestamp;
    return std::move(*this);
  }
  FixedKeyRecord withTimestamp(int64_t timestamp) const& { return FixedKeyRecord(*this).withTimestamp(timestamp); }
  FixedKeyRecord withHeaders(Headers headers) && {
    record_.headers = std::move(headers);
    return std::move(*this);
  }
  FixedKeyRecord withHeaders(Headers headers) const& { return FixedKeyRecord(*this).withHeaders(std::move(headers)); }

  bool operator==(const FixedKeyRecord&) const = default;

 private:
  template <class, class>
  friend class FixedKeyRecord;
  template <class, class, class>
  friend class internal::FixedKeyProcessorNode;

  explicit FixedKeyRecord(Record<K, V>&& record) : record_(std::move(record)) {}

  Record<K, V> record_;
};

// What a fixed-key processor is given: the task's services (ProcessingContext) and a
// forward() that takes only FixedKeyRecords, so whatever it forwards keeps its input's key.
template <class K, class VOut>
class FixedKeyProcessorContext : public ProcessingContext {
 public:
  // Sends a record to every child of this processor, or to the named child only.
  virtual void forward(FixedKeyRecord<K, VOut> record) = 0;
  virtual void forward(FixedKeyRecord<K, VOut> record, std::string_view childName) = 0;
};

template <class KIn, class VIn, class VOut = Void>
class FixedKeyProcessor {
 public:
  using KeyIn = KIn;
  using ValueIn = VIn;
  using ValueOut = VOut;

  virtual ~FixedKeyProcessor() = default;
  // Called once before the first record; the context outlives the processor.
  virtual void init(FixedKeyProcessorContext<KIn, VOut>& context) { (void)context; }
  virtual void process(FixedKeyRecord<KIn, VIn> record) = 0;
  // Called once when the task closes.
  virtual void close() {}
};

// Makes one fixed-key processor instance per task.
template <class P>
using FixedKeyProcessorSupplier = std::function<std::unique_ptr<P>()>;

}  // namespace kstreams
