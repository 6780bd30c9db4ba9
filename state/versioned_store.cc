#include "state/versioned_store.h"

#include <limits>

#include "streams/internal/big_endian.h"

namespace kstreams::internal {
namespace {

constexpr int64_t kOpen = std::numeric_limits<int64_t>::max();  // validTo of a key's latest version
constexpr size_t kLengthBytes = 4;
constexpr size_t kTimestampBytes = 8;
constexpr size_t kHeaderBytes = 1 + 8;  // value flag, validTo
constexpr char kIsValue = 1;
constexpr char kIsDelete = 0;
constexpr uint64_t kSignBit = uint64_t{1} << 63;
// A length no user key can have: the observed stream time's own entry.
const std::string kStreamTimeKey = std::string(kLengthBytes, '\xff') + "observed-stream-time";

// Bytes whose order is the reverse of the timestamps' order: newest first.
void appendNewestFirst(std::string& out, int64_t timestamp) {
  appendBigEndian(out, ~(static_cast<uint64_t>(timestamp) ^ kSignBit));
}
int64_t readNewestFirst(const char* bytes) {
  return static_cast<int64_t>(~readBigEndian<uint64_t>(bytes) ^ kSignBit);
}

struct Version {
  int64_t timestamp;
  int64_t validTo;
  bool isValue;
  std::string_view value;
};

// An entry of `store` (the store below the versioned layer, or its committed reader).
Version decode(const KeyValueBytesStore& store, std::string_view entryKey, std::string_view entryValue) {
  if (entryValue.size() < kHeaderBytes || entryKey.size() < kLengthBytes + kTimestampBytes)
    throw StreamsException("versioned store " + store.name() + " holds a corrupt entry (" +
                           std::to_string(entryKey.size()) + " key bytes, " + std::to_string(entryValue.size()) +
                           " value bytes): its data was not written as a versioned store's. Stop the application "
                           "and delete the store's directory under state.dir: it is restored from its changelog");
  return {readNewestFirst(entryKey.data() + entryKey.size() - kTimestampBytes), readInt64(entryValue, 1),
          entryValue[0] == kIsValue, entryValue.substr(kHeaderBytes)};
}

void encodeValue(std::string& out, std::optional<std::string_view> value, int64_t validTo) {
  out.clear();
  out.push_back(value ? kIsValue : kIsDelete);
  appendInt64(out, validTo);
  if (value) out.append(*value);
}

// The bounds of a key's versions: [first, last] holds every version, newest first.
struct KeyVersions {
  std::string prefix;
  std::string at(int64_t timestamp) const {
    std::string k = prefix;
    appendNewestFirst(k, timestamp);
    return k;
  }
  std::string newest() const { return prefix + std::string(kTimestampBytes, '\0'); }
  std::string oldest() const { return prefix + std::string(kTimestampBytes, '\xff'); }
};

KeyVersions versionsOf(const KeyValueBytesStore& store, std::string_view key) {
  if (key.size() >= std::numeric_limits<uint32_t>::max())
    throw StreamsException("versioned store " + store.name() + " cannot keep a key of " + std::to_string(key.size()) +
                           " bytes: its keys must be shorter than 4 GiB");
  KeyVersions v;
  v.prefix.reserve(kLengthBytes + key.size() + kTimestampBytes);
  appendBigEndian(v.prefix, static_cast<uint32_t>(key.size()));
  v.prefix.append(key);
  return v;
}

std::optional<VersionedBytes> findAsOf(KeyValueBytesStore& store, std::string_view key, std::optional<int64_t> asOf,
                                       std::optional<int64_t> historyStart) {
  const KeyVersions versions = versionsOf(store, key);
  auto it = store.range(asOf ? versions.at(*asOf) : versions.newest(), versions.oldest(), false);
  if (!it->valid()) return std::nullopt;
  const Version v = decode(store, it->key(), it->value());
  if (!v.isValue) return std::nullopt;
  // History older than the retention may be gone: only the latest version answers for it.
  if (asOf && historyStart && *asOf < *historyStart && v.validTo != kOpen) return std::nullopt;
  return VersionedBytes{std::string(v.value), v.timestamp, v.validTo == kOpen ? std::nullopt : std::optional(v.validTo)};
}

// What interactive queries read: each key's latest value, from the committed data.
class LatestValueReader final : public KeyValueBytesStore {
 public:
  explicit LatestValueReader(std::shared_ptr<KeyValueBytesStore> inner) : inner_(std::move(inner)) {}
  const std::string& name() const override { return inner_->name(); }
  bool persistent() const override { return inner_->persistent(); }
  void flush() override {}
  std::optional<std::string> get(std::string_view key) override {
    auto latest = findAsOf(*inner_, key, std::nullopt, std::nullopt);
    if (!latest) return std::nullopt;
    return std::move(latest->value);
  }
  void put(std::string_view, std::optional<std::string_view>, int64_t) override {
    throw InvalidStateStoreException("store " + name() + " is read-only here");
  }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view>, std::optional<std::string_view>, bool) override {
    throw InvalidStateStoreException("store " + name() +
                                     " is versioned: queries can get() a key's latest value, not iterate keys");
  }
  int64_t approximateNumEntries() override { return inner_->approximateNumEntries(); }
  void deleteBefore(std::string_view) override {
    throw InvalidStateStoreException("store " + name() + " is read-only here");
  }

