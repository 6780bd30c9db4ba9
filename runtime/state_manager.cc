#include "runtime/state_manager.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "runtime/log.h"
#include "state/in_memory_store.h"
#include "state/versioned_store.h"
#include "streams/internal/segmented_stores.h"

namespace kstreams::internal {

std::string changelogTopic(const std::string& applicationId, const std::string& store) {
  return applicationId + "-" + store + "-changelog";
}

StateManager::StateManager(TaskId task, const TopologyGraph& graph, const Subtopology& subtopology,
                           const StateServices& services, std::function<int64_t()> recordTimestamp)
    : task_(task), services_(services), directory_(services.stateDir + "/" + task.toString()) {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec)
    throw StreamsException("cannot create the state directory " + directory_ + ": " + ec.message() +
                           " (check state.dir)");
  const std::string lockPath = directory_ + "/.lock";
  lockFd_ = ::open(lockPath.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lockFd_ < 0) throw StreamsException("cannot open " + lockPath + ": " + std::strerror(errno));
  if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lockFd_);
    lockFd_ = -1;
    throw TaskLockedException("the state directory of task " + task.toString() + " (" + directory_ +
                              ") is locked by another thread or process");
  }
  try {
    for (const std::string& name : subtopology.stores) {
      const StoreSpec& spec = graph.stores().at(name);
      Store store;
      store.name = name;
      std::unique_ptr<LocalStore> local =
          spec.persistent ? openRocksDBStore(name, directory_ + "/" + name, *services_.rocksdb, spec.keyPrefixBytes,
                                             spec.pointReads, spec.keysWrittenOnce)
                          : openInMemoryStore(name, spec.keyPrefixBytes, spec.keysWrittenOnce);
      VersionedBytesStore* versioned = nullptr;
      if (spec.versionedHistoryMs) {
        local = openVersionedStore(std::move(local), *spec.versionedHistoryMs);
        versioned = dynamic_cast<VersionedBytesStore*>(local.get());
      }
      store.local = local.get();
      std::unique_ptr<KeyValueBytesStore> stack = std::move(local);
      if (spec.logging) {
        auto logging = std::make_unique<ChangeLoggingStore>(std::move(stack), *services_.collector,
                                                            changelogTopic(services_.applicationId, name),
                                                            task.partition);
        store.logging = logging.get();
        stack = std::move(logging);
      }
      if (spec.caching && services_.cache && services_.cache->maxBytes > 0) {
        auto caching = std::make_unique<CachingStore>(std::move(stack), *services_.cache);
        store.caching = caching.get();
        stack = std::move(caching);
      }
      StoreInit init{*services_.serdes, recordTimestamp, versioned};
      store.typed = spec.typedFactory(std::move(stack), init);
      stores_.push_back(std::move(store));
    }
  } catch (const StoreLockedException& e) {
    close();
    throw TaskLockedException(e.what());
  } catch (...) {
    close();
    throw;
  }
}

StateManager::~StateManager() { close(); }

StateStore* StateManager::store(std::string_view name) const {
  for (const Store& s : stores_)
    if (s.name == name) return s.typed.get();
  return nullptr;
}

std::vector<RestoreTarget> StateManager::restoreTargets() const {
  std::vector<RestoreTarget> out;
  for (const Store& s : stores_)
    if (s.logging) out.push_back({s.logging->topic(), task_.partition, s.local, std::nullopt});
  return out;
}

void StateManager::changelogPositions(std::vector<StoreChangelogPosition>& out) const {
  for (const Store& s : stores_) {
    if (!s.logging) continue;
    const std::optional<int64_t> checkpoint = s.local->checkpoint();
    out.push_back({s.name, s.logging->topic(), task_.partition, checkpoint ? *checkpoint + 1 : 0});
  }
}

void StateManager::restored() {
  for (const Store& s : stores_)
    if (auto* segmented = dynamic_cast<RestoredSegments*>(s.typed.get())) segmented->restored();
  if (!services_.registry || registered_) return;
  for (const Store& s : stores_) services_.registry->add(s.name, task_, s.local->committedReader());
  registered_ = true;
}

void StateManager::flushCaches() {
  for (const Store& s : stores_)
    if (s.caching) s.caching->flush();
}

void StateManager::noteCommittedOffsets(CommittedChangelogOffsets& into) const {
  for (const Store& s : stores_) {
    if (!s.logging) continue;
    const int64_t logged = s.logging->lastLoggedOffset();
    if (logged < 0) continue;
    int64_t& known = into[{s.logging->topic(), task_.partition}];
    known = std::max(known, logged);
  }
}

CommittedChangelogOffsets StateManager::changelogOffsetsIn(const CommittedChangelogOffsets& known) const {
  CommittedChangelogOffsets mine;
  for (const Store& s : stores_) {
    if (!s.logging) continue;
    auto it = known.find({s.logging->topic(), task_.partition});
    if (it != known.end()) mine.insert(*it);
  }
  return mine;
}

void StateManager::commit() {
  for (const Store& s : stores_) {
    std::optional<int64_t> offset;
    if (s.logging) {
      // The slot may hold an offset from an earlier time this thread owned the task.
      offset = s.local->checkpoint();
      const int64_t logged = s.logging->lastLoggedOffset();
      if (logged >= 0 && (!offset || logged > *offset)) offset = logged;
    }
    s.local->commit(offset);
  }
}

void StateManager::abort() {
  for (const Store& s : stores_) {
    if (s.caching) s.caching->clear();
    s.local->abort();
  }
}

size_t StateManager::pendingBytes() const {
  size_t n = 0;
  for (const Store& s : stores_) n += s.local->pendingBytes();
  return n;
}

void StateManager::close() {
  if (closed_) return;
  closed_ = true;
  // Store writes skip RocksDB's write-ahead log: what is in a store's memtables reaches its
  // files only when flushed, at the latest here. A flush that fails (a full disk) loses
  // nothing, since the store's checkpoint is flushed with its data or not at all and the next
  // start restores the rest from the changelog; but the user hears why.
  for (const Store& s : stores_) {
    try {
      s.local->persist();
    } catch (const StreamsException& e) {
      log().warn("task {}: {}; its latest writes will be restored from its changelog at the next start",
                 task_.toString(), e.what());
    }
  }
  if (registered_)
    for (const Store& s : stores_) services_.registry->remove(s.name, task_);
  stores_.clear();
  if (lockFd_ >= 0) {
    ::flock(lockFd_, LOCK_UN);
    ::close(lockFd_);
    lockFd_ = -1;
  }
}

}  // namespace kstreams::internal
