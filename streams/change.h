// Change<V>: an update of a table row, as KTable nodes pass it on — the new value and the
// one it replaces (either may be absent: an insert has no old value, a delete no new one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "streams/internal/big_endian.h"
#include "streams/serde.h"

namespace kstreams {

template <class V>
struct Change {
  std::optional<V> newValue;
  std::optional<V> oldValue;
  bool operator==(const Change&) const = default;
};

namespace internal {

// Change<V> on a repartition topic: a flag byte (1: new present, 2: old present), the new
// value's length (4 bytes, big-endian) and bytes, then the old value's bytes.
template <class V>
class ChangeSerde final : public Serde<Change<V>> {
 public:
  explicit ChangeSerde(SerdePtr<V> inner) : inner_(std::move(inner)) {}
  void serialize(const Change<V>& c, std::string& out) const override {
    out.push_back(static_cast<char>((c.newValue ? 1 : 0) | (c.oldValue ? 2 : 0)));
    const size_t lengthAt = out.size();
    out.append(4, '\0');
    if (c.newValue) inner_->serialize(*c.newValue, out);
    const uint32_t length = static_cast<uint32_t>(out.size() - lengthAt - 4);
    writeBigEndian(out.data() + lengthAt, length);
    if (c.oldValue) inner_->serialize(*c.oldValue, out);
  }
  Change<V> deserialize(std::string_view bytes) const override {
    if (bytes.size() < 5) throw SerializationException("a table change needs at least 5 bytes");
    const auto flags = static_cast<uint8_t>(bytes[0]);
    const uint32_t length = readBigEndian<uint32_t>(bytes.data() + 1);
    if (bytes.size() < 5 + length) throw SerializationException("a table change is truncated");
    Change<V> c;
    if (flags & 1) c.newValue = inner_->deserialize(bytes.substr(5, length));
    if (flags & 2) c.oldValue = inner_->deserialize(bytes.substr(5 + length));
    return c;
  }
  std::string name() const override { return "Change<" + inner_->name() + ">"; }

 private:
  SerdePtr<V> inner_;
};

}  // namespace internal
}  // namespace kstreams
