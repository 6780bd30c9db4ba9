#include "runtime/kafka_streams.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <rocksdb/cache.h>
#include <rocksdb/write_buffer_manager.h>

#include "runtime/composite_reader.h"
#include "runtime/global_stream_thread.h"
#include "runtime/group_directory.h"
#include "runtime/internal_topics.h"
#include "runtime/log.h"
#include "runtime/store_lags.h"
#include "runtime/stream_thread.h"

namespace kstreams {
namespace internal {

// Keeps StreamThread out of the public header.
class StreamsListenerAdapter final : public StreamThread::Listener {
 public:
  explicit StreamsListenerAdapter(KafkaStreams& streams) : streams_(streams) {}
  void onThreadStateChange(StreamThread&, StreamThread::State) override {
    streams_.onThreadStateChange();
  }
  void onThreadError(StreamThread& thread, const std::string& error) override {
    streams_.onThreadError(thread, error);
  }

 private:
  KafkaStreams& streams_;
};

}  // namespace internal

const char* KafkaStreams::toString(State state) {
  switch (state) {
    case State::CREATED: return "CREATED";
    case State::REBALANCING: return "REBALANCING";
    case State::RUNNING: return "RUNNING";
    case State::PENDING_SHUTDOWN: return "PENDING_SHUTDOWN";
    case State::NOT_RUNNING: return "NOT_RUNNING";
    case State::PENDING_ERROR: return "PENDING_ERROR";
    case State::ERROR: return "ERROR";
  }
  return "?";
}

KafkaStreams::KafkaStreams(const Topology& topology, StreamsConfig config)
    : topology_(topology),
      config_(std::move(config)),
      adapter_(std::make_unique<internal::StreamsListenerAdapter>(*this)),
      registry_(std::make_unique<internal::StoreRegistry>()),
      changelogEnds_(std::make_unique<internal::ChangelogEnds>(config_)) {
  if (config_.applicationId().empty())
    throw ConfigException("configuration key 'application.id' is required: it names the "
                          "application's consumer group, internal topics and state");
  if (config_.bootstrapServers().empty())
    throw ConfigException("configuration key 'bootstrap.servers' is required (host:port of a broker)");
  const auto& graph = topology_.graph();
  bool hasSource = false;
  for (const auto& node : graph.nodes()) {
    hasSource = hasSource || node.kind == internal::GraphNode::Kind::kSource;
    // Instantiating each node once resolves its serdes: a missing one fails here, not later.
    node.factory(config_.serdeDefaults());
  }
  if (!hasSource) throw TopologyException("the topology has no source: read a topic with StreamsBuilder::stream");
  directory_ = std::make_unique<internal::GroupDirectory>(config_, graph.subtopologies(), std::chrono::seconds(1));
}

KafkaStreams::~KafkaStreams() {
  close();
  releaseStateDirectory();
}

void KafkaStreams::claimStateDirectory() {
  const std::string dir = config_.stateDir() + "/" + config_.applicationId();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw StreamsException("cannot create the state directory " + dir + ": " + ec.message() + " (check state.dir)");
  const std::string path = dir + "/kstreams-process.id";
  processLockFd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (processLockFd_ < 0) throw StreamsException("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(processLockFd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(processLockFd_);
    processLockFd_ = -1;
    throw StreamsException("state.dir " + config_.stateDir() + " is in use by another running instance of application " +
                           config_.applicationId() + "; give each instance its own state.dir");
  }
  char buffer[64] = {0};
  ssize_t n = ::pread(processLockFd_, buffer, sizeof(buffer) - 1, 0);
  processId_ = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  while (!processId_.empty() && std::isspace(static_cast<unsigned char>(processId_.back()))) processId_.pop_back();
  if (processId_.empty()) {
    std::random_device random;
    char id[40];
    std::snprintf(id, sizeof(id), "%08x%08x%08x%08x", random(), random(), random(), random());
    processId_ = id;
    if (::pwrite(processLockFd_, processId_.data(), processId_.size(), 0) != static_cast<ssize_t>(processId_.size()))
      throw StreamsException("cannot write " + path + ": " + std::strerror(errno));
  }
}

void KafkaStreams::releaseStateDirectory() {
  if (processLockFd_ < 0) return;
  ::flock(processLockFd_, LOCK_UN);
  ::close(processLockFd_);
  processLockFd_ = -1;
}

void KafkaStreams::setStateListener(StateListener listener) {
  std::lock_guard lock(mutex_);
  stateListener_ = std::move(listener);
}

void KafkaStreams::setUncaughtExceptionHandler(UncaughtExceptionHandler handler) {
  std::lock_guard lock(mutex_);
  exceptionHandler_ = std::move(handler);
}

void KafkaStreams::transition(std::unique_lock<std::mutex>& lock, State to) {
  const State from = state_;
  if (from == to) return;
  state_ = to;
  internal::log().info("kafka-streams {} state: {} -> {}", config_.applicationId(), toString(from), toString(to));
  changed_.notify_all();
  StateListener listener = stateListener_;
  lock.unlock();
  if (listener) {
    std::lock_guard guard(listenerMutex_);
    listener(to, from);
  }
  lock.lock();
}

void KafkaStreams::start() {
  std::unique_lock lock(mutex_);
  if (state_ != State::CREATED)
    throw StreamsException(std::string("start() can be called once, on a CREATED instance; this one is ") +
                           toString(state_));
  // start() lets go of the mutex while the state listener runs and while global tables are
  // restored; a close() meanwhile waits for it to return.
  starting_ = true;
  struct Returning {
    KafkaStreams& streams;
    std::unique_lock<std::mutex>& lock;
    ~Returning() {
      if (!lock.owns_lock()) lock.lock();
      streams.starting_ = false;
      streams.changed_.notify_all();
    }
  } returning{*this, lock};
  try {
    claimStateDirectory();
  } catch (const StreamsException& e) {
    lastError_ = e.what();
    transition(lock, State::ERROR);
    throw;
  }
  // As in Kafka Streams, an instance is REBALANCING from start() on: while the cluster is
  // checked and the internal topics created, and while the global tables are restored.
  // close() in that time stops the wait (an unreachable cluster would hold it for
  // default.api.timeout.ms).
  transition(lock, State::REBALANCING);
  if (state_ != State::REBALANCING) return;  // closed while the state listener ran
  try {
    lock.unlock();
    internal::InternalTopicManager topics(config_, [this] { return closeRequested_.load(); });
    auto layout = std::make_unique<internal::TopicLayout>(topics.prepare(topology_.graph()));
    lock.lock();
    layout_ = std::move(layout);
  } catch (const internal::PreparationStopped&) {
    return;
  } catch (const StreamsException& e) {
    if (!lock.owns_lock()) lock.lock();
    lastError_ = e.what();
    if (state_ == State::REBALANCING) transition(lock, State::ERROR);
    throw;
  }
  if (state_ != State::REBALANCING) return;
  if (!topology_.graph().stores().empty())
    rocksdb_ = std::make_unique<internal::RocksDBResources>(config_.rocksdbBlockCacheBytes(),
                                                            config_.rocksdbWriteBufferBytes(), internal::rocksdbLog());
  if (!topology_.graph().globalStores().empty()) {
    // Global tables are complete before any task looks into them.
    try {
      global_ = std::make_unique<internal::GlobalStreamThread>(
          topology_.graph(), config_, rocksdb_.get(), *registry_,
          [this](const std::string& error) { onGlobalThreadError(error); });
      lock.unlock();
      const bool restored = global_->restore();
      lock.lock();
      if (restored && state_ == State::REBALANCING) global_->start();
    } catch (const std::exception& e) {
      if (!lock.owns_lock()) lock.lock();
      lastError_ = e.what();
      if (state_ == State::REBALANCING) transition(lock, State::ERROR);
      throw;
    }
  }
  // close() may have come while the state listener ran or the global tables were restored.
  if (state_ != State::REBALANCING) return;
  // As in Kafka Streams, a topology of global tables only has no task: it runs no stream
  // thread (one would fail to subscribe to no topic), and is RUNNING once they are restored.
  if (topology_.graph().subtopologies().empty()) {
    internal::log().info("the topology has global tables only: no stream thread runs");
    transition(lock, State::RUNNING);
    return;
  }
  for (int i = 0; i < config_.numStreamThreads(); ++i)
    threads_.push_back(std::make_unique<internal::StreamThread>(nextThreadIndex_++, topology_, config_, *layout_,
                                                                instanceServices(),
                                                                *adapter_));
  for (auto& t : threads_) t->start();
}

KafkaStreams::State KafkaStreams::stateFromThreads() const {
  bool allRunning = true;
  for (const auto& t : threads_) {
    auto s = t->state();
    if (s == internal::StreamThread::State::kDead) continue;
    allRunning = allRunning && s == internal::StreamThread::State::kRunning;
  }
  return allRunning ? State::RUNNING : State::REBALANCING;
}

internal::InstanceServices KafkaStreams::instanceServices() const {
  return internal::InstanceServices{rocksdb_.get(), registry_.get(), processId_,
                                    global_ ? &global_->readers() : nullptr, &paused_};
}

void KafkaStreams::onGlobalThreadError(const std::string& error) {
  std::unique_lock lock(mutex_);
  // In ERROR the instance has failed already (and stopped this thread): that stays the error.
  if (state_ == State::ERROR) return;
  lastError_ = error;
  if (state_ == State::PENDING_SHUTDOWN || state_ == State::NOT_RUNNING) return;
  transition(lock, State::PENDING_ERROR);
  for (auto& t : threads_) t->shutdown();
}

void KafkaStreams::onThreadStateChange() {
  std::unique_lock lock(mutex_);
  changed_.notify_all();  // close() waits for threads to die
  bool allDead = true;
  for (const auto& t : threads_) allDead = allDead && t->state() == internal::StreamThread::State::kDead;
  if (state_ == State::PENDING_ERROR) {
    if (allDead) {
      // Nothing is processed any more: the global tables stop being kept too.
      if (global_) global_->shutdown();
      transition(lock, State::ERROR);
    }
    return;
  }
  if (state_ == State::REBALANCING || state_ == State::RUNNING) transition(lock, stateFromThreads());
}

void KafkaStreams::onThreadError(internal::StreamThread& thread, const std::string& error) {
  UncaughtExceptionHandler handler;
  {
    std::lock_guard lock(mutex_);
    lastError_ = error;
    handler = exceptionHandler_;
  }
  StreamThreadExceptionResponse response = StreamThreadExceptionResponse::SHUTDOWN_CLIENT;
  if (handler) {
    try {
      response = handler(StreamsException(error));
    } catch (const std::exception& e) {
      internal::log().error("the uncaught exception handler threw ({}); shutting the instance down", e.what());
    }
  }
  std::unique_lock lock(mutex_);
  // The thread is dead: close() may be waiting for exactly that (a thread can fail in its
  // last commit, after close() asked it to stop).
  changed_.notify_all();
  if (state_ == State::PENDING_SHUTDOWN || state_ == State::NOT_RUNNING) return;
  if (response == StreamThreadExceptionResponse::REPLACE_THREAD &&
      (state_ == State::RUNNING || state_ == State::REBALANCING)) {
    internal::log().warn("replacing {} after its failure", thread.name());
    lastError_.clear();
    threads_.push_back(std::make_unique<internal::StreamThread>(nextThreadIndex_++, topology_, config_, *layout_,
                                                                instanceServices(),
                                                                *adapter_));
    threads_.back()->start();
    transition(lock, State::REBALANCING);
    return;
  }
  transition(lock, State::PENDING_ERROR);
  bool allDead = true;
  for (auto& t : threads_) {
    t->shutdown();
    allDead = allDead && t->state() == internal::StreamThread::State::kDead;
  }
  if (allDead) {
    if (global_) global_->shutdown();
    transition(lock, State::ERROR);
  }
}

bool KafkaStreams::close(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (state_ == State::CREATED) {
    transition(lock, State::NOT_RUNNING);
    return true;
  }
  if (state_ == State::NOT_RUNNING) return true;
  closeRequested_ = true;
  const bool error = state_ == State::ERROR || state_ == State::PENDING_ERROR;
  if (!error) transition(lock, State::PENDING_SHUTDOWN);
  if (starting_ && global_) global_->shutdown();  // stops a restoration of the global tables
  for (auto& t : threads_) t->shutdown();
  auto allDead = [this] {
    if (starting_) return false;
    for (const auto& t : threads_)
      if (t->state() != internal::StreamThread::State::kDead) return false;
    return true;
  };
  const bool forever = timeout == std::chrono::milliseconds::max();
  if (forever) changed_.wait(lock, allDead);
  else if (!changed_.wait_for(lock, timeout, allDead)) return false;
  // Dead threads only have to return from run(); join outside the lock, which they may want.
  // They stay in threads_, so metrics() still counts what they did.
  std::vector<internal::StreamThread*> threads;
  for (auto& t : threads_) threads.push_back(t.get());
  lock.unlock();
  for (auto* t : threads) t->join();
  if (global_) {
    global_->shutdown();
    global_->join();
  }
  lock.lock();
  releaseStateDirectory();
  if (!error) transition(lock, State::NOT_RUNNING);
  return true;
}

void KafkaStreams::pause() {
  if (!paused_.exchange(true)) internal::log().info("kafka-streams {}: paused", config_.applicationId());
}

void KafkaStreams::resume() {
  if (!paused_.exchange(false)) return;
  internal::log().info("kafka-streams {}: resumed", config_.applicationId());
  std::lock_guard lock(mutex_);
  for (auto& t : threads_) t->wake();
}

bool KafkaStreams::isPaused() const { return paused_.load(); }

KafkaStreams::State KafkaStreams::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

bool KafkaStreams::waitForState(State state, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] {
    return state_ == state || state_ == State::ERROR || state_ == State::NOT_RUNNING;
  });
  return state_ == state;
}

