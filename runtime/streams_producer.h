// StreamsProducer: a stream thread's producer, and the RecordCollector its tasks write
// through (sinks, repartition topics, changelogs). Records are copied into librdkafka's
// queue on send; failures come back in delivery reports and surface at the next flush(), or
// at the next send (a non-transactional producer's own check; a transactional one's
// librdkafka refuses sends once its transaction must abort).
//
// Used by one thread only. Delivery reports are served by a thread of the producer's own
// (as the Java producer runs callbacks on its I/O thread), so the stream thread spends no
// time on them; flush() and the transaction calls return only after every report of the
// records sent before them has been handled (librdkafka counts a record as outstanding
// until the reporting thread is done with its report), which is what makes the offsets and
// the first error written there visible to the stream thread. A producer that sends no
// tracked records asks librdkafka for failed deliveries only: a successful one then costs
// no report.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "runtime/kafka_client.h"
#include "runtime/producer_errors.h"
#include "streams/internal/node.h"

namespace kstreams::internal {

// The librdkafka properties of a stream thread's producer: kstreams' defaults, the user's
// producer properties, and what kstreams owns (transactional.id if transactionalId is given).
std::map<std::string, std::string> streamProducerProperties(const StreamsConfig& config, const std::string& clientId,
                                                            const std::string& transactionalId, bool tracksOffsets);
class StreamsProducer final : public RecordCollector {
 public:
  // With a transactionalId, the producer is transactional (exactly_once_v2): the
  // constructor calls init_transactions, which also aborts whatever the previous producer
  // with this id left open, and every send belongs to a transaction.
  // Without tracksOffsets, sendTracked() must not be called (the thread has no stores):
  // only failed deliveries are reported then. Records let go under the Continue production
  // handler are counted in `dropped`, if given (it must outlive the producer).
  StreamsProducer(const StreamsConfig& config, const std::string& clientId,
                  const std::string& transactionalId = {}, bool tracksOffsets = true,
                  std::atomic<int64_t>* dropped = nullptr);
  ~StreamsProducer() override;

  void send(std::string_view topic, int32_t partition, std::optional<std::string_view> key,
            std::optional<std::string_view> value, int64_t timestamp,
            const Headers& headers) override;
  void sendTracked(std::string_view topic, int32_t partition, std::string_view key,
                   std::optional<std::string_view> value, int64_t timestamp, int64_t* slot) override;
  int64_t* offsetSlot(std::string_view topic, int32_t partition) override;
  int32_t partitionCount(std::string_view topic) override;

  // Waits until every record sent so far is acknowledged or has failed. Throws
  // StreamsException naming the first failed record's topic and the broker's error, unless
  // default.production.exception.handler is Continue. Once a record has failed, every later
  // flush throws too: nothing may be committed past a lost record. A record that failed for
  // a reason that may pass (see RedoSinceLastCommitException) makes it throw that instead,
  // whatever the handler says, until forgetFailuresToRedo().
  void flush();
  // Waits, up to default.api.timeout.ms, until every record sent so far is acknowledged or
  // has failed, without throwing: a failure is the business of the commit that follows.
  // Returns whether no record is outstanding.
  bool awaitDeliveries() { return awaitReports(apiTimeout_); }
  // The thread has rewound to the last commit, and will send again what failed to be
  // written for a reason that may pass: flush() no longer throws for those records.
  void forgetFailuresToRedo();
  rd_kafka_t* handle() { return producer_.get(); }

  bool transactional() const { return transactional_; }
  bool inTransaction() const { return inTransaction_; }
  // Commits the open transaction together with the consumer's offsets (beginning one first
  // if only offsets are to be committed). Throws TransactionAbortedException (the
  // transaction is aborted by then) or ProducerFencedException; or StreamsException when
  // the commit, asked again and again, has not ended within task.timeout.ms: its outcome is
  // then unknown, and only a new producer of the transactional id can settle it.
  void commitTransaction(const rd_kafka_topic_partition_list_t* offsets, rd_kafka_t* consumer);
  // Aborts the open transaction, if any, asking again while the abort times out, for up to
  // task.timeout.ms. Best effort: errors are logged.
  void abortTransaction();

