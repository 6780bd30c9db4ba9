// Whether a fetched record has no headers, told without librdkafka's header parse. Internal.
//
// Why: librdkafka 2.0 (Debian bookworm's) keeps a fetched record's header block unparsed
// until rd_kafka_message_headers is called, and then parses it even when all it holds is a
// count of zero: a calloc, the parse and two frees, about 620 instructions. A stream thread
// must ask for every record a sink or a user's processor sees, since headers travel with a
// record as in Kafka Streams; that was a fifth of a stateless sink's stream thread, for
// records that mostly have no headers at all.
//
// How: librdkafka hands out a fetched record's value where it lies in the fetch response
// (or in the decompressed batch), and a v2 record (every record a broker of Kafka 0.11 or
// later writes) is laid out as `... value length (zigzag varint) | value | header count
// (zigzag varint) | headers`, so a record without headers has the byte 0 right after its
// value. Records of the older formats (v0/v1, which have no headers) have a 4-byte
// big-endian length before the value instead, and may end the fetch response right after
// it; for a value of 1 to 8,191 bytes the two length encodings never share their last
// bytes, so checking the varint first keeps every read inside the record. Anything else
// (no value, a longer one, a varint not written in its shortest form) answers "unknown" and
// is asked of librdkafka as before.
//
// Trust, but verify: the layout is librdkafka's, not its API's promise. The check is used
// only with librdkafka 1.x and 2.x, whose fetch path reads values in place; the first
// records it answers for in a process, and after them every record at an offset that is a
// multiple of 1,024, are also asked of librdkafka: a record it called header-less that has
// headers turns it off for good, with a warning
// (tests/integration/fetched_headers_test.cc checks the layout against the broker).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>

namespace kstreams::internal {

// True only if `m`, a record a consumer fetched, certainly has no headers; false if it has
// some, is an error event, or this cannot tell (then ask rd_kafka_message_headers).
bool fetchedRecordHasNoHeaders(const rd_kafka_message_t* m);

// The layout check alone, on the `size` bytes of a value at `value` inside a record: true
// if they are a v2 record's value (its length in shortest form just before it) followed
// by a header count of zero.
bool recordBytesSayNoHeaders(const void* value, size_t size);

// Whether the check is in use in this process (the librdkafka version fits and no record
// has contradicted it). For tests and logs.
bool fetchedHeadersCheckEnabled();

}  // namespace kstreams::internal
