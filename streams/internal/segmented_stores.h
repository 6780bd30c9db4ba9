// Window and session stores over a byte store, segmented by time. Internal.
//
// Keys are laid out segment first, then key, then time:
//   window store:  [segment: 8][key hash: 4][key bytes][window start: 8][sequence: 4]
//   session store: [segment: 8][key hash: 4][key bytes][session end: 8][session start: 8]
// (numbers big-endian, so byte order is numeric order). A key's windows in a segment are
// one contiguous range, and expired segments, older than the retention, are dropped with
// one range delete. The sequence number keeps duplicates apart in stores that retain them
// (stream-stream joins).
//
// The key hash (murmur2 of the key bytes, stable across runs) makes the first
// kSegmentedKeyPrefixBytes of every key a fixed-length prefix shared by exactly the
// entries a single-key fetch reads (and by the rare key whose hash collides, which the
// fetch filters out). RocksDB keeps bloom filters over that prefix, so a fetch skips every
// memtable and file that holds nothing of the key: most fetches of a join find nothing.
// Within a segment, keys are in hash order: a key range reads and sorts whole segments.
#pragma once

#include <cstring>
#include <limits>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "streams/default_partitioner.h"
#include "streams/internal/big_endian.h"
#include "streams/internal/segment_ranges.h"
#include "streams/internal/typed_store.h"
#include "streams/window_store.h"

namespace kstreams::internal {

inline void appendInt32(std::string& out, uint32_t v) { appendBigEndian(out, v); }

// The key hash of a window or session store key.
inline uint32_t segmentedKeyHash(std::string_view key) { return static_cast<uint32_t>(murmur2(key)); }
// [segment: 8][key hash: 4][key bytes]: how every window and session store key begins.
inline void appendSegmentedKeyPrefix(std::string& out, int64_t segment, std::string_view key, uint32_t keyHash) {
  appendInt64(out, segment);
  appendInt32(out, keyHash);
  out.append(key);
}
// Whether a store key holds exactly `key`, given the length of what follows the key.
inline bool holdsKey(std::string_view storeKey, std::string_view key, size_t suffixBytes) {
  return storeKey.size() == kSegmentedKeyPrefixBytes + key.size() + suffixBytes &&
         storeKey.substr(kSegmentedKeyPrefixBytes, key.size()) == key;
}

// The serialized bounds of a key range of K.
template <class K>
KeyBytesRange keyBytesRange(const Serde<K>& serde, const std::optional<K>& from, const std::optional<K>& to) {
  KeyBytesRange range;
  if (from) serde.serialize(*from, range.from.emplace());
  if (to) serde.serialize(*to, range.to.emplace());
  return range;
}

// Segments of a store: which exist, and when to drop them.
class Segments {
 public:
  Segments(int64_t retentionMs, int64_t intervalMs) : retention_(retentionMs), interval_(intervalMs) {}
  // Kafka Streams' choice: half the retention, at least a minute.
  static int64_t intervalFor(int64_t retentionMs) { return std::max<int64_t>(retentionMs / 2, 60000); }

  int64_t segmentOf(int64_t time) const { return std::max<int64_t>(time, 0) / interval_; }
  int64_t retentionMs() const { return retention_; }
  // Times at or before this are expired.
  int64_t expiredBefore() const { return observed_ - retention_; }
  bool expired(int64_t time) const { return observed_ >= 0 && time <= expiredBefore(); }

