// Suppressed: holding back a table's updates, so that downstream sees one result per key —
// the final result of a window once it closes, or the latest value once a time limit passes.
//
//   .windowedBy(TimeWindows::ofSizeAndGrace(1min, 10s))
//   .count()
//   .suppress(Suppressed::untilWindowCloses(BufferConfig::unbounded()))   // one count per window
//
// Time here is stream time: nothing is emitted while no records arrive. The buffer is a
// changelogged store, so a restart keeps what was held back.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kstreams {

class BufferConfig {
 public:
  static BufferConfig unbounded() { return BufferConfig(); }
  static BufferConfig maxRecords(int64_t records) {
    BufferConfig b;
    b.maxRecords_ = records;
    return b;
  }
  static BufferConfig maxBytes(int64_t bytes) {
    BufferConfig b;
    b.maxBytes_ = bytes;
    return b;
  }
  // When full: emit the oldest entries early (the default for untilTimeLimit)...
  BufferConfig& emitEarlyWhenFull() { shutDown_ = false; return *this; }
  // ...or stop the application with an error (the only choice untilWindowCloses allows
  // besides unbounded: a final result must be final).
  BufferConfig& shutDownWhenFull() { shutDown_ = true; return *this; }

  std::optional<int64_t> maxRecordsLimit() const { return maxRecords_; }
  std::optional<int64_t> maxBytesLimit() const { return maxBytes_; }
  bool shutDownWhenFullSet() const { return shutDown_; }
  bool bounded() const { return maxRecords_ || maxBytes_; }

 private:
  std::optional<int64_t> maxRecords_;
  std::optional<int64_t> maxBytes_;
  bool shutDown_ = false;
};

class Suppressed {
 public:
  // For a windowed table: emit each window's result once, when stream time passes its end
  // plus the grace period. The buffer must be unbounded or shut down when full.
  static Suppressed untilWindowCloses(BufferConfig buffer) {
    Suppressed s;
    s.windowCloses_ = true;
    s.buffer_ = buffer.bounded() ? buffer.shutDownWhenFull() : buffer;
    return s;
  }
  // Emit a key's latest value once stream time passes its first held update by timeLimit.
  static Suppressed untilTimeLimit(std::chrono::milliseconds timeLimit, BufferConfig buffer) {
    Suppressed s;
    s.timeLimit_ = timeLimit.count();
    s.buffer_ = buffer;
    return s;
  }
  Suppressed& withName(std::string name) {
    name_ = std::move(name);
    return *this;
  }

  bool untilWindowClosesSet() const { return windowCloses_; }
  int64_t timeLimitMs() const { return timeLimit_; }
  const BufferConfig& buffer() const { return buffer_; }
  const std::string& name() const { return name_; }

 private:
  Suppressed() = default;
  bool windowCloses_ = false;
  int64_t timeLimit_ = 0;
  BufferConfig buffer_;
  std::string name_;
};

}  // namespace kstreams
