#include "runtime/task.h"

#include <algorithm>
#include <stdexcept>

#include "runtime/log.h"
#include "runtime/producer_errors.h"
#include "streams/internal/source_sink_nodes.h"

namespace kstreams::internal {

Task::Task(TaskId id, const TopologyGraph& graph, const Subtopology& subtopology,
           const TaskServices& services, std::vector<InputPartition> inputs)
    : id_(id),
      graph_(graph),
      subtopology_(subtopology),
      services_(services),
      inputs_(std::move(inputs)),
      queues_(inputs_.size()) {
  // Instantiate the sub-topology's nodes and wire each to its children.
  std::vector<NodeInstance*> byGraphIndex(graph.nodes().size(), nullptr);
  for (size_t index : subtopology.nodes) {
    nodes_.push_back(graph.node(index).factory(*services_.serdes));
    byGraphIndex[index] = nodes_.back().get();
  }
  for (size_t index : subtopology.nodes)
    for (size_t child : graph.node(index).children)
      byGraphIndex[index]->addChild(*byGraphIndex[child], graph.node(child).name);

  const std::string internalPrefix = services_.applicationId + "-";
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const std::string& topic = inputs_[i].topic;
    std::optional<size_t> source = graph.sourceOf(topic);
    if (!source && topic.starts_with(internalPrefix))
      source = graph.sourceOf(topic.substr(internalPrefix.size()));
    if (!source || !byGraphIndex[*source])
      throw StreamsException("task " + id_.toString() + " was given partition " +
                             std::to_string(inputs_[i].partition) + " of topic " + topic +
                             ", which its sub-topology does not read");
    Queue& queue = queues_[i];
    queue.source = static_cast<SourceInstance*>(byGraphIndex[*source]);
    queue.extraction = queue.source->timestampExtraction();
    if (queue.extraction == TimestampExtraction::kDefault)
      queue.extraction = services_.serdes ? services_.serdes->timestampExtractor
                                          : TimestampExtraction::kFailOnInvalidTimestamp;
  }
}

std::vector<RestoreTarget> Task::openState() {
  if (subtopology_.stores.empty() || state_) return state_ ? state_->restoreTargets() : std::vector<RestoreTarget>{};
  if (services_.state == nullptr)
    throw StreamsException("task " + id_.toString() + " has state stores but no state services");
  state_ = std::make_unique<StateManager>(id_, graph_, subtopology_, *services_.state,
                                          [this] { return currentTimestamp_; });
  return state_->restoreTargets();
}

void Task::initialize() {
  if (initialized_) return;
  for (auto& node : nodes_) node->init(*this);
  if (state_) state_->restored();
  initialized_ = true;
}

Task::~Task() { close(); }

void Task::close() {
  if (closed_) return;
  closed_ = true;
  if (initialized_)
    for (auto& node : nodes_) node->close();
  clearBuffers();
  if (state_) state_->close();
}

size_t Task::buffered() const {
  size_t n = 0;
  for (const auto& q : queues_) n += q.records.size();
  return n;
}

int64_t Task::readTimestamp(Queue& queue, const RawRecord& raw, std::unique_ptr<RecordError>& error) const {
  int64_t timestamp = raw.timestamp;
  switch (queue.extraction) {
    case TimestampExtraction::kWallclockTimestampExtractor:
      timestamp = services_.wallClock();
      break;
    case TimestampExtraction::kFunction:
      try {
        timestamp = queue.source->timestampOf(raw, queue.bufferedPartitionTime);
      } catch (const DeserializationError& e) {
        error = std::make_unique<RecordError>(RecordError{RecordError::Kind::kUnreadable, e.what()});
        return -1;
      } catch (const std::exception& e) {
        // As in Kafka Streams, a failing extractor is the user's code failing, not bad input.
        error = std::make_unique<RecordError>(RecordError{
            RecordError::Kind::kFatal, "the timestamp extractor failed at the record at " + where(raw) + ": " + e.what()});
        return -1;
      }
      if (timestamp < 0) {
        error = std::make_unique<RecordError>(
            RecordError{RecordError::Kind::kNegativeTimestamp,
                        "its timestamp extractor gave it the negative timestamp " + std::to_string(timestamp)});
        return timestamp;
      }
      break;
    default:  // the record's own timestamp
      if (timestamp < 0) {
        timestamp = invalidTimestamp(queue, raw, error);
        if (error) return timestamp;
      }
  }
  if (timestamp > queue.bufferedPartitionTime) queue.bufferedPartitionTime = timestamp;
  return timestamp;
}

