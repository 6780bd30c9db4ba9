#include "runtime/admin.h"

#include <thread>

#include "runtime/kafka_client.h"

namespace kstreams {
namespace {

void destroy(rd_kafka_t* rk) { rd_kafka_destroy(rk); }

internal::KafkaEvent await(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout, const char* what) {
  internal::KafkaEvent event(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count())));
  if (!event) throw StreamsException(std::string(what) + " timed out");
  if (rd_kafka_event_error(event.get()))
    throw StreamsException(std::string(what) + " failed: " + rd_kafka_event_error_string(event.get()));
  return event;
}

}  // namespace

Admin::Admin(const std::string& bootstrapServers, const std::map<std::string, std::string>& properties,
             std::chrono::milliseconds timeout)
    : bootstrapServers_(bootstrapServers), properties_(properties), timeout_(timeout), client_(nullptr, destroy) {
  auto props = properties;
  props["bootstrap.servers"] = bootstrapServers;
  client_.reset(internal::createClient(RD_KAFKA_PRODUCER, internal::makeConf(props)).release());
}

Admin::~Admin() = default;

bool Admin::createTopic(const std::string& name, int32_t partitions, int16_t replicationFactor,
                        const std::map<std::string, std::string>& configs) {
  char err[512];
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(name.c_str(), partitions, replicationFactor, err, sizeof(err));
  if (!topic) throw StreamsException("cannot create topic " + name + ": " + err);
  for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(topic, k.c_str(), v.c_str());
  internal::KafkaQueue queue(rd_kafka_queue_new(client_.get()));
  rd_kafka_CreateTopics(client_.get(), &topic, 1, nullptr, queue.get());
  rd_kafka_NewTopic_destroy(topic);
  auto event = await(queue.get(), timeout_, "creating a topic");
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &n);
  rd_kafka_resp_err_t e = n ? rd_kafka_topic_result_error(results[0]) : RD_KAFKA_RESP_ERR_UNKNOWN;
  if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return false;
  if (e) {
    const char* msg = n ? rd_kafka_topic_result_error_string(results[0]) : nullptr;
    throw StreamsException("cannot create topic " + name + ": " + (msg ? msg : rd_kafka_err2str(e)));
  }
  // Creation returns once the controller has it; wait until brokers serve its metadata.
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (!listTopics().count(name)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw StreamsException("topic " + name + " was created but does not show in the metadata");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

void Admin::deleteTopics(const std::vector<std::string>& names) {
  if (names.empty()) return;
  std::vector<rd_kafka_DeleteTopic_t*> topics;
  for (const auto& n : names) topics.push_back(rd_kafka_DeleteTopic_new(n.c_str()));
  internal::KafkaQueue queue(rd_kafka_queue_new(client_.get()));
  rd_kafka_DeleteTopics(client_.get(), topics.data(), topics.size(), nullptr, queue.get());
  rd_kafka_DeleteTopic_destroy_array(topics.data(), topics.size());
  auto event = await(queue.get(), timeout_, "deleting topics");
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e && e != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
      throw StreamsException(std::string("cannot delete topic ") + rd_kafka_topic_result_name(results[i]) +
                             ": " + rd_kafka_err2str(e));
  }
}

std::map<std::string, int32_t> Admin::listTopics() {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client_.get(), 1, nullptr, &md, static_cast<int>(timeout_.count()));
  internal::KafkaMetadata owned(md);
  if (err)
    throw StreamsException("cannot reach the Kafka cluster at " + bootstrapServers_ + ": " + rd_kafka_err2str(err));
  std::map<std::string, int32_t> out;
  for (int i = 0; i < md->topic_cnt; ++i)
    if (!md->topics[i].err) out[md->topics[i].topic] = md->topics[i].partition_cnt;
  return out;
}

std::map<int32_t, int64_t> Admin::committedOffsets(const std::string& group, const std::string& topic) {
  auto topics = listTopics();
  auto it = topics.find(topic);
  if (it == topics.end()) throw StreamsException("topic " + topic + " does not exist");
  auto props = properties_;
  props["bootstrap.servers"] = bootstrapServers_;
  props["group.id"] = group;
  internal::KafkaHandle consumer = internal::createClient(RD_KAFKA_CONSUMER, internal::makeConf(props));
  internal::PartitionList list(rd_kafka_topic_partition_list_new(it->second));
  for (int32_t p = 0; p < it->second; ++p) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  rd_kafka_resp_err_t err = rd_kafka_committed(consumer.get(), list.get(), static_cast<int>(timeout_.count()));
  if (err) throw StreamsException(std::string("cannot read committed offsets: ") + rd_kafka_err2str(err));
  std::map<int32_t, int64_t> out;
  for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
  rd_kafka_consumer_close(consumer.get());
  return out;
}

std::map<int32_t, int64_t> Admin::endOffsets(const std::string& topic) {
  auto topics = listTopics();
  auto it = topics.find(topic);
  if (it == topics.end()) throw StreamsException("topic " + topic + " does not exist");
  std::map<int32_t, int64_t> out;
  for (int32_t p = 0; p < it->second; ++p) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(client_.get(), topic.c_str(), p, &low, &high,
                                                               static_cast<int>(timeout_.count()));
    if (err) throw StreamsException("cannot read the end offset of " + internal::partitionName(topic, p) + ": " +
                                    rd_kafka_err2str(err));
    out[p] = high;
  }
  return out;
}

void Admin::deleteRecords(const std::string& topic, const std::map<int32_t, int64_t>& before) {
  if (before.empty()) return;
  internal::PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(before.size())));
  for (const auto& [partition, offset] : before)
    rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), partition)->offset = offset;
  rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(offsets.get());
  internal::KafkaQueue queue(rd_kafka_queue_new(client_.get()));
  rd_kafka_DeleteRecords(client_.get(), &request, 1, nullptr, queue.get());
  rd_kafka_DeleteRecords_destroy(request);
  auto event = await(queue.get(), timeout_, "deleting records");
  const rd_kafka_topic_partition_list_t* done =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event.get()));
  for (int i = 0; done && i < done->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = done->elems[i];
    if (!p.err) continue;
    auto asked = before.find(p.partition);
    throw StreamsException(
        "cannot delete the records of " + internal::partitionName(topic, p.partition) +
        (asked == before.end() ? std::string() : " before offset " + std::to_string(asked->second)) + ": " +
        rd_kafka_err2str(p.err) +
        (p.err == RD_KAFKA_RESP_ERR_POLICY_VIOLATION
             ? "; Kafka deletes records only from a topic whose cleanup.policy includes delete, not from one "
               "that is only compacted"
             : ""));
  }
}

}  // namespace kstreams
