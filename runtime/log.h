// The library's logger. Level from KSTREAMS_LOG_LEVEL (trace, debug, info, warn, error, off;
// default info), or setLogLevel(). Lines go to stderr.
#pragma once

#include <spdlog/spdlog.h>

namespace kstreams {

// Sets the level of kstreams' own log lines and of the librdkafka lines it relays.
void setLogLevel(spdlog::level::level_enum level);

namespace internal {
spdlog::logger& log();
}  // namespace internal
}  // namespace kstreams
