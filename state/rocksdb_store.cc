#include "state/rocksdb_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "state/finger_memtable.h"
#include "streams/serde.h"

namespace kstreams::internal {
namespace {

// No write-ahead log, as Kafka Streams' stores: the changelog is the log. The data and the
// checkpoint (meta column family) are flushed together (atomic_flush), so after a crash the
// store is whole at an older checkpoint, and restoring replays the changelog from there.
rocksdb::WriteOptions noWal() {
  rocksdb::WriteOptions w;
  w.disableWAL = true;
  return w;
}

constexpr const char* kMetaFamily = "kstreams-meta";
constexpr const char* kCheckpointKey = "changelog-offset";

// An open database; closes when the store and every reader of it are gone.
struct Database {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* data = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  std::string name;
  std::string path;
  size_t keyPrefixBytes = 0;  // the prefix its bloom filters cover; 0: whole keys only
  // Whether one-key range reads put the data blocks they read into the shared block cache.
  // Not for a join's window stores (keys written once): their keys are hashed across the
  // blocks, so a block read for one key's windows holds other keys' records, and a key is
  // fetched again only when its next record on the other side arrives. Their reads filled
  // the cache (a join's stores outgrow it) with blocks evicted before they were read again:
  // the inserts and evictions cost more CPU than the few hits saved, and the cache's memory.
  bool rangesFillCache = true;
  // Prefix-mode iterators over the committed data, kept between one-key range reads of the
  // store's thread (see PrefixRangeIterator), and the count of writes they were made after.
  // More than one: a window store's fetch reads a range in each segment of its time span
  // (up to three for a stream-stream join), all open at once.
  static constexpr size_t kMaxIdlePrefixIterators = 4;
  std::vector<std::unique_ptr<rocksdb::Iterator>> idlePrefixIterators;
  uint64_t writes = 0;

  ~Database() {
    idlePrefixIterators.clear();  // they pin memtables and table readers of db
    if (!db) return;
    // Writes skip the write-ahead log: what is only in the memtables is lost unless flushed.
    // (A crash loses it too, the checkpoint with it: see noWal.)
    if (data && meta) db->Flush(rocksdb::FlushOptions(), {data, meta});
    if (data) db->DestroyColumnFamilyHandle(data);
    if (meta) db->DestroyColumnFamilyHandle(meta);
    db->Close();
    delete db;
  }
};

// What to do about a store's files that cannot be written or created, from the system's
// error text as RocksDB and std::filesystem pass it on; "" if it is none of these.
std::string diskHint(const std::string& error) {
  const auto has = [&](const char* text) { return error.find(text) != std::string::npos; };
  if (has("No space left")) return "; free space where state.dir is";
  if (has("Disk quota exceeded")) return "; raise the disk quota, or free space, where state.dir is";
  if (has("File too large"))
    return "; the process's file size limit (ulimit -f, RLIMIT_FSIZE) is below what the store's files need: raise it";
  if (has("Read-only file system")) return "; state.dir is on a read-only file system: point state.dir elsewhere";
  if (has("Permission denied") || has("Operation not permitted"))
    return "; the process may not write there: check state.dir's owner and permissions";
  if (has("Not a directory")) return "; a file is in the way of the directory: check state.dir";
  return "";
}

[[noreturn]] void fail(const Database& d, const char* what, const rocksdb::Status& s) {
  throw StreamsException("state store " + d.name + " (" + d.path + "): " + what + " failed: " + s.ToString() +
                         diskHint(s.ToString()));
}

class RocksDBIterator final : public BytesIterator {
 public:
  RocksDBIterator(std::shared_ptr<Database> database, std::optional<std::string_view> from,
                  std::optional<std::string_view> to, bool reverse)
      : database_(std::move(database)), reverse_(reverse) {
    rocksdb::ReadOptions options;
    // A range within one key prefix reads only what the prefix's bloom filters let through
    // and ends where the prefix does; any other range needs RocksDB's total order.
    const bool withinPrefix = !reverse && from && to && withinOneKeyPrefix(*from, *to, database_->keyPrefixBytes);
    options.prefix_same_as_start = withinPrefix;
    options.total_order_seek = !withinPrefix;
    if (from) {
      lower_ = std::string(*from);
      lowerSlice_ = lower_;
      options.iterate_lower_bound = &lowerSlice_;
    }
    if (to) {
      upper_ = std::string(*to) + '\0';  // the bound is exclusive; `to` itself is included
      upperSlice_ = upper_;
      options.iterate_upper_bound = &upperSlice_;
    }
    it_.reset(database_->db->NewIterator(options, database_->data));
    if (reverse_) it_->SeekToLast();
    else if (from) it_->Seek(lowerSlice_);  // the prefix of the seek key is what the filters check
    else it_->SeekToFirst();
    check();
  }
  bool valid() const override { return it_->Valid(); }
  std::string_view key() const override { return {it_->key().data(), it_->key().size()}; }
  std::string_view value() const override { return {it_->value().data(), it_->value().size()}; }
  void next() override {
    if (reverse_) it_->Prev();
    else it_->Next();
    check();
  }

