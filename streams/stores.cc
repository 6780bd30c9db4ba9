#include "streams/stores.h"

#include <string>

#include "streams/errors.h"

namespace kstreams::internal {

namespace {

void requireNotNegative(const std::string& store, const char* what, milliseconds value) {
  if (value.count() < 0)
    throw TopologyException("the " + std::string(what) + " of store '" + store + "' cannot be negative; got " +
                            std::to_string(value.count()) + " ms");
}

}  // namespace

WindowBytesStoreSupplier checkedWindowSupplier(std::string name, bool persistent, milliseconds retention,
                                               milliseconds windowSize, bool retainDuplicates) {
  requireNotNegative(name, "retention", retention);
  requireNotNegative(name, "window size", windowSize);
  // A window is dropped once stream time passes its start by the retention; a retention
  // shorter than the window would drop windows before they end.
  if (retention < windowSize)
    throw TopologyException("the retention of window store '" + name + "' (" + std::to_string(retention.count()) +
                            " ms) must be at least its window size (" + std::to_string(windowSize.count()) + " ms)");
  return {std::move(name), persistent, retention, windowSize, retainDuplicates};
}

SessionBytesStoreSupplier checkedSessionSupplier(std::string name, bool persistent, milliseconds retention) {
  requireNotNegative(name, "retention", retention);
  return {std::move(name), persistent, retention};
}

VersionedBytesStoreSupplier checkedVersionedSupplier(std::string name, milliseconds historyRetention,
                                                     milliseconds segmentInterval) {
  requireNotNegative(name, "history retention", historyRetention);
  if (segmentInterval.count() <= 0)
    throw TopologyException("the segment interval of versioned store '" + name + "' must be positive; got " +
                            std::to_string(segmentInterval.count()) + " ms");
  return {std::move(name), historyRetention, segmentInterval};
}

}  // namespace kstreams::internal
