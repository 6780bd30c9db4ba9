// Helpers for tests that run against the real broker tools/test starts (its address is in
// KSTREAMS_BOOTSTRAP): producing, consuming and waiting on conditions with a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "streams/record.h"

struct rd_kafka_s;

namespace kstreams::test {

// The broker's bootstrap address; throws with instructions when none is set.
std::string bootstrap();
// A topic or application name no other test (or earlier run) uses.
std::string uniqueName(const std::string& base);
// Polls `condition` every 20 ms until it holds or `timeout` passes. Returns whether it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

struct ConsumedRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;
  Headers headers;
};

// An idempotent producer that partitions as Java does (murmur2).
class TestProducer {
 public:
  explicit TestProducer(const std::map<std::string, std::string>& properties = {});
  ~TestProducer();
  void send(const std::string& topic, std::optional<std::string> key, std::optional<std::string> value,
            int64_t timestamp = 0, int32_t partition = -1, const Headers& headers = {});
  // Waits for every record; throws if any failed.
  void flush();

 private:
  std::unique_ptr<rd_kafka_s, void (*)(rd_kafka_s*)> producer_;
};

// Reads `topic` from the beginning of every partition until `count` records have arrived or
// `timeout` passed; returns what arrived.
std::vector<ConsumedRecord> consume(const std::string& topic, size_t count,
                                    std::chrono::milliseconds timeout, bool readCommitted = false);
// Reads every record up to the partitions' current end offsets.
std::vector<ConsumedRecord> consumeToEnd(const std::string& topic, std::chrono::milliseconds timeout,
                                         bool readCommitted = false);

}  // namespace kstreams::test
