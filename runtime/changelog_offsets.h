// What a commit hands to the next owner of a task in its offsets' metadata: the input
// partition's time, and the committed changelog offsets. Internal.
//
// Under either guarantee each committed input offset carries its partition's time, as in
// Kafka Streams: the next owner (this instance after a restart, or another one) starts the
// task's stream time from them instead of from nothing, so stream-time punctuations and
// currentStreamTimeMs() go on where they were.
//
// Under exactly_once_v2 a restore reads a changelog up to its last stable offset, which
// passes a committed transaction only once the broker has written the transaction's commit
// marker to that partition; the coordinator writes markers after the commit returns, each
// partition on its own. So right after a commit the input offsets it moved can already be
// readable while its changelog records are not yet, and a restore that stopped at the
// stable end would leave the store behind the input it goes on from. A thread that
// committed knows how far: it keeps the offsets in CommittedChangelogOffsets. Another
// owner learns them from the commit itself: each input offset a task commits carries, as
// its commit metadata, the offsets its changelogs reached in the same transaction, and the
// next owner reads them with the committed offsets before it restores.
//
// Each input offset also carries its task's processor metadata (Kafka Streams' name): a
// node's own progress by key, such as the window close time up to which a windowed
// aggregation with EmitStrategy::onWindowClose() has sent its final results, so that the
// next owner neither sends them again nor skips any.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kstreams::internal {

// Per changelog partition (topic, partition), the offset of its last record known to be
// committed.
using CommittedChangelogOffsets = std::map<std::pair<std::string, int32_t>, int64_t>;

// Per key (a node's store name), a value never negative (see Task::processorMetadata).
using ProcessorMetadata = std::map<std::string, int64_t, std::less<>>;

// The metadata of a committed input offset (at most Kafka's default
// offset.metadata.max.bytes, 4096): the partition's time (the largest timestamp its task
// processed from it; -1: none, left out), the processor metadata, and the given changelog
// offsets. What does not fit is left out in this order: first the changelog offsets (the
// next owner then restores to the stable end alone, as Kafka Streams does, which carries
// none), then the processor metadata entries that do not fit, by key (a node without its
// entry starts over: a windowed aggregation then sends again the final results of windows
// its store still holds); the partition time always fits. "" when there is nothing to
// carry.
std::string commitMetadata(const CommittedChangelogOffsets& offsets, int64_t partitionTime = -1,
                           const ProcessorMetadata& processorMetadata = {});

// What a commit's metadata holds, read in one pass.
struct CommitMetadata {
  CommittedChangelogOffsets changelogOffsets;
  int64_t partitionTime = -1;  // -1: none (written by kstreams before it kept them)
  ProcessorMetadata processorMetadata;
};
// nullopt for metadata that is not kstreams' (or of a later format): it carries nothing.
std::optional<CommitMetadata> readCommitMetadata(std::string_view metadata);

// Adds `offsets` to `into`, keeping the larger offset of a partition known to both.
void addChangelogOffsets(const CommittedChangelogOffsets& offsets, CommittedChangelogOffsets& into);

// Single readings of readCommitMetadata, with what metadata that is not kstreams' gives:
// nothing added, -1, empty.
void addChangelogOffsetsFromMetadata(std::string_view metadata, CommittedChangelogOffsets& into);
int64_t partitionTimeFromMetadata(std::string_view metadata);
ProcessorMetadata processorMetadataFromMetadata(std::string_view metadata);

}  // namespace kstreams::internal
