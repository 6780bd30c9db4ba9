// Typed stores over byte stores: serialize on the way in, deserialize on the way out.
// TypedKeyValueStore is what processors use (through the cache, changelog and pending
// writes); TypedReadOnlyStore is what interactive queries use (committed data only, safe
// from any thread). Internal.
#pragma once

#include <functional>
#include <memory>

#include "streams/internal/big_endian.h"
#include "streams/key_value_store.h"

namespace kstreams::internal {

// Serialized form of ValueAndTimestamp<V>: the timestamp as 8 bytes big-endian (appendInt64),
// then V. Every read and write of a table's store passes here: through Serdes::Int64() the
// timestamp's call, shared_ptr copy and virtual call were 2% of a stream-table join.
template <class V>
class TimestampedSerde final : public Serde<ValueAndTimestamp<V>> {
 public:
  explicit TimestampedSerde(SerdePtr<V> inner) : inner_(std::move(inner)) {}
  void serialize(const ValueAndTimestamp<V>& v, std::string& out) const override {
    appendInt64(out, v.timestamp);
    inner_->serialize(v.value, out);
  }
  ValueAndTimestamp<V> deserialize(std::string_view bytes) const override {
    if (bytes.size() < 8) throw SerializationException("a timestamped value needs at least 8 bytes");
    return {inner_->deserialize(bytes.substr(8)), readInt64(bytes, 0)};
  }
  std::string name() const override { return "Timestamped<" + inner_->name() + ">"; }

 private:
  SerdePtr<V> inner_;
};

// Reads V out of a timestamped value, for queries that want the plain value.
template <class V>
class ValueOfTimestampedSerde final : public Serde<V> {
 public:
  explicit ValueOfTimestampedSerde(SerdePtr<V> inner) : inner_(std::move(inner)) {}
  void serialize(const V&, std::string&) const override {
    throw SerializationException("a query view of a timestamped store is read-only");
  }
  V deserialize(std::string_view bytes) const override {
    if (bytes.size() < 8) throw SerializationException("a timestamped value needs at least 8 bytes");
    return inner_->deserialize(bytes.substr(8));
  }
  std::string name() const override { return inner_->name(); }

 private:
  SerdePtr<V> inner_;
};

// The read side of a typed store; Base is ReadOnlyKeyValueStore<K, V> or KeyValueStore<K, V>.
template <class K, class V, class Base>
class TypedReads : public Base {
 public:
  static_assert(!NullableTraits<K>::kNullable && !NullableTraits<V>::kNullable,
                "store keys and values cannot be optional: a missing value is a missing key");

  TypedReads(SerdePtr<K> keySerde, SerdePtr<V> valueSerde)
      : keySerde_(std::move(keySerde)),
        valueSerde_(std::move(valueSerde)),
        keyIsItsBytes_(writesItsOwnBytes(*keySerde_)),
        valueIsItsBytes_(writesItsOwnBytes(*valueSerde_)) {}

  std::optional<V> get(const K& key) override {
    std::string scratch;  // reads may come from several query threads at once
    auto bytes = store().get(keyView(key, scratch));
    if (!bytes) return std::nullopt;
    return valueSerde_->deserialize(*bytes);
  }
  KeyValueIterator<K, V> range(const K& from, const K& to) override {
    return iterator(store().range(keyBytes(from), keyBytes(to), false));
  }
  KeyValueIterator<K, V> reverseRange(const K& from, const K& to) override {
    return iterator(store().range(keyBytes(from), keyBytes(to), true));
  }
  KeyValueIterator<K, V> all() override { return iterator(store().range(std::nullopt, std::nullopt, false)); }
  KeyValueIterator<K, V> reverseAll() override { return iterator(store().range(std::nullopt, std::nullopt, true)); }
  int64_t approximateNumEntries() override { return store().approximateNumEntries(); }

 protected:
  virtual KeyValueBytesStore& store() = 0;

