// Windows: how windowed aggregations and stream-stream joins cut streams in time. All times
// are milliseconds of record time (stream time), not the wall clock.
//
//   TimeWindows::ofSizeWithNoGrace(1min)                  tumbling: [0,1m) [1m,2m) ...
//   TimeWindows::ofSizeAndGrace(1min, 10s).advanceBy(20s)  hopping: every 20 s, 1 min long
//   SlidingWindows::ofTimeDifferenceAndGrace(5min, 30s)    one window per record pair
//   SessionWindows::ofInactivityGapAndGrace(5min, 1min)    activity separated by 5 min gaps
//   JoinWindows::ofTimeDifferenceAndGrace(1min, 10s)       records at most 1 min apart join
//
// Grace: a record is accepted into a window until stream time passes the window's end plus
// the grace period. A later record is dropped and counted (metrics().droppedRecords) and
// logged at debug level: never merged silently into a closed window.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <string>

#include "streams/errors.h"
#include "streams/internal/big_endian.h"
#include "streams/serde.h"

namespace kstreams {

using std::chrono::milliseconds;

// A window of time. Time windows are [start, end); sliding and session windows are [start, end].
struct Window {
  int64_t start = 0;
  int64_t end = 0;
  auto operator<=>(const Window&) const = default;
};

// A key of a windowed aggregation: the grouping key and its window.
template <class K>
struct Windowed {
  K key;
  Window window;
  auto operator<=>(const Windowed&) const = default;
  bool operator==(const Windowed&) const = default;
};

class TimeWindows {
 public:
  static TimeWindows ofSizeWithNoGrace(milliseconds size) { return TimeWindows(size, milliseconds(0)); }
  static TimeWindows ofSizeAndGrace(milliseconds size, milliseconds grace) { return TimeWindows(size, grace); }
  // Hopping windows: a new window every `advance` (at most the size).
  TimeWindows advanceBy(milliseconds advance) const {
    if (advance.count() <= 0 || advance > size_)
      throw TopologyException("TimeWindows::advanceBy needs 0 < advance <= size; got " + std::to_string(advance.count()) + " ms");
    TimeWindows w = *this;
    w.advance_ = advance;
    return w;
  }

  int64_t sizeMs() const { return size_.count(); }
  int64_t advanceMs() const { return advance_.count(); }
  int64_t gracePeriodMs() const { return grace_.count(); }
  // The starts of the windows that contain timestamp.
  template <class F>
  void forEachWindowStart(int64_t timestamp, F f) const {
    const int64_t size = sizeMs(), advance = advanceMs();
    int64_t start = std::max<int64_t>(0, timestamp - size + advance) / advance * advance;
    for (; start <= timestamp; start += advance) f(start);
  }

 private:
  TimeWindows(milliseconds size, milliseconds grace) : size_(size), advance_(size), grace_(grace) {
    if (size.count() <= 0) throw TopologyException("a window size must be positive");
    if (grace.count() < 0) throw TopologyException("a grace period cannot be negative");
  }
  milliseconds size_, advance_, grace_;
};

class SlidingWindows {
 public:
  static SlidingWindows ofTimeDifferenceWithNoGrace(milliseconds difference) {
    return SlidingWindows(difference, milliseconds(0));
  }
  static SlidingWindows ofTimeDifferenceAndGrace(milliseconds difference, milliseconds grace) {
    return SlidingWindows(difference, grace);
  }
  int64_t timeDifferenceMs() const { return difference_.count(); }
  int64_t gracePeriodMs() const { return grace_.count(); }

 private:
  SlidingWindows(milliseconds difference, milliseconds grace) : difference_(difference), grace_(grace) {
    if (difference.count() <= 0) throw TopologyException("a sliding window's time difference must be positive");
    if (grace.count() < 0) throw TopologyException("a grace period cannot be negative");
  }
  milliseconds difference_, grace_;
};

class SessionWindows {
 public:
  static SessionWindows ofInactivityGapWithNoGrace(milliseconds gap) { return SessionWindows(gap, milliseconds(0)); }
  static SessionWindows ofInactivityGapAndGrace(milliseconds gap, milliseconds grace) {
    return SessionWindows(gap, grace);
  }
  int64_t inactivityGapMs() const { return gap_.count(); }
  int64_t gracePeriodMs() const { return grace_.count(); }

