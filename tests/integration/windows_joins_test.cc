// Windows and joins on the real broker: the fraud example's velocity check gives exactly the
// alerts a direct computation finds, across a restart in the middle of its windows; a join
// reads its two inputs in timestamp order while each holds only a few records; joined
// topics of different partition counts are refused at start-up.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "examples/fraud_detection/velocity_reference.h"
#include "kstreams.h"
#include "runtime/kafka_client.h"
#include "streams/default_partitioner.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using fraud::CustomerProfile;
using fraud::Order;
using fraud::VelocityAlert;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

template <typename Map>
std::string describeMissing(const Map& expected, const Map& got) {
  std::string out = "missing:";
  for (const auto& [k, v] : expected)
    if (!got.count(k)) out += " " + k.first + "@" + std::to_string(k.second);
  return out;
}

TEST(WindowsAndJoins, VelocityAlertsAreExactlyTheReferenceAcrossARestartMidWindow) {
  Admin admin(bootstrap());
  fraud::VelocityOptions options;
  options.ordersTopic = uniqueName("orders");
  options.profilesTopic = uniqueName("profiles");
  options.alertsTopic = uniqueName("velocity-alerts");
  for (const auto& t : {options.ordersTopic, options.profilesTopic, options.alertsTopic}) admin.createTopic(t, 3);
  const std::string app = uniqueName("velocity");
  const std::string stateDir = "/tmp/kstreams-it-velocity/" + app;

  // Bursts on cards, quiet cards, a large total; out of order within bursts.
  std::map<std::string, CustomerProfile> profiles;
  std::vector<Order> orders;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t base = (now - 3600000) / 60000 * 60000;
  std::mt19937 rng(11);
  for (int c = 0; c < 20; ++c) {
    const std::string customer = "c" + std::to_string(c);
    if (c % 4 != 3) profiles[customer] = CustomerProfile{customer, "Customer " + std::to_string(c), c % 2 ? "gold" : "standard"};
    const int64_t start = base + c * 7000;
    const int burst = 3 + c % 6;  // 3..8 orders in quick succession
    for (int i = 0; i < burst; ++i)
      orders.push_back(Order{"o" + std::to_string(orders.size()), customer, 10.0 + (c == 5 ? 1500 : 0),
                             start + i * 2500, "card-" + std::to_string(c)});
  }
  // Written in time order with random neighbours swapped: out of order by less than the grace
  // period, so no order is late and the reference (which drops nothing) holds. Keyed by card,
  // each task of the grouped stream reads from one source partition in this order: with
  // another key the source tasks would interleave unpredictably and lateness would depend on
  // fetch timing, in Kafka Streams as here.
  std::vector<Order> sent = orders;
  std::stable_sort(sent.begin(), sent.end(), [](const Order& a, const Order& b) { return a.timestamp < b.timestamp; });
  for (size_t i = 0; i + 1 < sent.size(); i += 2)
    if (rng() % 2) std::swap(sent[i], sent[i + 1]);
  for (size_t i = 0; i + 1 < sent.size(); ++i) ASSERT_LT(sent[i].timestamp - sent[i + 1].timestamp, 10000);
  auto expected = fraud::expectedVelocityAlerts(orders, profiles, options);
  ASSERT_GT(expected.size(), 3u);

  auto produceOrders = [&](size_t from, size_t to) {
    KafkaProducer producer(bootstrap());
    for (size_t i = from; i < to; ++i)
      producer.send<std::string, Order>(options.ordersTopic, sent[i].card_id, sent[i], Serdes::String(),
                                        Serdes::Json<Order>(), sent[i].timestamp);
    producer.flush();
  };
  auto topology = [&] {
    auto builder = std::make_shared<StreamsBuilder>();
    fraud::addVelocityAlerts(*builder, options);
    return builder->build();
  };
  const StreamsConfig config = appConfig(app, {{"state.dir", stateDir}});
  {
    KafkaProducer producer(bootstrap());
    for (const auto& [id, p] : profiles)
      producer.send<std::string, CustomerProfile>(options.profilesTopic, id, p, Serdes::String(),
                                                  Serdes::Json<CustomerProfile>(), base);
    producer.flush();
  }
  const size_t half = sent.size() / 2;
  produceOrders(0, half);
  {
    KafkaStreams first(topology(), config);
    first.start();
    // Processed and committed up to the end of what was written so far.
    ASSERT_TRUE(test::eventually([&] { return admin.committedOffsets(app, options.ordersTopic) == admin.endOffsets(options.ordersTopic); },
                                 120s))
        << first.lastError();
    ASSERT_TRUE(first.close(60s));
  }
  // The second half, and on every partition of the grouped stream a later order, so each
  // task's stream time passes the windows above and they close.
  produceOrders(half, sent.size());
  {
    KafkaProducer producer(bootstrap());
    std::set<int32_t> covered;
    for (int i = 0; covered.size() < 3; ++i) {
      const std::string card = "clock-" + std::to_string(i);
      if (!covered.insert(defaultPartition(card, 3)).second) continue;
      Order clock{"clock-" + std::to_string(i), "clock", 1, base + 3600000, card};
      producer.send<std::string, Order>(options.ordersTopic, card, clock, Serdes::String(), Serdes::Json<Order>(),
                                        clock.timestamp);
    }
    producer.flush();
  }
  KafkaStreams second(topology(), config);
  second.start();
  std::map<std::pair<std::string, int64_t>, VelocityAlert> got;
  TopicReader reader(bootstrap(), options.alertsTopic);
  ASSERT_TRUE(test::eventually(
      [&] {
        for (auto& r : reader.read(100, 200ms)) {
          VelocityAlert a = Serdes::Json<VelocityAlert>()->deserialize(*r.value);
          EXPECT_TRUE(got.emplace(std::make_pair(a.card_id, a.window_start), a).second) << "one alert per window";
        }
        return got.size() >= expected.size() || second.state() == KafkaStreams::State::ERROR;
      },
      120s))
      << got.size() << " of " << expected.size() << " alerts; " << second.lastError() << describeMissing(expected, got)
      << "; late records dropped: " << second.metrics().droppedRecords;
  EXPECT_EQ(got, expected);
  EXPECT_EQ(second.metrics().droppedRecords, 0);
  // The windowed aggregate is queryable while the application runs; the cards' windows have
  // expired behind the clock orders, whose own windows hold one order each.
  auto activity = second.windowStore<std::string, fraud::CardActivity>("card-activity");
  const int64_t clockWindow = (base + 3600000) / 30000 * 30000;
  ASSERT_TRUE(test::eventually([&] { return activity->fetch("clock-0", clockWindow).has_value(); }, 30s));
  EXPECT_EQ(activity->fetch("clock-0", clockWindow)->orders, 1);
  EXPECT_EQ(activity->fetch("card-1", 0, base + 3600000).toList().size(), 0u) << "expired windows are dropped";
  EXPECT_TRUE(second.close(60s));
}

