// fetched_headers.h against records a real broker serves: whatever the compression, value
// size or headers, a record it calls header-less has none by librdkafka's own parse, and
// every record without headers and a value of 1 to 8,191 bytes is told without that parse.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kstreams.h"
#include "runtime/fetched_headers.h"
#include "runtime/kafka_client.h"
#include "tests/support/kafka_cluster.h"

namespace kstreams {
namespace {

using namespace std::chrono_literals;
using test::bootstrap;
using test::uniqueName;

const std::vector<std::string> kCompressions = {"none", "gzip", "snappy", "lz4", "zstd"};
const std::vector<size_t> kValueSizes = {0, 1, 63, 64, 100, 8191, 8192, 70000};

struct Sent {
  bool nullValue = false;
  size_t valueSize = 0;
  int headers = 0;
};

// Partition p of `topic` gets every kind of record, batched with kCompressions[p].
std::vector<Sent> produceEveryKind(const std::string& topic) {
  std::vector<Sent> sent;
  for (size_t size : kValueSizes)
    for (int headers : {0, 1, 2}) sent.push_back({false, size, headers});
  sent.push_back({true, 0, 0});  // a tombstone
  sent.push_back({true, 0, 1});
  for (size_t p = 0; p < kCompressions.size(); ++p) {
    internal::KafkaHandle producer = internal::createClient(
        RD_KAFKA_PRODUCER, internal::makeConf({{"bootstrap.servers", bootstrap()},
                                               {"compression.codec", kCompressions[p]},
                                               {"linger.ms", "50"}}));
    for (const Sent& s : sent) {
      const std::string value(s.valueSize, 'v');
      rd_kafka_headers_t* headers = rd_kafka_headers_new(2);
      for (int h = 0; h < s.headers; ++h)
        rd_kafka_header_add(headers, h == 0 ? "trace" : "empty", -1, h == 0 ? "abc" : nullptr, h == 0 ? 3 : 0);
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(static_cast<int32_t>(p)),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY("key", 3),
          RD_KAFKA_V_VALUE(s.nullValue ? nullptr : const_cast<char*>(value.data()), s.nullValue ? 0 : value.size()),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err) rd_kafka_headers_destroy(headers);
      EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    }
    EXPECT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  return sent;
}

TEST(FetchedHeaders, ARecordToldHeaderlessHasNoHeadersWhateverItsBatchAndSize) {
  ASSERT_TRUE(internal::fetchedHeadersCheckEnabled()) << "librdkafka " << rd_kafka_version_str();
  const std::string topic = uniqueName("fetched-headers");
  Admin(bootstrap()).createTopic(topic, static_cast<int32_t>(kCompressions.size()));
  const std::vector<Sent> sent = produceEveryKind(topic);

  internal::KafkaHandle consumer = internal::createClient(
      RD_KAFKA_CONSUMER, internal::makeConf({{"bootstrap.servers", bootstrap()},
                                             {"group.id", uniqueName("fetched-headers")},
                                             {"enable.auto.commit", "false"}}));
  internal::PartitionList assignment(rd_kafka_topic_partition_list_new(static_cast<int>(kCompressions.size())));
  for (size_t p = 0; p < kCompressions.size(); ++p)
    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), static_cast<int32_t>(p))->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  ASSERT_EQ(rd_kafka_assign(consumer.get(), assignment.get()), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<int> seen(kCompressions.size(), 0);
  int told = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  const int expected = static_cast<int>(sent.size() * kCompressions.size());
  for (int total = 0; total < expected && std::chrono::steady_clock::now() < deadline;) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
    if (!m) continue;
    if (m->err) {
      ADD_FAILURE() << rd_kafka_message_errstr(m);
      rd_kafka_message_destroy(m);
      continue;
    }
    // Asked first, before librdkafka's parse below could change what it reads. The layout
    // check itself, since the verifying wrapper would mask a wrong answer.
    const bool saysNone = internal::recordBytesSayNoHeaders(m->payload, m->len);
    EXPECT_EQ(internal::fetchedRecordHasNoHeaders(m), saysNone);
    const Sent& s = sent.at(static_cast<size_t>(m->offset));
    const std::string where = kCompressions.at(static_cast<size_t>(m->partition)) + " batch, offset " +
                              std::to_string(m->offset) + ", value " +
                              (s.nullValue ? std::string("null") : std::to_string(s.valueSize) + " bytes") + ", " +
                              std::to_string(s.headers) + " header(s)";
    rd_kafka_headers_t* headers = nullptr;
    const bool hasHeaders = rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                            rd_kafka_header_cnt(headers) > 0;
    EXPECT_EQ(hasHeaders, s.headers > 0) << where;
    if (saysNone) {
      EXPECT_FALSE(hasHeaders) << where;
      ++told;
    }
    // The check must be taken where it can be: else it saves nothing.
    if (s.headers == 0 && !s.nullValue && s.valueSize >= 1 && s.valueSize <= 8191) {
      EXPECT_TRUE(saysNone) << where;
    }
    ++seen[static_cast<size_t>(m->partition)];
    ++total;
    rd_kafka_message_destroy(m);
  }
  for (size_t p = 0; p < kCompressions.size(); ++p)
    EXPECT_EQ(seen[p], static_cast<int>(sent.size())) << kCompressions[p];
  EXPECT_EQ(told, 5 * static_cast<int>(kCompressions.size()));  // sizes 1, 63, 64, 100, 8191
  EXPECT_TRUE(internal::fetchedHeadersCheckEnabled());
  rd_kafka_consumer_close(consumer.get());
}

}  // namespace
}  // namespace kstreams
