#include "tests/support/kafka_cluster.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

#include "runtime/admin.h"

namespace kstreams::test {
namespace {

void destroy(rd_kafka_t* rk) { rd_kafka_destroy(rk); }

rd_kafka_t* create(rd_kafka_type_t type, const std::map<std::string, std::string>& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : properties)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK)
      throw std::runtime_error("test client property " + k + ": " + err);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (!rk) throw std::runtime_error(std::string("cannot create a test client: ") + err);
  return rk;
}

}  // namespace

std::string bootstrap() {
  const char* b = std::getenv("KSTREAMS_BOOTSTRAP");
  if (b == nullptr || *b == '\0')
    throw std::runtime_error("KSTREAMS_BOOTSTRAP is not set: run tools/test, or start a broker with "
                             "tools/kafka-local start and export KSTREAMS_BOOTSTRAP=<its address>");
  return b;
}

std::string uniqueName(const std::string& base) {
  static std::atomic<int> counter{0};
  static const uint32_t run = std::random_device{}();
  return base + "-" + std::to_string(run) + "-" + std::to_string(counter++);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TestProducer::TestProducer(const std::map<std::string, std::string>& properties) : producer_(nullptr, destroy) {
  std::map<std::string, std::string> props = {{"bootstrap.servers", bootstrap()},
                                              {"partitioner", "murmur2_random"},
                                              {"enable.idempotence", "true"},
                                              {"linger.ms", "5"}};
  for (const auto& [k, v] : properties) props[k] = v;
  producer_.reset(create(RD_KAFKA_PRODUCER, props));
}

TestProducer::~TestProducer() { rd_kafka_flush(producer_.get(), 30000); }

void TestProducer::send(const std::string& topic, std::optional<std::string> key, std::optional<std::string> value,
                        int64_t timestamp, int32_t partition, const Headers& headers) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (!headers.empty()) {
    hdrs = rd_kafka_headers_new(headers.size());
    for (const auto& h : headers)
      rd_kafka_header_add(hdrs, h.key.data(), h.key.size(), h.value ? h.value->data() : nullptr,
                          h.value ? static_cast<ssize_t>(h.value->size()) : 0);
  }
  const size_t keyLen = key ? key->size() : 0;
  const size_t valueLen = value ? value->size() : 0;
  const void* keyPtr = key ? key->data() : nullptr;
  void* valuePtr = value ? const_cast<char*>(value->data()) : nullptr;
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(keyPtr, keyLen),
        RD_KAFKA_V_VALUE(valuePtr, valueLen),
        RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer_.get(), 10);
      continue;
    }
    if (err) throw std::runtime_error(std::string("test produce failed: ") + rd_kafka_err2str(err));
    return;
  }
}

void TestProducer::flush() {
  if (rd_kafka_flush(producer_.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error("test producer flush timed out");
}

namespace {

std::vector<ConsumedRecord> consumeUntil(const std::string& topic, std::optional<size_t> count,
                                         std::chrono::milliseconds timeout, bool readCommitted) {
  Admin admin(bootstrap());
  std::map<int32_t, int64_t> ends;
  if (!count) ends = admin.endOffsets(topic);
  const int32_t partitions = admin.listTopics().at(topic);
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> consumer(
      create(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap()},
                                 {"group.id", uniqueName("test-reader")},
                                 {"enable.auto.commit", "false"},
                                 {"isolation.level", readCommitted ? "read_committed" : "read_uncommitted"}}),
      destroy);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(consumer.get(), list);
  rd_kafka_topic_partition_list_destroy(list);

  std::map<int32_t, int64_t> positions;
  auto done = [&](const std::vector<ConsumedRecord>& got) {
    if (count) return got.size() >= *count;
    for (const auto& [p, end] : ends) {
      // Under read_committed the end may be a transaction marker no record sits at.
      int64_t low = 0, high = 0;
      rd_kafka_get_watermark_offsets(consumer.get(), topic.c_str(), p, &low, &high);
      int64_t pos = positions.count(p) ? positions[p] : 0;
      if (pos < end && !(readCommitted && pos >= high)) return false;
    }
    return true;
  };
  std::vector<ConsumedRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(out) && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
    if (!m) {
      if (!count && readCommitted) {
        // Positions move past transaction markers without a record; ask the consumer.
        rd_kafka_topic_partition_list_t* pos = rd_kafka_topic_partition_list_new(partitions);
        for (int32_t p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(pos, topic.c_str(), p);
        rd_kafka_position(consumer.get(), pos);
        for (int i = 0; i < pos->cnt; ++i)
          if (pos->elems[i].offset >= 0) positions[pos->elems[i].partition] = pos->elems[i].offset;
        rd_kafka_topic_partition_list_destroy(pos);
      }
      continue;
    }
    if (m->err) {
      rd_kafka_message_destroy(m);
      continue;
    }
    ConsumedRecord r;
    r.topic = topic;
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key) r.key = std::string(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value = std::string(static_cast<const char*>(m->payload), m->len);
    r.timestamp = rd_kafka_message_timestamp(m, nullptr);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      size_t size;
      for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i)
        r.headers.add(name, value ? std::optional<std::string>(std::string(static_cast<const char*>(value), size))
                                  : std::nullopt);
    }
    positions[m->partition] = m->offset + 1;
    out.push_back(std::move(r));
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer.get());
  return out;
}

}  // namespace

std::vector<ConsumedRecord> consume(const std::string& topic, size_t count, std::chrono::milliseconds timeout,
                                    bool readCommitted) {
  return consumeUntil(topic, count, timeout, readCommitted);
}

std::vector<ConsumedRecord> consumeToEnd(const std::string& topic, std::chrono::milliseconds timeout,
                                         bool readCommitted) {
  return consumeUntil(topic, std::nullopt, timeout, readCommitted);
}

}  // namespace kstreams::test
