// KafkaStreams: one instance of a stream processing application. Run as many instances
// (processes) of one application.id as you like: Kafka's consumer group shares the input
// partitions, and so the tasks, between all their threads.
//
//   KafkaStreams streams(builder.build(), {{"application.id", "fraud"},
//                                          {"bootstrap.servers", "localhost:9092"}});
//   streams.start();     // throws if the cluster or a topic is missing
//   ...
//   streams.close();     // commits and leaves the group
//
// States, as in Kafka Streams:
//   CREATED -> REBALANCING <-> RUNNING -> PENDING_SHUTDOWN -> NOT_RUNNING
// pause() and resume() change no state: a paused instance stays RUNNING.
// start() moves to REBALANCING at once; it returns when the cluster has been checked, the
// global tables restored (or close() stopped either) and the stream threads started.
//   any running state -> PENDING_ERROR -> ERROR, when a thread fails and the uncaught
//   exception handler says SHUTDOWN_CLIENT (the default).
// The methods of this class are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/lag_info.h"
#include "runtime/streams_config.h"
#include "runtime/streams_metadata.h"
#include "streams/default_partitioner.h"
#include "streams/key_value_store.h"
#include "streams/window_store.h"
#include "streams/topology.h"

namespace kstreams {

namespace internal {
class StreamThread;
struct TopicLayout;
class StreamsListenerAdapter;
class RocksDBResources;
class StoreRegistry;
class GlobalStreamThread;
class GroupDirectory;
class ChangelogEnds;
struct InstanceServices;
}  // namespace internal

class KafkaStreams {
 public:
  enum class State { CREATED, REBALANCING, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING, PENDING_ERROR, ERROR };
  using StateListener = std::function<void(State newState, State oldState)>;

  enum class StreamThreadExceptionResponse {
    REPLACE_THREAD,   // start a new thread in place of the failed one
    SHUTDOWN_CLIENT,  // stop this instance's other threads too; the instance ends in ERROR
  };
  // Told why a thread failed; decides what happens next. Called on the failed thread.
  using UncaughtExceptionHandler =
      std::function<StreamThreadExceptionResponse(const StreamsException& error)>;

  // Counters summed over the instance's threads, since start().
  struct Metrics {
    int64_t processedRecords = 0;
    int64_t skippedRecords = 0;   // unreadable input records let go by LogAndContinue
    // Records let go on purpose: by operators (e.g. null keys), and output records that could
    // not be written under default.production.exception.handler=Continue.
    int64_t droppedRecords = 0;
    int64_t commits = 0;
    // Of the commits, those made through a transaction (exactly_once_v2 commits that carried
    // records; one that would carry offsets alone commits them without one).
    int64_t transactions = 0;
    // Times a thread applied its stores' committed writes to local state, where interactive
    // queries read them: at every commit under at_least_once, every
    // statestore.apply.interval.ms under exactly_once_v2 (and when the writes fill
    // statestore.uncommitted.max.bytes).
    int64_t storeApplies = 0;
    int64_t rebalances = 0;
    // Times a thread went back to its last commit and did the work since then again: its
    // transaction was aborted, or records it wrote timed out (docs/guarantees.md).
    int64_t redos = 0;
    int32_t aliveThreads = 0;
    int64_t restoredRecords = 0;    // changelog records applied while restoring stores
    int64_t restorations = 0;       // store partitions restored
    int64_t lastRestoreTimeMs = 0;  // how long the latest task took to restore all its stores

    // Memory held now, in bytes: what the budgets of configuration.md ("Less memory for more
    // CPU") bound. The two RocksDB ones are the process's, shared by all stores; the others
    // the stream threads', as of each thread's latest loop.
    int64_t memtableBytes = 0;     // RocksDB memtables, flushing ones too (rocksdb.write.buffer.bytes)
    // Blocks in the block cache, pinned ones too; not the memtables' charge to it
    // (rocksdb.block.cache.bytes).
    int64_t blockCacheBytes = 0;
    int64_t uncommittedBytes = 0;  // store writes not yet applied (statestore.uncommitted.max.bytes)
    int64_t recordCacheBytes = 0;  // the record caches (statestore.cache.max.bytes)
  };

  // Where a key of a store lives: the partition (and so the task) that owns it, whether
  // that task runs in this instance, and the application.server of the instance that has it.
  struct KeyQueryMetadata {
    int32_t partition = -1;
    TaskId task;
    bool local = false;
    // nullopt while no instance has the task (a rebalance), or when the one that has it set
    // no application.server.
    std::optional<HostInfo> activeHost;
  };

