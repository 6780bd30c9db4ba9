// A local store for each test, of both kinds (the test's parameter: true for RocksDB, false
// in memory), in a directory of its own that is removed afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "state/in_memory_store.h"
#include "state/rocksdb_store.h"

namespace kstreams::internal {

class LocalStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kstreams-store-test-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool persistent() const { return GetParam(); }
  std::unique_ptr<LocalStore> open(size_t keyPrefixBytes = 0) {
    return persistent() ? openRocksDBStore("s", dir_.string(), resources_, keyPrefixBytes)
                        : openInMemoryStore("s", keyPrefixBytes);
  }

  RocksDBResources resources_{8 << 20, 8 << 20};
  std::filesystem::path dir_;
  std::unique_ptr<LocalStore> store_;
};

}  // namespace kstreams::internal
