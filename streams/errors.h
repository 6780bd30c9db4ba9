// Exceptions kstreams throws. Every message says what went wrong, where (topic, partition,
// offset, node, store or config key) and what to do about it.
#pragma once

#include <stdexcept>
#include <string>

namespace kstreams {

// Base of every kstreams error.
class StreamsException : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A configuration key is unknown or has a bad value. The message names the key.
class ConfigException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

// The topology is malformed: duplicate names, wrong types between nodes, a missing serde.
class TopologyException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

// A serde could not turn bytes into a value (or back). Serdes throw it with the reason only;
// kstreams adds the topic, partition and offset before the error reaches the user.
class SerializationException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

// A topic the topology reads does not exist, or an internal topic exists with the wrong shape.
class MissingSourceTopicException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

// A state store was asked for while it cannot be queried (not yet restored, migrated away).
class InvalidStateStoreException : public StreamsException {
 public:
  using StreamsException::StreamsException;
};

}  // namespace kstreams
