// Failures of a stream thread's producer rather than of the record being processed. A task
// lets them through unwrapped, and the stream thread recovers from them. Internal.
#pragma once

#include "streams/errors.h"

namespace kstreams::internal {

class ProducerStateException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

// The open transaction failed and was aborted: its records and the offsets sent with it
// are void. The thread rewinds its tasks to the committed offsets.
class TransactionAbortedException : public ProducerStateException {
 public:
  using ProducerStateException::ProducerStateException;
};

// The producer can no longer be used (fenced by a newer producer with the same
// transactional.id, or another fatal error). The thread replaces it and rejoins the group.
class ProducerFencedException : public ProducerStateException {
 public:
  using ProducerStateException::ProducerStateException;
};

}  // namespace kstreams::internal
