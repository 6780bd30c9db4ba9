// Failures of a stream thread's producer rather than of the record being processed. A task
// lets them through unwrapped, and the stream thread recovers from them. Internal.
#pragma once

#include <librdkafka/rdkafka.h>

#include "streams/errors.h"

namespace kstreams::internal {

class ProducerStateException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

// The work since the last commit must be done again: records it wrote failed for a reason
// that may pass (they timed out waiting for the broker: a leader gone, too few in-sync
// replicas), or its transaction was aborted. Nothing of it is committed; the thread closes
// its tasks without committing and rewinds them to the committed offsets, under either
// guarantee (Kafka Streams' TaskCorruptedException).
class RedoSinceLastCommitException : public ProducerStateException {
 public:
  using ProducerStateException::ProducerStateException;
};

// The open transaction failed and was aborted: its records and the offsets sent with it
// are void.
class TransactionAbortedException : public RedoSinceLastCommitException {
 public:
  using RedoSinceLastCommitException::RedoSinceLastCommitException;
};

// The producer can no longer be used (fenced by a newer producer with the same
// transactional.id, or another fatal error). The thread replaces it and rejoins the group.
class ProducerFencedException : public ProducerStateException {
 public:
  using ProducerStateException::ProducerStateException;
};

// Errors the broker would answer the same way to the same record sent again.
inline bool refusesAgain(rd_kafka_resp_err_t err) {
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
inline bool mayPassWhenRedone(rd_kafka_resp_err_t err) {
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

}  // namespace kstreams::internal