  KeyValueIterator<K, V> prefixScanBytes(std::string_view prefix) override {
    return iterator(store().prefixScan(prefix));
  }
  // Reads may come from several query threads at once: no shared buffer here.
  std::string keyBytes(const K& key) const {
    std::string out;
    keySerde_->serialize(key, out);
    return out;
  }
  // The key's bytes: its own (String, Bytes) or serialized into scratch.
  std::string_view keyView(const K& key, std::string& scratch) const {
    return *encodeView<K>(*keySerde_, keyIsItsBytes_, key, scratch);
  }
  KeyValueIterator<K, V> iterator(std::unique_ptr<BytesIterator> inner) const {
    return KeyValueIterator<K, V>(std::move(inner), [ks = keySerde_, vs = valueSerde_](std::string_view k, std::string_view v) {
      return KeyValue<K, V>{ks->deserialize(k), vs->deserialize(v)};
    });
  }

  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
  const bool keyIsItsBytes_;
  const bool valueIsItsBytes_;
};

// A processor's store: writes go through the store stack (cache, changelog, pending batch).
// Used by its task's thread only.
template <class K, class V>
class TypedKeyValueStore final : public TypedReads<K, V, KeyValueStore<K, V>> {
  using Reads = TypedReads<K, V, KeyValueStore<K, V>>;

 public:
  // timestamp: the timestamp changes are logged with (the record being processed).
  TypedKeyValueStore(std::unique_ptr<KeyValueBytesStore> stack, SerdePtr<K> keySerde, SerdePtr<V> valueSerde,
                     std::function<int64_t()> timestamp)
      : Reads(std::move(keySerde), std::move(valueSerde)), stack_(std::move(stack)), timestamp_(std::move(timestamp)) {}

  const std::string& name() const override { return stack_->name(); }
  bool persistent() const override { return stack_->persistent(); }
  void flush() override { stack_->flush(); }

  void put(const K& key, const V& value) override { putAt(key, value, timestamp_()); }
  // Puts with an explicit timestamp for the changelog record and the cache.
  void putAt(const K& key, const V& value, int64_t timestamp) {
    stack_->put(this->keyView(key, keyBuffer_),
                encodeView<V>(*this->valueSerde_, this->valueIsItsBytes_, value, valueBuffer_), timestamp);
  }
  std::optional<V> putIfAbsent(const K& key, const V& value) override {
    auto existing = this->get(key);
    if (!existing) put(key, value);
    return existing;
  }
  void putAll(const std::vector<KeyValue<K, V>>& entries) override {
    for (const auto& kv : entries) put(kv.key, kv.value);
  }
  std::optional<V> remove(const K& key) override {
    auto existing = this->get(key);
    if (existing) removeAt(key, timestamp_());
    return existing;
  }
  void removeAt(const K& key, int64_t timestamp) { stack_->put(this->keyView(key, keyBuffer_), std::nullopt, timestamp); }

  bool cachingEnabled() const { return stack_->cachingEnabled(); }
  // Called with each entry the cache writes down: key, new value (nullopt: deleted), the
  // value it replaces (with sendOldValues false, only for a delete), and the timestamp.
  using FlushListener =
      std::function<void(K key, std::optional<V> newValue, std::optional<V> oldValue, int64_t timestamp)>;
  void setFlushListener(FlushListener listener, bool sendOldValues) {
    stack_->setFlushListener([this, listener = std::move(listener)](std::string_view k, std::optional<std::string_view> n,
                                                                    std::optional<std::string_view> o, int64_t ts) {
      std::optional<V> newValue, oldValue;
      if (n) newValue = this->valueSerde_->deserialize(*n);
      if (o) oldValue = this->valueSerde_->deserialize(*o);
      listener(this->keySerde_->deserialize(k), std::move(newValue), std::move(oldValue), ts);
    }, sendOldValues);
  }

 protected:
  KeyValueBytesStore& store() override { return *stack_; }

 private:
  std::unique_ptr<KeyValueBytesStore> stack_;
  std::function<int64_t()> timestamp_;
  // Reused by every write that serializes: the stack copies what it keeps.
  std::string keyBuffer_;
  std::string valueBuffer_;
};

// What interactive queries read: committed data, through a reader safe from any thread.
template <class K, class V>
class TypedReadOnlyStore final : public TypedReads<K, V, ReadOnlyKeyValueStore<K, V>> {
 public:
  TypedReadOnlyStore(std::shared_ptr<KeyValueBytesStore> reader, SerdePtr<K> keySerde, SerdePtr<V> valueSerde)
      : TypedReads<K, V, ReadOnlyKeyValueStore<K, V>>(std::move(keySerde), std::move(valueSerde)),
        reader_(std::move(reader)) {}

 protected:
  KeyValueBytesStore& store() override { return *reader_; }

 private:
  std::shared_ptr<KeyValueBytesStore> reader_;
};

}  // namespace kstreams::internal
