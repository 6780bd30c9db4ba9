// Helpers for tests that run against the real broker tools/test starts (its address is in
// KSTREAMS_BOOTSTRAP).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/kafka_client.h"
#include "runtime/kafka_producer.h"
#include "runtime/streams_config.h"
#include "runtime/topic_reader.h"

namespace kstreams::test {

// The value of environment variable `name`; throws "<name> is not set: <howToSetIt>" when it
// is unset or empty.
std::string requiredEnv(const char* name, const std::string& howToSetIt);
// The broker's bootstrap address; throws with instructions when none is set.
std::string bootstrap();
// A topic or application name no other test (or earlier run) uses.
std::string uniqueName(const std::string& base);
// An application's configuration for tests: this broker, commits every 100 ms, state under
// /tmp/kstreams-it, a short session timeout; `extra` adds to or overrides these.
StreamsConfig appConfig(const std::string& app, const std::map<std::string, std::string>& extra = {});
// Polls `condition` every 20 ms until it holds or `timeout` passes. Returns whether it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
// A watermark query answering a partition's real end plus `ahead`: a leader that has
// records the replica a fetch reads from does not have yet, as a new leader's high
// watermark can lag the old one's for a moment.
internal::WatermarkQuery endAhead(std::shared_ptr<std::atomic<int>> ahead);

// `count` records of `topic` from its beginning (fewer if `timeout` passes first).
inline std::vector<TopicRecord> consume(const std::string& topic, size_t count,
                                        std::chrono::milliseconds timeout) {
  return TopicReader(bootstrap(), topic).read(count, timeout);
}
// Every record of `topic` up to its current end.
inline std::vector<TopicRecord> consumeToEnd(const std::string& topic,
                                             std::chrono::milliseconds timeout,
                                             bool readCommitted = false) {
  TopicReader::Options options;
  options.readCommitted = readCommitted;
  return TopicReader(bootstrap(), topic, options).readToEnd(timeout);
}

}  // namespace kstreams::test
