#include "runtime/ring_queue.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>

namespace kstreams::internal {
namespace {

TEST(RingQueue, KeepsFifoOrderAcrossWrapAroundAndGrowth) {
  RingQueue<std::string> ring;
  std::deque<std::string> model;
  int next = 0;
  // Interleaved pushes and pops wrap the head around several capacities.
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < round % 7 + 1; ++i) {
      ring.emplace_back() = std::to_string(next);
      model.push_back(std::to_string(next++));
    }
    for (int i = 0; i < round % 5 && !model.empty(); ++i) {
      ASSERT_EQ(ring.front(), model.front());
      ring.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(ring.size(), model.size());
  }
  while (!model.empty()) {
    ASSERT_EQ(ring.front(), model.front());
    ring.pop_front();
    model.pop_front();
  }
  EXPECT_TRUE(ring.empty());
}

TEST(RingQueue, ReleasesWhatItHeldOnPopAndClear) {
  auto held = std::make_shared<int>(1);
  RingQueue<std::shared_ptr<int>> ring;
  ring.emplace_back() = held;
  ring.emplace_back() = held;
  EXPECT_EQ(held.use_count(), 3);
  ring.pop_front();
  EXPECT_EQ(held.use_count(), 2);
  ring.clear();
  EXPECT_EQ(held.use_count(), 1);
  // A reused slot starts empty.
  EXPECT_EQ(ring.emplace_back(), nullptr);
}

}  // namespace
}  // namespace kstreams::internal
