#include "runtime/fetched_headers.h"

#include <atomic>
#include <cstdint>

#include "runtime/log.h"

namespace kstreams::internal {
namespace {

// Values of at least this many bytes have a 3-byte varint, whose last bytes a v0/v1 length
// could share (see the header).
constexpr size_t kLongestCheckedValue = 8191;
// How many of a process's first "no headers" answers are also asked of librdkafka.
constexpr int64_t kVerifiedAnswers = 1000;
// After those, the answers for records at offsets that are multiples of this are asked too,
// for the life of the process: a layout that changes with what is fetched (a codec, a
// broker's record format) is still caught, at one librdkafka parse per 1,024 records.
constexpr int64_t kVerifiedOffsetStride = 1024;

bool layoutKnown() {
  const int v = rd_kafka_version();  // 0xMMmmrrxx
  return v >= 0x01000000 && v < 0x03000000;
}

std::atomic<bool> enabled{layoutKnown()};
std::atomic<int64_t> toVerify{kVerifiedAnswers};

// Whether the value's length, as a v2 record writes it (zigzag varint, shortest form), ends
// right before the value.
bool v2LengthPrecedes(const unsigned char* value, size_t n) {
  const uint32_t z = static_cast<uint32_t>(n) << 1;
  if (z < 0x80) return value[-1] == z;
  return value[-2] == ((z & 0x7f) | 0x80) && value[-1] == (z >> 7);
}

bool librdkafkaSaysNoHeaders(const rd_kafka_message_t* m) {
  rd_kafka_headers_t* hdrs = nullptr;
  return rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
         !hdrs || rd_kafka_header_cnt(hdrs) == 0;
}

}  // namespace

bool recordBytesSayNoHeaders(const void* value, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(value);
  return bytes && size > 0 && size <= kLongestCheckedValue && v2LengthPrecedes(bytes, size) && bytes[size] == 0;
}

bool fetchedRecordHasNoHeaders(const rd_kafka_message_t* m) {
  if (m->err || !enabled.load(std::memory_order_relaxed) || !recordBytesSayNoHeaders(m->payload, m->len))
    return false;
  const bool verify = m->offset % kVerifiedOffsetStride == 0 ||
                      (toVerify.load(std::memory_order_relaxed) > 0 &&
                       toVerify.fetch_sub(1, std::memory_order_relaxed) > 0);
  if (verify && !librdkafkaSaysNoHeaders(m)) {
    if (enabled.exchange(false))
      log().warn("a record of {} [{}] at offset {} has headers where this librdkafka ({}) was expected to keep a "
                 "record without them: every record's headers are now asked of librdkafka",
                 rd_kafka_topic_name(m->rkt), m->partition, m->offset, rd_kafka_version_str());
    return false;
  }
  return true;
}

bool fetchedHeadersCheckEnabled() { return enabled.load(std::memory_order_relaxed); }

}  // namespace kstreams::internal
