// LocalStore: the store at the bottom of a stack (RocksDB or memory). It keeps the writes
// since the last commit apart from the committed data, and commits them together with the
// changelog offset they reach, in one atomic write; an abort drops them. So local state is
// always at or behind the last commit, and a restart restores only the changelog's tail.
// Internal.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "state/indexed_map.h"
#include "state/overlay_iterator.h"
#include "streams/internal/bytes_store.h"

namespace kstreams::internal {

struct ChangelogRecord {
  std::string key;
  std::optional<std::string> value;  // nullopt: a delete (tombstone)
};

class LocalStore : public KeyValueBytesStore {
 public:
  // keyPrefixBytes > 0: keys begin with a prefix of that length that single-key ranges stay
  // within (window and session stores); such ranges find their pending writes by hash.
  explicit LocalStore(size_t keyPrefixBytes = 0) : pending_(keyPrefixBytes) {}

  // The offset of the last changelog record the committed data reflects; nullopt if none.
  virtual std::optional<int64_t> checkpoint() const = 0;
  // Makes the pending writes durable together with the new checkpoint, atomically.
  virtual void commit(std::optional<int64_t> changelogOffset) = 0;
  // Drops the pending writes.
  void abort() {
    pending_.clear();
    pendingBytes_ = 0;
    pendingDeleteBefore_.reset();
  }
  // Applies changelog records read during restoration, with lastOffset as the new
  // checkpoint, atomically.
  virtual void restore(const std::vector<ChangelogRecord>& records, int64_t lastOffset) = 0;
  size_t pendingBytes() const { return pendingBytes_; }
  // The key and value bytes of the pending writes, without the bookkeeping pendingBytes counts.
  size_t pendingDataBytes() const { return pendingBytes_ - pending_.size() * kEntryOverhead; }
  // A reader of the committed data, safe from any thread and usable after the store closes.
  virtual std::shared_ptr<KeyValueBytesStore> committedReader() = 0;
  // Deletes every committed entry and the checkpoint (before a restore from scratch).
  virtual void wipe() = 0;

  std::optional<std::string> get(std::string_view key) override {
    if (auto found = pending_.find(key)) return *found.entry;
    return committedGet(key);
  }
  void put(std::string_view key, std::optional<std::string_view> value, int64_t) override {
    auto [found, inserted] = pending_.try_emplace(key);
    std::optional<std::string>& pending = *found.entry;
    if (inserted) pendingBytes_ += key.size() + kEntryOverhead;
    else pendingBytes_ -= pending ? pending->size() : 0;
    if (value) {
      pending.emplace(*value);
      pendingBytes_ += value->size();
    } else {
      pending.reset();
    }
  }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override {
    if (from && to && pending_.withinOnePrefix(*from, *to))
      return std::make_unique<CollectedOverlayIterator<Pending::Run, Identity>>(
          pending_.collectWithinPrefix(*from, *to), reverse, committedRange(from, to, reverse));
    return std::make_unique<OverlayIterator<Pending::Order::const_iterator, Identity>>(
        entriesBetween(pending_.ordered(), from, to), reverse, committedRange(from, to, reverse));
  }
  void deleteBefore(std::string_view to) override {
    auto& order = pending_.ordered();
    for (auto it = order.begin(); it != order.end() && it->first < to;) {
      const std::optional<std::string>& value = *it->second;
      pendingBytes_ -= it->first.size() + kEntryOverhead + (value ? value->size() : 0);
      it = pending_.erase(it);
    }
    if (!pendingDeleteBefore_ || *pendingDeleteBefore_ < to) pendingDeleteBefore_ = std::string(to);
  }

 protected:
  using Pending = IndexedMap<std::optional<std::string>>;
  struct Identity {
    const std::optional<std::string>& operator()(const std::optional<std::string>& v) const { return v; }
  };
  // What a pending entry costs beyond its key and value bytes: the map's own, the optional
  // string, the value's heap block.
  static constexpr size_t kEntryOverhead = Pending::kOverheadPerEntry + sizeof(std::optional<std::string>) + 16;

  virtual std::optional<std::string> committedGet(std::string_view key) = 0;
  virtual std::unique_ptr<BytesIterator> committedRange(std::optional<std::string_view> from,
                                                        std::optional<std::string_view> to, bool reverse) = 0;

  Pending pending_;
  size_t pendingBytes_ = 0;
  // Applied to the committed data before the pending writes, at the next commit.
  std::optional<std::string> pendingDeleteBefore_;
};

// Creates the local stores of one application instance.
class LocalStoreFactory {
 public:
  virtual ~LocalStoreFactory() = default;
  // A RocksDB store in `directory` (created if missing), or an in-memory one.
  virtual std::unique_ptr<LocalStore> open(const std::string& name, bool persistent, const std::string& directory) = 0;
};

}  // namespace kstreams::internal
