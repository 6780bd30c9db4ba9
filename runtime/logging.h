// Logging: kstreams logs to stderr through its own logger, and relays librdkafka's lines.
#pragma once

#include <string_view>

namespace kstreams {

// Sets the level of kstreams' log lines (and of the librdkafka lines it relays): "trace",
// "debug", "info" (the default), "warn", "error" or "off". The environment variable
// KSTREAMS_LOG_LEVEL sets the starting level the same way.
void setLogLevel(std::string_view level);

}  // namespace kstreams
