// PendingWrites: a store's writes since its last commit, found by key, walked in key order
// at the commit. Internal.
//
// Why not a map of strings: the writes of a thread are most of what it holds between
// commits (statestore.uncommitted.max.bytes), and a node-based map of std::string keys and
// std::optional<std::string> values took about 240 bytes for a write of a 10-byte key and a
// 100-byte value: the node, the value's own heap block, both rounded up to the allocator's
// size classes, and the string headers. Here a write is one record in an arena (a 32-byte
// header, then its key and value bytes) plus its slot in a hash set of record pointers.
//
// Records do not move until clear(): a key written again keeps its record, its value
// overwritten in place if it fits and placed anew in the arena if it does not. Erased
// records stay where they are, marked, until clear(); so the pointers and key views handed
// out (ordered(), collectWithinPrefix()) stay valid until clear(). An erasure also takes
// the erased writes out of the order, unless the order is in use (a store's range iterators
// hold positions in it): then they keep their places in it, marked, until the next erasure
// with the order not in use, or clear().
//
// Key order is built only when asked for (ordered()), as in IndexedMap; keys that share a
// prefix (prefixBytes > 0: window and session stores) are also chained by prefix once a
// read by prefix first asks for it. A store whose keys are each written once (a window
// store that keeps duplicates apart: every key ends in a fresh sequence number) has no
// overwrite to find, so its writes are not hashed by whole key either until a read by whole
// key first asks for it: a stream-stream join's two stores hashed every write twice.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "state/indexed_map.h"

namespace kstreams::internal {

class PendingWrites {
 public:
  // One key's pending write: its new value, or its deletion (no value).
  class Write {
   public:
    std::string_view key() const { return {keyBytes(), keySize_}; }
    // Its value (none: a delete); an erased write's is what it was when erased.
    std::optional<std::string_view> value() const {
      if (valueSize_ == kDeleted) return std::nullopt;
      return std::string_view(value_, valueSize_);
    }
    // Erased by eraseBefore: only a place in the order (if that was in use) still finds it.
    bool erased() const { return erased_; }

   private:
    friend class PendingWrites;
    static constexpr uint32_t kDeleted = UINT32_MAX;
    const char* keyBytes() const { return reinterpret_cast<const char*>(this + 1); }
    char* value_ = nullptr;         // valueCapacity_ bytes in the arena
    Write* samePrefix_ = nullptr;   // the next write in its prefix's chain (order means nothing)
    uint32_t keySize_ = 0;
    uint32_t valueSize_ = kDeleted;
    uint32_t valueCapacity_ = 0;
    bool erased_ = false;  // erased from the set and the order, still in chains and unordered_
  };
  // Key order: each key (viewing the record's bytes) and its write.
  using Order = std::map<std::string_view, const Write*>;
  // The writes of one read, in key order.
  using Run = std::vector<std::pair<std::string_view, const Write*>>;

  // prefixBytes > 0: keys with at least that many bytes are also found by their prefix.
  // keysWrittenOnce: the caller never puts a key twice between clear()s.
  explicit PendingWrites(size_t prefixBytes = 0, bool keysWrittenOnce = false);
  ~PendingWrites();
  PendingWrites(const PendingWrites&) = delete;
  PendingWrites& operator=(const PendingWrites&) = delete;

  const Write* find(std::string_view key) {
    if (!keysIndexed_) indexKeys();
    auto it = table_.find(key);
    return it == table_.end() ? nullptr : *it;
  }
  // Sets key's pending write: value, or a delete if value is nullopt.
  void put(std::string_view key, std::optional<std::string_view> value);
  // Erases the writes of every key before `to` (their records stay until clear()).
  // orderInUse: iterators of ordered() are open, and must stay valid: the erased writes
  // keep their places in the order, marked erased(), and a key written again takes its
  // old place. Otherwise they leave the order, with any left there before.
  void eraseBefore(std::string_view to, bool orderInUse = false);
  // Drops every write and frees the arena.
  void clear();

  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  // The memory the writes hold: the arena (erased and overwritten bytes too) and their
  // slots in the hash set, the order and the prefix index. 0 when empty, though the hash
  // set keeps its room. What statestore.uncommitted.max.bytes bounds.
  size_t bytes() const;
  // The key and value bytes of the writes, as a RocksDB write batch will hold them.
  size_t dataBytes() const { return dataBytes_; }

  // Whether every key in [from, to] shares one prefix that collectWithinPrefix can find.
  bool withinOnePrefix(std::string_view from, std::string_view to) const {
    return withinOneKeyPrefix(from, to, prefixBytes_);
  }
  // The writes with keys in [from, to], in key order; withinOnePrefix(from, to) must hold.
  Run collectWithinPrefix(std::string_view from, std::string_view to);
  // The writes in key order (puts the keys written since the last call in order first),
  // and erased ones that keep their places (see eraseBefore).
  const Order& ordered();
  // fn(std::string_view key, std::optional<std::string_view> value) for each write, in key
  // order, without building the order if it is not there.
  template <class Fn>
  void forEachInOrder(Fn&& fn) {
    for (const Write* w : inKeyOrder()) fn(w->key(), w->value());
  }

 private:
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return hashKeyBytes(key); }
    size_t operator()(const Write* w) const { return hashKeyBytes(w->key()); }
  };
  struct KeyEq {
    using is_transparent = void;
    static std::string_view keyOf(std::string_view key) { return key; }
    static std::string_view keyOf(const Write* w) { return w->key(); }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return keyOf(a) == keyOf(b); }
  };

  char* allocate(size_t bytes);
  // A record for a key not written yet, in unordered_ and all_, and chained by prefix if
  // that index is kept.
  Write* newWrite(std::string_view key, size_t valueBytes);
  void setValue(Write& w, std::optional<std::string_view> value);
  // The first read by whole key of a store whose keys are written once: from now on, keys
  // are hashed as they come.
  void indexKeys();
  template <class Fn>
  void forEachLive(Fn&& fn) {
    if (!keysWrittenOnce_) {
      for (Write* w : table_) fn(w);
      return;
    }
    for (Write* w : all_)
      if (!w->erased_) fn(w);
  }
  void indexByPrefix(Write* w);
  std::vector<const Write*> inKeyOrder();

  size_t prefixBytes_;
  // Whether byPrefix_ is kept: only once a read by prefix asked for it.
  bool prefixIndexed_ = false;
  // Whether table_ is kept: always, unless keys are written once and no read by whole key
  // asked for it yet.
  bool keysIndexed_ = true;
  const bool keysWrittenOnce_;
  size_t live_ = 0;  // writes not erased
  absl::flat_hash_set<Write*, KeyHash, KeyEq> table_;
  // With keysWrittenOnce_: every record since clear(), erased ones too (marked).
  std::vector<Write*> all_;
  // Each indexed prefix to the last write chained to it.
  absl::flat_hash_map<std::string_view, Write*, KeyHash, KeyEq> byPrefix_;
  Order order_;
  size_t erasedInOrder_ = 0;  // erased writes keeping their places in order_
  std::vector<Write*> unordered_;  // written since order_ was last brought up to date
  // The arena's blocks (see pending_writes.cc), freed at clear().
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* free_ = nullptr;
  size_t freeBytes_ = 0;
  size_t arenaBytes_ = 0;  // of all blocks
  size_t dataBytes_ = 0;
};

}  // namespace kstreams::internal
