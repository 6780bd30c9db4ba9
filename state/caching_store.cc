#include "state/caching_store.h"

#include <utility>
#include <vector>

#include "state/counted_iterator.h"
#include "state/overlay_iterator.h"

namespace kstreams::internal {

CachingStore::CachingStore(std::unique_ptr<KeyValueBytesStore> inner, CacheBudget& budget)
    : inner_(std::move(inner)), budget_(budget) {}

CachingStore::~CachingStore() { charge(-bytes_); }

int64_t CachingStore::bytesOf(const std::optional<std::string>& value) {
  return value ? static_cast<int64_t>(value->size()) : 0;
}

int64_t CachingStore::sizeOf(std::string_view key, const std::optional<std::string>& value) {
  // The map's own, the entry, its nodes in lru_ and dirty_ (links, view, allocator header).
  constexpr int64_t kEntryOverhead = Map::kOverheadPerEntry + sizeof(Entry) + 2 * 48;
  return static_cast<int64_t>(key.size()) + bytesOf(value) + kEntryOverhead;
}

void CachingStore::charge(int64_t bytes) {
  bytes_ += bytes;
  budget_.usedBytes += bytes;
}

void CachingStore::touch(Entry& entry) { lru_.splice(lru_.end(), lru_, entry.lru); }

void CachingStore::markDirty(Entry& entry, std::string_view key) {
  if (entry.dirty) {
    dirty_.splice(dirty_.end(), dirty_, entry.dirtyPos);
  } else {
    entry.dirty = true;
    entry.dirtyPos = dirty_.insert(dirty_.end(), key);
  }
}

void CachingStore::markClean(Entry& entry) {
  if (!entry.dirty) return;
  entry.dirty = false;
  dirty_.erase(entry.dirtyPos);
  charge(-bytesOf(entry.below));
  entry.below.reset();
  entry.belowKnown = false;
}

std::pair<CachingStore::Map::Found, bool> CachingStore::insert(std::string_view key) {
  auto [found, inserted] = entries_.try_emplace(key);
  if (inserted) {
    lru_.push_back(found.key);
    found.entry->lru = std::prev(lru_.end());
    charge(sizeOf(found.key, std::nullopt));
  }
  return {found, inserted};
}

std::optional<std::string> CachingStore::get(std::string_view key) {
  if (auto found = entries_.find(key)) {
    touch(*found.entry);
    return found.entry->value;
  }
  std::optional<std::string> value = inner_->get(key);
  if (!value) {
    lastAbsent_.assign(key);
    lastAbsentValid_ = true;
  } else {
    auto found = insert(key).first;
    found.entry->value = value;
    charge(bytesOf(value));
    evictWhileOverBudget();
  }
  return value;
}

void CachingStore::put(std::string_view key, std::optional<std::string_view> value, int64_t timestamp) {
  auto [found, inserted] = insert(key);
  Entry& e = *found.entry;
  if (inserted) {
    e.belowKnown = lastAbsentValid_ && key == lastAbsent_;
  } else if (!e.dirty) {
    // A clean entry holds what the store below holds: it is the old value to forward.
    e.below = std::exchange(e.value, std::nullopt);  // its bytes stay charged, as below's
    e.belowKnown = true;
  }
  charge(-bytesOf(e.value));
  if (value) e.value = std::string(*value);
  else e.value.reset();
  charge(bytesOf(e.value));
  markDirty(e, found.key);
  e.timestamp = timestamp;
  touch(e);
  evictWhileOverBudget();
}

std::optional<std::string> CachingStore::takeValueBelow(std::string_view key, Entry& e) {
  if (!e.belowKnown) return inner_->get(key);
  charge(-bytesOf(e.below));
  e.belowKnown = false;
  return std::exchange(e.below, std::nullopt);
}

std::optional<std::string> CachingStore::oldValueToForward(std::string_view key, Entry& e) {
  if (!listener_ || (!sendOldValues_ && e.value)) return std::nullopt;
  return takeValueBelow(key, e);
}

void CachingStore::writeDown(std::string_view key, Entry& e, bool inCache) {
  if (!e.dirty) return;
  lastAbsentValid_ = false;  // key may be the one last found absent: it is not any more
  std::optional<std::string> old = oldValueToForward(key, e);
  markClean(e);
  inner_->put(key, e.value ? std::optional<std::string_view>(*e.value) : std::nullopt, e.timestamp);
  if (!listener_ || (!e.value && !old)) return;
  const auto view = [](const std::optional<std::string>& v) {
    return v ? std::optional<std::string_view>(*v) : std::nullopt;
  };
  if (!inCache) {
    listener_(key, view(e.value), view(old), e.timestamp);
    return;
  }
  // Copies: the listener may write to this cache again (a downstream processor of the same
  // store), which changes the entry.
  const std::string k(key);
  const std::optional<std::string> value = e.value;
  listener_(k, view(value), view(old), e.timestamp);
}

namespace {
struct Flag {
  explicit Flag(bool& f) : f_(f) { f_ = true; }
  ~Flag() { f_ = false; }
  bool& f_;
};
}  // namespace

void CachingStore::flush() {
  {
    Flag busy(writingDown_);
    // Oldest first, as the entries were written. Nothing is erased meanwhile (eviction
    // waits); entries the listener writes go to the end of dirty_, to be written too.
    while (!dirty_.empty()) {
      auto found = entries_.find(dirty_.front());
      writeDown(found.key, *found.entry, true);  // takes it off dirty_
    }
  }
  inner_->flush();
  evictWhileOverBudget();
}

void CachingStore::evictWhileOverBudget() {
  if (writingDown_) return;  // the outer flush or eviction evicts when it is done
  Flag busy(writingDown_);
  while (budget_.usedBytes > budget_.maxBytes && !lru_.empty() && *openIterators_ == 0) {
    // Taken out of the cache before it is written down, so that what the listener does to
    // this cache cannot touch it.
    const std::string key(lru_.front());
    Entry e = std::move(*entries_.find(key).entry);
    charge(-sizeOf(key, e.value));
    lru_.erase(e.lru);
    if (e.dirty) *e.dirtyPos = key;  // the map's key goes now; writeDown unlinks the node
    entries_.erase(key);
    writeDown(key, e, false);
  }
}

std::unique_ptr<BytesIterator> CachingStore::range(std::optional<std::string_view> from,
                                                   std::optional<std::string_view> to, bool reverse) {
  auto merged = std::make_unique<OverlayIterator<Map::Order::const_iterator, ValueOf>>(
      entriesBetween(entries_.ordered(), from, to), reverse, inner_->range(from, to, reverse));
  return std::make_unique<CountedIterator<std::unique_ptr<BytesIterator>>>(openIterators_, std::move(merged));
}

void CachingStore::deleteBefore(std::string_view to) {
  // Dropping a range (expired window segments) must not swallow updates not yet written
  // down: downstream still gets them, in the order they were written, as Kafka Streams
  // forwards a cache's dirty windows even when the store behind it has expired them.
  struct Pending {
    std::string key;
    std::optional<std::string> value, old;
    int64_t timestamp;
  };
  std::vector<Pending> pending;
  for (std::string_view key : dirty_) {
    if (key >= to) continue;
    Entry& e = *entries_.find(key).entry;
    std::optional<std::string> old = oldValueToForward(key, e);
    if (listener_ && (e.value || old)) pending.push_back(Pending{std::string(key), e.value, std::move(old), e.timestamp});
  }
  auto& order = entries_.ordered();
  for (auto it = order.begin(); it != order.end() && it->first < to;) {
    Entry& e = *it->second;
    markClean(e);
    if (*openIterators_ == 0 && !writingDown_) {
      charge(-sizeOf(it->first, e.value));
      lru_.erase(e.lru);
      it = entries_.erase(it);
    } else {
      // An open iterator, or the loop writing entries down, may point at the entry: keep
      // it, as a clean tombstone.
      charge(-bytesOf(e.value));
      e.value.reset();
      ++it;
    }
  }
  inner_->deleteBefore(to);
  for (const Pending& p : pending)
    listener_(p.key, p.value ? std::optional<std::string_view>(*p.value) : std::nullopt,
              p.old ? std::optional<std::string_view>(*p.old) : std::nullopt, p.timestamp);
}

void CachingStore::clear() {
  lastAbsentValid_ = false;  // the store below may hold the key again after an abort
  charge(-bytes_);
  entries_.clear();
  lru_.clear();
  dirty_.clear();
}

}  // namespace kstreams::internal
