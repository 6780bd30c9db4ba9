// Versioned key-value stores (Kafka Streams' VersionedKeyValueStore, KIP-889): each put of a
// key adds a version valid from its timestamp until the key's next version, and get(key,
// asOf) reads the value a key had at a time within the store's history retention.
//
//   builder.addStateStore(Stores::versionedKeyValueStoreBuilder<std::string, double>(
//       Stores::persistentVersionedKeyValueStore("prices", std::chrono::hours(1))));
//   // in a processor:
//   auto& prices = ctx.getStateStore<VersionedKeyValueStore<std::string, double>>("prices");
//   prices.put(item, price, record.timestamp);
//   std::optional<VersionedRecord<double>> then = prices.get(item, orderTime);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "streams/internal/bytes_store.h"
#include "streams/internal/versioned_bytes_store.h"
#include "streams/serde.h"

namespace kstreams {

// One version of a key's value: valid from timestamp until validTo (exclusive), which is
// unset while it is the key's latest version.
template <class V>
struct VersionedRecord {
  V value;
  int64_t timestamp = 0;
  std::optional<int64_t> validTo;
  bool operator==(const VersionedRecord&) const = default;
};

template <class K, class V>
class VersionedKeyValueStore : public StateStore {
 public:
  // put()'s special results, as in Kafka Streams.
  static constexpr int64_t PUT_RETURN_CODE_VALID_TO_UNDEFINED = internal::kVersionValidToUndefined;
  static constexpr int64_t PUT_RETURN_CODE_NOT_PUT = internal::kVersionNotPut;

  // Adds the version of key valid from timestamp (replacing one at the same timestamp).
  // Returns the new version's validTo; PUT_RETURN_CODE_VALID_TO_UNDEFINED if it is the
  // latest; PUT_RETURN_CODE_NOT_PUT if timestamp is older than the history retention
  // before the largest timestamp put so far (nothing is stored, but the write is logged).
  // A negative timestamp is a StreamsException (no changelog record can carry it).
  virtual int64_t put(const K& key, const V& value, int64_t timestamp) = 0;
  // Adds a delete of key at timestamp (a version with no value) and returns the version
  // valid just before it, if any (nullopt when the delete is older than the history
  // retention: then nothing is deleted).
  virtual std::optional<VersionedRecord<V>> remove(const K& key, int64_t timestamp) = 0;
  // The latest version, unless the key is absent or deleted.
  virtual std::optional<VersionedRecord<V>> get(const K& key) = 0;
  // The version valid as of asOfTimestamp (inclusive): the one with the largest timestamp
  // not after it. nullopt if none, if it is a delete, or if asOfTimestamp is older than the
  // history retention and the latest version does not cover it.
  virtual std::optional<VersionedRecord<V>> get(const K& key, int64_t asOfTimestamp) = 0;
};

namespace internal {

// The store processors get: writes down the stack (changelog, versioned layout, pending
// writes), reads from the versioned layer.
template <class K, class V>
class TypedVersionedKeyValueStore final : public VersionedKeyValueStore<K, V> {
 public:
  TypedVersionedKeyValueStore(std::unique_ptr<KeyValueBytesStore> stack, VersionedBytesStore& versioned,
                              SerdePtr<K> keySerde, SerdePtr<V> valueSerde)
      : stack_(std::move(stack)),
        versioned_(versioned),
        keySerde_(std::move(keySerde)),
        valueSerde_(std::move(valueSerde)),
        keyIsItsBytes_(writesItsOwnBytes(*keySerde_)),
        valueIsItsBytes_(writesItsOwnBytes(*valueSerde_)) {}

  const std::string& name() const override { return stack_->name(); }
  bool persistent() const override { return stack_->persistent(); }
  void flush() override { stack_->flush(); }

  int64_t put(const K& key, const V& value, int64_t timestamp) override {
    stack_->put(keyView(key), encodeView<V>(*valueSerde_, valueIsItsBytes_, value, valueBuffer_), timestamp);
    return versioned_.lastPutResult();
  }
  // Writes the version (a delete when value is absent) and returns put()'s result.
  int64_t putNullable(const K& key, const std::optional<V>& value, int64_t timestamp) {
    if (!value) {
      stack_->put(keyView(key), std::nullopt, timestamp);
      return versioned_.lastPutResult();
    }
    return put(key, *value, timestamp);
  }
  std::optional<VersionedRecord<V>> remove(const K& key, int64_t timestamp) override {
    std::optional<VersionedRecord<V>> before = get(key, timestamp);
    stack_->put(keyView(key), std::nullopt, timestamp);
    if (versioned_.lastPutResult() == internal::kVersionNotPut) return std::nullopt;
    return before;
  }
  std::optional<VersionedRecord<V>> get(const K& key) override { return read(key, std::nullopt); }
  std::optional<VersionedRecord<V>> get(const K& key, int64_t asOfTimestamp) override {
    return read(key, asOfTimestamp);
  }

 private:
  std::string_view keyView(const K& key) { return *encodeView<K>(*keySerde_, keyIsItsBytes_, key, keyBuffer_); }
  std::optional<VersionedRecord<V>> read(const K& key, std::optional<int64_t> asOf) {
    std::optional<VersionedBytes> found = versioned_.getAsOf(keyView(key), asOf);
    if (!found) return std::nullopt;
    return VersionedRecord<V>{valueSerde_->deserialize(found->value), found->timestamp, found->validTo};
  }

  std::unique_ptr<KeyValueBytesStore> stack_;
  VersionedBytesStore& versioned_;
  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
  const bool keyIsItsBytes_;
  const bool valueIsItsBytes_;
  // Reused by every call that serializes: the stack copies what it keeps.
  std::string keyBuffer_;
  std::string valueBuffer_;
};

}  // namespace internal
}  // namespace kstreams
