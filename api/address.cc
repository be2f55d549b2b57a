#include <arpa/inet.h>

#include <cstring>

#include "ztkit/address.h"

namespace ztkit {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::v6;
    return a;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == Family::v4) return inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  if (family == Family::v6) return inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return "*";
}

std::string IpPrefix::to_string() const {
  return ip.to_string() + "/" + std::to_string(prefix_len);
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
  SocketAddress out;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    auto ip = IpAddress::parse(host);
    if (!ip || ip->family != IpAddress::Family::v6) return std::nullopt;
    out.ip = *ip;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host != "*" && !host.empty()) {
      auto ip = IpAddress::parse(host);
      if (!ip) return std::nullopt;
      out.ip = *ip;
    }
  }
  if (port.empty() || port.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  out.port = static_cast<std::uint16_t>(v);
  return out;
}

std::string SocketAddress::to_string() const {
  if (ip.family == IpAddress::Family::v6) return "[" + ip.to_string() + "]:" + std::to_string(port);
  return ip.to_string() + ":" + std::to_string(port);
}

}  // namespace ztkit
