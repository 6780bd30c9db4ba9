#include "state/caching_store.h"

#include <vector>

#include "state/overlay_iterator.h"

namespace kstreams::internal {
namespace {

// Counts itself in the cache's open-iterator count while it lives.
class CountedIterator final : public BytesIterator {
 public:
  CountedIterator(std::unique_ptr<BytesIterator> inner, std::shared_ptr<int> count)
      : inner_(std::move(inner)), count_(std::move(count)) {
    ++*count_;
  }
  ~CountedIterator() override { --*count_; }
  bool valid() const override { return inner_->valid(); }
  std::string_view key() const override { return inner_->key(); }
  std::string_view value() const override { return inner_->value(); }
  void next() override { inner_->next(); }

 private:
  std::unique_ptr<BytesIterator> inner_;
  std::shared_ptr<int> count_;
};

}  // namespace

CachingStore::CachingStore(std::unique_ptr<KeyValueBytesStore> inner, CacheBudget& budget)
    : inner_(std::move(inner)), budget_(budget) {}

CachingStore::~CachingStore() { charge(-bytes_); }

int64_t CachingStore::sizeOf(std::string_view key, const std::optional<std::string>& value) {
  constexpr int64_t kEntryOverhead = 96;  // map node, list node, entry fields
  return static_cast<int64_t>(key.size() + (value ? value->size() : 0)) + kEntryOverhead;
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
}

CachingStore::Map::iterator CachingStore::insert(std::string_view key) {
  auto [it, inserted] = entries_.try_emplace(std::string(key));
  if (inserted) {
    lru_.push_back(it->first);
    it->second.lru = std::prev(lru_.end());
    charge(sizeOf(it->first, std::nullopt));
  }
  return it;
}

std::optional<std::string> CachingStore::get(std::string_view key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    touch(it->second);
    return it->second.value;
  }
  std::optional<std::string> value = inner_->get(key);
  if (value) {
    auto entry = insert(key);
    entry->second.value = value;
    charge(static_cast<int64_t>(value->size()));
    evictWhileOverBudget();
  }
  return value;
}

void CachingStore::put(std::string_view key, std::optional<std::string_view> value, int64_t timestamp) {
  auto it = insert(key);
  Entry& e = it->second;
  charge(-static_cast<int64_t>(e.value ? e.value->size() : 0));
  if (value) e.value = std::string(*value);
  else e.value.reset();
  charge(static_cast<int64_t>(e.value ? e.value->size() : 0));
  markDirty(e, it->first);
  e.timestamp = timestamp;
  touch(e);
  evictWhileOverBudget();
}

void CachingStore::writeDown(const std::string& key, Entry& e) {
  if (!e.dirty) return;
  markClean(e);
  std::optional<std::string> old = listener_ ? inner_->get(key) : std::nullopt;
  inner_->put(key, e.value ? std::optional<std::string_view>(*e.value) : std::nullopt, e.timestamp);
  if (listener_ && (e.value || old)) {
    // Copies: the listener may write to this cache again (a downstream processor of the same
    // store), which changes the entry.
    const std::string k = key;
    const std::optional<std::string> value = e.value;
    listener_(k, value ? std::optional<std::string_view>(*value) : std::nullopt,
              old ? std::optional<std::string_view>(*old) : std::nullopt, e.timestamp);
  }
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
      auto it = entries_.find(dirty_.front());
      writeDown(it->first, it->second);  // takes it off dirty_
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
    auto it = entries_.find(lru_.front());
    const std::string key = it->first;
    Entry e = std::move(it->second);
    charge(-sizeOf(key, e.value));
    lru_.erase(e.lru);
    if (e.dirty) *e.dirtyPos = key;  // the map's key goes now; writeDown unlinks the node
    entries_.erase(it);
    writeDown(key, e);
  }
}

std::unique_ptr<BytesIterator> CachingStore::range(std::optional<std::string_view> from,
                                                   std::optional<std::string_view> to, bool reverse) {
  auto merged = std::make_unique<OverlayIterator<Map, ValueOf>>(entries_, from, to, reverse,
                                                                inner_->range(from, to, reverse));
  return std::make_unique<CountedIterator>(std::move(merged), openIterators_);
}

void CachingStore::deleteRange(std::string_view from, std::string_view to) {
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
    if (key < from || key >= to) continue;
    auto it = entries_.find(key);
    std::optional<std::string> old = listener_ ? inner_->get(key) : std::nullopt;
    if (listener_ && (it->second.value || old))
      pending.push_back(Pending{std::string(key), it->second.value, std::move(old), it->second.timestamp});
  }
  for (auto it = entries_.lower_bound(from); it != entries_.end() && it->first < to;) {
    markClean(it->second);
    if (*openIterators_ == 0 && !writingDown_) {
      charge(-sizeOf(it->first, it->second.value));
      lru_.erase(it->second.lru);
      it = entries_.erase(it);
    } else {
      // An open iterator, or the loop writing entries down, may point at the entry: keep
      // it, as a clean tombstone.
      charge(-static_cast<int64_t>(it->second.value ? it->second.value->size() : 0));
      it->second.value.reset();
      ++it;
    }
  }
  inner_->deleteRange(from, to);
  for (const Pending& p : pending)
    listener_(p.key, p.value ? std::optional<std::string_view>(*p.value) : std::nullopt,
              p.old ? std::optional<std::string_view>(*p.old) : std::nullopt, p.timestamp);
}

void CachingStore::clear() {
  charge(-bytes_);
  entries_.clear();
  lru_.clear();
  dirty_.clear();
}

}  // namespace kstreams::internal
