// The library's logger (see logging.h for its level). Internal.
#pragma once

#include <spdlog/spdlog.h>

#include "runtime/logging.h"

namespace kstreams {
namespace internal {
spdlog::logger& log();
struct RocksDBLog;  // state/rocksdb_store.h
// RocksDB's log lines into log(): its warnings and errors as warnings, its informational
// lines at debug level (formatted only if debug is on when the instance starts).
RocksDBLog rocksdbLog();
}  // namespace internal
}  // namespace kstreams
