// Topology::describe() and the checks the graph makes while it is built.
#include <gtest/gtest.h>

#include <map>

#include "streams/streams_builder.h"

namespace kstreams {
namespace {

TEST(Topology, DescribePrintsWhatKafkaStreamsPrints) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("input")
      .filter([](const std::string&, const std::string& v) { return !v.empty(); })
      .to("output");
  EXPECT_EQ(builder.build().describe().toString(),
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
            "      --> KSTREAM-FILTER-0000000001\n"
            "    Processor: KSTREAM-FILTER-0000000001 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000002\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Sink: KSTREAM-SINK-0000000002 (topic: output)\n"
            "      <-- KSTREAM-FILTER-0000000001\n"
            "\n");
}

TEST(Topology, ARepartitionStartsANewSubTopology) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("input")
      .selectKey([](const std::string&, const std::string& v) { return v; }, Named::as("by-value"))
      .repartition(Repartitioned<std::string, std::string>::as("r"))
      .to("output", Produced<std::string, std::string>::as("out"));
  EXPECT_EQ(builder.build().describe().toString(),
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
            "      --> by-value\n"
            "    Processor: by-value (stores: [])\n"
            "      --> r-repartition-sink\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Sink: r-repartition-sink (topic: r-repartition)\n"
            "      <-- by-value\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: r-repartition-source (topics: [r-repartition])\n"
            "      --> out\n"
            "    Sink: out (topic: output)\n"
            "      <-- r-repartition-source\n"
            "\n");
  auto subtopologies = builder.build().graph().subtopologies();
  ASSERT_EQ(subtopologies.size(), 2u);
  EXPECT_EQ(subtopologies[0].repartitionSinkTopics, (std::vector<std::string>{"r-repartition"}));
  EXPECT_EQ(subtopologies[1].repartitionSourceTopics, (std::vector<std::string>{"r-repartition"}));
}

TEST(Topology, GeneratedInternalNamesDoNotShiftWhenOperatorsAreAddedElsewhere) {
  auto repartitionTopic = [](bool withExtraBranch) {
    StreamsBuilder builder;
    auto other = builder.stream<std::string, std::string>("other");
    if (withExtraBranch) other.filter([](const std::string&, const std::string&) { return true; }).to("x");
    builder.stream<std::string, std::string>("input").repartition().to("output");
    return builder.build().graph().repartitionTopics().begin()->first;
  };
  EXPECT_EQ(repartitionTopic(false), repartitionTopic(true));
  EXPECT_TRUE(repartitionTopic(false).starts_with("KSTREAM-REPARTITION-"));
}

// A renamed repartition topic starts empty: what the old one still held is never read.
TEST(Topology, ARekeyedStreamsTableRepartitionTopicDoesNotShiftWhenOperatorsAreAddedElsewhere) {
  auto repartitionTopic = [](bool withExtraBranch) {
    StreamsBuilder builder;
    auto other = builder.stream<std::string, std::string>("other");
    if (withExtraBranch) other.filter([](const std::string&, const std::string&) { return true; }).to("x");
    builder.stream<std::string, std::string>("input")
        .selectKey([](const std::string&, const std::string& v) { return v; })
        .toTable();
    return builder.build().graph().repartitionTopics().begin()->first;
  };
  EXPECT_EQ(repartitionTopic(false), repartitionTopic(true));
  EXPECT_TRUE(repartitionTopic(false).starts_with("KSTREAM-TOTABLE-")) << repartitionTopic(false);
}

// Operators whose own nodes extend their lineage (a stream-stream join's this/other/merge)
// still count as earlier siblings of their kind, so a second one gets names of its own.
TEST(Topology, AStreamCanBeJoinedTwiceWithoutNamingTheJoins) {
  StreamsBuilder builder;
  auto orders = builder.stream<std::string, std::string>("orders");
  auto joiner = [](const std::string& a, const std::string& b) { return a + b; };
  const auto window = JoinWindows::ofTimeDifferenceWithNoGrace(std::chrono::seconds(1));
  orders.join(builder.stream<std::string, std::string>("payments"), joiner, window).to("paid");
  orders.join(builder.stream<std::string, std::string>("shipments"), joiner, window).to("shipped");
  Topology topology = builder.build();
  EXPECT_EQ(topology.graph().stores().size(), 4u);
}

