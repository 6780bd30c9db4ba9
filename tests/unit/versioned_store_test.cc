// The versioned store's layout and rules, on both kinds of store below it (RocksDB and
// memory): versions found as of a time, deletes as versions, the history retention, the
// commit/abort protocol, and a restore from its changelog records.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "local_store_fixture.h"
#include "store_entries.h"
#include "state/versioned_store.h"

namespace kstreams::internal {
namespace {

constexpr int64_t kHistoryMs = 1000;

class VersionedStoreTest : public LocalStoreTest {
 protected:
  void SetUp() override {
    LocalStoreTest::SetUp();
    inner_ = store_.get();
    versioned_ = openVersionedStore(std::move(store_), kHistoryMs);
  }
  void TearDown() override {
    versioned_.reset();
    LocalStoreTest::TearDown();
  }
  VersionedBytesStore& reads() { return dynamic_cast<VersionedBytesStore&>(*versioned_); }
  // Puts as the changelog layer above does, and says what the put did.
  int64_t put(const std::string& key, std::optional<std::string> value, int64_t ts) {
    versioned_->put(key, value, ts);
    log_.push_back({key, value, ts});
    return reads().lastPutResult();
  }
  // The value valid as of asOf, "-" for none.
  std::string at(const std::string& key, std::optional<int64_t> asOf) {
    auto found = reads().getAsOf(key, asOf);
    return found ? found->value : "-";
  }