int64_t Task::invalidTimestamp(const Queue& queue, const RawRecord& raw, std::unique_ptr<RecordError>& error) const {
  const std::string timestamp = std::to_string(raw.timestamp);
  const std::string instead =
      ". Set default.timestamp.extractor (or the source's Consumed::withTimestampExtractor) to "
      "LogAndSkipOnInvalidTimestamp to skip such records, or write them with timestamps";
  switch (queue.extraction) {
    case TimestampExtraction::kLogAndSkipOnInvalidTimestamp:
      error = std::make_unique<RecordError>(RecordError{
          RecordError::Kind::kNegativeTimestamp, "its timestamp " + timestamp + " is negative (invalid), and its "
                                                 "source's timestamp extractor is LogAndSkipOnInvalidTimestamp"});
      return raw.timestamp;
    case TimestampExtraction::kUsePartitionTimeOnInvalidTimestamp:
      if (queue.bufferedPartitionTime >= 0) return queue.bufferedPartitionTime;
      error = std::make_unique<RecordError>(RecordError{
          RecordError::Kind::kFatal,
          "the record at " + where(raw) + " has the invalid (negative) timestamp " + timestamp +
              ", and UsePartitionTimeOnInvalidTimestamp cannot give it its partition's time: no record of the "
              "partition was processed or committed before it" + instead});
      return -1;
    default:
      error = std::make_unique<RecordError>(RecordError{
          RecordError::Kind::kFatal,
          "the record at " + where(raw) + " has the invalid (negative) timestamp " + timestamp +
              ", which FailOnInvalidTimestamp, Kafka Streams' default timestamp extractor, does not accept" + instead +
              ", or UsePartitionTimeOnInvalidTimestamp to give them their partition's time"});
      return -1;
  }
}

void Task::addRecord(size_t input, const RawRecord& raw, RecordOwner owner) {
  Queue& queue = queues_[input];
  Buffered& record = queue.records.emplace_back();
  record.raw = raw;
  record.owner = std::move(owner);
  record.timestamp = readTimestamp(queue, raw, record.error);
}

void Task::processArrived(size_t input, const RawRecord& raw) {
  Queue& queue = queues_[input];
  std::unique_ptr<RecordError> error;
  const int64_t timestamp = readTimestamp(queue, raw, error);
  processRecord(queue, raw, timestamp, error.get());
}

std::string Task::where(const RawRecord& raw) {
  return "topic " + std::string(raw.topic) + " partition " + std::to_string(raw.partition) + " offset " +
         std::to_string(raw.offset);
}

bool Task::mayProcessWithEmptyInputs() {
  if (services_.maxTaskIdleMs < 0) return true;
  const int64_t now = services_.maxTaskIdleMs > 0 ? services_.wallClock() : 0;
  bool ready = true;
  for (size_t i = 0; i < queues_.size(); ++i) {
    Queue& q = queues_[i];
    if (!q.records.empty()) continue;
    if (services_.maxTaskIdleMs == 0) {
      // Wait only for records the broker already has.
      if (services_.hasUnfetched && services_.hasUnfetched(inputs_[i].topic, inputs_[i].partition))
        ready = false;
    } else {
      if (q.emptySince < 0) q.emptySince = now;
      if (now - q.emptySince < services_.maxTaskIdleMs) ready = false;
    }
  }
  return ready;
}

bool Task::process() {
  if (!initialized_) return false;
  Queue* best = nullptr;
  bool anyEmpty = false;
  for (Queue& q : queues_) {
    if (q.records.empty()) {
      anyEmpty = true;
      continue;
    }
    q.emptySince = -1;
    const Buffered& head = q.records.front();
    if (head.error) {  // records not to be processed have no timestamp: deal with them first
      best = &q;
      break;
    }
    if (best == nullptr || head.timestamp < best->records.front().timestamp) best = &q;
  }
  if (best == nullptr) return false;
  if (anyEmpty && !best->records.front().error && !mayProcessWithEmptyInputs()) return false;

  // Processed where it lies, and popped however processing ends: nothing adds to a task's
  // queues while one of its records is processed.
  const Buffered& record = best->records.front();
  struct PopFront {
    RingQueue<Buffered>& records;
    ~PopFront() { records.pop_front(); }
  } popWhenDone{best->records};
  processRecord(*best, record.raw, record.timestamp, record.error.get());
  return true;
}

