#include "runtime/partition_queue.h"

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

void Wakeup::onEvent(rd_kafka_t*, void* self) {
  // librdkafka's thread: no librdkafka call, nothing slow.
  auto* w = static_cast<Wakeup*>(self);
  {
    std::lock_guard lock(w->mutex_);
    w->woken_ = true;
  }
  w->cv_.notify_one();
}

PartitionQueue::PartitionQueue(rd_kafka_t* consumer, const std::string& topic,
                               int32_t partition, Wakeup& wakeup)
    : queue_(rd_kafka_queue_get_partition(consumer, topic.c_str(), partition)) {
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
  return n > 0 ? static_cast<size_t>(n) : 0;
}

}  // namespace kstreams::internal
