#include "runtime/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <cstdlib>

#include "state/rocksdb_store.h"

namespace kstreams {
namespace internal {

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("kstreams",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%t] %v");
    const char* level = std::getenv("KSTREAMS_LOG_LEVEL");
    l->set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
    return l;
  }();
  return *logger;
}

RocksDBLog rocksdbLog() {
  RocksDBLog out;
  out.sink = [](bool warning, std::string_view line) {
    if (warning) log().warn("{}", line);
    else log().debug("{}", line);
  };
  out.debugLines = log().should_log(spdlog::level::debug);
  return out;
}

}  // namespace internal

void setLogLevel(std::string_view level) { internal::log().set_level(spdlog::level::from_str(std::string(level))); }

}  // namespace kstreams
