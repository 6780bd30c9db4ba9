#include "runtime/internal_topics.h"

#include <set>
#include <thread>

#include "runtime/log.h"

namespace kstreams::internal {
namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

InternalTopicManager::InternalTopicManager(const StreamsConfig& config, std::function<bool()> stopRequested)
    : config_(config), stopRequested_(std::move(stopRequested)) {
  admin_ = createClient(RD_KAFKA_PRODUCER,
                        makeConf(clientProperties(config, "admin", config.clientId() + "-admin",
                                                  {}, {})));
}

void InternalTopicManager::stopIfRequested() const {
  if (stopRequested_ && stopRequested_()) throw PreparationStopped();
}

void InternalTopicManager::wait(std::chrono::milliseconds pause) const {
  std::this_thread::sleep_for(pause);
  stopIfRequested();
}

std::map<std::string, int32_t> InternalTopicManager::describeCluster(
    const std::vector<std::string>& wanted, std::optional<std::chrono::milliseconds> waitForWanted) {
  const auto deadline = std::chrono::steady_clock::now() + config_.defaultApiTimeout();
  const auto wantedDeadline = std::min(deadline, std::chrono::steady_clock::now() +
                                                     waitForWanted.value_or(config_.defaultApiTimeout()));
  std::string lastError;
  for (;;) {
    // Waits of at most a second: close() during start() ends them (see stopIfRequested).
    stopIfRequested();
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(admin_.get(), 1, nullptr, &md, waitSliceMs(deadline));
    KafkaMetadata owned(md);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::map<std::string, int32_t> out;
      for (int i = 0; i < md->topic_cnt; ++i)
        if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topics[i].partition_cnt > 0)
          out[md->topics[i].topic] = md->topics[i].partition_cnt;
      bool complete = true;
      for (const auto& t : wanted) complete = complete && out.count(t);
      if (complete || std::chrono::steady_clock::now() >= wantedDeadline) return out;
      // Topics just created may take a moment to show in metadata.
      wait(std::chrono::milliseconds(100));
      continue;
    }
    lastError = rd_kafka_err2str(err);
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (err != RD_KAFKA_RESP_ERR__TIMED_OUT) wait(std::chrono::milliseconds(200));  // the broker said no at once
  }
  throw StreamsException("cannot reach the Kafka cluster at bootstrap.servers=" +
                         config_.bootstrapServers() + " within " +
                         std::to_string(config_.defaultApiTimeout().count()) +
                         " ms (default.api.timeout.ms): " + lastError +
                         ". Check the address and that the brokers are running");
}

std::vector<InternalTopicSpec> InternalTopicManager::repartitionTopics(
    const TopologyGraph& graph, const std::string& applicationId,
    const std::map<std::string, int32_t>& partitions) {
  // A repartition topic without an explicit count gets as many partitions as the
  // sub-topology writing it reads; that sub-topology may itself read repartition topics,
  // so resolve until nothing changes.
  std::map<std::string, int32_t> resolved;
  for (const auto& [name, topic] : graph.repartitionTopics())
    if (topic.partitions) resolved[name] = *topic.partitions;
  const auto subtopologies = graph.subtopologies();
  for (bool changed = true; changed;) {
    changed = false;
    for (const Subtopology& st : subtopologies) {
      int32_t inputs = 0;
      bool known = true;
      for (const auto& t : st.sourceTopics) {
        auto it = partitions.find(t);
        if (it == partitions.end()) known = false;
        else inputs = std::max(inputs, it->second);
      }
      for (const auto& t : st.repartitionSourceTopics) {
        auto it = resolved.find(t);
        if (it == resolved.end()) known = false;
        else inputs = std::max(inputs, it->second);
      }
      if (!known || inputs == 0) continue;
      for (const auto& t : st.repartitionSinkTopics)
        if (!resolved.count(t)) {
          resolved[t] = inputs;
          changed = true;
        }
    }
  }
  // Joined and cogrouped topics must be co-partitioned: a repartition topic in a
  // co-partition group takes the count of the group's user topics, or else the largest
  // count among its repartition topics.
  for (const auto& group : graph.copartitionGroups()) {
    int32_t userCount = 0, internalCount = 0;
    for (const auto& t : group) {
      if (auto it = partitions.find(t); it != partitions.end()) userCount = std::max(userCount, it->second);
      else if (auto r = resolved.find(t); r != resolved.end()) internalCount = std::max(internalCount, r->second);
    }
    const int32_t count = userCount > 0 ? userCount : internalCount;
    for (const auto& t : group) {
      auto spec = graph.repartitionTopics().find(t);
      if (spec != graph.repartitionTopics().end() && !spec->second.partitions && count > 0) resolved[t] = count;
    }
  }
  std::vector<InternalTopicSpec> out;
  for (const auto& [name, topic] : graph.repartitionTopics()) {
    if (!resolved.count(name))
      throw TopologyException("cannot tell how many partitions repartition topic " + name +
                              " needs; give it a count with Repartitioned::withNumberOfPartitions");
    // Records are deleted once consumed (see StreamThread), so keep them until then.
    out.push_back({applicationId + "-" + name, resolved[name],
                   {{"cleanup.policy", "delete"},
                    {"retention.ms", "-1"},
                    {"segment.bytes", "52428800"},
                    {"message.timestamp.type", "CreateTime"}}});
  }
  return out;
}