 private:
  SessionWindows(milliseconds gap, milliseconds grace) : gap_(gap), grace_(grace) {
    if (gap.count() <= 0) throw TopologyException("a session's inactivity gap must be positive");
    if (grace.count() < 0) throw TopologyException("a grace period cannot be negative");
  }
  milliseconds gap_, grace_;
};

// Records of two streams join when their timestamps differ by at most the time difference
// (before and after can differ: after(), before()).
class JoinWindows {
 public:
  static JoinWindows ofTimeDifferenceWithNoGrace(milliseconds difference) {
    return JoinWindows(difference, difference, milliseconds(0));
  }
  static JoinWindows ofTimeDifferenceAndGrace(milliseconds difference, milliseconds grace) {
    return JoinWindows(difference, difference, grace);
  }
  // A record of this stream joins other records up to `after` later than itself...
  JoinWindows after(milliseconds after) const { return JoinWindows(before_, after, grace_); }
  // ...and up to `before` earlier.
  JoinWindows before(milliseconds before) const { return JoinWindows(before, after_, grace_); }
  int64_t beforeMs() const { return before_.count(); }
  int64_t afterMs() const { return after_.count(); }
  int64_t gracePeriodMs() const { return grace_.count(); }

 private:
  JoinWindows(milliseconds before, milliseconds after, milliseconds grace) : before_(before), after_(after), grace_(grace) {
    if (before.count() + after.count() < 0) throw TopologyException("a join window cannot have a negative size");
    if (grace.count() < 0) throw TopologyException("a grace period cannot be negative");
  }
  milliseconds before_, after_, grace_;
};

namespace internal {

// Windowed<K> as bytes: the key's bytes, then the window's start and end (8 bytes each,
// big-endian: appendInt64). (Kafka Streams writes only the start for time windows; kstreams
// writes both for every kind, so a windowed key reads the same whatever made it.)
template <class K>
class WindowedSerde final : public Serde<Windowed<K>> {
 public:
  explicit WindowedSerde(SerdePtr<K> inner) : inner_(std::move(inner)) {}
  void serialize(const Windowed<K>& w, std::string& out) const override {
    inner_->serialize(w.key, out);
    appendInt64(out, w.window.start);
    appendInt64(out, w.window.end);
  }
  Windowed<K> deserialize(std::string_view bytes) const override {
    if (bytes.size() < 16) throw SerializationException("a windowed key needs at least 16 bytes");
    const std::string_view key = bytes.substr(0, bytes.size() - 16);
    return {inner_->deserialize(key), Window{readInt64(bytes, key.size()), readInt64(bytes, key.size() + 8)}};
  }
  std::string name() const override { return "Windowed<" + inner_->name() + ">"; }

 private:
  SerdePtr<K> inner_;
};

}  // namespace internal

// The serde of windowed keys, to read a windowed aggregation's output topic.
namespace WindowedSerdes {
template <class K>
SerdePtr<Windowed<K>> windowedSerdeFrom(SerdePtr<K> keySerde) {
  return std::make_shared<internal::WindowedSerde<K>>(std::move(keySerde));
}
// Kafka Streams' names; both write start and end (see WindowedSerde).
template <class K>
SerdePtr<Windowed<K>> timeWindowedSerdeFrom(SerdePtr<K> keySerde, milliseconds) {
  return windowedSerdeFrom(std::move(keySerde));
}
template <class K>
SerdePtr<Windowed<K>> sessionWindowedSerdeFrom(SerdePtr<K> keySerde) {
  return windowedSerdeFrom(std::move(keySerde));
}
}  // namespace WindowedSerdes

}  // namespace kstreams
