#include "state/pending_writes.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace kstreams::internal {
namespace {

using Model = std::map<std::string, std::optional<std::string>>;

std::optional<std::string> valueOf(const PendingWrites::Write* w) {
  if (!w || !w->value()) return std::nullopt;
  return std::string(*w->value());
}

Model allInOrder(PendingWrites& writes) {
  Model seen;
  std::string last;
  writes.forEachInOrder([&](std::string_view key, std::optional<std::string_view> value) {
    EXPECT_TRUE(seen.empty() || std::string(key) > last) << "out of order at " << key;
    last = key;
    seen[last] = value ? std::optional<std::string>(*value) : std::nullopt;
  });
  return seen;
}

Model ordered(PendingWrites& writes, std::string_view from, std::string_view to) {
  Model seen;
  const auto& order = writes.ordered();
  for (auto it = order.lower_bound(from); it != order.end() && it->first <= to; ++it)
    seen[std::string(it->first)] = valueOf(it->second);
  return seen;
}

Model collected(PendingWrites& writes, std::string_view from, std::string_view to) {
  Model seen;
  for (const auto& [key, w] : writes.collectWithinPrefix(from, to)) {
    EXPECT_TRUE(seen.empty() || std::string(key) > seen.rbegin()->first) << "out of order at " << key;
    seen[std::string(key)] = valueOf(w);
  }
  return seen;
}

Model within(const Model& model, std::string_view from, std::string_view to) {
  return Model(model.lower_bound(std::string(from)), model.upper_bound(std::string(to)));
}

TEST(PendingWrites, KeepsTheLastWriteOfEachKeyAndWhereItLives) {
  PendingWrites writes;
  writes.put("a", "first");
  const PendingWrites::Write* a = writes.find("a");
  ASSERT_NE(a, nullptr);
  const char* keyBytes = a->key().data();
  writes.put("a", "2nd");  // fits where the first value was
  writes.put("a", std::string(500, 'x'));  // does not: placed anew
  for (int i = 0; i < 5000; ++i) writes.put("k" + std::to_string(i), std::string(i % 300, 'v'));
  // The set grew many times and the arena took many blocks: the record did not move.
  EXPECT_EQ(writes.find("a"), a);
  EXPECT_EQ(a->key().data(), keyBytes);
  EXPECT_EQ(valueOf(a), std::string(500, 'x'));
  writes.put("a", std::nullopt);
  EXPECT_EQ(writes.find("a"), a);
  EXPECT_FALSE(a->value().has_value()) << "a delete is a write too";
  writes.put("a", "");
  EXPECT_EQ(valueOf(a), "") << "an empty value is not a delete";
  EXPECT_EQ(writes.find("missing"), nullptr);
  EXPECT_EQ(writes.size(), 5001u);
}

TEST(PendingWrites, CountsItsMemoryAndGivesItBackWhenCleared) {
  PendingWrites writes;
  EXPECT_EQ(writes.bytes(), 0u);
  size_t data = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string key = "key-" + std::to_string(i);
    writes.put(key, std::string(100, 'v'));
    data += key.size() + 100;
  }
  // At least the bytes written, and not the ~240 bytes a write of a node-based map of
  // strings took.
  EXPECT_GE(writes.bytes(), 10000u * 108);
  EXPECT_LE(writes.bytes(), 10000u * 170);
  EXPECT_EQ(writes.dataBytes(), data);
  const size_t before = writes.bytes();
  // Each value that outgrows the last is placed anew; the old ones stay in the arena, and
  // count, until clear().
  for (size_t size = 40000; size < 50000; size += 1000) writes.put("key-1", std::string(size, 'w'));
  EXPECT_GE(writes.bytes(), before + 9 * 40000);
  EXPECT_EQ(writes.dataBytes(), data + 49000 - 100);
  writes.clear();
  EXPECT_EQ(writes.bytes(), 0u);
  EXPECT_EQ(writes.dataBytes(), 0u);
  EXPECT_TRUE(writes.empty());
  EXPECT_EQ(writes.find("key-1"), nullptr);
}

