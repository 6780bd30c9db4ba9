#include <sys/resource.h>

#include <fmt/core.h>

#include <fstream>
#include <thread>

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

bool Meter::await(std::chrono::seconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void Meter::report(const Options& o) const {
  const double seconds = std::chrono::duration<double>(endTime_ - startTime_).count();
  const double cpu = endCpu_ - startCpu_;
  const double mb = static_cast<double>(bytes_.load()) / (1 << 20);
  const int64_t n = count_.load();
  fmt::print(
      "{{\"system\":\"kstreams\",\"scenario\":\"{}\",\"guarantee\":\"{}\",\"records\":{},\"seconds\":{:.3f},"
      "\"records_per_sec\":{:.1f},\"mb_per_sec\":{:.3f},\"cpu_seconds\":{:.3f},\"cpu_sec_per_million\":{:.3f},"
      "\"peak_rss_mb\":{:.1f},\"threads\":{}}}\n",
      o.scenario, o.guarantee, n, seconds, n / seconds, mb / seconds, cpu, cpu * 1e6 / n, peakRssMb_, o.threads);
  fmt::print(stderr, "kstreams {} ({}): {} records in {:.2f} s = {:.0f} records/s, {:.1f} MB/s, {:.2f} CPU-s per million, "
             "peak RSS {:.0f} MiB\n",
             o.scenario, o.guarantee, n, seconds, n / seconds, mb / seconds, cpu * 1e6 / n, peakRssMb_);
}

}  // namespace bench
