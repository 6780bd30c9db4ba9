// GroupDirectory: which instance of an application has which task, learned from Kafka.
//
// Kafka Streams tells each member the others' application.server through its partition
// assignor's user data; librdkafka's consumer cannot set that data. Instead each stream
// thread's consumer carries its instance's application.server at the end of its client.id
// ("<client.id>-StreamThread-<n>-consumer@<host>:<port>"), and the group coordinator's
// description of the group (DescribeConsumerGroups) gives every member's client.id with the
// partitions assigned to it. Nothing but the coordinator keeps this state.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka_client.h"
#include "runtime/streams_metadata.h"
#include "streams/internal/topology_graph.h"

namespace kstreams::internal {

// The client.id of a stream thread's consumer, carrying applicationServer if it is set.
std::string streamConsumerClientId(const std::string& threadName, const std::string& applicationServer);
// The application.server a stream consumer's client.id carries; nullopt if none.
std::optional<HostInfo> hostOfStreamConsumer(std::string_view clientId);

class GroupDirectory {
 public:
  // Answers are at most maxAge old: a describe of the group is made at most once per maxAge.
  GroupDirectory(const StreamsConfig& config, const std::vector<Subtopology>& subtopologies,
                 std::chrono::milliseconds maxAge);

  // Every instance with an application.server that has a task now, by host. Several
  // threads of one instance are one entry. Throws StreamsException, naming the group, when
  // the group cannot be described within default.api.timeout.ms.
  std::vector<StreamsMetadata> instances();

 private:
  std::vector<StreamsMetadata> describe();

  const StreamsConfig& config_;
  std::map<std::string, int32_t> topicToSubtopology_;
  std::map<int32_t, std::vector<std::string>> storesOfSubtopology_;
  const std::chrono::milliseconds maxAge_;

  std::mutex mutex_;
  KafkaHandle admin_;  // made at the first describe
  std::chrono::steady_clock::time_point describedAt_{};
  std::vector<StreamsMetadata> instances_;
};

}  // namespace kstreams::internal
