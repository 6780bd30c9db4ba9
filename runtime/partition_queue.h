// How a stream thread takes records from its consumer: one librdkafka queue per assigned
// input partition instead of the consumer's single queue, so the thread takes records only
// from partitions whose task has room.
//
// Why not pause: librdkafka drops a paused partition's prefetched records and fetches them
// again on resume. A task with two inputs pauses them in turn (each fills its buffer while
// the task waits for the other), so both starve. With a queue per partition, the records a
// task has no room for wait in librdkafka's prefetch queue, which fetching stops filling at
// queued.min.messages / queued.max.messages.kbytes (per partition for such queues). When
// the thread has taken half of a queue that had filled up, it rings the FetchDoorbell, so
// librdkafka refills the queue without waiting for its one-second recheck.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "runtime/fetch_doorbell.h"

namespace kstreams::internal {

// Wakes a waiting stream thread when librdkafka puts something in a queue that was empty:
// records of a partition, or a rebalance or error on the consumer queue.
class Wakeup {
 public:
  // Events from now on end the next wait at once. Call before taking from the queues, so
  // that an event between taking and waiting is not missed.
  void arm();
  // Waits for an event since arm(), at most `timeout`.
  void wait(std::chrono::milliseconds timeout);
  // An event from outside librdkafka (KafkaStreams::resume): ends the current or next wait.
  // Any thread; nothing slow.
  void wake();
  // Makes librdkafka call this Wakeup (from its own threads) when `queue` gets an element
  // while empty; nullptr `wakeup` stops it.
  static void attach(rd_kafka_queue_t* queue, Wakeup* wakeup);

 private:
  static void onEvent(rd_kafka_t* rk, void* self);

  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
};

// The queue of one assigned partition, taken out of the consumer queue. Create it before
// the partition is assigned (in the rebalance callback), so no record of it reaches the
// consumer queue; destroy it before the consumer is closed.
class PartitionQueue {
 public:
  PartitionQueue() = default;
  // `doorbell` may be null (no wake-ups); it must outlive this queue.
  PartitionQueue(rd_kafka_t* consumer, const std::string& topic, int32_t partition,
                 Wakeup& wakeup, FetchDoorbell* doorbell);
  ~PartitionQueue();
  PartitionQueue(PartitionQueue&& other) noexcept { *this = std::move(other); }
  PartitionQueue& operator=(PartitionQueue&& other) noexcept;
  PartitionQueue(const PartitionQueue&) = delete;
  PartitionQueue& operator=(const PartitionQueue&) = delete;

  // Up to `max` messages (records or errors) of this partition, without waiting; the caller
  // owns them. Returns how many.
  size_t take(rd_kafka_message_t** out, size_t max);

 private:
  void release();
  // After taking `n` messages: rings the doorbell if the queue had reached the level where
  // librdkafka stops fetching and is now below half of it.
  void refillIfLow(rd_kafka_message_t** taken, size_t n);

  rd_kafka_queue_t* queue_ = nullptr;
  FetchDoorbell* doorbell_ = nullptr;
  int32_t broker_ = -1;        // the broker the last record came from
  size_t peak_ = 0;            // the most messages seen in the queue since the last ring
  int64_t valueBytes_ = 0;     // of the records taken, as librdkafka counts the queue's size
  int64_t records_ = 0;
};

}  // namespace kstreams::internal
