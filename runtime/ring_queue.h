// RingQueue: a FIFO queue over one growable circular array. A task's buffer of consumed
// records lives in one of these: after it has grown to the buffer's bound it allocates
// nothing more, where std::deque allocates and frees a block every few records.
//
// Slots stay constructed: pop_front() assigns a default T to the slot it leaves, so T's
// resources are released then, and T must be default-constructible and move-assignable.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace kstreams::internal {

template <class T>
class RingQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }

  // Returns the new last element, default-constructed or reused (assigned a fresh T).
  T& emplace_back() {
    if (size_ == slots_.size()) grow();
    T& slot = slots_[(head_ + size_) & (slots_.size() - 1)];
    ++size_;
    return slot;
  }

  void pop_front() {
    slots_[head_] = T();
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }

  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }

 private:
  // Capacity stays a power of two, so positions wrap with a mask.
  void grow() {
    std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace kstreams::internal
