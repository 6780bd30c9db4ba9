#include "state/indexed_map.h"

// Inlined into this one function: xxHash's header is large, and a call costs less than the
// hash it saves.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace kstreams::internal {

size_t hashKeyBytes(std::string_view key) { return static_cast<size_t>(XXH3_64bits(key.data(), key.size())); }

}  // namespace kstreams::internal
