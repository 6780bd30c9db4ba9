// A RocksDB store whose files cannot be written: a child process whose file size limit
// (RLIMIT_FSIZE, with SIGXFSZ ignored) makes every write past it fail with EFBIG, as a full
// disk fails with ENOSPC. Needs no root and no small file system, unlike the full-disk tests
// of tests/integration/state_test.cc. The child reports what it saw through a pipe; the
// parent checks that it did not crash, what the error said, and what the store kept.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "state/rocksdb_store.h"

namespace kstreams::internal {
namespace {

class StoreWriteFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kstreams-write-failure-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `body` in a child process and returns what it wrote to `out`; `crashed` tells
  // whether the child ended by a signal (an abort in RocksDB) instead of exiting.
  template <class Body>
  std::string inChild(Body body, bool& crashed) {
    int fds[2];
    if (::pipe(fds) != 0) ADD_FAILURE() << "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      std::string out;
      try {
        body(out);
      } catch (const std::exception& e) {
        out += std::string("unexpected exception: ") + e.what();
      }
      for (size_t written = 0; written < out.size();) {
        const ssize_t n = ::write(fds[1], out.data() + written, out.size() - written);
        if (n <= 0) break;
        written += static_cast<size_t>(n);
      }
      ::_exit(0);  // past gtest's and the parent's destructors
    }
    ::close(fds[1]);
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    crashed = !WIFEXITED(status);
    if (crashed && WIFSIGNALED(status)) out += " [killed by signal " + std::to_string(WTERMSIG(status)) + "]";
    return out;
  }

  std::filesystem::path dir_;
};

// The store's first commit reaches its files; then the files can grow no more, and the
// next commit's flush fails. The error names the store, its directory and what to do, the
// process does not abort (closing the store flushes again, and fails again), and the store
// reopened has the first commit's data and checkpoint: nothing past what reached its files.
TEST_F(StoreWriteFailure, AFlushThatCannotWriteThrowsNamingTheStoreAndKeepsTheLastStoredCheckpoint) {
  const std::string path = (dir_ / "0_1" / "counts").string();
  bool crashed = false;
  const std::string report = inChild(
      [&](std::string& out) {
        RocksDBResources resources(8 << 20, 8 << 20);
        auto store = openRocksDBStore("counts", path, resources);
        for (int i = 0; i < 10; ++i) store->put("first-" + std::to_string(i), std::string("1"), 0);
        store->commit(10);
        store->persist();
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{16 << 10, 16 << 10};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        for (int i = 0; i < 5000; ++i) store->put("second-" + std::to_string(i), std::string(100, 'v'), 0);
        try {
          store->commit(20);
          store->persist();
          out += "no error";
        } catch (const StreamsException& e) {
          out += e.what();
        }
        store.reset();  // flushes once more as it closes
        out += " [closed]";
      },
      crashed);
  EXPECT_FALSE(crashed) << report;
  EXPECT_NE(report.find("[closed]"), std::string::npos) << "closing the store that failed: " << report;
  EXPECT_NE(report.find("state store counts (" + path + ")"), std::string::npos) << report;
  EXPECT_NE(report.find("File too large"), std::string::npos) << report;
  EXPECT_NE(report.find("file size limit"), std::string::npos) << "says what to do: " << report;

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
