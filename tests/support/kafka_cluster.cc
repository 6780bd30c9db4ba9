#include "tests/support/kafka_cluster.h"

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

namespace kstreams::test {

std::string requiredEnv(const char* name, const std::string& howToSetIt) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') throw std::runtime_error(std::string(name) + " is not set: " + howToSetIt);
  return value;
}

std::string bootstrap() {
  return requiredEnv("KSTREAMS_BOOTSTRAP",
                     "run tools/test, or start a broker with tools/kafka-local start and export "
                     "KSTREAMS_BOOTSTRAP=<its address>");
}

std::string uniqueName(const std::string& base) {
  static std::atomic<int> counter{0};
  static const uint32_t run = std::random_device{}();
  return base + "-" + std::to_string(run) + "-" + std::to_string(counter++);
}

StreamsConfig appConfig(const std::string& app, const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> props = {{"application.id", app},
                                              {"bootstrap.servers", bootstrap()},
                                              {"commit.interval.ms", "100"},
                                              {"state.dir", "/tmp/kstreams-it"},
                                              {"consumer.session.timeout.ms", "6000"},
                                              {"consumer.heartbeat.interval.ms", "500"}};
  for (const auto& [k, v] : extra) props[k] = v;
  return StreamsConfig(props);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

internal::WatermarkQuery endAhead(std::shared_ptr<std::atomic<int>> ahead) {
  return [ahead](rd_kafka_t* client, const char* topic, int32_t partition, int64_t* low, int64_t* high, int timeoutMs) {
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(client, topic, partition, low, high, timeoutMs);
    *high += ahead->load();
    return err;
  };
}

}  // namespace kstreams::test
