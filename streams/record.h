// The unit of data: Record<K, V> as it flows between processors, its headers, and the
// metadata of the input record it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kstreams {

// One Kafka record header. As in Kafka, a header's value may be null.
struct Header {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const Header&) const = default;
};

// A record's headers, in order. Keys may repeat, as in Kafka. Empty headers allocate nothing.
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<Header> headers) : headers_(headers) {}

  Headers& add(std::string key, std::optional<std::string> value) {
    headers_.push_back({std::move(key), std::move(value)});
    return *this;
  }
  // Removes every header with this key.
  Headers& remove(std::string_view key);
  // The last header with this key, or nullptr.
  const Header* lastHeader(std::string_view key) const;

  bool empty() const { return headers_.empty(); }
  size_t size() const { return headers_.size(); }
  auto begin() const { return headers_.begin(); }
  auto end() const { return headers_.end(); }
  bool operator==(const Headers&) const = default;

 private:
  std::vector<Header> headers_;
};

inline Headers& Headers::remove(std::string_view key) {
  std::erase_if(headers_, [&](const Header& h) { return h.key == key; });
  return *this;
}

inline const Header* Headers::lastHeader(std::string_view key) const {
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it)
    if (it->key == key) return &*it;
  return nullptr;
}

// A key and a value, as returned by map() and flatMap() functions.
template <class K, class V>
struct KeyValue {
  K key;
  V value;

  static KeyValue pair(K key, V value) { return {std::move(key), std::move(value)}; }
  bool operator==(const KeyValue&) const = default;
};

template <class K, class V>
KeyValue(K, V) -> KeyValue<K, V>;

// Where the record being processed was read from. The topic view is valid while the record
// is being processed. Records created by punctuators have no input record: partition and
// offset are -1 then.
struct RecordMetadata {
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

// A record flowing through the topology. Timestamps are milliseconds since the epoch.
// Processors receive records by rvalue: a processor with one child moves the record on, so a
// chain of operators copies a key or value only when it fans out to several children.
template <class K, class V>
struct Record {
  K key;
  V value;
  int64_t timestamp = 0;
  Headers headers;

  template <class V2>
  Record<K, V2> withValue(V2 newValue) && {
    return {std::move(key), std::move(newValue), timestamp, std::move(headers)};
  }
  template <class K2>
  Record<K2, V> withKey(K2 newKey) && {
    return {std::move(newKey), std::move(value), timestamp, std::move(headers)};
  }
  Record withTimestamp(int64_t ts) && {
    timestamp = ts;
    return std::move(*this);
  }
  bool operator==(const Record&) const = default;
};

}  // namespace kstreams
