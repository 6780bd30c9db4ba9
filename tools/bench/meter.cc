#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/core.h>

#include <fstream>

#include "tools/bench/bench.h"

namespace bench {

double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double peakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}

double currentRssMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double allocatedMb() {
  // Looked up, not linked: kstreams can be built with the C library's malloc.
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  static const auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (!mallctl) return 0;
  uint64_t epoch = 1;  // stats are as of the latest epoch
  size_t size = sizeof epoch;
  mallctl("epoch", &epoch, &size, &epoch, size);
  size_t allocated = 0;
  size = sizeof allocated;
  if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) != 0) return 0;
  return static_cast<double>(allocated) / (1 << 20);
}

void Meter::start() {
  bool expected = false;
  if (!started_.compare_exchange_strong(expected, true)) return;
  startCpu_ = processCpuSeconds();
  startTime_ = std::chrono::steady_clock::now();
}

void Meter::finish() {
  endTime_ = std::chrono::steady_clock::now();
  endCpu_ = processCpuSeconds();
  peakRssMb_ = peakRssMb();
  finished_.store(true, std::memory_order_release);
}

void Meter::settle() {
  settledTime_ = std::chrono::steady_clock::now();
  settledCpu_ = processCpuSeconds();
  peakRssMb_ = peakRssMb();
  settled_ = true;
}

void Meter::report(const Options& o) const {
  const double seconds = std::chrono::duration<double>(endTime_ - startTime_).count();
  const double cpu = (settled_ ? settledCpu_ : endCpu_) - startCpu_;
  const double mb = static_cast<double>(bytes_.load()) / (1 << 20);
  const int64_t n = expected_;
  std::string settling;
  if (settled_)
    settling = fmt::format(",\"cpu_seconds_to_last_record\":{:.3f},\"settle_seconds\":{:.3f}", endCpu_ - startCpu_,
                           std::chrono::duration<double>(settledTime_ - endTime_).count());
  std::string memory;
  if (memory_)
    memory = fmt::format(",\"rss_at_sample_mb\":{:.1f},\"heap_mb\":{:.1f},\"memtables_mb\":{:.1f},\"block_cache_mb\":{:.1f},"
                         "\"uncommitted_mb\":{:.1f},\"record_cache_mb\":{:.1f}",
                         memory_->rssMb, memory_->heapMb, memory_->memtablesMb, memory_->blockCacheMb,
                         memory_->uncommittedMb, memory_->recordCacheMb);
  fmt::print(
      "{{\"system\":\"kstreams\",\"scenario\":\"{}\",\"guarantee\":\"{}\",\"records\":{},\"seconds\":{:.3f},"
      "\"records_per_sec\":{:.1f},\"mb_per_sec\":{:.3f},\"cpu_seconds\":{:.3f},\"cpu_sec_per_million\":{:.3f},"
      "\"peak_rss_mb\":{:.1f},\"threads\":{}{}{}}}\n",
      o.scenario, o.guarantee, n, seconds, n / seconds, mb / seconds, cpu, cpu * 1e6 / n, peakRssMb_, o.threads,
      settling, memory);
  fmt::print(stderr, "kstreams {} ({}): {} records in {:.2f} s = {:.0f} records/s, {:.1f} MB/s, {:.2f} CPU-s per million, "
             "peak RSS {:.0f} MiB\n",
             o.scenario, o.guarantee, n, seconds, n / seconds, mb / seconds, cpu * 1e6 / n, peakRssMb_);
  if (settled_)
    fmt::print(stderr, "  CPU and peak RSS through the commit of the last record's store writes, {:.2f} s after it; "
               "{:.2f} CPU-s per million to the last record\n",
               std::chrono::duration<double>(settledTime_ - endTime_).count(), (endCpu_ - startCpu_) * 1e6 / n);
  if (memory_)
    fmt::print(stderr, "  at {:.0f} MiB resident, {:.0f} MiB allocated: memtables {:.0f}, block cache {:.0f}, "
               "uncommitted writes {:.0f}, record cache {:.0f} MiB\n",
               memory_->rssMb, memory_->heapMb, memory_->memtablesMb, memory_->blockCacheMb, memory_->uncommittedMb,
               memory_->recordCacheMb);
}

}  // namespace bench
