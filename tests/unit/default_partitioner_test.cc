#include <gtest/gtest.h>

#include "streams/default_partitioner.h"

namespace kstreams {
namespace {

// The vectors of Kafka's own UtilsTest.testMurmur2.
TEST(DefaultPartitioner, Murmur2MatchesKafkasJavaImplementation) {
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2("abc"), 479470107);
}

TEST(DefaultPartitioner, PartitionIsPositiveMurmur2ModuloCount) {
  EXPECT_EQ(defaultPartition("21", 7), (-973932308 & 0x7fffffff) % 7);
  for (int n = 1; n < 20; ++n) {
    int32_t p = defaultPartition("key-" + std::to_string(n), n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

}  // namespace
}  // namespace kstreams
