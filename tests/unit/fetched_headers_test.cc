// The byte-layout half of fetched_headers.h, on records built by hand: v2 records with and
// without headers, and the older v0/v1 layout, which has no header count and must never
// pass for a v2 record without headers. Real fetched records: tests/integration.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/fetched_headers.h"

namespace kstreams::internal {
namespace {

void appendVarint(std::string& out, int64_t v) {
  uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (z >= 0x80) {
    out.push_back(static_cast<char>((z & 0x7f) | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<char>(z));
}

// A record's bytes from its value length on, and where its value starts.
struct Record {
  std::string bytes;
  size_t valueAt = 0;
  bool sayNoHeaders() const { return recordBytesSayNoHeaders(bytes.data() + valueAt, bytes.size() - valueAt - tail); }
  size_t tail = 0;  // bytes after the value
};

Record v2(size_t valueSize, int headers) {
  Record r;
  r.bytes = "\x10";  // the end of the key before it
  appendVarint(r.bytes, static_cast<int64_t>(valueSize));
  r.valueAt = r.bytes.size();
  r.bytes.append(valueSize, 'v');
  const size_t end = r.bytes.size();
  appendVarint(r.bytes, headers);
  for (int i = 0; i < headers; ++i) {
    appendVarint(r.bytes, 1);
    r.bytes += "h";
    appendVarint(r.bytes, -1);  // a null header value
  }
  r.tail = r.bytes.size() - end;
  return r;
}

// v0/v1: a 4-byte big-endian length before the value, then the next message's 8-byte
// offset, whose first byte is 0.
Record v1(size_t valueSize) {
  Record r;
  r.bytes = "\x10";
  for (int shift = 24; shift >= 0; shift -= 8) r.bytes.push_back(static_cast<char>((valueSize >> shift) & 0xff));
  r.valueAt = r.bytes.size();
  r.bytes.append(valueSize, 'v');
  r.bytes.append(8, '\0');
  r.tail = 8;
  return r;
}

TEST(FetchedHeaders, AV2RecordWithoutHeadersIsToldApartFromOneWithThem) {
  for (size_t size : {1, 63, 64, 100, 1000, 8191}) {
    EXPECT_TRUE(v2(size, 0).sayNoHeaders()) << size;
    EXPECT_FALSE(v2(size, 1).sayNoHeaders()) << size;
    EXPECT_FALSE(v2(size, 3).sayNoHeaders()) << size;
  }
}

TEST(FetchedHeaders, NoValueOrALongOneIsLeftToLibrdkafka) {
  EXPECT_FALSE(recordBytesSayNoHeaders(nullptr, 0));
  Record empty = v2(0, 0);
  EXPECT_FALSE(recordBytesSayNoHeaders(empty.bytes.data() + empty.valueAt, 0));
  EXPECT_FALSE(v2(8192, 0).sayNoHeaders());
  EXPECT_FALSE(v2(100000, 0).sayNoHeaders());
}

// What keeps every read inside the record: an old-format value's length never ends in
// the bytes of a v2 length, so the byte after the value is never looked at there.
TEST(FetchedHeaders, NoOldFormatRecordPassesForAV2One) {
  for (size_t size = 1; size <= 8191; ++size) ASSERT_FALSE(v1(size).sayNoHeaders()) << size;
}

TEST(FetchedHeaders, ALengthNotInItsShortestFormIsLeftToLibrdkafka) {
  // 100 (zigzag 200) written as three bytes instead of two.
  std::string bytes = "\x10\xc8\x81";
  bytes.push_back('\0');
  const size_t valueAt = bytes.size();
  bytes.append(100, 'v');
  bytes.push_back('\0');
  EXPECT_FALSE(recordBytesSayNoHeaders(bytes.data() + valueAt, 100));
}

// A consumer's error event carries an error string as its payload, which may happen to end
// like a record without headers: it is never answered for.
TEST(FetchedHeaders, AnErrorEventIsNeverToldHeaderless) {
  Record r = v2(100, 0);
  ASSERT_TRUE(r.sayNoHeaders());
  // At the start of zeroed room for librdkafka's larger message struct, so that a check
  // that asked librdkafka anyway would read zeros (no headers) and fail here, not crash.
  alignas(std::max_align_t) unsigned char room[4096] = {};
  auto* m = reinterpret_cast<rd_kafka_message_t*>(room);
  m->err = RD_KAFKA_RESP_ERR__PARTITION_EOF;
  m->payload = r.bytes.data() + r.valueAt;
  m->len = 100;
  EXPECT_FALSE(fetchedRecordHasNoHeaders(m));
}

}  // namespace
}  // namespace kstreams::internal
