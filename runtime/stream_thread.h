// StreamThread: one thread of a KafkaStreams instance. It has its own consumer in the
// application's group and its own producer; the group gives it partitions, it makes one
// task per sub-topology and partition number, and loops: poll records into the tasks'
// buffers, process them, punctuate, commit every commit.interval.ms.
//
// At-least-once commit: flush the producer (every record sent so far is acknowledged), then
// commit the consumed offsets. Also before partitions are revoked, so the next owner starts
// where this one stopped. Output may repeat after a crash; it is never lost.
//
// Its code is in four files: stream_thread.cc (clients, the loop, tasks made ready),
// stream_thread_records.cc (records from the partitions' queues into the tasks),
// stream_thread_commit.cc (commits, redos, failure) and stream_thread_rebalance.cc
// (partitions assigned and revoked).
#pragma once

#include <atomic>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/changelog_reader.h"
#include "runtime/internal_topics.h"
#include "runtime/partition_queue.h"
#include "runtime/streams_producer.h"
#include "runtime/task.h"
#include "streams/topology.h"

namespace kstreams::internal {

// Counters a thread keeps; KafkaStreams::metrics() adds them up.
struct ThreadMetrics {
  std::atomic<int64_t> processedRecords{0};
  std::atomic<int64_t> skippedRecords{0};
  std::atomic<int64_t> droppedRecords{0};
  std::atomic<int64_t> commits{0};
  std::atomic<int64_t> storeApplies{0};
  std::atomic<int64_t> transactions{0};
  std::atomic<int64_t> rebalances{0};
  std::atomic<int64_t> redos{0};
  // Gauges, set by the thread as of its latest loop: bytes its tasks' store writes wait in
  // (statestore.uncommitted.max.bytes) and its record caches hold (statestore.cache.max.bytes).
  std::atomic<int64_t> uncommittedBytes{0};
  std::atomic<int64_t> recordCacheBytes{0};
  RestoreMetrics restore;
};

// What the threads of one instance share.
struct InstanceServices {
  RocksDBResources* rocksdb = nullptr;
  StoreRegistry* registry = nullptr;
  // Stable across restarts of an instance with the same state.dir; names the threads'
  // transactional producers.
  std::string processId;
  const std::map<std::string, std::shared_ptr<KeyValueBytesStore>>* globalStores = nullptr;
  // Set by KafkaStreams::pause(), cleared by resume(); read by each thread once a turn.
  const std::atomic<bool>* paused = nullptr;
};

// The properties of a stream thread's consumer: kstreams' defaults, overridden by the user's
// properties of the same name (unprefixed or `consumer.`), and the settings kstreams owns.
// `prefetchKbytes`: the default queued.max.messages.kbytes.
std::map<std::string, std::string> streamConsumerProperties(const StreamsConfig& config,
                                                            const std::string& clientId,
                                                            int64_t prefetchKbytes);

class StreamThread {
 public:
  enum class State {
    kCreated,
    kStarting,
    kPartitionsRevoked,
    kPartitionsAssigned,
    kRunning,
    kPendingShutdown,
    kDead,
  };

  // What the thread tells its KafkaStreams. Called from the thread itself.
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void onThreadStateChange(StreamThread& thread, State newState) = 0;
    // The thread stopped because of an error; it is kDead already.
    virtual void onThreadError(StreamThread& thread, const std::string& error) = 0;
  };

  StreamThread(int index, const Topology& topology, const StreamsConfig& config,
               const TopicLayout& layout, InstanceServices instance, Listener& listener);
  ~StreamThread();
  StreamThread(const StreamThread&) = delete;
  StreamThread& operator=(const StreamThread&) = delete;

  void start();
  // Asks the thread to commit, close its tasks and leave the group. Returns at once.
  void shutdown() { shutdownRequested_ = true; }
  void join();
  State state() const { return state_; }
  const std::string& name() const { return name_; }
  const ThreadMetrics& metrics() const { return metrics_; }
  // The tasks this thread runs now. Safe to call from any thread.
  std::vector<TaskId> activeTasks() const;
  // Where each changelogged store of this thread's tasks stands in its changelog, as of the
  // thread's latest turn that changed it. Safe to call from any thread.
  std::vector<StoreChangelogPosition> changelogPositions() const;
  // Ends the thread's wait for records now (KafkaStreams::resume), not at poll.ms.
  void wake() { wakeup_.wake(); }
  static const char* toString(State state);

 private:
  struct Route {
    Task* task = nullptr;
    size_t input = 0;
    PartitionQueue queue;
    int64_t nextOffset = -1;  // after the last record received, or the consumer's position
    // hasUnfetched stopped waiting for this partition at this nextOffset, and does not wait
    // again until a record moves it (the partition's last offsets may hold no records).
    int64_t gaveUpAt = -2;
    // When a task first waited for this partition since its last record; zero: not waiting.
    std::chrono::steady_clock::time_point waitingSince{};
  };

