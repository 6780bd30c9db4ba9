#include "state/in_memory_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace kstreams::internal {
namespace {

struct Committed {
  std::string name;
  // The stream thread writes under a unique lock at commit; queries read under a shared one.
  mutable std::shared_mutex mutex;
  std::map<std::string, std::string, std::less<>> entries;
};

// Entries copied out under the lock, so the iterator needs no lock while it lives.
class SnapshotIterator final : public BytesIterator {
 public:
  explicit SnapshotIterator(std::vector<std::pair<std::string, std::string>> entries) : entries_(std::move(entries)) {}
  bool valid() const override { return pos_ < entries_.size(); }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  void next() override { ++pos_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
  size_t pos_ = 0;
};

std::unique_ptr<BytesIterator> snapshot(const Committed& c, std::optional<std::string_view> from,
                                        std::optional<std::string_view> to, bool reverse) {
  std::vector<std::pair<std::string, std::string>> out;
  std::shared_lock lock(c.mutex);
  auto begin = from ? c.entries.lower_bound(*from) : c.entries.begin();
  auto end = to ? c.entries.upper_bound(*to) : c.entries.end();
  if (from && to && *from > *to) end = begin;
  for (auto it = begin; it != end; ++it) out.emplace_back(it->first, it->second);
  if (reverse) std::reverse(out.begin(), out.end());
  return std::make_unique<SnapshotIterator>(std::move(out));
}

std::optional<std::string> lookup(const Committed& c, std::string_view key) {
  std::shared_lock lock(c.mutex);
  auto it = c.entries.find(key);
  if (it == c.entries.end()) return std::nullopt;
  return it->second;
}

class InMemoryReader final : public KeyValueBytesStore {
 public:
  explicit InMemoryReader(std::shared_ptr<Committed> committed) : committed_(std::move(committed)) {}
  const std::string& name() const override { return committed_->name; }
  bool persistent() const override { return false; }
  void flush() override {}
  std::optional<std::string> get(std::string_view key) override { return lookup(*committed_, key); }
  void put(std::string_view, std::optional<std::string_view>, int64_t) override {
    throw InvalidStateStoreException("store " + committed_->name + " is read-only here");
  }
  void deleteBefore(std::string_view) override {
    throw InvalidStateStoreException("store " + committed_->name + " is read-only here");
  }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override {
    return snapshot(*committed_, from, to, reverse);
  }
  int64_t approximateNumEntries() override {
    std::shared_lock lock(committed_->mutex);
    return static_cast<int64_t>(committed_->entries.size());
  }

 private:
  std::shared_ptr<Committed> committed_;
};

class InMemoryStore final : public LocalStore {
 public:
  InMemoryStore(const std::string& name, size_t keyPrefixBytes, bool keysWrittenOnce)
      : LocalStore(keyPrefixBytes, keysWrittenOnce), committed_(std::make_shared<Committed>()) {
    committed_->name = name;
  }
  const std::string& name() const override { return committed_->name; }
  bool persistent() const override { return false; }
  void flush() override {}
  int64_t approximateNumEntries() override {
    return static_cast<int64_t>(committed_->entries.size() + pending_.size());
  }
  std::optional<int64_t> checkpoint() const override { return checkpoint_; }

  void commit(std::optional<int64_t> changelogOffset) override {
    {
      std::unique_lock lock(committed_->mutex);
      if (pendingDeleteBefore_)
        committed_->entries.erase(committed_->entries.begin(), committed_->entries.lower_bound(*pendingDeleteBefore_));
      pending_.forEachInOrder([&](std::string_view key, std::optional<std::string_view> value) {
        if (value) committed_->entries.insert_or_assign(std::string(key), std::string(*value));
        else if (auto it = committed_->entries.find(key); it != committed_->entries.end()) committed_->entries.erase(it);
      });
    }
    if (changelogOffset) checkpoint_ = changelogOffset;
    abort();
  }
  void restore(const std::vector<ChangelogRecord>& records, int64_t lastOffset) override {
    std::unique_lock lock(committed_->mutex);
    for (const auto& r : records) {
      if (r.value) committed_->entries.insert_or_assign(r.key, *r.value);
      else committed_->entries.erase(r.key);
    }
    checkpoint_ = lastOffset;
  }
  void wipe() override {
    abort();
    std::unique_lock lock(committed_->mutex);
    committed_->entries.clear();
    checkpoint_.reset();
  }
  std::shared_ptr<KeyValueBytesStore> committedReader() override { return std::make_shared<InMemoryReader>(committed_); }

 protected:
  // The stream thread is the only writer, so its own reads need no lock.
  std::optional<std::string> committedGet(std::string_view key) override {
    auto it = committed_->entries.find(key);
    if (it == committed_->entries.end()) return std::nullopt;
    return it->second;
  }
  std::unique_ptr<BytesIterator> committedRange(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                                bool reverse) override {
    return snapshot(*committed_, from, to, reverse);
  }

 private:
  std::shared_ptr<Committed> committed_;
  std::optional<int64_t> checkpoint_;
};

}  // namespace

std::unique_ptr<LocalStore> openInMemoryStore(const std::string& name, size_t keyPrefixBytes, bool keysWrittenOnce) {
  return std::make_unique<InMemoryStore>(name, keyPrefixBytes, keysWrittenOnce);
}

}  // namespace kstreams::internal