  // A thread of this instance: its name, state and the tasks it runs.
  struct ThreadMetadata {
    std::string threadName;
    std::string threadState;
    std::vector<TaskId> activeTasks;
  };

  // Checks the configuration (application.id and bootstrap.servers are required) and the
  // topology (every node has its serdes). Throws ConfigException or TopologyException.
  KafkaStreams(const Topology& topology, StreamsConfig config);
  // Closes the instance if it is still running, waiting as long as it takes.
  ~KafkaStreams();
  KafkaStreams(const KafkaStreams&) = delete;
  KafkaStreams& operator=(const KafkaStreams&) = delete;

  // The listener runs on the thread whose action changed the state (a stream thread, or the
  // caller of start() or close()), one call at a time, outside the instance's lock. As in
  // Kafka Streams, two changes made at once on different threads may reach it in either
  // order (state() is the current one), and it must not call close(), which waits for the
  // thread it may be running on: signal another thread to do that.
  void setStateListener(StateListener listener);
  void setUncaughtExceptionHandler(UncaughtExceptionHandler handler);

  // Checks the cluster (reachable, input and output topics exist), creates the internal
  // topics, and starts the stream threads. Throws StreamsException (the instance is then in
  // ERROR) if it cannot, with what is wrong and what to do; waits for an unreachable cluster
  // up to default.api.timeout.ms first. A close() from another thread in that time ends the
  // wait: start() then returns without starting anything. Callable once.
  void start();

  // Stops the threads: each commits, closes its tasks and leaves the group. Returns whether
  // they stopped within the timeout; if not, they go on stopping in the background.
  bool close(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());

  // Pauses processing (KIP-834), in any state, before start() too (the instance then starts
  // paused). Until resume(), no task processes a record or punctuates (stream-time or
  // wall-clock) and no store restores from its changelog. Each thread still polls its
  // consumer, so it keeps its partitions (no rebalance), and still commits what it processed
  // before; the global tables are still kept up to date, and every store stays queryable.
  // Records fetched meanwhile wait in the consumer's per-partition queues (which stop fetching
  // when full) and are processed, in order, after resume(). Each thread pauses at its next
  // turn: the turn under way finishes, processing the records its tasks hold then (up to
  // buffered.records.per.partition of each partition) and punctuating. The instance stays
  // RUNNING; an instance started paused, or whose tasks a rebalance moved while paused, stays
  // REBALANCING until resume() if any of its tasks has stores to restore, as in Kafka Streams.
  void pause();
  // Undoes pause(): the threads go on at once from where they stopped.
  void resume();
  // Whether pause() was called without a resume() since.
  bool isPaused() const;

  State state() const;
  // Waits until the instance is in `state`, up to timeout. Returns false on timeout, or as
  // soon as the instance is in ERROR or NOT_RUNNING instead.
  bool waitForState(State state, std::chrono::milliseconds timeout) const;
  // Why the instance is in ERROR; empty otherwise.
  std::string lastError() const;
  Metrics metrics() const;
  std::vector<ThreadMetadata> metadataForLocalThreads() const;

