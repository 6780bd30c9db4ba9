// The documentation stays true to the code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "runtime/streams_config.h"

namespace kstreams {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Docs, ConfigurationDocumentsEveryKey) {
  const std::string doc = readFile(std::string(KSTREAMS_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_FALSE(doc.empty());
  for (const auto& key : StreamsConfig::keys())
    EXPECT_NE(doc.find("| `" + std::string(key.name) + "` | " + key.defaultValue), std::string::npos)
        << key.name << " (default " << key.defaultValue << ") is missing from docs/configuration.md; "
        << "regenerate its table with build/tools/kstreams config";
}

// Every effective setting of a config, to tell two configs apart.
std::string settings(const StreamsConfig& c) {
  return fmt::format(
      "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}", c.applicationId(), c.bootstrapServers(),
      c.numStreamThreads(), static_cast<int>(c.processingGuarantee()), c.commitInterval().count(), c.stateDir(),
      c.maxTaskIdleMs(), c.bufferedRecordsPerPartition(), c.prefetchRefillRequests(), c.pollTime().count(),
      static_cast<int>(c.deserializationHandling()), static_cast<int>(c.productionHandling()), c.replicationFactor(),
      c.clientId(), c.defaultApiTimeout().count(), c.taskTimeout().count(), c.statestoreCacheMaxBytes(),
      c.rocksdbBlockCacheBytes(), c.rocksdbWriteBufferBytes(), c.statestoreUncommittedMaxBytes(),
      c.statestoreApplyInterval().count(), c.applicationServer());
}

// The documented defaults are a table of their own (StreamsConfig::keys()); the defaults in
// effect are the config's. Setting a key to its documented default must change nothing.
TEST(Docs, EveryDocumentedDefaultIsTheDefaultInEffect) {
  const std::map<std::string, std::string> required = {{"application.id", "app"},
                                                       {"bootstrap.servers", "localhost:9092"}};
  const std::string defaults = settings(StreamsConfig(required));
  int checked = 0;
  for (const auto& key : StreamsConfig::keys()) {
    // "30000 (100 under exactly_once_v2)": the value before a remark in parentheses.
    std::string value(key.defaultValue);
    if (auto remark = value.find(" ("); remark != std::string::npos) value.resize(remark);
    if (value.empty() || value.front() == '(' || value.front() == '<' || required.count(key.name)) continue;
    auto explicitly = required;
    explicitly[key.name] = value;
    EXPECT_EQ(settings(StreamsConfig(explicitly)), defaults)
        << key.name << ": the documented default " << value << " is not the one in effect";
    ++checked;
  }
  EXPECT_GT(checked, 15);
}

}  // namespace
}  // namespace kstreams
