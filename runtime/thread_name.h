// Names for kstreams' own threads, as `top -H`, `perf` and debuggers show them.
#pragma once

#include <pthread.h>

#include <string>

namespace kstreams::internal {

// Names the calling thread, by its first 15 bytes: Linux refuses a longer name. The names
// start with "ks-", as librdkafka's start with "rdk:" and RocksDB's with "rocksdb:".
inline void nameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace kstreams::internal