  // After a restore, which writes below this object: stream time has reached at least the
  // start of the newest segment the store holds, so the segments older than the retention
  // from there are expired. Kafka Streams observes every restored record's time instead;
  // the segment's start needs no scan and is at most a segment interval behind.
  void observeRestored(KeyValueBytesStore& store) {
    const auto [low, high] = boundsIn(store);
    if (low <= high) observe(high * interval_, store);
  }
  // Moves stream time to `time`; drops the segments it makes expire.
  void observe(int64_t time, KeyValueBytesStore& store) {
    if (time <= observed_) return;
    observed_ = time;
    const int64_t firstLive = segmentOf(observed_ - retention_ + 1);
    if (firstLive > dropped_) {
      std::string to;
      appendInt64(to, firstLive);
      store.deleteBefore(to);
      dropped_ = firstLive;
    }
  }
  // The first and last segment that may hold data (first > last: none). A store that is
  // written through this object reads them from the store once (it may hold data from
  // before a restart) and then keeps them by wrote() and observe(): two iterators over the
  // whole store for every fetch were a third of a stream-stream join. A read-only view (an
  // interactive query, whose data changes at every commit) reads them every time, and
  // keeps nothing of them: several threads may read through one view at once.
  std::pair<int64_t, int64_t> bounds(KeyValueBytesStore& store) const {
    if (!writer_) {
      const auto [low, high] = boundsIn(store);
      return {std::max(low, dropped_), high};
    }
    if (!boundsKnown_) {
      std::tie(low_, high_) = boundsIn(store);
      boundsKnown_ = true;
    }
    return {std::max(low_, dropped_), high_};
  }
  // Whether this object has been written through: it belongs to the store's stream thread.
  // Otherwise it may be a read-only view's, read from several threads at once.
  bool writer() const { return writer_; }
  // Records a write to `segment`.
  void wrote(int64_t segment) {
    writer_ = true;
    if (!boundsKnown_) return;  // the next bounds() reads them from the store, this write included
    if (high_ < low_) low_ = high_ = segment;
    low_ = std::min(low_, segment);
    high_ = std::max(high_, segment);
  }

 private:
  // The first and last segment the store holds data of (first > last: none).
  static std::pair<int64_t, int64_t> boundsIn(KeyValueBytesStore& store) {
    auto first = store.range(std::nullopt, std::nullopt, false);
    if (!first->valid()) return {0, -1};
    const int64_t low = readInt64(first->key(), 0);
    auto last = store.range(std::nullopt, std::nullopt, true);
    return {low, readInt64(last->key(), 0)};
  }

  int64_t retention_;
  int64_t interval_;
  int64_t observed_ = -1;
  int64_t dropped_ = 0;
  bool writer_ = false;
  // Kept by the writer only (see bounds()).
  mutable bool boundsKnown_ = false;
  mutable int64_t low_ = 0;
  mutable int64_t high_ = -1;
};

// Tells `listener` about each entry the cache of `store` writes down, with its key decoded by
// decodeKey and its values by valueSerde (see TypedKeyValueStore::setFlushListener).
template <class K, class V, class DecodeKey>
void setDecodingFlushListener(KeyValueBytesStore& store, SerdePtr<V> valueSerde, DecodeKey decodeKey,
                              std::function<void(K, std::optional<V>, std::optional<V>, int64_t)> listener) {
  store.setFlushListener([valueSerde = std::move(valueSerde), decodeKey = std::move(decodeKey),
                          listener = std::move(listener)](std::string_view k, std::optional<std::string_view> n,
                                                          std::optional<std::string_view> o, int64_t ts) {
    std::optional<V> newValue, oldValue;
    if (n) newValue = valueSerde->deserialize(*n);
    if (o) oldValue = valueSerde->deserialize(*o);
    listener(decodeKey(k), std::move(newValue), std::move(oldValue), ts);
  }, true);
}

// A window or session store, told when its task's restore has written its data.
class RestoredSegments {
 public:
  virtual ~RestoredSegments() = default;
  // Drops what the restored data shows expired: until the next put the store would
  // otherwise serve windows its changelog keeps past the retention (a day longer).
  virtual void restored() = 0;
};

// A window store. Over the full store stack for processors; over a committed-data reader
// (read only) for queries.
template <class K, class V>
class TypedWindowStore final : public WindowStore<K, V>, public RestoredSegments {
 public:
  TypedWindowStore(std::shared_ptr<KeyValueBytesStore> bytes, SerdePtr<K> keySerde, SerdePtr<V> valueSerde,
                   int64_t windowSizeMs, int64_t retentionMs, bool retainDuplicates,
                   std::function<int64_t()> timestamp = nullptr)
      : bytes_(std::move(bytes)), keySerde_(std::move(keySerde)), valueSerde_(std::move(valueSerde)),
        windowSize_(windowSizeMs), segments_(retentionMs, Segments::intervalFor(retentionMs)),
        retainDuplicates_(retainDuplicates), timestamp_(std::move(timestamp)),
        valueIsItsBytes_(writesItsOwnBytes(*valueSerde_)) {}

