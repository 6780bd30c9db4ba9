#include "runtime/stream_thread.h"

#include <algorithm>
#include <cstdlib>

#include "runtime/group_directory.h"
#include "runtime/log.h"
#include "runtime/thread_name.h"

namespace kstreams::internal {

std::map<std::string, std::string> streamConsumerProperties(const StreamsConfig& config,
                                                            const std::string& clientId,
                                                            int64_t prefetchKbytes) {
  auto props = clientProperties(
      config, "consumer", clientId,
      {
          // Kafka Streams' default.
          {"auto.offset.reset", "earliest"},
          {"queued.max.messages.kbytes", std::to_string(prefetchKbytes)},
          // librdkafka has one fetch to a broker in flight at a time, and a fetch of only
          // partitions with nothing new (a table's topic read to its end, while the stream's
          // queues are full) waits this long at the broker: refills of the busy partitions
          // wait with it, so it should end before the half of a queue left when the doorbell
          // rings runs out. With librdkafka's 500 ms a stream-table join ran at a sixth of
          // its records per second; at 10, 20 and 50 ms alike. The cost is an idle thread's
          // fetch to each broker every 50 ms: about 1% of a core of a broker's (5% at 20 ms).
          {"fetch.wait.max.ms", "50"},
      },
      {
          {"group.id", config.applicationId()},
          // The range assignor gives the same partition numbers of equally partitioned
          // topics to the same member: the co-partitioning tasks need.
          {"partition.assignment.strategy", "range"},
          {"enable.auto.commit", "false"},
          {"enable.auto.offset.store", "false"},
          {"enable.partition.eof", "false"},
          {"isolation.level", config.exactlyOnce() ? "read_committed" : "read_uncommitted"},
      });
  // librdkafka fetches a partition whose queue is below queued.max.messages.kbytes, and a
  // fetch may bring fetch.message.max.bytes (1 MiB by default) of it: a queue of 1 MiB (a
  // stateful thread's, or a join's at the floor) held up to twice its bound. A fetch of a
  // quarter of the queue keeps the overshoot near a quarter (not a hard bound: a batch larger
  // than a fetch still comes whole, and the queue counts decompressed bytes): 5-20% less peak
  // memory in the stateful benchmarks at the same CPU and records per second
  // (docs/benchmark-profiles.md, "A fetch as large as a stateful thread's prefetch queue").
  // Queues of 4 MiB or more keep librdkafka's 1 MiB (at the defaults: a stateless thread of
  // up to four input partitions, a stateful one of one).
  if (!props.count("fetch.message.max.bytes") && !props.count("max.partition.fetch.bytes")) {
    const std::string& queue = props["queued.max.messages.kbytes"];
    char* end = nullptr;
    const long long kbytes = std::strtoll(queue.c_str(), &end, 10);
    if (end != queue.c_str() && *end == '\0' && kbytes > 0)
      props["fetch.message.max.bytes"] = std::to_string(std::clamp<long long>(kbytes * 1024 / 4, 64 << 10, 1 << 20));
  }
  return props;
}

StreamThread::StreamThread(int index, const Topology& topology, const StreamsConfig& config,
                           const TopicLayout& layout, InstanceServices instance, Listener& listener)
    : index_(index),
      name_(config.clientId() + "-StreamThread-" + std::to_string(index + 1)),
      topology_(topology),
      config_(config),
      layout_(layout),
      instance_(instance),
      listener_(listener),
      subtopologies_(topology.graph().subtopologies()) {
  topicToSubtopology_ = subtopologyOfInputTopics(subtopologies_, config.applicationId());
  for (const Subtopology& st : subtopologies_)
    for (const auto& t : st.repartitionSourceTopics) repartitionTopics_.insert(config.applicationId() + "-" + t);
  for (const auto& [topic, st] : topicToSubtopology_) subscription_.push_back(topic);
}

StreamThread::~StreamThread() {
  shutdown();
  join();
}

void StreamThread::start() {
  thread_ = std::thread([this] {
    nameThisThread("ks-stream-" + std::to_string(index_ + 1));
    run();
  });
}

void StreamThread::join() {
  if (thread_.joinable()) thread_.join();
}

std::vector<TaskId> StreamThread::activeTasks() const {
  std::lock_guard lock(activeTasksMutex_);
  return activeTasks_;
}

std::vector<StoreChangelogPosition> StreamThread::changelogPositions() const {
  std::lock_guard lock(activeTasksMutex_);
  return changelogPositions_;
}

void StreamThread::publishChangelogPositions() {
  std::vector<StoreChangelogPosition> positions;
  for (const auto& [id, task] : tasks_) {
    // A task whose stores are open and not yet restored knows their checkpoints; a running
    // one is caught up (Kafka Streams reports a running active task at the changelog's
    // end); one whose stores are not open yet has no known position.
    if (!task->initialized() && task->state()) {
      task->state()->changelogPositions(positions);
      continue;
    }
    const std::optional<int64_t> next = task->initialized() ? std::nullopt : std::optional<int64_t>(0);
    for (const std::string& store : subtopologies_.at(static_cast<size_t>(id.subtopology)).stores)
      if (topology_.graph().stores().at(store).logging)
        positions.push_back({store, changelogTopic(config_.applicationId(), store), id.partition, next});
  }
  std::lock_guard lock(activeTasksMutex_);
  changelogPositions_ = std::move(positions);
}

const char* StreamThread::toString(State state) {
  switch (state) {
    case State::kCreated: return "CREATED";
    case State::kStarting: return "STARTING";
    case State::kPartitionsRevoked: return "PARTITIONS_REVOKED";
    case State::kPartitionsAssigned: return "PARTITIONS_ASSIGNED";
    case State::kRunning: return "RUNNING";
    case State::kPendingShutdown: return "PENDING_SHUTDOWN";
    case State::kDead: return "DEAD";
  }
  return "?";
}

void StreamThread::setState(State state) {
  state_ = state;
  listener_.onThreadStateChange(*this, state);
}

std::unique_ptr<StreamsProducer> StreamThread::createProducer() {
  std::string transactionalId;
  if (config_.exactlyOnce())
    transactionalId = config_.applicationId() + "-" + instance_.processId + "-" + std::to_string(index_ + 1);
  // Only store writes (changelog records) need their offsets from delivery reports.
  return std::make_unique<StreamsProducer>(config_, name_ + "-producer", transactionalId, hasStores(),
                                           &metrics_.droppedRecords);
}

void StreamThread::createClients() {
  producer_ = createProducer();

  // Each input partition has its own prefetch queue (see partition_queue.h), and librdkafka
  // bounds each one by queued.max.messages.kbytes. The thread's budget is shared among its
  // input partitions, at least 1 MiB each. librdkafka holds 3-4x the payload it counts, and
  // the prefetch is a large part of a thread's memory. With the FetchDoorbell, which gets a
  // queue refilled when the thread has taken half of it, the queue only has to outlast one
  // fetch: 4 MiB do for a thread with state stores, 16 MiB for a stateless one, which moves
  // hundreds of MB/s (with 64 it ran slower, at more CPU: its pages were faulted in afresh
  // and fell out of the cache). Without the doorbell a queue must hold the second
  // librdkafka (before 2.4) may wait before it looks at a full queue again, four times as much.
  int64_t inputPartitions = 0;
  for (const auto& t : subscription_)
    if (auto it = layout_.partitions.find(t); it != layout_.partitions.end()) inputPartitions += it->second;
  const int64_t threadPrefetchKbytes = (hasStores() ? 4096 : 16384) * (config_.prefetchRefillRequests() ? 1 : 4);
  const int64_t prefetchKbytes =
      std::max<int64_t>(1024, threadPrefetchKbytes / std::max<int64_t>(1, inputPartitions));

  auto props = streamConsumerProperties(config_, streamConsumerClientId(name_, config_.applicationServer()),
                                        prefetchKbytes);
  if (auto reset = props.find("auto.offset.reset"); reset != props.end()) {
    const std::string& r = reset->second;
    if (r == "earliest" || r == "smallest" || r == "beginning") resetOffset_ = RD_KAFKA_OFFSET_BEGINNING;
    else if (r == "latest" || r == "largest" || r == "end") resetOffset_ = RD_KAFKA_OFFSET_END;
  }
  KafkaConf conf = makeConf(props);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &StreamThread::onRebalance);
  rd_kafka_conf_set_error_cb(conf.get(), &StreamThread::onError);
  rd_kafka_conf_set_opaque(conf.get(), this);
  consumer_ = createClient(RD_KAFKA_CONSUMER, std::move(conf));
  rd_kafka_poll_set_consumer(consumer_.get());
  // setStartOffsets starts a repartition topic's uncommitted partitions at the beginning
  // itself, except when it cannot read the committed offsets in time and librdkafka looks
  // them up and resets the position: then this handle's configuration applies.
  for (const auto& topic : repartitionTopics_) {
    rd_kafka_topic_conf_t* topicConf = rd_kafka_default_topic_conf_dup(consumer_.get());
    char error[256];
    if (rd_kafka_topic_conf_set(topicConf, "auto.offset.reset", "earliest", error, sizeof error) != RD_KAFKA_CONF_OK) {
      rd_kafka_topic_conf_destroy(topicConf);
      throw StreamsException("cannot configure repartition topic " + topic + ": " + error);
    }
    KafkaTopic handle(rd_kafka_topic_new(consumer_.get(), topic.c_str(), topicConf));
    if (!handle)
      throw StreamsException("cannot create a handle for repartition topic " + topic + ": " +
                             rd_kafka_err2str(rd_kafka_last_error()));
    repartitionHandles_.push_back(std::move(handle));
  }
  const auto setting = [&](const char* key, int64_t fallback) {
    auto it = props.find(key);
    return it == props.end() ? fallback : std::stoll(it->second);
  };
  if (config_.prefetchRefillRequests())
    doorbell_ = std::make_unique<FetchDoorbell>(
        consumer_.get(), setting("queued.max.messages.kbytes", prefetchKbytes) * 1024,
        setting("queued.min.messages", 100000));
  consumerQueue_.reset(rd_kafka_queue_get_consumer(consumer_.get()));
  Wakeup::attach(consumerQueue_.get(), &wakeup_);

