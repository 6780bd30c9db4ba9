// The library's logger (see logging.h for its level). Internal.
#pragma once

#include <spdlog/spdlog.h>

#include "runtime/logging.h"

namespace kstreams {
namespace internal {
spdlog::logger& log();
}  // namespace internal
}  // namespace kstreams