  const std::string& name() const override { return bytes_->name(); }
  bool persistent() const override { return bytes_->persistent(); }
  void flush() override { bytes_->flush(); }
  void restored() override { segments_.observeRestored(*bytes_); }

  void put(const K& key, const V& value, int64_t windowStart) override { putAt(key, value, windowStart, now()); }
  // Returns whether the store keeps the window: not if it is older than the retention.
  bool putAt(const K& key, const V& value, int64_t windowStart, int64_t timestamp) {
    segments_.observe(windowStart, *bytes_);
    if (segments_.expired(windowStart)) return false;
    bytes_->put(storeKey(key, windowStart, retainDuplicates_ ? ++sequence_ : 0),
                encodeView<V>(*valueSerde_, valueIsItsBytes_, value, valueBuffer_), timestamp);
    segments_.wrote(segments_.segmentOf(windowStart));
    return true;
  }
  // A store that keeps duplicates apart has nothing to remove by key and window (as in Kafka
  // Streams): its keys end in sequence numbers, and it writes each key once.
  void remove(const K& key, int64_t windowStart) override {
    if (retainDuplicates_) return;
    bytes_->put(storeKey(key, windowStart, 0), std::nullopt, now());
  }

  std::optional<V> fetch(const K& key, int64_t windowStart) override {
    auto bytes = bytes_->get(storeKey(key, windowStart, 0));
    if (!bytes) return std::nullopt;
    return valueSerde_->deserialize(*bytes);
  }
  KeyValueIterator<int64_t, V> fetch(const K& key, int64_t timeFrom, int64_t timeTo) override {
    return keyWindows(key, timeFrom, timeTo, false);
  }
  KeyValueIterator<int64_t, V> backwardFetch(const K& key, int64_t timeFrom, int64_t timeTo) override {
    return keyWindows(key, timeFrom, timeTo, true);
  }
  KeyValueIterator<Windowed<K>, V> fetch(const std::optional<K>& keyFrom, const std::optional<K>& keyTo,
                                         int64_t timeFrom, int64_t timeTo) override {
    return keyRangeWindows(keyFrom, keyTo, timeFrom, timeTo, false);
  }
  KeyValueIterator<Windowed<K>, V> backwardFetch(const std::optional<K>& keyFrom, const std::optional<K>& keyTo,
                                                 int64_t timeFrom, int64_t timeTo) override {
    return keyRangeWindows(keyFrom, keyTo, timeFrom, timeTo, true);
  }
  KeyValueIterator<Windowed<K>, V> fetchAll(int64_t timeFrom, int64_t timeTo) override {
    return windowsStartingIn(timeFrom, timeTo, false);
  }
  KeyValueIterator<Windowed<K>, V> backwardFetchAll(int64_t timeFrom, int64_t timeTo) override {
    return windowsStartingIn(timeFrom, timeTo, true);
  }
  KeyValueIterator<Windowed<K>, V> all() override { return everyWindow(false); }
  KeyValueIterator<Windowed<K>, V> backwardAll() override { return everyWindow(true); }

