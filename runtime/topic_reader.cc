#include "runtime/topic_reader.h"

#include "runtime/admin.h"
#include "runtime/kafka_client.h"

namespace kstreams {
namespace {
void destroy(rd_kafka_t* rk) {
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}
}  // namespace

TopicReader::TopicReader(const std::string& bootstrapServers, const std::string& topic, Options options)
    : topic_(topic), consumer_(nullptr, destroy) {
  auto topics = Admin(bootstrapServers, options.properties).listTopics();
  auto it = topics.find(topic);
  if (it == topics.end()) throw StreamsException("topic " + topic + " does not exist at " + bootstrapServers);
  partitions_ = it->second;
  std::map<std::string, std::string> props = options.properties;
  props["bootstrap.servers"] = bootstrapServers;
  // A group id is required by librdkafka even for assign(); nothing is ever committed.
  props["group.id"] = "kstreams-topic-reader";
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props["isolation.level"] = options.readCommitted ? "read_committed" : "read_uncommitted";
  props["enable.partition.eof"] = "true";
  consumer_.reset(internal::createClient(RD_KAFKA_CONSUMER, internal::makeConf(props)).release());
  internal::PartitionList list(rd_kafka_topic_partition_list_new(partitions_));
  for (int32_t p = 0; p < partitions_; ++p)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        options.fromBeginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
  rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), list.get());
  if (err) throw StreamsException("cannot read topic " + topic + ": " + rd_kafka_err2str(err));
}

TopicReader::~TopicReader() = default;

std::optional<TopicRecord> TopicReader::poll(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (m == nullptr) return std::nullopt;
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) endReached_[m->partition] = m->offset;
      rd_kafka_message_destroy(m);
      if (left.count() <= 0) return std::nullopt;
      continue;
    }
    TopicRecord r;
    r.topic = topic_;
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key) r.key = std::string(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value = std::string(static_cast<const char*>(m->payload), m->len);
    r.timestamp = rd_kafka_message_timestamp(m, nullptr);
    r.headers = internal::headersOf(m);
    rd_kafka_message_destroy(m);
    return r;
  }
}

std::vector<TopicRecord> TopicReader::read(size_t count, std::chrono::milliseconds timeout) {
  std::vector<TopicRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (auto r = poll(std::min(left, std::chrono::milliseconds(100)))) out.push_back(std::move(*r));
  }
  return out;
}

bool TopicReader::reached(const std::map<int32_t, int64_t>& ends) const {
  for (const auto& [partition, end] : ends) {
    if (end == 0) continue;
    auto it = endReached_.find(partition);
    if (it == endReached_.end() || it->second < end) return false;
  }
  return true;
}

std::vector<TopicRecord> TopicReader::readToEnd(std::chrono::milliseconds timeout) {
  std::map<int32_t, int64_t> ends;
  for (int32_t p = 0; p < partitions_; ++p) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(consumer_.get(), topic_.c_str(), p, &low, &high,
                                                               static_cast<int>(timeout.count()));
    if (err) throw StreamsException("cannot read the end of " + internal::partitionName(topic_, p) + ": " +
                                    rd_kafka_err2str(err));
    ends[p] = high;
  }
  std::vector<TopicRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reached(ends) && std::chrono::steady_clock::now() < deadline)
    if (auto r = poll(std::chrono::milliseconds(100))) out.push_back(std::move(*r));
  return out;
}

}  // namespace kstreams
