// A task's partition times: kept per input partition, committed with its offsets, and
// resumed from a commit before the task processes.
#include <gtest/gtest.h>

#include "runtime/task.h"
#include "streams/streams_builder.h"

namespace kstreams {
namespace {

struct NullCollector : internal::RecordCollector {
  void send(std::string_view, int32_t, std::optional<std::string_view>, std::optional<std::string_view>, int64_t,
            const Headers&) override {}
  void sendTracked(std::string_view, int32_t, std::string_view, std::optional<std::string_view>, int64_t,
                   int64_t*) override {}
  int64_t* offsetSlot(std::string_view, int32_t) override { return &slot; }
  int32_t partitionCount(std::string_view) override { return 1; }
  int64_t slot = -1;
};

struct TwoInputTask {
  TwoInputTask() {
    builder.stream<std::string, std::string>({"a", "b"}).to("out");
    services.applicationId = "app";
    services.collector = &collector;
    services.serdes = &serdes;
    services.maxTaskIdleMs = -1;
    services.wallClock = [] { return 0; };
    task = std::make_unique<internal::Task>(TaskId{0, 0}, *builder.graph(), builder.graph()->subtopologies()[0],
                                            services, std::vector<internal::Task::InputPartition>{{"a", 0}, {"b", 0}});
  }
  void process(size_t input, int64_t offset, int64_t timestamp) {
    static const std::string topics[] = {"a", "b"};
    internal::RawRecord raw;
    raw.topic = topics[input];
    raw.offset = offset;
    raw.timestamp = timestamp;
    raw.key = std::string_view("k");
    raw.value = std::string_view("v");
    task->addRecord(input, raw, internal::RecordOwner(nullptr, [](void*) {}));
    while (task->process()) {
    }
  }
  int64_t partitionTime(size_t input) const {
    for (const internal::CommitOffset& o : task->offsetsToCommit(true))
      if (o.topic == (input == 0 ? "a" : "b")) return o.partitionTime;
    return -2;  // no position
  }

  StreamsBuilder builder;
  NullCollector collector;
  internal::SerdeDefaults serdes;
  internal::TaskServices services;
  std::unique_ptr<internal::Task> task;
};

TEST(TaskPartitionTime, EachInputKeepsTheLargestTimestampProcessedFromIt) {
  TwoInputTask t;
  t.task->initialize();
  t.process(0, 0, 30);
  t.process(1, 0, 20);
  t.process(0, 1, 10);  // late: neither time goes back
  EXPECT_EQ(t.partitionTime(0), 30);
  EXPECT_EQ(t.partitionTime(1), 20);
  EXPECT_EQ(t.task->streamTime(), 30);
}

TEST(TaskPartitionTime, ATaskResumesItsStreamTimeFromTheLargestCommittedPartitionTime) {
  TwoInputTask t;
  t.task->resumePartitionTime(0, 500);
  t.task->resumePartitionTime(1, 700);
  t.task->initialize();
  EXPECT_EQ(t.task->streamTime(), 700);
  t.process(0, 10, 100);
  EXPECT_EQ(t.task->streamTime(), 700);
  EXPECT_EQ(t.partitionTime(0), 500) << "a record older than the committed partition time does not move it back";
  t.process(0, 11, 900);
  EXPECT_EQ(t.partitionTime(0), 900);
  EXPECT_EQ(t.task->streamTime(), 900);
}

// Partition times move only with input: once committed, an idle task has nothing new to
// commit (a commit that found it did would commit every interval for nothing).
TEST(TaskPartitionTime, ACommittedTaskWithoutNewInputHasNothingToCommit) {
  TwoInputTask t;
  t.task->resumePartitionTime(0, 500);
  t.task->initialize();
  EXPECT_TRUE(t.task->offsetsToCommit().empty()) << "no position yet: nothing to commit";
  t.process(0, 3, 600);
  ASSERT_EQ(t.task->offsetsToCommit().size(), 1u);
  EXPECT_EQ(t.task->offsetsToCommit()[0].partitionTime, 600);
  t.task->markCommitted("");
  EXPECT_TRUE(t.task->offsetsToCommit().empty());
}

}  // namespace
}  // namespace kstreams
