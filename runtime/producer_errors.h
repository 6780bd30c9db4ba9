// Failures of a stream thread's producer rather than of the record being processed. A task
// lets them through unwrapped, and the stream thread recovers from them. Internal.
#pragma once

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

}  // namespace kstreams::internal
