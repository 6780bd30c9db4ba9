// processValues and print on the real broker, with tasks on two stream threads: a count
// after processValues makes no repartition topic, and every task's print lines reach the
// one file whole.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "kstreams.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::appConfig;
using test::bootstrap;
using test::uniqueName;

class Upper : public FixedKeyProcessor<std::string, std::string, std::string> {
 public:
  void init(FixedKeyProcessorContext<std::string, std::string>& ctx) override { ctx_ = &ctx; }
  void process(FixedKeyRecord<std::string, std::string> r) override {
    std::string v = r.value();
    for (char& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ctx_->forward(std::move(r).withValue(std::move(v)));
  }

 private:
  FixedKeyProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

TEST(DslOperators, ACountAfterProcessValuesOnTwoThreadsNeedsNoRepartitionAndPrintsEachRecordWhole) {
  Admin admin(bootstrap());
  const std::string in = uniqueName("in"), out = uniqueName("out"), app = uniqueName("process-values-app");
  admin.createTopic(in, 4);
  admin.createTopic(out, 4);
  constexpr int kKeys = 20, kPerKey = 20;
  std::set<std::string> expectedLines;
  {
    KafkaProducer producer(bootstrap());
    const int64_t base = internal::nowMs() - 60000;
    for (int seq = 0; seq < kPerKey; ++seq)
      for (int k = 0; k < kKeys; ++k) {
        const std::string key = "k" + std::to_string(k), value = "v" + std::to_string(seq);
        producer.send(in, key, value, base + seq, -1, {});
        expectedLines.insert("[upper]: " + key + ", V" + std::to_string(seq));
      }
    producer.flush();
  }
  const std::string file = (std::filesystem::temp_directory_path() / (app + ".txt")).string();
  {
    StreamsBuilder builder;
    auto upper = builder.stream<std::string, std::string>(in).processValues([] { return std::make_unique<Upper>(); });
    upper.print(Printed<std::string, std::string>::toFile(file).withLabel("upper"));
    upper.groupByKey().count().toStream().to(out, Produced<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()));
    KafkaStreams streams(builder.build(), appConfig(app, {{"num.stream.threads", "2"}}));
    streams.start();
    ASSERT_TRUE(streams.waitForState(KafkaStreams::State::RUNNING, 60s)) << streams.lastError();

    std::map<std::string, int64_t> counts;
    const bool counted = test::eventually(
        [&] {
          for (const auto& r : test::consumeToEnd(out, 10s))
            if (r.key && r.value) counts[*r.key] = Serdes::Int64()->deserialize(*r.value);
          if (counts.size() != kKeys) return false;
          for (const auto& [key, n] : counts)
            if (n != kPerKey) return false;
          return true;
        },
        120s);
    EXPECT_TRUE(counted) << counts.size() << " keys counted";
    int changelogs = 0;  // the count's: internal topics are listed
    for (const auto& [topic, partitions] : admin.listTopics()) {
      if (topic.find(app + "-") != 0) continue;
      EXPECT_EQ(topic.find("-repartition"), std::string::npos) << topic;
      if (topic.ends_with("-changelog")) ++changelogs;
    }
    EXPECT_EQ(changelogs, 1);
    ASSERT_TRUE(streams.close(60s));
  }
  std::ifstream lines(file);
  std::multiset<std::string> printed;
  for (std::string line; std::getline(lines, line);) printed.insert(line);
  EXPECT_EQ(printed.size(), expectedLines.size()) << "each record printed once, on a line of its own";
  EXPECT_EQ(std::set<std::string>(printed.begin(), printed.end()), expectedLines);
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace kstreams
