// Interactive queries across instances on the real broker: each instance learns from the
// consumer group which instance (application.server) has the task of a key, and that
// answer follows the tasks when an instance leaves.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::bootstrap;
using test::uniqueName;

const HostInfo kHostA{"host-a", 7001};
const HostInfo kHostB{"host-b", 7002};

Topology countsTopology(const std::string& in) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in).groupByKey().count(Materialized<std::string, int64_t>::as("counts"));
  return builder.build();
}

StreamsConfig instanceConfig(const std::string& app, const HostInfo& host) {
  return test::appConfig(app, {{"application.server", host.toString()},
                               {"state.dir", "/tmp/kstreams-it-state/" + uniqueName("iq")}});
}

std::set<TaskId> localTasks(const KafkaStreams& streams) {
  std::set<TaskId> out;
  for (const auto& thread : streams.metadataForLocalThreads())
    out.insert(thread.activeTasks.begin(), thread.activeTasks.end());
  return out;
}

// Whether `asker`'s view of the group lists exactly these instances with these tasks.
bool groupShows(const KafkaStreams& asker, const std::map<HostInfo, std::set<TaskId>>& expected) {
  std::map<HostInfo, std::set<TaskId>> seen;
  for (const StreamsMetadata& m : asker.metadataForAllStreamsClients())
    seen[m.hostInfo].insert(m.activeTasks.begin(), m.activeTasks.end());
  return seen == expected;
}

TEST(InteractiveQueries, EachInstanceKnowsWhichInstanceHasAKey) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("clicks");
  admin.createTopic(in, 4);
  std::vector<std::string> keys;
  {
    KafkaProducer producer(bootstrap());
    for (int i = 0; i < 40; ++i) {
      keys.push_back("user-" + std::to_string(i));
      producer.send<std::string, std::string>(in, keys.back(), "click", Serdes::String(), Serdes::String());
    }
    producer.flush();
  }
  const std::string app = uniqueName("iq-app");
  KafkaStreams a(countsTopology(in), instanceConfig(app, kHostA));
  KafkaStreams b(countsTopology(in), instanceConfig(app, kHostB));
  a.start();
  b.start();
  // Settled: both running, the four tasks split between them, and the group coordinator's
  // description agreeing with what each instance has.
  ASSERT_TRUE(test::eventually(
      [&] {
        if (a.state() != KafkaStreams::State::RUNNING || b.state() != KafkaStreams::State::RUNNING) return false;
        const std::set<TaskId> onA = localTasks(a), onB = localTasks(b);
        if (onA.empty() || onB.empty() || onA.size() + onB.size() != 4) return false;
        return groupShows(a, {{kHostA, onA}, {kHostB, onB}}) && groupShows(b, {{kHostA, onA}, {kHostB, onB}});
      },
      120s))
      << a.lastError() << b.lastError();

  auto storeA = a.store<std::string, int64_t>("counts");
  auto storeB = b.store<std::string, int64_t>("counts");
  for (const auto& key : keys) {
    const auto fromA = a.queryMetadataForKey<std::string>("counts", key);
    const auto fromB = b.queryMetadataForKey<std::string>("counts", key);
    ASSERT_TRUE(fromA.activeHost.has_value()) << key;
    EXPECT_EQ(fromA.activeHost, fromB.activeHost) << key;
    EXPECT_NE(fromA.local, fromB.local) << key;
    EXPECT_EQ(*fromA.activeHost, fromA.local ? kHostA : kHostB) << key;
    // The instance named has the key's count.
    auto& owner = fromA.local ? storeA : storeB;
    EXPECT_TRUE(test::eventually([&] { return owner->get(key) == 1; }, 60s)) << key;
  }

  // When b leaves, a gets its tasks, and the answers follow.
  ASSERT_TRUE(b.close(60s));
  ASSERT_TRUE(test::eventually(
      [&] { return localTasks(a).size() == 4 && groupShows(a, {{kHostA, localTasks(a)}}); }, 120s))
      << a.lastError();
  for (const auto& key : keys) {
    const auto meta = a.queryMetadataForKey<std::string>("counts", key);
    EXPECT_TRUE(meta.local) << key;
    EXPECT_EQ(meta.activeHost, kHostA) << key;
  }
  ASSERT_TRUE(a.close(60s));
}

TEST(InteractiveQueries, AnInstanceWithoutApplicationServerIsNotListed) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("clicks");
  admin.createTopic(in, 2);
  const std::string app = uniqueName("iq-app");
  KafkaStreams withoutServer(countsTopology(in),
                             test::appConfig(app, {{"state.dir", "/tmp/kstreams-it-state/" + uniqueName("iq")}}));
  withoutServer.start();
  // Its tasks restored and queryable, so that every key is local.
  ASSERT_TRUE(test::eventually(
      [&] { return withoutServer.queryMetadataForKey<std::string>("counts", "user-1").local; }, 120s))
      << withoutServer.lastError();
  EXPECT_TRUE(withoutServer.metadataForAllStreamsClients().empty());
  EXPECT_EQ(withoutServer.queryMetadataForKey<std::string>("counts", "user-1").activeHost, std::nullopt);
  ASSERT_TRUE(withoutServer.close(60s));
}