 private:
  std::shared_ptr<KeyValueBytesStore> inner_;
};

class VersionedStore final : public LocalStore, public VersionedBytesStore {
 public:
  VersionedStore(std::unique_ptr<LocalStore> inner, int64_t historyRetentionMs)
      : inner_(std::move(inner)), retentionMs_(historyRetentionMs) {
    loadStreamTime();
  }

  const std::string& name() const override { return inner_->name(); }
  bool persistent() const override { return inner_->persistent(); }
  void flush() override { inner_->flush(); }
  int64_t approximateNumEntries() override { return inner_->approximateNumEntries(); }

  // --- LocalStore: the store below keeps the pending writes and the checkpoint.
  std::optional<int64_t> checkpoint() const override { return inner_->checkpoint(); }
  void commit(std::optional<int64_t> changelogOffset) override { inner_->commit(changelogOffset); }
  void abort() override {
    inner_->abort();
    loadStreamTime();
  }
  size_t pendingBytes() const override { return inner_->pendingBytes(); }
  void restore(const std::vector<ChangelogRecord>& records, int64_t lastOffset) override {
    for (const ChangelogRecord& r : records) {
      if (r.timestamp < 0)
        throw StreamsException("versioned store " + name() + " cannot restore a changelog record without a "
                               "timestamp (the version's time): its changelog topic holds records a versioned store "
                               "did not write. Reset the application (kafka-streams-application-reset) or give the "
                               "store a name of its own");
      putVersion(r.key, r.value, r.timestamp);
    }
    inner_->commit(lastOffset);
  }
  std::shared_ptr<KeyValueBytesStore> committedReader() override {
    return std::make_shared<LatestValueReader>(inner_->committedReader());
  }
  void wipe() override {
    inner_->wipe();
    streamTime_.reset();
  }
  void persist() override { inner_->persist(); }

  // --- KeyValueBytesStore, as the changelog layer above sees it.
  std::optional<std::string> get(std::string_view key) override {
    auto latest = getAsOf(key, std::nullopt);
    if (!latest) return std::nullopt;
    return std::move(latest->value);
  }
  void put(std::string_view key, std::optional<std::string_view> value, int64_t timestamp) override {
    putVersion(key, value, timestamp);
  }
  std::unique_ptr<BytesIterator> range(std::optional<std::string_view>, std::optional<std::string_view>, bool) override {
    throw InvalidStateStoreException("store " + name() + " is versioned: it has no range queries, only get(key[, asOf])");
  }
  void deleteBefore(std::string_view) override {
    throw InvalidStateStoreException("store " + name() + " is versioned: its history expires by its own retention");
  }

  // --- VersionedBytesStore.
  std::optional<VersionedBytes> getAsOf(std::string_view key, std::optional<int64_t> asOf) override {
    return findAsOf(*inner_, key, asOf, historyStart());
  }
  int64_t lastPutResult() const override { return lastPut_; }
  int64_t observedStreamTime() const override { return streamTime_.value_or(std::numeric_limits<int64_t>::min()); }
  int64_t historyRetentionMs() const override { return retentionMs_; }

 protected:
  // get() and range() are overridden: the base class never asks.
  std::optional<std::string> committedGet(std::string_view key) override { return get(key); }
  std::unique_ptr<BytesIterator> committedRange(std::optional<std::string_view> from, std::optional<std::string_view> to,
                                                bool reverse) override {
    return range(from, to, reverse);
  }

