// Branched: one branch of KStream::split() — its name, and optionally a function that
// consumes the branch's stream where it is defined.
#pragma once

#include <functional>
#include <string>

namespace kstreams {

template <class K, class V>
class KStream;

template <class K, class V>
struct Branched {
  std::string name;  // empty: the branch's position (1, 2, ...; "0" for the default branch)
  // When set, receives the branch's stream, and the branch is left out of the map that
  // defaultBranch() / noDefaultBranch() return.
  std::function<void(KStream<K, V>)> consumer;

  static Branched as(std::string name) { return Branched{std::move(name), {}}; }
  static Branched withConsumer(std::function<void(KStream<K, V>)> consumer,
                               std::string name = {}) {
    return Branched{std::move(name), std::move(consumer)};
  }
};

}  // namespace kstreams
