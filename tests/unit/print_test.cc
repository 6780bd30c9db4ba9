// KStream::print and Printed: the lines Kafka Streams' print writes ("[label]: key, value"),
// to a file or standard output, and the errors a bad file or an unprintable type give.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "runtime/topology_test_driver.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

class PrintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kstreams-print-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string contents(const std::string& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::filesystem::path dir_;
};

TEST_F(PrintTest, WritesKeyAndValueLabelledWithTheStreamsNodeName) {
  const std::string file = path("out.txt");
  {
    StreamsBuilder builder;
    builder.stream<std::string, std::string>("in").print(Printed<std::string, std::string>::toFile(file));
    TopologyTestDriver driver(builder.build());
    auto in = driver.createInputTopic<std::string, std::string>("in");
    in.pipeInput("a", "first");
    in.pipeInput("b", "second");
  }  // closing the driver closes its tasks, which flush the file
  EXPECT_EQ(contents(file),
            "[KSTREAM-SOURCE-0000000000]: a, first\n"
            "[KSTREAM-SOURCE-0000000000]: b, second\n");
}

TEST_F(PrintTest, ALabelAndAKeyValueMapperReplaceTheNodeNameAndKeyValue) {
  const std::string file = path("out.txt");
  {
    StreamsBuilder builder;
    builder.stream<std::string, int64_t>("in").print(
        Printed<std::string, int64_t>::toFile(file).withLabel("orders").withKeyValueMapper(
            [](const std::string& k, int64_t v) { return k + " ordered " + std::to_string(v); }));
    TopologyTestDriver driver(builder.build());
    auto in = driver.createInputTopic<std::string, int64_t>("in");
    in.pipeInput("alice", 3);
  }
  EXPECT_EQ(contents(file), "[orders]: alice ordered 3\n");
}

// As Java's String.valueOf shows them: null, a double with its ".0", a windowed key as
// [key@start/end].
TEST_F(PrintTest, ShowsNullsNumbersAndWindowedKeysAsKafkaStreamsDoes) {
  const std::string values = path("values.txt");
  const std::string counts = path("counts.txt");
  {
    StreamsBuilder builder;
    auto amounts = builder.stream("amounts", Consumed<std::string, std::optional<double>>::with(
                                                 Serdes::String(), Serdes::Double()));
    amounts.print(Printed<std::string, std::optional<double>>::toFile(values).withLabel("amounts"));
    amounts.groupByKey()
        .windowedBy(TimeWindows::ofSizeWithNoGrace(std::chrono::milliseconds(10)))
        .count()
        .toStream()
        .print(Printed<Windowed<std::string>, std::optional<int64_t>>::toFile(counts).withLabel("counts"));
    TopologyTestDriver driver(builder.build());
    auto in = driver.createInputTopic<std::string, std::optional<double>>("amounts", Serdes::String(), Serdes::Double());
    in.pipeInput("a", 12.0, 5);
    in.pipeInput("a", 1.5, 12);
    in.pipeTombstone("a", 13);
  }
  EXPECT_EQ(contents(values), "[amounts]: a, 12.0\n[amounts]: a, 1.5\n[amounts]: a, null\n");
  EXPECT_EQ(contents(counts), "[counts]: [a@0/10], 1\n[counts]: [a@10/20], 1\n");
}