  LocalStore* inner_ = nullptr;  // owned by versioned_
  std::unique_ptr<LocalStore> versioned_;
  std::vector<ChangelogRecord> log_;  // what the changelog would hold
};

TEST_P(VersionedStoreTest, FindsTheVersionValidAsOfATime) {
  EXPECT_EQ(put("k", "a", 10), kVersionValidToUndefined);
  EXPECT_EQ(put("k", "b", 20), kVersionValidToUndefined);
  EXPECT_EQ(put("k", "c", 30), kVersionValidToUndefined);
  EXPECT_EQ(at("k", 9), "-");
  EXPECT_EQ(at("k", 10), "a");
  EXPECT_EQ(at("k", 19), "a");
  EXPECT_EQ(at("k", 20), "b");
  EXPECT_EQ(at("k", 1000), "c");
  EXPECT_EQ(at("k", std::nullopt), "c");
  auto b = reads().getAsOf("k", 25);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->timestamp, 20);
  EXPECT_EQ(b->validTo, 30);
  EXPECT_EQ(reads().getAsOf("k", std::nullopt)->validTo, std::nullopt);
}

TEST_P(VersionedStoreTest, KeysThatArePrefixesOfEachOtherKeepTheirOwnVersions) {
  const std::string padded("k\0\0\0\0\0\0\0", 8);  // "k" and 7 bytes: as long as "k"'s entry keys
  put("k", "short", 10);
  put(padded, "padded", 5);
  put("kk", "longer", 1);
  EXPECT_EQ(at("k", 100), "short");
  EXPECT_EQ(at("k", 7), "-");
  EXPECT_EQ(at(padded, 100), "padded");
  EXPECT_EQ(at("kk", 100), "longer");
}

TEST_P(VersionedStoreTest, AnOutOfOrderPutSplitsTheVersionItLandsIn) {
  put("k", "a", 10);
  put("k", "c", 30);
  // Valid until the next version (30): that is what put returns.
  EXPECT_EQ(put("k", "b", 20), 30);
  EXPECT_EQ(reads().getAsOf("k", 15)->validTo, 20);
  EXPECT_EQ(at("k", 25), "b");
  // Older than every version: valid until the oldest one.
  EXPECT_EQ(put("k", "z", 5), 10);
  EXPECT_EQ(at("k", 7), "z");
  // The same timestamp replaces the version, keeping its validity.
  EXPECT_EQ(put("k", "B", 20), 30);
  EXPECT_EQ(at("k", 29), "B");
  EXPECT_EQ(at("k", std::nullopt), "c");
}

TEST_P(VersionedStoreTest, ADeleteIsAVersionWithoutValue) {
  put("k", "a", 10);
  put("k", std::nullopt, 20);
  put("k", "c", 30);
  EXPECT_EQ(at("k", 15), "a");
  EXPECT_EQ(at("k", 20), "-");
  EXPECT_EQ(at("k", 29), "-");
  EXPECT_EQ(at("k", 30), "c");
  put("k", std::nullopt, 40);
  EXPECT_EQ(at("k", std::nullopt), "-");
  EXPECT_EQ(versioned_->get("k"), std::nullopt);
  EXPECT_EQ(at("k", 35), "c");
}

TEST_P(VersionedStoreTest, HistoryOlderThanTheRetentionIsNotReadNorWritten) {
  put("k", "a", 0);
  put("k", "b", 500);
  put("other", "x", 2000);  // stream time 2000: history from 1000
  // Not put: older than the retention.
  EXPECT_EQ(put("k", "late", 999), kVersionNotPut);
  EXPECT_EQ(at("k", 999), "b") << "the late put changed nothing";
  // The latest version answers for any time since it began, however old.
  EXPECT_EQ(at("k", 600), "b");
  EXPECT_EQ(at("k", 400), "-");
  EXPECT_EQ(put("k", "c", 1500), kVersionValidToUndefined);
  EXPECT_EQ(at("k", 1200), "b");
  EXPECT_EQ(at("k", 1500), "c");
}

TEST_P(VersionedStoreTest, ExpiredVersionsAreDeletedWhenTheirKeyIsWritten) {
  for (int64_t ts = 0; ts < 10; ++ts) put("k", "v" + std::to_string(ts), ts * 1000);
  versioned_->commit(std::nullopt);
  // Stream time 9000, history from 8000: versions 0..7 ended by 8000 and are gone; the one
  // valid at 8000 stays.
  EXPECT_EQ(collect(inner_->range(std::nullopt, std::nullopt, false)).size(), 2u + 1)
      << "two versions and the stream time";
  EXPECT_EQ(at("k", 8000), "v8");
}

TEST_P(VersionedStoreTest, AnAbortDropsTheVersionsAndTheStreamTimeSinceTheCommit) {
  put("k", "a", 10);
  versioned_->commit(5);
  put("k", "b", 5000);
  EXPECT_EQ(at("k", std::nullopt), "b");
  versioned_->abort();
  EXPECT_EQ(at("k", std::nullopt), "a");
  EXPECT_EQ(reads().observedStreamTime(), 10);
  // With stream time back at 10, a put at 100 is within the history again.
  EXPECT_EQ(put("k", "c", 100), kVersionValidToUndefined);
  EXPECT_EQ(versioned_->checkpoint(), 5);
}

TEST_P(VersionedStoreTest, TheCommittedReaderSeesLatestValuesAtTheNextCommit) {
  put("k", "a", 10);
  auto reader = versioned_->committedReader();
  EXPECT_EQ(reader->get("k"), std::nullopt);
  versioned_->commit(0);
  EXPECT_EQ(reader->get("k"), "a");
  put("k", "b", 5);  // out of order: the latest stays "a"
  put("j", std::nullopt, 20);
  versioned_->commit(1);
  EXPECT_EQ(reader->get("k"), "a");
  EXPECT_EQ(reader->get("j"), std::nullopt);
  EXPECT_THROW(reader->range(std::nullopt, std::nullopt, false), InvalidStateStoreException);
}

TEST_P(VersionedStoreTest, ARestoreOfItsChangelogGivesTheSameAnswers) {
  put("k", "a", 100);
  put("k", "c", 300);
  put("k", "b", 200);
  put("k", std::nullopt, 400);
  put("j", "x", 1500);
  put("k", "late", 100);  // not put: older than the retention, yet logged
  put("k", "d", 1600);
  versioned_->commit(static_cast<int64_t>(log_.size()) - 1);
  std::vector<std::pair<int64_t, std::string>> expected;
  for (int64_t t : {99, 100, 250, 300, 450, 600, 1599, 1700}) expected.emplace_back(t, at("k", t));

  versioned_.reset();
  std::filesystem::remove_all(dir_);
  versioned_ = openVersionedStore(open(), kHistoryMs);
  ASSERT_EQ(versioned_->checkpoint(), std::nullopt);
  versioned_->restore(log_, static_cast<int64_t>(log_.size()) - 1);
  EXPECT_EQ(versioned_->checkpoint(), static_cast<int64_t>(log_.size()) - 1);
  for (auto& [t, value] : expected) EXPECT_EQ(at("k", t), value) << "as of " << t;
  EXPECT_EQ(at("j", 1500), "x");
  EXPECT_EQ(reads().observedStreamTime(), 1600);
}

// Only a persistent store keeps anything across a reopen.
class PersistentVersionedStoreTest : public VersionedStoreTest {};

TEST_P(PersistentVersionedStoreTest, ItsCommittedVersionsAndStreamTimeSurviveAReopen) {
  put("k", "a", 100);
  put("k", "b", 2000);
  versioned_->commit(1);
  versioned_->persist();
  versioned_.reset();
  versioned_ = openVersionedStore(open(), kHistoryMs);
  EXPECT_EQ(at("k", 1500), "a");
  EXPECT_EQ(reads().observedStreamTime(), 2000);
  EXPECT_EQ(put("k", "late", 999), kVersionNotPut);
}

// Errors name the store and say what to do.
std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const StreamsException& e) {
    return e.what();
  }
  return "no error";
}

