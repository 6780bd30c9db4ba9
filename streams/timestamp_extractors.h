// Timestamp extractors: the time a source gives each record it reads, which orders a task's
// records, moves stream time and decides windows. Kafka Streams' TimestampExtractor.
//
//   Consumed<std::string, Order>::with(keySerde, orderSerde)
//       .withTimestampExtractor([](const std::string&, const Order& o, int64_t recordTimestamp,
//                                  int64_t partitionTime) { return o.timestamp; })
//   Consumed<std::string, Order>::with(keySerde, orderSerde)
//       .withTimestampExtractor(LogAndSkipOnInvalidTimestamp{})
//
// A source without one uses default.timestamp.extractor (FailOnInvalidTimestamp unless set).
// A record whose extracted timestamp is negative is skipped, with a WARN, and counted in
// skipped-records; an extractor that throws stops the stream thread (as FailOnInvalidTimestamp
// does on purpose), except that a key or value that does not deserialize goes to
// default.deserialization.exception.handler.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <type_traits>

namespace kstreams {

// Kafka Streams' built-in extractors, under their class names. The first three take the
// record's own timestamp (its producer's, or the broker's under LogAppendTime) and differ in
// what they do with a negative one; none of them deserializes the record.

// Stops the stream thread at a record with a negative timestamp, naming it. The default.
struct FailOnInvalidTimestamp {};
// Skips a record with a negative timestamp, with a WARN, counted in skipped-records.
struct LogAndSkipOnInvalidTimestamp {};
// Gives a record with a negative timestamp its partition's time (the largest timestamp of
// the partition processed so far, or committed); stops the thread as FailOnInvalidTimestamp
// does if the partition has none yet.
struct UsePartitionTimeOnInvalidTimestamp {};
// The wall-clock time when the record is read: processing time. The TopologyTestDriver's
// wall clock under the driver.
struct WallclockTimestampExtractor {};

namespace internal {

// How a source's records get their timestamps.
enum class TimestampExtraction : uint8_t {
  kDefault,  // the source has no extractor: default.timestamp.extractor's
  kFunction,  // the source's own function
  kFailOnInvalidTimestamp,
  kLogAndSkipOnInvalidTimestamp,
  kUsePartitionTimeOnInvalidTimestamp,
  kWallclockTimestampExtractor,
};

// Kafka Streams' class name of a built-in extractor.
constexpr std::string_view timestampExtractorName(TimestampExtraction e) {
  switch (e) {
    case TimestampExtraction::kFailOnInvalidTimestamp: return "FailOnInvalidTimestamp";
    case TimestampExtraction::kLogAndSkipOnInvalidTimestamp: return "LogAndSkipOnInvalidTimestamp";
    case TimestampExtraction::kUsePartitionTimeOnInvalidTimestamp: return "UsePartitionTimeOnInvalidTimestamp";
    case TimestampExtraction::kWallclockTimestampExtractor: return "WallclockTimestampExtractor";
    case TimestampExtraction::kFunction: return "the source's timestamp extractor";
    case TimestampExtraction::kDefault: break;
  }
  return "default.timestamp.extractor";
}

// The built-in extractor a value of default.timestamp.extractor names: Kafka Streams' class
// name, short or in full (org.apache.kafka.streams.processor.FailOnInvalidTimestamp), so a
// Kafka Streams configuration reads the same. nullopt for any other name.
constexpr std::optional<TimestampExtraction> builtInTimestampExtractor(std::string_view name) {
  constexpr std::string_view kJavaPackage = "org.apache.kafka.streams.processor.";
  if (name.starts_with(kJavaPackage)) name.remove_prefix(kJavaPackage.size());
  for (TimestampExtraction e :
       {TimestampExtraction::kFailOnInvalidTimestamp, TimestampExtraction::kLogAndSkipOnInvalidTimestamp,
        TimestampExtraction::kUsePartitionTimeOnInvalidTimestamp, TimestampExtraction::kWallclockTimestampExtractor})
    if (name == timestampExtractorName(e)) return e;
  return std::nullopt;
}

template <class T>
struct IsStdFunction : std::false_type {};
template <class Signature>
struct IsStdFunction<std::function<Signature>> : std::true_type {};

// Whether a callable given as an extractor is none at all (a null function pointer, an empty
// std::function), as an empty std::function would have been.
template <class F>
bool isNullCallable(const F& f) {
  if constexpr (std::is_pointer_v<F> || IsStdFunction<F>::value) return f == nullptr;
  else return false;
}

}  // namespace internal

// A source's timestamp extractor: one of the built-ins above, or a function of the record's
// key and value, its own timestamp, and the time of its partition (the largest timestamp
// processed from the partition before it, or committed with the partition's offset; -1 when
// there is none yet, as Kafka Streams' extract(record, partitionTime)):
//   int64_t(const K&, const V&, int64_t recordTimestamp, int64_t partitionTime)
// or, when the partition time does not matter,
//   int64_t(const K&, const V&, int64_t recordTimestamp)
// Empty (default-constructed, or nullptr): the source uses default.timestamp.extractor.
template <class K, class V>
class TimestampExtractor {
 public:
  using Function = std::function<int64_t(const K&, const V&, int64_t recordTimestamp, int64_t partitionTime)>;

  TimestampExtractor() = default;
  TimestampExtractor(std::nullptr_t) {}
  TimestampExtractor(FailOnInvalidTimestamp) : kind_(internal::TimestampExtraction::kFailOnInvalidTimestamp) {}
  TimestampExtractor(LogAndSkipOnInvalidTimestamp)
      : kind_(internal::TimestampExtraction::kLogAndSkipOnInvalidTimestamp) {}
  TimestampExtractor(UsePartitionTimeOnInvalidTimestamp)
      : kind_(internal::TimestampExtraction::kUsePartitionTimeOnInvalidTimestamp) {}
  TimestampExtractor(WallclockTimestampExtractor)
      : kind_(internal::TimestampExtraction::kWallclockTimestampExtractor) {}

  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, TimestampExtractor> &&
             std::is_invocable_r_v<int64_t, F&, const K&, const V&, int64_t, int64_t>)
  TimestampExtractor(F f) : function_(std::move(f)) {
    if (function_) kind_ = internal::TimestampExtraction::kFunction;
  }

  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, TimestampExtractor> &&
             !std::is_invocable_v<F&, const K&, const V&, int64_t, int64_t> &&
             std::is_invocable_r_v<int64_t, F&, const K&, const V&, int64_t>)
  TimestampExtractor(F f) {
    if (internal::isNullCallable(f)) return;
    function_ = [f = std::move(f)](const K& key, const V& value, int64_t recordTimestamp, int64_t) mutable -> int64_t {
      return f(key, value, recordTimestamp);
    };
    kind_ = internal::TimestampExtraction::kFunction;
  }

  explicit operator bool() const { return kind_ != internal::TimestampExtraction::kDefault; }
  internal::TimestampExtraction kind() const { return kind_; }
  // Set only for kind() == kFunction.
  const Function& function() const { return function_; }

 private:
  internal::TimestampExtraction kind_ = internal::TimestampExtraction::kDefault;
  Function function_;
};

}  // namespace kstreams
