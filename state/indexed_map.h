// IndexedMap: a map from string keys, found by hash, that is put in key order only when
// someone asks for the order. Stores look up and write single keys on every record (an
// aggregation reads and writes its row), and walk key order only for range queries; in a
// std::map each of those look-ups and inserts walked a tree of hundreds of thousands of
// keys with a cache miss at each level. Here a store that is never range-queried never
// builds the order, and one that is pays the tree insert once per key, when it first asks.
// Internal.
//
// Entries do not move: a key's bytes and its Entry stay where they are until the entry is
// erased (the record cache's lists view the keys). Iterators of the order stay valid until
// their entry is erased, as with std::map; keys added while one is open join the order at
// the next call of ordered().
//
// A map made with a key prefix length also finds the keys of one prefix by hash: window and
// session stores read one key's windows (keys sharing a prefix, see segmented_stores.h) on
// every record of a join, and ordering every key for that cost as much as the reads. That
// index, too, is built only when first asked for.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>

#include "state/key_order.h"

namespace kstreams::internal {

// Whether every key in [from, to] begins with the same prefixBytes bytes (prefixBytes > 0).
// A key shorter than that cannot lie between two keys that begin with one prefix.
inline bool withinOneKeyPrefix(std::string_view from, std::string_view to, size_t prefixBytes) {
  return prefixBytes > 0 && from.size() >= prefixBytes && to.size() >= prefixBytes &&
         from.substr(0, prefixBytes) == to.substr(0, prefixBytes);
}

// XXH3 of the bytes. absl::Hash<std::string_view> falls back to std::hash here (Debian's
// Abseil has its own string_view type), and that and Abseil's own string hash each cost
// several times as much for keys of a few dozen bytes.
size_t hashKeyBytes(std::string_view key);

template <class Entry>
class IndexedMap {
 public:
  // Key order: each key views the bytes the map owns, and maps to its entry.
  using Order = std::map<std::string_view, Entry*>;
  // One entry as found: the key (owned by the map) and its entry.
  struct Found {
    std::string_view key;
    Entry* entry = nullptr;
    explicit operator bool() const { return entry != nullptr; }
  };

  // What an entry costs beyond its key's bytes and sizeof(Entry): the node (string header,
  // bookkeeping, allocator header, prefix chain), its hash slot, and its node in the order
  // once ordered.
  static constexpr size_t kOverheadPerEntry = 32 + 16 + 16 + 16 + 10 + 72;
  // Entries of one read, in key order.
  using Run = std::vector<std::pair<std::string_view, Entry*>>;

  // prefixBytes > 0: keys with at least that many bytes are also found by their prefix.
  explicit IndexedMap(size_t prefixBytes = 0) : prefixBytes_(prefixBytes) {}
  IndexedMap(const IndexedMap&) = delete;
  IndexedMap& operator=(const IndexedMap&) = delete;

  // Whether every key in [from, to] shares one prefix that collectWithinPrefix can find.
  bool withinOnePrefix(std::string_view from, std::string_view to) const {
    return withinOneKeyPrefix(from, to, prefixBytes_);
  }
  // The entries with keys in [from, to], in key order; withinOnePrefix(from, to) must hold.
  Run collectWithinPrefix(std::string_view from, std::string_view to) {
    if (!prefixIndexed_) {  // the first read by prefix: from now on, keys are indexed as they come
      prefixIndexed_ = true;
      for (Value& v : table_)
        if (indexed(v.first)) link(&v);
    }
    Run run;
    auto head = byPrefix_.find(from.substr(0, prefixBytes_));
    if (head == byPrefix_.end()) return run;
    for (Value* v = head->second; v; v = v->second.samePrefix) {
      const std::string_view key = v->first;
      if (key >= from && key <= to) run.emplace_back(key, &v->second.entry);
    }
    std::sort(run.begin(), run.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return run;
  }

  Found find(std::string_view key) {
    auto it = table_.find(key);
    if (it == table_.end()) return {};
    return {it->first, &it->second.entry};
  }
  // The entry of key, default-constructed (and true) if it was not there.
  std::pair<Found, bool> try_emplace(std::string_view key) {
    auto [it, inserted] = table_.try_emplace(key);
    Slot& slot = it->second;
    if (inserted) {
      slot.unorderedIndex = unordered_.size();
      unordered_.push_back(&*it);
      if (indexed(key)) link(&*it);
    }
    return {Found{it->first, &slot.entry}, inserted};
  }
  void erase(std::string_view key) {
    auto it = table_.find(key);
    if (it == table_.end()) return;
    forget(it->second);
    if (indexed(key)) unlink(&*it);
    table_.erase(it);
  }
  // Erases the entry at pos of the order; returns the next position.
  typename Order::iterator erase(typename Order::iterator pos) {
    auto next = std::next(pos);
    erase(pos->first);
    return next;
  }
  // Keeps room for as many entries as there were: a store's writes fill the map again to
  // about its size by the next commit, and growing it back rehashed every entry at each
  // doubling (Abseil frees a large table's slots on clear).
  void clear() {
    const size_t entries = table_.size(), prefixes = byPrefix_.size();
    byPrefix_.clear();
    order_.clear();
    unordered_.clear();
    table_.clear();
    table_.reserve(entries);
    byPrefix_.reserve(prefixes);
  }
  size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }

  // Every entry in key order, without building the order if it is not there: sorting the
  // entries once is cheaper than inserting each into a tree. fn(std::string_view key, Entry&).
  template <class Fn>
  void forEachInOrder(Fn&& fn) {
    if (unordered_.empty()) {
      for (auto& [key, entry] : order_) fn(key, *entry);
      return;
    }
    std::vector<Value*> all;
    all.reserve(table_.size());
    for (auto& value : table_) all.push_back(&value);
    sortByKey(all, [](const Value& v) { return std::string_view(v.first); });
    for (Value* v : all) fn(std::string_view(v->first), v->second.entry);
  }

  // The entries in key order (puts the keys added since the last call in order first).
  Order& ordered() {
    for (Value* v : unordered_) {
      v->second.position = order_.emplace(std::string_view(v->first), &v->second.entry).first;
      v->second.unorderedIndex = kOrdered;
    }
    unordered_.clear();
    return order_;
  }

 private:
  static constexpr size_t kOrdered = SIZE_MAX;
  struct Slot {
    Entry entry;
    size_t unorderedIndex = kOrdered;  // its place in unordered_, or kOrdered
    typename Order::iterator position;  // its place in order_, once ordered
    // The neighbours in its prefix's chain (the order of the chain means nothing).
    std::pair<const std::string, Slot>* samePrefix = nullptr;
    std::pair<const std::string, Slot>* samePrefixBefore = nullptr;
  };
  // Transparent over std::string_view (Debian's Abseil has its own string_view type).
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return hashKeyBytes(key); }
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  using Table = absl::node_hash_map<std::string, Slot, KeyHash, KeyEq>;
  using Value = typename Table::value_type;

  bool indexed(std::string_view key) const { return prefixIndexed_ && key.size() >= prefixBytes_; }
  std::string_view prefixOf(const Value* v) const { return std::string_view(v->first).substr(0, prefixBytes_); }
  // Chains v to its prefix: as the head (whose key bytes byPrefix_ views) if it is the
  // first, else right after the head.
  void link(Value* v) {
    auto [head, fresh] = byPrefix_.try_emplace(prefixOf(v), v);
    if (fresh) return;
    Value* first = head->second;
    Value* next = first->second.samePrefix;
    v->second.samePrefix = next;
    v->second.samePrefixBefore = first;
    if (next) next->second.samePrefixBefore = v;
    first->second.samePrefix = v;
  }
  void unlink(Value* v) {
    Value* before = v->second.samePrefixBefore;
    Value* next = v->second.samePrefix;
    if (next) next->second.samePrefixBefore = before;
    if (before) {
      before->second.samePrefix = next;
      return;
    }
    // v is the head, whose bytes the index views: re-key it to the next key's.
    byPrefix_.erase(prefixOf(v));
    if (next) byPrefix_.emplace(prefixOf(next), next);
  }

  void forget(Slot& slot) {
    if (slot.unorderedIndex == kOrdered) {
      order_.erase(slot.position);
      return;
    }
    // Swap-remove from the keys not yet ordered.
    Value* last = unordered_.back();
    unordered_[slot.unorderedIndex] = last;
    last->second.unorderedIndex = slot.unorderedIndex;
    unordered_.pop_back();
  }

  size_t prefixBytes_;
  // Whether byPrefix_ is kept: only once a read by prefix asked, so that a store only
  // written (or read key by key) never pays for it.
  bool prefixIndexed_ = false;
  Table table_;  // nodes do not move: keys and entries stay put
  // Each indexed prefix to the first of its keys; the rest are chained by Slot::samePrefix.
  absl::flat_hash_map<std::string_view, Value*, KeyHash, KeyEq> byPrefix_;
  Order order_;
  std::vector<Value*> unordered_;  // keys not in order_ yet
};

}  // namespace kstreams::internal