std::vector<InternalTopicSpec> InternalTopicManager::changelogTopics(
    const TopologyGraph& graph, const std::string& applicationId, const std::map<int32_t, int32_t>& tasksPerSubtopology) {
  std::vector<InternalTopicSpec> out;
  for (const Subtopology& st : graph.subtopologies()) {
    for (const std::string& name : st.stores) {
      const StoreSpec& spec = graph.stores().at(name);
      if (!spec.logging) continue;
      InternalTopicSpec topic{applicationId + "-" + name + "-changelog", tasksPerSubtopology.at(st.id),
                              {{"cleanup.policy", "compact"}}};
      for (const auto& [k, v] : spec.changelogConfigs) topic.configs[k] = v;
      out.push_back(std::move(topic));
    }
  }
  return out;
}

void InternalTopicManager::create(const std::vector<InternalTopicSpec>& topics) {
  if (topics.empty()) return;
  std::vector<rd_kafka_NewTopic_t*> newTopics;
  char err[512];
  for (const auto& t : topics) {
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions,
                                                    config_.replicationFactor(), err, sizeof(err));
    if (nt == nullptr) throw StreamsException("cannot create topic " + t.name + ": " + err);
    for (const auto& [k, v] : t.configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    newTopics.push_back(nt);
  }
  KafkaQueue queue(rd_kafka_queue_new(admin_.get()));
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(admin_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(config_.defaultApiTimeout().count()),
                                            err, sizeof(err));
  rd_kafka_CreateTopics(admin_.get(), newTopics.data(), newTopics.size(), options, queue.get());
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy_array(newTopics.data(), newTopics.size());

  // The request times out after default.api.timeout.ms; its answer is awaited a little longer.
  const auto deadline = std::chrono::steady_clock::now() + config_.defaultApiTimeout() + std::chrono::seconds(5);
  KafkaEvent event;
  while (!event && std::chrono::steady_clock::now() < deadline) {
    stopIfRequested();
    event.reset(rd_kafka_queue_poll(queue.get(), waitSliceMs(deadline)));
  }
  if (!event) throw StreamsException("creating internal topics timed out (default.api.timeout.ms)");
  if (rd_kafka_event_error(event.get()))
    throw StreamsException(std::string("creating internal topics failed: ") +
                           rd_kafka_event_error_string(event.get()));
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      log().info("internal topic {} is ready", rd_kafka_topic_result_name(results[i]));
      continue;
    }
    const char* msg = rd_kafka_topic_result_error_string(results[i]);
    throw StreamsException(std::string("cannot create internal topic ") +
                           rd_kafka_topic_result_name(results[i]) + ": " +
                           (msg ? msg : rd_kafka_err2str(e)) +
                           (e == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR
                                ? " (set replication.factor to at most the number of brokers)"
                                : ""));
  }
}

