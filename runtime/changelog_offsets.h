// Committed changelog offsets, and how a commit hands them to the next owner of a task.
// Internal.
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
// offset.metadata.max.bytes, 4096): the given changelog offsets, or "" when they do not
// fit (the next owner then restores to the stable end alone, as Kafka Streams does).
std::string changelogOffsetsMetadata(const CommittedChangelogOffsets& offsets);

// Adds the offsets a commit's metadata holds to `into`, keeping the larger offset of a
// partition known to both. Metadata that is not kstreams' (or of a later format) adds
// nothing.
void addChangelogOffsetsFromMetadata(std::string_view metadata, CommittedChangelogOffsets& into);

}  // namespace kstreams::internal
