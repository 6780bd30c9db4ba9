// A LocalStore in memory: an ordered map of committed data, guarded for interactive
// queries from other threads. Nothing survives the process; a task restores it in full from
// its changelog when it starts. Internal.
#pragma once

#include <memory>
#include <string>

#include "state/local_store.h"

namespace kstreams::internal {

// keyPrefixBytes, keysWrittenOnce: as for openRocksDBStore (ranges within one prefix find
// pending writes by hash).
std::unique_ptr<LocalStore> openInMemoryStore(const std::string& name, size_t keyPrefixBytes = 0,
                                              bool keysWrittenOnce = false);

}  // namespace kstreams::internal
