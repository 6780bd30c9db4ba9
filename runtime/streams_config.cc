#include "runtime/streams_config.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>

#include "runtime/stream_thread.h"
#include "runtime/streams_metadata.h"
#include "runtime/streams_producer.h"

namespace kstreams {
namespace {

constexpr const char* kClientPrefixes[] = {"consumer.", "producer.", "admin."};

// Client settings kstreams owns: letting a user change them would break its guarantees.
const std::set<std::string>& ownedClientKeys() {
  static const std::set<std::string> keys = {
      "group.id",           "enable.auto.commit",  "enable.auto.offset.store",
      "isolation.level",    "transactional.id",    "enable.partition.eof",
      "group.protocol.type", "partition.assignment.strategy", "delivery.report.only.error"};
  return keys;
}

// Kafka Streams and Java client keys that librdkafka does not know, and what a kstreams
// config says instead (prefix: the client prefix the key came with, or "").
std::string insteadOfJavaKey(const std::string& property, const std::string& prefix) {
  const std::string producer = prefix.empty() ? "producer." : prefix;
  if (property == "cache.max.bytes.buffering")
    return "; its name since Kafka Streams 3.4 is statestore.cache.max.bytes, which kstreams takes";
  if (property == "max.request.size")
    return "; librdkafka's name for the Java producer's max.request.size is message.max.bytes (" + producer +
           "message.max.bytes)";
  if (property == "buffer.memory")
    return "; librdkafka's nearest is queue.buffering.max.kbytes (" + producer + "queue.buffering.max.kbytes)";
  if (property == "max.poll.records")
    return "; librdkafka has no such limit: a stream thread buffers up to buffered.records.per.partition records "
           "of each input partition";
  if (property == "num.standby.replicas")
    return "; kstreams keeps no standby replicas: a task's stores are restored from their changelogs where it moves";
  return "";
}

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& why) {
  throw ConfigException("configuration key '" + key + "' has the bad value '" + value + "': " +
                        why);
}

int64_t toInt(const std::string& key, const std::string& value, int64_t min, int64_t max) {
  int64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size())
    bad(key, value, "expected a whole number");
  if (out < min || out > max)
    bad(key, value, "expected a number from " + std::to_string(min) + " to " + std::to_string(max));
  return out;
}

// Whether librdkafka knows the property and accepts the value. Returns its complaint, or "".
std::string librdkafkaCheck(const std::string& key, const std::string& value) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                         rd_kafka_conf_destroy);
  char err[512] = {0};
  rd_kafka_conf_res_t res = rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof(err));
  if (res == RD_KAFKA_CONF_OK) return "";
  if (res == RD_KAFKA_CONF_UNKNOWN) return "unknown";
  return err;
}

}  // namespace

