// Grouped: how a stream is grouped — the name of the repartition topic (when the key
// changed), and the serdes of that topic.
#pragma once

#include <string>

#include "streams/serde.h"

namespace kstreams {

template <class K, class V>
struct Grouped {
  // The repartition topic is "<application.id>-<name>-repartition". Empty: the store's name,
  // or a generated one.
  std::string name;
  SerdePtr<K> keySerde;    // null: the stream's own, else the defaults
  SerdePtr<V> valueSerde;

  static Grouped as(std::string name) { return Grouped{std::move(name), nullptr, nullptr}; }
  static Grouped with(SerdePtr<K> k, SerdePtr<V> v) { return Grouped{{}, std::move(k), std::move(v)}; }
  Grouped& withName(std::string n) { name = std::move(n); return *this; }
  Grouped& withKeySerde(SerdePtr<K> k) { keySerde = std::move(k); return *this; }
  Grouped& withValueSerde(SerdePtr<V> v) { valueSerde = std::move(v); return *this; }
};

}  // namespace kstreams
