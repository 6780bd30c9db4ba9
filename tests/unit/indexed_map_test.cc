#include "state/indexed_map.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace kstreams::internal {
namespace {

std::vector<std::string> keysInOrder(IndexedMap<int>& map) {
  std::vector<std::string> keys;
  for (auto& [key, entry] : map.ordered()) keys.emplace_back(key);
  return keys;
}

std::vector<std::string> keysOfForEachInOrder(IndexedMap<int>& map) {
  std::vector<std::string> keys;
  map.forEachInOrder([&](std::string_view key, int&) { keys.emplace_back(key); });
  return keys;
}

TEST(IndexedMap, FindsWhatWasPutAndKeepsEntriesInPlace) {
  IndexedMap<int> map;
  auto [a, inserted] = map.try_emplace("a");
  EXPECT_TRUE(inserted);
  *a.entry = 1;
  auto [again, insertedAgain] = map.try_emplace("a");
  EXPECT_FALSE(insertedAgain);
  EXPECT_EQ(again.entry, a.entry);
  for (int i = 0; i < 1000; ++i) *map.try_emplace("k" + std::to_string(i)).first.entry = i;
  // The table grew many times: the first entry and its key did not move.
  EXPECT_EQ(map.find("a").entry, a.entry);
  EXPECT_EQ(map.find("a").key.data(), a.key.data());
  EXPECT_EQ(*map.find("k999").entry, 999);
  EXPECT_FALSE(map.find("missing"));
  EXPECT_EQ(map.size(), 1001u);
}

TEST(IndexedMap, OrdersKeysAddedBeforeAndAfterTheOrderWasFirstAskedFor) {
  IndexedMap<int> map;
  for (const char* k : {"d", "b", "f"}) map.try_emplace(k);
  EXPECT_EQ(keysOfForEachInOrder(map), (std::vector<std::string>{"b", "d", "f"})) << "sorted without an order";
  EXPECT_EQ(keysInOrder(map), (std::vector<std::string>{"b", "d", "f"}));
  for (const char* k : {"a", "e", "c"}) map.try_emplace(k);
  EXPECT_EQ(keysInOrder(map), (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(keysOfForEachInOrder(map), (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
}

// The sort compares the first 16 bytes as numbers: keys that end inside them, zero bytes
// and keys that tie on them must still come out in byte order.
TEST(IndexedMap, WalksBinaryKeysInByteOrderWhateverTheirLengths) {
  IndexedMap<int> map;
  std::set<std::string> expected;
  std::mt19937 rng(7);
  const std::string shared(16, '\x07');  // long keys that tie on the first 16 bytes
  for (int i = 0; i < 3000; ++i) {
    std::string key(rng() % 24, '\0');
    for (auto& c : key) c = static_cast<char>(rng() % 3 == 0 ? 0 : rng() % 4 == 0 ? 0xff : rng());
    if (i % 5 == 0) key = shared + key;
    expected.insert(key);
    map.try_emplace(key);
  }
  EXPECT_EQ(keysOfForEachInOrder(map), std::vector<std::string>(expected.begin(), expected.end()));
}

TEST(IndexedMap, ErasesKeysWhetherOrderedOrNot) {
  IndexedMap<int> map;
  for (const char* k : {"a", "b", "c"}) map.try_emplace(k);
  map.ordered();
  for (const char* k : {"d", "e", "f"}) map.try_emplace(k);
  map.erase("b");  // ordered
  map.erase("d");  // not yet ordered, not last of those
  map.erase("f");  // not yet ordered, last of those
  map.erase("missing");
  EXPECT_FALSE(map.find("b"));
  EXPECT_FALSE(map.find("d"));
  EXPECT_EQ(keysInOrder(map), (std::vector<std::string>{"a", "c", "e"}));
  // Erasing through the order, as a range delete does.
  auto& order = map.ordered();
  for (auto it = order.lower_bound("b"); it != order.end() && it->first < "z";) it = map.erase(it);
  EXPECT_EQ(keysInOrder(map), (std::vector<std::string>{"a"}));
  EXPECT_EQ(map.size(), 1u);
  map.clear();
  EXPECT_TRUE(map.empty());
  map.try_emplace("z");
  EXPECT_EQ(keysInOrder(map), (std::vector<std::string>{"z"}));
}

TEST(IndexedMap, AnOrderIteratorSurvivesKeysAddedWhileItIsOpen) {
  IndexedMap<int> map;
  for (const char* k : {"a", "c"}) map.try_emplace(k);
  auto& order = map.ordered();
  auto it = order.begin();
  map.try_emplace("b");
  map.ordered();  // "b" joins the order under the open iterator
  EXPECT_EQ(it->first, "a");
  ++it;
  EXPECT_EQ(it->first, "b");
  ++it;
  EXPECT_EQ(it->first, "c");
}

std::vector<std::string> keysWithin(IndexedMap<int>& map, std::string_view from, std::string_view to) {
  std::vector<std::string> keys;
  for (auto& [key, entry] : map.collectWithinPrefix(from, to)) keys.emplace_back(key);
  return keys;
}

TEST(IndexedMap, FindsTheKeysOfOnePrefixInOrderAcrossErasesOfAnyOfThem) {
  IndexedMap<int> map(3);
  for (std::string k : {"aaa5", "bbb1", "aaa1", "aaa3", "aa", "aab1", "aaa9"}) map.try_emplace(k);
  EXPECT_TRUE(map.withinOnePrefix("aaa0", "aaa9"));
  EXPECT_FALSE(map.withinOnePrefix("aaa0", "aab9"));
  EXPECT_FALSE(map.withinOnePrefix("aa", "aa9"));
  EXPECT_EQ(keysWithin(map, "aaa0", "aaa9"), (std::vector<std::string>{"aaa1", "aaa3", "aaa5", "aaa9"}));
  EXPECT_EQ(keysWithin(map, "aaa2", "aaa5"), (std::vector<std::string>{"aaa3", "aaa5"}));
  EXPECT_EQ(keysWithin(map, "ccc0", "ccc9"), std::vector<std::string>{});
  // The first key of a prefix is the one the index views: erase it, then one in the middle.
  map.erase("aaa5");
  EXPECT_EQ(keysWithin(map, "aaa0", "aaa9"), (std::vector<std::string>{"aaa1", "aaa3", "aaa9"}));
  map.erase("aaa3");
  map.try_emplace("aaa4");
  EXPECT_EQ(keysWithin(map, "aaa0", "aaa9"), (std::vector<std::string>{"aaa1", "aaa4", "aaa9"}));
  for (std::string k : {"aaa1", "aaa4", "aaa9"}) map.erase(k);
  EXPECT_EQ(keysWithin(map, "aaa0", "aaa9"), std::vector<std::string>{});
  EXPECT_EQ(keysWithin(map, "bbb0", "bbb9"), std::vector<std::string>{"bbb1"});
  // Erasing through the order unchains too.
  auto& order = map.ordered();
  map.erase(order.find("bbb1"));
  EXPECT_EQ(keysWithin(map, "bbb0", "bbb9"), std::vector<std::string>{});
  map.clear();
  map.try_emplace("aab2");
  EXPECT_EQ(keysWithin(map, "aab0", "aab9"), std::vector<std::string>{"aab2"});
}

// The index is built at the first read by prefix: before the changes (built from the
// keys at the end) or before them (kept up to date through every insert and erase).
class PrefixIndex : public ::testing::TestWithParam<bool> {};

TEST_P(PrefixIndex, AgreesWithTheKeysAfterManyInsertsAndErases) {
  IndexedMap<int> map(2);
  if (GetParam()) {
    EXPECT_TRUE(keysWithin(map, "ax", "ax\xff").empty());
  }
  std::set<std::string> keys;
  std::mt19937 random(7);
  for (int round = 0; round < 5000; ++round) {
    std::string key = std::string(1, "abc"[random() % 3]) + "x" + std::to_string(random() % 300);
    if (random() % 3 == 0) {
      map.erase(key);
      keys.erase(key);
    } else {
      map.try_emplace(key);
      keys.insert(key);
    }
  }
  for (std::string prefix : {"ax", "bx", "cx"}) {
    std::vector<std::string> expected;
    for (const auto& k : keys)
      if (k.compare(0, 2, prefix) == 0) expected.push_back(k);
    EXPECT_EQ(keysWithin(map, prefix, prefix + "\xff"), expected) << prefix;
  }
}
INSTANTIATE_TEST_SUITE_P(IndexedMap, PrefixIndex, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "KeptUpToDate" : "BuiltAtTheEnd"; });

}  // namespace
}  // namespace kstreams::internal
