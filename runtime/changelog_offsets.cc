#include "runtime/changelog_offsets.h"

#include <algorithm>
#include <charconv>

namespace kstreams::internal {
namespace {

// "kstreams-changelogs-1" then " <topic>:<partition>:<offset>" per changelog partition.
// Topic names are letters, digits, '.', '_' and '-', so neither separator occurs in one.
constexpr std::string_view kFormat = "kstreams-changelogs-1";
constexpr size_t kMaxBytes = 4096;

template <class Int>
bool parse(std::string_view text, Int& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string changelogOffsetsMetadata(const CommittedChangelogOffsets& offsets) {
  std::string out(kFormat);
  for (const auto& [partition, offset] : offsets) {
    out += ' ';
    out += partition.first;
    out += ':';
    out += std::to_string(partition.second);
    out += ':';
    out += std::to_string(offset);
  }
  return out.size() <= kMaxBytes ? out : std::string();
}

void addChangelogOffsetsFromMetadata(std::string_view metadata, CommittedChangelogOffsets& into) {
  if (metadata.substr(0, kFormat.size()) != kFormat) return;
  metadata.remove_prefix(kFormat.size());
  CommittedChangelogOffsets found;
  while (!metadata.empty()) {
    if (metadata.front() != ' ') return;
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
      return;  // not ours after all: all or nothing
    int64_t& known = found[{std::string(entry.substr(0, middle)), partition}];
    known = std::max(known, offset);
  }
  for (const auto& [partition, offset] : found) {
    auto [it, inserted] = into.try_emplace(partition, offset);
    if (!inserted) it->second = std::max(it->second, offset);
  }
}

}  // namespace kstreams::internal
