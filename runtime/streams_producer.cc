#include "runtime/streams_producer.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "runtime/log.h"
#include "runtime/thread_name.h"

namespace kstreams::internal {

std::map<std::string, std::string> streamProducerProperties(const StreamsConfig& config, const std::string& clientId,
                                                            const std::string& transactionalId, bool tracksOffsets) {
  std::map<std::string, std::string> defaults = {
      // Java's partitioner, so keys land where Kafka Streams puts them.
      {"partitioner", "murmur2_random"},
      // Kafka Streams' producer defaults.
      {"linger.ms", "100"},
      {"message.timeout.ms", "120000"},
      // Retries never reorder or duplicate a partition's records.
      {"enable.idempotence", "true"},
  };
  std::map<std::string, std::string> owned;
  const auto user = config.clientProperties("producer");
  // librdkafka's alias of message.timeout.ms: a default under the other name would override
  // it (properties are applied in name order).
  const bool userSetsDeliveryTimeout = user.count("delivery.timeout.ms") || user.count("message.timeout.ms");
  if (!transactionalId.empty()) {
    // The timeout StreamsConfig checked against task.timeout.ms, in the form it read.
    // librdkafka wants deliveries to time out within a transaction's lifetime: a shorter
    // transaction.timeout.ms of the user's shortens the default delivery timeout with it.
    const auto transactionMs = config.transactionTimeout().count();
    owned["transaction.timeout.ms"] = std::to_string(transactionMs);
    defaults["message.timeout.ms"] =
        std::to_string(std::min<int64_t>(transactionMs, StreamsConfig::kDefaultTransactionTimeoutMs));
    owned["transactional.id"] = transactionalId;
  }
  if (userSetsDeliveryTimeout) defaults.erase("message.timeout.ms");
  // A success report is only needed for the offset of a tracked (changelog) record. Without
  // one, librdkafka frees a delivered record on its own thread, and the reporting thread
  // has nothing to do: about a tenth of a stateless thread's CPU (docs/benchmark-profiles.md).
  owned["delivery.report.only.error"] = tracksOffsets ? "false" : "true";
  return clientProperties(config, "producer", clientId, defaults, owned);
}

StreamsProducer::StreamsProducer(const StreamsConfig& config, const std::string& clientId,
                                 const std::string& transactionalId, bool tracksOffsets,
                                 std::atomic<int64_t>* dropped)
    : handling_(config.productionHandling()),
      transactional_(!transactionalId.empty()),
      tracksOffsets_(tracksOffsets),
      apiTimeout_(config.defaultApiTimeout()),
      taskTimeout_(config.taskTimeout()),
      dropped_(dropped) {
  KafkaConf conf = makeConf(streamProducerProperties(config, clientId, transactionalId, tracksOffsets));
  // Reports as events, served by the reporting thread only: rd_kafka_flush (and the
  // transaction calls, which flush) then waits on librdkafka's count of outstanding records
  // and wakes as it reaches zero. With report callbacks it polled the queue in 10 ms steps,
  // and a report served by the other thread (or none at all, for failed-only reports) left
  // every flush to end on such a step.
  rd_kafka_conf_set_events(conf.get(), RD_KAFKA_EVENT_DR);
  producer_ = createClient(RD_KAFKA_PRODUCER, std::move(conf));
  reports_.reset(rd_kafka_queue_get_main(producer_.get()));
  if (transactional_) {
    const auto deadline = std::chrono::steady_clock::now() + apiTimeout_;
    for (;;) {
      rd_kafka_error_t* e = rd_kafka_init_transactions(producer_.get(), static_cast<int>(apiTimeout_.count()));
      if (!e) break;
      KafkaError error(e);
      if (!rd_kafka_error_is_retriable(e) || std::chrono::steady_clock::now() > deadline)
        throw ProducerFencedException(std::string("cannot initialize transactions for transactional.id ") +
                                      transactionalId + ": " + rd_kafka_error_string(e));
    }
  }
  reporter_ = std::thread([this] {
    nameThisThread("ks-reports");
    serveReports();
  });
}

void StreamsProducer::serveReports() {
  const rd_kafka_message_t* batch[256];
  while (!stopReporter_.load(std::memory_order_relaxed)) {
    // A report event holds the records of one produce response; they are freed, and stop
    // counting as outstanding, when the event is destroyed, after onDelivery saw each.
    KafkaEvent event(rd_kafka_queue_poll(reports_.get(), 100));
    if (!event) continue;
    switch (rd_kafka_event_type(event.get())) {
      case RD_KAFKA_EVENT_DR: {
        // One event per produce request's batch for a partition: a batch the broker refused
        // comes whole.
        const size_t records = rd_kafka_event_message_count(event.get());
        for (size_t n; (n = rd_kafka_event_message_array(event.get(), batch, std::size(batch))) > 0;)
          for (size_t i = 0; i < n; ++i) onDelivery(batch[i], records);
        break;
      }
      case RD_KAFKA_EVENT_ERROR:
        // What rd_kafka_poll logged itself when no error callback is set.
        log().log(rd_kafka_event_error_is_fatal(event.get()) ? spdlog::level::err : spdlog::level::warn,
                  "librdkafka {}: {}", rd_kafka_name(producer_.get()), rd_kafka_event_error_string(event.get()));
        break;
      default:
        break;
    }
  }
}

void StreamsProducer::check(rd_kafka_error_t* e, const char* operation) {
  if (!e) return;
  KafkaError error(e);
  const std::string what = std::string(operation) + " failed: " + rd_kafka_error_string(e);
  if (rd_kafka_error_is_fatal(e)) throw ProducerFencedException(what);
  if (rd_kafka_error_txn_requires_abort(e)) abortAndThrow(what);
  if (rd_kafka_error_is_retriable(e)) return;
  throw ProducerFencedException(what);
}

void StreamsProducer::abortAndThrow(const std::string& what) {
  // A record that could not be written fails the same way every time it is retried: that
  // is the production exception handler's case, not a transaction to redo. The failed
  // record's report is queued when its transaction turns abortable, so it is served within
  // moments; the records queued behind it are never sent now, so flushing would not end.
  constexpr std::chrono::milliseconds kReportGrace{1000};
  const auto deadline = std::chrono::steady_clock::now() + std::min(apiTimeout_, kReportGrace);
  auto failures = [this] {
    std::lock_guard lock(reportsMutex_);
    return std::pair(firstError_, failureToRedo_);
  };
  // A record that timed out does not end the wait: a refused one (the thread's error, not
  // a redo) may report a moment later.
  auto [delivery, toRedo] = failures();
  while (delivery.empty() && !awaitReports(std::chrono::milliseconds(20)) && std::chrono::steady_clock::now() < deadline)
    std::tie(delivery, toRedo) = failures();
  std::tie(delivery, toRedo) = failures();
  abortTransaction();
  if (!delivery.empty()) throw StreamsException(delivery);
  throw TransactionAbortedException(toRedo.empty() ? what : what + " (" + toRedo + ")");
}

void StreamsProducer::beginTransactionIfNeeded() {
  if (!transactional_ || inTransaction_) return;
  check(rd_kafka_begin_transaction(producer_.get()), "beginning a transaction");
  inTransaction_ = true;
}

void StreamsProducer::commitTransaction(const rd_kafka_topic_partition_list_t* offsets, rd_kafka_t* consumer) {
  if (offsets && offsets->cnt > 0) beginTransactionIfNeeded();
  if (!inTransaction_) return;
  if (offsets && offsets->cnt > 0) {
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, KafkaDeleter> group(rd_kafka_consumer_group_metadata(consumer));
    askUntilSettled(
        [&](int timeoutMs) {
          return rd_kafka_send_offsets_to_transaction(producer_.get(), offsets, group.get(), timeoutMs);
        },
        "sending offsets to the transaction", false);
  }
  askUntilSettled([&](int timeoutMs) { return rd_kafka_commit_transaction(producer_.get(), timeoutMs); },
                  "committing the transaction", true);
  inTransaction_ = false;
  // A commit means every record of the transaction was delivered; their reports (changelog
  // offsets) are handled before the stores checkpoint them.
  awaitAllReports("a committed transaction");
  throwIfFailed();
}

namespace {

// A transactional call that timed out: retriable, and neither fatal nor needing an abort.
// librdkafka goes on with it in the background and resumes it when it is called again.
bool timedOut(const rd_kafka_error_t* e) {
  return rd_kafka_error_is_retriable(e) && !rd_kafka_error_txn_requires_abort(e) && !rd_kafka_error_is_fatal(e);
}

}  // namespace

KafkaError StreamsProducer::askAgainWhileTimingOut(const std::function<rd_kafka_error_t*(int)>& call,
                                                  const char* what, std::chrono::milliseconds askFor) {
  const auto started = std::chrono::steady_clock::now();
  bool warned = false;
  for (;;) {
    KafkaError e(call(static_cast<int>(apiTimeout_.count())));
    if (!e || !timedOut(e.get())) return e;
    const auto waitedMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (waitedMs >= askFor.count()) return e;
    if (!warned)
      log().warn("{} has not completed in {} ms ({}); asking again, up to task.timeout.ms", what, waitedMs,
                 rd_kafka_error_string(e.get()));
    warned = true;
  }
}

void StreamsProducer::askUntilSettled(const std::function<rd_kafka_error_t*(int)>& call, const char* what,
                                      bool committing) {
  // A call that timed out goes on in the background, and librdkafka resumes it when asked
  // again. A commit that timed out must not be aborted: its EndTxn may have reached the
  // coordinator, which then completes it whatever happens here; an abort then fails
  // (INVALID_TXN_STATE), and the thread would redo work that is committed, restoring its
  // stores from changelogs that may not show the commit yet while the input offsets do.
  KafkaError e = askAgainWhileTimingOut(call, what, taskTimeout_);
  if (!e) return;
  if (!timedOut(e.get())) {
    check(e.release(), what);  // throws for each of these (and owns the error)
    return;
  }
  const std::string failure = std::string(what) + " did not complete within " + std::to_string(taskTimeout_.count()) +
                              " ms (task.timeout.ms): " + rd_kafka_error_string(e.get());
  if (!committing) {
    abortTransaction();
    throw TransactionAbortedException(failure);
  }
  // The thread fails; its producer's destructor must not try to abort this one.
  inTransaction_ = false;
  throw StreamsException(failure +
                         "; its outcome is unknown, so the work since the last commit cannot be redone here. Check "
                         "the brokers; a restart settles the transaction and goes on from what it committed");
}

void StreamsProducer::abortTransaction() { abortOpenTransaction(taskTimeout_); }

void StreamsProducer::abortOpenTransaction(std::chrono::milliseconds askFor) {
  if (!inTransaction_) return;
  inTransaction_ = false;
  // An abort that timed out goes on in the background too. Given up on, it left the
  // producer aborting: each send after the redo then failed ("Erroneous state"), and the
  // thread redid its work again every default.api.timeout.ms until the abort was done.
  KafkaError e = askAgainWhileTimingOut(
      [this](int timeoutMs) { return rd_kafka_abort_transaction(producer_.get(), timeoutMs); },
      "aborting a transaction", askFor);
  if (e) log().warn("aborting a transaction failed: {}", rd_kafka_error_string(e.get()));
  // Records of an aborted transaction are gone by design; their failures are moot.
  awaitReports(apiTimeout_);
  std::lock_guard lock(reportsMutex_);
  firstError_.clear();
  failureToRedo_.clear();
  deliveryFailed_.store(false, std::memory_order_relaxed);
}

StreamsProducer::~StreamsProducer() {
  // Once: a producer that goes away does not wait for the brokers; the next producer of
  // its transactional id, or the transaction timeout, settles what it left open.
  abortOpenTransaction(std::chrono::milliseconds(0));
  for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
  // Records still queued are dropped: the thread flushed before a clean close, and after a
  // failure the offsets of their input were not committed, so they are not lost.
  rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  awaitReports(apiTimeout_);
  stopReporter_ = true;
  rd_kafka_yield(producer_.get());
  reporter_.join();
}

rd_kafka_topic_t* StreamsProducer::topicHandle(std::string_view topic) {
  // A sink names the same topic record after record: a comparison is cheaper than a hash.
  if (lastHandle_ && topic == lastTopic_) return lastHandle_;
  rd_kafka_topic_t* rkt = topicHandleByName(topic);
  lastTopic_.assign(topic);
  lastHandle_ = rkt;
  return rkt;
}

rd_kafka_topic_t* StreamsProducer::topicHandleByName(std::string_view topic) {
  auto it = topics_.find(topic);
  if (it != topics_.end()) return it->second;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(producer_.get(), std::string(topic).c_str(), nullptr);
  if (rkt == nullptr)
    throw StreamsException("cannot write to topic " + std::string(topic) + ": " +
                           rd_kafka_err2str(rd_kafka_last_error()));
  topics_.emplace(std::string(topic), rkt);
  return rkt;
}

void StreamsProducer::send(std::string_view topic, int32_t partition,
                           std::optional<std::string_view> key,
                           std::optional<std::string_view> value, int64_t timestamp,
                           const Headers& headers) {
  stopIfADeliveryFailed();
  beginTransactionIfNeeded();
  rd_kafka_resp_err_t err =
      produce(producer_.get(), topicHandle(topic), partition, key, value, timestamp, headers);
  if (err)
    refusedBeforeSending(err, "cannot write a record to topic " + std::string(topic) + ": " + rd_kafka_err2str(err),
                         (key ? key->size() : 0) + (value ? value->size() : 0));
}

void StreamsProducer::sendTracked(std::string_view topic, int32_t partition, std::string_view key,
                                  std::optional<std::string_view> value, int64_t timestamp, int64_t* slot) {
  static const Headers kNoHeaders;
  if (!tracksOffsets_)
    throw std::logic_error("a changelog record sent through a producer made for a thread without stores");
  stopIfADeliveryFailed();
  beginTransactionIfNeeded();
  rd_kafka_resp_err_t err =
      produce(producer_.get(), topicHandle(topic), partition, key, value, timestamp, kNoHeaders, slot);
  if (err)
    refusedBeforeSending(err,
                         "cannot write a changelog record to " + partitionName(std::string(topic), partition) + ": " +
                             rd_kafka_err2str(err),
                         key.size() + (value ? value->size() : 0));
}

void StreamsProducer::stopIfADeliveryFailed() {
  // A transactional producer's librdkafka refuses the record itself once its transaction
  // must abort.
  if (!transactional_ && deliveryFailed_.load(std::memory_order_relaxed)) flush();
}

void StreamsProducer::dropUnsentForRedo() {
  if (!transactional_) rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

// A record librdkafka refuses before queueing it (larger than message.max.bytes, a topic or
// partition it knows does not exist) never enters a transaction: the Continue handler can
// let it go under either guarantee. A transactional producer refuses every record once its
// transaction must be aborted (a record failed: its own error is the one to report) or
// once it is fenced.
void StreamsProducer::refusedBeforeSending(rd_kafka_resp_err_t err, std::string what, size_t recordBytes) {
  const bool tooLarge = err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
  if (tooLarge)
    what += recordTooLargeToSend(producer_.get(), recordBytes, "producer.message.max.bytes");
  if (handling_ == ProductionHandling::kContinue &&
      (tooLarge || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)) {
    drop(what);
    return;
  }
  if (tooLarge)
    throw StreamsException(what +
                           ". Raise producer.message.max.bytes (and the topic's max.message.bytes), or set "
                           "default.production.exception.handler=Continue to drop such records");
  if (transactional_ && err == RD_KAFKA_RESP_ERR__FATAL) {
    char reason[512];
    rd_kafka_fatal_error(producer_.get(), reason, sizeof reason);
    throw ProducerFencedException(what + " (" + reason + ")");
  }
  if (transactional_ && err == RD_KAFKA_RESP_ERR__STATE) abortAndThrow(what);
  throw StreamsException(what);
}

namespace {

// Errors the broker would answer the same way to the same record sent again.
bool refusesAgain(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return true;
    default:
      return false;
  }
}

// Errors of a record that may pass when it is sent again: librdkafka retried it until
// message.timeout.ms (a leader gone, too few in-sync replicas, a broker unreachable).
bool mayPassWhenRedone(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace

void StreamsProducer::drop(const std::string& what) {
  if (dropped_) dropped_->fetch_add(1, std::memory_order_relaxed);
  log().warn("{}; the record is dropped (default.production.exception.handler=Continue)", what);
}

int64_t* StreamsProducer::offsetSlot(std::string_view topic, int32_t partition) {
  auto [it, inserted] = offsetSlots_.try_emplace({std::string(topic), partition}, -1);
  return &it->second;
}

void StreamsProducer::onDelivery(const rd_kafka_message_t* m, size_t recordsInBatch) {
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    // A tracked record: its partition's offset slot (see sendTracked), read by the stream
    // thread after a flush. Keep the highest, whatever order reports come in.
    if (m->_private) {
      std::atomic_ref<int64_t> slot(*static_cast<int64_t*>(m->_private));
      int64_t seen = slot.load(std::memory_order_relaxed);
      while (seen < m->offset && !slot.compare_exchange_weak(seen, m->offset, std::memory_order_relaxed)) {
      }
    }
    return;
  }
  // Purged by this producer: at an abort, whose records are redone, or at its destruction
  // after a failure, whose input was not committed. Neither loses a record.
  if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) return;
  std::string what = "writing to " +
                     partitionName(rd_kafka_topic_name(m->rkt), m->partition) + " failed: " +
                     rd_kafka_err2str(m->err);
  if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
    what += " (create the topic before starting the application)";
  // The broker refuses a batch larger than the topic's limit whole, and librdkafka does not
  // split it as the Java producer does: which of its records is too large is unknown, and
  // records that fit fail with the one that does not.
  const bool batchRefused = m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && recordsInBatch > 1;
  if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
    what += (batchRefused ? " (a batch of " + std::to_string(recordsInBatch) + " records, this one's key and value " +
                                std::to_string(m->key_len + m->len) + " bytes, "
                          : " (a record of " + std::to_string(m->key_len + m->len) + " bytes of key and value, ") +
            "larger than the topic's max.message.bytes, the broker's message.max.bytes unless the topic sets one)";
  // Neither lost nor the record's fault: the thread redoes the work since the last commit,
  // whatever the production handler says (as Kafka Streams 3 does with a retriable error).
  if (mayPassWhenRedone(m->err)) {
    bool first = false;
    {
      std::lock_guard lock(reportsMutex_);
      first = failureToRedo_.empty();
      if (first) failureToRedo_ = what;
      deliveryFailed_.store(true, std::memory_order_relaxed);
    }
    if (first) dropUnsentForRedo();
    return;
  }
  if (handling_ == ProductionHandling::kContinue && !transactional_) {
    if (!batchRefused) {
      drop(what);
      return;
    }
    what += ". Continue drops a record the broker refused alone, not the records that fit in its batch: set "
            "producer.message.max.bytes no larger than the topic's max.message.bytes, so that batches fit and a "
            "record too large is refused before it is sent";
  } else if (handling_ == ProductionHandling::kContinue) {
    // Any failed record makes its transaction abortable (librdkafka), so nothing can be
    // dropped from it: the thread aborts and redoes the transaction's records. A record that
    // failed on the way (the producer's epoch was bumped) may get through then; one the
    // broker refused would be refused again at every redo, forever.
    if (!refusesAgain(m->err)) return;
    what += "; under exactly_once_v2 a record cannot be dropped (default.production.exception.handler=Continue): "
            "its transaction cannot commit without it, and would be refused again when redone";
    if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
      what += ". With producer.message.max.bytes no larger than the topic's max.message.bytes, such records are "
              "refused before they are sent, where Continue can drop them";
  }
  if (handling_ == ProductionHandling::kFail && refusesAgain(m->err)) {
    if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
      what += ". Raise the topic's max.message.bytes, or set producer.message.max.bytes no larger than it: batches "
              "then fit, and a larger record is refused before it is sent, where "
              "default.production.exception.handler=Continue drops it";
    else if (!transactional_)
      what += ". Set default.production.exception.handler=Continue to drop records the broker refuses";
  }
  std::lock_guard lock(reportsMutex_);
  if (firstError_.empty()) firstError_ = what;
  deliveryFailed_.store(true, std::memory_order_relaxed);
}

bool StreamsProducer::awaitReports(std::chrono::milliseconds timeout) {
  // rd_kafka_flush returns once no record is outstanding, and a record is outstanding until
  // the reporting thread has handled its report (see serveReports).
  return rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

void StreamsProducer::awaitAllReports(const char* ofWhat) {
  if (!awaitReports(apiTimeout_))
    throw StreamsException(std::string("the delivery reports of ") + ofWhat + " did not arrive within " +
                           std::to_string(apiTimeout_.count()) + " ms");
}

void StreamsProducer::throwIfFailed() {
  std::lock_guard lock(reportsMutex_);
  if (!firstError_.empty()) throw StreamsException(firstError_);
  if (!failureToRedo_.empty())
    throw RedoSinceLastCommitException(failureToRedo_ + "; nothing since the last commit is committed");
}

void StreamsProducer::forgetFailuresToRedo() {
  std::lock_guard lock(reportsMutex_);
  failureToRedo_.clear();
  deliveryFailed_.store(!firstError_.empty(), std::memory_order_relaxed);
}

void StreamsProducer::flush() {
  if (!transactional_ && deliveryFailed_.load(std::memory_order_relaxed)) {
    bool redoing;
    {
      std::lock_guard lock(reportsMutex_);
      redoing = !failureToRedo_.empty();
    }
    // Also what was sent after onDelivery's drop, before the thread saw the failure.
    if (redoing) dropUnsentForRedo();
  }
  // Bounded by message.timeout.ms: by then every record is delivered or failed.
  while (!awaitReports(std::chrono::milliseconds(1000))) {
  }
  throwIfFailed();
}

int32_t StreamsProducer::partitionCount(std::string_view topic) {
  auto it = partitionCounts_.find(topic);
  if (it != partitionCounts_.end()) return it->second;
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(producer_.get(), 0, topicHandle(topic), &md, 10000);
  KafkaMetadata owned(md);
  if (err || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt == 0)
    throw StreamsException("cannot find the partitions of topic " + std::string(topic) + ": " +
                           rd_kafka_err2str(err ? err : md->topics[0].err) +
                           "; create the topic before starting the application");
  int32_t n = md->topics[0].partition_cnt;
  partitionCounts_.emplace(std::string(topic), n);
  return n;
}

}  // namespace kstreams::internal