const std::vector<StreamsConfig::KeyInfo>& StreamsConfig::keys() {
  static const std::vector<KeyInfo> info = {
      {kApplicationId, "(required)",
       "Names the application: the consumer group, the prefix of internal topics and the "
       "state directory. Letters, digits, '.', '_' and '-'."},
      {kBootstrapServers, "(required)", "host:port list of Kafka brokers."},
      {kNumStreamThreads, "1", "Stream threads in this instance; each has its own consumer and producer."},
      {kProcessingGuarantee, "at_least_once",
       "at_least_once or exactly_once_v2 (transactions; consumers read_committed)."},
      {kCommitIntervalMs, "30000 (100 under exactly_once_v2)",
       "How often a thread commits its progress."},
      {kStateDir, "/tmp/kstreams", "Where state stores live: <state.dir>/<application.id>/<task>/<store>."},
      {kMaxTaskIdleMs, "0",
       "How long a task with several input partitions waits for an empty one before processing "
       "the others out of timestamp order; 0 waits only for data already on the broker, -1 never waits."},
      {kBufferedRecordsPerPartition, "1000",
       "Records of one input partition a task holds; more wait in the consumer's prefetch queue for the partition."},
      {kPrefetchRefillRequests, "true",
       "Whether a thread that has taken half of a partition's prefetch queue asks the partition's "
       "broker for a refill (a DescribeConfigs request of its broker.id), instead of waiting up to "
       "a second for librdkafka to fetch again. With false a thread with state stores prefetches "
       "16 MiB instead of 4."},
      {kPollMs, "100", "How long a thread blocks polling when it has nothing to process."},
      {kDefaultKeySerde, "",
       "Built-in serde for keys without one (String, Long, Integer, Double, Bytes, ... or the Java "
       "class name); used where it fits the key type."},
      {kDefaultValueSerde, "", "The same for values."},
      {kDeserializationHandler, "LogAndFail",
       "LogAndFail: stop in ERROR at a record that does not deserialize. LogAndContinue: log it, "
       "count it in skipped-records, go on."},
      {kDefaultTimestampExtractor, "FailOnInvalidTimestamp",
       "The timestamp extractor of sources without their own (Consumed::withTimestampExtractor), "
       "repartition topics' included: FailOnInvalidTimestamp, LogAndSkipOnInvalidTimestamp, "
       "UsePartitionTimeOnInvalidTimestamp or WallclockTimestampExtractor, Kafka Streams' built-in "
       "extractors (their Java class names too)."},
      {kProductionHandler, "Fail",
       "Fail: stop in ERROR when a record cannot be written. Continue: log it and go on."},
      {kReplicationFactor, "-1", "Replication factor of internal topics; -1 takes the broker's default."},
      {kClientId, "<application.id>", "Prefix of the client.id of every client."},
      {kDefaultApiTimeoutMs, "60000",
       "How long start-up waits for the brokers (metadata, topic creation) before failing."},
      {kTaskTimeoutMs, "300000",
       "How long a wait may last before start() or the thread fails: restoring the global tables "
       "without progress, redoing without a commit, and under exactly_once_v2 a commit's unknown "
       "outcome, a restore waiting for what its task committed, committed offsets unreadable. "
       "Under exactly_once_v2 above the producer's transaction.timeout.ms."},
      {kStatestoreCacheMaxBytes, "10485760",
       "Bytes of record cache shared by all stores of an instance; 0 disables caching."},
      {kRocksdbBlockCacheBytes, "67108864",
       "Block cache shared by every RocksDB store of the process."},
      {kRocksdbWriteBufferBytes, "67108864",
       "Memtable budget shared by every RocksDB store of the process."},
      {kStatestoreUncommittedMaxBytes, "33554432",
       "Memory that store writes not yet applied to local state may take in an instance (their "
       "keys, values and index; shared by its threads); a thread that reaches its share commits "
       "and applies them early."},
      {kStatestoreApplyIntervalMs, "1000",
       "Under exactly_once_v2, how long store writes of committed transactions may wait in memory "
       "before a commit applies them to local state, where interactive queries read (at_least_once "
       "applies them at every commit). Reaching statestore.uncommitted.max.bytes, and letting "
       "tasks go, apply them at once."},
      {kApplicationServer, "",
       "host:port where this instance serves interactive queries, if it does: other instances learn it through the "
       "consumer group (`queryMetadataForKey(...).activeHost`; see state.md)."},
  };
  return info;
}

