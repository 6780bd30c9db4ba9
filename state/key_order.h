// Sorting many keys that live in separate heap blocks into byte order. Internal.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "streams/internal/big_endian.h"

namespace kstreams::internal {

// items in the byte order of their keys; keyOf(const T&) -> std::string_view.
//
// Each item is sorted by its key's first 16 bytes, held next to a pointer to it; whole keys
// are compared only where those tie. Comparing through the items' own blocks missed the
// cache once or twice per comparison, which made the sort a third of a large commit.
template <class T, class KeyOf>
void sortByKey(std::vector<T*>& items, KeyOf keyOf) {
  // A key's first 16 bytes as two big-endian numbers, zero-padded: where they differ, they
  // order the keys as their bytes do (a key that ends inside them is a prefix of the other
  // and pads with zeros, which sort first).
  struct SortKey {
    uint64_t high, low;
    T* item;
  };
  std::vector<SortKey> keys;
  keys.reserve(items.size());
  for (T* item : items) {
    const std::string_view key = keyOf(*item);
    char bytes[16] = {};
    std::memcpy(bytes, key.data(), std::min<size_t>(key.size(), sizeof bytes));
    keys.push_back({readBigEndian<uint64_t>(bytes), readBigEndian<uint64_t>(bytes + 8), item});
  }
  std::sort(keys.begin(), keys.end(), [&](const SortKey& a, const SortKey& b) {
    if (a.high != b.high) return a.high < b.high;
    if (a.low != b.low) return a.low < b.low;
    return keyOf(*a.item) < keyOf(*b.item);
  });
  for (size_t i = 0; i < keys.size(); ++i) items[i] = keys[i].item;
}

}  // namespace kstreams::internal
