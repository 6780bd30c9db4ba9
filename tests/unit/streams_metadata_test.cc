// HostInfo and the client.id that carries an instance's application.server to the others.
#include <gtest/gtest.h>

#include "runtime/group_directory.h"
#include "runtime/streams_config.h"
#include "runtime/streams_metadata.h"

namespace kstreams {
namespace {

TEST(HostInfo, ParsesHostAndPort) {
  EXPECT_EQ(HostInfo::parse("orders-1.internal:8080"), (HostInfo{"orders-1.internal", 8080}));
  EXPECT_EQ(HostInfo::parse("10.0.0.7:0"), (HostInfo{"10.0.0.7", 0}));
  EXPECT_EQ(HostInfo::parse("[::1]:65535"), (HostInfo{"::1", 65535}));
  EXPECT_EQ(HostInfo::parse("[::1]:65535")->toString(), "[::1]:65535");
}

TEST(HostInfo, RefusesWhatIsNotHostAndPort) {
  for (const char* bad : {"", "host", "host:", ":8080", "host:http", "host:65536", "host:-1", "::1:8080", "[]:80",
                          "host:80x"})
    EXPECT_EQ(HostInfo::parse(bad), std::nullopt) << bad;
}

TEST(HostInfo, AStreamConsumersClientIdCarriesItsInstancesServer) {
  const std::string id = internal::streamConsumerClientId("app-StreamThread-2", "orders-1:8080");
  EXPECT_EQ(id, "app-StreamThread-2-consumer@orders-1:8080");
  EXPECT_EQ(internal::hostOfStreamConsumer(id), (HostInfo{"orders-1", 8080}));
  // Without an application.server, the client.id is Kafka Streams' and names no host.
  const std::string plain = internal::streamConsumerClientId("app-StreamThread-2", "");
  EXPECT_EQ(plain, "app-StreamThread-2-consumer");
  EXPECT_EQ(internal::hostOfStreamConsumer(plain), std::nullopt);
  // A client.id prefix with its own '@' does not confuse the parse.
  EXPECT_EQ(internal::hostOfStreamConsumer(
                internal::streamConsumerClientId("team@site-StreamThread-1", "[fe80::1]:9000")),
            (HostInfo{"fe80::1", 9000}));
}

TEST(HostInfo, ABadApplicationServerIsAConfigErrorNamingTheKey) {
  try {
    StreamsConfig config{{"application.server", "orders-1:http"}};
    FAIL() << "no exception";
  } catch (const ConfigException& e) {
    EXPECT_NE(std::string(e.what()).find("application.server"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("orders-1:http"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kstreams