StreamsConfig::StreamsConfig(std::map<std::string, std::string> properties)
    : originals_(std::move(properties)) {
  bool commitIntervalSet = false;
  for (const auto& [key, value] : originals_) {
    if (key == kApplicationId) {
      if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
          }))
        bad(key, value, "use letters, digits, '.', '_' and '-' only");
      applicationId_ = value;
    } else if (key == kBootstrapServers) {
      if (value.empty()) bad(key, value, "give host:port of at least one broker");
      bootstrapServers_ = value;
    } else if (key == kNumStreamThreads) {
      numStreamThreads_ = static_cast<int>(toInt(key, value, 1, 1024));
    } else if (key == kProcessingGuarantee) {
      if (value == "at_least_once") guarantee_ = ProcessingGuarantee::kAtLeastOnce;
      else if (value == "exactly_once_v2") guarantee_ = ProcessingGuarantee::kExactlyOnceV2;
      else bad(key, value, "expected at_least_once or exactly_once_v2");
    } else if (key == kCommitIntervalMs) {
      commitInterval_ = std::chrono::milliseconds(toInt(key, value, 0, INT32_MAX));
      commitIntervalSet = true;
    } else if (key == kStateDir) {
      if (value.empty()) bad(key, value, "give a directory");
      stateDir_ = value;
    } else if (key == kMaxTaskIdleMs) {
      maxTaskIdleMs_ = toInt(key, value, -1, INT64_MAX);
    } else if (key == kBufferedRecordsPerPartition) {
      bufferedRecordsPerPartition_ = static_cast<int32_t>(toInt(key, value, 1, INT32_MAX));
    } else if (key == kPrefetchRefillRequests) {
      if (value == "true") prefetchRefillRequests_ = true;
      else if (value == "false") prefetchRefillRequests_ = false;
      else bad(key, value, "expected true or false");
    } else if (key == kPollMs) {
      pollTime_ = std::chrono::milliseconds(toInt(key, value, 0, INT32_MAX));
    } else if (key == kDefaultKeySerde || key == kDefaultValueSerde) {
      if (Serdes::detail::builtInType(value) == nullptr)
        bad(key, value, "not a built-in serde (String, Short, Integer, Long, Float, Double, Bytes); "
                        "for other types use StreamsConfig::setDefaultSerde");
      (key == kDefaultKeySerde ? serdeDefaults_.keySerdeName : serdeDefaults_.valueSerdeName) = value;
    } else if (key == kDeserializationHandler) {
      if (value == "LogAndFail" || value.ends_with(".LogAndFailExceptionHandler"))
        deserialization_ = DeserializationHandling::kLogAndFail;
      else if (value == "LogAndContinue" || value.ends_with(".LogAndContinueExceptionHandler"))
        deserialization_ = DeserializationHandling::kLogAndContinue;
      else bad(key, value, "expected LogAndFail or LogAndContinue");
    } else if (key == kDefaultTimestampExtractor) {
      auto extractor = internal::builtInTimestampExtractor(value);
      if (!extractor)
        bad(key, value,
            "expected one of Kafka Streams' built-in timestamp extractors: FailOnInvalidTimestamp, "
            "LogAndSkipOnInvalidTimestamp, UsePartitionTimeOnInvalidTimestamp, WallclockTimestampExtractor "
            "(or the same with org.apache.kafka.streams.processor. before it); give a source an extractor of "
            "your own with Consumed<K, V>::withTimestampExtractor");
      serdeDefaults_.timestampExtractor = *extractor;
    } else if (key == kProductionHandler) {
      if (value == "Fail" || value.ends_with(".DefaultProductionExceptionHandler"))
        production_ = ProductionHandling::kFail;
      else if (value == "Continue") production_ = ProductionHandling::kContinue;
      else bad(key, value, "expected Fail or Continue");
    } else if (key == kReplicationFactor) {
      replicationFactor_ = static_cast<int16_t>(toInt(key, value, -1, 32767));
      if (replicationFactor_ == 0) bad(key, value, "expected -1 or at least 1");
    } else if (key == kClientId) {
      clientId_ = value;
    } else if (key == kDefaultApiTimeoutMs) {
      apiTimeout_ = std::chrono::milliseconds(toInt(key, value, 1, INT32_MAX));
    } else if (key == kTaskTimeoutMs) {
      taskTimeout_ = std::chrono::milliseconds(toInt(key, value, 1, INT32_MAX));
    } else if (key == kStatestoreCacheMaxBytes) {
      cacheMaxBytes_ = toInt(key, value, 0, INT64_MAX);
    } else if (key == kRocksdbBlockCacheBytes) {
      blockCacheBytes_ = toInt(key, value, 0, INT64_MAX);
    } else if (key == kRocksdbWriteBufferBytes) {
      writeBufferBytes_ = toInt(key, value, 1024 * 1024, INT64_MAX);
    } else if (key == kStatestoreUncommittedMaxBytes) {
      uncommittedMaxBytes_ = toInt(key, value, 1024 * 1024, INT64_MAX);
    } else if (key == kStatestoreApplyIntervalMs) {
      applyInterval_ = std::chrono::milliseconds(toInt(key, value, 0, INT32_MAX));
    } else if (key == kApplicationServer) {
      if (!value.empty() && !HostInfo::parse(value)) bad(key, value, "expected host:port with a port of 0-65535");
      applicationServer_ = value;
    } else {
      // A client property: unprefixed for all clients, or prefixed for one.
      std::string property = key, prefix;
      for (const char* p : kClientPrefixes)
        if (key.starts_with(p)) {
          prefix = p;
          property = key.substr(prefix.size());
        }
      if (ownedClientKeys().count(property))
        throw ConfigException("configuration key '" + key +
                              "' is set by kstreams itself and cannot be changed" +
                              (property == "group.id" ? " (the group is application.id)" : ""));
      // The Java consumer's name for librdkafka's "error", as Kafka Streams users write it.
      const std::string accepted = property == "auto.offset.reset" && value == "none" ? "error" : value;
      std::string problem = librdkafkaCheck(property, accepted);
      if (problem == "unknown")
        throw ConfigException("unknown configuration key '" + key +
                              "': neither a kstreams key (see docs/configuration.md) nor a "
                              "librdkafka client property" +
                              insteadOfJavaKey(property, prefix));
      if (!problem.empty()) bad(key, value, problem);
      passthrough_[key] = accepted;
    }
  }
  if (!commitIntervalSet && exactlyOnce()) commitInterval_ = std::chrono::milliseconds(100);
  if (clientId_.empty()) clientId_ = applicationId_;
  if (exactlyOnce()) checkTransactionTimeout();
  checkClientsCanBeCreated();
}

