// Typed key-value stores, as processors and interactive queries see them.
//
// Keys are ordered by their serialized bytes: range(from, to) returns the keys whose bytes
// lie between those of from and to. (For Int64 keys, big-endian, negative numbers sort after
// positive ones, as in Kafka Streams.)
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "streams/internal/bytes_store.h"
#include "streams/record.h"
#include "streams/serde.h"

namespace kstreams {

// Walks entries in key order. Usable as hasNext()/next(), as in Kafka Streams, or in a
// range-for loop. Holds resources of the store (a RocksDB iterator): do not keep it long.
template <class K, class V>
class KeyValueIterator {
 public:
  using Decoder = std::function<KeyValue<K, V>(std::string_view, std::string_view)>;
  KeyValueIterator(std::unique_ptr<internal::BytesIterator> inner, Decoder decode)
      : inner_(std::move(inner)), decode_(std::move(decode)) {}

  bool hasNext() const { return inner_->valid(); }
  KeyValue<K, V> next() {
    KeyValue<K, V> kv = decode_(inner_->key(), inner_->value());
    inner_->next();
    return kv;
  }
  // Reads the rest into a vector.
  std::vector<KeyValue<K, V>> toList() {
    std::vector<KeyValue<K, V>> out;
    while (hasNext()) out.push_back(next());
    return out;
  }

  struct Sentinel {};
  class Iterator {
   public:
    explicit Iterator(KeyValueIterator* it) : it_(it) { advance(); }
    const KeyValue<K, V>& operator*() const { return *current_; }
    Iterator& operator++() {
      advance();
      return *this;
    }
    bool operator!=(Sentinel) const { return current_.has_value(); }

   private:
    void advance() {
      if (it_->hasNext()) current_ = it_->next();
      else current_.reset();
    }
    KeyValueIterator* it_;
    std::optional<KeyValue<K, V>> current_;
  };
  Iterator begin() { return Iterator(this); }
  Sentinel end() { return {}; }

 private:
  std::unique_ptr<internal::BytesIterator> inner_;
  Decoder decode_;
};

template <class K, class V>
class ReadOnlyKeyValueStore {
 public:
  virtual ~ReadOnlyKeyValueStore() = default;
  virtual std::optional<V> get(const K& key) = 0;
  // Keys from `from` to `to`, both inclusive.
  virtual KeyValueIterator<K, V> range(const K& from, const K& to) = 0;
  virtual KeyValueIterator<K, V> reverseRange(const K& from, const K& to) = 0;
  virtual KeyValueIterator<K, V> all() = 0;
  virtual KeyValueIterator<K, V> reverseAll() = 0;
  // Keys whose serialized bytes start with the serialized prefix.
  template <class P>
  KeyValueIterator<K, V> prefixScan(const P& prefix, const SerdePtr<P>& prefixSerde) {
    std::string bytes;
    prefixSerde->serialize(prefix, bytes);
    return prefixScanBytes(bytes);
  }
  // An estimate, cheap to compute (RocksDB's estimate of live keys).
  virtual int64_t approximateNumEntries() = 0;

 protected:
  virtual KeyValueIterator<K, V> prefixScanBytes(std::string_view prefix) = 0;
};

template <class K, class V>
class KeyValueStore : public ReadOnlyKeyValueStore<K, V>, public StateStore {
 public:
  virtual void put(const K& key, const V& value) = 0;
  // Puts if the key has no value; returns the value it has, if any.
  virtual std::optional<V> putIfAbsent(const K& key, const V& value) = 0;
  virtual void putAll(const std::vector<KeyValue<K, V>>& entries) = 0;
  // Deletes the key (Kafka Streams' delete()); returns the value it had.
  virtual std::optional<V> remove(const K& key) = 0;
};

// A value with the timestamp of the record that last set it: what the DSL's tables store.
template <class V>
struct ValueAndTimestamp {
  V value;
  int64_t timestamp = 0;
  bool operator==(const ValueAndTimestamp&) const = default;
};

}  // namespace kstreams
