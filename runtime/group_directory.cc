#include "runtime/group_directory.h"

#include <algorithm>
#include <set>

#include "runtime/internal_topics.h"
#include "streams/errors.h"

namespace kstreams::internal {

namespace {
constexpr std::string_view kConsumerSuffix = "-consumer";
}  // namespace

std::string streamConsumerClientId(const std::string& threadName, const std::string& applicationServer) {
  std::string id = threadName + std::string(kConsumerSuffix);
  if (!applicationServer.empty()) id += "@" + applicationServer;
  return id;
}

std::optional<HostInfo> hostOfStreamConsumer(std::string_view clientId) {
  const std::string marker = std::string(kConsumerSuffix) + "@";
  const size_t at = clientId.rfind(marker);
  if (at == std::string_view::npos) return std::nullopt;
  return HostInfo::parse(clientId.substr(at + marker.size()));
}

GroupDirectory::GroupDirectory(const StreamsConfig& config, const std::vector<Subtopology>& subtopologies,
                               std::chrono::milliseconds maxAge)
    : config_(config),
      topicToSubtopology_(subtopologyOfInputTopics(subtopologies, config.applicationId())),
      maxAge_(maxAge) {
  for (const Subtopology& st : subtopologies) storesOfSubtopology_[st.id] = st.stores;
}

std::vector<StreamsMetadata> GroupDirectory::instances() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (describedAt_ == std::chrono::steady_clock::time_point{} || now - describedAt_ >= maxAge_) {
    instances_ = describe();
    describedAt_ = std::chrono::steady_clock::now();
  }
  return instances_;
}

std::vector<StreamsMetadata> GroupDirectory::describe() {
  const std::string& group = config_.applicationId();
  auto fail = [&](const std::string& why) {
    return StreamsException("cannot describe the consumer group " + group + " to find which instance has a task: " +
                            why + "; is the cluster at " + config_.bootstrapServers() + " reachable?");
  };
  if (!admin_)
    admin_ = createClient(RD_KAFKA_PRODUCER,
                          makeConf(clientProperties(config_, "admin", config_.clientId() + "-query-admin", {}, {})));
  const int timeoutMs = static_cast<int>(std::min<int64_t>(config_.defaultApiTimeout().count(), INT32_MAX / 2));
  KafkaQueue queue(rd_kafka_queue_new(admin_.get()));
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(admin_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
  char error[256];
  rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, error, sizeof(error));
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(admin_.get(), groups, 1, options, queue.get());
  rd_kafka_AdminOptions_destroy(options);
  // librdkafka ends the request at its own timeout; the margin only guards against a lost event.
  KafkaEvent event(rd_kafka_queue_poll(queue.get(), timeoutMs + 5000));
  if (!event) throw fail("no answer within default.api.timeout.ms");
  if (rd_kafka_event_error(event.get())) throw fail(rd_kafka_event_error_string(event.get()));
  size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** described = rd_kafka_DescribeConsumerGroups_result_groups(
      rd_kafka_event_DescribeConsumerGroups_result(event.get()), &count);
  if (count != 1) throw fail("the answer describes " + std::to_string(count) + " groups");
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(described[0]))
    throw fail(rd_kafka_error_string(e));

  std::map<HostInfo, std::set<TaskId>> tasksByHost;
  const size_t members = rd_kafka_ConsumerGroupDescription_member_count(described[0]);
  for (size_t i = 0; i < members; ++i) {
    const rd_kafka_MemberDescription_t* member = rd_kafka_ConsumerGroupDescription_member(described[0], i);
    std::optional<HostInfo> host = hostOfStreamConsumer(rd_kafka_MemberDescription_client_id(member));
    if (!host) continue;
    std::set<TaskId>& tasks = tasksByHost[*host];
    const rd_kafka_topic_partition_list_t* assigned =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(member));
    for (int p = 0; assigned && p < assigned->cnt; ++p) {
      auto st = topicToSubtopology_.find(assigned->elems[p].topic);
      if (st != topicToSubtopology_.end()) tasks.insert(TaskId{st->second, assigned->elems[p].partition});
    }
  }
  std::vector<StreamsMetadata> out;
  for (auto& [host, tasks] : tasksByHost) {
    StreamsMetadata m;
    m.hostInfo = host;
    m.activeTasks.assign(tasks.begin(), tasks.end());
    std::set<std::string> stores;
    for (const TaskId& t : tasks)
      for (const auto& s : storesOfSubtopology_[t.subtopology]) stores.insert(s);
    m.stateStoreNames.assign(stores.begin(), stores.end());
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace kstreams::internal
