#include "streams/default_partitioner.h"

namespace kstreams {

int32_t murmur2(std::string_view bytes) {
  // Unsigned arithmetic wraps as Java's int does.
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const size_t length = bytes.size();
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  uint32_t h = 0x9747b28c ^ static_cast<uint32_t>(length);
  for (size_t i = 0; i + 4 <= length; i += 4) {
    uint32_t k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (static_cast<uint32_t>(data[i + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = length & ~size_t{3};
  switch (length % 4) {
    case 3: h ^= static_cast<uint32_t>(data[tail + 2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<uint32_t>(data[tail + 1]) << 8; [[fallthrough]];
    case 1:
      h ^= data[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

}  // namespace kstreams
