#include "runtime/fetch_doorbell.h"

#include <algorithm>
#include <string>

#include "streams/errors.h"

namespace kstreams::internal {

namespace {
// An unanswered request blocks further rings to its broker until librdkafka gives up on it.
constexpr int kRequestTimeoutMs = 5000;
}  // namespace

FetchDoorbell::FetchDoorbell(rd_kafka_t* consumer, int64_t queueBytes, int64_t queueRecords)
    : consumer_(consumer),
      answers_(rd_kafka_queue_new(consumer)),
      queueBytes_(queueBytes),
      queueRecords_(queueRecords) {
  if (!answers_) throw StreamsException("cannot create a librdkafka queue for fetch wake-ups");
}

FetchDoorbell::~FetchDoorbell() { rd_kafka_queue_destroy(answers_); }

bool FetchDoorbell::ring(int32_t broker) {
  if (broker < 0) return false;
  if (std::find(outstanding_.begin(), outstanding_.end(), broker) != outstanding_.end())
    return false;
  const std::string id = std::to_string(broker);
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, id.c_str());
  rd_kafka_ConfigResource_set_config(resource, "broker.id", nullptr);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(consumer_, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(options, kRequestTimeoutMs, err, sizeof err);
  rd_kafka_AdminOptions_set_opaque(options, reinterpret_cast<void*>(static_cast<intptr_t>(broker)));
  rd_kafka_DescribeConfigs(consumer_, &resource, 1, options, answers_);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_ConfigResource_destroy(resource);
  outstanding_.push_back(broker);
  ++rings_;
  return true;
}

void FetchDoorbell::collect() {
  while (!outstanding_.empty()) {
    rd_kafka_event_t* answer = rd_kafka_queue_poll(answers_, 0);
    if (!answer) return;
    const auto broker = static_cast<int32_t>(reinterpret_cast<intptr_t>(rd_kafka_event_opaque(answer)));
    std::erase(outstanding_, broker);
    rd_kafka_event_destroy(answer);
  }
}

}  // namespace kstreams::internal