  bool cachingEnabled() const { return bytes_->cachingEnabled(); }
  // Called with each window the cache writes down (see TypedKeyValueStore::setFlushListener).
  void setFlushListener(std::function<void(Windowed<K>, std::optional<V>, std::optional<V>, int64_t)> listener) {
    setDecodingFlushListener(*bytes_, valueSerde_, [this](std::string_view k) { return windowedKey(k); },
                             std::move(listener));
  }
  const Segments& segments() const { return segments_; }

 private:
  int64_t now() const { return timestamp_ ? timestamp_() : 0; }
  // After the key: [window start: 8][sequence: 4].
  static constexpr size_t kSuffixBytes = 12;

  // key's windows starting in [timeFrom, timeTo]: a range of the key's prefix in each segment
  // (what the bloom filters serve), oldest first or, reverse, newest first.
  KeyValueIterator<int64_t, V> keyWindows(const K& key, int64_t timeFrom, int64_t timeTo, bool reverse) {
    // Times are never negative, and negative numbers sort after positive ones as bytes.
    timeFrom = std::max<int64_t>(timeFrom, 0);
    std::string k;
    keySerde_->serialize(key, k);
    const uint32_t hash = segmentedKeyHash(k);
    auto [first, last] = segments_.bounds(*bytes_);
    auto parts = rangePerSegment(std::max(first, segments_.segmentOf(timeFrom)),
                                 std::min(last, segments_.segmentOf(timeTo)), reverse, [&](int64_t seg) {
                                   return bytes_->range(rawKey(seg, k, hash, timeFrom, 0),
                                                        rawKey(seg, k, hash, timeTo, UINT32_MAX), reverse);
                                 });
    auto filter = [k](std::string_view key) { return holdsKey(key, k, kSuffixBytes); };
    return KeyValueIterator<int64_t, V>(std::make_unique<FilteredChain>(std::move(parts), filter),
                                        [vs = valueSerde_](std::string_view key, std::string_view value) {
                                          return KeyValue<int64_t, V>{readInt64(key, key.size() - kSuffixBytes), vs->deserialize(value)};
                                        });
  }
  // The segments [timeFrom, timeTo] touches, each read whole.
  std::vector<std::unique_ptr<BytesIterator>> wholeSegments(int64_t timeFrom, int64_t timeTo, bool reverse) {
    auto [first, last] = segments_.bounds(*bytes_);
    return wholeSegmentRanges(*bytes_, std::max(first, segments_.segmentOf(timeFrom)),
                              std::min(last, segments_.segmentOf(timeTo)), reverse);
  }
  static auto startsIn(int64_t timeFrom, int64_t timeTo) {
    return [timeFrom, timeTo](std::string_view key) {
      const int64_t start = readInt64(key, key.size() - kSuffixBytes);
      return start >= timeFrom && start <= timeTo;
    };
  }
  KeyValueIterator<Windowed<K>, V> windowsStartingIn(int64_t timeFrom, int64_t timeTo, bool reverse) {
    timeFrom = std::max<int64_t>(timeFrom, 0);
    return windowedIterator(
        std::make_unique<FilteredChain>(wholeSegments(timeFrom, timeTo, reverse), startsIn(timeFrom, timeTo)));
  }
  // Keys are in hash order within a segment: a key range reads the whole segments of the
  // time range, as fetchAll does, and sorts each segment's windows of the range by key.
  KeyValueIterator<Windowed<K>, V> keyRangeWindows(const std::optional<K>& keyFrom, const std::optional<K>& keyTo,
                                                   int64_t timeFrom, int64_t timeTo, bool reverse) {
    timeFrom = std::max<int64_t>(timeFrom, 0);
    KeyBytesRange keys = keyBytesRange(*keySerde_, keyFrom, keyTo);
    std::vector<std::unique_ptr<BytesIterator>> parts;
    if (!keys.empty()) parts = wholeSegments(timeFrom, timeTo, reverse);
    auto filter = [keys = std::move(keys), inTime = startsIn(timeFrom, timeTo)](std::string_view key) {
      return inTime(key) && keys.contains(keyBytesOf(key, kSuffixBytes));
    };
    return windowedIterator(std::make_unique<KeyOrderedSegments>(std::move(parts), filter, kSuffixBytes, reverse));
  }
  KeyValueIterator<Windowed<K>, V> everyWindow(bool reverse) {
    std::vector<std::unique_ptr<BytesIterator>> parts;
    parts.push_back(bytes_->range(std::nullopt, std::nullopt, reverse));
    return windowedIterator(std::make_unique<FilteredChain>(std::move(parts), [](std::string_view) { return true; }));
  }
  std::string rawKey(int64_t segment, std::string_view key, uint32_t keyHash, int64_t start, uint32_t sequence) const {
    std::string out;
    out.reserve(kSegmentedKeyPrefixBytes + key.size() + kSuffixBytes);
    appendSegmentedKeyPrefix(out, segment, key, keyHash);
    appendInt64(out, start);
    appendInt32(out, sequence);
    return out;
  }
  std::string storeKey(const K& key, int64_t start, uint32_t sequence) {
    if (!segments_.writer()) {  // maybe a read-only view, read from several threads at once
      std::string k;
      keySerde_->serialize(key, k);
      return rawKey(segments_.segmentOf(start), k, segmentedKeyHash(k), start, sequence);
    }
    keyBuffer_.clear();  // the stream thread's, reused
    keySerde_->serialize(key, keyBuffer_);
    return rawKey(segments_.segmentOf(start), keyBuffer_, segmentedKeyHash(keyBuffer_), start, sequence);
  }
  Windowed<K> windowedKey(std::string_view k) const {
    const int64_t start = readInt64(k, k.size() - kSuffixBytes);
    return Windowed<K>{keySerde_->deserialize(keyBytesOf(k, kSuffixBytes)), Window{start, start + windowSize_}};
  }
  KeyValueIterator<Windowed<K>, V> windowedIterator(std::unique_ptr<BytesIterator> inner) const {
    return KeyValueIterator<Windowed<K>, V>(std::move(inner), [this](std::string_view k, std::string_view v) {
      return KeyValue<Windowed<K>, V>{windowedKey(k), valueSerde_->deserialize(v)};
    });
  }

