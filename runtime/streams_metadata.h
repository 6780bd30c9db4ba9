// Where an application's instances run, for interactive queries across instances: the
// host:port each serves queries on (its application.server), and the tasks (and so the
// stores' partitions) each has now.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "streams/task_id.h"

namespace kstreams {

// An instance's application.server.
struct HostInfo {
  std::string host;
  int32_t port = -1;

  // "host:port", the port 0-65535; an IPv6 address in brackets ("[::1]:8080"). nullopt for
  // anything else.
  static std::optional<HostInfo> parse(std::string_view hostAndPort);
  // As parse() reads it.
  std::string toString() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  auto operator<=>(const HostInfo&) const = default;
};

// One instance of the application, as the consumer group last described it.
struct StreamsMetadata {
  HostInfo hostInfo;
  std::vector<TaskId> activeTasks;           // sorted
  std::vector<std::string> stateStoreNames;  // the stores of those tasks, sorted
};

}  // namespace kstreams