TEST_P(VersionedStoreTest, ARestoreWithoutTimestampsIsAClearError) {
  std::vector<ChangelogRecord> records{{"k", "v"}};
  const std::string error = errorOf([&] { versioned_->restore(records, 0); });
  EXPECT_NE(error.find("versioned store s "), std::string::npos) << error;
  EXPECT_NE(error.find("kafka-streams-application-reset"), std::string::npos) << error;
}

// Kafka Streams' producer refuses such a changelog record; librdkafka would send it, and
// every restore would then fail on it.
TEST_P(VersionedStoreTest, ANegativeTimestampIsRefusedBeforeItIsLogged) {
  const std::string error = errorOf([&] { put("k", "v", -5); });
  EXPECT_NE(error.find("versioned store s cannot keep a version at the negative timestamp -5"), std::string::npos)
      << error;
  EXPECT_EQ(at("k", std::nullopt), "-");
}

// An entry not in the versioned layout (a plain store's data under the same name, say).
TEST_P(VersionedStoreTest, ACorruptEntryIsAnErrorNamingTheStoreAndWhatToDo) {
  std::string key;
  key.append("\0\0\0\1k", 5);
  key.append(8, '\0');
  inner_->put(key, std::optional<std::string_view>("plain"), 0);  // shorter than a version's header
  const std::string error = errorOf([&] { reads().getAsOf("k", std::nullopt); });
  EXPECT_NE(error.find("versioned store s holds a corrupt entry"), std::string::npos) << error;
  EXPECT_NE(error.find("state.dir"), std::string::npos) << error;
}

TEST_P(VersionedStoreTest, ANegativeHistoryRetentionIsRefused) {
  EXPECT_THROW(openVersionedStore(open(), -1), StreamsException);
}

INSTANTIATE_TEST_SUITE_P(Stores, VersionedStoreTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "RocksDB" : "InMemory"; });
INSTANTIATE_TEST_SUITE_P(Stores, PersistentVersionedStoreTest, ::testing::Values(true),
                         [](const auto&) { return "RocksDB"; });

}  // namespace
}  // namespace kstreams::internal
