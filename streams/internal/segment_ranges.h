// Reading window and session stores segment by segment: the iterators their fetches chain
// over one range per segment, and the key ranges they filter by. Internal.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "streams/internal/big_endian.h"
#include "streams/internal/bytes_store.h"

namespace kstreams::internal {

// Bytes before the key in a window or session store key: the segment and the key hash.
inline constexpr size_t kSegmentedKeyPrefixBytes = 12;

// The key bytes of a store key, given the length of what follows the key.
inline std::string_view keyBytesOf(std::string_view storeKey, size_t suffixBytes) {
  return storeKey.substr(kSegmentedKeyPrefixBytes, storeKey.size() - kSegmentedKeyPrefixBytes - suffixBytes);
}

// One range per segment from `first` to `last` (none if first > last), oldest first, or
// newest first when reverse: the order every fetch returns segments in.
template <class OpenRange>
std::vector<std::unique_ptr<BytesIterator>> rangePerSegment(int64_t first, int64_t last, bool reverse,
                                                            OpenRange open) {
  std::vector<std::unique_ptr<BytesIterator>> parts;
  for (int64_t i = 0; i <= last - first; ++i) parts.push_back(open(reverse ? last - i : first + i));
  return parts;
}

// Every entry of segments first to last, a range each, in rangePerSegment's order.
inline std::vector<std::unique_ptr<BytesIterator>> wholeSegmentRanges(KeyValueBytesStore& store, int64_t first,
                                                                      int64_t last, bool reverse) {
  return rangePerSegment(first, last, reverse, [&](int64_t segment) {
    std::string from, to;
    appendInt64(from, segment);
    appendInt64(to, segment + 1);
    return store.range(from, to, reverse);
  });
}

// Iterates several ranges one after another, keeping the entries a filter accepts.
class FilteredChain final : public BytesIterator {
 public:
  using Filter = std::function<bool(std::string_view key)>;
  FilteredChain(std::vector<std::unique_ptr<BytesIterator>> parts, Filter filter)
      : parts_(std::move(parts)), filter_(std::move(filter)) {
    settle();
  }
  bool valid() const override { return index_ < parts_.size(); }
  std::string_view key() const override { return parts_[index_]->key(); }
  std::string_view value() const override { return parts_[index_]->value(); }
  void next() override {
    parts_[index_]->next();
    settle();
  }

 private:
  void settle() {
    while (index_ < parts_.size()) {
      auto& p = parts_[index_];
      while (p->valid() && !filter_(p->key())) p->next();
      if (p->valid()) return;
      ++index_;
    }
  }
  std::vector<std::unique_ptr<BytesIterator>> parts_;
  Filter filter_;
  size_t index_ = 0;
};

// The serialized bounds of a key range (fetch(keyFrom, keyTo, ...) and findSessions of a key
// range); a bound left out leaves that end open. Keys compare as their serialized bytes do,
// as everywhere in the stores.
struct KeyBytesRange {
  std::optional<std::string> from, to;

  // from after to: the range holds no key (Kafka Streams returns an empty iterator too).
  bool empty() const { return from && to && *from > *to; }
  bool contains(std::string_view key) const { return (!from || key >= *from) && (!to || key <= *to); }
};

// Iterates several ranges one after another, each a whole segment, keeping the entries a
// filter accepts and returning each range's in key order: by key bytes, then by what follows
// the key (the window start, or the session end and start), descending when reverse.
//
// Within a segment the store orders keys by their hash (the bloom filters' prefix), so the
// key order costs a sort: each range's accepted entries are copied and sorted when the
// iteration reaches it, and one range's are held at a time.
class KeyOrderedSegments final : public BytesIterator {
 public:
  using Filter = std::function<bool(std::string_view key)>;
  KeyOrderedSegments(std::vector<std::unique_ptr<BytesIterator>> parts, Filter filter, size_t suffixBytes,
                     bool reverse)
      : parts_(std::move(parts)), filter_(std::move(filter)), suffixBytes_(suffixBytes), reverse_(reverse) {
    settle();
  }
  bool valid() const override { return at_ < entries_.size(); }
  std::string_view key() const override { return entries_[at_].first; }
  std::string_view value() const override { return entries_[at_].second; }
  void next() override {
    ++at_;
    settle();
  }

 private:
  // Loads the next range holding accepted entries once the current one is done.
  void settle() {
    while (at_ >= entries_.size() && next_ < parts_.size()) {
      entries_.clear();
      at_ = 0;
      std::unique_ptr<BytesIterator> part = std::move(parts_[next_++]);
      for (; part->valid(); part->next())
        if (filter_(part->key())) entries_.emplace_back(part->key(), part->value());
      const auto before = [this](const Entry& a, const Entry& b) {
        const std::string_view ka = keyBytesOf(a.first, suffixBytes_), kb = keyBytesOf(b.first, suffixBytes_);
        if (ka != kb) return ka < kb;
        return std::string_view(a.first).substr(a.first.size() - suffixBytes_) <
               std::string_view(b.first).substr(b.first.size() - suffixBytes_);
      };
      if (reverse_) std::sort(entries_.begin(), entries_.end(), [&](const Entry& a, const Entry& b) { return before(b, a); });
      else std::sort(entries_.begin(), entries_.end(), before);
    }
  }

  using Entry = std::pair<std::string, std::string>;
  std::vector<std::unique_ptr<BytesIterator>> parts_;
  Filter filter_;
  size_t suffixBytes_;
  bool reverse_;
  size_t next_ = 0;  // the next range to load
  std::vector<Entry> entries_;  // the current range's accepted entries, in order
  size_t at_ = 0;
};

}  // namespace kstreams::internal