 private:
  void check() {
    if (!it_->Valid() && !it_->status().ok()) fail(*database_, "iterating", it_->status());
  }
  std::shared_ptr<Database> database_;
  bool reverse_;
  std::string lower_, upper_;
  rocksdb::Slice lowerSlice_, upperSlice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// A range within one key prefix, read with an iterator that outlives the read: creating a
// RocksDB iterator (pinning the memtables, an iterator per table file) cost as much as the
// seek, and the committed data changes only when the store writes (at commits). The
// iterator has no bounds of its own, since RocksDB's table iterators keep what they learnt
// of a bound across seeks; prefix_same_as_start ends it at the prefix, valid() at `to`.
class PrefixRangeIterator final : public BytesIterator {
 public:
  PrefixRangeIterator(std::shared_ptr<Database> database, std::string_view from, std::string_view to)
      : database_(std::move(database)), to_(to), madeAfter_(database_->writes) {
    auto& idle = database_->idlePrefixIterators;
    if (!idle.empty()) {
      it_ = std::move(idle.back());
      idle.pop_back();
    } else {
      rocksdb::ReadOptions options;
      options.prefix_same_as_start = true;
      options.fill_cache = database_->rangesFillCache;
      it_.reset(database_->db->NewIterator(options, database_->data));
    }
    it_->Seek(rocksdb::Slice(from.data(), from.size()));
    settle();
  }
  ~PrefixRangeIterator() override {
    // Kept only if it still sees the committed data.
    auto& idle = database_->idlePrefixIterators;
    if (madeAfter_ == database_->writes && idle.size() < Database::kMaxIdlePrefixIterators)
      idle.push_back(std::move(it_));
  }
  bool valid() const override { return valid_; }
  std::string_view key() const override { return {it_->key().data(), it_->key().size()}; }
  std::string_view value() const override { return {it_->value().data(), it_->value().size()}; }
  void next() override {
    it_->Next();
    settle();
  }

 private:
  void settle() {
    valid_ = it_->Valid() && std::string_view(it_->key().data(), it_->key().size()) <= to_;
    if (!it_->Valid() && !it_->status().ok()) fail(*database_, "iterating", it_->status());
  }
  std::shared_ptr<Database> database_;
  std::string to_;
  uint64_t madeAfter_;
  std::unique_ptr<rocksdb::Iterator> it_;
  bool valid_ = false;
};

// Writes a batch; the kept iterators no longer see the committed data.
void apply(Database& d, rocksdb::WriteBatch& batch, const char* what) {
  ++d.writes;
  d.idlePrefixIterators.clear();
  rocksdb::Status s = d.db->Write(noWal(), &batch);
  if (!s.ok()) fail(d, what, s);
}

std::optional<std::string> read(const Database& d, std::string_view key) {
  std::string value;
  rocksdb::Status s = d.db->Get(rocksdb::ReadOptions(), d.data, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) fail(d, "reading", s);
  return value;
}

int64_t estimateKeys(const Database& d) {
  uint64_t n = 0;
  d.db->GetIntProperty(d.data, "rocksdb.estimate-num-keys", &n);
  return static_cast<int64_t>(n);
}

// Committed data for interactive queries: RocksDB reads are safe from any thread.
class RocksDBReader final : public KeyValueBytesStore {
 public:
  explicit RocksDBReader(std::shared_ptr<Database> database) : database_(std::move(database)) {}
  const std::string& name() const override { return database_->name; }
  bool persistent() const override { return true; }
  void flush() override {}
  std::optional<std::string> get(std::string_view key) override { return read(*database_, key); }
  void put(std::string_view, std::optional<std::string_view>, int64_t) override {
    throw InvalidStateStoreException("store " + database_->name + " is read-only here");
  }
  void deleteBefore(std::string_view) override {
    throw InvalidStateStoreException("store " + database_->name + " is read-only here");
  }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override {
    return std::make_unique<RocksDBIterator>(database_, from, to, reverse);
  }
  int64_t approximateNumEntries() override { return estimateKeys(*database_); }

