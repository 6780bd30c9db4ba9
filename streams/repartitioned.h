// Repartitioned: an explicit repartition step — the internal topic's name and partition
// count, its serdes and partitioner.
#pragma once

#include <optional>
#include <string>

#include "streams/internal/source_sink_nodes.h"
#include "streams/serde.h"

namespace kstreams {

template <class K, class V>
struct Repartitioned {
  // The topic is "<application.id>-<name>-repartition". Name it: a generated name is stable
  // while this part of the topology stays the same, but changes if operators are inserted
  // upstream of it, and a renamed topic starts empty.
  std::string name;
  std::optional<int32_t> numberOfPartitions;  // unset: as many as the upstream source topics
  SerdeFor<K> keySerde;                       // null: the stream's own, else the defaults
  SerdeFor<V> valueSerde;
  StreamPartitioner<K, V> partitioner;  // empty: murmur2 of the serialized key

  static Repartitioned as(std::string name) {
    Repartitioned r;
    r.name = std::move(name);
    return r;
  }
  static Repartitioned with(SerdeFor<K> k, SerdeFor<V> v) {
    Repartitioned r;
    r.keySerde = std::move(k);
    r.valueSerde = std::move(v);
    return r;
  }
  static Repartitioned numberOfPartitionsOf(int32_t n) {
    Repartitioned r;
    r.numberOfPartitions = n;
    return r;
  }
  Repartitioned& withName(std::string n) { name = std::move(n); return *this; }
  Repartitioned& withNumberOfPartitions(int32_t n) { numberOfPartitions = n; return *this; }
  Repartitioned& withKeySerde(SerdeFor<K> k) { keySerde = std::move(k); return *this; }
  Repartitioned& withValueSerde(SerdeFor<V> v) { valueSerde = std::move(v); return *this; }
  Repartitioned& withStreamPartitioner(StreamPartitioner<K, V> p) {
    partitioner = std::move(p);
    return *this;
  }
};

}  // namespace kstreams
