// A LocalStore in RocksDB: one database per store per task. Data lives in the default
// column family, the checkpoint in "kstreams-meta"; both change in one WriteBatch. There is
// no write-ahead log: the changelog is the log, and a store that crashed is restored from
// its checkpoint. Internal.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "state/local_store.h"

namespace rocksdb {
class Cache;
class Logger;
class WriteBufferManager;
}  // namespace rocksdb

namespace kstreams::internal {

// Where RocksDB's own log lines go: `warning` for its warnings and errors, else its
// informational lines (only asked for when debugLines). Not a LOG file in each store's
// directory: once a full disk had failed a write to that file, the next line made Debian's
// RocksDB (built with assertions) abort the process.
struct RocksDBLog {
  std::function<void(bool warning, std::string_view line)> sink;  // unset: dropped
  bool debugLines = false;
};

// What every RocksDB store of an instance shares: one block cache and one write-buffer
// (memtable) budget, the memtables charged to the cache, so memory is bounded however
// many tasks an instance has; and where their log lines go.
class RocksDBResources {
 public:
  RocksDBResources(int64_t blockCacheBytes, int64_t writeBufferBytes, RocksDBLog log = {});
  ~RocksDBResources();
  const std::shared_ptr<rocksdb::Cache>& blockCache() const { return cache_; }
  // What the cache holds besides the memtables' charge: blocks, pinned ones too.
  size_t cachedBlockBytes() const;
  const std::shared_ptr<rocksdb::WriteBufferManager>& writeBufferManager() const { return writeBuffers_; }
  // A logger for the store `name`: its lines go to the sink, prefixed with the name.
  std::shared_ptr<rocksdb::Logger> logger(const std::string& name) const;

 private:
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::WriteBufferManager> writeBuffers_;
  std::shared_ptr<const RocksDBLog> log_;
};

// RocksDB could not lock the store's directory: another store object (this process, or a
// query still reading a closed store) has it open. Retry later.
class StoreLockedException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

// Opens (creating if needed) the RocksDB store `name` in `directory`. A corrupt store is
// wiped and reopened empty, to be restored from its changelog. keyPrefixBytes > 0: every
// key begins with a prefix of that length, and a range whose bounds share it (a window
// store's fetch of one key) reads only memtables and files whose bloom filter has it.
// wholeKeyFilters = false (with keyPrefixBytes > 0): the filters hold the prefixes only,
// for a store whose reads are all ranges within one prefix; point reads still work, and
// are filtered by their prefix. keysWrittenOnce: the caller never puts a key twice between
// commits (LocalStore), and its one-key range reads leave the block cache as it was (a
// join's window store: see Database::rangesFillCache).
std::unique_ptr<LocalStore> openRocksDBStore(const std::string& name, const std::string& directory,
                                             RocksDBResources& resources, size_t keyPrefixBytes = 0,
                                             bool wholeKeyFilters = true, bool keysWrittenOnce = false);

}  // namespace kstreams::internal
