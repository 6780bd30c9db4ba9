// kstreams-bench: loads the benchmark data, or runs one scenario and reports records/s,
// MB/s, CPU-seconds per million records and peak RSS (one JSON line on stdout, one line for
// people on stderr). The Kafka Streams baseline (tools/bench/java) takes the same options;
// tools/bench/compare runs both. See docs/benchmarks.md.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "kstreams.h"
#include "tools/bench/bench.h"

int main(int argc, char** argv) {
  bench::Options o;
  bool loadData = false;
  CLI::App app{"kstreams-bench: the kstreams side of the benchmark (see docs/benchmarks.md)"};
  app.add_option("--bootstrap-servers", o.bootstrapServers)->required();
  app.add_flag("--load", loadData, "create the topics and write the input data, then exit");
  app.add_option("--scenario", o.scenario);
  app.add_option("--guarantee", o.guarantee)->check(CLI::IsMember({"at_least_once", "exactly_once_v2"}));
  app.add_option("--records", o.records)->capture_default_str();
  app.add_option("--keys", o.keys, "distinct keys (default: --records)");
  app.add_option("--value-bytes", o.valueBytes)->capture_default_str();
  app.add_option("--partitions", o.partitions)->capture_default_str();
  app.add_option("--skew", o.skew, "Zipf exponent of the key distribution (0: uniform)");
  app.add_option("--input-topic", o.inputTopic)->capture_default_str();
  app.add_option("--second-input-topic", o.secondInputTopic)->capture_default_str();
  app.add_option("--table-topic", o.tableTopic)->capture_default_str();
  app.add_option("--output-topic", o.outputTopic)->capture_default_str();
  app.add_option("--threads", o.threads)->capture_default_str();
  app.add_option("--state-dir", o.stateDir, "default: a fresh temporary directory, deleted at exit");
  app.add_option("--application-id", o.applicationId, "default: bench-<scenario>-<random>");
  app.add_option("--commit-interval-ms", o.commitIntervalMs);
  app.add_option("--timeout-s", o.timeoutS)->capture_default_str();
  app.add_option("--config", o.config,
                 "KEY=VALUE, repeatable, applied after the harness's own: the streams scenarios' configuration; "
                 "for consume and consumeproduce the clients' (consumer.K / producer.K: K for that client only)");
  CLI11_PARSE(app, argc, argv);
  for (const std::string& kv : o.config) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      fmt::print(stderr, "kstreams-bench: --config wants KEY=VALUE, not '{}'\n", kv);
      return 2;
    }
  }
  if (!std::getenv("KSTREAMS_LOG_LEVEL")) kstreams::setLogLevel("warn");

  try {
    if (loadData) return bench::load(o);
    if (o.scenario.empty()) {
      fmt::print(stderr, "kstreams-bench: --scenario or --load is required\n");
      return 2;
    }
    if (o.applicationId.empty()) o.applicationId = "bench-" + o.scenario + "-" + std::to_string(std::random_device{}());
    bool ownStateDir = false;
    if (o.stateDir.empty()) {
      char dir[] = "/tmp/kstreams-bench-XXXXXX";
      if (!mkdtemp(dir)) throw kstreams::StreamsException("cannot create a temporary state directory");
      o.stateDir = dir;
      ownStateDir = true;
    }
    bench::Meter meter(o.records);
    int status = bench::isClientScenario(o.scenario) ? bench::runClientScenario(o, meter)
                                                     : bench::runStreamsScenario(o, meter);
    if (ownStateDir) std::filesystem::remove_all(o.stateDir);
    if (status == 0) meter.report(o);
    return status;
  } catch (const std::exception& e) {
    fmt::print(stderr, "kstreams-bench: {}\n", e.what());
    return 1;
  }
}