 private:
  std::shared_ptr<Database> database_;
};

class RocksDBStore final : public LocalStore {
 public:
  RocksDBStore(std::shared_ptr<Database> database, bool keysWrittenOnce)
      : LocalStore(database->keyPrefixBytes, keysWrittenOnce), database_(std::move(database)) {
    std::string bytes;
    rocksdb::Status s = database_->db->Get(rocksdb::ReadOptions(), database_->meta, kCheckpointKey, &bytes);
    if (s.ok()) checkpoint_ = Serdes::Int64()->deserialize(bytes);
    else if (!s.IsNotFound()) fail(*database_, "reading the checkpoint", s);
  }

  const std::string& name() const override { return database_->name; }
  bool persistent() const override { return true; }
  void flush() override {}
  int64_t approximateNumEntries() override { return estimateKeys(*database_); }
  std::optional<int64_t> checkpoint() const override { return checkpoint_; }

  void commit(std::optional<int64_t> changelogOffset) override {
    if (pending_.empty() && !pendingDeleteBefore_ && changelogOffset == checkpoint_) return;
    // Sized up front: a batch grown by doubling copied itself and faulted in fresh pages
    // about twice its size at every large commit. An entry adds a tag and three varints at
    // most; the header, a range delete and the checkpoint fit in the slack.
    rocksdb::WriteBatch batch(pending_.dataBytes() + pending_.size() * 16 + 256 +
                              (pendingDeleteBefore_ ? pendingDeleteBefore_->size() : 0));
    if (pendingDeleteBefore_) batch.DeleteRange(database_->data, rocksdb::Slice(), *pendingDeleteBefore_);
    pending_.forEachInOrder([&](std::string_view key, std::optional<std::string_view> value) {
      if (value) batch.Put(database_->data, key, *value);
      else batch.Delete(database_->data, key);
    });
    write(batch, changelogOffset);
    abort();
  }

  void restore(const std::vector<ChangelogRecord>& records, int64_t lastOffset) override {
    rocksdb::WriteBatch batch;
    for (const auto& r : records) {
      if (r.value) batch.Put(database_->data, r.key, *r.value);
      else batch.Delete(database_->data, r.key);
    }
    write(batch, lastOffset);
  }

  void persist() override {
    rocksdb::Status s = database_->db->Flush(rocksdb::FlushOptions(), {database_->data, database_->meta});
    if (!s.ok()) fail(*database_, "flushing", s);
  }

  void wipe() override {
    abort();
    rocksdb::WriteBatch batch;
    // Deletes everything in one range tombstone: [empty, max key).
    rocksdb::ReadOptions everything;
    everything.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> last(database_->db->NewIterator(everything, database_->data));
    last->SeekToLast();
    if (last->Valid()) {
      batch.DeleteRange(database_->data, rocksdb::Slice(), last->key());
      batch.Delete(database_->data, last->key());
    }
    batch.Delete(database_->meta, kCheckpointKey);
    apply(*database_, batch, "wiping");
    checkpoint_.reset();
  }

  std::shared_ptr<KeyValueBytesStore> committedReader() override {
    return std::make_shared<RocksDBReader>(database_);
  }

 protected:
  std::optional<std::string> committedGet(std::string_view key) override { return read(*database_, key); }
  std::unique_ptr<BytesIterator> committedRange(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                                bool reverse) override {
    if (!reverse && from && to && withinOneKeyPrefix(*from, *to, database_->keyPrefixBytes))
      return std::make_unique<PrefixRangeIterator>(database_, *from, *to);
    return std::make_unique<RocksDBIterator>(database_, from, to, reverse);
  }

 private:
  void write(rocksdb::WriteBatch& batch, std::optional<int64_t> changelogOffset) {
    if (changelogOffset) {
      std::string bytes;
      Serdes::Int64()->serialize(*changelogOffset, bytes);
      batch.Put(database_->meta, kCheckpointKey, bytes);
    }
    apply(*database_, batch, "writing");
    if (changelogOffset) checkpoint_ = changelogOffset;
  }

