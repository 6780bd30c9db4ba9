#include "runtime/streams_metadata.h"

#include <charconv>

namespace kstreams {

std::optional<HostInfo> HostInfo::parse(std::string_view hostAndPort) {
  const size_t colon = hostAndPort.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = hostAndPort.substr(0, colon);
  const std::string_view port = hostAndPort.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs its brackets to be told from its port
  }
  int32_t number = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || end != port.data() + port.size() || number < 0 || number > 65535) return std::nullopt;
  return HostInfo{std::string(host), number};
}

}  // namespace kstreams
