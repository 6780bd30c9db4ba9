// TopologyTestDriver: runs a Topology with no broker, for unit tests of a topology.
//
//   TopologyTestDriver driver(builder.build());
//   auto in = driver.createInputTopic<std::string, int64_t>("input");
//   auto out = driver.createOutputTopic<std::string, int64_t>("output");
//   in.pipeInput("a", 1);
//   EXPECT_EQ(out.readKeyValue(), (KeyValue<std::string, int64_t>{"a", 1}));
//
// It drives the same Task and node code as KafkaStreams: one task per sub-topology, every
// topic with one partition. Each piped record is processed completely, through repartition
// topics and any topic the topology reads, before pipeInput() returns. As in Kafka Streams'
// driver, each record processed is committed on its own (caches flushed, stores committed),
// and what the topology writes to a global table's topic updates that table.
#pragma once

#include <chrono>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "streams/key_value_store.h"
#include "streams/window_store.h"
#include "streams/topology.h"
#include "runtime/streams_config.h"

namespace kstreams {

namespace internal {
class Task;
class RocksDBResources;
class StoreRegistry;
class LocalStore;
class KeyValueBytesStore;
class GlobalRecordReader;
struct CacheBudget;
struct StateServices;
}

// A record as a test pipes it in or reads it out.
template <class K, class V>
struct TestRecord {
  K key;
  V value;
  int64_t timestamp = 0;
  Headers headers;
  bool operator==(const TestRecord&) const = default;
};

class TopologyTestDriver;

template <class K, class V>
class TestInputTopic {
 public:
  void pipeInput(const V& value) { pipe(std::nullopt, &value, nextTimestamp(), {}); }
  void pipeInput(const K& key, const V& value) { pipe(&key, &value, nextTimestamp(), {}); }
  void pipeInput(const K& key, const V& value, int64_t timestamp) {
    pipe(&key, &value, timestamp, {});
  }
  void pipeInput(const TestRecord<K, V>& r) { pipe(&r.key, &r.value, r.timestamp, r.headers); }
  // A record with a null value (a tombstone), whatever V is.
  void pipeTombstone(const K& key, int64_t timestamp) {
    pipe(&key, nullptr, timestamp, {});
  }
  void pipeKeyValueList(const std::vector<KeyValue<K, V>>& records) {
    for (const auto& kv : records) pipeInput(kv.key, kv.value);
  }
  void pipeValueList(const std::vector<V>& values) {
    for (const auto& v : values) pipeInput(v);
  }
  // Records piped without a timestamp get the topic's current time, which starts at the
  // driver's initial wall-clock time and moves by advanceTime() and by the auto-advance.
  void advanceTime(std::chrono::milliseconds by) { time_ += by.count(); }

  TestInputTopic(TopologyTestDriver* driver, std::string topic, SerdeFor<K> keySerde,
                 SerdeFor<V> valueSerde, int64_t start, std::chrono::milliseconds autoAdvance)
      : driver_(driver), topic_(std::move(topic)), keySerde_(std::move(keySerde)),
        valueSerde_(std::move(valueSerde)), time_(start), autoAdvance_(autoAdvance.count()) {}

 private:
  int64_t nextTimestamp() {
    int64_t ts = time_;
    time_ += autoAdvance_;
    return ts;
  }
  void pipe(const K* key, const V* value, int64_t timestamp, const Headers& headers);

  TopologyTestDriver* driver_;
  std::string topic_;
  SerdeFor<K> keySerde_;
  SerdeFor<V> valueSerde_;
  int64_t time_;
  int64_t autoAdvance_;
};

template <class K, class V>
class TestOutputTopic {
 public:
  V readValue() { return readRecord().value; }
  KeyValue<K, V> readKeyValue() {
    TestRecord<K, V> r = readRecord();
    return {std::move(r.key), std::move(r.value)};
  }
  TestRecord<K, V> readRecord();
  std::vector<V> readValuesToList() {
    std::vector<V> out;
    while (!isEmpty()) out.push_back(readValue());
    return out;
  }
  std::vector<KeyValue<K, V>> readKeyValuesToList() {
    std::vector<KeyValue<K, V>> out;
    while (!isEmpty()) out.push_back(readKeyValue());
    return out;
  }
  // The latest value per key; a null value removes the key (as a compacted topic would).
  std::map<K, V> readKeyValuesToMap();
  std::vector<TestRecord<K, V>> readRecordsToList() {
    std::vector<TestRecord<K, V>> out;
    while (!isEmpty()) out.push_back(readRecord());
    return out;
  }
  size_t getQueueSize() const;
  bool isEmpty() const { return getQueueSize() == 0; }

