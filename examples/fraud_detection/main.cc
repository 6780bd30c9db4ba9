// fraud_detection: two fraud checks over a stream of JSON orders.
//   - large orders: an alert (fraud_alerts) for every order above a threshold;
//   - velocity: an alert (fraud_velocity_alerts) for a card with too many orders, or too
//     much money, in a 1-minute window, enriched with the customer's profile.
//
//   fraud_detection --generate 5000          # write profiles and 5000 synthetic orders, exit
//   fraud_detection                          # run both checks until SIGINT / SIGTERM
//
// Both modes create the topics if they are missing.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <vector>

#include "examples/fraud_detection/large_order_alerts.h"
#include "examples/fraud_detection/velocity_alerts.h"
#include "examples/fraud_detection/velocity_reference.h"
#include "kstreams.h"

namespace {

struct Flags {
  std::string bootstrapServers = std::getenv("KSTREAMS_BOOTSTRAP") ? std::getenv("KSTREAMS_BOOTSTRAP")
                                                                   : "localhost:9092";
  std::string applicationId = "fraud-detection";
  std::string ordersTopic = "orders";
  std::string alertsTopic = "fraud_alerts";
  std::string profilesTopic = "customer_profiles";
  std::string velocityTopic = "fraud_velocity_alerts";
  double threshold = 1000.0;
  int64_t velocityMaxOrders = 5;
  double velocityMaxAmount = 3000.0;
  int64_t generate = 0;
  int32_t partitions = 3;
  int threads = 1;
  uint32_t seed = 42;
  int64_t runSeconds = 0;
  bool quiet = false;
};

void createTopics(const Flags& f) {
  kstreams::Admin admin(f.bootstrapServers);
  for (const auto& topic : {f.ordersTopic, f.alertsTopic, f.profilesTopic, f.velocityTopic})
    if (admin.createTopic(topic, f.partitions)) fmt::print(stderr, "created topic {} ({} partitions)\n", topic, f.partitions);
}

fraud::VelocityOptions velocityOptions(const Flags& f) {
  fraud::VelocityOptions v;
  v.ordersTopic = f.ordersTopic;
  v.profilesTopic = f.profilesTopic;
  v.alertsTopic = f.velocityTopic;
  v.maxOrders = f.velocityMaxOrders;
  v.maxAmount = f.velocityMaxAmount;
  return v;
}

// The velocity alerts the pipeline will have written once it has read all of `orders`: those
// of windows that close, i.e. that end (plus grace) before the latest order of their task.
size_t closedVelocityAlerts(const std::vector<fraud::Order>& orders,
                            const std::map<std::string, fraud::CustomerProfile>& profiles, const Flags& f) {
  const fraud::VelocityOptions v = velocityOptions(f);
  std::map<int32_t, int64_t> latest;  // partition of the grouped stream -> its stream time
  for (const auto& o : orders) {
    int64_t& t = latest[kstreams::defaultPartition(o.card_id, f.partitions)];
    t = std::max(t, o.timestamp);
  }
  size_t closed = 0;
  for (const auto& [key, alert] : fraud::expectedVelocityAlerts(orders, profiles, v))
    closed += alert.window_end + v.grace.count() <= latest[kstreams::defaultPartition(key.first, f.partitions)];
  return closed;
}

int generate(const Flags& f) {
  namespace Serdes = kstreams::Serdes;
  kstreams::KafkaProducer producer(f.bootstrapServers);
  std::mt19937 rng(f.seed);
  std::lognormal_distribution<double> amount(4.5, 1.2);  // mostly small, a long tail into the thousands
  std::uniform_int_distribution<int> customer(1, 500);
  std::uniform_int_distribution<int> card(1, 2);
  const char* tiers[] = {"standard", "standard", "standard", "gold", "platinum"};
  std::map<std::string, fraud::CustomerProfile> profiles;
  for (int c = 1; c <= 500; ++c) {
    const std::string id = "customer-" + std::to_string(c);
    profiles[id] = fraud::CustomerProfile{id, "Customer " + std::to_string(c), tiers[c % 5]};
    producer.send<std::string, fraud::CustomerProfile>(f.profilesTopic, id, profiles[id], Serdes::String(),
                                                       Serdes::Json<fraud::CustomerProfile>());
  }
  // The orders span the last hour of event time. Now and then a card is used seven times
  // within seconds: what the velocity check is for. Orders are keyed by card, as payment
  // events usually are, so each card's orders stay in order on one partition.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t spacing = std::max<int64_t>(1, 3600000 / std::max<int64_t>(f.generate, 1));
  std::vector<fraud::Order> orders;
  int64_t above = 0;
  for (int64_t i = 0; i < f.generate; ++i) {
    const int c = customer(rng);
    const int64_t ts = now - (f.generate - i) * spacing;
    const bool burst = i % 997 == 500;
    for (int b = 0; b < (burst ? 7 : 1); ++b) {
      fraud::Order order{"order-" + std::to_string(i) + (b ? "-" + std::to_string(b) : ""),
                         "customer-" + std::to_string(c), std::round(amount(rng) * 100) / 100, ts + b * 1000,
                         "card-" + std::to_string(c) + "-" + std::to_string(burst ? 1 : card(rng))};
      above += order.amount > f.threshold;
      producer.send<std::string, fraud::Order>(f.ordersTopic, order.card_id, order, Serdes::String(),
                                               Serdes::Json<fraud::Order>(), order.timestamp);
      orders.push_back(std::move(order));
    }
  }
  producer.flush();
  fmt::print("wrote {} orders to {}; {} of them are above {:.2f}\n", orders.size(), f.ordersTopic, above, f.threshold);
  fmt::print("velocity: {} windows will alert\n", closedVelocityAlerts(orders, profiles, f));
  return 0;
}

int run(const Flags& f) {
  kstreams::ShutdownSignal signal;  // before any thread starts
  kstreams::StreamsBuilder builder;
  fraud::LargeOrderOptions large{f.ordersTopic, f.alertsTopic, f.threshold, {}};
  if (!f.quiet)
    large.onAlert = [](const fraud::FraudAlert& a) {
      fmt::print("ALERT {} customer {} amount {:.2f} ({})\n", a.order_id, a.customer_id, a.amount, a.reason);
      std::fflush(stdout);
    };
  auto orders = fraud::orderStream(builder, f.ordersTopic);
  fraud::addLargeOrderAlerts(orders, large);
  fraud::addVelocityAlerts(builder, orders, velocityOptions(f));
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
  fmt::print(stderr, "processed {} records; closed cleanly\n", m.processedRecords);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"Two fraud checks over a stream of orders (a kstreams example)."};
  app.add_option("--bootstrap-servers", f.bootstrapServers, "Kafka brokers (default: $KSTREAMS_BOOTSTRAP or localhost:9092)");
  app.add_option("--application-id", f.applicationId, "application.id of the streams application")->capture_default_str();
  app.add_option("--orders-topic", f.ordersTopic, "input topic")->capture_default_str();
  app.add_option("--alerts-topic", f.alertsTopic, "large-order alerts")->capture_default_str();
  app.add_option("--profiles-topic", f.profilesTopic, "customer profiles (a table)")->capture_default_str();
  app.add_option("--velocity-alerts-topic", f.velocityTopic, "velocity alerts")->capture_default_str();
  app.add_option("--threshold", f.threshold, "alert on orders above this amount")->capture_default_str();
  app.add_option("--velocity-max-orders", f.velocityMaxOrders, "alert above this many orders per card and minute")
      ->capture_default_str();
  app.add_option("--velocity-max-amount", f.velocityMaxAmount, "alert above this total per card and minute")
      ->capture_default_str();
  app.add_option("--generate", f.generate, "write customer profiles and this many synthetic orders, then exit");
  app.add_option("--seed", f.seed, "random seed of --generate")->capture_default_str();
  app.add_option("--partitions", f.partitions, "partitions of topics this program creates")->capture_default_str();
  app.add_option("--threads", f.threads, "num.stream.threads")->capture_default_str();
  app.add_option("--run-seconds", f.runSeconds, "stop after this many seconds (default: until SIGINT/SIGTERM)");
  app.add_flag("--quiet", f.quiet, "do not print each large-order alert");
  CLI11_PARSE(app, argc, argv);
  try {
    createTopics(f);
    return f.generate > 0 ? generate(f) : run(f);
  } catch (const std::exception& e) {
    fmt::print(stderr, "fraud_detection: {}\n", e.what());
    return 1;
  }
}