 private:
  // The oldest time reads are answered for exactly; nullopt before the first write.
  std::optional<int64_t> historyStart() const {
    if (!streamTime_) return std::nullopt;
    if (*streamTime_ < std::numeric_limits<int64_t>::min() + retentionMs_) return std::numeric_limits<int64_t>::min();
    return *streamTime_ - retentionMs_;
  }

  void putVersion(std::string_view key, std::optional<std::string_view> value, int64_t timestamp) {
    // The version's time is its changelog record's, which a restore needs: Kafka takes no
    // negative one (librdkafka sends it all the same), so it is refused before it is logged.
    if (timestamp < 0)
      throw StreamsException("versioned store " + name() + " cannot keep a version at the negative timestamp " +
                             std::to_string(timestamp) + ": a version's timestamp is its changelog record's, and "
                             "Kafka takes none below 0. Put it at its record's timestamp");
    if (auto start = historyStart(); start && timestamp < *start) {
      lastPut_ = kVersionNotPut;
      return;
    }
    if (!streamTime_ || timestamp > *streamTime_) {
      streamTime_ = timestamp;
      valueBuffer_.clear();
      appendInt64(valueBuffer_, timestamp);
      inner_->put(kStreamTimeKey, valueBuffer_, timestamp);
    }
    const KeyVersions versions = versionsOf(*inner_, key);
    const std::string newKey = versions.at(timestamp);
    // The version at or before the new one: the new one takes over the rest of its validity.
    std::optional<Version> older;
    std::string olderKey, olderValue;
    {
      auto it = inner_->range(newKey, versions.oldest(), false);
      if (it->valid()) {
        olderKey = it->key();
        olderValue = it->value();
        older = decode(*inner_, olderKey, olderValue);
      }
    }
    int64_t validTo = kOpen;
    if (older) {
      validTo = older->validTo;
      if (older->timestamp != timestamp) {
        encodeValue(valueBuffer_, older->isValue ? std::optional(older->value) : std::nullopt, timestamp);
        inner_->put(olderKey, valueBuffer_, timestamp);
      }
    } else {
      // The new version is the key's oldest: it is valid until the next one begins.
      auto it = inner_->range(versions.newest(), newKey, true);
      if (it->valid()) validTo = decode(*inner_, it->key(), it->value()).timestamp;
    }
    encodeValue(valueBuffer_, value, validTo);
    inner_->put(newKey, valueBuffer_, timestamp);
    lastPut_ = validTo == kOpen ? kVersionValidToUndefined : validTo;
    dropExpired(versions, timestamp);
  }

  // Deletes the key's versions no read within the history retention can reach, oldest first.
  void dropExpired(const KeyVersions& versions, int64_t timestamp) {
    const int64_t start = *historyStart();
    expired_.clear();
    for (auto it = inner_->range(versions.newest(), versions.oldest(), true); it->valid(); it->next()) {
      const Version v = decode(*inner_, it->key(), it->value());
      if (v.validTo > start) break;  // kOpen included: the latest version stays
      expired_.emplace_back(it->key());
    }
    for (const std::string& k : expired_) inner_->put(k, std::nullopt, timestamp);
  }

  void loadStreamTime() {
    streamTime_.reset();
    if (auto bytes = inner_->get(kStreamTimeKey); bytes && bytes->size() == 8) streamTime_ = readInt64(*bytes, 0);
  }

  std::unique_ptr<LocalStore> inner_;
  const int64_t retentionMs_;
  std::optional<int64_t> streamTime_;  // the largest timestamp put, committed with the versions
  int64_t lastPut_ = kVersionValidToUndefined;
  std::string valueBuffer_;
  std::vector<std::string> expired_;
};

}  // namespace

std::unique_ptr<LocalStore> openVersionedStore(std::unique_ptr<LocalStore> inner, int64_t historyRetentionMs) {
  if (historyRetentionMs < 0)
    throw StreamsException("versioned store " + inner->name() + ": history retention cannot be negative (" +
                           std::to_string(historyRetentionMs) + " ms)");
  return std::make_unique<VersionedStore>(std::move(inner), historyRetentionMs);
}

}  // namespace kstreams::internal
