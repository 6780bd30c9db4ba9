#include "runtime/kafka_client.h"

#include <algorithm>
#include <future>
#include <memory>
#include <thread>

#include "runtime/log.h"
#include "runtime/thread_name.h"

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

std::string clientCreationError(rd_kafka_type_t type, std::map<std::string, std::string> properties) {
  properties.erase("bootstrap.servers");
  // Security settings act at creation (a GSSAPI client runs kinit, an OIDC one fetches a
  // token, SSL files are read): a check must not do any of that, and what it checks does
  // not depend on them.
  std::erase_if(properties, [](const auto& p) {
    return p.first == "security.protocol" || p.first.starts_with("sasl.") || p.first.starts_with("ssl.") ||
           p.first.starts_with("ssl_");
  });
  KafkaConf conf = makeConf(properties);
  rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int, const char*, const char*) {});
  char error[512];
  rd_kafka_t* client = rd_kafka_new(type, conf.get(), error, sizeof error);
  if (!client) return error;
  conf.release();  // rd_kafka_new took it
  rd_kafka_destroy(client);
  return "";
}

std::string recordTooLargeToSend(rd_kafka_t* producer, size_t recordBytes, std::string_view setting) {
  char max[32] = "?";
  size_t maxSize = sizeof max;
  rd_kafka_conf_get(rd_kafka_conf(producer), "message.max.bytes", max, &maxSize);
  return " (a record of " + std::to_string(recordBytes) + " bytes of key and value, more than " +
         std::string(setting) + " (" + max + ") allows with the record's overhead; the Java producer's max.request.size)";
}

KafkaHandle createClient(rd_kafka_type_t type, KafkaConf conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof(err));
  if (rk == nullptr) throw StreamsException(std::string("cannot create a Kafka client: ") + err);
  conf.release();  // rd_kafka_new took it
  return KafkaHandle(rk);
}

rd_kafka_resp_err_t produce(rd_kafka_t* producer, rd_kafka_topic_t* topic, int32_t partition,
                            std::optional<std::string_view> key,
                            std::optional<std::string_view> value, int64_t timestamp,
                            const Headers& headers, void* opaque) {
  // A non-null pointer marks an empty (not null) key or value.
  static const char kEmpty[1] = {0};
  const void* keyPtr = key ? (key->empty() ? kEmpty : key->data()) : nullptr;
  void* valuePtr = value ? const_cast<char*>(value->empty() ? kEmpty : value->data()) : nullptr;
  const size_t keySize = key ? key->size() : 0;
  const size_t valueSize = value ? value->size() : 0;
  rd_kafka_headers_t* hdrs = nullptr;
  if (!headers.empty()) {
    hdrs = rd_kafka_headers_new(headers.size());
    for (const Header& h : headers)
      rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()),
                          h.value ? h.value->data() : nullptr,
                          h.value ? static_cast<ssize_t>(h.value->size()) : 0);
  }
  // librdkafka reads every argument it is given through a switch: a record of a sink (no
  // partition chosen, no headers, no delivery slot) is given only what it has, which saved
  // its thread 3% of its instructions (docs/benchmark-profiles.md).
  const bool plain = partition < 0 && !hdrs && !opaque;
  for (;;) {
    rd_kafka_resp_err_t err =
        plain ? rd_kafka_producev(producer, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_KEY(keyPtr, keySize), RD_KAFKA_V_VALUE(valuePtr, valueSize),
                                  RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_END)
              : rd_kafka_producev(producer, RD_KAFKA_V_RKT(topic),
                                  RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(keyPtr, keySize),
                                  RD_KAFKA_V_VALUE(valuePtr, valueSize), RD_KAFKA_V_TIMESTAMP(timestamp),
                                  RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // librdkafka's queue is full: wait (at most 10 ms) for deliveries to make room. flush
      // serves delivery reports itself, or waits while another thread serves them.
      rd_kafka_flush(producer, 10);
      continue;
    }
    if (err && hdrs) rd_kafka_headers_destroy(hdrs);
    return err;
  }
}

KafkaMetadata topicMetadata(rd_kafka_t* client, const std::string& topic, int timeoutMs, rd_kafka_resp_err_t& err) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client, topic.c_str(), nullptr);
  if (!handle) {
    err = rd_kafka_last_error();
    return nullptr;
  }
  const rd_kafka_metadata_t* md = nullptr;
  err = rd_kafka_metadata(client, 0, handle, &md, timeoutMs);
  rd_kafka_topic_destroy(handle);
  return KafkaMetadata(err ? nullptr : md);
}

Headers headersOf(rd_kafka_message_t* message) {
  Headers out;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(message, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hdrs) return out;
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
    out.add(name, value ? std::optional<std::string>(std::string(static_cast<const char*>(value), size))
                        : std::nullopt);
  return out;
}

bool topicGoneOrForbidden(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
         err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
}

void destroyWithin(KafkaHandle client, std::chrono::milliseconds timeout) {
  if (!client) return;
  const std::string name = rd_kafka_name(client.get());
  auto destroyed = std::make_shared<std::promise<void>>();
  std::future<void> done = destroyed->get_future();
  std::thread([client = std::move(client), destroyed]() mutable {
    nameThisThread("ks-close");
    client.reset();
    destroyed->set_value();
  }).detach();
  if (done.wait_for(timeout) == std::future_status::timeout)
    log().warn("librdkafka did not finish closing {} within {} ms; its threads are left behind (librdkafka 2.0 can "
               "hang so after a topic it read was deleted)",
               name, timeout.count());
}

int waitSliceMs(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 1, 1000));
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
