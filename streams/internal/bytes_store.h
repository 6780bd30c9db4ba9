// The byte-level key-value store every typed store sits on: RocksDB or in memory, with the
// changelogging and caching layers (state/) between. Keys are ordered bytewise. Internal.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "streams/errors.h"
#include "streams/state_store.h"

namespace kstreams::internal {

// Iterates a key range in order; the views are valid until next().
class BytesIterator {
 public:
  virtual ~BytesIterator() = default;
  virtual bool valid() const = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual void next() = 0;
};

// Called when a cache writes an entry down to the store below: key, new value (nullopt for a
// delete), the value it replaces in the store below (see setFlushListener), and the record
// timestamp.
using CacheFlushListener =
    std::function<void(std::string_view key, std::optional<std::string_view> newValue,
                       std::optional<std::string_view> oldValue, int64_t timestamp)>;

class KeyValueBytesStore : public StateStore {
 public:
  virtual std::optional<std::string> get(std::string_view key) = 0;
  // nullopt deletes. The timestamp goes with the change into the changelog and the cache.
  virtual void put(std::string_view key, std::optional<std::string_view> value, int64_t timestamp) = 0;
  // Keys in [from, to], both inclusive; nullopt leaves that end open.
  virtual std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from,
                                               std::optional<std::string_view> to, bool reverse) = 0;
  virtual int64_t approximateNumEntries() = 0;
  // Drops every key before `to`, without logging them: for expired segments of window and
  // session stores, which only the store's retention ever removes (every segment before the
  // first live one has expired). Readers of committed data may still see them until the
  // next commit.
  virtual void deleteBefore(std::string_view to) = 0;
  // Layers that cache override these two.
  virtual bool cachingEnabled() const { return false; }
  // sendOldValues false: the listener gets the replaced value only with a delete, so an
  // update written down does not read the store below for it.
  virtual void setFlushListener(CacheFlushListener, bool /*sendOldValues*/) {}

  // Keys starting with prefix, in order.
  std::unique_ptr<BytesIterator> prefixScan(std::string_view prefix);
};

// The smallest key greater than every key starting with prefix; nullopt when there is none
// (the prefix is all 0xff bytes).
std::optional<std::string> prefixEnd(std::string_view prefix);

// An iterator over [begin, end) of keys below `upper` (exclusive) of an inner iterator.
class PrefixBoundedIterator final : public BytesIterator {
 public:
  PrefixBoundedIterator(std::unique_ptr<BytesIterator> inner, std::string prefix)
      : inner_(std::move(inner)), prefix_(std::move(prefix)) {}
  bool valid() const override { return inner_->valid() && inner_->key().starts_with(prefix_); }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  void next() override { inner_->next(); }

 private:
  std::unique_ptr<BytesIterator> inner_;
  std::string prefix_;
};

inline std::unique_ptr<BytesIterator> KeyValueBytesStore::prefixScan(std::string_view prefix) {
  return std::make_unique<PrefixBoundedIterator>(range(prefix, std::nullopt, false), std::string(prefix));
}

inline std::optional<std::string> prefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::nullopt;
}

}  // namespace kstreams::internal
