// What a test that drives a Task directly (not through the TopologyTestDriver) gives it.
#pragma once

#include "runtime/task.h"

namespace kstreams::test {

// Collects nothing; tests override send() to look at records.
struct NullCollector : internal::RecordCollector {
  void send(std::string_view, int32_t, std::optional<std::string_view>, std::optional<std::string_view>, int64_t,
            const Headers&) override {}
  void sendTracked(std::string_view, int32_t, std::string_view, std::optional<std::string_view>, int64_t,
                   int64_t*) override {}
  int64_t* offsetSlot(std::string_view, int32_t) override { return &slot; }
  int32_t partitionCount(std::string_view) override { return 1; }
  int64_t slot = -1;
};

// Records go to `collector`, every input is buffered already (no waiting for empty
// inputs), and the wall clock stands at 0.
inline internal::TaskServices servicesFor(internal::RecordCollector& collector, const internal::SerdeDefaults& serdes) {
  internal::TaskServices services;
  services.applicationId = "app";
  services.collector = &collector;
  services.serdes = &serdes;
  services.maxTaskIdleMs = -1;
  services.wallClock = [] { return 0; };
  return services;
}

// A record of key "k"; the topic and the value must outlive it.
inline internal::RawRecord rawRecord(std::string_view topic, int64_t offset, int64_t timestamp,
                                     std::string_view value) {
  internal::RawRecord raw;
  raw.topic = topic;
  raw.offset = offset;
  raw.timestamp = timestamp;
  raw.key = std::string_view("k");
  raw.value = value;
  return raw;
}

}  // namespace kstreams::test