  std::shared_ptr<KeyValueBytesStore> bytes_;
  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
  int64_t windowSize_;
  Segments segments_;
  bool retainDuplicates_;
  std::function<int64_t()> timestamp_;
  const bool valueIsItsBytes_;  // a String or Bytes value is written without a copy
  uint32_t sequence_ = 0;
  std::string keyBuffer_, valueBuffer_;
};

// A session store; segments by session end.
template <class K, class V>
class TypedSessionStore final : public SessionStore<K, V>, public RestoredSegments {
 public:
  TypedSessionStore(std::shared_ptr<KeyValueBytesStore> bytes, SerdePtr<K> keySerde, SerdePtr<V> valueSerde,
                    int64_t retentionMs, std::function<int64_t()> timestamp = nullptr)
      : bytes_(std::move(bytes)), keySerde_(std::move(keySerde)), valueSerde_(std::move(valueSerde)),
        segments_(retentionMs, Segments::intervalFor(retentionMs)), timestamp_(std::move(timestamp)) {}

  const std::string& name() const override { return bytes_->name(); }
  bool persistent() const override { return bytes_->persistent(); }
  void flush() override { bytes_->flush(); }
  void restored() override { segments_.observeRestored(*bytes_); }

  void put(const Windowed<K>& session, const V& aggregate) override {
    segments_.observe(session.window.end, *bytes_);
    if (segments_.expired(session.window.end)) return;
    std::string value;
    valueSerde_->serialize(aggregate, value);
    bytes_->put(storeKey(session), value, timestamp_ ? timestamp_() : session.window.end);
    segments_.wrote(segments_.segmentOf(session.window.end));
  }
  void remove(const Windowed<K>& session) override {
    bytes_->put(storeKey(session), std::nullopt, timestamp_ ? timestamp_() : session.window.end);
  }

