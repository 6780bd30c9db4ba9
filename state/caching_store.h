// CachingStore: the record cache in front of a store. Writes stay in the cache until the
// task commits or the cache needs room; then the latest value of each key is written down
// once, and the flush listener is told (an aggregation forwards its result there). So an
// aggregate forwards and changelogs its latest value, not every intermediate one.
//
// The caches of one stream thread share a budget (statestore.cache.max.bytes divided among
// the threads). When the thread is over it, a cache writes down its least recently used
// entries. Internal.
#pragma once

#include <list>
#include <memory>
#include <string>

#include "state/indexed_map.h"
#include "streams/internal/bytes_store.h"

namespace kstreams::internal {

// The bytes the caches of one thread may hold together.
struct CacheBudget {
  int64_t maxBytes = 0;
  int64_t usedBytes = 0;
};

class CachingStore final : public KeyValueBytesStore {
 public:
  CachingStore(std::unique_ptr<KeyValueBytesStore> inner, CacheBudget& budget);
  ~CachingStore() override;

  const std::string& name() const override { return inner_->name(); }
  bool persistent() const override { return inner_->persistent(); }
  // Writes every dirty entry down, oldest first, telling the flush listener about each.
  void flush() override;
  std::optional<std::string> get(std::string_view key) override;
  void put(std::string_view key, std::optional<std::string_view> value, int64_t timestamp) override;
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override;
  int64_t approximateNumEntries() override { return inner_->approximateNumEntries(); }
  // Forgets cached entries before `to` (expired: never written down) and drops them below.
  void deleteBefore(std::string_view to) override;
  bool cachingEnabled() const override { return true; }
  void setFlushListener(CacheFlushListener listener, bool sendOldValues) override {
    listener_ = std::move(listener);
    sendOldValues_ = sendOldValues;
  }
  // Forgets everything cached, dirty entries included (after an aborted transaction).
  void clear();

 private:
  struct Entry {
    std::optional<std::string> value;  // nullopt: deleted
    // While dirty: the value the store below holds, if belowKnown (the old value a flush
    // forwards, so that writing down does not have to read it back).
    std::optional<std::string> below;
    bool belowKnown = false;
    bool dirty = false;
    int64_t timestamp = 0;
    std::list<std::string_view>::iterator lru;  // position in lru_, which views the map's key
    std::list<std::string_view>::iterator dirtyPos;  // position in dirty_, while dirty
  };
  using Map = IndexedMap<Entry>;
  struct ValueOf {
    const std::optional<std::string>& operator()(const Entry& e) const { return e.value; }
  };

  // The entry of key, and whether it is new.
  std::pair<Map::Found, bool> insert(std::string_view key);
  void touch(Entry& entry);
  void markDirty(Entry& entry, std::string_view key);
  void markClean(Entry& entry);
  // The value the store below holds for a dirty entry: kept by the entry (and given up by
  // it) when known, read from below otherwise.
  std::optional<std::string> takeValueBelow(std::string_view key, Entry& entry);
  // The old value to tell the listener about when a dirty entry is written down: none
  // without a listener, or for an update when old values are not sent. A delete always
  // gets it: deleting a key the store below lacks changes nothing, and is not forwarded.
  std::optional<std::string> oldValueToForward(std::string_view key, Entry& entry);
  // Writes a dirty entry to the inner store and tells the flush listener. The listener may
  // read and write this cache (and, through a join, another cache that calls back here).
  // inCache: the entry is still in the cache (a flush), so the listener gets copies; an
  // evicted entry is out of the listener's reach.
  void writeDown(std::string_view key, Entry& entry, bool inCache);
  void evictWhileOverBudget();
  void charge(int64_t bytes);
  static int64_t bytesOf(const std::optional<std::string>& value);
  // What an entry costs, apart from its `below` (charged separately while dirty).
  static int64_t sizeOf(std::string_view key, const std::optional<std::string>& value);

  std::unique_ptr<KeyValueBytesStore> inner_;
  CacheBudget& budget_;
  Map entries_;
  std::list<std::string_view> lru_;  // least recently used first
  // The dirty entries, least recently written first: a flush visits only these (a commit
  // every 100 ms under exactly-once must not walk the whole cache).
  std::list<std::string_view> dirty_;
  int64_t bytes_ = 0;
  // A flush or an eviction is writing entries down: eviction waits (entries must not vanish
  // under the loop that writes them), so re-entrant reads through the listener are safe.
  bool writingDown_ = false;
  CacheFlushListener listener_;
  bool sendOldValues_ = true;
  // The key the last look-up found absent below, until anything is written down: an
  // aggregation reads a row and then writes it, and the write's new entry then knows that
  // nothing is below it.
  std::string lastAbsent_;
  bool lastAbsentValid_ = false;
  // Open iterators view entries_: eviction waits while any is open.
  std::shared_ptr<int> openIterators_ = std::make_shared<int>(0);
};

}  // namespace kstreams::internal
