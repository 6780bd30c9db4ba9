// What the exactly-once system test's driver, workers and verifier agree on: the records
// (key "k<n>", value = a global sequence number) and the running aggregate of each key.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "streams/json_serde.h"

namespace system_test {

// The amount a record adds to its key's aggregate, from its sequence number: positive and
// negative, so min and max move.
inline int64_t amountOf(int64_t seq) { return (seq * 7919) % 1000 - 500; }

struct Aggregate {
  int64_t count = 0;
  int64_t sum = 0;
  int64_t min = std::numeric_limits<int64_t>::max();
  int64_t max = std::numeric_limits<int64_t>::min();
  bool operator==(const Aggregate&) const = default;

  Aggregate add(int64_t seq) const {
    const int64_t a = amountOf(seq);
    return {count + 1, sum + a, std::min(min, a), std::max(max, a)};
  }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Aggregate, count, sum, min, max)

constexpr int32_t kPartitions = 5;

}  // namespace system_test