  KeyValueIterator<Windowed<K>, V> findSessions(const K& key, int64_t earliestSessionEnd, int64_t latestSessionStart) override {
    return keySessions(key, earliestSessionEnd, latestSessionStart, false);
  }
  KeyValueIterator<Windowed<K>, V> backwardFindSessions(const K& key, int64_t earliestSessionEnd,
                                                        int64_t latestSessionStart) override {
    return keySessions(key, earliestSessionEnd, latestSessionStart, true);
  }
  KeyValueIterator<Windowed<K>, V> findSessions(const std::optional<K>& keyFrom, const std::optional<K>& keyTo,
                                                int64_t earliestSessionEnd, int64_t latestSessionStart) override {
    return keyRangeSessions(keyFrom, keyTo, earliestSessionEnd, latestSessionStart, false);
  }
  KeyValueIterator<Windowed<K>, V> backwardFindSessions(const std::optional<K>& keyFrom, const std::optional<K>& keyTo,
                                                        int64_t earliestSessionEnd, int64_t latestSessionStart) override {
    return keyRangeSessions(keyFrom, keyTo, earliestSessionEnd, latestSessionStart, true);
  }
  KeyValueIterator<Windowed<K>, V> fetch(const K& key) override { return keySessions(key, 0, kLatest, false); }
  KeyValueIterator<Windowed<K>, V> backwardFetch(const K& key) override { return keySessions(key, 0, kLatest, true); }
  KeyValueIterator<Windowed<K>, V> fetch(const std::optional<K>& keyFrom, const std::optional<K>& keyTo) override {
    return keyRangeSessions(keyFrom, keyTo, 0, kLatest, false);
  }
  KeyValueIterator<Windowed<K>, V> backwardFetch(const std::optional<K>& keyFrom, const std::optional<K>& keyTo) override {
    return keyRangeSessions(keyFrom, keyTo, 0, kLatest, true);
  }
  // The sessions of every key that end within [earliestEnd, latestEnd]: the segments of
  // those ends, read whole.
  KeyValueIterator<Windowed<K>, V> findSessionsEndingBetween(int64_t earliestEnd, int64_t latestEnd) {
    earliestEnd = std::max<int64_t>(earliestEnd, 0);
    auto filter = [earliestEnd, latestEnd](std::string_view key) {
      const int64_t end = readInt64(key, key.size() - kSuffixBytes);
      return end >= earliestEnd && end <= latestEnd;
    };
    return sessions(std::make_unique<FilteredChain>(wholeSegments(earliestEnd, latestEnd, false), filter));
  }
  std::optional<V> fetchSession(const K& key, int64_t sessionStart, int64_t sessionEnd) override {
    auto bytes = bytes_->get(storeKey(Windowed<K>{key, Window{sessionStart, sessionEnd}}));
    if (!bytes) return std::nullopt;
    return valueSerde_->deserialize(*bytes);
  }

  bool cachingEnabled() const { return bytes_->cachingEnabled(); }
  void setFlushListener(std::function<void(Windowed<K>, std::optional<V>, std::optional<V>, int64_t)> listener) {
    setDecodingFlushListener(*bytes_, valueSerde_, [this](std::string_view k) { return sessionKey(k); },
                             std::move(listener));
  }
  const Segments& segments() const { return segments_; }

 private:
  // After the key: [session end: 8][session start: 8].
  static constexpr size_t kSuffixBytes = 16;
  static constexpr int64_t kLatest = std::numeric_limits<int64_t>::max();