  TestOutputTopic(TopologyTestDriver* driver, std::string topic, SerdeFor<K> keySerde,
                  SerdeFor<V> valueSerde)
      : driver_(driver), topic_(std::move(topic)), keySerde_(std::move(keySerde)),
        valueSerde_(std::move(valueSerde)) {}

 private:
  TopologyTestDriver* driver_;
  std::string topic_;
  SerdeFor<K> keySerde_;
  SerdeFor<V> valueSerde_;
};

class TopologyTestDriver {
 public:
  // application.id and bootstrap.servers may be left out of the config.
  explicit TopologyTestDriver(const Topology& topology, StreamsConfig config = {},
                              int64_t initialWallClockMs = 0);
  ~TopologyTestDriver();
  TopologyTestDriver(const TopologyTestDriver&) = delete;
  TopologyTestDriver& operator=(const TopologyTestDriver&) = delete;

  // Serdes default to the config's defaults for the types, as the topology's own do.
  template <class K, class V>
  TestInputTopic<K, V> createInputTopic(const std::string& topic, SerdeFor<K> keySerde = nullptr,
                                        SerdeFor<V> valueSerde = nullptr,
                                        std::chrono::milliseconds autoAdvance = {}) {
    checkInputTopic(topic);
    return TestInputTopic<K, V>(this, topic, serde<K>(keySerde, true, topic),
                                serde<V>(valueSerde, false, topic), wallClockMs_, autoAdvance);
  }
  template <class K, class V>
  TestOutputTopic<K, V> createOutputTopic(const std::string& topic, SerdeFor<K> keySerde = nullptr,
                                          SerdeFor<V> valueSerde = nullptr) {
    return TestOutputTopic<K, V>(this, topic, serde<K>(keySerde, true, topic),
                                 serde<V>(valueSerde, false, topic));
  }

  // A read-only view of the committed contents of a key-value store (for a DSL table: its
  // values without timestamps). Throws StreamsException for an unknown store or wrong types.
  template <class K, class V>
  std::shared_ptr<ReadOnlyKeyValueStore<K, V>> getKeyValueStore(const std::string& name);
  // Read-only views of window and session stores.
  template <class K, class V>
  std::shared_ptr<ReadOnlyWindowStore<K, V>> getWindowStore(const std::string& name) {
    return std::static_pointer_cast<ReadOnlyWindowStore<K, V>>(
        queryView(name, typeid(K), typeid(V), internal::StoreKind::kWindow));
  }
  template <class K, class V>
  std::shared_ptr<ReadOnlySessionStore<K, V>> getSessionStore(const std::string& name) {
    return std::static_pointer_cast<ReadOnlySessionStore<K, V>>(
        queryView(name, typeid(K), typeid(V), internal::StoreKind::kSession));
  }
  // The store as processors see it, for stores added through the Processor API.
  StateStore* getStateStore(const std::string& name);

  // Moves the wall clock and runs the wall-clock punctuations that become due.
  void advanceWallClockTime(std::chrono::milliseconds by);
  int64_t wallClockMs() const { return wallClockMs_; }
  // The topics the topology has written to, internal ones included.
  std::set<std::string> producedTopicNames() const;
  // Records skipped by the LogAndContinue deserialization handler.
  int64_t skippedRecords() const { return skipped_; }
  // Records operators dropped on purpose: late records, null keys before grouping.
  int64_t droppedRecords() const { return dropped_; }

  // The untyped interface the test topics use.
  struct OutputRecord {
    std::optional<std::string> key;
    std::optional<std::string> value;
    int64_t timestamp;
    Headers headers;
  };
  void pipeRaw(const std::string& topic, std::optional<std::string> key,
               std::optional<std::string> value, int64_t timestamp, Headers headers);
  std::deque<OutputRecord>& outputQueue(const std::string& topic) { return outputs_[topic]; }

 private:
  class Collector;
  void checkInputTopic(const std::string& topic) const;
  void enqueue(const std::string& topic, std::optional<std::string> key,
               std::optional<std::string> value, int64_t timestamp, Headers headers);
  // Processes the next record of the first task that has one ready.
  bool processOne();
  // Commits (caches flushed, stores committed, global stores updated), then processes one
  // record and commits again, until no record is left to process.
  void commit();
  void updateGlobalStore(const std::string& topic, const std::optional<std::string>& key,
                         const std::optional<std::string>& value, int64_t timestamp);
  std::shared_ptr<void> queryView(const std::string& name, const std::type_info& key, const std::type_info& value,
                                  internal::StoreKind kind = internal::StoreKind::kKeyValue);
  template <class T>
  SerdeFor<T> serde(const SerdeFor<T>& given, bool isKey, const std::string& topic) {
    return internal::resolveSerde<T>(given, config_.serdeDefaults(), isKey, "test topic " + topic);
  }

