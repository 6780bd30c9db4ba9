// Wakes librdkafka's fetcher for a broker after a consumer took most of a partition's
// prefetched records, so that a small prefetch budget does not stall the consumer.
//
// librdkafka (2.0, Debian bookworm's) stops fetching a partition whose prefetch queue holds
// queued.max.messages.kbytes (or queued.min.messages). The broker's thread decides again
// only when something wakes it: I/O on its connection, an operation queued for it, or a
// one-second timeout. When every partition it fetches for is full, nothing else does, so a
// consumer that takes the queue faster than in a second waits for the rest of that second.
// The prefetch budget then had to hold a second of processing: most of a stateful thread's
// memory, as librdkafka keeps about 350 bytes per prefetched 100-byte record.
//
// A request to the broker is an operation for its thread: after sending it, the thread
// decides for every partition again and fetches those below the threshold. The request is
// DescribeConfigs of the broker's own `broker.id`: read-only, small, answered by every broker
// (an authorization error wakes the thread all the same, and is ignored, though the broker's
// authorizer may log it; prefetch.refill.requests=false turns the requests off).
//
// Not thread-safe: one per stream thread, used by that thread only.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <vector>

namespace kstreams::internal {

class FetchDoorbell {
 public:
  // `queueBytes` and `queueRecords`: the consumer's queued.max.messages.kbytes (in bytes)
  // and queued.min.messages, where librdkafka stops fetching a partition.
  FetchDoorbell(rd_kafka_t* consumer, int64_t queueBytes, int64_t queueRecords);
  ~FetchDoorbell();
  FetchDoorbell(const FetchDoorbell&) = delete;
  FetchDoorbell& operator=(const FetchDoorbell&) = delete;

  // Sends the request to broker `broker` unless one to it is unanswered (the first one
  // wakes the thread for everything below the threshold by then). Returns whether it sent.
  bool ring(int32_t broker);

  // Takes the answers that came; call from the owning thread's loop. Cheap when none is
  // outstanding.
  void collect();

  int64_t queueBytes() const { return queueBytes_; }
  int64_t queueRecords() const { return queueRecords_; }

  // Requests sent so far.
  int64_t rings() const { return rings_; }

 private:
  rd_kafka_t* consumer_;
  rd_kafka_queue_t* answers_;
  const int64_t queueBytes_;
  const int64_t queueRecords_;
  std::vector<int32_t> outstanding_;  // brokers with an unanswered request; a handful
  int64_t rings_ = 0;
};

}  // namespace kstreams::internal
