// StreamsConfig: the configuration of one application instance, as Kafka Streams keys.
//
// Keys are validated at construction: an unknown key or a bad value throws ConfigException
// naming the key. Besides the keys below, any librdkafka property is passed to the clients:
// unprefixed to all of them, or with "consumer.", "producer." or "admin." to one only
// ("consumer.fetch.wait.max.ms=50"). See docs/configuration.md for every key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "streams/internal/node.h"

namespace kstreams {

enum class ProcessingGuarantee { kAtLeastOnce, kExactlyOnceV2 };
enum class DeserializationHandling { kLogAndFail, kLogAndContinue };
enum class ProductionHandling { kFail, kContinue };

class StreamsConfig {
 public:
  // Keys, spelled as in Kafka Streams.
  static constexpr const char* kApplicationId = "application.id";
  static constexpr const char* kBootstrapServers = "bootstrap.servers";
  static constexpr const char* kNumStreamThreads = "num.stream.threads";
  static constexpr const char* kProcessingGuarantee = "processing.guarantee";
  static constexpr const char* kCommitIntervalMs = "commit.interval.ms";
  static constexpr const char* kStateDir = "state.dir";
  static constexpr const char* kMaxTaskIdleMs = "max.task.idle.ms";
  static constexpr const char* kBufferedRecordsPerPartition = "buffered.records.per.partition";
  static constexpr const char* kPrefetchRefillRequests = "prefetch.refill.requests";
  static constexpr const char* kPollMs = "poll.ms";
  static constexpr const char* kDefaultKeySerde = "default.key.serde";
  static constexpr const char* kDefaultValueSerde = "default.value.serde";
  static constexpr const char* kDeserializationHandler = "default.deserialization.exception.handler";
  static constexpr const char* kDefaultTimestampExtractor = "default.timestamp.extractor";
  static constexpr const char* kProductionHandler = "default.production.exception.handler";
  static constexpr const char* kReplicationFactor = "replication.factor";
  static constexpr const char* kClientId = "client.id";
  static constexpr const char* kDefaultApiTimeoutMs = "default.api.timeout.ms";
  static constexpr const char* kTaskTimeoutMs = "task.timeout.ms";
  static constexpr const char* kStatestoreCacheMaxBytes = "statestore.cache.max.bytes";
  static constexpr const char* kRocksdbBlockCacheBytes = "rocksdb.block.cache.bytes";
  static constexpr const char* kRocksdbWriteBufferBytes = "rocksdb.write.buffer.bytes";
  static constexpr const char* kStatestoreUncommittedMaxBytes = "statestore.uncommitted.max.bytes";
  static constexpr const char* kStatestoreApplyIntervalMs = "statestore.apply.interval.ms";
  static constexpr const char* kApplicationServer = "application.server";

  // One documented key: what docs/configuration.md and `kstreams config` print.
  struct KeyInfo {
    const char* name;
    const char* defaultValue;  // "" for none; "(required)" for required keys
    const char* doc;
  };
  static const std::vector<KeyInfo>& keys();

  StreamsConfig() = default;
  // Throws ConfigException for an unknown key or a bad value, naming the key.
  StreamsConfig(std::map<std::string, std::string> properties);
  // StreamsConfig config{{"application.id", "app"}, {"bootstrap.servers", "host:9092"}};
  StreamsConfig(std::initializer_list<std::pair<const std::string, std::string>> properties)
      : StreamsConfig(std::map<std::string, std::string>(properties)) {}

  // Serdes for types that have none in the topology (see internal::SerdeDefaults).
  template <class T>
  StreamsConfig& setDefaultSerde(SerdePtr<T> serde) {
    serdeDefaults_.add(std::move(serde));
    return *this;
  }

