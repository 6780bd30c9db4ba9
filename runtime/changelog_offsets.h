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
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace kstreams::internal {

// Per changelog partition (topic, partition), the offset of its last record known to be
// committed.
using CommittedChangelogOffsets = std::map<std::pair<std::string, int32_t>, int64_t>;

// The metadata of a committed input offset (at most Kafka's default
// offset.metadata.max.bytes, 4096): the partition's time (the largest timestamp its task
// processed from it; -1: none, left out) and the given changelog offsets. Changelog offsets
// that do not fit are left out (the next owner then restores to the stable end alone, as
// Kafka Streams does); the partition time always fits. "" when there is nothing to carry.
std::string commitMetadata(const CommittedChangelogOffsets& offsets, int64_t partitionTime = -1);

// Adds the offsets a commit's metadata holds to `into`, keeping the larger offset of a
// partition known to both. Metadata that is not kstreams' (or of a later format) adds
// nothing.
void addChangelogOffsetsFromMetadata(std::string_view metadata, CommittedChangelogOffsets& into);

// The partition time a commit's metadata holds; -1 if it holds none (written by kstreams
// before it kept partition times, or not by kstreams at all).
int64_t partitionTimeFromMetadata(std::string_view metadata);

}  // namespace kstreams::internal
