// kstreams-bench: the benchmark harness. The options, the meter every scenario reports
// through, and the entry points of each kind of scenario. See docs/benchmarks.md.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench {

struct Options {
  std::string bootstrapServers;
  std::string scenario;
  std::string guarantee = "at_least_once";
  int64_t records = 1000000;
  std::optional<int64_t> keys;  // default: records
  int32_t valueBytes = 100;
  int32_t partitions = 4;
  double skew = 0;  // Zipf exponent of the key distribution; 0: uniform
  std::string inputTopic = "bench-input";
  std::string secondInputTopic = "bench-input-2";
  std::string tableTopic = "bench-table";
  std::string outputTopic = "bench-output";
  int threads = 1;
  std::string stateDir;
  std::string applicationId;
  std::optional<int64_t> commitIntervalMs;
  int64_t timeoutS = 600;
  // Extra Streams configuration (KEY=VALUE), applied last: for experiments.
  std::vector<std::string> config;
};

// What kstreams' memory budgets held (KafkaStreams::metrics()) at the sample taken when the
// process's resident memory was highest: what the peak RSS of a streams scenario is made of.
struct MemoryAtPeak {
  double rssMb = 0;  // resident memory at that sample
  // Bytes the program has allocated (jemalloc's stats.allocated; unknown, 0, with another
  // malloc): the rest of the resident memory is free pages the allocator keeps, its own
  // metadata, and the program's code and stacks.
  double heapMb = 0;
  double memtablesMb = 0;
  double blockCacheMb = 0;
  double uncommittedMb = 0;
  double recordCacheMb = 0;
};

// Counts processed records and measures the interval from the start (the application
// reaching RUNNING, or the first record, whichever comes first) to the N-th record: its
// wall-clock time, and the process's CPU time and peak resident memory. Where the N records'
// work is not all done at the N-th (a stateful scenario's store writes wait for a commit),
// settle() moves the end of the CPU and memory interval to where it is.
class Meter {
 public:
  explicit Meter(int64_t expected) : expected_(expected) {}

  // Called once per processed record, from any thread; true for the N-th. Records past the
  // N-th (processed again after a rebalance, or input beyond N) are not counted.
  bool record(int64_t bytes) {
    if (count_.load(std::memory_order_relaxed) == 0) start();
    const int64_t n = count_.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (n > expected_) return false;
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (n != expected_) return false;
    finish();
    return true;
  }
  // The point from which time is measured, if it comes before the first record.
  void start();
  bool done() const { return finished_.load(std::memory_order_acquire); }
  int64_t count() const { return std::min(count_.load(), expected_); }
  // The end of the CPU and memory interval, when the N records' work is done after the
  // N-th record was counted: CPU time and peak memory are taken again now.
  void settle();
  bool settled() const { return settled_; }

  // Prints the JSON line (stdout) and the human line (stderr).
  void report(const Options& options) const;
  // Adds the memory split to the report (streams scenarios).
  void setMemoryAtPeak(const MemoryAtPeak& m) { memory_ = m; }

 private:
  void finish();

  const int64_t expected_;
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> bytes_{0};
  std::atomic<bool> started_{false};
  std::atomic<bool> finished_{false};
  std::chrono::steady_clock::time_point startTime_, endTime_, settledTime_;
  double startCpu_ = 0, endCpu_ = 0, settledCpu_ = 0;
  double peakRssMb_ = 0;
  bool settled_ = false;
  std::optional<MemoryAtPeak> memory_;
};

// Seconds of CPU the process has used (user + system).
double processCpuSeconds();
// VmHWM of the process, in MiB.
double peakRssMb();
// The process's resident memory now, in MiB.
double currentRssMb();
// jemalloc's stats.allocated in MiB; 0 if the program runs another malloc.
double allocatedMb();

// The scenarios. Each returns the process exit code; 3 means "unsupported scenario".
int load(const Options& options);
int runClientScenario(const Options& options, Meter& meter);
int runStreamsScenario(const Options& options, Meter& meter);
bool isClientScenario(const std::string& scenario);

}  // namespace bench
