// Admin: the few cluster operations an application or its tools need around kstreams —
// create, list and delete topics; read a group's committed offsets; delete records;
// delete an application's internal topics. A thin layer over librdkafka's Admin API.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct rd_kafka_s;

namespace kstreams {

class Admin {
 public:
  // `properties` are librdkafka client properties (security settings and the like).
  explicit Admin(const std::string& bootstrapServers,
                 const std::map<std::string, std::string>& properties = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // Creates a topic and waits until the cluster's metadata shows it. Returns false if it
  // existed already. replicationFactor -1 takes the broker's default.
  bool createTopic(const std::string& name, int32_t partitions, int16_t replicationFactor = -1,
                   const std::map<std::string, std::string>& configs = {});
  // Deletes topics; ones that do not exist are ignored.
  void deleteTopics(const std::vector<std::string>& names);
  // Every topic with its partition count.
  std::map<std::string, int32_t> listTopics();
  // The offsets `group` has committed for the partitions of `topic` (-1001: none).
  std::map<int32_t, int64_t> committedOffsets(const std::string& group, const std::string& topic);
  // The offset after the last record of each partition of `topic`.
  std::map<int32_t, int64_t> endOffsets(const std::string& topic);
  // Deletes the records of `topic`'s partitions before the given offsets (partition ->
  // offset): each partition's log then starts there, compacted or not.
  void deleteRecords(const std::string& topic, const std::map<int32_t, int64_t>& before);

 private:
  std::string bootstrapServers_;
  std::map<std::string, std::string> properties_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<rd_kafka_s, void (*)(rd_kafka_s*)> client_;
};

}  // namespace kstreams
