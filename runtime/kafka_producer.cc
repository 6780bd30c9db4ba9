#include "runtime/kafka_producer.h"

#include "runtime/kafka_client.h"

namespace kstreams {
namespace {
void destroy(rd_kafka_t* rk) { rd_kafka_destroy(rk); }
}  // namespace

KafkaProducer::KafkaProducer(const std::string& bootstrapServers,
                             const std::map<std::string, std::string>& properties)
    : producer_(nullptr, destroy) {
  std::map<std::string, std::string> props = {{"bootstrap.servers", bootstrapServers},
                                              {"partitioner", "murmur2_random"},
                                              {"enable.idempotence", "true"},
                                              {"linger.ms", "5"}};
  for (const auto& [k, v] : properties) props[k] = v;
  internal::KafkaConf conf = internal::makeConf(props);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), [](rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
    onDelivery(rk, m, opaque);
  });
  rd_kafka_conf_set_opaque(conf.get(), this);
  producer_.reset(internal::createClient(RD_KAFKA_PRODUCER, std::move(conf)).release());
}

KafkaProducer::~KafkaProducer() {
  while (rd_kafka_flush(producer_.get(), 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
  }
}

void KafkaProducer::onDelivery(rd_kafka_s*, const void* message, void* opaque) {
  auto* m = static_cast<const rd_kafka_message_t*>(message);
  auto* self = static_cast<KafkaProducer*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivered_;
  } else if (self->firstError_.empty()) {
    self->firstError_ = "writing to " + internal::partitionName(rd_kafka_topic_name(m->rkt), m->partition) +
                        " failed: " + rd_kafka_err2str(m->err);
    if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
      self->firstError_ += " (a record of " + std::to_string(m->key_len + m->len) +
                           " bytes of key and value, or the batch it was sent in, is larger than the topic's "
                           "max.message.bytes; raise that, or set the producer's message.max.bytes no larger)";
  }
}

void KafkaProducer::send(const std::string& topic, std::optional<std::string_view> key,
                         std::optional<std::string_view> value, int64_t timestamp, int32_t partition,
                         const Headers& headers) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(producer_.get(), topic.c_str(), nullptr);
  rd_kafka_resp_err_t err =
      internal::produce(producer_.get(), rkt, partition, key, value, timestamp, headers);
  rd_kafka_topic_destroy(rkt);  // librdkafka keeps its own reference while records are queued
  if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
    throw StreamsException("cannot write to topic " + topic + ": " + rd_kafka_err2str(err) +
                           internal::recordTooLargeToSend(producer_.get(),
                                                          (key ? key->size() : 0) + (value ? value->size() : 0),
                                                          "the producer's message.max.bytes"));
  if (err) throw StreamsException("cannot write to topic " + topic + ": " + rd_kafka_err2str(err));
  rd_kafka_poll(producer_.get(), 0);
}

void KafkaProducer::flush() {
  while (rd_kafka_flush(producer_.get(), 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
  }
  if (!firstError_.empty()) throw StreamsException(firstError_);
}

}  // namespace kstreams
