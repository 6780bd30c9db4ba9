#include "state/caching_store.h"

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
  e.dirty = true;
  e.timestamp = timestamp;
  touch(e);
  evictWhileOverBudget();
}

void CachingStore::writeDown(Map::iterator it) {
  Entry& e = it->second;
  if (!e.dirty) return;
  e.dirty = false;
  std::optional<std::string> old = listener_ ? inner_->get(it->first) : std::nullopt;
  inner_->put(it->first, e.value ? std::optional<std::string_view>(*e.value) : std::nullopt, e.timestamp);
  if (listener_ && (e.value || old)) {
    // Copies: the listener may write to this cache again (a downstream processor of the same
    // store), which may move entries.
    std::string key = it->first;
    std::optional<std::string> value = e.value;
    listener_(key, value ? std::optional<std::string_view>(*value) : std::nullopt,
              old ? std::optional<std::string_view>(*old) : std::nullopt, e.timestamp);
  }
}

void CachingStore::flush() {
  // Oldest first, as the entries were written. Writing down never removes entries.
  for (auto key = lru_.begin(); key != lru_.end(); ++key) {
    auto it = entries_.find(*key);
    if (it != entries_.end()) writeDown(it);
  }
  inner_->flush();
}

void CachingStore::evictWhileOverBudget() {
  while (budget_.usedBytes > budget_.maxBytes && !lru_.empty() && *openIterators_ == 0) {
    auto it = entries_.find(lru_.front());
    writeDown(it);
    charge(-sizeOf(it->first, it->second.value));
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
}

std::unique_ptr<BytesIterator> CachingStore::range(std::optional<std::string_view> from,
                                                   std::optional<std::string_view> to, bool reverse) {
  auto merged = std::make_unique<OverlayIterator<Map, ValueOf>>(entries_, from, to, reverse,
                                                                inner_->range(from, to, reverse));
  return std::make_unique<CountedIterator>(std::move(merged), openIterators_);
}

void CachingStore::deleteRange(std::string_view from, std::string_view to) {
  if (*openIterators_ == 0) {
    for (auto it = entries_.lower_bound(from); it != entries_.end() && it->first < to;) {
      charge(-sizeOf(it->first, it->second.value));
      lru_.erase(it->second.lru);
      it = entries_.erase(it);
    }
  }
  inner_->deleteRange(from, to);
}

void CachingStore::clear() {
  charge(-bytes_);
  entries_.clear();
  lru_.clear();
}

}  // namespace kstreams::internal