  const std::string& applicationId() const { return applicationId_; }
  const std::string& bootstrapServers() const { return bootstrapServers_; }
  int numStreamThreads() const { return numStreamThreads_; }
  ProcessingGuarantee processingGuarantee() const { return guarantee_; }
  bool exactlyOnce() const { return guarantee_ == ProcessingGuarantee::kExactlyOnceV2; }
  std::chrono::milliseconds commitInterval() const { return commitInterval_; }
  const std::string& stateDir() const { return stateDir_; }
  // < 0: never wait for empty partitions of a task.
  int64_t maxTaskIdleMs() const { return maxTaskIdleMs_; }
  int32_t bufferedRecordsPerPartition() const { return bufferedRecordsPerPartition_; }
  // Whether a thread asks a partition's broker to refill its prefetch queue (see
  // runtime/fetch_doorbell.h); without, the prefetch budget must hold a second of processing.
  bool prefetchRefillRequests() const { return prefetchRefillRequests_; }
  std::chrono::milliseconds pollTime() const { return pollTime_; }
  DeserializationHandling deserializationHandling() const { return deserialization_; }
  ProductionHandling productionHandling() const { return production_; }
  int16_t replicationFactor() const { return replicationFactor_; }
  const std::string& clientId() const { return clientId_; }
  std::chrono::milliseconds defaultApiTimeout() const { return apiTimeout_; }
  // How long a wait of the kinds docs/configuration.md lists (restoring the global tables
  // without progress, redoing without a commit, and under exactly_once_v2 the waits for a
  // transaction's outcome and for changelog records a commit reached) may last before the
  // thread or start() fails.
  std::chrono::milliseconds taskTimeout() const { return taskTimeout_; }
  // The transactional producer's transaction.timeout.ms (given to every client, or with the
  // "producer." prefix), or Kafka Streams' 10 s. Under exactly_once_v2 it is below
  // taskTimeout(): a killed thread's open transaction holds its changelogs and offsets
  // unreadable until the broker aborts it, and a task's next owner waits for that.
  std::chrono::milliseconds transactionTimeout() const { return transactionTimeout_; }
  // Kafka Streams' transaction.timeout.ms: the broker aborts a stalled or killed thread's
  // transaction soon, and the records behind it become readable again.
  static constexpr int64_t kDefaultTransactionTimeoutMs = 10000;
  int64_t statestoreCacheMaxBytes() const { return cacheMaxBytes_; }
  int64_t rocksdbBlockCacheBytes() const { return blockCacheBytes_; }
  int64_t rocksdbWriteBufferBytes() const { return writeBufferBytes_; }
  int64_t statestoreUncommittedMaxBytes() const { return uncommittedMaxBytes_; }
  // Under exactly_once_v2: how long committed store writes may wait in memory before a
  // commit applies them to local state.
  std::chrono::milliseconds statestoreApplyInterval() const { return applyInterval_; }
  const std::string& applicationServer() const { return applicationServer_; }
  const internal::SerdeDefaults& serdeDefaults() const { return serdeDefaults_; }

  // librdkafka properties for one client: the unprefixed pass-through keys, overridden by
  // the ones with the client's prefix ("consumer", "producer" or "admin").
  std::map<std::string, std::string> clientProperties(const std::string& client) const;
  // Every key as given.
  const std::map<std::string, std::string>& originals() const { return originals_; }

 private:
  void checkTransactionTimeout();
  void checkClientsCanBeCreated() const;

  std::map<std::string, std::string> originals_;
  std::map<std::string, std::string> passthrough_;  // key (with prefix, if any) -> value
  std::string applicationId_;
  std::string bootstrapServers_;
  int numStreamThreads_ = 1;
  ProcessingGuarantee guarantee_ = ProcessingGuarantee::kAtLeastOnce;
  std::chrono::milliseconds commitInterval_{30000};
  std::string stateDir_ = "/tmp/kstreams";
  int64_t maxTaskIdleMs_ = 0;
  int32_t bufferedRecordsPerPartition_ = 1000;
  bool prefetchRefillRequests_ = true;
  std::chrono::milliseconds pollTime_{100};
  DeserializationHandling deserialization_ = DeserializationHandling::kLogAndFail;
  ProductionHandling production_ = ProductionHandling::kFail;
  int16_t replicationFactor_ = -1;
  std::string clientId_;
  std::chrono::milliseconds apiTimeout_{60000};
  std::chrono::milliseconds taskTimeout_{300000};
  std::chrono::milliseconds transactionTimeout_{kDefaultTransactionTimeoutMs};
  int64_t cacheMaxBytes_ = 10 * 1024 * 1024;
  int64_t blockCacheBytes_ = 64 * 1024 * 1024;
  int64_t writeBufferBytes_ = 64 * 1024 * 1024;
  int64_t uncommittedMaxBytes_ = 32 * 1024 * 1024;
  std::chrono::milliseconds applyInterval_{1000};
  std::string applicationServer_;
  internal::SerdeDefaults serdeDefaults_;
};

}  // namespace kstreams