// Window and session stores queried while the application runs, through the view over all
// of the instance's tasks: the keys of a range come from several tasks, merged into one key
// order, and the backward reads return the same in reverse.
TEST(InteractiveQueries, WindowAndSessionStoresAnswerKeyRangesAndBackwardReadsAcrossTasks) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("clicks");
  admin.createTopic(in, 4);
  // A retention of a day makes segments of 12 hours. Both minutes are at the start of one,
  // so that a key range returns them by key alone.
  constexpr int64_t kSegment = 12 * 3600 * 1000LL;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t base = (now / kSegment - 1) * kSegment + 60000;
  std::vector<std::string> users;
  {
    KafkaProducer producer(bootstrap());
    for (int i = 0; i < 8; ++i) users.push_back("user-" + std::to_string(i));
    // In time order: the windows have no grace, so a record behind another's minute is late.
    for (int64_t t : {base, base + 1000, base + 60000})
      for (const auto& user : users)
        producer.send<std::string, std::string>(in, user, "click", Serdes::String(), Serdes::String(), t);
    producer.flush();
  }
  StreamsBuilder builder;
  auto grouped = builder.stream<std::string, std::string>(in).groupByKey();
  grouped.windowedBy(TimeWindows::ofSizeWithNoGrace(60s))
      .count(Materialized<std::string, int64_t>::as("per-minute").withRetention(24h));
  grouped.windowedBy(SessionWindows::ofInactivityGapWithNoGrace(10s))
      .count(Materialized<std::string, int64_t>::as("visits").withRetention(24h));
  KafkaStreams streams(builder.build(), test::appConfig(uniqueName("iq-windows"),
                                                        {{"state.dir", "/tmp/kstreams-it-state/" + uniqueName("iq")},
                                                         {"num.stream.threads", "2"}}));
  streams.start();
  auto perMinute = streams.windowStore<std::string, int64_t>("per-minute");
  auto visits = streams.sessionStore<std::string, int64_t>("visits");
  // Every user's two minutes and two sessions committed.
  ASSERT_TRUE(test::eventually(
      [&] {
        return perMinute->fetch(std::nullopt, std::nullopt, base, base + 60000).toList().size() == 16 &&
               visits->fetch(std::nullopt, std::nullopt).toList().size() == 16;
      },
      120s))
      << streams.lastError() << "; windows: " << perMinute->fetchAll(base, base + 60000).toList().size()
      << ", sessions: " << visits->fetch(std::nullopt, std::nullopt).toList().size()
      << ", late records dropped: " << streams.metrics().droppedRecords;
  std::set<int32_t> partitions;
  for (int i = 1; i <= 7; ++i)
    partitions.insert(streams.queryMetadataForKey<std::string>("per-minute", users[i]).partition);
  ASSERT_GT(partitions.size(), 1u) << "every user is in one task: the view would merge nothing";

  using Minute = std::tuple<std::string, int64_t, int64_t>;
  std::vector<Minute> expected, got, backward;
  for (int i = 1; i <= 3; ++i) {
    expected.emplace_back(users[i], base, 2);
    expected.emplace_back(users[i], base + 60000, 1);
  }
  for (const auto& kv : perMinute->fetch("user-1", "user-3", base, base + 60000))
    got.emplace_back(kv.key.key, kv.key.window.start, kv.value);
  for (const auto& kv : perMinute->backwardFetch("user-1", "user-3", base, base + 60000))
    backward.emplace_back(kv.key.key, kv.key.window.start, kv.value);
  EXPECT_EQ(got, expected);
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(backward, expected);
  std::vector<std::pair<int64_t, int64_t>> newestFirst;
  for (const auto& kv : perMinute->backwardFetch("user-6", base, base + 60000)) newestFirst.emplace_back(kv.key, kv.value);
  EXPECT_EQ(newestFirst, (std::vector<std::pair<int64_t, int64_t>>{{base + 60000, 1}, {base, 2}}));
  EXPECT_EQ(perMinute->backwardFetchAll(base, base + 60000).toList().size(), 16u);

  // From user-5 on, latest first: keys descending, each key's later session first.
  using Session = std::tuple<std::string, int64_t, int64_t, int64_t>;
  std::vector<Session> expectedSessions, sessions;
  for (int i = 7; i >= 5; --i) {
    expectedSessions.emplace_back(users[i], base + 60000, base + 60000, 1);
    expectedSessions.emplace_back(users[i], base, base + 1000, 2);
  }
  for (const auto& kv : visits->backwardFindSessions("user-5", std::nullopt, base, base + 60000))
    sessions.emplace_back(kv.key.key, kv.key.window.start, kv.key.window.end, kv.value);
  EXPECT_EQ(sessions, expectedSessions);
  ASSERT_TRUE(streams.close(60s));
}

}  // namespace
}  // namespace kstreams