  services_.applicationId = config_.applicationId();
  services_.collector = producer_.get();
  services_.serdes = &config_.serdeDefaults();
  services_.deserialization = config_.deserializationHandling();
  services_.maxTaskIdleMs = config_.maxTaskIdleMs();
  services_.wallClock = nowMs;
  services_.hasUnfetched = [this](const std::string& topic, int32_t partition) {
    return hasUnfetched(topic, partition);
  };
  services_.skippedRecords = &metrics_.skippedRecords;
  services_.droppedRecords = &metrics_.droppedRecords;
  services_.globalStores = instance_.globalStores;

  if (hasStores()) {
    cache_.maxBytes = config_.statestoreCacheMaxBytes() / config_.numStreamThreads();
    maxUncommittedBytes_ = static_cast<size_t>(config_.statestoreUncommittedMaxBytes() / config_.numStreamThreads());
    stateServices_.applicationId = config_.applicationId();
    stateServices_.stateDir = config_.stateDir() + "/" + config_.applicationId();
    stateServices_.collector = producer_.get();
    stateServices_.rocksdb = instance_.rocksdb;
    stateServices_.cache = &cache_;
    stateServices_.serdes = &config_.serdeDefaults();
    stateServices_.registry = instance_.registry;
    stateServices_.exactlyOnce = config_.exactlyOnce();
    services_.state = &stateServices_;
    restorer_ = std::make_unique<ChangelogReader>(config_, name_, metrics_.restore);
  }

