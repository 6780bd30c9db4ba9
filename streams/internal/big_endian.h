// Fixed-width unsigned numbers as big-endian bytes, whose byte order is their numeric order:
// how the number serdes write values (as Java's serializers do) and how store keys hold
// numbers. Internal.
#pragma once

#include <bit>
#include <concepts>
#include <cstring>
#include <string>
#include <string_view>

namespace kstreams::internal {

template <std::unsigned_integral U>
U bigEndianSwap(U v) {
  static_assert(sizeof(U) == 2 || sizeof(U) == 4 || sizeof(U) == 8);
  if constexpr (std::endian::native == std::endian::big) return v;
  else if constexpr (sizeof(U) == 2) return __builtin_bswap16(v);
  else if constexpr (sizeof(U) == 4) return __builtin_bswap32(v);
  else return __builtin_bswap64(v);
}

// In one append: byte by byte, the capacity checks cost more than building a store key.
template <std::unsigned_integral U>
void appendBigEndian(std::string& out, U v) {
  v = bigEndianSwap(v);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Overwrites the sizeof(U) bytes at `bytes` (a length written after what it measures).
template <std::unsigned_integral U>
void writeBigEndian(char* bytes, U v) {
  v = bigEndianSwap(v);
  std::memcpy(bytes, &v, sizeof v);
}

// The number in the sizeof(U) bytes at `bytes`.
template <std::unsigned_integral U>
U readBigEndian(const char* bytes) {
  U v;
  std::memcpy(&v, bytes, sizeof v);
  return bigEndianSwap(v);
}

// A signed 64-bit number (a timestamp, an offset) as Serdes::Int64() writes it, for the
// stores' own framing: without the serde's call, shared_ptr copy and virtual call.
inline void appendInt64(std::string& out, int64_t v) { appendBigEndian(out, static_cast<uint64_t>(v)); }
inline int64_t readInt64(std::string_view b, size_t at) {
  return static_cast<int64_t>(readBigEndian<uint64_t>(b.data() + at));
}

}  // namespace kstreams::internal