// Random puts, deletes, erasures and clears against a std::map, read back every way a store
// reads them: by key, in key order with and without the order built, and by prefix.
TEST(PendingWrites, ReadsBackWhatAnOrderedMapHolds) {
  constexpr size_t kPrefix = 3;
  PendingWrites writes(kPrefix);
  Model model;
  std::mt19937 rng(11);
  const auto randomKey = [&] {
    std::string key = "p" + std::to_string(rng() % 20);
    key.resize(kPrefix, '-');
    if (rng() % 10 == 0) return key.substr(0, rng() % kPrefix);  // shorter than the prefix
    return key + std::to_string(rng() % 50);
  };
  for (int step = 0; step < 30000; ++step) {
    const uint32_t op = rng() % 1000;
    const std::string key = randomKey();
    if (op < 600) {
      const std::string value(rng() % 40, static_cast<char>('a' + rng() % 26));
      writes.put(key, value);
      model[key] = value;
    } else if (op < 750) {
      writes.put(key, std::nullopt);
      model[key] = std::nullopt;
    } else if (op < 850) {
      ASSERT_EQ(valueOf(writes.find(key)), model.count(key) ? model[key] : std::nullopt) << key;
      ASSERT_EQ(writes.find(key) != nullptr, model.count(key) == 1) << key;
    } else if (op < 900) {
      std::string from = randomKey(), to = randomKey();
      if (from > to) std::swap(from, to);
      ASSERT_EQ(ordered(writes, from, to), within(model, from, to)) << from << ".." << to;
    } else if (op < 960) {
      const std::string prefix = randomKey().substr(0, kPrefix);
      if (prefix.size() < kPrefix) continue;
      std::string from = prefix + std::to_string(rng() % 50), to = prefix + std::to_string(rng() % 50);
      if (from > to) std::swap(from, to);
      ASSERT_EQ(collected(writes, from, to), within(model, from, to)) << from << ".." << to;
    } else if (op < 990) {
      const std::string to = randomKey();
      writes.eraseBefore(to);
      model.erase(model.begin(), model.lower_bound(to));
      ASSERT_EQ(writes.size(), model.size());
    } else if (op < 998) {
      ASSERT_EQ(allInOrder(writes), model);
    } else {
      ASSERT_EQ(allInOrder(writes), model);
      writes.clear();
      model.clear();
    }
  }
  EXPECT_EQ(allInOrder(writes), model);
}

// A store whose keys are each written once (a join's window store) keeps no whole-key index
// until a read by whole key asks for one; every read still sees every write, before and after.
TEST(PendingWrites, KeysWrittenOnceAreReadBackEveryWayWithOrWithoutTheirIndex) {
  constexpr size_t kPrefix = 3;
  PendingWrites writes(kPrefix, /*keysWrittenOnce=*/true);
  Model model;
  std::mt19937 rng(12);
  int sequence = 0;
  const auto prefix = [&] {
    std::string p = "p" + std::to_string(rng() % 20);
    p.resize(kPrefix, '-');
    return p;
  };
  for (int step = 0; step < 30000; ++step) {
    const uint32_t op = rng() % 1000;
    if (op < 700) {
      char seq[16];
      std::snprintf(seq, sizeof(seq), "%08d", ++sequence);  // fresh, and in order within a prefix
      const std::string key = prefix() + seq;
      const std::string value(rng() % 40, static_cast<char>('a' + rng() % 26));
      writes.put(key, value);
      model[key] = value;
    } else if (op < 760) {
      // A read by whole key: the index is built on the first, and kept up after.
      if (model.empty()) continue;
      auto it = model.lower_bound(prefix());
      if (it == model.end()) continue;
      ASSERT_EQ(valueOf(writes.find(it->first)), it->second) << it->first;
      ASSERT_EQ(writes.find(it->first + "x"), nullptr);
    } else if (op < 860) {
      const std::string p = prefix();
      std::string from = p + std::to_string(rng() % 10), to = p + std::to_string(rng() % 10);
      if (from > to) std::swap(from, to);
      ASSERT_EQ(collected(writes, from, to), within(model, from, to)) << from << ".." << to;
    } else if (op < 900) {
      std::string from = prefix(), to = prefix();
      if (from > to) std::swap(from, to);
      ASSERT_EQ(ordered(writes, from, to), within(model, from, to)) << from << ".." << to;
    } else if (op < 930) {
      const std::string to = prefix();
      writes.eraseBefore(to);
      model.erase(model.begin(), model.lower_bound(to));
      ASSERT_EQ(writes.size(), model.size());
    } else if (op < 995) {
      ASSERT_EQ(allInOrder(writes), model);
      ASSERT_EQ(writes.size(), model.size());
    } else {
      ASSERT_EQ(allInOrder(writes), model);
      writes.clear();
      model.clear();
      ASSERT_TRUE(writes.empty());
    }
  }
  EXPECT_EQ(allInOrder(writes), model);
}

