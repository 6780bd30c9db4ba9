// TopicReader: reads every partition of a topic from its beginning (or end), outside any
// consumer group — for tools, examples and tests that look at what an application wrote.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "streams/record.h"

struct rd_kafka_s;

namespace kstreams {

struct TopicRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp = 0;
  Headers headers;
};

class TopicReader {
 public:
  struct Options {
    bool fromBeginning = true;
    // Skip records of aborted transactions, and wait for open ones to end: what a
    // downstream exactly_once_v2 application sees.
    bool readCommitted = false;
    std::map<std::string, std::string> properties;  // librdkafka consumer properties
  };

  // Throws StreamsException if the topic does not exist.
  TopicReader(const std::string& bootstrapServers, const std::string& topic, Options options);
  TopicReader(const std::string& bootstrapServers, const std::string& topic)
      : TopicReader(bootstrapServers, topic, Options{}) {}
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  // The next record, waiting up to `timeout`; nullopt if none came.
  std::optional<TopicRecord> poll(std::chrono::milliseconds timeout);
  // Records until `count` have been read or `timeout` passed.
  std::vector<TopicRecord> read(size_t count, std::chrono::milliseconds timeout);
  // Records up to the end of every partition as it is when called (under readCommitted: up
  // to the last committed record), or until `timeout` passes.
  std::vector<TopicRecord> readToEnd(std::chrono::milliseconds timeout);

 private:
  // Whether the consumer has reported the end of every partition at or past `ends`.
  bool reached(const std::map<int32_t, int64_t>& ends) const;

  std::string topic_;
  int32_t partitions_ = 0;
  std::unique_ptr<rd_kafka_s, void (*)(rd_kafka_s*)> consumer_;
  // Where each partition's end was last reported (librdkafka's partition EOF: the high
  // watermark, or under readCommitted the last stable offset, past any transaction marker).
  std::map<int32_t, int64_t> endReached_;
};

}  // namespace kstreams