void Task::processRecord(Queue& queue, const RawRecord& raw, int64_t timestamp, const RecordError* error) {
  current_ = RecordMetadata{raw.topic, raw.partition, raw.offset};
  if (error) {
    switch (error->kind) {
      case RecordError::Kind::kUnreadable:
        skipOrFail(raw, error->reason);
        break;
      case RecordError::Kind::kNegativeTimestamp:
        log().warn("skipping the record at {} (task {}): {}", where(raw), id_.toString(), error->reason);
        if (services_.skippedRecords) services_.skippedRecords->fetch_add(1, std::memory_order_relaxed);
        break;
      case RecordError::Kind::kFatal:
        throw StreamsException("task " + id_.toString() + ": " + error->reason);
    }
  } else {
    if (timestamp > queue.partitionTime) {
      queue.partitionTime = timestamp;
      if (timestamp > streamTime_) streamTime_ = timestamp;
    }
    currentTimestamp_ = timestamp;
    try {
      queue.source->process(raw, timestamp);
    } catch (const DeserializationError& e) {
      skipOrFail(raw, e.what());
    } catch (const ProducerStateException&) {
      throw;
    } catch (const std::exception& e) {
      throw StreamsException("task " + id_.toString() + " failed to process the record at " + where(raw) +
                             ": " + e.what());
    }
  }
  queue.nextOffset = raw.offset + 1;
  current_ = RecordMetadata{};
  if (!schedules_.empty()) punctuateStreamTime();
}

void Task::skipOrFail(const RawRecord& raw, const std::string& reason) {
  if (services_.deserialization == DeserializationHandling::kLogAndFail)
    throw StreamsException(
        "cannot read the record at " + where(raw) + " (task " + id_.toString() + "): " +
        reason + ". Fix the producer, or set default.deserialization.exception.handler="
        "LogAndContinue to skip such records");
  log().warn("skipping the unreadable record at {} (task {}): {}", where(raw),
             id_.toString(), reason);
  if (services_.skippedRecords) services_.skippedRecords->fetch_add(1, std::memory_order_relaxed);
}

void Task::recordDropped(std::string_view node, std::string_view reason) {
  log().debug("task {} node {} dropped a record: {}", id_.toString(), node, reason);
  if (services_.droppedRecords) services_.droppedRecords->fetch_add(1, std::memory_order_relaxed);
}

std::vector<CommitOffset> Task::offsetsToCommit(bool all) const {
  std::vector<CommitOffset> out;
  for (size_t i = 0; i < queues_.size(); ++i)
    if (queues_[i].nextOffset > queues_[i].committedOffset || (all && queues_[i].nextOffset >= 0))
      out.push_back({inputs_[i].topic, inputs_[i].partition, queues_[i].nextOffset, queues_[i].partitionTime});
  return out;
}

void Task::markCommitted(std::string changelogMetadata) {
  for (Queue& q : queues_) q.committedOffset = q.nextOffset;
  committedChangelogMetadata_ = std::move(changelogMetadata);
  commitRequested_ = false;
}

void Task::resumePartitionTime(size_t input, int64_t partitionTime) {
  Queue& queue = queues_[input];
  queue.partitionTime = std::max(queue.partitionTime, partitionTime);
  streamTime_ = std::max(streamTime_, queue.partitionTime);
  queue.bufferedPartitionTime = std::max(queue.bufferedPartitionTime, queue.partitionTime);
  // Records buffered already (the committed offsets were read late) were given a partition
  // time without this one: their extractor, if it reads the partition time, runs again.
  if (queue.extraction != TimestampExtraction::kFunction &&
      queue.extraction != TimestampExtraction::kUsePartitionTimeOnInvalidTimestamp)
    return;
  queue.bufferedPartitionTime = queue.partitionTime;
  for (size_t n = queue.records.size(); n > 0; --n) {
    Buffered record = std::move(queue.records.front());
    queue.records.pop_front();
    record.error.reset();
    record.timestamp = readTimestamp(queue, record.raw, record.error);
    queue.records.emplace_back() = std::move(record);
  }
}

