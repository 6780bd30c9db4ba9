// The logical graph a StreamsBuilder or the Processor API builds: named source, processor
// and sink nodes, the stores they use, and the internal topics between sub-topologies.
// Immutable once handed to KafkaStreams or TopologyTestDriver, which instantiate its nodes
// once per task. Internal.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <typeinfo>
#include <vector>

#include "streams/internal/bytes_store.h"
#include "streams/internal/node.h"
#include "streams/internal/versioned_bytes_store.h"

namespace kstreams::internal {

using NodeFactory = std::function<std::unique_ptr<NodeInstance>(const SerdeDefaults&)>;

// What a typed store's factory is given besides its byte store stack.
struct StoreInit {
  const SerdeDefaults& serdes;
  // The timestamp of the record being processed, for changelog records.
  std::function<int64_t()> recordTimestamp;
  // A versioned store's bottom layer, for reads as of a time (writes go down the stack).
  VersionedBytesStore* versioned = nullptr;
};

enum class StoreKind { kKeyValue, kWindow, kSession };

// A state store of the topology: how to build it for a task, and how to query it.
struct StoreSpec {
  std::string name;
  StoreKind kind = StoreKind::kKeyValue;
  bool persistent = true;  // RocksDB; otherwise in memory
  bool logging = true;     // changes go to "<application.id>-<name>-changelog"
  std::map<std::string, std::string> changelogConfigs;
  bool caching = false;
  // Every key begins with a fixed-length prefix of this many bytes that single-key range
  // reads stay within (window and session stores); RocksDB keeps bloom filters over it.
  // 0: no such prefix.
  size_t keyPrefixBytes = 0;
  // Whether whole keys are read on their own (get), and worth bloom filters of their own
  // besides the prefix's. A window store that keeps duplicates apart (a stream-stream
  // join's) is only read by ranges.
  bool pointReads = true;
  // Whether no key is ever put twice: a window store that keeps duplicates apart gives each
  // write a fresh sequence number. Its pending writes are then not hashed by whole key.
  bool keysWrittenOnce = false;
  // Set for a versioned key-value store: how long it keeps versions that are no longer the
  // latest (Stores::persistentVersionedKeyValueStore).
  std::optional<int64_t> versionedHistoryMs;
  // Wraps the byte store stack (RocksDB or memory, changelogging, caching) in the typed
  // store processors get from getStateStore().
  std::function<std::unique_ptr<StateStore>(std::unique_ptr<KeyValueBytesStore>, const StoreInit&)> typedFactory;
  // The types interactive queries ask for, and a read-only typed view (erased to void)
  // over a committed-data reader.
  const std::type_info* queryKey = nullptr;
  const std::type_info* queryValue = nullptr;
  std::function<std::shared_ptr<void>(std::shared_ptr<KeyValueBytesStore>, const SerdeDefaults&)> queryFactory;
};

struct GraphNode {
  enum class Kind { kSource, kProcessor, kSink };

  Kind kind = Kind::kProcessor;
  std::string name;
  // Source: the topics it reads. Sink: the topic it writes (empty when a function chooses
  // the topic per record).
  std::vector<std::string> topics;
  // The topics are internal (repartition) topics: "<application.id>-" is put before them at
  // run time.
  bool internalTopics = false;
  std::vector<size_t> parents;
  std::vector<size_t> children;
  std::vector<std::string> stores;
  // The record types this node receives and forwards; nullptr where it does not.
  const std::type_info* inKey = nullptr;
  const std::type_info* inValue = nullptr;
  const std::type_info* outKey = nullptr;
  const std::type_info* outValue = nullptr;
  // Part of a global table's (GlobalKTable) updating: read by every instance in full, not
  // by tasks. Described apart, as Kafka Streams does.
  bool global = false;
  // Whether the node reads or writes record headers: a sink writes them, a user's processor
  // may read them. The DSL's own operators only pass them on, and say so (false).
  bool seesHeaders = true;
  // A path of operator kinds from the sources, from which generated names of stores and
  // internal topics are derived, so that they do not shift when operators are added
  // elsewhere in the topology.
  std::string lineage;
  NodeFactory factory;
};

// An internal topic that carries records from one sub-topology to another.
struct RepartitionTopic {
  std::string name;                   // without the application id, e.g. "foo-repartition"
  std::optional<int32_t> partitions;  // unset: as many as the sub-topology that writes it reads
};

struct Subtopology {
  int32_t id = 0;
  std::vector<size_t> nodes;               // in creation order
  std::vector<std::string> sourceTopics;   // user topics it reads
  std::vector<std::string> repartitionSourceTopics;  // internal topics it reads
  std::vector<std::string> repartitionSinkTopics;    // internal topics it writes
  std::vector<std::string> stores;
  // Whether a node other than a source sees headers (GraphNode::seesHeaders). If none does,
  // its tasks never parse a consumed record's headers: librdkafka 2.0 parses even an empty
  // header list when asked, about 600 instructions, 30% of a stateless record's cost on the
  // stream thread.
  bool seesHeaders = false;
};

class TopologyGraph {
 public:
  // Adds a node below `parents` and returns its index. Throws TopologyException for a
  // duplicate name, or when a parent forwards types the node does not accept.
  size_t addNode(GraphNode node, const std::vector<size_t>& parents);
  size_t addNode(GraphNode node, const std::vector<std::string>& parentNames);