  void run();
  void runOnce();
  bool paused() const { return instance_.paused && instance_.paused->load(std::memory_order_relaxed); }
  // Opens the state of new tasks, restores it, and initializes tasks that are ready.
  // runningTasksHaveRecords: this turn processed records as they arrived, so restoring
  // must leave the running tasks their turn soon. paused: no restoring (as in Kafka
  // Streams, whose paused tasks' changelogs are not read), so stateful tasks wait.
  void prepareTasks(bool runningTasksHaveRecords, bool paused);
  // Sets what changelogPositions() answers from tasks_ as they are now.
  void publishChangelogPositions();
  // Reads the committed offsets of the tasks' inputs and what their metadata holds (see
  // noteCommittedMetadata). False if some could not be read yet (those that were are
  // marked read); throws once that has lasted task.timeout.ms.
  bool readCommittedMetadata(const std::vector<Task*>& tasks);
  // What the metadata of these committed offsets (as read by rd_kafka_committed) holds:
  // their partition times go to the tasks that have not begun yet, and under
  // exactly_once_v2 their changelog offsets to committedChangelogOffsets_. Marks the tasks
  // whose inputs all came back without error as read.
  void noteCommittedMetadata(const rd_kafka_topic_partition_list_t* committed);
  void createClients();
  std::unique_ptr<StreamsProducer> createProducer();
  // Whether the topology has state stores: such a thread writes changelogs, reads its
  // records more slowly, and prefetches less.
  bool hasStores() const { return !topology_.graph().stores().empty(); }
  // The work since the last commit is void (its transaction was aborted, or records of it
  // timed out): close the tasks without committing and rewind them to the committed offsets.
  void redoSinceLastCommit(const std::string& why);
  // Exactly-once: the producer was fenced; replace it and rejoin the group.
  void recoverFromFencing(const std::string& why);
  // Leaves the group and subscribes again: the partitions are handed out afresh.
  void rejoinGroup();
  void seekToCommitted(rd_kafka_topic_partition_list_t* partitions);
  // Serves the consumer queue: rebalances, errors. Returns whether anything came.
  bool pollConsumer();
  // Moves records from the partitions' queues into tasks with room, or processes them at
  // once where the task allows (Task::processesOnArrival), adding those to processed.
  // Returns how many it took.
  int64_t fetchRecords(int64_t& processed);
  // librdkafka wants every queue reference gone before the consumer closes.
  void releaseQueues();
  void handleMessage(rd_kafka_message_t* message);
  // Hands a record of route's partition to its task.
  void addToTask(Route& route, rd_kafka_message_t* message);
  void processArrived(Route& route, rd_kafka_message_t* message);
  static RawRecord rawRecordOf(Route& route, const rd_kafka_message_t* message);
  int64_t processRecords();
  void maybeCommit();
  // handingOver: the tasks are about to close (revocation, shutdown), so the stores apply
  // their writes now whatever statestore.apply.interval.ms says.
  void commit(bool handingOver = false);
  size_t uncommittedBytes() const;
  // Sets the memory gauges of metrics_; returns uncommittedBytes().
  size_t publishMemory();
  bool hasUnfetched(const std::string& topic, int32_t partition);
  void shutdownCleanly();
  void fail(const std::string& error);
  void setState(State state);
  void rethrowCallbackError();

  static void onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  // The consumer's client-level errors, served on this thread while it polls.
  static void onError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  // After librdkafka said an input topic or partition is unknown: fails the thread if one
  // of the subscribed topics is gone (deleted while the application ran).
  void checkInputTopics();
  // Makes the tasks of the assigned partitions. rebalance = false: the same partitions
  // again, after a redo (not counted in metrics().rebalances).
  void onAssigned(const rd_kafka_topic_partition_list_t* partitions, bool rebalance = true);
  // Sets where each assigned partition starts, if that can be known here; see the .cc.
  void setStartOffsets(rd_kafka_topic_partition_list_t* partitions);
  // auto.offset.reset=latest: turns each start that is RD_KAFKA_OFFSET_END into the
  // partition's end offset, and commits those. Leaves them all as they are if any step fails.
  void pinLatestStarts(const rd_kafka_topic_partition_list_t* partitions, std::vector<int64_t>& starts,
                       std::chrono::milliseconds timeout);
  void onRevoked();
  // The error of an input partition without a start under auto.offset.reset=error.
  StreamsException noStartPosition(const std::string& topic, int32_t partition, const std::string& why) const;
  void closeTasks(bool clean);
  Route* route(rd_kafka_topic_t* rkt, int32_t partition);

