// TaskId: one sub-topology times one partition number, printed "<subtopology>_<partition>".
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace kstreams {

struct TaskId {
  int32_t subtopology = 0;
  int32_t partition = 0;

  std::string toString() const {
    return std::to_string(subtopology) + "_" + std::to_string(partition);
  }
  auto operator<=>(const TaskId&) const = default;
};

}  // namespace kstreams

template <>
struct std::hash<kstreams::TaskId> {
  size_t operator()(const kstreams::TaskId& id) const noexcept {
    return (static_cast<size_t>(id.subtopology) << 32) ^ static_cast<uint32_t>(id.partition);
  }
};
