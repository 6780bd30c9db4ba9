// KafkaStreams::pause() and resume() (KIP-834) on the real broker: a paused instance
// processes and punctuates nothing, keeps its partitions and its queryable state, and after
// resume() processes what arrived meanwhile, from where it stopped.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

// Longer than the consumers' max.poll.interval.ms below: a paused thread that stopped polling
// would have left the group by then, and come back through a rebalance.
//
// The one bounded negative wait of these tests. That nothing is processed while paused
// cannot be awaited as a condition: after the paused records are on the broker, nothing
// outside the stream thread tells that it has fetched them and left them alone. So the test
// watches for this long (70 turns of the thread at poll.ms, many fetches) that nothing comes
// out. A pause that did not hold would show within a turn or two.
constexpr auto kPausedWatch = 7s;
const std::map<std::string, std::string> kPollConfig = {{"consumer.session.timeout.ms", "6000"},
                                                        {"consumer.max.poll.interval.ms", "6000"}};

// Forwards each record with "!" appended, and counts its wall-clock punctuations.
class Echo : public Processor<std::string, std::string, std::string, std::string> {
 public:
  explicit Echo(std::shared_ptr<std::atomic<int64_t>> ticks) : ticks_(std::move(ticks)) {}
  void init(ProcessorContext<std::string, std::string>& context) override {
    context_ = &context;
    context.schedule(20ms, PunctuationType::WALL_CLOCK_TIME, [this](int64_t) { ticks_->fetch_add(1); });
  }
  void process(Record<std::string, std::string> record) override {
    record.value += "!";
    context_->forward(std::move(record));
  }

 private:
  std::shared_ptr<std::atomic<int64_t>> ticks_;
  ProcessorContext<std::string, std::string>* context_ = nullptr;
};

void produce(const std::string& topic, const std::string& prefix, int from, int to) {
  KafkaProducer producer(bootstrap());
  for (int i = from; i < to; ++i)
    producer.send<std::string, std::string>(topic, i % 2 ? "b" : "a", prefix + std::to_string(i), Serdes::String(),
                                            Serdes::String());
  producer.flush();
}

int64_t endOffsetSum(Admin& admin, const std::string& topic) {
  int64_t sum = 0;
  for (const auto& [partition, end] : admin.endOffsets(topic)) sum += end;
  return sum;
}

TEST(PauseResume, APausedInstanceProcessesAndPunctuatesNothingKeepsItsTasksAndGoesOnAfterResume) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("pause-in"), out = uniqueName("pause-out");
  admin.createTopic(in, 2);
  admin.createTopic(out, 1);
  auto ticks = std::make_shared<std::atomic<int64_t>>(0);
  StreamsBuilder builder;
  auto stream = builder.stream<std::string, std::string>(in);
  stream.process([ticks] { return std::make_unique<Echo>(ticks); }).to(out);
  stream.groupByKey().count(Materialized<std::string, int64_t>::as("counts"));
  KafkaStreams streams(builder.build(), appConfig(uniqueName("pause-app"), kPollConfig));
  EXPECT_FALSE(streams.isPaused());
  streams.start();
  produce(in, "before-", 0, 10);
  ASSERT_EQ(test::consume(out, 10, 60s).size(), 10u) << streams.lastError();
  auto counts = streams.store<std::string, int64_t>("counts");
  ASSERT_TRUE(test::eventually([&] { return counts->get("a") == 5 && counts->get("b") == 5; }, 30s));
  const auto tasksBefore = streams.metadataForLocalThreads().at(0).activeTasks;
  const int64_t rebalancesBefore = streams.metrics().rebalances;

  streams.pause();
  EXPECT_TRUE(streams.isPaused());
  produce(in, "paused-", 10, 20);
  ASSERT_TRUE(test::eventually([&] { return endOffsetSum(admin, in) == 20; }, 30s));
  // Any turn of the thread under way when pause() was called is over by now.
  const int64_t processed = streams.metrics().processedRecords;
  const int64_t ticksPaused = ticks->load();
  EXPECT_EQ(processed, 10);
  std::this_thread::sleep_for(kPausedWatch);
  EXPECT_EQ(streams.metrics().processedRecords, processed) << "a record was processed while paused";
  EXPECT_EQ(ticks->load(), ticksPaused) << "a wall-clock punctuation ran while paused";
  EXPECT_EQ(endOffsetSum(admin, out), 10);
  EXPECT_EQ(streams.state(), KafkaStreams::State::RUNNING) << "pausing changes no state";
  EXPECT_EQ(counts->get("a"), 5) << "the stores stay queryable while paused";

  streams.resume();
  EXPECT_FALSE(streams.isPaused());
  const auto all = test::consume(out, 20, 60s);
  ASSERT_EQ(all.size(), 20u) << streams.lastError();
  std::vector<std::string> paused;
  for (size_t i = 10; i < all.size(); ++i) paused.push_back(*all[i].value);
  std::sort(paused.begin(), paused.end());
  std::vector<std::string> expected;
  for (int i = 10; i < 20; ++i) expected.push_back("paused-" + std::to_string(i) + "!");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(paused, expected) << "what arrived while paused is processed once after resume()";
  EXPECT_TRUE(test::eventually([&] { return counts->get("a") == 10 && counts->get("b") == 10; }, 30s));
  EXPECT_TRUE(test::eventually([&] { return ticks->load() > ticksPaused; }, 30s)) << "punctuation resumes";
  EXPECT_EQ(streams.metrics().rebalances, rebalancesBefore) << "the paused thread left its group";
  EXPECT_EQ(streams.metadataForLocalThreads().at(0).activeTasks, tasksBefore);
  EXPECT_TRUE(streams.close(60s));
}

