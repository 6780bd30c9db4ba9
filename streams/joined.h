// Parameters of joins: StreamJoined for stream-stream joins (serdes, the names of the window
// stores), Joined for stream-table joins (serdes, the repartition step's name).
#pragma once

#include <string>

#include "streams/serde.h"

namespace kstreams {

template <class K, class V1, class V2>
struct StreamJoined {
  SerdePtr<K> keySerde;          // null: the streams' own, else the defaults
  SerdePtr<V1> valueSerde;
  SerdePtr<V2> otherValueSerde;
  std::string name;       // names the processors and, unless storeName is set, the stores
  std::string storeName;  // stores "<storeName>-this-join-store" and "<storeName>-other-join-store"
  bool logging = true;

  static StreamJoined with(SerdePtr<K> k, SerdePtr<V1> v1, SerdePtr<V2> v2) {
    StreamJoined j;
    j.keySerde = std::move(k);
    j.valueSerde = std::move(v1);
    j.otherValueSerde = std::move(v2);
    return j;
  }
  static StreamJoined as(std::string name) {
    StreamJoined j;
    j.name = std::move(name);
    return j;
  }
  StreamJoined& withName(std::string n) { name = std::move(n); return *this; }
  StreamJoined& withStoreName(std::string n) { storeName = std::move(n); return *this; }
  StreamJoined& withLoggingDisabled() { logging = false; return *this; }
};

template <class K, class V, class VT>
struct Joined {
  SerdePtr<K> keySerde;
  SerdePtr<V> valueSerde;
  SerdePtr<VT> otherValueSerde;
  std::string name;  // names the join processor and the stream's repartition topic, if it needs one

  static Joined with(SerdePtr<K> k, SerdePtr<V> v, SerdePtr<VT> vt) {
    Joined j;
    j.keySerde = std::move(k);
    j.valueSerde = std::move(v);
    j.otherValueSerde = std::move(vt);
    return j;
  }
  static Joined as(std::string name) {
    Joined j;
    j.name = std::move(name);
    return j;
  }
  Joined& withName(std::string n) { name = std::move(n); return *this; }
};

}  // namespace kstreams
