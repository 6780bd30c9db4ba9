// Task: one sub-topology times one partition number. It owns that partition of every topic
// the sub-topology reads, buffers their records, and always processes the buffered record
// with the lowest timestamp next (a task of one partition may take a record unbuffered,
// processArrived). It knows nothing of librdkafka: the stream thread feeds it consumed
// records and the TopologyTestDriver feeds it piped ones, and both run the same code.
//
// Life of a task: constructed (its nodes built), openState() (stores opened, their
// changelogs to restore returned), initialize() (after restoration: nodes' init() runs, the
// stores become queryable), then process() until close().
//
// A task is used by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/ring_queue.h"
#include "runtime/state_manager.h"
#include "runtime/streams_config.h"
#include "streams/internal/topology_graph.h"

namespace kstreams::internal {

// Keeps a consumed record's bytes alive; frees them when the record is done.
using RecordOwner = std::unique_ptr<void, void (*)(void*)>;

// What a thread lends its tasks.
struct TaskServices {
  std::string applicationId;
  RecordCollector* collector = nullptr;
  const SerdeDefaults* serdes = nullptr;
  DeserializationHandling deserialization = DeserializationHandling::kLogAndFail;
  int64_t maxTaskIdleMs = 0;
  // Milliseconds since the epoch; the test driver's clock is one it advances by hand.
  std::function<int64_t()> wallClock;
  // Whether the broker holds records of this input partition that the consumer has not
  // fetched yet. Unset: it never does.
  std::function<bool(const std::string& topic, int32_t partition)> hasUnfetched;
  // Counts records skipped because they could not be read, and records dropped on purpose.
  std::atomic<int64_t>* skippedRecords = nullptr;
  std::atomic<int64_t>* droppedRecords = nullptr;
  // What tasks with state stores need; may be nullptr if no sub-topology has stores.
  const StateServices* state = nullptr;
  // The instance's global stores (GlobalKTable), by name: committed data, readable from
  // any thread. May be nullptr.
  const std::map<std::string, std::shared_ptr<KeyValueBytesStore>>* globalStores = nullptr;
};

// An input partition's next offset to commit, and its partition time (the largest
// timestamp processed from it, or committed with it; -1: none).
struct CommitOffset {
  std::string topic;
  int32_t partition;
  int64_t offset;
  int64_t partitionTime;
};

class Task final : public TaskContext {
 public:
  struct InputPartition {
    std::string topic;  // the real topic name (internal topics with the application id)
    int32_t partition;
  };

  Task(TaskId id, const TopologyGraph& graph, const Subtopology& subtopology,
       const TaskServices& services, std::vector<InputPartition> inputs);
  // Locks the task directory and opens the stores. Throws TaskLockedException when another
  // thread or process still holds the task; call again later.
  std::vector<RestoreTarget> openState();
  // Runs the nodes' init(); the task then processes.
  void initialize();
  bool initialized() const { return initialized_; }
  // Whether a node of the task reads or writes headers; if not, records need none.
  bool seesHeaders() const { return subtopology_.seesHeaders; }
  // nullptr for a task without stores (or before openState()).
  StateManager* state() { return state_.get(); }
  ~Task() override;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  const std::vector<InputPartition>& inputs() const { return inputs_; }
  bool hasStores() const { return !subtopology_.stores.empty(); }
  // Buffers a record of inputs()[input]. The record's views stay valid while owner lives.
  void addRecord(size_t input, const RawRecord& raw, RecordOwner owner);
  // Whether a record of inputs()[input] may skip the buffer and be processed as it arrives
  // (processArrived): the task reads a single partition, so there is no other input to
  // order it against, it is initialized, and nothing of it is buffered.
  bool processesOnArrival(size_t input) const {
    return initialized_ && queues_.size() == 1 && input == 0 && queues_[0].records.empty();
  }
  // Processes a record of inputs()[input] at once, as process() would once it was buffered;
  // processesOnArrival(input) must hold. Throws as process() does.
  void processArrived(size_t input, const RawRecord& raw);
  size_t buffered(size_t input) const { return queues_[input].records.size(); }
  size_t buffered() const;

  // Processes the next record if one is ready. Returns whether it processed one.
  // Throws StreamsException when processing fails (with topic, partition and offset).
  bool process();
  // Runs the wall-clock punctuations that are due. Returns whether any ran.
  bool punctuateWallClock();
  // Runs the stream-time punctuations that are due: after each record, and on every turn of
  // the thread, so that a task that resumed a committed stream time fires what is due at
  // once, as in Kafka Streams, not only with its next record. Returns whether any ran.
  bool punctuateStreamTime();

