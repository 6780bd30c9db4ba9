// The ceilings: consume, and consume -> produce, with librdkafka alone (its batch consume
// API, no kstreams code in between). The one place outside runtime/ that uses librdkafka
// directly: measuring it bare is the point.
#include <librdkafka/rdkafka.h>

#include <fmt/core.h>

#include <map>
#include <memory>
#include <random>
#include <string_view>

#include "kstreams.h"
#include "tools/bench/bench.h"

namespace bench {
namespace {

struct Destroy {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
using Client = std::unique_ptr<rd_kafka_t, Destroy>;

// A client with the harness's properties, then the --config settings for it
// (userConfigFor): a setting librdkafka does not know, such as a kstreams-only one
// (statestore.*, rocksdb.*), is left out with a note, as the Java clients ignore keys they
// do not know; a bad value of one it knows is an error.
rd_kafka_t* create(rd_kafka_type_t type, const std::map<std::string, std::string>& props,
                   const std::map<std::string, std::string>& userProps) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : props)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK)
      throw kstreams::ConfigException(k + ": " + err);
  for (const auto& [k, v] : userProps) {
    const rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err));
    if (res == RD_KAFKA_CONF_UNKNOWN)
      fmt::print(stderr, "kstreams-bench: --config {}: not a librdkafka {} property, not applied to the raw loop\n", k,
                 type == RD_KAFKA_CONSUMER ? "consumer" : "producer");
    else if (res != RD_KAFKA_CONF_OK)
      throw kstreams::ConfigException("--config " + k + ": " + err);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (!rk) throw kstreams::StreamsException(err);
  return rk;
}

// The --config settings for one client, as the Java harness applies them: a key with the
// client's own prefix ("consumer." or "producer.") without it, a key with the other
// client's prefix not at all, any other key as it is.
std::map<std::string, std::string> userConfigFor(const Options& o, std::string_view own, std::string_view other) {
  std::map<std::string, std::string> props;
  for (const std::string& kv : o.config) {
    const size_t eq = kv.find('=');
    std::string_view key = std::string_view(kv).substr(0, eq);
    if (key.starts_with(other)) continue;
    if (key.starts_with(own)) key.remove_prefix(own.size());
    props[std::string(key)] = kv.substr(eq + 1);
  }
  return props;
}

void check(rd_kafka_error_t* e, const char* what) {
  if (!e) return;
  std::string text = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  throw kstreams::StreamsException(std::string(what) + ": " + text);
}

}  // namespace

bool isClientScenario(const std::string& s) { return s == "consume" || s == "consumeproduce"; }

int runClientScenario(const Options& o, Meter& meter) {
  const bool eos = o.guarantee == "exactly_once_v2";
  const bool produce = o.scenario == "consumeproduce";
  const int32_t partitions = kstreams::Admin(o.bootstrapServers).listTopics().at(o.inputTopic);

  Client consumer(create(RD_KAFKA_CONSUMER,
                         {{"bootstrap.servers", o.bootstrapServers},
                          {"group.id", o.applicationId},
                          {"enable.auto.commit", "false"},
                          // librdkafka 2.0 looks at a full prefetch queue again only about once a
                          // second; a ceiling must not wait for that.
                          {"queued.min.messages", "1000000"},
                          {"isolation.level", eos ? "read_committed" : "read_uncommitted"}},
                         userConfigFor(o, "consumer.", "producer.")));
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> producer(nullptr, rd_kafka_destroy);
  rd_kafka_topic_t* out = nullptr;
  if (produce) {
    std::map<std::string, std::string> props = {{"bootstrap.servers", o.bootstrapServers},
                                                {"partitioner", "murmur2_random"},
                                                {"linger.ms", "100"},
                                                {"enable.idempotence", "true"}};
    if (eos) {
      props["transactional.id"] = o.applicationId + "-raw";
      props["transaction.timeout.ms"] = "10000";
      props["message.timeout.ms"] = "10000";
    }
    producer.reset(create(RD_KAFKA_PRODUCER, props, userConfigFor(o, "producer.", "consumer.")));
    out = rd_kafka_topic_new(producer.get(), o.outputTopic.c_str(), nullptr);
    if (eos) {
      check(rd_kafka_init_transactions(producer.get(), 30000), "init_transactions");
      check(rd_kafka_begin_transaction(producer.get()), "begin_transaction");
    }
  }
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(assignment, o.inputTopic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(consumer.get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer.get());
  // The clock starts at the first record (Meter::record): a stream thread's starts when its
  // tasks run, after the group gave it partitions, so neither counts connecting and joining.

  std::vector<int64_t> next(partitions, 0);
  auto lastCommit = std::chrono::steady_clock::now();
  auto commit = [&] {
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(partitions);
    for (int32_t p = 0; p < partitions; ++p)
      rd_kafka_topic_partition_list_add(offsets, o.inputTopic.c_str(), p)->offset = next[p];
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer.get());
    check(rd_kafka_send_offsets_to_transaction(producer.get(), offsets, group, 30000), "send_offsets_to_transaction");
    rd_kafka_consumer_group_metadata_destroy(group);
    rd_kafka_topic_partition_list_destroy(offsets);
    check(rd_kafka_commit_transaction(producer.get(), 30000), "commit_transaction");
    check(rd_kafka_begin_transaction(producer.get()), "begin_transaction");
  };

  // Kafka Streams' commit interval under exactly_once_v2 unless --commit-interval-ms says
  // otherwise, as in the Java loop.
  const std::chrono::milliseconds commitInterval(o.commitIntervalMs.value_or(100));
  rd_kafka_message_t* batch[1000];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeoutS);
  while (!meter.done()) {
    if (std::chrono::steady_clock::now() > deadline) break;
    // A batch with a timeout waits for the whole batch: take what is there, and block only
    // when nothing is.
    ssize_t n = rd_kafka_consume_batch_queue(queue, 0, batch, 1000);
    if (n == 0) {
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100)) batch[n++] = m;
    }
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[i];
      if (!m->err) {
        if (produce) {
          for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                producer.get(), RD_KAFKA_V_RKT(out), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
                RD_KAFKA_V_TIMESTAMP(rd_kafka_message_timestamp(m, nullptr)), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
            rd_kafka_poll(producer.get(), 10);
          }
          next[m->partition] = m->offset + 1;
        }
        meter.record(static_cast<int64_t>(m->key_len + m->len));
      }
      rd_kafka_message_destroy(m);
    }
    if (produce) {
      rd_kafka_poll(producer.get(), 0);
      if (eos && std::chrono::steady_clock::now() - lastCommit > commitInterval) {
        commit();
        lastCommit = std::chrono::steady_clock::now();
      }
    }
  }
  rd_kafka_queue_destroy(queue);
  if (out) rd_kafka_topic_destroy(out);
  if (produce) {
    if (eos) commit();
    rd_kafka_flush(producer.get(), 60000);
  }
  if (!meter.done()) {
    fmt::print(stderr, "kstreams-bench: only {} of {} records within {} s\n", meter.count(), o.records, o.timeoutS);
    return 1;
  }
  return 0;
}

}  // namespace bench