// A store's range iterators hold positions in the order (LocalStore::range). Writes erased
// while the order is in use (a put that expires a window segment while all() is open) keep
// their places in it, marked erased, until it is not: the next erasure without one, or clear().
// A key written again meanwhile is live at its old place.
TEST(PendingWrites, WritesErasedWhileTheOrderIsInUseKeepTheirPlacesInIt) {
  for (bool writtenOnce : {false, true}) {
    SCOPED_TRACE(writtenOnce ? "keys written once" : "keys written again");
    PendingWrites writes(0, writtenOnce);
    for (std::string k : {"a1", "a2", "a3", "b1", "b2"}) writes.put(k, "v" + k);
    const PendingWrites::Order& order = writes.ordered();
    const auto a2 = order.find("a2");
    ASSERT_NE(a2, order.end());
    writes.eraseBefore("b", /*orderInUse=*/true);
    EXPECT_EQ(writes.size(), 2u);
    EXPECT_EQ(writes.find("a2"), nullptr);
    ASSERT_EQ(writes.ordered().find("a2"), a2) << "an erased write left the order while it was in use";
    EXPECT_TRUE(a2->second->erased());
    std::vector<std::string> walked;
    for (auto it = a2; it != order.end(); ++it) walked.emplace_back(it->first);
    EXPECT_EQ(walked, (std::vector<std::string>{"a2", "a3", "b1", "b2"}));
    EXPECT_EQ(allInOrder(writes), (Model{{"b1", "vb1"}, {"b2", "vb2"}}));
    if (!writtenOnce) {
      writes.put("a2", "again");
      EXPECT_EQ(writes.ordered().find("a2"), a2);
      EXPECT_EQ(valueOf(a2->second), "again");
      EXPECT_EQ(valueOf(writes.find("a2")), "again");
      EXPECT_EQ(allInOrder(writes), (Model{{"a2", "again"}, {"b1", "vb1"}, {"b2", "vb2"}}));
      writes.eraseBefore("b", /*orderInUse=*/true);
    }
    writes.put("c1", "vc1");
    writes.eraseBefore("b2");  // the order is no longer in use: every erased write leaves it
    EXPECT_EQ(ordered(writes, "", "z"), (Model{{"b2", "vb2"}, {"c1", "vc1"}}));
    EXPECT_EQ(writes.ordered().size(), 2u);
    EXPECT_EQ(allInOrder(writes), (Model{{"b2", "vb2"}, {"c1", "vc1"}}));
    EXPECT_EQ(writes.size(), 2u);
    writes.clear();
    EXPECT_TRUE(writes.ordered().empty());
  }
}

}  // namespace
}  // namespace kstreams::internal