std::string KafkaStreams::lastError() const {
  std::lock_guard lock(mutex_);
  return lastError_;
}

KafkaStreams::Metrics KafkaStreams::metrics() const {
  std::lock_guard lock(mutex_);
  Metrics m;
  for (const auto& t : threads_) {
    const auto& tm = t->metrics();
    m.processedRecords += tm.processedRecords.load(std::memory_order_relaxed);
    m.skippedRecords += tm.skippedRecords.load(std::memory_order_relaxed);
    m.droppedRecords += tm.droppedRecords.load(std::memory_order_relaxed);
    m.commits += tm.commits.load(std::memory_order_relaxed);
    m.transactions += tm.transactions.load(std::memory_order_relaxed);
    m.storeApplies += tm.storeApplies.load(std::memory_order_relaxed);
    m.redos += tm.redos.load(std::memory_order_relaxed);
    m.rebalances += tm.rebalances.load(std::memory_order_relaxed);
    m.restoredRecords += tm.restore.restoredRecords.load(std::memory_order_relaxed);
    m.restorations += tm.restore.restorations.load(std::memory_order_relaxed);
    m.lastRestoreTimeMs = std::max(m.lastRestoreTimeMs, tm.restore.lastRestoreTimeMs.load(std::memory_order_relaxed));
    m.aliveThreads += t->state() != internal::StreamThread::State::kDead;
    m.uncommittedBytes += tm.uncommittedBytes.load(std::memory_order_relaxed);
    m.recordCacheBytes += tm.recordCacheBytes.load(std::memory_order_relaxed);
  }
  if (global_) m.skippedRecords += global_->skippedRecords();
  if (rocksdb_) {
    m.memtableBytes = static_cast<int64_t>(rocksdb_->writeBufferManager()->memory_usage());
    m.blockCacheBytes = static_cast<int64_t>(rocksdb_->cachedBlockBytes());
  }
  return m;
}

}  // namespace kstreams

