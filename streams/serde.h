// Serdes turn typed keys and values into bytes and back.
//
// A Serde<T> handles non-null values only. Null is expressed in the type: a stream whose
// value type is std::optional<V> sees tombstones (null values) as std::nullopt and writes
// std::nullopt as null, using a Serde<V> for the rest. A null key or value arriving for a
// non-optional type is a deserialization error that says so, handled like any other.
//
// Serdes are immutable after construction and shared between threads and tasks.
#pragma once

#include <compare>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

#include "streams/errors.h"

namespace kstreams {

// Raw bytes with a type of their own, so that its natural serde is Serdes::Bytes()
// (std::string's is Serdes::String()).
struct Bytes {
  std::string data;
  auto operator<=>(const Bytes&) const = default;
};

template <class T>
class Serde {
 public:
  using Type = T;
  virtual ~Serde() = default;

  // Appends the bytes of value to out. Throws SerializationException if it cannot.
  virtual void serialize(const T& value, std::string& out) const = 0;
  // Parses a value from bytes. Throws SerializationException with the reason; kstreams adds
  // where the bytes came from.
  virtual T deserialize(std::string_view bytes) const = 0;
  // A short name for descriptions and errors ("String", "Int64", "Json<Order>").
  virtual std::string name() const = 0;
};

template <class T>
using SerdePtr = std::shared_ptr<const Serde<T>>;

// How a type that may be null maps onto the serde of its non-null payload.
template <class T>
struct NullableTraits {
  using Payload = T;
  static constexpr bool kNullable = false;
};
template <class U>
struct NullableTraits<std::optional<U>> {
  using Payload = U;
  static constexpr bool kNullable = true;
};

// The serde a stream of T needs: the serde of T's non-null payload.
template <class T>
using SerdeFor = SerdePtr<typename NullableTraits<T>::Payload>;

namespace internal {

// The demangled name of T, for error messages.
std::string typeName(const std::type_info& type);

template <class T>
std::string typeName() {
  return typeName(typeid(T));
}

}  // namespace internal

// The built-in serdes. Numbers are big-endian, as Kafka's Java serdes write them, so both
// sides of a topic agree.
namespace Serdes {

SerdePtr<std::string> String();
SerdePtr<int16_t> Int16();
SerdePtr<int32_t> Int32();
SerdePtr<int64_t> Int64();
SerdePtr<float> Float();
SerdePtr<double> Double();
SerdePtr<::kstreams::Bytes> Bytes();
// Java's names for the same serdes.
inline SerdePtr<int16_t> Short() { return Int16(); }
inline SerdePtr<int32_t> Integer() { return Int32(); }
inline SerdePtr<int64_t> Long() { return Int64(); }

// A serde from two functions, for user types that need no class of their own:
//   Serdes::from<Point>([](const Point& p, std::string& out) { ... },
//                       [](std::string_view bytes) { return Point{...}; }, "Point")
template <class T>
SerdePtr<T> from(std::function<void(const T&, std::string&)> serialize,
                 std::function<T(std::string_view)> deserialize, std::string name);

// The serde a type has without being told: String for std::string, Int64 for int64_t, and
// so on for the built-in types; nullptr for any other type.
template <class T>
SerdePtr<T> natural();

// The built-in serde called `name` ("String", "Long", "Int64", or a Java class name such as
// "org.apache.kafka.common.serialization.Serdes$StringSerde"), if it serializes T.
// nullptr if no built-in serde has that name; throws ConfigException if it has, but for
// another type.
template <class T>
SerdePtr<T> byName(std::string_view name);

}  // namespace Serdes

// ---------------------------------------------------------------------------------------
// Implementation.

namespace Serdes {

template <class T>
class FunctionSerde final : public Serde<T> {
 public:
  FunctionSerde(std::function<void(const T&, std::string&)> s,
                std::function<T(std::string_view)> d, std::string name)
      : serialize_(std::move(s)), deserialize_(std::move(d)), name_(std::move(name)) {}
  void serialize(const T& value, std::string& out) const override { serialize_(value, out); }
  T deserialize(std::string_view bytes) const override { return deserialize_(bytes); }
  std::string name() const override { return name_; }

