#include "engine/wire/inet_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace ztkit::wire {

inet_address inet_address::v4(std::array<std::uint8_t, 4> a, std::uint16_t port) {
  inet_address r;
  r.fam = family::ipv4;
  std::copy(a.begin(), a.end(), r.ip.begin());
  r.port = port;
  return r;
}

inet_address inet_address::v6(const std::array<std::uint8_t, 16>& a, std::uint16_t port) {
  inet_address r;
  r.fam = family::ipv6;
  r.ip = a;
  r.port = port;
  return r;
}

inet_address inet_address::parse(reader& r) {
  inet_address a;
  switch (r.u8()) {
    case 0:
      break;
    case 1:
    case 2:  // Ethernet / Bluetooth addresses: accepted and skipped by 1.14
      r.skip(6);
      break;
    case 3:  // other types: [2 length not counting itself] + body
      r.skip(r.be16());
      break;
    case 4:
      a.fam = family::ipv4;
      r.copy(a.ip.data(), 4);
      a.port = r.be16();
      break;
    case 6:
      a.fam = family::ipv6;
      r.copy(a.ip.data(), 16);
      a.port = r.be16();
      break;
    default:
      r.fail();  // 1.14 throws BAD_ENCODING
  }
  if (!r.ok()) return {};
  return a;
}

void inet_address::emit(writer& w) const {
  switch (fam) {
    case family::nil:
      w.u8(0);
      return;
    case family::ipv4:
      w.u8(4);
      w.bytes(std::span(ip).first(4));
      w.be16(port);
      return;
    case family::ipv6:
      w.u8(6);
      w.bytes(ip);
      w.be16(port);
      return;
  }
}

std::size_t inet_address::buffer_len() const {
  switch (fam) {
    case family::ipv4: return 7;
    case family::ipv6: return 19;
    case family::nil: break;
  }
  return 1;
}

std::string inet_address::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (fam) {
    case family::nil:
      return "nil";
    case family::ipv4:
      inet_ntop(AF_INET, ip.data(), buf, sizeof buf);
      break;
    case family::ipv6:
      inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
      break;
  }
  return std::string(buf) + "/" + std::to_string(port);
}

std::optional<inet_address> inet_address::from_string(std::string_view s) {
  if (s == "nil") return inet_address{};
  std::uint16_t port = 0;
  const auto slash = s.rfind('/');
  if (slash != std::string_view::npos) {
    const auto tail = s.substr(slash + 1);
    const auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), port);
    if (ec != std::errc{} || end != tail.data() + tail.size() || tail.empty()) return std::nullopt;
    s = s.substr(0, slash);
  }
  const std::string host(s);
  inet_address a;
  if (inet_pton(AF_INET, host.c_str(), a.ip.data()) == 1) {
    a.fam = family::ipv4;
  } else if (inet_pton(AF_INET6, host.c_str(), a.ip.data()) == 1) {
    a.fam = family::ipv6;
  } else {
    return std::nullopt;
  }
  a.port = port;
  return a;
}

}  // namespace ztkit::wire
