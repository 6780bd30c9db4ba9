// Serdes::Json<T>(): JSON for user structs, through nlohmann::json. T needs to_json and
// from_json, for example from NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(T, field, ...).
#pragma once

#include <nlohmann/json.hpp>

#include "streams/serde.h"

namespace kstreams {
namespace Serdes {

template <class T>
class JsonSerde final : public Serde<T> {
 public:
  void serialize(const T& value, std::string& out) const override {
    try {
      out += nlohmann::json(value).dump();
    } catch (const nlohmann::json::exception& e) {
      throw SerializationException("cannot write " + name() + ": " + e.what());
    }
  }
  T deserialize(std::string_view bytes) const override {
    try {
      return nlohmann::json::parse(bytes.begin(), bytes.end()).template get<T>();
    } catch (const nlohmann::json::exception& e) {
      throw SerializationException("not a valid " + name() + ": " + e.what());
    }
  }
  std::string name() const override { return "Json<" + internal::typeName<T>() + ">"; }
};

template <class T>
SerdePtr<T> Json() {
  static const SerdePtr<T> serde = std::make_shared<JsonSerde<T>>();
  return serde;
}

}  // namespace Serdes
}  // namespace kstreams