 private:
  std::function<void(const T&, std::string&)> serialize_;
  std::function<T(std::string_view)> deserialize_;
  std::string name_;
};

template <class T>
SerdePtr<T> from(std::function<void(const T&, std::string&)> serialize,
                 std::function<T(std::string_view)> deserialize, std::string name) {
  return std::make_shared<FunctionSerde<T>>(std::move(serialize), std::move(deserialize),
                                            std::move(name));
}

template <class T>
SerdePtr<T> natural() {
  if constexpr (std::is_same_v<T, std::string>) return String();
  else if constexpr (std::is_same_v<T, int16_t>) return Int16();
  else if constexpr (std::is_same_v<T, int32_t>) return Int32();
  else if constexpr (std::is_same_v<T, int64_t>) return Int64();
  else if constexpr (std::is_same_v<T, float>) return Float();
  else if constexpr (std::is_same_v<T, double>) return Double();
  else if constexpr (std::is_same_v<T, ::kstreams::Bytes>) return Bytes();
  else return nullptr;
}

namespace detail {
// The type a built-in serde name stands for, or nullptr if the name is not a built-in serde.
const std::type_info* builtInType(std::string_view name);
}  // namespace detail

template <class T>
SerdePtr<T> byName(std::string_view name) {
  const std::type_info* type = detail::builtInType(name);
  if (type == nullptr) return nullptr;
  if (*type != typeid(T))
    throw ConfigException("serde '" + std::string(name) + "' serializes " +
                          internal::typeName(*type) + ", not " + internal::typeName<T>() +
                          "; give this node its serde explicitly (Consumed, Produced, Grouped, "
                          "Materialized or Repartitioned)");
  return natural<T>();
}

}  // namespace Serdes

namespace internal {

[[noreturn]] void throwNullNotAllowed(const char* part, const std::type_info& type);

// Bytes (null when absent) to a value of T, which is std::optional<...> if nulls are allowed.
template <class T>
T decode(const Serde<typename NullableTraits<T>::Payload>& serde,
         std::optional<std::string_view> bytes, const char* part) {
  if constexpr (NullableTraits<T>::kNullable) {
    if (!bytes) return std::nullopt;
    return serde.deserialize(*bytes);
  } else {
    if (!bytes) throwNullNotAllowed(part, typeid(T));
    return serde.deserialize(*bytes);
  }
}

// Appends the bytes of value to out; returns false (and appends nothing) for a null value.
template <class T>
bool encode(const Serde<typename NullableTraits<T>::Payload>& serde, const T& value,
            std::string& out) {
  if constexpr (NullableTraits<T>::kNullable) {
    if (!value) return false;
    serde.serialize(*value, out);
  } else {
    serde.serialize(value, out);
  }
  return true;
}

// Whether serde's bytes for a value are the value's own bytes, so that they can be sent
// without serializing: the built-in String and Bytes serdes (a user's serde for the same
// type may write something else).
template <class Payload>
bool writesItsOwnBytes(const Serde<Payload>& serde) {
  if constexpr (std::is_same_v<Payload, std::string>) return &serde == Serdes::String().get();
  else if constexpr (std::is_same_v<Payload, ::kstreams::Bytes>) return &serde == Serdes::Bytes().get();
  else return false;
}

// The bytes of value (nullopt for a null one), valid while value and scratch are: the
// value's own where ownBytes (writesItsOwnBytes(serde)), else serialized into scratch,
// which is cleared first.
template <class T>
std::optional<std::string_view> encodeView(const Serde<typename NullableTraits<T>::Payload>& serde,
                                           bool ownBytes, const T& value, std::string& scratch) {
  using Payload = typename NullableTraits<T>::Payload;
  const Payload* payload;
  if constexpr (NullableTraits<T>::kNullable) {
    if (!value) return std::nullopt;
    payload = &*value;
  } else {
    payload = &value;
  }
  if constexpr (std::is_same_v<Payload, std::string>) {
    if (ownBytes) return std::string_view(*payload);
  } else if constexpr (std::is_same_v<Payload, ::kstreams::Bytes>) {
    if (ownBytes) return std::string_view(payload->data);
  }
  scratch.clear();
  serde.serialize(*payload, scratch);
  return std::string_view(scratch);
}

}  // namespace internal
}  // namespace kstreams

template <>
struct std::hash<kstreams::Bytes> {
  size_t operator()(const kstreams::Bytes& b) const noexcept {
    return std::hash<std::string>()(b.data);
  }
};
