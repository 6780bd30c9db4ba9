// GlobalStreamThread: keeps an instance's global stores (GlobalKTable) — each holds all
// partitions of its topic. start() of KafkaStreams restores them to the end of their topics
// before any stream thread runs; then this thread applies new records as they arrive.
//
// A store's position is a checkpoint file of per-partition offsets next to it, written after
// each local commit, so a restart reads only what is new. Stream threads read the stores'
// committed data, which is safe from any thread. Internal.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "runtime/kafka_client.h"
#include "runtime/store_registry.h"
#include "state/local_store.h"
#include "state/rocksdb_store.h"
#include "streams/internal/topology_graph.h"

namespace kstreams::internal {

// Reads a global table's records through the table's source (its serdes) before they reach
// its store, as Kafka Streams' global thread does: a record that does not deserialize goes
// to the deserialization exception handler. A row stored unreadable would fail every
// lookup of its key, in whichever task made it, blaming that task's record.
class GlobalRecordReader {
 public:
  GlobalRecordReader(const TopologyGraph& graph, std::string store, const std::string& topic,
                     const SerdeDefaults& serdes, DeserializationHandling handling);
  GlobalRecordReader(GlobalRecordReader&&) noexcept;
  ~GlobalRecordReader();
  // Whether the record deserializes. If not: under LogAndFail throws StreamsException naming
  // it (topic, partition, offset); under LogAndContinue logs it and returns false.
  bool readable(const RawRecord& raw) const;

 private:
  std::string store_;
  std::unique_ptr<NodeInstance> source_;
  DeserializationHandling handling_;
};

class GlobalStreamThread {
 public:
  GlobalStreamThread(const TopologyGraph& graph, const StreamsConfig& config, RocksDBResources* rocksdb,
                     StoreRegistry& registry, std::function<void(const std::string&)> onError,
                     WatermarkQuery queryWatermarks = rd_kafka_query_watermark_offsets);
  ~GlobalStreamThread();

  // Reads the stores' topics to their ends. Blocking; returns false if shutdown() stopped it
  // first. Throws StreamsException when a topic cannot be read, or when task.timeout.ms
  // passes without progress.
  bool restore();
  void start();
  // Stops restore() or the thread; safe from any thread.
  void shutdown() { stop_ = true; }
  void join();
  // The stores' committed data, by store name. Fixed once restore() returned.
  const std::map<std::string, std::shared_ptr<KeyValueBytesStore>>& readers() const { return readers_; }
  int64_t restoredRecords() const { return restored_; }
  // Records of the tables' topics that LogAndContinue let go: they do not deserialize.
  int64_t skippedRecords() const { return skipped_.load(std::memory_order_relaxed); }

 private:
  struct Global {
    std::string store;
    std::string topic;
    std::unique_ptr<LocalStore> local;
    std::unique_ptr<GlobalRecordReader> reader;
    std::string checkpointFile;
    std::map<int32_t, int64_t> next;  // next offset to read, per partition
  };

  using TopicPartition = std::pair<std::string, int32_t>;
  // Where a partition ends, while it is restored.
  struct PartitionEnd {
    bool reached = false;
    int64_t reported = -1;  // the end its leader reported before reading began; -1: not known
    int64_t foundAt = -1;   // where a fetch found an end short of `reported`; -1: none since
    std::chrono::steady_clock::time_point lastAsked;  // for the end, after foundAt was set
  };
  using PartitionEnds = std::map<TopicPartition, PartitionEnd>;

  rd_kafka_resp_err_t askWatermarks(const std::string& topic, int32_t partition,
                                    std::chrono::steady_clock::time_point deadline, int64_t& low, int64_t& high);
  // Asks each partition's leader where it ends (unless known already), as Kafka Streams
  // does before it restores.
  void askForTheEnds(PartitionEnds& ends);
  void waitForTheEnds(PartitionEnds& ends);
  // An end found short of the reported one: whether the leader now says the partition ends
  // there (asked at most once a second), else reads on to the end it says now.
  bool endConfirmed(const TopicPartition& tp, PartitionEnd& end);
  void poll(int timeoutMs, PartitionEnds* ends);
  // Wipes g's store and forgets its offsets if any lies outside what its partition holds;
  // the ends it learns go into `ends`. Throws StreamsException, keeping the store, if that
  // cannot be found out in default.api.timeout.ms; returns early if shutdown() is called
  // meanwhile.
  void forgetOffsetsOutsideTheTopic(Global& g, int partitions, PartitionEnds& ends);
  // Applies what was read to the stores; with checkpoint, also writes the stores to disk
  // and then the offsets they reflect.
  void commit(bool checkpoint = false);
  void run();

  const StreamsConfig& config_;
  RocksDBResources* rocksdb_;
  StoreRegistry& registry_;
  std::function<void(const std::string&)> onError_;
  WatermarkQuery queryWatermarks_;
  std::vector<Global> globals_;
  std::map<std::string, Global*> byTopic_;
  std::map<std::string, std::shared_ptr<KeyValueBytesStore>> readers_;
  KafkaHandle consumer_;
  std::atomic<bool> stop_{false};
  int64_t restored_ = 0;
  std::atomic<int64_t> skipped_{0};
  std::chrono::steady_clock::time_point lastCommit_;
  std::chrono::steady_clock::time_point lastCheckpoint_;
  std::thread thread_;
};

}  // namespace kstreams::internal
