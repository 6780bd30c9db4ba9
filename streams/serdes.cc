#include <cxxabi.h>

#include <bit>
#include <cstring>
#include <memory>
#include <string>

#include "streams/internal/big_endian.h"
#include "streams/serde.h"

namespace kstreams {
namespace internal {

std::string typeName(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  std::string name = status == 0 && demangled ? demangled.get() : type.name();
  // The standard library's spelling of std::string is noise in an error message.
  const std::string longString =
      "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";
  for (size_t at; (at = name.find(longString)) != std::string::npos;)
    name.replace(at, longString.size(), "std::string");
  return name;
}

void throwNullNotAllowed(const char* part, const std::type_info& type) {
  throw SerializationException(std::string(part) + " is null, but its type " + typeName(type) +
                               " is not nullable; declare std::optional<" + typeName(type) +
                               "> to receive nulls");
}

}  // namespace internal

namespace Serdes {
namespace {

class StringSerde final : public Serde<std::string> {
 public:
  void serialize(const std::string& v, std::string& out) const override { out += v; }
  std::string deserialize(std::string_view b) const override { return std::string(b); }
  std::string name() const override { return "String"; }
};

class BytesSerde final : public Serde<::kstreams::Bytes> {
 public:
  void serialize(const ::kstreams::Bytes& v, std::string& out) const override { out += v.data; }
  ::kstreams::Bytes deserialize(std::string_view b) const override {
    return {std::string(b)};
  }
  std::string name() const override { return "Bytes"; }
};

// Fixed-width numbers, big-endian on the wire as Java's serializers write them.
template <class T, class Bits>
class NumberSerde final : public Serde<T> {
 public:
  explicit NumberSerde(const char* name) : name_(name) {}

  void serialize(const T& v, std::string& out) const override { internal::appendBigEndian(out, std::bit_cast<Bits>(v)); }

  T deserialize(std::string_view b) const override {
    if (b.size() != sizeof(Bits))
      throw SerializationException(std::string(name_) + " needs exactly " +
                                   std::to_string(sizeof(Bits)) + " bytes, got " +
                                   std::to_string(b.size()));
    return std::bit_cast<T>(internal::readBigEndian<Bits>(b.data()));
  }

  std::string name() const override { return name_; }

 private:
  const char* name_;
};

}  // namespace

SerdePtr<std::string> String() {
  static const SerdePtr<std::string> serde = std::make_shared<StringSerde>();
  return serde;
}
SerdePtr<int16_t> Int16() {
  static const SerdePtr<int16_t> serde = std::make_shared<NumberSerde<int16_t, uint16_t>>("Int16");
  return serde;
}
SerdePtr<int32_t> Int32() {
  static const SerdePtr<int32_t> serde = std::make_shared<NumberSerde<int32_t, uint32_t>>("Int32");
  return serde;
}
SerdePtr<int64_t> Int64() {
  static const SerdePtr<int64_t> serde = std::make_shared<NumberSerde<int64_t, uint64_t>>("Int64");
  return serde;
}
SerdePtr<float> Float() {
  static const SerdePtr<float> serde = std::make_shared<NumberSerde<float, uint32_t>>("Float");
  return serde;
}
SerdePtr<double> Double() {
  static const SerdePtr<double> serde = std::make_shared<NumberSerde<double, uint64_t>>("Double");
  return serde;
}
SerdePtr<::kstreams::Bytes> Bytes() {
  static const SerdePtr<::kstreams::Bytes> serde = std::make_shared<BytesSerde>();
  return serde;
}

namespace detail {

const std::type_info* builtInType(std::string_view name) {
  // Java class names are accepted so a Kafka Streams configuration reads the same here.
  constexpr std::string_view kJavaPrefix = "org.apache.kafka.common.serialization.Serdes$";
  if (name.starts_with(kJavaPrefix)) {
    name.remove_prefix(kJavaPrefix.size());
    if (name.ends_with("Serde")) name.remove_suffix(5);
  }
  if (name == "String") return &typeid(std::string);
  if (name == "Short" || name == "Int16") return &typeid(int16_t);
  if (name == "Integer" || name == "Int32") return &typeid(int32_t);
  if (name == "Long" || name == "Int64") return &typeid(int64_t);
  if (name == "Float") return &typeid(float);
  if (name == "Double") return &typeid(double);
  if (name == "Bytes" || name == "ByteArray") return &typeid(::kstreams::Bytes);
  return nullptr;
}

}  // namespace detail
}  // namespace Serdes
}  // namespace kstreams
