// GlobalKTable<K, V>: a table replicated in full to every instance, from all partitions of
// its topic. Each instance restores it at start-up and keeps it current from a global
// thread, so a stream can join it by any key (KStream::join with a key selector) without
// co-partitioning.
#pragma once

#include <string>

#include "streams/serde.h"

namespace kstreams {

template <class K, class V>
class GlobalKTable {
 public:
  GlobalKTable(std::string store, std::string topic, SerdePtr<K> keySerde, SerdePtr<V> valueSerde)
      : store_(std::move(store)), topic_(std::move(topic)), keySerde_(std::move(keySerde)), valueSerde_(std::move(valueSerde)) {}
  const std::string& queryableStoreName() const { return store_; }
  const std::string& topic() const { return topic_; }
  const SerdePtr<K>& keySerde() const { return keySerde_; }
  const SerdePtr<V>& valueSerde() const { return valueSerde_; }

 private:
  std::string store_;
  std::string topic_;
  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
};

}  // namespace kstreams
