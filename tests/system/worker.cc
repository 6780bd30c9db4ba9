// A worker of the system test's application: echoes the input, and keeps per-key running
// aggregates (count, sum, min, max) through a repartition step, with caching off so every
// input record yields one aggregate record. Prints a line each time it reaches RUNNING, with
// what it restored, and at the end how often it redid work since a commit; closes cleanly on
// SIGTERM.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "kstreams.h"
#include "tests/system/model.h"

using system_test::Aggregate;

int main(int argc, char** argv) {
  std::string bootstrap, applicationId = "system-test", stateDir, guarantee = "exactly_once_v2";
  std::string input = "input", echo = "echo", aggregates = "aggregates";
  int threads = 1;
  std::vector<std::string> extraConfig;
  CLI::App app{"system test worker"};
  app.add_option("--bootstrap-servers", bootstrap)->required();
  app.add_option("--application-id", applicationId);
  app.add_option("--state-dir", stateDir)->required();
  app.add_option("--guarantee", guarantee);
  app.add_option("--threads", threads);
  app.add_option("--config", extraConfig, "KEY=VALUE, repeatable: more Streams configuration");
  CLI11_PARSE(app, argc, argv);

  kstreams::ShutdownSignal signal;
  using namespace kstreams;
  StreamsBuilder builder;
  auto records = builder.stream(input, Consumed<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()));
  records.to(echo, Produced<std::string, int64_t>::with(Serdes::String(), Serdes::Int64()));
  records.groupBy([](const std::string& key, const int64_t&) { return key; },
                  Grouped<std::string, int64_t>::as("by-key"))
      .aggregate([] { return Aggregate{}; },
                 [](const std::string&, const int64_t& seq, const Aggregate& agg) { return agg.add(seq); },
                 Materialized<std::string, Aggregate>::as("aggregates")
                     .withValueSerde(Serdes::Json<Aggregate>())
                     .withCachingDisabled())
      .toStream()
      .to(aggregates, Produced<std::string, std::optional<Aggregate>>::with(Serdes::String(), Serdes::Json<Aggregate>()));

  try {
    std::map<std::string, std::string> config = {{"application.id", applicationId},
                                                 {"bootstrap.servers", bootstrap},
                                                 {"state.dir", stateDir},
                                                 {"processing.guarantee", guarantee},
                                                 {"num.stream.threads", std::to_string(threads)},
                                                 {"replication.factor", "3"},
                                                 {"consumer.session.timeout.ms", "6000"},
                                                 {"consumer.heartbeat.interval.ms", "1000"}};
    for (const std::string& kv : extraConfig) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) throw std::invalid_argument("--config wants KEY=VALUE, not " + kv);
      config[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    KafkaStreams streams(builder.build(), config);
    const auto started = std::chrono::steady_clock::now();
    streams.setStateListener([&](KafkaStreams::State now, KafkaStreams::State) {
      if (now != KafkaStreams::State::RUNNING) return;
      auto m = streams.metrics();
      fmt::print("worker: RUNNING after {} ms; restored {} records, the latest task in {} ms\n",
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count(),
                 m.restoredRecords, m.lastRestoreTimeMs);
      std::fflush(stdout);
    });
    streams.start();
    while (!signal.waitFor(std::chrono::milliseconds(200)))
      if (streams.state() == KafkaStreams::State::ERROR) break;
    streams.close();
    fmt::print("worker: stopped; redid the work since a commit {} time(s)\n", streams.metrics().redos);
    if (streams.state() == KafkaStreams::State::ERROR) {
      fmt::print(stderr, "worker: stopped in ERROR: {}\n", streams.lastError());
      return 1;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "worker: {}\n", e.what());
    return 1;
  }
  return 0;
}
