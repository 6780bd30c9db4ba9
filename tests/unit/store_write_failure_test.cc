// A RocksDB store whose files cannot be written: a child process whose file size limit
// (RLIMIT_FSIZE, with SIGXFSZ ignored) makes every write past it fail with EFBIG, as a full
// disk fails with ENOSPC. Needs no root and no small file system, unlike the full-disk tests
// of tests/integration/state_test.cc. The child is a death test run as a new process of
// this program ("threadsafe"): a plain fork of a process with threads (librdkafka's, of
// earlier tests) can hang in a lock one of them held. It reports on stderr; the parent
// checks that it exited (no abort), what the error said, and what the store kept.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "state/rocksdb_store.h"

namespace kstreams::internal {
namespace {

class StoreWriteFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    // The child runs the test again from the start: it finds the parent's directory here.
    constexpr const char* kDirectory = "KSTREAMS_WRITE_FAILURE_TEST_DIR";
    if (const char* given = std::getenv(kDirectory)) {
      dir_ = given;
    } else {
      dir_ = std::filesystem::temp_directory_path() / ("kstreams-write-failure-" + std::to_string(::getpid()) + "-" +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
      ::setenv(kDirectory, dir_.c_str(), 1);
    }
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    ::unsetenv("KSTREAMS_WRITE_FAILURE_TEST_DIR");
  }

  std::filesystem::path dir_;
};

// The child's part: commits once within the limit, then past it; reports what the store
// said on stderr, and exits.
[[noreturn]] void commitPastTheFileSizeLimit(const std::string& path) {
  RocksDBResources resources(8 << 20, 8 << 20);
  auto store = openRocksDBStore("counts", path, resources);
  for (int i = 0; i < 10; ++i) store->put("first-" + std::to_string(i), std::string("1"), 0);
  store->commit(10);
  store->persist();
  ::signal(SIGXFSZ, SIG_IGN);
  const rlimit limit{16 << 10, 16 << 10};
  ::setrlimit(RLIMIT_FSIZE, &limit);
  for (int i = 0; i < 5000; ++i) store->put("second-" + std::to_string(i), std::string(100, 'v'), 0);
  std::string report = "no error";
  try {
    store->commit(20);
    store->persist();
  } catch (const StreamsException& e) {
    report = e.what();
  }
  store.reset();  // flushes once more as it closes
  std::fprintf(stderr, "REPORT %s [closed]\n", report.c_str());
  std::_Exit(0);
}

// The store's first commit reaches its files; then the files can grow no more, and the
// next commit's flush fails. The error names the store, its directory and what to do, the
// process does not abort (closing the store flushes again, and fails again), and the store
// reopened has the first commit's data and checkpoint: nothing past what reached its files.
TEST_F(StoreWriteFailure, AFlushThatCannotWriteThrowsNamingTheStoreAndKeepsTheLastStoredCheckpoint) {
  std::filesystem::remove_all(dir_);
  const std::string path = (dir_ / "0_1" / "counts").string();
  EXPECT_EXIT(commitPastTheFileSizeLimit(path), ::testing::ExitedWithCode(0),
              "REPORT state store counts \\(" + path + "\\): .*File too large; the process's file size limit .*\\[closed\\]");

  RocksDBResources resources(8 << 20, 8 << 20);
  auto store = openRocksDBStore("counts", path, resources);
  EXPECT_EQ(store->checkpoint(), std::optional<int64_t>(10));
  EXPECT_EQ(store->get("first-9"), std::optional<std::string>("1"));
  EXPECT_EQ(store->get("second-0"), std::nullopt) << "data past the stored checkpoint";
}

// A store that cannot be created (its directory's place is taken by a file, which denies
// root too): the error names the store and the path, and no RocksDB error is left to guess.
TEST_F(StoreWriteFailure, AStoreWhoseDirectoryCannotBeCreatedIsAnErrorNamingTheStoreAndThePath) {
  std::filesystem::create_directories(dir_);
  { std::ofstream(dir_ / "0_1") << "not a directory"; }
  const std::string path = (dir_ / "0_1" / "counts").string();
  RocksDBResources resources(8 << 20, 8 << 20);
  try {
    openRocksDBStore("counts", path, resources);
    FAIL() << "a store opened under a file";
  } catch (const StreamsException& e) {
    const std::string error = e.what();
    EXPECT_NE(error.find("state store counts"), std::string::npos) << error;
    EXPECT_NE(error.find(path), std::string::npos) << error;
    EXPECT_NE(error.find("state.dir"), std::string::npos) << "says what to check: " << error;
  }
}

}  // namespace
}  // namespace kstreams::internal