  PartitionList topics(rd_kafka_topic_partition_list_new(static_cast<int>(subscription_.size())));
  for (const auto& t : subscription_)
    rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), topics.get());
  if (err) throw StreamsException(std::string("cannot subscribe to the input topics: ") + rd_kafka_err2str(err));
}

void StreamThread::run() {
  try {
    setState(State::kStarting);
    createClients();
    lastCommit_ = lastStoresApplied_ = std::chrono::steady_clock::now();
    log().info("{} started; subscribed to {} topic(s)", name_, subscription_.size());
    while (!shutdownRequested_) runOnce();
    shutdownCleanly();
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

void StreamThread::runOnce() {
  try {
    if (producerFenced_) {
      producerFenced_ = false;
      throw ProducerFencedException("the producer was fenced while partitions were revoked");
    }
    wakeup_.arm();
    bool busy = pollConsumer();
    if (doorbell_) doorbell_->collect();
    // Paused (KafkaStreams::pause), as in Kafka Streams: the consumer is still polled, so the
    // thread stays in the group, and commits still happen; no task processes or punctuates,
    // and no store restores. The records the tasks have not taken stay in their partitions'
    // queues (librdkafka stops fetching a full one), so nothing fetched is dropped and
    // fetched again, as pausing the partitions in librdkafka would; those already buffered
    // in a task wait there. After resume() each task goes on from the record after its last.
    const bool paused = this->paused();
    int64_t processed = 0;
    if (!paused) busy = fetchRecords(processed) > 0 || busy;
    prepareTasks(processed > 0, paused);
    if (!paused) {
      processed += processRecords();
      for (auto& [id, task] : tasks_) {
        task->punctuateStreamTime();
        task->punctuateWallClock();
      }
    }
    metrics_.processedRecords.fetch_add(processed, std::memory_order_relaxed);
    busy = busy || processed > 0;
    maybeCommit();
    // Nothing came and nothing could be processed: sleep until a queue gets something.
    // (Restoring blocks in the changelog reader instead.)
    if (!busy && (restoring_.empty() || paused)) wakeup_.wait(config_.pollTime());
  } catch (const RedoSinceLastCommitException& e) {
    redoSinceLastCommit(e.what());
  } catch (const ProducerFencedException& e) {
    recoverFromFencing(e.what());
  }
}

void StreamThread::prepareTasks(bool runningTasksHaveRecords, bool paused) {
  bool waiting = false;
  bool positionsChanged = false;
  // A task begins (under exactly_once_v2: restores) only once what its last commit carries
  // is known (see changelog_offsets.h): its partition times, and the changelog offsets its
  // stores must be restored to. Read with the committed offsets, for all tasks that need
  // them at once; usually the read that set the start offsets did it already.
  auto awaitsCommittedMetadata = [this](TaskId id) { return !committedMetadataRead_.count(id); };
  std::vector<Task*> unread;
  for (auto& [id, task] : tasks_)
    if (!task->initialized() && !restoring_.count(id) && awaitsCommittedMetadata(id)) unread.push_back(task.get());
  if (unread.empty()) committedMetadataUnreadSince_.reset();
  else if (!readCommittedMetadata(unread)) waiting = true;
  for (auto& [id, task] : tasks_) {
    if (task->initialized() || restoring_.count(id) || awaitsCommittedMetadata(id)) continue;
    try {
      std::vector<RestoreTarget> targets = task->openState();
      positionsChanged = true;
      if (targets.empty() || !restorer_) {
        task->initialize();
        continue;
      }
      for (RestoreTarget& t : targets) {
        auto known = committedChangelogOffsets_.find({t.topic, t.partition});
        if (known != committedChangelogOffsets_.end()) t.committedThrough = known->second;
      }
      restorer_->add(id, targets);
      restoring_.insert(id);
    } catch (const TaskLockedException& e) {
      // The previous owner (another thread, or a process on its way out) still has it.
      waiting = true;
      if (std::chrono::steady_clock::now() - lastLockWarning_ > std::chrono::seconds(10)) {
        log().warn("{}: {}; retrying", name_, e.what());
        lastLockWarning_ = std::chrono::steady_clock::now();
      }
    }
  }
  if (!restoring_.empty() && !paused) {
    positionsChanged = true;
    // Restoration takes turns with running tasks that have records: short turns then.
    bool anyRunning = runningTasksHaveRecords;
    for (const auto& [id, task] : tasks_) anyRunning = anyRunning || (task->initialized() && task->buffered() > 0);
    for (TaskId id : restorer_->restore(anyRunning ? std::chrono::milliseconds(10) : config_.pollTime())) {
      restoring_.erase(id);
      auto it = tasks_.find(id);
      if (it != tasks_.end()) it->second->initialize();
    }
  }
  if (positionsChanged) publishChangelogPositions();
  if (state_ == State::kPartitionsAssigned && restoring_.empty() && !waiting) {
    bool all = true;
    for (const auto& [id, task] : tasks_) all = all && task->initialized();
    if (all) setState(State::kRunning);
  }
}

bool StreamThread::pollConsumer() {
  // Records come through the partitions' queues; this one has rebalances and errors (and
  // records of a partition whose queue was not split off yet).
  bool any = false;
  for (int n = 0; n < 1000; ++n) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_.get(), 0);
    if (message == nullptr) break;
    any = true;
    handleMessage(message);
  }
  rethrowCallbackError();
  checkInputTopics();
  return any;
}

