// Produced: how a sink writes its topic — serdes, partitioner, processor name.
#pragma once

#include <string>

#include "streams/internal/source_sink_nodes.h"
#include "streams/serde.h"

namespace kstreams {

template <class K, class V>
struct Produced {
  SerdeFor<K> keySerde;    // null: the stream's own serde, else the defaults
  SerdeFor<V> valueSerde;  // null: the stream's own serde, else the defaults
  StreamPartitioner<K, V> partitioner;  // empty: murmur2 of the serialized key
  std::string processorName;            // empty: generated

  Produced() = default;
  Produced(SerdeFor<K> k, SerdeFor<V> v) : keySerde(std::move(k)), valueSerde(std::move(v)) {}
  template <class K2, class V2>
    requires(!std::is_same_v<Produced<K, V>, Produced<K2, V2>> &&
             std::is_same_v<SerdeFor<K>, SerdeFor<K2>> && std::is_same_v<SerdeFor<V>, SerdeFor<V2>>)
  Produced(const Produced<K2, V2>& other)
      : keySerde(other.keySerde), valueSerde(other.valueSerde),
        processorName(other.processorName) {
    // It could not place the records it cannot be given (tombstones) with their key's
    // others, and a record on another partition than its key's is silently wrong.
    if (other.partitioner)
      throw TopologyException("a StreamPartitioner of " + internal::typeName<K2>() + " and " +
                              internal::typeName<V2>() + " cannot partition records of " + internal::typeName<K>() +
                              " and " + internal::typeName<V>() + "; declare the Produced with the stream's own types");
  }

  static Produced with(SerdeFor<K> k, SerdeFor<V> v) { return Produced(std::move(k), std::move(v)); }
  static Produced as(std::string name) {
    Produced p;
    p.processorName = std::move(name);
    return p;
  }
  Produced& withKeySerde(SerdeFor<K> k) { keySerde = std::move(k); return *this; }
  Produced& withValueSerde(SerdeFor<V> v) { valueSerde = std::move(v); return *this; }
  Produced& withStreamPartitioner(StreamPartitioner<K, V> p) {
    partitioner = std::move(p);
    return *this;
  }
  Produced& withName(std::string name) { processorName = std::move(name); return *this; }
};

template <class K, class V>
Produced(SerdePtr<K>, SerdePtr<V>) -> Produced<K, V>;

}  // namespace kstreams
