#include "runtime/kafka_client.h"

#include "runtime/log.h"

namespace kstreams::internal {
namespace {

void relayLog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  // syslog levels: 0 emerg .. 7 debug.
  spdlog::level::level_enum l = level <= 3   ? spdlog::level::err
                                : level == 4 ? spdlog::level::warn
                                : level <= 6 ? spdlog::level::info
                                             : spdlog::level::debug;
  log().log(l, "librdkafka {} {}: {}", rd_kafka_name(rk), facility, message);
}

}  // namespace

std::map<std::string, std::string> clientProperties(
    const StreamsConfig& config, const std::string& client, const std::string& clientId,
    const std::map<std::string, std::string>& defaults,
    const std::map<std::string, std::string>& owned) {
  std::map<std::string, std::string> props = defaults;
  props["bootstrap.servers"] = config.bootstrapServers();
  props["client.id"] = clientId;
  for (const auto& [k, v] : config.clientProperties(client)) props[k] = v;
  for (const auto& [k, v] : owned) props[k] = v;
  return props;
}

KafkaConf makeConf(const std::map<std::string, std::string>& properties) {
  KafkaConf conf(rd_kafka_conf_new());
  char err[512];
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof(err)) !=
        RD_KAFKA_CONF_OK)
      throw ConfigException("client property '" + key + "' = '" + value + "' is rejected: " + err);
  }
  rd_kafka_conf_set_log_cb(conf.get(), relayLog);
  return conf;
}

KafkaHandle createClient(rd_kafka_type_t type, KafkaConf conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof(err));
  if (rk == nullptr) throw StreamsException(std::string("cannot create a Kafka client: ") + err);
  conf.release();  // rd_kafka_new took it
  return KafkaHandle(rk);
}

std::string partitionName(const std::string& topic, int32_t partition) {
  return "topic " + topic + " partition " + std::to_string(partition);
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kstreams::internal