  // Interactive queries: a read-only view of the key-value store `name` over every task of
  // this instance, safe to use from any thread while the application runs. It reads
  // committed data (as of the last commit). For a DSL table, V is the value type without
  // its timestamp. Throws InvalidStateStoreException for an unknown store or other types.
  template <class K, class V>
  std::shared_ptr<ReadOnlyKeyValueStore<K, V>> store(const std::string& name) const {
    return std::static_pointer_cast<ReadOnlyKeyValueStore<K, V>>(
        queryView(name, typeid(K), typeid(V), internal::StoreKind::kKeyValue));
  }
  // The same for window and session stores (windowed aggregations).
  template <class K, class V>
  std::shared_ptr<ReadOnlyWindowStore<K, V>> windowStore(const std::string& name) const {
    return std::static_pointer_cast<ReadOnlyWindowStore<K, V>>(
        queryView(name, typeid(K), typeid(V), internal::StoreKind::kWindow));
  }
  template <class K, class V>
  std::shared_ptr<ReadOnlySessionStore<K, V>> sessionStore(const std::string& name) const {
    return std::static_pointer_cast<ReadOnlySessionStore<K, V>>(
        queryView(name, typeid(K), typeid(V), internal::StoreKind::kSession));
  }
  // Which partition (and task) of store `name` owns `key`, whether it is in this instance,
  // and which instance has it. Keys are placed by murmur2 of their serialized bytes, as
  // Kafka's producer does. Available after start(). For a key of another instance it asks
  // the group coordinator (see metadataForAllStreamsClients) and throws StreamsException
  // when that fails.
  template <class K>
  KeyQueryMetadata queryMetadataForKey(const std::string& store, const K& key, SerdePtr<K> keySerde = nullptr) const {
    std::string bytes;
    internal::resolveSerde<K>(keySerde, config_.serdeDefaults(), true, "store " + store)->serialize(key, bytes);
    return queryMetadataForBytes(store, bytes);
  }
  // Every instance of this application that sets application.server, with the tasks (and
  // so the stores' partitions) it has, as the consumer group's coordinator describes the
  // group: at most a second old, and during a rebalance possibly older or without tasks.
  // Asks the coordinator (at most once a second); throws StreamsException when that fails.
  std::vector<StreamsMetadata> metadataForAllStreamsClients() const;
  // How far each changelogged store of this instance's tasks is behind its changelog
  // (KIP-535), by store name and partition. A store of a running task is caught up (its lag
  // 0, its position the changelog's end), as in Kafka Streams; one still restoring, or
  // waiting to (paused), is at the offset after its last restored record, or at 0 before it
  // has one (the lag is then the changelog's end). A table read from a topic has a changelog
  // of its own in kstreams (no source topic doubles as one), and so a lag like any store.
  // Stores without a changelog, and global tables, are not listed. Blocks for a round trip
  // to the changelogs' leaders for their end offsets; throws StreamsException naming the
  // partitions when they do not answer within default.api.timeout.ms.
  std::map<std::string, std::map<int32_t, LagInfo>> allLocalStorePartitionLags() const;

  // Deletes this application's local state (<state.dir>/<application.id>). Only on an
  // instance that is not running; the next start restores everything from the changelogs.
  void cleanUp();
  const StreamsConfig& config() const { return config_; }

  static const char* toString(State state);

 private:
  friend class internal::StreamsListenerAdapter;
  void onThreadStateChange();
  void onThreadError(internal::StreamThread& thread, const std::string& error);
  // The global thread failed: the instance stops in ERROR.
  void onGlobalThreadError(const std::string& error);
  internal::InstanceServices instanceServices() const;
  // Under mutex_: moves to `state` and returns the transition to report, if any.
  void transition(std::unique_lock<std::mutex>& lock, State state);
  State stateFromThreads() const;
  std::shared_ptr<void> queryView(const std::string& name, const std::type_info& key, const std::type_info& value,
                                  internal::StoreKind kind) const;
  KeyQueryMetadata queryMetadataForBytes(const std::string& store, const std::string& keyBytes) const;
  // Reads (or makes) this instance's process id under its state directory, and locks it so
  // that no other running instance uses the same state directory.
  void claimStateDirectory();
  void releaseStateDirectory();

  Topology topology_;
  StreamsConfig config_;
  std::unique_ptr<internal::TopicLayout> layout_;
  std::unique_ptr<internal::StreamsListenerAdapter> adapter_;
  // Outlives the global thread and the stream threads, which register their stores in it.
  std::unique_ptr<internal::StoreRegistry> registry_;
  std::unique_ptr<internal::RocksDBResources> rocksdb_;
  std::unique_ptr<internal::GlobalStreamThread> global_;
  // Made by start(); asked by queries about other instances.
  std::unique_ptr<internal::GroupDirectory> directory_;
  std::string processId_;
  int processLockFd_ = -1;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::mutex listenerMutex_;  // serializes calls of the user's state listener
  State state_ = State::CREATED;
  // While start() runs; it lets go of mutex_ to check the cluster, to restore the global
  // tables and to call the state listener. close() stops such a wait and waits for start()
  // to return.
  bool starting_ = false;
  // Set by close(); read by start() while it waits for the cluster without the mutex.
  std::atomic<bool> closeRequested_{false};
  std::atomic<bool> paused_{false};  // read by the stream threads once a turn
  std::unique_ptr<internal::ChangelogEnds> changelogEnds_;  // for allLocalStorePartitionLags
  StateListener stateListener_;
  UncaughtExceptionHandler exceptionHandler_;
  std::string lastError_;
  std::vector<std::unique_ptr<internal::StreamThread>> threads_;
  int nextThreadIndex_ = 0;
};

}  // namespace kstreams
