// What a commit's metadata hands to the next owner of a task: changelog offsets and the
// partition time.
#include "runtime/changelog_offsets.h"

#include <gtest/gtest.h>

#include <regex>

namespace kstreams::internal {
namespace {

TEST(ChangelogOffsetsMetadata, WhatACommitWritesTheNextOwnerReadsBack) {
  const CommittedChangelogOffsets written = {{{"app-counts-changelog", 3}, 1234567890123},
                                             {{"app-KSTREAM-AGGREGATE-0000000003-changelog", 3}, 0},
                                             {{"app.with_dots-store-changelog", 12}, 7}};
  CommittedChangelogOffsets read;
  addChangelogOffsetsFromMetadata(commitMetadata(written), read);
  EXPECT_EQ(read, written);
}

TEST(ChangelogOffsetsMetadata, OffsetsAlreadyKnownOnlyGrow) {
  CommittedChangelogOffsets known = {{{"a-changelog", 0}, 50}, {{"b-changelog", 0}, 10}};
  addChangelogOffsetsFromMetadata(commitMetadata({{{"a-changelog", 0}, 40}, {{"b-changelog", 0}, 20}}), known);
  EXPECT_EQ(known.at({"a-changelog", 0}), 50);
  EXPECT_EQ(known.at({"b-changelog", 0}), 20);
}

TEST(ChangelogOffsetsMetadata, MetadataThatIsNotOursAddsNothing) {
  for (const char* metadata : {"", "something a tool wrote", "kstreams-changelogs-2 a:0:5", "kstreams-changelogs-1 a:0",
                               "kstreams-changelogs-1 a:x:5", "kstreams-changelogs-1 :0:5", "kstreams-changelogs-1 a:0:-5",
                               "kstreams-changelogs-1 a:0:5 b:0:5x", "kstreams-changelogs-1  a:0:5"}) {
    CommittedChangelogOffsets known;
    addChangelogOffsetsFromMetadata(metadata, known);
    EXPECT_TRUE(known.empty()) << metadata;
  }
}

// Kafka refuses a commit whose metadata is over offset.metadata.max.bytes (4096 by default):
// offsets that do not fit are left out rather than failing the commit.
TEST(ChangelogOffsetsMetadata, OffsetsThatDoNotFitLeaveTheMetadataEmpty) {
  CommittedChangelogOffsets many;
  for (int i = 0; i < 100; ++i) many[{"application-" + std::string(40, 'x') + "-" + std::to_string(i), 0}] = i;
  EXPECT_EQ(commitMetadata(many), "");
  many.erase(std::next(many.begin(), 10), many.end());
  EXPECT_LE(commitMetadata(many).size(), 4096u);
  EXPECT_FALSE(commitMetadata(many).empty());
}

TEST(ChangelogOffsetsMetadata, ThePartitionTimeReadsBackWithOrWithoutChangelogOffsets) {
  EXPECT_EQ(partitionTimeFromMetadata(commitMetadata({}, 1733390000123)), 1733390000123);
  EXPECT_EQ(partitionTimeFromMetadata(commitMetadata({}, 0)), 0);
  const CommittedChangelogOffsets written = {{{"app-counts-changelog", 3}, 42}};
  const std::string metadata = commitMetadata(written, 99);
  EXPECT_EQ(partitionTimeFromMetadata(metadata), 99);
  CommittedChangelogOffsets read;
  addChangelogOffsetsFromMetadata(metadata, read);
  EXPECT_EQ(read, written) << "the partition time is no changelog offset";
  // Nothing to carry: no metadata at all.
  EXPECT_EQ(commitMetadata({}, -1), "");
}

// What kstreams wrote before it kept partition times: changelog offsets, and no time.
TEST(ChangelogOffsetsMetadata, MetadataOfEarlierVersionsStillGivesItsChangelogOffsets) {
  const std::string earlier = "kstreams-changelogs-1 app-counts-changelog:3:42";
  CommittedChangelogOffsets read;
  addChangelogOffsetsFromMetadata(earlier, read);
  EXPECT_EQ(read, (CommittedChangelogOffsets{{{"app-counts-changelog", 3}, 42}}));
  EXPECT_EQ(partitionTimeFromMetadata(earlier), -1);
}

// Earlier versions read every entry as "<topic>:<partition>:<offset>" and drop the whole
// metadata over one that is not: in a rolling upgrade they must still get the changelog
// offsets of metadata this version writes.
TEST(ChangelogOffsetsMetadata, EveryEntryHasTheShapeEarlierVersionsRead) {
  const std::string metadata = commitMetadata({{{"app-counts-changelog", 3}, 42}, {{"app-b-changelog", 3}, 7}}, 99);
  const std::regex entry(R"( [^ :]+:[0-9]+:[0-9]+)");
  std::string rest = metadata.substr(std::string("kstreams-changelogs-1").size());
  ASSERT_EQ(metadata.substr(0, 21), "kstreams-changelogs-1");
  int entries = 0;
  for (std::smatch m; std::regex_search(rest, m, entry) && m.position() == 0; rest = m.suffix()) ++entries;
  EXPECT_EQ(rest, "") << metadata;
  EXPECT_EQ(entries, 3) << metadata;
}

TEST(ChangelogOffsetsMetadata, MetadataThatIsNotOursHasNoPartitionTime) {
  // The second is what Kafka Streams writes (base64 of a version byte and the time).
  for (const char* metadata : {"", "something a tool wrote", "AgAAAZOW3Yx7AA==", "kstreams-changelogs-2 @partition-time:1:5",
                               "kstreams-changelogs-1 @partition-time:1:5x", "kstreams-changelogs-1 @partition-time:1:-5",
                               "kstreams-changelogs-1 @partition-time:1:5 a:0"})
    EXPECT_EQ(partitionTimeFromMetadata(metadata), -1) << metadata;
}

// A later version's entries that start with '@' are not changelogs, and do not make the
// rest unreadable.
TEST(ChangelogOffsetsMetadata, EntriesOfLaterVersionsAreSkipped) {
  const std::string later = "kstreams-changelogs-1 @partition-time:2:5 @something-new:1:3 a-changelog:0:9";
  CommittedChangelogOffsets read;
  addChangelogOffsetsFromMetadata(later, read);
  EXPECT_EQ(read, (CommittedChangelogOffsets{{{"a-changelog", 0}, 9}}));
  EXPECT_EQ(partitionTimeFromMetadata(later), -1);
}

TEST(ChangelogOffsetsMetadata, ChangelogOffsetsThatDoNotFitLeaveThePartitionTimeAlone) {
  CommittedChangelogOffsets many;
  for (int i = 0; i < 100; ++i) many[{"application-" + std::string(40, 'x') + "-" + std::to_string(i), 0}] = i;
  const std::string metadata = commitMetadata(many, 1234);
  EXPECT_LE(metadata.size(), 4096u);
  EXPECT_EQ(partitionTimeFromMetadata(metadata), 1234);
  CommittedChangelogOffsets read;
  addChangelogOffsetsFromMetadata(metadata, read);
  EXPECT_TRUE(read.empty());
}

TEST(ChangelogOffsetsMetadata, ProcessorMetadataReadsBackBesideTheRest) {
  const CommittedChangelogOffsets offsets = {{{"app-counts-changelog", 3}, 42}};
  const ProcessorMetadata written = {{"counts", 1733390000000}, {"KSTREAM-AGGREGATE-STATE-STORE-0000000001", 0}};
  const std::string metadata = commitMetadata(offsets, 99, written);
  EXPECT_EQ(processorMetadataFromMetadata(metadata), written);
  EXPECT_EQ(partitionTimeFromMetadata(metadata), 99);
  CommittedChangelogOffsets read;
  addChangelogOffsetsFromMetadata(metadata, read);
  EXPECT_EQ(read, offsets) << "processor metadata is no changelog offset";
  // Alone, it is still carried.
  EXPECT_EQ(processorMetadataFromMetadata(commitMetadata({}, -1, written)), written);
  EXPECT_EQ(processorMetadataFromMetadata("kstreams-changelogs-1 @partition-time:1:5 a-changelog:0:9"),
            ProcessorMetadata{});
  EXPECT_EQ(processorMetadataFromMetadata("kstreams-changelogs-1 @processor.s:2:5"), ProcessorMetadata{})
      << "an entry of a later version";
}

// Changelog offsets go first: Kafka Streams carries none, and a restore goes to the stable
// end without them; a windowed aggregation without its close time sends results again.
TEST(ChangelogOffsetsMetadata, ChangelogOffsetsThatDoNotFitMakeRoomForProcessorMetadata) {
  CommittedChangelogOffsets many;
  for (int i = 0; i < 100; ++i) many[{"application-" + std::string(40, 'x') + "-" + std::to_string(i), 0}] = i;
  ProcessorMetadata processors;
  for (int i = 0; i < 40; ++i) processors["store-" + std::string(60, 'y') + "-" + std::to_string(i)] = 1000 + i;
  const std::string metadata = commitMetadata(many, 1234, processors);
  EXPECT_LE(metadata.size(), 4096u);
  EXPECT_EQ(partitionTimeFromMetadata(metadata), 1234);
  EXPECT_EQ(processorMetadataFromMetadata(metadata), processors);
  CommittedChangelogOffsets read;
  addChangelogOffsetsFromMetadata(metadata, read);
  EXPECT_TRUE(read.empty());
  // More processor metadata than fits: what fits is kept, and the partition time.
  for (int i = 40; i < 100; ++i) processors["store-" + std::string(60, 'y') + "-" + std::to_string(i)] = 1000 + i;
  const std::string full = commitMetadata({}, 1234, processors);
  EXPECT_LE(full.size(), 4096u);
  EXPECT_EQ(partitionTimeFromMetadata(full), 1234);
  const ProcessorMetadata kept = processorMetadataFromMetadata(full);
  EXPECT_GT(kept.size(), 40u);
  EXPECT_LT(kept.size(), processors.size());
  for (const auto& [key, value] : kept) EXPECT_EQ(processors.at(key), value) << key;
}

}  // namespace
}  // namespace kstreams::internal
