// Start-up checks against the cluster: the topics a topology reads and writes must exist,
// and its internal topics (repartition, changelog) are created with the partition count
// they need, or checked if they exist. Internal.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/kafka_client.h"
#include "streams/internal/topology_graph.h"

namespace kstreams::internal {

struct InternalTopicSpec {
  std::string name;  // the real name, with the application id
  int32_t partitions = 0;
  std::map<std::string, std::string> configs;
};

// The sub-topology whose tasks read each input topic, by the topic's real name (a
// repartition topic's has the application id in front).
std::map<std::string, int32_t> subtopologyOfInputTopics(const std::vector<Subtopology>& subtopologies,
                                                        const std::string& applicationId);

// Partition counts of every topic the application reads or owns, by real name.
struct TopicLayout {
  std::map<std::string, int32_t> partitions;
  // Number of tasks of each sub-topology: the largest partition count among its inputs.
  std::map<int32_t, int32_t> tasksPerSubtopology;
};

// Thrown by InternalTopicManager::prepare() when it was asked to stop while it waited for
// the cluster (close() during start()).
struct PreparationStopped : std::exception {
  const char* what() const noexcept override { return "stopped while waiting for the cluster"; }
};

class InternalTopicManager {
 public:
  // `stopRequested`, if given, is asked at least once a second while prepare() waits for
  // the cluster; once it answers true, prepare() throws PreparationStopped.
  explicit InternalTopicManager(const StreamsConfig& config, std::function<bool()> stopRequested = {});

  // Checks the cluster and creates what is missing, within default.api.timeout.ms. Throws
  // MissingSourceTopicException for input or output topics that do not exist, and
  // StreamsException when the cluster cannot be reached or an internal topic exists with
  // the wrong partition count.
  TopicLayout prepare(const TopologyGraph& graph);

  // The repartition topics, with partition counts resolved from `partitions` (which must
  // hold every source topic). Exposed for tests.
  static std::vector<InternalTopicSpec> repartitionTopics(
      const TopologyGraph& graph, const std::string& applicationId,
      const std::map<std::string, int32_t>& partitions);
  // The changelog topics: one partition per task of the store's sub-topology, compacted.
  static std::vector<InternalTopicSpec> changelogTopics(const TopologyGraph& graph, const std::string& applicationId,
                                                        const std::map<int32_t, int32_t>& tasksPerSubtopology);

 private:
  // The cluster's topics and their partition counts. Asks again until every one of `topics`
  // shows, for at most waitForWanted (default.api.timeout.ms if not given).
  std::map<std::string, int32_t> describeCluster(const std::vector<std::string>& topics,
                                                 std::optional<std::chrono::milliseconds> waitForWanted = {});
  // How long a source or sink topic that is not in the metadata is looked for.
  static constexpr std::chrono::milliseconds kNewTopicGrace{3000};
  void create(const std::vector<InternalTopicSpec>& topics);
  // Throws PreparationStopped if asked to stop.
  void stopIfRequested() const;
  // Sleeps for `pause`, or until asked to stop.
  void wait(std::chrono::milliseconds pause) const;

  const StreamsConfig& config_;
  std::function<bool()> stopRequested_;
  KafkaHandle admin_;
};

}  // namespace kstreams::internal