// As in Kafka Streams: pause() before start() starts the instance paused. Its stateful tasks
// do not restore (nor process) until resume(), so it stays REBALANCING until then.
TEST(PauseResume, AnInstancePausedBeforeStartStartsPausedAndRestoresNothingUntilResumed) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("start-paused-in"), out = uniqueName("start-paused-out");
  admin.createTopic(in, 1);
  admin.createTopic(out, 1);
  StreamsBuilder builder;
  builder.stream<std::string, std::string>(in)
      .groupByKey()
      .count(Materialized<std::string, int64_t>::as("counts"))
      .toStream()
      .to(out, Produced<std::string, std::optional<int64_t>>::with(Serdes::String(), Serdes::Int64()));
  KafkaStreams streams(builder.build(), appConfig(uniqueName("start-paused-app"), kPollConfig));
  streams.pause();
  EXPECT_TRUE(streams.isPaused());
  streams.start();
  produce(in, "v", 0, 6);
  ASSERT_TRUE(test::eventually(
      [&] {
        auto threads = streams.metadataForLocalThreads();
        return !threads.empty() && threads[0].activeTasks.size() == 1;
      },
      60s))
      << "the thread never got its task; " << streams.lastError();
  const int64_t rebalances = streams.metrics().rebalances;
  std::this_thread::sleep_for(kPausedWatch);
  EXPECT_EQ(streams.metrics().processedRecords, 0);
  EXPECT_EQ(endOffsetSum(admin, out), 0);
  EXPECT_EQ(streams.state(), KafkaStreams::State::REBALANCING) << "a paused task's store does not restore";
  EXPECT_EQ(streams.metrics().rebalances, rebalances) << "the paused thread left its group";

  streams.resume();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  auto counts = streams.store<std::string, int64_t>("counts");
  EXPECT_TRUE(test::eventually([&] { return counts->get("a") == 3 && counts->get("b") == 3; }, 60s));
  EXPECT_EQ(streams.metrics().processedRecords, 6);
  EXPECT_TRUE(streams.close(60s));
}

// Kafka Streams' global thread is not paused: a paused instance's global tables stay current.
TEST(PauseResume, GlobalTablesStayCurrentWhilePaused) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("paused-global-in"), rows = uniqueName("paused-global-rows");
  admin.createTopic(in, 1);
  admin.createTopic(rows, 1);
  StreamsBuilder builder;
  builder.globalTable<std::string, std::string>(rows, Consumed<std::string, std::string>{},
                                                Materialized<std::string, std::string>::as("global-rows"));
  builder.stream<std::string, std::string>(in).foreach([](const std::string&, const std::string&) {});
  KafkaStreams streams(builder.build(), appConfig(uniqueName("paused-global-app")));
  streams.start();
  ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();
  streams.pause();
  produce(rows, "row-", 0, 4);
  auto view = streams.store<std::string, std::string>("global-rows");
  EXPECT_TRUE(test::eventually([&] { return view->get("a") == "row-2" && view->get("b") == "row-3"; }, 60s))
      << streams.lastError();
  EXPECT_TRUE(streams.isPaused());
  EXPECT_EQ(streams.state(), KafkaStreams::State::RUNNING);
  EXPECT_TRUE(streams.close(60s));
}

}  // namespace
}  // namespace kstreams
