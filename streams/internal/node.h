// The run-time side of a topology node, as instantiated once per task, and the services a
// task offers its nodes. Internal: users see Processor and ProcessorContext instead.
//
// Records move between node instances by direct virtual calls: a node calls its children's
// process() itself, so a chain of operators runs on the stack of the task, with no queue and
// no allocation between nodes.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <typeindex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streams/change.h"
#include "streams/windows.h"
#include "streams/errors.h"
#include "streams/internal/bytes_store.h"
#include "streams/punctuation.h"
#include "streams/record.h"
#include "streams/serde.h"
#include "streams/state_store.h"
#include "streams/task_id.h"
#include "streams/timestamp_extractors.h"

namespace kstreams::internal {

// An input record as it was consumed: views into memory that stays valid until the record
// has been processed.
struct RawRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  const Headers* headers = nullptr;  // nullptr when the record has none
};

// Where records leave a task: the stream thread's producer, or the test driver's topics.
class RecordCollector {
 public:
  virtual ~RecordCollector() = default;
  // Sends a record. partition < 0 lets the default partitioner choose: murmur2 of the key,
  // as Java producers do (a null key goes to a random partition). Errors are reported at
  // the next flush or commit, not here.
  virtual void send(std::string_view topic, int32_t partition,
                    std::optional<std::string_view> key, std::optional<std::string_view> value,
                    int64_t timestamp, const Headers& headers) = 0;
  // Like send() to a fixed partition, for changelogs: once the record is acknowledged, its
  // offset is stored in `slot`, which offsetSlot(topic, partition) returned (the caller keeps
  // it: a look-up per record was a string and a map search on every store write).
  virtual void sendTracked(std::string_view topic, int32_t partition, std::string_view key,
                           std::optional<std::string_view> value, int64_t timestamp, int64_t* slot) = 0;
  // Where the offset of the last acknowledged tracked record of a partition is kept (-1
  // before the first). Valid as long as the collector. Only the collector writes it; the
  // caller reads it after a flush or commit.
  virtual int64_t* offsetSlot(std::string_view topic, int32_t partition) = 0;
  // The number of partitions of topic; throws StreamsException if the topic is unknown.
  virtual int32_t partitionCount(std::string_view topic) = 0;
};

// Serdes to use where the topology gives none, in order: a serde registered for the type,
// then the built-in serde named by default.key.serde / default.value.serde if it fits the
// type, then the type's natural serde (Serdes::natural). It also carries the built-in
// timestamp extractor of sources without one (default.timestamp.extractor): the config's
// defaults for what a topology leaves out reach every task together.
class SerdeDefaults {
 public:
  std::string keySerdeName;
  std::string valueSerdeName;
  TimestampExtraction timestampExtractor = TimestampExtraction::kFailOnInvalidTimestamp;

  template <class T>
  void add(SerdePtr<T> serde) {
    byType_[std::type_index(typeid(T))] = std::move(serde);
  }

  template <class T>
  SerdePtr<T> find() const {
    auto it = byType_.find(std::type_index(typeid(T)));
    if (it == byType_.end()) return nullptr;
    return std::static_pointer_cast<const Serde<T>>(it->second);
  }

 private:
  std::map<std::type_index, std::shared_ptr<const void>> byType_;
};

template <class T>
struct IsWindowed : std::false_type {};
template <class K>
struct IsWindowed<Windowed<K>> : std::true_type {
  using Key = K;
};

template <class T>
struct IsChange : std::false_type {};
template <class V>
struct IsChange<Change<V>> : std::true_type {
  using Value = V;
};

// The serde for T at a node: the one given, else the defaults. Throws TopologyException
// naming the node when there is none.
template <class T>
SerdeFor<T> resolveSerde(const SerdeFor<T>& given, const SerdeDefaults& defaults,
                         bool isKey, std::string_view node) {
  using Payload = typename NullableTraits<T>::Payload;
  if (given) return given;
  if constexpr (IsChange<Payload>::value) {
    // Table changes on a repartition topic: the serde of the changed values, wrapped.
    using V = typename IsChange<Payload>::Value;
    return std::make_shared<ChangeSerde<V>>(resolveSerde<V>(nullptr, defaults, isKey, node));
  }
  if constexpr (IsWindowed<Payload>::value) {
    using K = typename IsWindowed<Payload>::Key;
    return std::make_shared<WindowedSerde<K>>(resolveSerde<K>(nullptr, defaults, isKey, node));
  }
  if (auto s = defaults.find<Payload>()) return s;
  const std::string& configured = isKey ? defaults.keySerdeName : defaults.valueSerdeName;
  if (!configured.empty()) {
    try {
      if (auto s = Serdes::byName<Payload>(configured)) return s;
    } catch (const ConfigException&) {
      // The configured default is for another type; the natural serde may still fit.
    }
  }
  if (auto s = Serdes::natural<Payload>()) return s;
  const char* part = isKey ? "key" : "value";
  throw TopologyException(
      "node " + std::string(node) + " needs a " + part + " serde for type " +
      typeName<Payload>() + ", and none was given: pass one (Consumed::with, Produced::with, " +
      "Grouped::with, Repartitioned::with, Materialized::with...) or register it with "
      "StreamsConfig::setDefaultSerde");
}

