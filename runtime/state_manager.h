// StateManager: the state stores of one task. It locks the task's directory
// (<state.dir>/<application.id>/<task>) against other processes and threads, builds each
// store's stack (local store, changelogging, caching, typed store), and runs the store side
// of a commit:
//
//   flushCaches()  before the producer is flushed (or the transaction committed): cached
//                  results are forwarded and logged;
//   commit()       after Kafka committed: pending writes and the changelog offset they reach
//                  become durable locally in one atomic write;
//   abort()        after an aborted transaction: pending writes and caches are dropped.
//
// Internal; used by one thread at a time.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/changelog_offsets.h"
#include "runtime/store_registry.h"
#include "state/caching_store.h"
#include "state/changelogging_store.h"
#include "state/local_store.h"
#include "state/rocksdb_store.h"
#include "streams/internal/topology_graph.h"

namespace kstreams::internal {

// The task directory is locked by another thread or process. Retry later.
class TaskLockedException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

// What the stores of a task need from its thread and instance.
struct StateServices {
  std::string applicationId;
  std::string stateDir;  // <state.dir>/<application.id>
  RecordCollector* collector = nullptr;
  RocksDBResources* rocksdb = nullptr;
  CacheBudget* cache = nullptr;  // nullptr: no caching
  const SerdeDefaults* serdes = nullptr;
  StoreRegistry* registry = nullptr;  // nullptr: not queryable
  bool exactlyOnce = false;
};

// A changelog partition to restore into a local store.
struct RestoreTarget {
  std::string topic;
  int32_t partition;
  LocalStore* store;
  // The last offset known to be committed to the changelog (by this thread, or by the
  // task's previous owner as its commit's metadata says): the restore reads at least that
  // far, whatever end the broker reports first (see ChangelogReader::add).
  std::optional<int64_t> committedThrough;
};

// The changelog topic of a store of the application.
std::string changelogTopic(const std::string& applicationId, const std::string& store);

// Where a changelogged store of a task stands in its changelog partition, for
// KafkaStreams::allLocalStorePartitionLags.
struct StoreChangelogPosition {
  std::string store;
  std::string topic;
  int32_t partition = 0;
  // The offset of the first changelog record the store has not applied: its checkpoint + 1,
  // or 0 before it has one (as Kafka Streams counts an unknown position: the lag is then
  // the changelog's end, an over-estimate for a changelog whose start was compacted away).
  // nullopt: caught up by definition, the store's task runs and writes the changelog itself.
  std::optional<int64_t> next;
};

class StateManager {
 public:
  // Locks the task directory and opens the stores. Throws TaskLockedException when the
  // directory is locked elsewhere (nothing is left open then).
  StateManager(TaskId task, const TopologyGraph& graph, const Subtopology& subtopology, const StateServices& services,
               std::function<int64_t()> recordTimestamp);
  ~StateManager();
  StateManager(const StateManager&) = delete;
  StateManager& operator=(const StateManager&) = delete;

  StateStore* store(std::string_view name) const;
  // The changelogs to restore before the task may process.
  std::vector<RestoreTarget> restoreTargets() const;
  // Appends where each changelogged store stands (restored through its checkpoint).
  void changelogPositions(std::vector<StoreChangelogPosition>& out) const;
  // Once the stores are restored: drops what the restored data shows expired from window
  // and session stores, and makes the stores queryable.
  void restored();

  void flushCaches();
  // Right after a commit that wrote to the changelogs: records the offset each changelogged
  // store's writes reached (as acknowledged), which the changelog now holds committed.
  void noteCommittedOffsets(CommittedChangelogOffsets& into) const;
  // The entries of `known` for this task's changelog partitions.
  CommittedChangelogOffsets changelogOffsetsIn(const CommittedChangelogOffsets& known) const;
  void commit();
  void abort();
  // Bytes of writes waiting for the next commit, over all stores.
  size_t pendingBytes() const;
  // Closes the stores (without committing) and releases the directory.
  void close();

  const std::string& directory() const { return directory_; }

 private:
  struct Store {
    std::string name;
    LocalStore* local = nullptr;
    ChangeLoggingStore* logging = nullptr;
    CachingStore* caching = nullptr;
    std::unique_ptr<StateStore> typed;
  };

  TaskId task_;
  StateServices services_;
  std::string directory_;
  int lockFd_ = -1;
  std::vector<Store> stores_;  // in topology order: upstream caches flush first
  bool registered_ = false;
  bool closed_ = false;
};

}  // namespace kstreams::internal
