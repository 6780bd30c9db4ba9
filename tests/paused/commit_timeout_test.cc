// Both guarantees against a broker that stops answering for a while (paused with SIGSTOP, as
// in a long GC pause), on a cluster of its own: tools/kafka-local started by a ctest
// fixture (tests/CMakeLists.txt), named by KSTREAMS_PAUSABLE_CLUSTER.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;

std::string clusterDir() {
  return test::requiredEnv("KSTREAMS_PAUSABLE_CLUSTER", "run this test through ctest, whose fixture starts its cluster");
}

// tools/kafka-local <command> 1 for the test's cluster; true if it succeeded.
bool node(const std::string& command) {
  const std::string line = std::string(KSTREAMS_SOURCE_DIR) + "/tools/kafka-local " + command + " 1 --dir '" +
                           clusterDir() + "' 2>/dev/null";
  return std::system(line.c_str()) == 0;
}

class PausedBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(clusterDir() + "/bootstrap");
    std::string bootstrap;
    ASSERT_TRUE(std::getline(in, bootstrap) && !bootstrap.empty()) << "no bootstrap in " << clusterDir();
    // What the support library's helpers connect to.
    setenv("KSTREAMS_BOOTSTRAP", bootstrap.c_str(), 1);
  }
  void TearDown() override {
    if (paused_) node("resume-node");
  }
  bool pause() { return paused_ = node("pause-node"); }
  bool resume() {
    paused_ = !node("resume-node");
    return !paused_;
  }

  // Topics `in` and `out` (named after `name`), `in` holding the values 0..19 with "hold"
  // after the first ten.
  void createTopics(const std::string& name) {
    in = test::uniqueName(name + "-in");
    out = test::uniqueName(name + "-out");
    Admin admin(test::bootstrap());
    admin.createTopic(in, 1);
    admin.createTopic(out, 1);
    for (int i = 0; i < 20; ++i) values.push_back(std::to_string(i));
    values.insert(values.begin() + 10, "hold");
    KafkaProducer producer(test::bootstrap());
    for (const std::string& v : values) producer.send(in, "k", v);
    producer.flush();
  }
  // `in`, read by a thread that stops at "hold" (the records before it processed, not yet
  // committed) until pauseWhileHeld() has paused the broker.
  KStream<std::string, std::string> heldInput(StreamsBuilder& builder) {
    return builder.stream<std::string, std::string>(in).mapValues([this](const std::string& v) {
      if (v == "hold") {
        holding_ = true;
        while (!released_) std::this_thread::sleep_for(1ms);
      }
      return v;
    });
  }
  // Once the thread holds, pauses the broker, lets the thread go on (its next commit then
  // waits for the broker), and resumes the broker 5 s later.
  void pauseWhileHeld(KafkaStreams& streams) {
    ASSERT_TRUE(test::eventually([&] { return holding_.load(); }, 60s)) << streams.lastError();
    ASSERT_TRUE(pause());
    released_ = true;
    std::this_thread::sleep_for(5s);  // the pause itself: what the thread waits through
    ASSERT_TRUE(resume());
  }

  std::string in, out;
  std::vector<std::string> values;

 private:
  bool paused_ = false;
  std::atomic<bool> holding_{false}, released_{false};
};

// A transactional call that times out goes on in the background. A commit must not be
// aborted then (the coordinator may already have it as committed, and the work would be
// done twice, or the stores restored short of it); the thread asks again until the broker
// answers, and the work is neither lost nor redone.
TEST_F(PausedBroker, ATransactionThatTimesOutIsAskedAgainNotAbortedAndCommitsOnce) {
  createTopics("paused");
  StreamsBuilder builder;
  heldInput(builder).to(out);
  const std::string app = test::uniqueName("paused");
  KafkaStreams streams(builder.build(),
                       test::appConfig(app, {{"processing.guarantee", "exactly_once_v2"},
                                             {"state.dir", "/tmp/kstreams-paused/" + app},
                                             // Each transactional call times out well within the pause.
                                             {"default.api.timeout.ms", "1500"},
                                             // Neither the group nor the transaction expires during it.
                                             {"consumer.session.timeout.ms", "30000"},
                                             {"producer.transaction.timeout.ms", "30000"}}));
  streams.start();
  pauseWhileHeld(streams);
  ASSERT_FALSE(HasFatalFailure());

  TopicReader::Options committed;
  committed.readCommitted = true;
  TopicReader reader(test::bootstrap(), out, committed);
  std::vector<std::string> got;
  test::eventually(
      [&] {
        for (const auto& r : reader.read(values.size(), 500ms)) got.push_back(*r.value);
        return got.size() >= values.size() || streams.state() == KafkaStreams::State::ERROR;
      },
      60s);
  EXPECT_EQ(got, values) << streams.lastError();
  const auto metrics = streams.metrics();
  EXPECT_EQ(metrics.redos, 0) << "the timed-out transaction was aborted and its work redone";
  EXPECT_NE(streams.state(), KafkaStreams::State::ERROR) << streams.lastError();
  EXPECT_TRUE(streams.close(60s));
  EXPECT_EQ(test::consumeToEnd(out, 60s, true).size(), values.size()) << "records committed twice";
}

// Under at_least_once a commit made while the coordinator does not answer (here it is paused
// longer than the consumer's socket timeout) waits for it (librdkafka sends the request
// again) rather than failing the thread: once the broker is back, every record's output
// arrives and its offset is committed.
TEST_F(PausedBroker, AnAtLeastOnceCommitWaitsThroughACoordinatorPause) {
  createTopics("paused-alos");
  StreamsBuilder builder;
  heldInput(builder)
      // The records from "hold" on have no output: the commits during the pause have no
      // records to flush first, and go to the coordinator at once.
      .filter([](const std::string&, const std::string& v) { return v.size() == 1; })
      .to(out);
  const std::string app = test::uniqueName("paused-alos");
  KafkaStreams streams(builder.build(),
                       test::appConfig(app, {{"state.dir", "/tmp/kstreams-paused/" + app},
                                             // A commit request times out well within the pause.
                                             {"consumer.socket.timeout.ms", "1500"},
                                             // The group does not expire during it, nor the output.
                                             {"consumer.session.timeout.ms", "30000"},
                                             {"producer.message.timeout.ms", "60000"}}));
  streams.start();
  pauseWhileHeld(streams);
  ASSERT_FALSE(HasFatalFailure());

  std::vector<std::string> expected(values.begin(), values.begin() + 10);
  auto got = test::consume(out, expected.size(), 60s);
  std::vector<std::string> gotValues;
  for (const auto& r : got) gotValues.push_back(*r.value);
  EXPECT_EQ(gotValues, expected) << streams.lastError();
  Admin admin(test::bootstrap());
  EXPECT_TRUE(test::eventually(
      [&] { return admin.committedOffsets(app, in).at(0) == static_cast<int64_t>(values.size()); }, 60s))
      << streams.lastError();
  EXPECT_GT(streams.metrics().commits, 0);
  EXPECT_NE(streams.state(), KafkaStreams::State::ERROR) << streams.lastError();
  EXPECT_TRUE(streams.close(60s));
}

}  // namespace
}  // namespace kstreams