// librdkafka checks some properties only together, when it creates a client: a stream
// thread would create its clients, and fail, only after start(). Without properties of the
// user's for a client, kstreams' own go together.
void StreamsConfig::checkClientsCanBeCreated() const {
  const auto refused = [&](const char* client, const std::string& error) {
    std::string given;
    for (const auto& [key, value] : originals_)
      if (passthrough_.count(key) && (key.starts_with(std::string(client) + ".") ||
                                      std::none_of(std::begin(kClientPrefixes), std::end(kClientPrefixes),
                                                   [&](const char* p) { return key.starts_with(p); })))
        given += (given.empty() ? "'" : ", '") + key + "'=" + value;
    throw ConfigException(std::string("the ") + client + " properties given (" + given +
                          ") do not go together with each other or with kstreams' own: " + error +
                          (std::string(client) == "producer"
                               ? ". kstreams' producers are idempotent (enable.idempotence=true, which "
                                 "producer.enable.idempotence=false turns off under at_least_once)" +
                                     (exactlyOnce() ? ", with transaction.timeout.ms=" +
                                                          std::to_string(transactionTimeout_.count()) +
                                                          " under exactly_once_v2"
                                                    : std::string())
                               : std::string()) +
                          "; see docs/configuration.md");
  };
  const std::string id = "kstreams-config-check";
  if (!clientProperties("producer").empty()) {
    std::string error = internal::clientCreationError(
        RD_KAFKA_PRODUCER, internal::streamProducerProperties(*this, id, exactlyOnce() ? id : "", true));
    if (!error.empty()) refused("producer", error);
  }
  // A thread's prefetch (queued.max.messages.kbytes, and the fetch size kstreams derives
  // from it) depends on its partitions: the smallest and the largest it can be.
  if (!clientProperties("consumer").empty())
    for (int64_t prefetchKbytes : {1024, 65536}) {
      std::string error = internal::clientCreationError(
          RD_KAFKA_CONSUMER, internal::streamConsumerProperties(*this, id, prefetchKbytes));
      if (!error.empty()) refused("consumer", error);
    }
}

// A killed thread's open transaction is aborted by the broker transaction.timeout.ms after
// it began (and up to its transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s
// by default, later); until then the task's next owner waits, for up to task.timeout.ms.
// A wait that cannot outlast the transaction would fail the next owner's thread after every
// crash of a worker. Only that is refused; the broker's interval between the two is advice
// (the group's noticing the crash takes some of it). The value is read as a plain decimal
// and given to the producer as read (StreamsProducer), so that the check and librdkafka see
// one number (librdkafka alone would also take "0x2710" or "10000ms").
void StreamsConfig::checkTransactionTimeout() {
  std::string key = "producer.transaction.timeout.ms";
  auto given = passthrough_.find(key);
  if (given == passthrough_.end()) given = passthrough_.find(key = "transaction.timeout.ms");
  if (given != passthrough_.end())
    transactionTimeout_ = std::chrono::milliseconds(toInt(key, given->second, 1, INT32_MAX));
  if (transactionTimeout_ >= taskTimeout_)
    throw ConfigException(
        "configuration key '" + key + "' (" + std::to_string(transactionTimeout_.count()) +
        " ms) is not below 'task.timeout.ms' (" + std::to_string(taskTimeout_.count()) +
        " ms): under exactly_once_v2 a killed worker's open transaction keeps its tasks' changelogs and "
        "offsets unreadable until the broker aborts it, transaction.timeout.ms after it began, and the "
        "tasks' next owner waits for that only up to task.timeout.ms. Lower transaction.timeout.ms "
        "(10000 unless set) or raise task.timeout.ms, leaving the broker's "
        "transaction.abort.timed.out.transaction.cleanup.interval.ms (10 s by default) between them");
}

std::map<std::string, std::string> StreamsConfig::clientProperties(const std::string& client) const {
  std::map<std::string, std::string> out;
  const std::string prefix = client + ".";
  for (const auto& [key, value] : passthrough_) {
    bool prefixed = false;
    for (const char* p : kClientPrefixes) prefixed = prefixed || key.starts_with(p);
    if (!prefixed) out[key] = value;
  }
  for (const auto& [key, value] : passthrough_)
    if (key.starts_with(prefix)) out[key.substr(prefix.size())] = value;
  return out;
}

}  // namespace kstreams
