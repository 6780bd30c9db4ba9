// Interactive queries across instances on the real broker: each instance learns from the
// consumer group which instance (application.server) has the task of a key, and that
// answer follows the tasks when an instance leaves.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

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

}  // namespace
}  // namespace kstreams
