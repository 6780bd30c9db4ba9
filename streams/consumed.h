// Consumed: how a source reads its topic — serdes, timestamp extractor, processor name.
#pragma once

#include <string>

#include "streams/internal/source_sink_nodes.h"
#include "streams/serde.h"
#include "streams/timestamp_extractors.h"

namespace kstreams {

template <class K, class V>
struct Consumed {
  SerdeFor<K> keySerde;      // null: the defaults (see StreamsConfig)
  SerdeFor<V> valueSerde;    // null: the defaults
  TimestampExtractor<K, V> timestampExtractor;  // empty: default.timestamp.extractor's
  std::string processorName;                    // empty: generated

  Consumed() = default;
  Consumed(SerdeFor<K> k, SerdeFor<V> v) : keySerde(std::move(k)), valueSerde(std::move(v)) {}
  // From a Consumed of the same payload types, e.g. Consumed<K, V> for a stream of
  // std::optional<V>. Its timestamp extractor is used for the records it can be given; a
  // tombstone keeps its own timestamp.
  template <class K2, class V2>
    requires(!std::is_same_v<Consumed<K, V>, Consumed<K2, V2>> &&
             std::is_same_v<SerdeFor<K>, SerdeFor<K2>> && std::is_same_v<SerdeFor<V>, SerdeFor<V2>>)
  Consumed(const Consumed<K2, V2>& other)
      : keySerde(other.keySerde), valueSerde(other.valueSerde),
        timestampExtractor(internal::adaptTimestampExtractor<K, V>(other.timestampExtractor)),
        processorName(other.processorName) {}

  static Consumed with(SerdeFor<K> k, SerdeFor<V> v) { return Consumed(std::move(k), std::move(v)); }
  static Consumed as(std::string name) {
    Consumed c;
    c.processorName = std::move(name);
    return c;
  }
  Consumed& withKeySerde(SerdeFor<K> k) { keySerde = std::move(k); return *this; }
  Consumed& withValueSerde(SerdeFor<V> v) { valueSerde = std::move(v); return *this; }
  // A built-in (FailOnInvalidTimestamp{}, LogAndSkipOnInvalidTimestamp{}, ...) or a function
  // of (key, value, recordTimestamp[, partitionTime]); see streams/timestamp_extractors.h.
  Consumed& withTimestampExtractor(TimestampExtractor<K, V> e) {
    timestampExtractor = std::move(e);
    return *this;
  }
  Consumed& withName(std::string name) { processorName = std::move(name); return *this; }
};

template <class K, class V>
Consumed(SerdePtr<K>, SerdePtr<V>) -> Consumed<K, V>;

}  // namespace kstreams