  // Input partitions whose position moved since the last markCommitted(); with `all`, every
  // input partition that has a position (a record processed since the task began).
  std::vector<CommitOffset> offsetsToCommit(bool all = false) const;
  // `changelogMetadata`: the commit metadata of the changelog offsets the commit's offsets
  // carried (see changelog_offsets.h), kept to tell whether the next commit's are new.
  void markCommitted(std::string changelogMetadata);
  const std::string& committedChangelogMetadata() const { return committedChangelogMetadata_; }
  // Before the task processes: the partition time committed with inputs()[input]'s offset.
  // The task's stream time starts at the largest of them, as in Kafka Streams, and the
  // partition's timestamp extractor is given it.
  void resumePartitionTime(size_t input, int64_t partitionTime);
  // Before the task processes: a node's processor metadata committed with one of its input
  // offsets. Each input offset carries all of them; the largest value of a key wins (a
  // task whose inputs committed at different times resumes from the latest).
  void resumeProcessorMetadata(const std::map<std::string, int64_t, std::less<>>& metadata);
  // What the next commit carries for the nodes (see TaskContext::addProcessorMetadataKeyValue).
  const std::map<std::string, int64_t, std::less<>>& processorMetadata() const { return processorMetadata_; }
  bool commitRequested() const { return commitRequested_; }
  // Drops the buffered records (e.g. when the task is closed without commit).
  void clearBuffers();
  void close();

  // TaskContext
  const TaskId& taskId() const override { return id_; }
  const std::string& applicationId() const override { return services_.applicationId; }
  const RecordMetadata& recordMetadata() const override { return current_; }
  int64_t streamTime() const override { return streamTime_; }
  int64_t wallClockTime() const override { return services_.wallClock(); }
  RecordCollector& collector() override { return *services_.collector; }
  StateStore* stateStore(std::string_view name) override;
  std::shared_ptr<KeyValueBytesStore> globalStore(std::string_view name) override;
  Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                       Punctuator punctuator) override;
  void requestCommit() override { commitRequested_ = true; }
  std::string internalTopicName(std::string_view name) const override {
    return services_.applicationId + "-" + std::string(name);
  }
  void recordDropped(std::string_view node, std::string_view reason) override;
  std::optional<int64_t> processorMetadataForKey(std::string_view key) const override;
  void addProcessorMetadataKeyValue(std::string_view key, int64_t value) override;

 private:
  // Why a record is not processed. Kept apart from the record until its turn comes, so that
  // the records before it are processed first.
  struct RecordError {
    enum class Kind {
      kUnreadable,         // it does not deserialize: default.deserialization.exception.handler's
      kNegativeTimestamp,  // its extractor gave a negative timestamp: skipped, as in Kafka Streams
      kFatal,              // its extractor failed (FailOnInvalidTimestamp, say): the thread stops
    };
    Kind kind;
    std::string reason;
  };
  // 128 bytes: a round's buffered records are written when fetched and read when processed,
  // and should still be in the core's cache then.
  struct Buffered {
    RawRecord raw;
    RecordOwner owner{nullptr, nullptr};
    int64_t timestamp = 0;
    std::unique_ptr<RecordError> error;  // set: the record is not to be processed
  };
  struct Queue {
    RingQueue<Buffered> records;
    SourceInstance* source = nullptr;
    TimestampExtraction extraction = TimestampExtraction::kFailOnInvalidTimestamp;  // never kDefault
    int64_t nextOffset = -1;       // after the last record processed; -1 before the first
    int64_t committedOffset = -1;  // nextOffset at the last commit
    int64_t partitionTime = -1;    // the largest timestamp processed, or resumed from a commit
    // partitionTime once the buffered records are processed: the partition time the next
    // record's extractor is given, as Kafka Streams gives it to the queue's head record.
    int64_t bufferedPartitionTime = -1;
    int64_t emptySince = -1;       // wall clock when the queue ran dry, for max.task.idle.ms
  };
  struct Schedule {
    int64_t interval;
    PunctuationType type;
    int64_t next;
    Punctuator punctuator;
    std::shared_ptr<bool> cancelled;
  };

  bool mayProcessWithEmptyInputs();
  // The timestamp of the queue's next record, or why it is not to be processed (error set).
  int64_t readTimestamp(Queue& queue, const RawRecord& raw, std::unique_ptr<RecordError>& error) const;
  int64_t invalidTimestamp(const Queue& queue, const RawRecord& raw, std::unique_ptr<RecordError>& error) const;
  void processRecord(Queue& queue, const RawRecord& raw, int64_t timestamp, const RecordError* error);
  void skipOrFail(const RawRecord& raw, const std::string& reason);
  void punctuate(size_t schedule, int64_t now);
  static std::string where(const RawRecord& raw);

  TaskId id_;
  const TopologyGraph& graph_;
  Subtopology subtopology_;
  TaskServices services_;
  std::vector<InputPartition> inputs_;
  std::vector<Queue> queues_;
  std::vector<std::unique_ptr<NodeInstance>> nodes_;
  std::unique_ptr<StateManager> state_;
  std::vector<Schedule> schedules_;
  RecordMetadata current_;
  int64_t streamTime_ = -1;
  // The timestamp of the record (or punctuation) being processed, for changelog records.
  int64_t currentTimestamp_ = 0;
  bool initialized_ = false;
  bool commitRequested_ = false;
  std::string committedChangelogMetadata_;
  // Resumed from the last commit, then as the nodes set it: what the next commit carries.
  std::map<std::string, int64_t, std::less<>> processorMetadata_;
  bool closed_ = false;
};

}  // namespace kstreams::internal
