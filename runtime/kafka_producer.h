// KafkaProducer: a plain producer for what surrounds a streams application — loading test
// data, feeding an input topic from a program. Partitions as Java does (murmur2 of the key)
// and is idempotent, so retries neither reorder nor duplicate a partition's records.
// Not for use inside a topology: sinks write through the stream thread's own producer.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "streams/record.h"
#include "streams/serde.h"

struct rd_kafka_s;

namespace kstreams {

class KafkaProducer {
 public:
  // `properties` are librdkafka producer properties; they override the defaults.
  explicit KafkaProducer(const std::string& bootstrapServers,
                         const std::map<std::string, std::string>& properties = {});
  // Flushes, waiting as long as message.timeout.ms allows.
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues a record. timestamp 0 means now; partition -1 lets murmur2 of the key choose.
  // Delivery failures are reported by flush().
  void send(const std::string& topic, std::optional<std::string_view> key,
            std::optional<std::string_view> value, int64_t timestamp = 0, int32_t partition = -1,
            const Headers& headers = {});
  template <class K, class V>
  void send(const std::string& topic, const K& key, const V& value, const SerdeFor<K>& keySerde,
            const SerdeFor<V>& valueSerde, int64_t timestamp = 0);

  // Waits until every queued record is delivered; throws StreamsException with the first
  // failure (topic, partition and the broker's error) if any was not.
  void flush();
  int64_t delivered() const { return delivered_; }

 private:
  static void onDelivery(rd_kafka_s*, const void* message, void* opaque);

  std::unique_ptr<rd_kafka_s, void (*)(rd_kafka_s*)> producer_;
  std::string firstError_;
  int64_t delivered_ = 0;
};

template <class K, class V>
void KafkaProducer::send(const std::string& topic, const K& key, const V& value,
                         const SerdeFor<K>& keySerde, const SerdeFor<V>& valueSerde,
                         int64_t timestamp) {
  std::string k, v;
  send(topic, internal::encodeView<K>(*keySerde, internal::writesItsOwnBytes(*keySerde), key, k),
       internal::encodeView<V>(*valueSerde, internal::writesItsOwnBytes(*valueSerde), value, v),
       timestamp);
}

}  // namespace kstreams
