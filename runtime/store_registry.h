// StoreRegistry: the stores of an instance's running tasks that interactive queries may
// read, by store name and task. Tasks register a store's committed-data reader once it is
// restored and unregister it when they close. Thread-safe. Internal.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "streams/internal/bytes_store.h"
#include "streams/task_id.h"

namespace kstreams::internal {

class StoreRegistry {
 public:
  void add(const std::string& store, TaskId task, std::shared_ptr<KeyValueBytesStore> reader) {
    std::lock_guard lock(mutex_);
    stores_[store][task] = std::move(reader);
  }
  void remove(const std::string& store, TaskId task) {
    std::lock_guard lock(mutex_);
    auto it = stores_.find(store);
    if (it != stores_.end()) it->second.erase(task);
  }
  // The readers of `store` in this instance, by task.
  std::map<TaskId, std::shared_ptr<KeyValueBytesStore>> readers(const std::string& store) const {
    std::lock_guard lock(mutex_);
    auto it = stores_.find(store);
    if (it == stores_.end()) return {};
    return it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::map<TaskId, std::shared_ptr<KeyValueBytesStore>>> stores_;
};

}  // namespace kstreams::internal
