// The changelog offsets a commit's metadata hands to the next owner of a task.
#include "runtime/changelog_offsets.h"

#include <gtest/gtest.h>

namespace kstreams::internal {
namespace {

TEST(ChangelogOffsetsMetadata, WhatACommitWritesTheNextOwnerReadsBack) {
  const CommittedChangelogOffsets written = {{{"app-counts-changelog", 3}, 1234567890123},
                                             {{"app-KSTREAM-AGGREGATE-0000000003-changelog", 3}, 0},
                                             {{"app.with_dots-store-changelog", 12}, 7}};
  CommittedChangelogOffsets read;
  addChangelogOffsetsFromMetadata(changelogOffsetsMetadata(written), read);
  EXPECT_EQ(read, written);
}

TEST(ChangelogOffsetsMetadata, OffsetsAlreadyKnownOnlyGrow) {
  CommittedChangelogOffsets known = {{{"a-changelog", 0}, 50}, {{"b-changelog", 0}, 10}};
  addChangelogOffsetsFromMetadata(changelogOffsetsMetadata({{{"a-changelog", 0}, 40}, {{"b-changelog", 0}, 20}}), known);
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
  EXPECT_EQ(changelogOffsetsMetadata(many), "");
  many.erase(std::next(many.begin(), 10), many.end());
  EXPECT_LE(changelogOffsetsMetadata(many).size(), 4096u);
  EXPECT_FALSE(changelogOffsetsMetadata(many).empty());
}

}  // namespace
}  // namespace kstreams::internal
