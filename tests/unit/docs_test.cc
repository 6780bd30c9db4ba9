// The documentation stays true to the code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

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

}  // namespace
}  // namespace kstreams
