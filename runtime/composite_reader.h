// CompositeReader: one read-only store over the same store in all of an instance's tasks,
// for interactive queries. The tasks are looked up on every call, so tasks that move in or
// out of the instance are seen at once. Keys of different tasks never collide (each key
// lives in one partition), so range results merge in key order. Internal.
#pragma once

#include <memory>
#include <string>

#include "runtime/store_registry.h"

namespace kstreams::internal {

class CompositeReader final : public KeyValueBytesStore {
 public:
  CompositeReader(const StoreRegistry& registry, std::string store) : registry_(registry), name_(std::move(store)) {}
  const std::string& name() const override { return name_; }
  bool persistent() const override { return true; }
  void flush() override {}
  std::optional<std::string> get(std::string_view key) override;
  void put(std::string_view, std::optional<std::string_view>, int64_t) override;
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                       bool reverse) override;
  int64_t approximateNumEntries() override;
  void deleteBefore(std::string_view) override;

 private:
  const StoreRegistry& registry_;
  std::string name_;
};

}  // namespace kstreams::internal
