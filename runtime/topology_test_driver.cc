#include "runtime/topology_test_driver.h"

#include <cstdlib>
#include <filesystem>

#include "runtime/global_stream_thread.h"
#include "runtime/log.h"
#include "runtime/task.h"
#include "state/in_memory_store.h"

namespace kstreams {
namespace {

// A piped record's bytes, kept alive while its task buffers it.
struct OwnedRecord {
  std::string topic;
  std::optional<std::string> key;
  std::optional<std::string> value;
  Headers headers;
};

}  // namespace

// Records the topology writes: kept for the test to read, and fed back into the tasks that
// read their topic.
class TopologyTestDriver::Collector final : public internal::RecordCollector {
 public:
  explicit Collector(TopologyTestDriver& driver) : driver_(driver) {}
  void send(std::string_view topic, int32_t, std::optional<std::string_view> key,
            std::optional<std::string_view> value, int64_t timestamp,
            const Headers& headers) override {
    std::string name(topic);
    auto own = [](std::optional<std::string_view> v) {
      return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
    };
    driver_.produced_.insert(name);
    driver_.outputs_[name].push_back({own(key), own(value), timestamp, headers});
    if (driver_.readers_.count(name)) driver_.enqueue(name, own(key), own(value), timestamp, headers);
    // Applied once the record being processed is done, as Kafka Streams' driver does.
    if (driver_.globalTables_.count(name))
      driver_.globalUpdates_.push_back({name, own(key), own(value), timestamp});
  }
  void sendTracked(std::string_view topic, int32_t partition, std::string_view key,
                   std::optional<std::string_view> value, int64_t timestamp, int64_t* slot) override {
    send(topic, partition, key, value, timestamp, Headers{});
    ++*slot;
  }
  int64_t* offsetSlot(std::string_view topic, int32_t partition) override {
    return &driver_.trackedOffsets_.try_emplace({std::string(topic), partition}, -1).first->second;
  }
  int32_t partitionCount(std::string_view) override { return 1; }

