// fraud_detection: reads JSON orders, writes a JSON alert for every order above a threshold.
//
//   fraud_detection --generate 5000          # write 5000 synthetic orders, then exit
//   fraud_detection --threshold 1000         # run the pipeline until SIGINT / SIGTERM
//
// Both create the topics if they are missing.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>

#include "examples/fraud_detection/large_order_alerts.h"
#include "kstreams.h"

namespace {

struct Flags {
  std::string bootstrapServers = std::getenv("KSTREAMS_BOOTSTRAP") ? std::getenv("KSTREAMS_BOOTSTRAP")
                                                                   : "localhost:9092";
  std::string applicationId = "fraud-detection";
  std::string ordersTopic = "orders";
  std::string alertsTopic = "fraud_alerts";
  double threshold = 1000.0;
  int64_t generate = 0;
  int32_t partitions = 3;
  int threads = 1;
  uint32_t seed = 42;
  int64_t runSeconds = 0;
  bool quiet = false;
};

void createTopics(const Flags& f) {
  kstreams::Admin admin(f.bootstrapServers);
  for (const auto& topic : {f.ordersTopic, f.alertsTopic})
    if (admin.createTopic(topic, f.partitions)) fmt::print(stderr, "created topic {} ({} partitions)\n", topic, f.partitions);
}

int generate(const Flags& f) {
  kstreams::KafkaProducer producer(f.bootstrapServers);
  std::mt19937 rng(f.seed);
  // Most orders are small; a long tail reaches into the thousands.
  std::lognormal_distribution<double> amount(4.5, 1.2);
  std::uniform_int_distribution<int> customer(1, 500);
  const int64_t start = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t above = 0;
  for (int64_t i = 0; i < f.generate; ++i) {
    fraud::Order order{"order-" + std::to_string(i), "customer-" + std::to_string(customer(rng)),
                       std::round(amount(rng) * 100) / 100, start + i};
    above += order.amount > f.threshold;
    producer.send<std::string, fraud::Order>(f.ordersTopic, order.customer_id, order,
                                             kstreams::Serdes::String(), kstreams::Serdes::Json<fraud::Order>(),
                                             order.timestamp);
  }
  producer.flush();
  fmt::print("wrote {} orders to {}; {} of them are above {:.2f}\n", f.generate, f.ordersTopic, above, f.threshold);
  return 0;
}

int run(const Flags& f) {
  kstreams::ShutdownSignal signal;  // before any thread starts
  kstreams::StreamsBuilder builder;
  fraud::LargeOrderOptions options{f.ordersTopic, f.alertsTopic, f.threshold, {}};
  if (!f.quiet)
    options.onAlert = [](const fraud::FraudAlert& a) {
      fmt::print("ALERT {} customer {} amount {:.2f} ({})\n", a.order_id, a.customer_id, a.amount, a.reason);
      std::fflush(stdout);
    };
  fraud::addLargeOrderAlerts(builder, options);
  kstreams::Topology topology = builder.build();
  fmt::print(stderr, "{}", topology.describe().toString());

  kstreams::KafkaStreams streams(topology, {{"application.id", f.applicationId},
                                            {"bootstrap.servers", f.bootstrapServers},
                                            {"num.stream.threads", std::to_string(f.threads)}});
  streams.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(f.runSeconds);
  while (!signal.waitFor(std::chrono::milliseconds(200))) {
    if (streams.state() == kstreams::KafkaStreams::State::ERROR) {
      fmt::print(stderr, "fraud_detection stopped: {}\n", streams.lastError());
      return 1;
    }
    if (f.runSeconds > 0 && std::chrono::steady_clock::now() > deadline) break;
  }
  streams.close();
  auto m = streams.metrics();
  fmt::print(stderr, "processed {} orders; closed cleanly\n", m.processedRecords);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"Flags every order above a threshold as possible fraud (a kstreams example)."};
  app.add_option("--bootstrap-servers", f.bootstrapServers, "Kafka brokers (default: $KSTREAMS_BOOTSTRAP or localhost:9092)");
  app.add_option("--application-id", f.applicationId, "application.id of the streams application")->capture_default_str();
  app.add_option("--orders-topic", f.ordersTopic, "input topic")->capture_default_str();
  app.add_option("--alerts-topic", f.alertsTopic, "output topic")->capture_default_str();
  app.add_option("--threshold", f.threshold, "alert on orders above this amount")->capture_default_str();
  app.add_option("--generate", f.generate, "write this many synthetic orders and exit");
  app.add_option("--seed", f.seed, "random seed of --generate")->capture_default_str();
  app.add_option("--partitions", f.partitions, "partitions of topics this program creates")->capture_default_str();
  app.add_option("--threads", f.threads, "num.stream.threads")->capture_default_str();
  app.add_option("--run-seconds", f.runSeconds, "stop after this many seconds (default: until SIGINT/SIGTERM)");
  app.add_flag("--quiet", f.quiet, "do not print each alert");
  CLI11_PARSE(app, argc, argv);
  try {
    createTopics(f);
    return f.generate > 0 ? generate(f) : run(f);
  } catch (const std::exception& e) {
    fmt::print(stderr, "fraud_detection: {}\n", e.what());
    return 1;
  }
}