// Java's Double.toString and Float.toString: plain decimals from 10^-3 up to 10^7, and
// outside that range its scientific form, 1.0E7, never C's 1e+07.
TEST_F(PrintTest, ShowsLargeAndSmallNumbersInJavasScientificForm) {
  const std::string doubles = path("doubles.txt");
  const std::string floats = path("floats.txt");
  {
    StreamsBuilder builder;
    builder.stream("d", Consumed<std::string, double>::with(Serdes::String(), Serdes::Double()))
        .print(Printed<std::string, double>::toFile(doubles).withLabel("d"));
    builder.stream("f", Consumed<std::string, float>::with(Serdes::String(), Serdes::Float()))
        .print(Printed<std::string, float>::toFile(floats).withLabel("f"));
    TopologyTestDriver driver(builder.build());
    auto d = driver.createInputTopic<std::string, double>("d", Serdes::String(), Serdes::Double());
    for (double v : {1e7, 12345678.9, 9999999.0, 0.001, 0.0001, -2.5e-7, 1e21, -0.0, 0.0})
      d.pipeInput("k", v);
    auto f = driver.createInputTopic<std::string, float>("f", Serdes::String(), Serdes::Float());
    for (float v : {1e10f, 0.1f, 3.0f})
      f.pipeInput("k", v);
  }
  EXPECT_EQ(contents(doubles),
            "[d]: k, 1.0E7\n[d]: k, 1.23456789E7\n[d]: k, 9999999.0\n[d]: k, 0.001\n[d]: k, 1.0E-4\n"
            "[d]: k, -2.5E-7\n[d]: k, 1.0E21\n[d]: k, -0.0\n[d]: k, 0.0\n");
  EXPECT_EQ(contents(floats), "[f]: k, 1.0E10\n[f]: k, 0.1\n[f]: k, 3.0\n");
}

// Kafka's Bytes.toString: printable ASCII as it is, other bytes and the backslash as \xHH.
TEST_F(PrintTest, ShowsBytesAsKafkaDoes) {
  const std::string file = path("bytes.txt");
  {
    StreamsBuilder builder;
    builder.stream<Bytes, std::string>("in").print(Printed<Bytes, std::string>::toFile(file).withLabel("b"));
    TopologyTestDriver driver(builder.build());
    auto in = driver.createInputTopic<Bytes, std::string>("in");
    in.pipeInput(Bytes{std::string("a\\b\x01\xff", 5)}, "v");
  }
  EXPECT_EQ(contents(file), "[b]: a\\x5Cb\\x01\\xFF, v\n");
}

TEST_F(PrintTest, ToSysOutWritesTheSameLinesToStandardOutput) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("in").print(Printed<std::string, std::string>::toSysOut().withLabel("x"));
  TopologyTestDriver driver(builder.build());
  auto in = driver.createInputTopic<std::string, std::string>("in");
  ::testing::internal::CaptureStdout();
  in.pipeInput("k", "v");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "[x]: k, v\n");
}

TEST_F(PrintTest, AFileThatCannotBeOpenedIsATopologyErrorNamingThePath) {
  const std::string file = path("no-such-dir/out.txt");
  try {
    Printed<std::string, std::string>::toFile(file);
    FAIL() << "a file in a missing directory was opened";
  } catch (const TopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("'" + file + "'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Printed<std::string, std::string>::toFile("  ")), TopologyException);
}

struct Opaque {
  int id;
};

TEST_F(PrintTest, ATypeWithNoTextNeedsAKeyValueMapper) {
  StreamsBuilder builder;
  auto stream = builder.stream("in", Consumed<std::string, Opaque>::with(
                                         Serdes::String(), Serdes::from<Opaque>([](const Opaque&, std::string&) {},
                                                                                [](std::string_view) { return Opaque{}; },
                                                                                "Opaque")));
  try {
    stream.print(Printed<std::string, Opaque>::toSysOut());
    FAIL() << "print() took a type it cannot show";
  } catch (const TopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("withKeyValueMapper"), std::string::npos) << e.what();
  }
  stream.print(Printed<std::string, Opaque>::toSysOut().withKeyValueMapper(
      [](const std::string& k, const Opaque& o) { return k + "#" + std::to_string(o.id); }));
}

TEST_F(PrintTest, ThePrintNodeIsNamedAsInKafkaStreamsOrByWithName) {
  StreamsBuilder builder;
  auto in = builder.stream<std::string, std::string>("in");
  in.print(Printed<std::string, std::string>::toSysOut());
  in.print(Printed<std::string, std::string>::toSysOut().withName("debug-print"));
  const std::string described = builder.build().describe().toString();
  EXPECT_NE(described.find("Processor: KSTREAM-PRINTER-0000000001 (stores: [])"), std::string::npos) << described;
  EXPECT_NE(described.find("Processor: debug-print (stores: [])"), std::string::npos) << described;
}

}  // namespace
}  // namespace kstreams
