// Cogroup on the real broker: a count across two topics, one of them rekeyed, equals a
// count computed from the input, the rekeyed one's repartition topic taking the other
// input's partition count; cogrouped topics of different partition counts are refused at
// start-up.
#include <gtest/gtest.h>

#include <random>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

TEST(Cogroup, ACountAcrossTwoTopicsOneOfThemRekeyedEqualsTheInputsCount) {
  Admin admin(bootstrap());
  // Clicks keyed by user; purchases keyed by order, "user/amount", on fewer partitions.
  const std::string clicks = uniqueName("clicks"), purchases = uniqueName("purchases-by-order");
  admin.createTopic(clicks, 3);
  admin.createTopic(purchases, 2);
  std::map<std::string, int64_t> truth;
  {
    KafkaProducer producer(bootstrap());
    std::mt19937 rng(5);
    for (int i = 0; i < 3000; ++i) {
      const std::string user = "user-" + std::to_string(rng() % 300);
      ++truth[user];
      if (i % 3 == 0)
        producer.send<std::string, std::string>(purchases, "order-" + std::to_string(i), user + "/" + std::to_string(i),
                                                Serdes::String(), Serdes::String());
      else
        producer.send<std::string, std::string>(clicks, user, "page-" + std::to_string(i), Serdes::String(),
                                                Serdes::String());
    }
    producer.flush();
  }
  StreamsBuilder builder;
  auto byUser = builder.stream(purchases, Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String()))
                    .groupBy([](const std::string&, const std::string& v) { return v.substr(0, v.find('/')); },
                             Grouped<std::string, std::string>::with(Serdes::String(), Serdes::String()));
  auto count = [](const std::string&, const std::string&, const int64_t& n) { return n + 1; };
  builder.stream(clicks, Consumed<std::string, std::string>::with(Serdes::String(), Serdes::String()))
      .groupByKey()
      .cogroup(count)
      .cogroup(byUser, count)
      .aggregate([] { return int64_t{0}; },
                 Materialized<std::string, int64_t>::as("activity").withValueSerde(Serdes::Int64()));
  const std::string app = uniqueName("cogroup");
  KafkaStreams streams(builder.build(), appConfig(app, {{"state.dir", "/tmp/kstreams-it-cogroup/" + app},
                                                        {"num.stream.threads", "2"}}));
  streams.start();
  auto store = streams.store<std::string, int64_t>("activity");
  auto readAll = [&] {
    std::map<std::string, int64_t> got;
    for (auto& [k, v] : store->all().toList()) got[k] = v;
    return got;
  };
  // A repartition topic of 2 partitions would put a user's purchases in another task than
  // their clicks, and split the user's count between two stores.
  const bool matched = test::eventually([&] { return readAll() == truth; }, 120s);
  ASSERT_TRUE(matched) << streams.lastError();
  EXPECT_EQ(admin.listTopics().at(app + "-activity-repartition"), 3);
  EXPECT_TRUE(streams.close(60s));
}

TEST(Cogroup, CogroupingTopicsOfDifferentPartitionCountsIsAnErrorNamingThem) {
  Admin admin(bootstrap());
  const std::string clicks = uniqueName("clicks"), purchases = uniqueName("purchases");
  admin.createTopic(clicks, 3);
  admin.createTopic(purchases, 2);
  StreamsBuilder builder;
  auto count = [](const std::string&, const std::string&, const int64_t& n) { return n + 1; };
  auto byUser = builder.stream<std::string, std::string>(purchases).groupByKey();
  builder.stream<std::string, std::string>(clicks).groupByKey().cogroup(count).cogroup(byUser, count).aggregate(
      [] { return int64_t{0}; });
  KafkaStreams streams(builder.build(),
                       appConfig(uniqueName("cogroup-copartition"), {{"state.dir", "/tmp/kstreams-it-cogroup"}}));
  try {
    streams.start();
    FAIL() << "start() should refuse cogrouped topics that are not co-partitioned";
  } catch (const TopologyException& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(clicks + " (3 partitions)"), std::string::npos) << what;
    EXPECT_NE(what.find(purchases + " (2 partitions)"), std::string::npos) << what;
    // The message names what made the topics a group: here a cogroup, not a join.
    EXPECT_NE(what.find("cogrouped"), std::string::npos) << what;
  }
  EXPECT_EQ(streams.state(), KafkaStreams::State::ERROR);
}

}  // namespace
}  // namespace kstreams
