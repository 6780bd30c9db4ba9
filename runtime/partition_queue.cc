#include "runtime/partition_queue.h"

#include <algorithm>

#include "streams/errors.h"

namespace kstreams::internal {

void Wakeup::arm() {
  std::lock_guard lock(mutex_);
  woken_ = false;
}

void Wakeup::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [this] { return woken_; });
}

void Wakeup::attach(rd_kafka_queue_t* queue, Wakeup* wakeup) {
  rd_kafka_queue_cb_event_enable(queue, wakeup ? &Wakeup::onEvent : nullptr, wakeup);
}

void Wakeup::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Wakeup::onEvent(rd_kafka_t*, void* self) {
  // librdkafka's thread: no librdkafka call, nothing slow.
  static_cast<Wakeup*>(self)->wake();
}

PartitionQueue::PartitionQueue(rd_kafka_t* consumer, const std::string& topic,
                               int32_t partition, Wakeup& wakeup, FetchDoorbell* doorbell)
    : queue_(rd_kafka_queue_get_partition(consumer, topic.c_str(), partition)), doorbell_(doorbell) {
  if (!queue_)
    throw StreamsException("cannot get the consumer queue of " + topic + " partition " +
                           std::to_string(partition));
  // librdkafka keeps an application's choice of forwarding when it assigns the partition.
  rd_kafka_queue_forward(queue_, nullptr);
  Wakeup::attach(queue_, &wakeup);
}

PartitionQueue::~PartitionQueue() { release(); }

PartitionQueue& PartitionQueue::operator=(PartitionQueue&& other) noexcept {
  if (this != &other) {
    release();
    queue_ = other.queue_;
    other.queue_ = nullptr;
    doorbell_ = other.doorbell_;
    broker_ = other.broker_;
    peak_ = other.peak_;
    valueBytes_ = other.valueBytes_;
    records_ = other.records_;
  }
  return *this;
}

void PartitionQueue::release() {
  if (!queue_) return;
  // The partition's queue outlives this handle inside librdkafka: it must not call a Wakeup
  // that may be gone.
  Wakeup::attach(queue_, nullptr);
  rd_kafka_queue_destroy(queue_);
  queue_ = nullptr;
}

size_t PartitionQueue::take(rd_kafka_message_t** out, size_t max) {
  if (!queue_ || max == 0) return 0;
  ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, out, max);
  if (n <= 0) return 0;
  if (doorbell_) refillIfLow(out, static_cast<size_t>(n));
  return static_cast<size_t>(n);
}

void PartitionQueue::refillIfLow(rd_kafka_message_t** taken, size_t n) {
  for (size_t i = 0; i < n; ++i) valueBytes_ += static_cast<int64_t>(taken[i]->len);
  records_ += static_cast<int64_t>(n);
  if (int32_t b = rd_kafka_message_broker_id(taken[n - 1]); b >= 0) broker_ = b;
  const size_t left = static_cast<size_t>(rd_kafka_queue_length(queue_));
  peak_ = std::max(peak_, left + n);
  if (left * 2 >= peak_) return;
  // Only a queue that was near librdkafka's stop level may have stopped its fetching; one
  // that never fills (a slow partition) is fetched without help.
  const double peak = static_cast<double>(peak_);
  const double meanValueBytes = static_cast<double>(valueBytes_) / static_cast<double>(records_);
  const bool wasFull = 2 * peak >= static_cast<double>(doorbell_->queueRecords()) ||
                       2 * peak * meanValueBytes >= static_cast<double>(doorbell_->queueBytes());
  if (wasFull && doorbell_->ring(broker_)) peak_ = left;
}

}  // namespace kstreams::internal
