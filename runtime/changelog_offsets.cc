#include "runtime/changelog_offsets.h"

#include <algorithm>
#include <charconv>

namespace kstreams::internal {
namespace {

// "kstreams-changelogs-1" then " <topic>:<partition>:<offset>" per changelog partition.
// Topic names are letters, digits, '.', '_' and '-', so neither separator occurs in one.
//
// The partition time is the entry " @partition-time:1:<ms>" (1: the entry's version), first.
// It has the shape of a changelog entry because kstreams before it reads every entry as one
// and drops the whole metadata over an entry it cannot read: in a rolling upgrade an
// instance of that version taking a task over still gets the changelog offsets. No topic
// name starts with '@', so the entry names no changelog it restores.
//
// A processor metadata entry is " @processor.<key>:1:<value>" (1: the entry's version);
// keys are store names, made of the same characters as topic names.
constexpr std::string_view kFormat = "kstreams-changelogs-1";
constexpr std::string_view kPartitionTime = "@partition-time";
constexpr int32_t kPartitionTimeVersion = 1;
constexpr std::string_view kProcessorPrefix = "@processor.";
constexpr int32_t kProcessorVersion = 1;
constexpr size_t kMaxBytes = 4096;

template <class Int>
bool parse(std::string_view text, Int& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

void appendEntry(std::string& out, std::string_view name, int32_t partition, int64_t offset) {
  out += ' ';
  out += name;
  out += ':';
  out += std::to_string(partition);
  out += ':';
  out += std::to_string(offset);
}

}  // namespace

std::string commitMetadata(const CommittedChangelogOffsets& offsets, int64_t partitionTime,
                           const ProcessorMetadata& processorMetadata) {
  std::string out(kFormat);
  if (partitionTime >= 0) appendEntry(out, kPartitionTime, kPartitionTimeVersion, partitionTime);
  std::string entry;
  for (const auto& [key, value] : processorMetadata) {
    if (value < 0) continue;  // a reader drops metadata with a negative entry whole
    entry.clear();
    appendEntry(entry, std::string(kProcessorPrefix) + key, kProcessorVersion, value);
    if (out.size() + entry.size() <= kMaxBytes) out += entry;
  }
  const size_t withoutOffsets = out.size();
  for (const auto& [partition, offset] : offsets) appendEntry(out, partition.first, partition.second, offset);
  if (out.size() > kMaxBytes) out.resize(withoutOffsets);
  if (out.size() == kFormat.size()) return {};
  return out;
}

std::optional<CommitMetadata> readCommitMetadata(std::string_view metadata) {
  if (metadata.substr(0, kFormat.size()) != kFormat) return std::nullopt;
  metadata.remove_prefix(kFormat.size());
  CommitMetadata read;
  while (!metadata.empty()) {
    if (metadata.front() != ' ') return std::nullopt;
    metadata.remove_prefix(1);
    const std::string_view entry = metadata.substr(0, metadata.find(' '));
    metadata.remove_prefix(entry.size());
    const size_t last = entry.rfind(':');
    const size_t middle = last == std::string_view::npos || last == 0 ? std::string_view::npos : entry.rfind(':', last - 1);
    int32_t partition = 0;
    int64_t offset = 0;
    if (middle == std::string_view::npos || middle == 0 ||
        !parse(entry.substr(middle + 1, last - middle - 1), partition) || !parse(entry.substr(last + 1), offset) ||
        partition < 0 || offset < 0)
      return std::nullopt;  // not ours after all: all or nothing
    const std::string_view name = entry.substr(0, middle);
    if (name.front() == '@') {
      // An entry of a later version, or one a later kstreams added: not a changelog.
      if (name == kPartitionTime && partition == kPartitionTimeVersion) read.partitionTime = offset;
      if (partition == kProcessorVersion && name.size() > kProcessorPrefix.size() &&
          name.substr(0, kProcessorPrefix.size()) == kProcessorPrefix)
        read.processorMetadata[std::string(name.substr(kProcessorPrefix.size()))] = offset;
      continue;
    }
    int64_t& known = read.changelogOffsets[{std::string(name), partition}];
    known = std::max(known, offset);
  }
  return read;
}

void addChangelogOffsets(const CommittedChangelogOffsets& offsets, CommittedChangelogOffsets& into) {
  for (const auto& [partition, offset] : offsets) {
    auto [it, inserted] = into.try_emplace(partition, offset);
    if (!inserted) it->second = std::max(it->second, offset);
  }
}

void addChangelogOffsetsFromMetadata(std::string_view metadata, CommittedChangelogOffsets& into) {
  if (const auto read = readCommitMetadata(metadata)) addChangelogOffsets(read->changelogOffsets, into);
}

int64_t partitionTimeFromMetadata(std::string_view metadata) {
  const auto read = readCommitMetadata(metadata);
  return read ? read->partitionTime : -1;
}

ProcessorMetadata processorMetadataFromMetadata(std::string_view metadata) {
  auto read = readCommitMetadata(metadata);
  return read ? std::move(read->processorMetadata) : ProcessorMetadata{};
}

}  // namespace kstreams::internal
