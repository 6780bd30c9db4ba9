// ChangelogReader: restores local stores from their changelog topics, for one stream
// thread. Each store catches up from its checkpoint (or the beginning) to the end of its
// changelog partition before its task processes anything. Records are applied in batches,
// each batch with its last offset as the new checkpoint, so an interrupted restoration
// resumes where it stopped. Progress is logged and counted. Internal.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/kafka_client.h"
#include "runtime/state_manager.h"

namespace kstreams::internal {

// Restoration counters, summed into KafkaStreams::metrics().
struct RestoreMetrics {
  std::atomic<int64_t> restoredRecords{0};
  std::atomic<int64_t> restorations{0};      // store partitions restored
  std::atomic<int64_t> restoreTimeMs{0};     // total time spent, over all of them
  std::atomic<int64_t> lastRestoreTimeMs{0};  // of the latest task to finish
};

class ChangelogReader {
 public:
  ChangelogReader(const StreamsConfig& config, const std::string& clientId, RestoreMetrics& metrics,
                  WatermarkQuery queryWatermarks = rd_kafka_query_watermark_offsets);
  ~ChangelogReader();

  // Starts restoring a task's stores. A task with nothing to restore is done at once.
  void add(TaskId task, const std::vector<RestoreTarget>& targets);
  // Stops restoring a task (it was revoked).
  void remove(TaskId task);
  // Restores for up to `budget`; returns the tasks whose stores have all caught up.
  std::vector<TaskId> restore(std::chrono::milliseconds budget);
  bool restoring() const { return !partitions_.empty(); }

 private:
  struct Partition {
    TaskId task;
    RestoreTarget target;
    int64_t endOffset = 0;  // kEndFoundByFetch: finished by the partition's end-of-partition event
    int64_t restored = 0;
    std::vector<ChangelogRecord> batch;
    int64_t batchLastOffset = -1;
    std::chrono::steady_clock::time_point started;
    bool warnedStillWaiting = false;
    // Where the consumer found the partition's end while endOffset was still ahead (a new
    // leader's high watermark can lag the old one's for a moment); -1 if it has not.
    int64_t endFoundAt = -1;
    std::chrono::steady_clock::time_point endLastAskedFor;
  };
  using Key = std::pair<std::string, int32_t>;

  void queryOffsets(const RestoreTarget& t, TaskId task, int64_t& low, int64_t& high);
  void reassign();
  void apply(Partition& p);
  void finish(const Key& key, std::vector<TaskId>& done);
  bool endConfirmed(const Key& key, Partition& p);

  static constexpr int64_t kEndFoundByFetch = INT64_MAX;

  const StreamsConfig& config_;
  RestoreMetrics& metrics_;
  WatermarkQuery queryWatermarks_;
  KafkaHandle consumer_;
  // How long an end offset behind a store's checkpoint is asked for again before the store
  // is wiped (see add() and the constructor).
  std::chrono::milliseconds confirmBehind_{5000};
  // Changelogs with a partition whose end stayed behind its store's checkpoint.
  std::set<std::string> changelogsFoundBehind_;
  std::map<Key, Partition> partitions_;
  std::map<TaskId, int> remaining_;  // partitions still restoring, per task
  std::map<TaskId, std::chrono::steady_clock::time_point> taskStarted_;
  std::set<TaskId> tasksThatRestored_;  // read records, or a changelog not confirmed empty
  std::vector<TaskId> doneAtOnce_;
};

}  // namespace kstreams::internal