// The task a node instance runs in.
class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual const TaskId& taskId() const = 0;
  virtual const std::string& applicationId() const = 0;
  // The input record being processed (partition -1 within a punctuation).
  virtual const RecordMetadata& recordMetadata() const = 0;
  // The largest timestamp the task has processed, or -1 before its first record.
  virtual int64_t streamTime() const = 0;
  virtual int64_t wallClockTime() const = 0;
  virtual RecordCollector& collector() = 0;
  // The store named `name` if this node was connected to it, else nullptr.
  virtual StateStore* stateStore(std::string_view name) = 0;
  // The committed data of a global store (GlobalKTable), readable from any thread; nullptr
  // if there is no such store.
  virtual std::shared_ptr<KeyValueBytesStore> globalStore(std::string_view name) = 0;
  virtual Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                               Punctuator punctuator) = 0;
  // Asks for a commit as soon as possible.
  virtual void requestCommit() = 0;
  // The real name of an internal topic: "<application.id>-<name>".
  virtual std::string internalTopicName(std::string_view name) const = 0;
  // Counts a record a node dropped on purpose (a null key before grouping, a late record),
  // and logs it at debug level.
  virtual void recordDropped(std::string_view node, std::string_view reason) = 0;
  // A node's own progress that a commit carries to the task's next owner (Kafka Streams'
  // processor metadata), by key (a store name): what the task resumed from its last commit
  // (nullopt: nothing), and what the next commit carries. Values are never negative.
  virtual std::optional<int64_t> processorMetadataForKey(std::string_view key) const = 0;
  virtual void addProcessorMetadataKeyValue(std::string_view key, int64_t value) = 0;
};

// A node's instance in one task.
class NodeInstance {
 public:
  virtual ~NodeInstance() = default;
  virtual void init(TaskContext& context) { context_ = &context; }
  virtual void close() {}
  // Connects a child node. Nodes that forward records override this; the default throws.
  virtual void addChild(NodeInstance& child, const std::string& childName);
  // For a node that receives table changes: whether it reads Change::oldValue. A table
  // reads a row's old value before writing it only when a child does (Kafka Streams'
  // "sending old values"); otherwise changes carry no old value except on deletes. Asked
  // once, at init, after every child is connected. Unknown nodes are assumed to read it.
  virtual bool needsOldValues() const { return true; }

 protected:
  TaskContext* context_ = nullptr;
};

// A node that receives records of type Record<K, V>.
template <class K, class V>
class RecordInput : public NodeInstance {
 public:
  virtual void process(Record<K, V>&& record) = 0;
};

// The children of a node, all receiving Record<K, V>.
template <class K, class V>
class Downstream {
 public:
  void add(NodeInstance& child, const std::string& name) {
    auto* input = dynamic_cast<RecordInput<K, V>*>(&child);
    if (input == nullptr)
      throw TopologyException("node " + name + " does not accept records of key type " +
                              typeName<K>() + " and value type " + typeName<V>());
    children_.push_back(input);
    names_.push_back(name);
  }

  // The last child gets the record itself; the others get copies.
  void forward(Record<K, V>&& record) {
    const size_t n = children_.size();
    if (n == 1) {
      children_[0]->process(std::move(record));
      return;
    }
    for (size_t i = 0; i + 1 < n; ++i) children_[i]->process(Record<K, V>(record));
    if (n > 0) children_[n - 1]->process(std::move(record));
  }

  void forward(Record<K, V>&& record, std::string_view childName) {
    for (size_t i = 0; i < children_.size(); ++i)
      if (names_[i] == childName) return children_[i]->process(std::move(record));
    throw StreamsException("forward to unknown child node '" + std::string(childName) + "'");
  }

  // Sends the record to the child connected index-th.
  void forwardTo(size_t index, Record<K, V>&& record) {
    children_.at(index)->process(std::move(record));
  }

  bool empty() const { return children_.empty(); }
  size_t size() const { return children_.size(); }
  // Whether any child reads the old values of the changes it gets (see
  // NodeInstance::needsOldValues).
  bool needsOldValues() const {
    for (const RecordInput<K, V>* child : children_)
      if (child->needsOldValues()) return true;
    return false;
  }

 private:
  std::vector<RecordInput<K, V>*> children_;
  std::vector<std::string> names_;
};

// A node that turns raw input records of its topics into typed records.
class SourceInstance : public NodeInstance {
 public:
  // How the source's records get their timestamps. The task applies the built-in
  // extractors itself; only kFunction calls timestampOf().
  virtual TimestampExtraction timestampExtraction() const = 0;
  // What the source's timestamp extractor function says of this record, given its
  // partition's time (-1: none yet). Throws SerializationException if the record does not
  // deserialize, and whatever the function throws.
  virtual int64_t timestampOf(const RawRecord& record, int64_t partitionTime) = 0;
  // Deserializes the record and forwards it. Throws SerializationException on bad bytes.
  virtual void process(const RawRecord& record, int64_t timestamp) = 0;
};

inline void NodeInstance::addChild(NodeInstance&, const std::string& childName) {
  throw TopologyException("a node of this kind cannot have children, but " + childName +
                          " was connected to it");
}

}  // namespace kstreams::internal
