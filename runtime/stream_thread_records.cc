// A stream thread's intake: records taken from its partitions' queues into their tasks'
// buffers (or processed as they arrive), and the tasks processed in turns.
#include <algorithm>
#include <optional>

#include "runtime/fetched_headers.h"
#include "runtime/log.h"
#include "runtime/stream_thread.h"

namespace kstreams::internal {
namespace {

// A consumed message and its headers, converted once, kept alive while the task buffers it.
struct MessageWithHeaders {
  rd_kafka_message_t* message;
  Headers headers;
};

void destroyMessage(void* p) { rd_kafka_message_destroy(static_cast<rd_kafka_message_t*>(p)); }
void destroyMessageWithHeaders(void* p) {
  auto* m = static_cast<MessageWithHeaders*>(p);
  rd_kafka_message_destroy(m->message);
  delete m;
}

// Asking parses the headers, even an empty list (librdkafka 2.0): only tasks that use them
// ask, and only for records that may have some (fetched_headers.h).
bool hasHeaders(const Task& task, rd_kafka_message_t* m) {
  if (!task.seesHeaders() || fetchedRecordHasNoHeaders(m)) return false;
  rd_kafka_headers_t* hdrs = nullptr;
  return rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs && rd_kafka_header_cnt(hdrs) > 0;
}

// How long a task with several inputs waits for records of an empty input that the broker
// has but the consumer has not delivered yet, under max.task.idle.ms=0. A bound, so that a
// partition whose last offsets hold no records (transaction markers) cannot stall the task.
constexpr std::chrono::milliseconds kMaxWaitForFetchedData{1000};
// Records taken from a partition's queue per round, at most. A round buffers what it takes
// and then processes it (unless its task processes records as they arrive): a small round's
// records are still in the core's cache when they are processed (1,000 records a partition,
// four partitions, was 600 KB of buffer entries alone, past a 512 KB L2, and every record was
// fetched from memory twice).
constexpr size_t kRecordsPerFetchRound = 64;

}  // namespace

int64_t StreamThread::fetchRecords(int64_t& processed) {
  const size_t limit = static_cast<size_t>(config_.bufferedRecordsPerPartition());
  std::vector<rd_kafka_message_t*>& batch = fetchBatch_;
  int64_t total = 0;
  for (auto& [topic, routes] : routes_) {
    for (Route& r : routes) {
      if (!r.task) continue;
      const bool onArrival = r.task->processesOnArrival(r.input);
      const size_t buffered = r.task->buffered(r.input);
      if (buffered >= limit) continue;
      batch.resize(std::min(limit - buffered, kRecordsPerFetchRound));
      const size_t n = r.queue.take(batch.data(), batch.size());
      for (size_t i = 0; i < n; ++i) {
        try {
          // A partition's queue holds its own records, and errors.
          if (batch[i]->err) {
            handleMessage(batch[i]);
          } else if (onArrival) {
            processArrived(r, batch[i]);
            ++processed;
          } else {
            addToTask(r, batch[i]);
          }
        } catch (...) {
          for (size_t j = i + 1; j < n; ++j) rd_kafka_message_destroy(batch[j]);
          throw;
        }
      }
      total += static_cast<int64_t>(n);
    }
  }
  return total;
}

StreamThread::Route* StreamThread::route(rd_kafka_topic_t* rkt, int32_t partition) {
  auto it = routesByHandle_.find(rkt);
  std::vector<Route>* routes = nullptr;
  if (it != routesByHandle_.end()) {
    routes = it->second;
  } else {
    auto byName = routes_.find(rd_kafka_topic_name(rkt));
    if (byName == routes_.end()) return nullptr;
    routes = &byName->second;
    routesByHandle_.emplace(rkt, routes);
  }
  if (partition < 0 || static_cast<size_t>(partition) >= routes->size()) return nullptr;
  Route& r = (*routes)[partition];
  return r.task ? &r : nullptr;
}

StreamsException StreamThread::noStartPosition(const std::string& topic, int32_t partition,
                                               const std::string& why) const {
  return StreamsException(fmt::format(
      "input topic {} partition {} has no position to start from: {}. Set consumer.auto.offset.reset to "
      "earliest or latest, or commit a start offset for the group {} (kafka-consumer-groups.sh --reset-offsets)",
      topic, partition, why, config_.applicationId()));
}

void StreamThread::handleMessage(rd_kafka_message_t* m) {
  if (m->err) {
    rd_kafka_resp_err_t err = m->err;
    std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    std::string text = rd_kafka_message_errstr(m);
    const int32_t partition = m->partition;
    rd_kafka_message_destroy(m);
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    if (topicGoneOrForbidden(err))
      throw MissingSourceTopicException("input topic " + topic + " cannot be read: " + text +
                                        " (was it deleted? does the application have access?)");
    if (err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) throw noStartPosition(topic, partition, text);
    log().warn("{}: consumer error{}: {}", name_, topic.empty() ? "" : " on topic " + topic, text);
    return;
  }
  Route* r = route(m->rkt, m->partition);
  if (r == nullptr) {  // a record of a partition no longer assigned to this thread
    rd_kafka_message_destroy(m);
    return;
  }
  addToTask(*r, m);
}

RawRecord StreamThread::rawRecordOf(Route& route, const rd_kafka_message_t* m) {
  RawRecord raw;
  // The task's copy of the name (the record's topic): it outlives the record.
  raw.topic = route.task->inputs()[route.input].topic;
  raw.partition = m->partition;
  raw.offset = m->offset;
  raw.timestamp = rd_kafka_message_timestamp(m, nullptr);
  if (m->key) raw.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) raw.value = std::string_view(static_cast<const char*>(m->payload), m->len);
  route.nextOffset = m->offset + 1;
  route.waitingSince = {};
  return raw;
}