// Both inputs are on the broker before the application starts, and the task may hold only a
// few records of each: the rest waits in the consumer's prefetch. Were one input read ahead
// of the other, stream time would pass the other's records by more than the window and the
// join would drop them as late. Each key has one record per side, 1 ms apart.
TEST(WindowsAndJoins, AJoinReadsItsInputsInTimestampOrderWhileHoldingOnlyAFewRecordsOfEach) {
  Admin admin(bootstrap());
  const std::string left = uniqueName("left"), right = uniqueName("right"), out = uniqueName("joined");
  admin.createTopic(left, 1);
  admin.createTopic(right, 1);
  admin.createTopic(out, 1);
  constexpr int kKeys = 5000;
  const int64_t base = internal::nowMs() - 600000;
  {
    KafkaProducer producer(bootstrap());
    // One input entirely before the other in the log: a consumer that reads topics in turn
    // would deliver all of it first.
    for (int i = 0; i < kKeys; ++i) producer.send(left, "k" + std::to_string(i), "L", base + 10 * i + 1);
    for (int i = 0; i < kKeys; ++i) producer.send(right, "k" + std::to_string(i), "R", base + 10 * i);
    producer.flush();
  }
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(left)
      .join(builder.stream<std::string, std::string>(right),
            [](const std::string& l, const std::string& r) { return l + r; },
            JoinWindows::ofTimeDifferenceWithNoGrace(std::chrono::milliseconds(5)),
            StreamJoined<std::string, std::string, std::string>::with(Serdes::String(), Serdes::String(),
                                                                      Serdes::String()))
      .to(out);
  KafkaStreams streams(builder.build(),
                       appConfig(uniqueName("join-order"), {{"state.dir", "/tmp/kstreams-it-join-order"},
                                                            {"commit.interval.ms", "200"},
                                                            {"buffered.records.per.partition", "10"}}));
  streams.start();
  const auto records = test::consume(out, kKeys, 120s);
  std::set<std::string> joined;
  for (const auto& r : records) {
    EXPECT_EQ(r.value.value_or(""), "LR");
    joined.insert(r.key.value_or(""));
  }
  EXPECT_EQ(joined.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(streams.metrics().droppedRecords, 0) << "records dropped as late";
  EXPECT_TRUE(streams.close(60s));
}

TEST(WindowsAndJoins, JoiningTopicsOfDifferentPartitionCountsIsAnErrorNamingThem) {
  Admin admin(bootstrap());
  const std::string orders = uniqueName("orders"), profiles = uniqueName("profiles");
  admin.createTopic(orders, 3);
  admin.createTopic(profiles, 2);
  StreamsBuilder builder;
  auto table = builder.table<std::string, std::string>(profiles);
  builder.stream<std::string, std::string>(orders)
      .join(table, [](const std::string& o, const std::string& p) { return o + p; })
      .to(orders);
  KafkaStreams streams(builder.build(),
                       appConfig(uniqueName("copartition"), {{"state.dir", "/tmp/kstreams-it-copartition"}}));
  try {
    streams.start();
    FAIL() << "start() should refuse topics that are not co-partitioned";
  } catch (const TopologyException& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(orders + " (3 partitions)"), std::string::npos) << what;
    EXPECT_NE(what.find(profiles + " (2 partitions)"), std::string::npos) << what;
    EXPECT_NE(what.find("joined"), std::string::npos) << what;
  }
  EXPECT_EQ(streams.state(), KafkaStreams::State::ERROR);
}

}  // namespace
}  // namespace kstreams