  // key's sessions ending at or after earliestEnd and starting at or before latestStart: a
  // range of the key's prefix in each segment from earliestEnd's on, by end and then start,
  // or the reverse.
  KeyValueIterator<Windowed<K>, V> keySessions(const K& key, int64_t earliestEnd, int64_t latestStart, bool reverse) {
    earliestEnd = std::max<int64_t>(earliestEnd, 0);
    std::string k;
    keySerde_->serialize(key, k);
    const uint32_t hash = segmentedKeyHash(k);
    auto [first, last] = segments_.bounds(*bytes_);
    auto parts = rangePerSegment(std::max(first, segments_.segmentOf(earliestEnd)), last, reverse, [&](int64_t seg) {
      return bytes_->range(rawKey(seg, k, hash, earliestEnd, 0), rawKey(seg, k, hash, kLatest, kLatest), reverse);
    });
    auto filter = [k, latestStart](std::string_view key) {
      return holdsKey(key, k, kSuffixBytes) && readInt64(key, key.size() - 8) <= latestStart;
    };
    return sessions(std::make_unique<FilteredChain>(std::move(parts), filter));
  }
  // Keys are in hash order within a segment: a key range reads whole segments from
  // earliestEnd's on and sorts each one's sessions of the range by key.
  KeyValueIterator<Windowed<K>, V> keyRangeSessions(const std::optional<K>& keyFrom, const std::optional<K>& keyTo,
                                                    int64_t earliestEnd, int64_t latestStart, bool reverse) {
    earliestEnd = std::max<int64_t>(earliestEnd, 0);
    KeyBytesRange keys = keyBytesRange(*keySerde_, keyFrom, keyTo);
    std::vector<std::unique_ptr<BytesIterator>> parts;
    if (!keys.empty()) parts = wholeSegments(earliestEnd, kLatest, reverse);
    auto filter = [keys = std::move(keys), earliestEnd, latestStart](std::string_view key) {
      return readInt64(key, key.size() - kSuffixBytes) >= earliestEnd && readInt64(key, key.size() - 8) <= latestStart &&
             keys.contains(keyBytesOf(key, kSuffixBytes));
    };
    return sessions(std::make_unique<KeyOrderedSegments>(std::move(parts), filter, kSuffixBytes, reverse));
  }
  // The segments of session ends in [earliestEnd, latestEnd], each read whole.
  std::vector<std::unique_ptr<BytesIterator>> wholeSegments(int64_t earliestEnd, int64_t latestEnd, bool reverse) {
    auto [first, last] = segments_.bounds(*bytes_);
    return wholeSegmentRanges(*bytes_, std::max(first, segments_.segmentOf(earliestEnd)),
                              std::min(last, segments_.segmentOf(latestEnd)), reverse);
  }
  std::string rawKey(int64_t segment, std::string_view key, uint32_t keyHash, int64_t end, int64_t start) const {
    std::string out;
    out.reserve(kSegmentedKeyPrefixBytes + key.size() + kSuffixBytes);
    appendSegmentedKeyPrefix(out, segment, key, keyHash);
    appendInt64(out, end);
    appendInt64(out, start);
    return out;
  }
  std::string storeKey(const Windowed<K>& session) const {
    std::string k;
    keySerde_->serialize(session.key, k);
    return rawKey(segments_.segmentOf(session.window.end), k, segmentedKeyHash(k), session.window.end, session.window.start);
  }
  Windowed<K> sessionKey(std::string_view k) const {
    return Windowed<K>{keySerde_->deserialize(keyBytesOf(k, kSuffixBytes)),
                       Window{readInt64(k, k.size() - 8), readInt64(k, k.size() - 16)}};
  }
  KeyValueIterator<Windowed<K>, V> sessions(std::unique_ptr<BytesIterator> inner) const {
    return KeyValueIterator<Windowed<K>, V>(std::move(inner), [this](std::string_view k, std::string_view v) {
      return KeyValue<Windowed<K>, V>{sessionKey(k), valueSerde_->deserialize(v)};
    });
  }

  std::shared_ptr<KeyValueBytesStore> bytes_;
  SerdePtr<K> keySerde_;
  SerdePtr<V> valueSerde_;
  Segments segments_;
  std::function<int64_t()> timestamp_;
};

}  // namespace kstreams::internal