void Task::resumeProcessorMetadata(const std::map<std::string, int64_t, std::less<>>& metadata) {
  for (const auto& [key, value] : metadata) {
    auto [it, inserted] = processorMetadata_.try_emplace(key, value);
    if (!inserted) it->second = std::max(it->second, value);
  }
}

std::optional<int64_t> Task::processorMetadataForKey(std::string_view key) const {
  auto it = processorMetadata_.find(key);
  if (it == processorMetadata_.end()) return std::nullopt;
  return it->second;
}

void Task::addProcessorMetadataKeyValue(std::string_view key, int64_t value) {
  if (value < 0) throw std::invalid_argument("processor metadata " + std::string(key) + " cannot be negative");
  auto it = processorMetadata_.find(key);
  if (it == processorMetadata_.end()) processorMetadata_.emplace(std::string(key), value);
  else it->second = value;
}

void Task::clearBuffers() {
  for (Queue& q : queues_) {
    q.records.clear();
    q.bufferedPartitionTime = q.partitionTime;
  }
}

StateStore* Task::stateStore(std::string_view name) { return state_ ? state_->store(name) : nullptr; }

std::shared_ptr<KeyValueBytesStore> Task::globalStore(std::string_view name) {
  if (!services_.globalStores) return nullptr;
  auto it = services_.globalStores->find(std::string(name));
  return it == services_.globalStores->end() ? nullptr : it->second;
}

Cancellable Task::schedule(std::chrono::milliseconds interval, PunctuationType type,
                           Punctuator punctuator) {
  if (interval.count() < 1)
    throw StreamsException("a punctuation interval must be at least 1 ms");
  auto cancelled = std::make_shared<bool>(false);
  // Stream-time punctuations fire first with the first record; wall-clock ones one interval
  // from now. Both then fire every interval from there (see punctuate()).
  int64_t next = type == PunctuationType::STREAM_TIME ? 0 : services_.wallClock() + interval.count();
  schedules_.push_back({interval.count(), type, next, std::move(punctuator), cancelled});
  return Cancellable(cancelled);
}

void Task::punctuate(size_t index, int64_t now) {
  // The punctuator may schedule more punctuations, which may move schedules_.
  Punctuator punctuator = schedules_[index].punctuator;
  const int64_t interval = schedules_[index].interval;
  // As in Kafka Streams, a schedule keeps its phase (stream time: multiples of the interval;
  // wall clock: from when it was scheduled) and skips the punctuations it missed.
  int64_t& next = schedules_[index].next;
  next += ((now - next) / interval + 1) * interval;
  RecordMetadata saved = current_;
  const int64_t savedTimestamp = currentTimestamp_;
  current_ = RecordMetadata{};
  currentTimestamp_ = now;
  try {
    punctuator(now);
  } catch (const ProducerStateException&) {
    throw;
  } catch (const std::exception& e) {
    throw StreamsException("task " + id_.toString() + " failed in a punctuation: " + e.what());
  }
  current_ = saved;
  currentTimestamp_ = savedTimestamp;
}

bool Task::punctuateStreamTime() {
  if (schedules_.empty()) return false;
  bool any = false;
  for (size_t i = 0; i < schedules_.size(); ++i) {
    const Schedule& s = schedules_[i];
    if (s.type == PunctuationType::STREAM_TIME && !*s.cancelled && streamTime_ >= s.next) {
      punctuate(i, streamTime_);
      any = true;
    }
  }
  std::erase_if(schedules_, [](const Schedule& s) { return *s.cancelled; });
  return any;
}

bool Task::punctuateWallClock() {
  if (schedules_.empty()) return false;
  const int64_t now = services_.wallClock();
  bool any = false;
  for (size_t i = 0; i < schedules_.size(); ++i) {
    const Schedule& s = schedules_[i];
    if (s.type == PunctuationType::WALL_CLOCK_TIME && !*s.cancelled && now >= s.next) {
      punctuate(i, now);
      any = true;
    }
  }
  std::erase_if(schedules_, [](const Schedule& s) { return *s.cancelled; });
  return any;
}

}  // namespace kstreams::internal