  Topology topology_;
  StreamsConfig config_;
  std::string applicationId_;
  int64_t wallClockMs_;
  std::unique_ptr<Collector> collector_;
  std::string stateDir_;
  std::unique_ptr<internal::RocksDBResources> rocksdb_;
  std::unique_ptr<internal::CacheBudget> cache_;
  std::unique_ptr<internal::StoreRegistry> registry_;
  std::unique_ptr<internal::StateServices> stateServices_;
  // A global table: its store, and what checks its records deserialize.
  struct GlobalTable {
    std::unique_ptr<internal::LocalStore> store;
    std::unique_ptr<internal::GlobalRecordReader> reader;
  };
  // Global tables by topic, and the readers of their stores, by store, that tasks look into.
  std::map<std::string, GlobalTable> globalTables_;
  std::map<std::string, std::shared_ptr<internal::KeyValueBytesStore>> globalReaders_;
  std::vector<std::unique_ptr<internal::Task>> tasks_;
  // Real topic name -> the task and input index that reads it.
  std::map<std::string, std::pair<internal::Task*, size_t>> readers_;
  std::map<std::string, std::deque<OutputRecord>> outputs_;
  // Records the topology wrote to global tables' topics, for commit() to apply.
  struct GlobalUpdate {
    std::string topic;
    std::optional<std::string> key;
    std::optional<std::string> value;
    int64_t timestamp;
  };
  std::deque<GlobalUpdate> globalUpdates_;
  std::set<std::string> produced_;
  std::atomic<int64_t> skipped_{0};
  std::atomic<int64_t> dropped_{0};
  std::map<std::string, int64_t> nextOffset_;  // per topic read by the topology
  std::map<std::pair<std::string, int32_t>, int64_t> trackedOffsets_;  // changelog offset slots
};

// ---------------------------------------------------------------------------------------
// Implementation.

template <class K, class V>
void TestInputTopic<K, V>::pipe(const K* key, const V* value, int64_t timestamp,
                                const Headers& headers) {
  std::optional<std::string> k, v;
  if (key) {
    std::string bytes;
    if (internal::encode<K>(*keySerde_, *key, bytes)) k = std::move(bytes);
  }
  if (value) {
    std::string bytes;
    if (internal::encode<V>(*valueSerde_, *value, bytes)) v = std::move(bytes);
  }
  driver_->pipeRaw(topic_, std::move(k), std::move(v), timestamp, headers);
}

template <class K, class V>
TestRecord<K, V> TestOutputTopic<K, V>::readRecord() {
  auto& queue = driver_->outputQueue(topic_);
  if (queue.empty())
    throw StreamsException("output topic " + topic_ + " has no record to read");
  TopologyTestDriver::OutputRecord r = std::move(queue.front());
  queue.pop_front();
  auto view = [](const std::optional<std::string>& s) {
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
  };
  return TestRecord<K, V>{internal::decode<K>(*keySerde_, view(r.key), "key"),
                          internal::decode<V>(*valueSerde_, view(r.value), "value"), r.timestamp,
                          std::move(r.headers)};
}

template <class K, class V>
std::map<K, V> TestOutputTopic<K, V>::readKeyValuesToMap() {
  std::map<K, V> out;
  auto& queue = driver_->outputQueue(topic_);
  while (!queue.empty()) {
    if (!queue.front().value) {
      TopologyTestDriver::OutputRecord r = std::move(queue.front());
      queue.pop_front();
      std::optional<std::string_view> kv;
      if (r.key) kv = *r.key;
      out.erase(internal::decode<K>(*keySerde_, kv, "key"));
      continue;
    }
    KeyValue<K, V> kv = readKeyValue();
    out.insert_or_assign(std::move(kv.key), std::move(kv.value));
  }
  return out;
}

template <class K, class V>
std::shared_ptr<ReadOnlyKeyValueStore<K, V>> TopologyTestDriver::getKeyValueStore(const std::string& name) {
  return std::static_pointer_cast<ReadOnlyKeyValueStore<K, V>>(queryView(name, typeid(K), typeid(V)));
}

template <class K, class V>
size_t TestOutputTopic<K, V>::getQueueSize() const {
  return driver_->outputQueue(topic_).size();
}

}  // namespace kstreams
