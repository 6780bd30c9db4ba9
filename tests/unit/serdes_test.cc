#include <gtest/gtest.h>

#include <cctype>
#include <limits>

#include "streams/change.h"
#include "streams/json_serde.h"
#include "streams/serde.h"

namespace kstreams {
namespace {

struct Point {
  int x = 0;
  int y = 0;
  bool operator==(const Point&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Point, x, y)

template <class T>
std::string bytesOf(const SerdePtr<T>& serde, const T& value) {
  std::string out;
  serde->serialize(value, out);
  return out;
}

TEST(Serdes, Int64IsBigEndianAsJavaWritesIt) {
  EXPECT_EQ(bytesOf<int64_t>(Serdes::Int64(), 1), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(bytesOf<int64_t>(Serdes::Int64(), -2), std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8));
  EXPECT_EQ(Serdes::Int64()->deserialize(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8)),
            0x0102030405060708LL);
}

TEST(Serdes, Int32AndInt16AreBigEndian) {
  EXPECT_EQ(bytesOf<int32_t>(Serdes::Int32(), 0x01020304), "\x01\x02\x03\x04");
  EXPECT_EQ(Serdes::Int32()->deserialize("\x7f\xff\xff\xff"), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(bytesOf<int16_t>(Serdes::Int16(), 0x0102), "\x01\x02");
}

TEST(Serdes, DoubleUsesIeeeBitsBigEndian) {
  // 1.0 is 0x3FF0000000000000, as Java's DoubleSerializer writes it.
  EXPECT_EQ(bytesOf<double>(Serdes::Double(), 1.0), std::string("\x3f\xf0\0\0\0\0\0\0", 8));
  EXPECT_DOUBLE_EQ(Serdes::Double()->deserialize(bytesOf<double>(Serdes::Double(), -2.5)), -2.5);
}

// A table's change on a repartition topic: flags, the new value's length (big-endian), the
// new value, then the old value.
TEST(Serdes, TableChangesCarryTheNewValuesLengthBigEndian) {
  auto serde = std::make_shared<internal::ChangeSerde<std::string>>(Serdes::String());
  const Change<std::string> both{std::string(300, 'n'), std::string("old")};
  const std::string bytes = bytesOf<Change<std::string>>(serde, both);
  EXPECT_EQ(bytes.substr(0, 5), std::string("\x03\x00\x00\x01\x2c", 5));
  EXPECT_EQ(bytes.size(), 5u + 300 + 3);
  EXPECT_EQ(serde->deserialize(bytes), both);
  const Change<std::string> deleted{std::nullopt, std::string("old")};
  EXPECT_EQ(bytesOf<Change<std::string>>(serde, deleted), std::string("\x02\0\0\0\0old", 8));
  EXPECT_EQ(serde->deserialize(bytesOf<Change<std::string>>(serde, deleted)), deleted);
  EXPECT_THROW(serde->deserialize(std::string("\x01\0\0\x01\x2cshort", 10)), SerializationException);
}

TEST(Serdes, WrongLengthIsAnErrorThatSaysSo) {
  try {
    Serdes::Int64()->deserialize("abc");
    FAIL() << "expected an exception";
  } catch (const SerializationException& e) {
    EXPECT_NE(std::string(e.what()).find("8 bytes, got 3"), std::string::npos) << e.what();
  }
}

TEST(Serdes, StringAndBytesRoundTrip) {
  std::string binary("a\0b", 3);
  EXPECT_EQ(Serdes::String()->deserialize(bytesOf<std::string>(Serdes::String(), binary)), binary);
  EXPECT_EQ(Serdes::Bytes()->deserialize(binary).data, binary);
}

TEST(Serdes, JsonRoundTripsAndRejectsGarbage) {
  auto serde = Serdes::Json<Point>();
  EXPECT_EQ(bytesOf<Point>(serde, Point{1, 2}), R"({"x":1,"y":2})");
  EXPECT_EQ(serde->deserialize(R"({"y":5,"x":4})"), (Point{4, 5}));
  EXPECT_THROW(serde->deserialize("{not json"), SerializationException);
  EXPECT_THROW(serde->deserialize(R"({"x":"one","y":2})"), SerializationException);
}

TEST(Serdes, NullMapsToOptionalOnly) {
  auto serde = Serdes::String();
  EXPECT_EQ(internal::decode<std::optional<std::string>>(*serde, std::nullopt, "value"),
            std::nullopt);
  EXPECT_EQ(internal::decode<std::optional<std::string>>(*serde, std::string_view("x"), "value"),
            std::optional<std::string>("x"));
  try {
    internal::decode<std::string>(*serde, std::nullopt, "value");
    FAIL() << "expected an exception";
  } catch (const SerializationException& e) {
    EXPECT_NE(std::string(e.what()).find("std::optional<std::string>"), std::string::npos)
        << e.what();
  }
  std::string out;
  EXPECT_FALSE(internal::encode<std::optional<std::string>>(*serde, std::nullopt, out));
  EXPECT_TRUE(internal::encode<std::optional<std::string>>(*serde, std::string("v"), out));
  EXPECT_EQ(out, "v");
}

// A sink sends a String or Bytes value's own bytes, without copying them, only when the
// serde is the built-in one: a user's serde for the same type may write other bytes.
TEST(Serdes, EncodeViewUsesAValuesOwnBytesOnlyForTheBuiltInSerdes) {
  std::string scratch = "stale";
  const std::string key = "k1";
  ASSERT_TRUE(internal::writesItsOwnBytes(*Serdes::String()));
  auto view = internal::encodeView<std::string>(*Serdes::String(), true, key, scratch);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->data(), key.data());

  const Bytes value{std::string("\x00\x01v", 3)};
  ASSERT_TRUE(internal::writesItsOwnBytes(*Serdes::Bytes()));
  view = internal::encodeView<std::optional<Bytes>>(*Serdes::Bytes(), true, std::optional<Bytes>(value), scratch);
  ASSERT_TRUE(view);
  EXPECT_EQ(*view, value.data);
  EXPECT_FALSE(internal::encodeView<std::optional<Bytes>>(*Serdes::Bytes(), true, std::nullopt, scratch));

  auto upper = Serdes::from<std::string>(
      [](const std::string& v, std::string& out) {
        for (char c : v) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      },
      [](std::string_view b) { return std::string(b); }, "Upper");
  ASSERT_FALSE(internal::writesItsOwnBytes(*upper));
  view = internal::encodeView<std::string>(*upper, false, key, scratch);
  ASSERT_TRUE(view);
  EXPECT_EQ(*view, "K1");
  EXPECT_EQ(view->data(), scratch.data());

  EXPECT_FALSE(internal::writesItsOwnBytes(*Serdes::Int64()));
  view = internal::encodeView<int64_t>(*Serdes::Int64(), false, int64_t{1}, scratch);
  ASSERT_TRUE(view);
  EXPECT_EQ(*view, std::string("\0\0\0\0\0\0\0\x01", 8));
}

TEST(Serdes, ByNameAcceptsKafkaNamesAndChecksTheType) {
  EXPECT_EQ(Serdes::byName<int64_t>("Long"), Serdes::Int64());
  EXPECT_EQ(Serdes::byName<std::string>("org.apache.kafka.common.serialization.Serdes$StringSerde"),
            Serdes::String());
  EXPECT_EQ(Serdes::byName<std::string>("NoSuchSerde"), nullptr);
  EXPECT_THROW(Serdes::byName<std::string>("Long"), ConfigException);
}

TEST(Serdes, FromFunctions) {
  auto serde = Serdes::from<Point>(
      [](const Point& p, std::string& out) { out += std::to_string(p.x) + "," + std::to_string(p.y); },
      [](std::string_view b) {
        auto comma = b.find(',');
        return Point{std::stoi(std::string(b.substr(0, comma))),
                     std::stoi(std::string(b.substr(comma + 1)))};
      },
      "Point");
  EXPECT_EQ(serde->deserialize(bytesOf<Point>(serde, Point{3, 4})), (Point{3, 4}));
  EXPECT_EQ(serde->name(), "Point");
}

}  // namespace
}  // namespace kstreams