TopicLayout InternalTopicManager::prepare(const TopologyGraph& graph) {
  std::vector<std::string> sources, sinks;
  for (const GraphNode& n : graph.nodes()) {
    if (n.internalTopics) continue;
    if (n.kind == GraphNode::Kind::kSource) sources.insert(sources.end(), n.topics.begin(), n.topics.end());
    if (n.kind == GraphNode::Kind::kSink) sinks.insert(sinks.end(), n.topics.begin(), n.topics.end());
  }
  // A topic created a moment ago may not be in the answering broker's metadata yet (each
  // broker learns of it from the controller on its own): one missing is looked for a little
  // longer before start() says it does not exist.
  std::vector<std::string> external = sources;
  external.insert(external.end(), sinks.begin(), sinks.end());
  std::map<std::string, int32_t> cluster = describeCluster(external, kNewTopicGrace);

  std::vector<std::string> missingSources, missingSinks;
  for (const auto& t : sources)
    if (!cluster.count(t)) missingSources.push_back(t);
  for (const auto& t : sinks)
    if (!cluster.count(t)) missingSinks.push_back(t);
  if (!missingSources.empty())
    throw MissingSourceTopicException(
        "the topology reads topic(s) that do not exist: " + joined(missingSources) +
        " (bootstrap.servers=" + config_.bootstrapServers() + "). Create them first");
  if (!missingSinks.empty())
    throw MissingSourceTopicException(
        "the topology writes topic(s) that do not exist: " + joined(missingSinks) +
        " (bootstrap.servers=" + config_.bootstrapServers() + "). Create them first");

  TopicLayout layout;
  for (const auto& t : sources) layout.partitions[t] = cluster[t];
  std::vector<InternalTopicSpec> internal =
      repartitionTopics(graph, config_.applicationId(), layout.partitions);

  for (const auto& spec : internal) layout.partitions[spec.name] = spec.partitions;
  // Co-partitioning: joined and cogrouped topics need the same number of partitions.
  for (const auto& group : graph.copartitionGroups()) {
    std::map<std::string, int32_t> counts;
    for (const auto& t : group) {
      const std::string real = graph.repartitionTopics().count(t) ? config_.applicationId() + "-" + t : t;
      if (layout.partitions.count(real)) counts[real] = layout.partitions[real];
    }
    std::set<int32_t> distinct;
    for (const auto& [t, n] : counts) distinct.insert(n);
    if (distinct.size() > 1) {
      std::string list;
      for (const auto& [t, n] : counts) list += (list.empty() ? "" : ", ") + t + " (" + std::to_string(n) + " partitions)";
      throw TopologyException("joined or cogrouped topics must be co-partitioned, with the same number of "
                              "partitions: " + list + ". Repartition one side to the other's count (KStream::repartition with "
                              "Repartitioned::withNumberOfPartitions)");
    }
  }
  for (const Subtopology& st : graph.subtopologies()) {
    int32_t tasks = 0;
    for (const auto& t : st.sourceTopics) tasks = std::max(tasks, layout.partitions[t]);
    for (const auto& t : st.repartitionSourceTopics)
      tasks = std::max(tasks, layout.partitions[config_.applicationId() + "-" + t]);
    layout.tasksPerSubtopology[st.id] = tasks;
  }
  for (auto& changelog : changelogTopics(graph, config_.applicationId(), layout.tasksPerSubtopology))
    internal.push_back(std::move(changelog));

  std::vector<InternalTopicSpec> toCreate;
  for (const auto& spec : internal) {
    auto it = cluster.find(spec.name);
    if (it == cluster.end()) {
      toCreate.push_back(spec);
    } else if (it->second != spec.partitions) {
      throw StreamsException("internal topic " + spec.name + " has " + std::to_string(it->second) +
                             " partitions, but the topology needs " + std::to_string(spec.partitions) +
                             ". Delete the topic (or reset the application) and restart");
    }
    layout.partitions[spec.name] = spec.partitions;
  }
  create(toCreate);
  if (!toCreate.empty()) {
    std::vector<std::string> names;
    for (const auto& t : toCreate) names.push_back(t.name);
    auto after = describeCluster(names);
    for (const auto& n : names)
      if (!after.count(n))
        throw StreamsException("internal topic " + n + " was created but does not show in the "
                               "cluster's metadata within default.api.timeout.ms");
  }
  return layout;
}

std::map<std::string, int32_t> subtopologyOfInputTopics(const std::vector<Subtopology>& subtopologies,
                                                        const std::string& applicationId) {
  std::map<std::string, int32_t> out;
  for (const Subtopology& st : subtopologies) {
    for (const auto& t : st.sourceTopics) out[t] = st.id;
    for (const auto& t : st.repartitionSourceTopics) out[applicationId + "-" + t] = st.id;
  }
  return out;
}

}  // namespace kstreams::internal
