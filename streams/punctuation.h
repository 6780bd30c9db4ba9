// Punctuation: callbacks a processor schedules on stream time or wall-clock time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace kstreams {

enum class PunctuationType {
  // Fires as stream time (the largest record timestamp the task has processed) passes each
  // interval, first as soon as stream time is known: with the task's first record, or at
  // once when the task resumed its stream time from its last commit. Does not fire again
  // while no records arrive.
  STREAM_TIME,
  // Fires as the system clock passes each interval, whether records arrive or not.
  WALL_CLOCK_TIME,
};

// Called with the time (stream or wall clock, in ms) at which the punctuation fires.
using Punctuator = std::function<void(int64_t timestamp)>;

// Returned by schedule(); cancel() stops further calls. Copies share the same schedule.
class Cancellable {
 public:
  Cancellable() = default;
  explicit Cancellable(std::shared_ptr<bool> cancelled) : cancelled_(std::move(cancelled)) {}
  void cancel() {
    if (cancelled_) *cancelled_ = true;
  }

 private:
  std::shared_ptr<bool> cancelled_;
};

}  // namespace kstreams