  // A fresh generated node name: prefix followed by a 10-digit sequence number, as Kafka
  // Streams names its processors ("KSTREAM-FILTER-0000000001").
  std::string newName(std::string_view prefix);
  // The lineage of a new child of `parent` of the given operator kind: "<parent's>/kind#n",
  // n one more than that of any earlier operator of that kind made from `parent` (wherever
  // its nodes were placed), so siblings of other kinds do not shift it.
  std::string childLineage(size_t parent, std::string_view kind) const;
  // The same below a lineage that no node need have.
  std::string childLineage(std::string_view parentLineage, std::string_view kind) const;
  // A generated internal name that depends only on the lineage: prefix + 10 hex digits.
  static std::string stableName(std::string_view prefix, std::string_view lineage);

  void addRepartitionTopic(RepartitionTopic topic);
  // Topics that must have the same number of partitions because their records are joined
  // by key (internal ones by short name). Repartition topics among them get the group's count.
  void addCopartitionGroup(std::set<std::string> topics) { copartitionGroups_.push_back(std::move(topics)); }
  const std::vector<std::set<std::string>>& copartitionGroups() const { return copartitionGroups_; }
  // The topics whose records reach `node` (through its ancestors, up to their sources).
  std::set<std::string> sourceTopicsOf(size_t node) const;
  // Global stores: read in full by every instance from their topic (GlobalKTable).
  void addGlobalStore(const std::string& store, const std::string& topic) { globalStores_[store] = topic; }
  const std::map<std::string, std::string>& globalStores() const { return globalStores_; }

  // Adds a store; throws TopologyException if the name is taken.
  void addStore(StoreSpec store);
  // Lets `node` use `store`, which must have been added. Nodes sharing a store end up in one
  // sub-topology.
  void connectStore(const std::string& store, size_t node);
  const std::map<std::string, StoreSpec>& stores() const { return stores_; }
  // The store an interactive query names, checked against the kind and types the query
  // asks for; throws InvalidStateStoreException saying what the store really is.
  const StoreSpec& queryableStore(const std::string& name, StoreKind kind, const std::type_info& key,
                                  const std::type_info& value) const;

  const std::vector<GraphNode>& nodes() const { return nodes_; }
  const GraphNode& node(size_t i) const { return nodes_.at(i); }
  GraphNode& node(size_t i) { return nodes_.at(i); }
  std::optional<size_t> find(const std::string& name) const;
  const std::map<std::string, RepartitionTopic>& repartitionTopics() const {
    return repartitionTopics_;
  }
  // The source node reading `topic` (internal topics by their short name).
  std::optional<size_t> sourceOf(const std::string& topic) const;

  // The connected components of the graph, where nodes sharing a store count as connected.
  // Numbered by their first node, so adding a sub-topology keeps earlier ids.
  std::vector<Subtopology> subtopologies() const;

  // Kafka Streams' TopologyDescription text, line for line.
  std::string describe() const;

 private:
  std::vector<GraphNode> nodes_;
  std::map<std::string, size_t> byName_;
  std::map<std::string, size_t> topicToSource_;
  std::map<std::string, RepartitionTopic> repartitionTopics_;
  std::map<std::string, std::vector<size_t>> storeUsers_;
  std::map<std::string, StoreSpec> stores_;
  std::vector<std::set<std::string>> copartitionGroups_;
  std::map<std::string, std::string> globalStores_;  // store -> topic
  int64_t nextIndex_ = 0;
};

}  // namespace kstreams::internal