  const int index_;
  const std::string name_;
  const Topology topology_;
  const StreamsConfig& config_;
  const TopicLayout layout_;
  InstanceServices instance_;
  Listener& listener_;
  std::vector<Subtopology> subtopologies_;
  std::map<std::string, int32_t> topicToSubtopology_;  // real topic name -> sub-topology
  std::vector<std::string> subscription_;
  // Real names. Read from their beginning when nothing is committed, whatever
  // auto.offset.reset says (as in Kafka Streams): everything in them came from this application.
  std::set<std::string> repartitionTopics_;

  Wakeup wakeup_;  // outlives every queue that calls it
  KafkaHandle consumer_;
  KafkaQueue consumerQueue_;  // for wake-ups; released before the consumer closes
  std::unique_ptr<FetchDoorbell> doorbell_;  // outlives the partition queues that ring it
  // The consumer's handles of the repartition topics, made before it subscribes so that
  // librdkafka uses their configuration (auto.offset.reset=earliest) wherever it resets a
  // position itself; released before the consumer.
  std::vector<KafkaTopic> repartitionHandles_;
  // Where a source topic's partition without a committed offset starts (auto.offset.reset),
  // as a logical offset; RD_KAFKA_OFFSET_INVALID under auto.offset.reset=error: librdkafka
  // then reports the partition, and the thread fails (see handleMessage).
  int64_t resetOffset_ = RD_KAFKA_OFFSET_INVALID;
  ThreadMetrics metrics_;  // outlives the producer, which counts dropped records into it
  std::unique_ptr<StreamsProducer> producer_;
  TaskServices services_;
  CacheBudget cache_;
  StateServices stateServices_;
  std::unique_ptr<ChangelogReader> restorer_;
  std::set<TaskId> restoring_;  // tasks whose stores are being restored
  std::chrono::steady_clock::time_point lastLockWarning_;
  std::map<TaskId, std::unique_ptr<Task>> tasks_;
  mutable std::mutex activeTasksMutex_;  // guards the two copies below
  std::vector<TaskId> activeTasks_;  // the keys of tasks_, for other threads to read
  std::vector<StoreChangelogPosition> changelogPositions_;
  // Routes by topic name, indexed by partition; and by the consumer's topic handles.
  std::unordered_map<std::string, std::vector<Route>> routes_;
  std::unordered_map<rd_kafka_topic_t*, std::vector<Route>*> routesByHandle_;
  std::vector<rd_kafka_message_t*> fetchBatch_;
  size_t maxUncommittedBytes_ = SIZE_MAX;  // this thread's share of statestore.uncommitted.max.bytes

  std::atomic<bool> shutdownRequested_{false};
  std::atomic<State> state_{State::kCreated};
  bool failed_ = false;
  bool producerFenced_ = false;  // noticed in a rebalance callback; handled after the poll
  std::exception_ptr callbackError_;
  // What librdkafka said about an unknown input topic or partition, until checkInputTopics
  // looks (at most every few seconds: a topic just created can be unknown for a moment).
  std::string inputTopicDoubt_;
  std::chrono::steady_clock::time_point nextInputTopicCheck_;
  std::chrono::steady_clock::time_point lastCommit_;
  std::chrono::steady_clock::time_point lastStoresApplied_;
  // Since when the thread has been redoing work without committing any (see
  // redoSinceLastCommit); unset after a commit that committed something.
  std::optional<std::chrono::steady_clock::time_point> redoingSince_;
  // What this thread's commits put in the changelogs. Under exactly_once_v2 a store's
  // writes since its last apply are dropped with its task at a redo, and its restore then
  // asks the broker where the committed changelog ends: right after a commit the answer can
  // still stop before it (the commit's markers are written after the commit returns), and
  // a restore that stopped there would leave the store behind the input offsets the same
  // commit moved past. Lower bounds, never taken back: still true after a task moved away
  // and came back. Also what the metadata of a task's committed offsets says its previous
  // owner committed (see changelog_offsets.h); and what this thread's commits put in theirs.
  CommittedChangelogOffsets committedChangelogOffsets_;
  // Tasks whose committed offsets' metadata has been read since they were assigned (a task
  // begins only after that), and since when a read has kept failing.
  std::set<TaskId> committedMetadataRead_;
  std::optional<std::chrono::steady_clock::time_point> committedMetadataUnreadSince_;
  std::chrono::steady_clock::time_point lastCommittedMetadataRead_;
  std::chrono::steady_clock::time_point lastCommittedMetadataWarning_;
  std::thread thread_;
};

}  // namespace kstreams::internal
