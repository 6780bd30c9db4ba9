// The nodes at the edges of a sub-topology: a source deserializes each input record once,
// a sink serializes once and hands the bytes to the task's RecordCollector. Internal.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>

#include "streams/internal/node.h"
#include "streams/timestamp_extractors.h"

namespace kstreams {

// Chooses the topic of each record a sink writes.
template <class K, class V>
using TopicNameExtractor =
    std::function<std::string(const K&, const V&, const RecordMetadata& inputRecord)>;

// Chooses the partition of each record a sink writes, given the topic's partition count;
// nullopt falls back to the default (murmur2 of the serialized key).
template <class K, class V>
using StreamPartitioner = std::function<std::optional<int32_t>(
    std::string_view topic, const K& key, const V& value, int32_t numPartitions)>;

namespace internal {

// Whether a function declared for values of type Declared can be given every non-null value
// of a stream of type Actual: the same type, or Actual = std::optional<Declared>.
template <class Declared, class Actual>
constexpr bool kViewableAs = std::is_same_v<Declared, Actual> || std::is_same_v<std::optional<Declared>, Actual>;

// The value as a function declared for Declared sees it; nullptr for a null one.
template <class Declared, class Actual>
const Declared* viewAs(const Actual& value) {
  if constexpr (std::is_same_v<Declared, Actual>) return &value;
  else return value ? &*value : nullptr;
}

// A timestamp extractor declared for other types (a Consumed<K, V> given for a stream of
// std::optional<V>, or for a table) as one for the stream's. A record a function cannot be
// given (a tombstone, a null key) keeps its own timestamp; the built-ins read no key or value.
template <class K, class V, class DeclaredK, class DeclaredV>
TimestampExtractor<K, V> adaptTimestampExtractor(TimestampExtractor<DeclaredK, DeclaredV> extractor) {
  // Declared for the stream's own types: no wrapper, so no second call per record.
  if constexpr (std::is_same_v<DeclaredK, K> && std::is_same_v<DeclaredV, V>) return extractor;
  switch (extractor.kind()) {
    case TimestampExtraction::kDefault: return {};
    case TimestampExtraction::kFunction: break;
    case TimestampExtraction::kFailOnInvalidTimestamp: return FailOnInvalidTimestamp{};
    case TimestampExtraction::kLogAndSkipOnInvalidTimestamp: return LogAndSkipOnInvalidTimestamp{};
    case TimestampExtraction::kUsePartitionTimeOnInvalidTimestamp: return UsePartitionTimeOnInvalidTimestamp{};
    case TimestampExtraction::kWallclockTimestampExtractor: return WallclockTimestampExtractor{};
  }
  if constexpr (kViewableAs<DeclaredK, K> && kViewableAs<DeclaredV, V>) {
    return [f = extractor.function()](const K& key, const V& value, int64_t recordTimestamp, int64_t partitionTime) {
      const DeclaredK* k = viewAs<DeclaredK>(key);
      const DeclaredV* v = viewAs<DeclaredV>(value);
      return k && v ? f(*k, *v, recordTimestamp, partitionTime) : recordTimestamp;
    };
  } else {
    throw TopologyException("a timestamp extractor of " + typeName<DeclaredK>() + " and " + typeName<DeclaredV>() +
                            " cannot read records of " + typeName<K>() + " and " + typeName<V>() +
                            "; declare the Consumed with the stream's own types");
  }
}

// A record's bytes could not be deserialized at a source. The task hands this, and only
// this, to the deserialization exception handler.
class DeserializationError : public SerializationException {
 public:
  DeserializationError(const char* part, const std::string& reason)
      : SerializationException(std::string(part) + ": " + reason), part_(part) {}
  const char* part() const { return part_; }

 private:
  const char* part_;
};

template <class K, class V>
class SourceNode final : public SourceInstance {
 public:
  SourceNode(SerdeFor<K> keySerde, SerdeFor<V> valueSerde, TimestampExtractor<K, V> extractor)
      : keySerde_(std::move(keySerde)),
        valueSerde_(std::move(valueSerde)),
        extractor_(std::move(extractor)) {}