  std::shared_ptr<Database> database_;
  std::optional<int64_t> checkpoint_;
};

rocksdb::Options baseOptions(RocksDBResources& resources, size_t keyPrefixBytes, bool wholeKeyFilters,
                             bool keysWrittenOnce) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // Levels 0 and 1 are rewritten soon (flushes, then compactions into level 1) and hold the
  // recent data that reads hit most: compressing them costs CPU at every flush and
  // compaction for little disk. The deeper levels, the bulk of a large store, use LZ4 (the
  // last entry holds for every level below it; with this set, `compression` is not used).
  options.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression, rocksdb::kLZ4Compression};
  options.write_buffer_manager = resources.writeBufferManager();
  options.write_buffer_size = 16 << 20;
  options.max_write_buffer_number = 3;
  options.max_background_jobs = 2;
  options.max_open_files = 256;
  options.atomic_flush = true;
  // Most lookups of a stream processor miss (a key's first record, a join's other side not
  // there yet): a bloom filter over each memtable answers those without searching it.
  // 2% of a 16 MiB memtable is 2.6 Mbit: 10 bits a key for 260k entries of 60 bytes.
  // Both the filter and the first arena block are taken from the shared write buffer budget
  // when a memtable is created, full or not: with 5% and RocksDB's 1 MiB blocks an empty
  // memtable cost 2 MiB, and 48 stores' empty memtables alone were past the 64 MiB budget.
  options.memtable_prefix_bloom_size_ratio = 0.02;
  options.memtable_whole_key_filtering = true;
  options.arena_block_size = 256 << 10;
  // Commits insert sorted batches; see finger_memtable.h. Its inserts are single-threaded.
  // Stores read by prefix whose keys are written once (a join's window stores) also index
  // each prefix's first entry in their memtables.
  options.memtable_factory = newFingerMemtableFactory(keysWrittenOnce ? keyPrefixBytes : 0);
  options.allow_concurrent_memtable_write = false;
  rocksdb::BlockBasedTableOptions table;
  // Single-key range reads of window and session stores: the same filters (memtable and
  // table) also hold each key's prefix. Whole keys stay in them for point reads, unless the
  // store has none worth filtering (a stream-stream join's window stores): there they
  // doubled the filters' entries and size, and the work of building them.
  if (keyPrefixBytes > 0) {
    options.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(keyPrefixBytes));
    options.memtable_whole_key_filtering = wholeKeyFilters;
    table.whole_key_filtering = wholeKeyFilters;
  }
  table.block_cache = resources.blockCache();
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  // Every look-up checks the filter of each level-0 file, and a lookup in the block cache
  // (hash, shard lock, reference) cost more than the filter probe; and the memtables are
  // charged to the same cache (RocksDBResources), so a full memtable budget would evict
  // every index and filter block: a stream-stream join, whose window stores cache nothing
  // else, read them from its files again at 1.5x the CPU. So every open table's index and
  // filter stay pinned in the cache, as RocksDB keeps them outside it by default (bounded
  // by max_open_files); data blocks compete for the rest.
  table.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// The meta family holds one key, the checkpoint. With the data family's options each of its
// memtables took about 1 MiB (a bloom filter sized for 16 MiB, the first arena block) out of
// the instance's shared write buffer budget, and was flushed with every data flush
// (atomic_flush): with 48 stores that alone filled the budget, and the data memtables were
// flushed at a few thousand entries.
rocksdb::ColumnFamilyOptions metaOptions(const rocksdb::Options& options) {
  rocksdb::ColumnFamilyOptions meta(options);
  meta.write_buffer_size = 64 << 10;
  meta.memtable_factory = newFingerMemtableFactory();  // no prefix index for one key
  meta.arena_block_size = 8 << 10;
  meta.memtable_prefix_bloom_size_ratio = 0;
  meta.memtable_whole_key_filtering = false;
  meta.prefix_extractor.reset();
  return meta;
}

std::shared_ptr<Database> open(const std::string& name, const std::string& path, size_t keyPrefixBytes,
                               const rocksdb::Options& options, rocksdb::Status& status) {
  auto database = std::make_shared<Database>();
  database->name = name;
  database->path = path;
  database->keyPrefixBytes = keyPrefixBytes;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(options)},
      {kMetaFamily, metaOptions(options)}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  status = rocksdb::DB::Open(rocksdb::DBOptions(options), path, families, &handles, &database->db);
  if (!status.ok()) return nullptr;
  database->data = handles[0];
  database->meta = handles[1];
  return database;
}

}  // namespace

