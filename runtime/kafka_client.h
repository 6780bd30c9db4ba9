// Thin RAII over librdkafka's C API, and how kstreams configures its clients. Internal.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/streams_config.h"

namespace kstreams::internal {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
  void operator()(rd_kafka_consumer_group_metadata_t* m) const {
    rd_kafka_consumer_group_metadata_destroy(m);
  }
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using KafkaError = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;
using KafkaEvent = std::unique_ptr<rd_kafka_event_t, KafkaDeleter>;
using KafkaMetadata = std::unique_ptr<const rd_kafka_metadata_t, KafkaDeleter>;
using KafkaTopic = std::unique_ptr<rd_kafka_topic_t, KafkaDeleter>;

// The properties of one kind of client ("consumer", "producer" or "admin"): kstreams'
// defaults, then the user's pass-through properties for that client, then the settings
// kstreams must own (given in `owned`).
std::map<std::string, std::string> clientProperties(
    const StreamsConfig& config, const std::string& client, const std::string& clientId,
    const std::map<std::string, std::string>& defaults,
    const std::map<std::string, std::string>& owned);

// A configuration object with these properties and kstreams' log relay. Throws
// ConfigException naming the property librdkafka rejects.
KafkaConf makeConf(const std::map<std::string, std::string>& properties);

// What librdkafka says when refusing to create a client of this type with these properties
// (some it checks only together, at creation), or "" if it would create one. Connects to no
// broker and authenticates nothing: bootstrap.servers and the security settings are left out.
std::string clientCreationError(rd_kafka_type_t type, std::map<std::string, std::string> properties);

// Why librdkafka refused to queue a record of `recordBytes` (key and value): it is larger
// than `producer`'s message.max.bytes, which the user sets as `setting`.
std::string recordTooLargeToSend(rd_kafka_t* producer, size_t recordBytes, std::string_view setting);

// Creates the client; takes the conf. Throws StreamsException if librdkafka refuses.
KafkaHandle createClient(rd_kafka_type_t type, KafkaConf conf);

// Enqueues one record (copied) in the producer's queue, waiting for room when it is full.
// A null key or value is sent as null, an empty one as empty. Returns librdkafka's error.
rd_kafka_resp_err_t produce(rd_kafka_t* producer, rd_kafka_topic_t* topic, int32_t partition,
                            std::optional<std::string_view> key,
                            std::optional<std::string_view> value, int64_t timestamp,
                            const Headers& headers, void* opaque = nullptr);

// rd_kafka_query_watermark_offsets, or a stand-in for tests: where a partition begins and
// ends, asked of its leader.
using WatermarkQuery = std::function<rd_kafka_resp_err_t(rd_kafka_t*, const char* topic, int32_t partition,
                                                         int64_t* low, int64_t* high, int timeoutMs)>;

// The metadata of one topic, asked of the cluster (which also refreshes the client's cache
// of its partition leaders). Null if the request failed; err says why.
KafkaMetadata topicMetadata(rd_kafka_t* client, const std::string& topic, int timeoutMs, rd_kafka_resp_err_t& err);

// Converts a consumed message's headers.
Headers headersOf(rd_kafka_message_t* message);

// "topic partition N": for messages.
std::string partitionName(const std::string& topic, int32_t partition);
// A consumer error no retry gets past: the topic is gone, or the client may not read it.
bool topicGoneOrForbidden(rd_kafka_resp_err_t err);

// Destroys a client on a thread of its own and waits up to `timeout` for it. librdkafka 2.0.2
// can wait for ever destroying a consumer whose subscribed topic was deleted (a broker thread
// keeps waiting for a partition's last reference); past the timeout the client and its
// threads are left behind, with a warning, so the caller can go on.
void destroyWithin(KafkaHandle client, std::chrono::milliseconds timeout);

// How long one librdkafka call may wait in a loop that close() must be able to end: the
// milliseconds left until `deadline`, at least 1 and at most a second.
int waitSliceMs(std::chrono::steady_clock::time_point deadline);

// Milliseconds since the epoch.
int64_t nowMs();

}  // namespace kstreams::internal