void StreamThread::onError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* self = static_cast<StreamThread*>(opaque);
  const auto e = static_cast<rd_kafka_resp_err_t>(err);
  // A partition's fetch errors reach the application here, not as messages: the thread
  // takes records with rd_kafka_consume_batch_queue, which serves other events itself.
  if (topicGoneOrForbidden(e) || e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
    if (self->inputTopicDoubt_.empty()) self->inputTopicDoubt_ = reason;
    return;
  }
  log().log(e == RD_KAFKA_RESP_ERR__FATAL ? spdlog::level::err : spdlog::level::warn, "{}: consumer error: {}",
            self->name_, reason);
}

void StreamThread::checkInputTopics() {
  const auto now = std::chrono::steady_clock::now();
  if (inputTopicDoubt_.empty() || now < nextInputTopicCheck_) return;
  nextInputTopicCheck_ = now + std::chrono::seconds(5);
  const std::string why = std::move(inputTopicDoubt_);
  inputTopicDoubt_.clear();
  std::string gone;
  for (const auto& topic : subscription_) {
    rd_kafka_resp_err_t err;
    KafkaMetadata md = topicMetadata(consumer_.get(), topic, 5000, err);
    if (!err && md && md->topic_cnt == 1 && topicGoneOrForbidden(md->topics[0].err))
      gone += (gone.empty() ? "" : ", ") + topic;
  }
  if (!gone.empty())
    throw MissingSourceTopicException("input topic(s) " + gone + " cannot be read (" + why +
                                      "): deleted while the application ran, or no longer readable by it. "
                                      "Create the topic again (and reset the application if its committed offsets "
                                      "no longer apply), or restore its access, then restart");
  log().warn("{}: consumer error: {}; every input topic still exists, going on", name_, why);
}

void StreamThread::rethrowCallbackError() {
  if (!callbackError_) return;
  std::exception_ptr e = callbackError_;
  callbackError_ = nullptr;
  std::rethrow_exception(e);
}

void StreamThread::releaseQueues() {
  for (auto& [topic, routes] : routes_)
    for (Route& r : routes) r.queue = PartitionQueue();
  doorbell_.reset();
  consumerQueue_.reset();
  repartitionHandles_.clear();
}

}  // namespace kstreams::internal
