// What a store iterator returns, as plain pairs, for tests to compare with what they expect.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "streams/internal/bytes_store.h"

namespace kstreams::internal {

using Entries = std::vector<std::pair<std::string, std::string>>;

inline Entries collect(std::unique_ptr<BytesIterator> it) {
  Entries out;
  for (; it->valid(); it->next()) out.emplace_back(std::string(it->key()), std::string(it->value()));
  return out;
}

}  // namespace kstreams::internal