TEST(Topology, DuplicateNamesAreRejected) {
  StreamsBuilder builder;
  auto s = builder.stream<std::string, std::string>("input");
  s.filter([](const std::string&, const std::string&) { return true; }, Named::as("f"));
  auto always = [](const std::string&, const std::string&) { return true; };
  EXPECT_THROW(s.filter(always, Named::as("f")), TopologyException);
}

TEST(Topology, ATopicReadTwiceIsRejected) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("input");
  auto readAgain = [&] { builder.stream<std::string, std::string>("input"); };
  EXPECT_THROW(readAgain(), TopologyException);
}

class Upper : public Processor<std::string, std::string, std::string, std::string> {
 public:
  void init(ProcessorContext<std::string, std::string>& c) override { ctx_ = &c; }
  void process(Record<std::string, std::string> r) override {
    for (auto& ch : r.value) ch = static_cast<char>(std::toupper(ch));
    ctx_->forward(std::move(r));
  }
  ProcessorContext<std::string, std::string>* ctx_ = nullptr;
};

TEST(Topology, ProcessorApiChecksTypesBetweenNodes) {
  Topology topology;
  topology.addSource<std::string, int64_t>("source", {"input"});
  try {
    topology.addProcessor("upper", [] { return std::make_unique<Upper>(); }, {"source"});
    FAIL() << "a processor of strings below a source of int64 must be rejected";
  } catch (const TopologyException& e) {
    EXPECT_NE(std::string(e.what()).find("upper"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("source"), std::string::npos) << e.what();
  }
  auto addSinkBelowMissingParent = [&] {
    topology.addSink<std::string, std::string>("sink", "out", nullptr, nullptr, {"nope"});
  };
  EXPECT_THROW(addSinkBelowMissingParent(), TopologyException);
}

// Tasks of a sub-topology where no node reads or writes headers never ask librdkafka for
// them; a sink or a user's processor anywhere in it makes its tasks ask.
TEST(Topology, OnlySubtopologiesWithASinkOrAProcessorSeeHeaders) {
  StreamsBuilder builder;
  auto keep = [](const std::string&, const std::string&) { return true; };
  builder.stream<std::string, std::string>("counted")
      .peek([](const std::string&, const std::string&) {})
      .groupByKey()
      .count();
  builder.stream<std::string, std::string>("written").filter(keep).to("out");
  builder.stream<std::string, std::string>("processed").process([] { return std::make_unique<Upper>(); });
  builder.stream<std::string, std::string>("rekeyed")
      .merge(builder.stream<std::string, std::string>("merged"))
      .selectKey([](const std::string&, const std::string& v) { return v; })
      .groupByKey()
      .count();
  std::map<std::string, bool> seesHeaders;  // by the first topic each reads
  for (const auto& st : builder.build().graph().subtopologies()) {
    const auto& topics = st.sourceTopics.empty() ? st.repartitionSourceTopics : st.sourceTopics;
    seesHeaders[topics.front()] = st.seesHeaders;
  }
  ASSERT_EQ(seesHeaders.size(), 5u);
  EXPECT_FALSE(seesHeaders.at("counted"));
  EXPECT_TRUE(seesHeaders.at("written"));
  EXPECT_TRUE(seesHeaders.at("processed"));
  EXPECT_TRUE(seesHeaders.at("rekeyed")) << "its repartition sink forwards them";
  seesHeaders.erase("counted");
  seesHeaders.erase("written");
  seesHeaders.erase("processed");
  seesHeaders.erase("rekeyed");
  EXPECT_FALSE(seesHeaders.begin()->second) << "the count below the repartition topic " << seesHeaders.begin()->first;
}

}  // namespace
}  // namespace kstreams
