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

#include "state/counted_iterator.h"
#include "state/overlay_iterator.h"
#include "state/pending_writes.h"
#include "streams/internal/bytes_store.h"

namespace kstreams::internal {

struct ChangelogRecord {
  std::string key;
  std::optional<std::string> value;  // nullopt: a delete (tombstone)
  int64_t timestamp = -1;            // the record's; a versioned store's version timestamp
};

class LocalStore : public KeyValueBytesStore {
 public:
  // keyPrefixBytes > 0: keys begin with a prefix of that length that single-key ranges stay
  // within (window and session stores); such ranges find their pending writes by hash.
  // keysWrittenOnce: no key is put twice between commits (see PendingWrites).
  explicit LocalStore(size_t keyPrefixBytes = 0, bool keysWrittenOnce = false)
      : pending_(keyPrefixBytes, keysWrittenOnce) {}

  // The offset of the last changelog record the committed data reflects; nullopt if none.
  virtual std::optional<int64_t> checkpoint() const = 0;
  // Makes the pending writes durable together with the new checkpoint, atomically.
  virtual void commit(std::optional<int64_t> changelogOffset) = 0;
  // Drops the pending writes.
  virtual void abort() {
    pending_.clear();
    pendingDeleteBefore_.reset();
  }
  // Applies changelog records read during restoration, with lastOffset as the new
  // checkpoint, atomically.
  virtual void restore(const std::vector<ChangelogRecord>& records, int64_t lastOffset) = 0;
  // The memory the pending writes hold (what statestore.uncommitted.max.bytes bounds).
  virtual size_t pendingBytes() const { return pending_.bytes(); }
  // A reader of the committed data, safe from any thread and usable after the store closes.
  virtual std::shared_ptr<KeyValueBytesStore> committedReader() = 0;
  // Deletes every committed entry and the checkpoint (before a restore from scratch).
  virtual void wipe() = 0;
  // Writes what is committed to disk, so that it survives a crash (commits are in memory
  // until the store flushes on its own: there is no write-ahead log, the changelog is it).
  virtual void persist() {}

  std::optional<std::string> get(std::string_view key) override {
    if (const PendingWrites::Write* write = pending_.find(key)) {
      if (auto value = write->value()) return std::string(*value);
      return std::nullopt;
    }
    if (dropped(key)) return std::nullopt;
    return committedGet(key);
  }
  void put(std::string_view key, std::optional<std::string_view> value, int64_t) override { pending_.put(key, value); }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override {
    if (from && to && pending_.withinOnePrefix(*from, *to))
      return std::make_unique<CollectedOverlayIterator<PendingWrites::Run, ValueOfWrite>>(
          pending_.collectWithinPrefix(*from, *to), reverse, undroppedCommittedRange(from, to, reverse));
    return std::make_unique<OrderedRangeIterator>(openOrderedRanges_, entriesBetween(pending_.ordered(), from, to),
                                                  reverse, undroppedCommittedRange(from, to, reverse));
  }
  // The dropped keys are gone for this store's reads at once; from the committed data (and
  // so from its committedReader()) at the next commit.
  void deleteBefore(std::string_view to) override {
    pending_.eraseBefore(to, /*orderInUse=*/*openOrderedRanges_ > 0);
    if (!pendingDeleteBefore_ || *pendingDeleteBefore_ < to) pendingDeleteBefore_ = std::string(to);
  }

 protected:
  struct ValueOfWrite {
    // A write erased by deleteBefore while an iterator held its place reads as a delete.
    std::optional<std::string_view> operator()(const PendingWrites::Write& w) const {
      if (w.erased()) return std::nullopt;
      return w.value();
    }
    // What an iterator that reached the write before it was erased shows.
    std::string_view whenReached(const PendingWrites::Write& w) const { return w.value().value_or(std::string_view()); }
  };

  virtual std::optional<std::string> committedGet(std::string_view key) = 0;
  virtual std::unique_ptr<BytesIterator> committedRange(std::optional<std::string_view> from,
                                                        std::optional<std::string_view> to, bool reverse) = 0;

  PendingWrites pending_;
  // Applied to the committed data before the pending writes, at the next commit.
  std::optional<std::string> pendingDeleteBefore_;

 private:
  // A range over the pending writes in key order (not within one key prefix), counted while
  // it lives: its positions are entries of the order, which deleteBefore must then keep.
  using OrderedRangeIterator =
      CountedIterator<OverlayIterator<PendingWrites::Order::const_iterator, ValueOfWrite>>;

  // Whether a drop not yet committed hides the committed entry of key.
  bool dropped(std::string_view key) const { return pendingDeleteBefore_ && key < *pendingDeleteBefore_; }
  // The committed entries in [from, to] that no drop hides.
  std::unique_ptr<BytesIterator> undroppedCommittedRange(std::optional<std::string_view> from,
                                                         std::optional<std::string_view> to, bool reverse) {
    if (pendingDeleteBefore_ && (!from || *from < *pendingDeleteBefore_)) {
      if (to && *to < *pendingDeleteBefore_) return std::make_unique<EmptyIterator>();
      from = *pendingDeleteBefore_;
    }
    return committedRange(from, to, reverse);
  }

  std::shared_ptr<int> openOrderedRanges_ = std::make_shared<int>(0);
};

// Creates the local stores of one application instance.
class LocalStoreFactory {
 public:
  virtual ~LocalStoreFactory() = default;
  // A RocksDB store in `directory` (created if missing), or an in-memory one.
  virtual std::unique_ptr<LocalStore> open(const std::string& name, bool persistent, const std::string& directory) = 0;
};

}  // namespace kstreams::internal
