// StateStore: what every store a processor can reach by name has in common. The typed
// interfaces (KeyValueStore<K, V>, ...) are in state/.
#pragma once

#include <string>

namespace kstreams {

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual const std::string& name() const = 0;
  // Whether the store keeps its data on local disk (and so survives a restart without
  // restoring from its changelog).
  virtual bool persistent() const = 0;
  // Makes buffered writes durable locally. Called by kstreams on commit.
  virtual void flush() = 0;
};

}  // namespace kstreams