void StreamThread::addToTask(Route& route, rd_kafka_message_t* m) {
  RawRecord raw = rawRecordOf(route, m);
  if (hasHeaders(*route.task, m)) {
    auto* owned = new MessageWithHeaders{m, headersOf(m)};
    raw.headers = &owned->headers;
    route.task->addRecord(route.input, raw, RecordOwner(owned, destroyMessageWithHeaders));
  } else {
    route.task->addRecord(route.input, raw, RecordOwner(m, destroyMessage));
  }
}

void StreamThread::processArrived(Route& route, rd_kafka_message_t* m) {
  const RecordOwner owner(m, destroyMessage);
  RawRecord raw = rawRecordOf(route, m);
  std::optional<Headers> headers;
  if (hasHeaders(*route.task, m)) raw.headers = &headers.emplace(headersOf(m));
  route.task->processArrived(route.input, raw);
}

int64_t StreamThread::processRecords() {
  constexpr int kRecordsPerTaskTurn = 100;
  int64_t total = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& [id, task] : tasks_) {
      for (int i = 0; i < kRecordsPerTaskTurn && task->process(); ++i) {
        ++total;
        progress = true;
      }
    }
  }
  return total;
}

bool StreamThread::hasUnfetched(const std::string& topic, int32_t partition) {
  auto routes = routes_.find(topic);
  if (routes == routes_.end() || static_cast<size_t>(partition) >= routes->second.size()) return false;
  Route& r = routes->second[partition];
  int64_t low = -1, high = -1;
  // Cached from the last fetch response; -1 until the first one.
  rd_kafka_get_watermark_offsets(consumer_.get(), topic.c_str(), partition, &low, &high);
  if (high >= 0 && low == high) return false;  // empty
  if (r.nextOffset < 0) {
    PartitionList position(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(position.get(), topic.c_str(), partition);
    if (!rd_kafka_position(consumer_.get(), position.get()) && position->elems[0].offset >= 0)
      r.nextOffset = position->elems[0].offset;
  }
  if (high >= 0 && r.nextOffset >= high) return false;  // caught up
  // Records on the broker not delivered yet, or no fetch has said how many: wait, as Kafka
  // Streams does for a partition whose lag it does not know. But not forever: the last
  // offsets may be transaction markers, which are never delivered.
  if (r.gaveUpAt == r.nextOffset) return false;
  const auto now = std::chrono::steady_clock::now();
  if (r.waitingSince == std::chrono::steady_clock::time_point{}) r.waitingSince = now;
  if (now - r.waitingSince > kMaxWaitForFetchedData) {
    r.gaveUpAt = r.nextOffset;
    return false;
  }
  return true;
}

}  // namespace kstreams::internal
