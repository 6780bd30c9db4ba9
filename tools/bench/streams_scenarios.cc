// The scenarios as a kstreams user would write them, mirroring Kafka's former
// SimpleBenchmark and the Kafka Streams baseline in tools/bench/java. Records are counted in
// a peek() right after the source. A stateful scenario's CPU and memory are measured until
// its stores hold the N records' writes (Meter::settle, docs/benchmarks.md "What the numbers
// mean").
#include <fmt/core.h>

#include <chrono>
#include <thread>

#include "kstreams.h"
#include "tools/bench/bench.h"

namespace bench {
namespace {

using kstreams::Bytes;

// Reads and writes a key-value store for every record.
class GetPut : public kstreams::Processor<std::string, Bytes> {
 public:
  void init(kstreams::ProcessorContext<kstreams::Void, kstreams::Void>& ctx) override {
    store_ = &ctx.getStateStore<kstreams::KeyValueStore<std::string, Bytes>>("bench-store");
  }
  void process(kstreams::Record<std::string, Bytes> r) override {
    store_->get(r.key);
    store_->put(r.key, r.value);
  }

 private:
  kstreams::KeyValueStore<std::string, Bytes>* store_ = nullptr;
};

// Puts every record into a window store at its timestamp.
class WindowPut : public kstreams::Processor<std::string, Bytes> {
 public:
  void init(kstreams::ProcessorContext<kstreams::Void, kstreams::Void>& ctx) override {
    store_ = &ctx.getStateStore<kstreams::WindowStore<std::string, Bytes>>("bench-store");
  }
  void process(kstreams::Record<std::string, Bytes> r) override { store_->put(r.key, r.value, r.timestamp); }

 private:
  kstreams::WindowStore<std::string, Bytes>* store_ = nullptr;
};

bool isStateless(const std::string& scenario) {
  return scenario == "streamprocess" || scenario == "streamprocesswithsink";
}

// The joiners return the left value, as the Kafka Streams baseline's do.
Bytes left(const Bytes& v1, const Bytes&) { return v1; }

}  // namespace

int runStreamsScenario(const Options& o, Meter& meter) {
  using namespace kstreams;
  StreamsBuilder builder;
  auto counted = [&](const std::string& topic) {
    return builder.stream<std::string, Bytes>(topic).peek(
        [&meter](const std::string& k, const Bytes& v) { meter.record(static_cast<int64_t>(k.size() + v.data.size())); });
  };
  if (o.scenario == "streamprocess") {
    counted(o.inputTopic);
  } else if (o.scenario == "streamprocesswithsink") {
    counted(o.inputTopic).to(o.outputTopic);
  } else if (o.scenario == "streamprocesswithstatestore") {
    builder.addStateStore(Stores::keyValueStoreBuilder<std::string, Bytes>(Stores::persistentKeyValueStore("bench-store")));
    counted(o.inputTopic).process([] { return std::make_unique<GetPut>(); }, {"bench-store"});
  } else if (o.scenario == "streamprocesswithwindowstore") {
    builder.addStateStore(Stores::windowStoreBuilder<std::string, Bytes>(
        Stores::persistentWindowStore("bench-store", std::chrono::minutes(10), std::chrono::minutes(1), false)));
    counted(o.inputTopic).process([] { return std::make_unique<WindowPut>(); }, {"bench-store"});
  } else if (o.scenario == "streamcount") {
    counted(o.inputTopic).groupByKey().count();
  } else if (o.scenario == "streamcountwindowed") {
    counted(o.inputTopic).groupByKey().windowedBy(TimeWindows::ofSizeWithNoGrace(std::chrono::minutes(1))).count();
  } else if (o.scenario == "streamtablejoin") {
    auto table = builder.table<std::string, Bytes>(o.tableTopic);
    counted(o.inputTopic).join(table, left).to(o.outputTopic);
  } else if (o.scenario == "streamstreamjoin") {
    auto other = builder.stream<std::string, Bytes>(o.secondInputTopic);
    counted(o.inputTopic)
        .join(other, left, JoinWindows::ofTimeDifferenceWithNoGrace(std::chrono::minutes(1)))
        .to(o.outputTopic);
  } else if (o.scenario == "tabletablejoin") {
    // As the baseline: the left table is the counted input stream made a table.
    auto right = builder.table<std::string, Bytes>(o.secondInputTopic);
    counted(o.inputTopic).toTable().join(right, left).toStream().to(o.outputTopic);
  } else {
    fmt::print(stderr, "kstreams-bench: unsupported scenario {}\n", o.scenario);
    return 3;
  }

  std::map<std::string, std::string> config = {{"application.id", o.applicationId},
                                               {"bootstrap.servers", o.bootstrapServers},
                                               {"processing.guarantee", o.guarantee},
                                               {"num.stream.threads", std::to_string(o.threads)},
                                               {"state.dir", o.stateDir}};
  if (o.commitIntervalMs) config["commit.interval.ms"] = std::to_string(*o.commitIntervalMs);
  for (const std::string& kv : o.config) {  // each checked to be KEY=VALUE by main
    const size_t eq = kv.find('=');
    config[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  KafkaStreams streams(builder.build(), config);
  streams.setStateListener([&meter](KafkaStreams::State now, KafkaStreams::State) {
    if (now == KafkaStreams::State::RUNNING) meter.start();
  });
  streams.start();
  // Until the last record: the budgets' gauges at each new high of resident memory. A
  // sample every 10 ms costs a read of /proc/self/statm; the gauges are read only at a new
  // high.
  MemoryAtPeak memory;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeoutS);
  while (!meter.done() && std::chrono::steady_clock::now() < deadline) {
    if (const double rss = currentRssMb(); rss > memory.rssMb) {
      const KafkaStreams::Metrics m = streams.metrics();
      constexpr double kMiB = 1 << 20;
      memory = {rss, allocatedMb(), m.memtableBytes / kMiB, m.blockCacheBytes / kMiB, m.uncommittedBytes / kMiB,
                m.recordCacheBytes / kMiB};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool done = meter.done();
  meter.setMemoryAtPeak(memory);
  const std::string error = streams.lastError();
  if (done && !isStateless(o.scenario)) {
    // A stateful scenario's store writes wait in memory for a commit, where Kafka Streams
    // writes its stores as it goes: its CPU and memory are measured until close()'s commit
    // has applied the writes of the N records (and anything processed since).
    const int64_t appliedBefore = streams.metrics().storeApplies;
    std::thread closing([&streams] { streams.close(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (streams.metrics().storeApplies == appliedBefore && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (streams.metrics().storeApplies > appliedBefore) meter.settle();
    closing.join();
    if (!meter.settled()) {
      fmt::print(stderr, "kstreams-bench: close() did not apply the store writes within 60 s{}\n",
                 streams.lastError().empty() ? "" : "; " + streams.lastError());
      return 1;
    }
    return 0;
  }
  streams.close();
  if (!done) {
    fmt::print(stderr, "kstreams-bench: only {} of {} records within {} s{}\n", meter.count(), o.records, o.timeoutS,
               error.empty() ? "" : "; " + error);
    return 1;
  }
  return 0;
}

}  // namespace bench