namespace {

// RocksDB's log lines, to a RocksDBLog. RocksDB formats a line only at or above the
// logger's level, so informational lines cost nothing unless they are asked for.
class ForwardingLogger final : public rocksdb::Logger {
 public:
  ForwardingLogger(std::shared_ptr<const RocksDBLog> log, std::string name)
      : rocksdb::Logger(log->debugLines ? rocksdb::InfoLogLevel::INFO_LEVEL : rocksdb::InfoLogLevel::WARN_LEVEL),
        log_(std::move(log)),
        prefix_("rocksdb " + std::move(name) + ": ") {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (!log_->sink || level < GetInfoLogLevel()) return;
    char line[1024];
    const int n = std::vsnprintf(line, sizeof line, format, ap);
    if (n < 0) return;
    const size_t length = std::min(static_cast<size_t>(n), sizeof line - 1);
    log_->sink(level >= rocksdb::InfoLogLevel::WARN_LEVEL && level != rocksdb::InfoLogLevel::HEADER_LEVEL,
               prefix_ + std::string(line, length));
  }

 private:
  std::shared_ptr<const RocksDBLog> log_;
  std::string prefix_;
};

}  // namespace

// The memtables are charged to the block cache: a store's peak is its budgets filled at one
// moment, and cached blocks give way as memtables fill, so the two together take about
// the larger of the two budgets instead of their sum (7-18% off the peak memory of the
// state store and the table joins at about the same CPU; docs/benchmark-profiles.md).
RocksDBResources::RocksDBResources(int64_t blockCacheBytes, int64_t writeBufferBytes, RocksDBLog log)
    : cache_(rocksdb::NewLRUCache(static_cast<size_t>(blockCacheBytes))),
      writeBuffers_(std::make_shared<rocksdb::WriteBufferManager>(static_cast<size_t>(writeBufferBytes), cache_)),
      log_(std::make_shared<const RocksDBLog>(std::move(log))) {}

size_t RocksDBResources::cachedBlockBytes() const {
  const size_t usage = cache_->GetUsage(), charged = writeBuffers_->dummy_entries_in_cache_usage();
  return usage > charged ? usage - charged : 0;
}

std::shared_ptr<rocksdb::Logger> RocksDBResources::logger(const std::string& name) const {
  return std::make_shared<ForwardingLogger>(log_, name);
}

RocksDBResources::~RocksDBResources() = default;

std::unique_ptr<LocalStore> openRocksDBStore(const std::string& name, const std::string& directory,
                                             RocksDBResources& resources, size_t keyPrefixBytes,
                                             bool wholeKeyFilters, bool keysWrittenOnce) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error)
    throw StreamsException("cannot create the directory of state store " + name + " at " + directory + ": " +
                           error.message() + diskHint(error.message()));
  rocksdb::Options options = baseOptions(resources, keyPrefixBytes, wholeKeyFilters, keysWrittenOnce);
  options.info_log = resources.logger(name + " (" + directory + ")");
  rocksdb::Status status;
  auto database = open(name, directory, keyPrefixBytes, options, status);
  if (!database && status.IsCorruption()) {
    // The changelog has everything: start over and restore.
    // Failing to start over shows as the reopen's error, which names the store.
    std::filesystem::remove_all(directory, error);
    std::filesystem::create_directories(directory, error);
    database = open(name, directory, keyPrefixBytes, options, status);
  }
  if (!database) {
    if (status.IsIOError() && status.ToString().find("lock") != std::string::npos)
      throw StoreLockedException("state store " + name + " (" + directory + ") is still open elsewhere: " +
                                 status.ToString());
    throw StreamsException("cannot open state store " + name + " at " + directory + ": " + status.ToString() +
                           diskHint(status.ToString()));
  }
  database->rangesFillCache = !keysWrittenOnce;
  return std::make_unique<RocksDBStore>(std::move(database), keysWrittenOnce);
}

}  // namespace kstreams::internal
