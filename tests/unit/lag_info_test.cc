// Store lags (KafkaStreams::allLocalStorePartitionLags): stores' positions against their
// changelogs' ends, and the error when the ends cannot be read.
#include <gtest/gtest.h>

#include "runtime/store_lags.h"

namespace kstreams::internal {
namespace {

TEST(StoreLags, ARestoringStoreLagsByTheChangelogsEndMinusItsPosition) {
  const auto lags = storePartitionLags({{"counts", "app-counts-changelog", 3, 30}}, {{{"app-counts-changelog", 3}, 50}});
  const LagInfo& lag = lags.at("counts").at(3);
  EXPECT_EQ(lag.currentOffsetPosition, 30);
  EXPECT_EQ(lag.endOffsetPosition, 50);
  EXPECT_EQ(lag.offsetLag, 20);
}

TEST(StoreLags, ARunningStoreIsAtTheChangelogsEnd) {
  const auto lags =
      storePartitionLags({{"counts", "app-counts-changelog", 0, std::nullopt}}, {{{"app-counts-changelog", 0}, 7}});
  const LagInfo& lag = lags.at("counts").at(0);
  EXPECT_EQ(lag.currentOffsetPosition, 7);
  EXPECT_EQ(lag.endOffsetPosition, 7);
  EXPECT_EQ(lag.offsetLag, 0);
}

// A store can be ahead of the end a broker reports (a changelog deleted and created again,
// or a new leader's end lagging for a moment): no negative lag, as in Kafka's LagInfo.
TEST(StoreLags, AStoreAheadOfTheEndLagsByNothing) {
  const auto lags = storePartitionLags({{"counts", "c", 0, 12}}, {{{"c", 0}, 10}});
  EXPECT_EQ(lags.at("counts").at(0).currentOffsetPosition, 12);
  EXPECT_EQ(lags.at("counts").at(0).offsetLag, 0);
}

TEST(StoreLags, EveryPartitionOfEveryStoreIsListed) {
  const auto lags = storePartitionLags(
      {{"counts", "c", 0, 4}, {"counts", "c", 1, std::nullopt}, {"rows", "r", 1, 0}},
      {{{"c", 0}, 5}, {{"c", 1}, 9}, {{"r", 1}, 3}});
  ASSERT_EQ(lags.size(), 2u);
  EXPECT_EQ(lags.at("counts").size(), 2u);
  EXPECT_EQ(lags.at("counts").at(0).offsetLag, 1);
  EXPECT_EQ(lags.at("counts").at(1).offsetLag, 0);
  EXPECT_EQ(lags.at("rows").at(1).offsetLag, 3) << "a store without a checkpoint lags by the whole changelog";
}

TEST(StoreLags, AChangelogWithoutAnEndIsAnErrorNamingItAndTheStore) {
  try {
    storePartitionLags({{"counts", "app-counts-changelog", 2, 1}}, {});
    FAIL() << "no error";
  } catch (const StreamsException& e) {
    EXPECT_NE(std::string(e.what()).find("app-counts-changelog"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("counts"), std::string::npos) << e.what();
  }
}

// Nothing listens on port 1: the query fails within default.api.timeout.ms, naming what.
TEST(StoreLags, UnreachableBrokersAreAnErrorNamingTheChangelogAndTheTimeout) {
  const StreamsConfig config({{"application.id", "lags"},
                              {"bootstrap.servers", "127.0.0.1:1"},
                              {"default.api.timeout.ms", "500"}});
  ChangelogEnds ends(config);
  try {
    ends.query({{"lags-counts-changelog", 0}, {"lags-counts-changelog", 1}});
    FAIL() << "no error";
  } catch (const StreamsException& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("lags-counts-changelog partition 0"), std::string::npos) << what;
    EXPECT_NE(what.find("lags-counts-changelog partition 1"), std::string::npos) << what;
    EXPECT_NE(what.find("default.api.timeout.ms (500 ms)"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace kstreams::internal