 private:
  void beginTransactionIfNeeded();
  // abortTransaction(), asking again for up to `askFor` (0: once).
  void abortOpenTransaction(std::chrono::milliseconds askFor);
  // Calls a transactional API (given its timeout) until it succeeds, asking again each
  // time it times out, for up to task.timeout.ms. Past that, a commit (`committing`) throws
  // StreamsException, its outcome unknown; anything else aborts and throws
  // TransactionAbortedException. Other errors go to check().
  void askUntilSettled(const std::function<rd_kafka_error_t*(int)>& call, const char* what, bool committing);
  // Calls it (given default.api.timeout.ms) again while it times out, for up to `askFor`,
  // warning once. Returns its last error: none, one that is not a time-out, or the time-out
  // after `askFor`.
  KafkaError askAgainWhileTimingOut(const std::function<rd_kafka_error_t*(int)>& call, const char* what,
                                    std::chrono::milliseconds askFor);
  // Without a transaction: once a report has failed, the next send flushes (and so throws)
  // instead of sending.
  void stopIfADeliveryFailed();
  // Without a transaction, records after one that timed out that are still queued or being
  // retried would land before its redone copy, out of their input order (a broker back in
  // time for them, not for it): the redo sends them again anyway, so they are dropped now.
  void dropUnsentForRedo();
  // Turns a transactional API error into the exception the thread acts on. Returns
  // normally only for retriable errors (the caller retries until its deadline).
  void check(rd_kafka_error_t* error, const char* operation);
  // The reporting thread's loop, and what it does with each record's report.
  void serveReports();
  // recordsInBatch: the records of the produce request's batch the report is of.
  void onDelivery(const rd_kafka_message_t* message, size_t recordsInBatch);
  // A send librdkafka refused at once: dropped under the Continue handler if the error is
  // the record's own, else thrown as StreamsException(what).
  // recordBytes: the record's key and value, for the message about one too large.
  void refusedBeforeSending(rd_kafka_resp_err_t err, std::string what, size_t recordBytes);
  void drop(const std::string& what);  // counts and logs a record the Continue handler lets go
  // The transaction must be aborted: aborts it, then throws StreamsException with the first
  // failed record's error if one is known (retrying would fail the same way), else
  // TransactionAbortedException(what, and the failure to redo if a record's is known).
  [[noreturn]] void abortAndThrow(const std::string& what);
  // Waits until every record sent so far has had its delivery report handled. Returns
  // false if that took longer than `timeout`.
  bool awaitReports(std::chrono::milliseconds timeout);
  // awaitReports(default.api.timeout.ms), throwing if it times out.
  void awaitAllReports(const char* ofWhat);
  rd_kafka_topic_t* topicHandle(std::string_view topic);
  rd_kafka_topic_t* topicHandleByName(std::string_view topic);
  void throwIfFailed();

  KafkaHandle producer_;
  KafkaQueue reports_;  // the producer's main queue, where report events arrive
  ProductionHandling handling_;
  // Looked up by string_view per record, without building a std::string.
  struct TopicHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, rd_kafka_topic_t*, TopicHash, std::equal_to<>> topics_;
  std::map<std::string, int32_t, std::less<>> partitionCounts_;
  std::string lastTopic_;  // the last topic looked up, and its handle
  rd_kafka_topic_t* lastHandle_ = nullptr;
  // Offsets of tracked (changelog) partitions; std::map keeps their addresses stable.
  // Written by whichever thread serves reports; read by the stream thread after awaitReports().
  std::map<std::pair<std::string, int32_t>, int64_t> offsetSlots_;
  std::string firstError_;  // the first failure; sticky. Same access rule as offsetSlots_.
  // The first failure that may pass when redone (a record timed out), until forgotten.
  std::string failureToRedo_;
  // Whether a report has failed since the last abort or forgetFailuresToRedo(): read by the
  // stream thread at every send of a non-transactional producer, so that it rewinds at the
  // next record instead of at the next commit.
  std::atomic<bool> deliveryFailed_{false};
  bool transactional_ = false;
  bool tracksOffsets_ = true;
  bool inTransaction_ = false;
  std::chrono::milliseconds apiTimeout_;
  std::chrono::milliseconds taskTimeout_;  // how long askUntilSettled asks
  std::atomic<int64_t>* dropped_;
  std::mutex reportsMutex_;  // guards firstError_ and failureToRedo_
  std::atomic<bool> stopReporter_{false};
  std::thread reporter_;  // serves delivery reports; last member: started last, stopped first
};

}  // namespace kstreams::internal