 private:
  TopologyTestDriver& driver_;
};

TopologyTestDriver::TopologyTestDriver(const Topology& topology, StreamsConfig config,
                                       int64_t initialWallClockMs)
    : topology_(topology),
      config_(std::move(config)),
      applicationId_(config_.applicationId().empty() ? "topology-test-driver"
                                                     : config_.applicationId()),
      wallClockMs_(initialWallClockMs),
      collector_(std::make_unique<Collector>(*this)) {
  internal::TaskServices services;
  services.applicationId = applicationId_;
  services.collector = collector_.get();
  services.serdes = &config_.serdeDefaults();
  services.deserialization = config_.deserializationHandling();
  services.maxTaskIdleMs = -1;  // every piped record is already buffered
  services.wallClock = [this] { return wallClockMs_; };
  services.skippedRecords = &skipped_;
  services.droppedRecords = &dropped_;

  char dir[] = "/tmp/kstreams-test-driver-XXXXXX";
  if (!mkdtemp(dir)) throw StreamsException("cannot create a temporary state directory under /tmp");
  stateDir_ = dir;
  rocksdb_ = std::make_unique<internal::RocksDBResources>(8 << 20, 8 << 20, internal::rocksdbLog());
  cache_ = std::make_unique<internal::CacheBudget>();
  cache_->maxBytes = config_.statestoreCacheMaxBytes();
  registry_ = std::make_unique<internal::StoreRegistry>();
  stateServices_ = std::make_unique<internal::StateServices>();
  stateServices_->applicationId = applicationId_;
  stateServices_->stateDir = stateDir_ + "/" + applicationId_;
  stateServices_->collector = collector_.get();
  stateServices_->rocksdb = rocksdb_.get();
  stateServices_->cache = cache_.get();
  stateServices_->serdes = &config_.serdeDefaults();
  stateServices_->registry = registry_.get();
  services.state = stateServices_.get();

  for (const auto& [store, topic] : topology_.graph().globalStores()) {
    GlobalTable& table = globalTables_[topic];
    table.reader = std::make_unique<internal::GlobalRecordReader>(topology_.graph(), store, topic,
                                                                  config_.serdeDefaults(),
                                                                  config_.deserializationHandling());
    table.store = internal::openInMemoryStore(store);
    globalReaders_[store] = table.store->committedReader();
    registry_->add(store, TaskId{-1, 0}, globalReaders_[store]);
  }
  services.globalStores = &globalReaders_;

  const internal::TopologyGraph& graph = topology_.graph();
  for (const internal::Subtopology& st : graph.subtopologies()) {
    std::vector<internal::Task::InputPartition> inputs;
    for (const auto& t : st.sourceTopics) inputs.push_back({t, 0});
    for (const auto& t : st.repartitionSourceTopics)
      inputs.push_back({applicationId_ + "-" + t, 0});
    auto task = std::make_unique<internal::Task>(TaskId{st.id, 0}, graph, st, services, inputs);
    for (size_t i = 0; i < inputs.size(); ++i) readers_[inputs[i].topic] = {task.get(), i};
    task->openState();  // a fresh directory: nothing to restore
    task->initialize();
    tasks_.push_back(std::move(task));
  }
}

TopologyTestDriver::~TopologyTestDriver() {
  for (auto& task : tasks_) task->close();
  tasks_.clear();
  std::error_code ec;
  std::filesystem::remove_all(stateDir_, ec);
}

StateStore* TopologyTestDriver::getStateStore(const std::string& name) {
  for (auto& task : tasks_)
    if (StateStore* s = task->stateStore(name)) return s;
  throw StreamsException("the topology has no state store named " + name);
}

std::shared_ptr<void> TopologyTestDriver::queryView(const std::string& name, const std::type_info& key,
                                                    const std::type_info& value,
                                              internal::StoreKind kind) {
  const internal::StoreSpec& spec =
      topology_.graph().queryableStore(name, kind, key, value);
  auto readers = registry_->readers(name);
  if (readers.empty()) throw StreamsException("state store " + name + " is not open");
  return spec.queryFactory(readers.begin()->second, config_.serdeDefaults());
}

void TopologyTestDriver::checkInputTopic(const std::string& topic) const {
  if (!readers_.count(topic) && !globalTables_.count(topic))
    throw StreamsException("the topology does not read topic " + topic +
                           "; create input topics only for topics it reads");
}

void TopologyTestDriver::enqueue(const std::string& topic, std::optional<std::string> key,
                                 std::optional<std::string> value, int64_t timestamp,
                                 Headers headers) {
  auto [task, input] = readers_.at(topic);
  auto* owned = new OwnedRecord{topic, std::move(key), std::move(value), std::move(headers)};
  internal::RecordOwner owner(owned, [](void* p) { delete static_cast<OwnedRecord*>(p); });
  internal::RawRecord raw;
  raw.topic = owned->topic;
  raw.partition = 0;
  raw.offset = nextOffset_[topic]++;
  raw.timestamp = timestamp;
  if (owned->key) raw.key = *owned->key;
  if (owned->value) raw.value = *owned->value;
  raw.headers = owned->headers.empty() ? nullptr : &owned->headers;
  task->addRecord(input, raw, std::move(owner));
}

void TopologyTestDriver::pipeRaw(const std::string& topic, std::optional<std::string> key,
                                 std::optional<std::string> value, int64_t timestamp,
                                 Headers headers) {
  checkInputTopic(topic);
  if (globalTables_.count(topic)) {
    updateGlobalStore(topic, key, value, timestamp);
    return;
  }
  enqueue(topic, std::move(key), std::move(value), timestamp, std::move(headers));
  commit();
}

// A global table's topic updates its store directly, as the global thread does.
void TopologyTestDriver::updateGlobalStore(const std::string& topic, const std::optional<std::string>& key,
                                           const std::optional<std::string>& value, int64_t timestamp) {
  const int64_t offset = nextOffset_[topic]++;
  if (!key) return;  // a record without a key cannot be a row
  internal::RawRecord raw;
  raw.topic = topic;
  raw.offset = offset;
  raw.timestamp = timestamp;
  raw.key = *key;
  if (value) raw.value = *value;
  GlobalTable& table = globalTables_.at(topic);
  if (!table.reader->readable(raw)) {
    ++skipped_;
    return;
  }
  table.store->put(*key, value ? std::optional<std::string_view>(*value) : std::nullopt, timestamp);
  table.store->commit(std::nullopt);
}

bool TopologyTestDriver::processOne() {
  for (auto& task : tasks_)
    if (task->process()) return true;
  return false;
}

// As Kafka Streams' driver does, every record processed is committed on its own, records
// read back from repartition topics included: with caching on, each update is forwarded.
void TopologyTestDriver::commit() {
  do {
    for (auto& task : tasks_)
      if (task->state()) task->state()->flushCaches();
    for (auto& task : tasks_) {
      if (task->state()) task->state()->commit();
      task->markCommitted({});
    }
    while (!globalUpdates_.empty()) {
      GlobalUpdate u = std::move(globalUpdates_.front());
      globalUpdates_.pop_front();
      updateGlobalStore(u.topic, u.key, u.value, u.timestamp);
    }
  } while (processOne());
}

void TopologyTestDriver::advanceWallClockTime(std::chrono::milliseconds by) {
  wallClockMs_ += by.count();
  for (auto& task : tasks_) task->punctuateWallClock();
  commit();
}

std::set<std::string> TopologyTestDriver::producedTopicNames() const { return produced_; }

}  // namespace kstreams