namespace kstreams {

std::vector<KafkaStreams::ThreadMetadata> KafkaStreams::metadataForLocalThreads() const {
  std::lock_guard lock(mutex_);
  std::vector<ThreadMetadata> out;
  for (const auto& t : threads_) {
    if (t->state() == internal::StreamThread::State::kDead) continue;
    out.push_back({t->name(), internal::StreamThread::toString(t->state()), t->activeTasks()});
  }
  return out;
}

}  // namespace kstreams

namespace kstreams {

std::shared_ptr<void> KafkaStreams::queryView(const std::string& name, const std::type_info& key,
                                              const std::type_info& value,
                                              internal::StoreKind kind) const {
  const internal::StoreSpec& spec =
      topology_.graph().queryableStore(name, kind, key, value);
  return spec.queryFactory(std::make_shared<internal::CompositeReader>(*registry_, name), config_.serdeDefaults());
}

KafkaStreams::KeyQueryMetadata KafkaStreams::queryMetadataForBytes(const std::string& store,
                                                                   const std::string& keyBytes) const {
  KeyQueryMetadata m;
  {
    std::lock_guard lock(mutex_);
    if (!layout_) throw InvalidStateStoreException("queryMetadataForKey needs a started instance");
    const auto& subtopologies = topology_.graph().subtopologies();
    auto st = std::find_if(subtopologies.begin(), subtopologies.end(), [&](const internal::Subtopology& s) {
      return std::find(s.stores.begin(), s.stores.end(), store) != s.stores.end();
    });
    if (st == subtopologies.end()) throw InvalidStateStoreException("the topology has no state store named " + store);
    m.partition = defaultPartition(keyBytes, layout_->tasksPerSubtopology.at(st->id));
    m.task = TaskId{st->id, m.partition};
    m.local = registry_->readers(store).count(m.task) > 0;
  }
  if (m.local) {
    m.activeHost = HostInfo::parse(config_.applicationServer());
    return m;
  }
  // Not under mutex_: the coordinator may take a while to answer.
  for (const StreamsMetadata& instance : directory_->instances())
    if (std::binary_search(instance.activeTasks.begin(), instance.activeTasks.end(), m.task))
      m.activeHost = instance.hostInfo;
  return m;
}

std::vector<StreamsMetadata> KafkaStreams::metadataForAllStreamsClients() const {
  return directory_->instances();
}

void KafkaStreams::cleanUp() {
  std::unique_lock lock(mutex_);
  if (state_ != State::CREATED && state_ != State::NOT_RUNNING && state_ != State::ERROR)
    throw StreamsException("cleanUp() deletes local state: call it before start() or after close()");
  if (state_ == State::ERROR && global_) {
    // Stopped on the way to ERROR; joined, so that it writes nothing while the files go (its
    // stores close with the instance). It may want the lock to report an error on its way out.
    lock.unlock();
    global_->shutdown();
    global_->join();
    lock.lock();
  }
  releaseStateDirectory();
  std::error_code ec;
  std::filesystem::remove_all(config_.stateDir() + "/" + config_.applicationId(), ec);
  if (ec) throw StreamsException("cannot delete " + config_.stateDir() + "/" + config_.applicationId() + ": " + ec.message());
}

}  // namespace kstreams