  void addChild(NodeInstance& child, const std::string& name) override { out_.add(child, name); }

  TimestampExtraction timestampExtraction() const override { return extractor_.kind(); }

  int64_t timestampOf(const RawRecord& raw, int64_t partitionTime) override {
    K key = decode<K>(*keySerde_, raw.key, "key");
    V value = decode<V>(*valueSerde_, raw.value, "value");
    return extractor_.function()(key, value, raw.timestamp, partitionTime);
  }

  void process(const RawRecord& raw, int64_t timestamp) override {
    Record<K, V> record{decode<K>(*keySerde_, raw.key, "key"),
                        decode<V>(*valueSerde_, raw.value, "value"), timestamp,
                        raw.headers ? *raw.headers : Headers{}};
    out_.forward(std::move(record));
  }

 private:
  template <class T, class S>
  static T decode(const S& serde, std::optional<std::string_view> bytes, const char* part) {
    try {
      return internal::decode<T>(serde, bytes, part);
    } catch (const SerializationException& e) {
      throw DeserializationError(part, e.what());
    } catch (const std::exception& e) {
      throw DeserializationError(part, e.what());
    }
  }

  SerdeFor<K> keySerde_;
  SerdeFor<V> valueSerde_;
  TimestampExtractor<K, V> extractor_;
  Downstream<K, V> out_;
};

template <class K, class V>
class SinkNode final : public RecordInput<K, V> {
 public:
  SinkNode(std::string name, std::string topic, bool internalTopic,
           TopicNameExtractor<K, V> topicExtractor, SerdeFor<K> keySerde,
           SerdeFor<V> valueSerde, StreamPartitioner<K, V> partitioner)
      : name_(std::move(name)),
        topic_(std::move(topic)),
        internalTopic_(internalTopic),
        topicExtractor_(std::move(topicExtractor)),
        keySerde_(std::move(keySerde)),
        valueSerde_(std::move(valueSerde)),
        partitioner_(std::move(partitioner)),
        keyIsItsBytes_(writesItsOwnBytes(*keySerde_)),
        valueIsItsBytes_(writesItsOwnBytes(*valueSerde_)) {}

  void init(TaskContext& context) override {
    NodeInstance::init(context);
    if (internalTopic_) topic_ = context.internalTopicName(topic_);
  }

  void process(Record<K, V>&& record) override {
    TaskContext& ctx = *this->context_;
    std::string chosen;
    if (topicExtractor_) chosen = topicExtractor_(record.key, record.value, ctx.recordMetadata());
    const std::string& topic = topicExtractor_ ? chosen : topic_;

    std::optional<std::string_view> key, value;
    try {
      key = encodeView<K>(*keySerde_, keyIsItsBytes_, record.key, keyBytes_);
      value = encodeView<V>(*valueSerde_, valueIsItsBytes_, record.value, valueBytes_);
    } catch (const std::exception& e) {
      throw StreamsException("sink " + name_ + " cannot serialize a record for topic " + topic +
                             ": " + e.what() + "; check the serdes given to Produced");
    }
    int32_t partition = -1;
    if (partitioner_) {
      auto p = partitioner_(topic, record.key, record.value, ctx.collector().partitionCount(topic));
      if (p) partition = *p;
    }
    ctx.collector().send(topic, partition, key, value, record.timestamp, record.headers);
  }

 private:
  std::string name_;
  std::string topic_;
  bool internalTopic_;
  TopicNameExtractor<K, V> topicExtractor_;
  SerdeFor<K> keySerde_;
  SerdeFor<V> valueSerde_;
  StreamPartitioner<K, V> partitioner_;
  // A key or value whose serde writes its own bytes is sent as it is, without a copy.
  bool keyIsItsBytes_;
  bool valueIsItsBytes_;
  // Reused for every record, so serializing allocates only when a record outgrows them.
  std::string keyBytes_;
  std::string valueBytes_;
};

}  // namespace internal
}  // namespace kstreams
