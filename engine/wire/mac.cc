#include "engine/wire/mac.h"

#include <cstdio>

namespace ztkit::wire {

mac_address mac_address::from_u64(std::uint64_t v) {
  mac_address m;
  store_be_n(m.bytes.data(), v & 0xffffffffffffULL, 6);
  return m;
}

std::uint64_t mac_address::to_u64() const { return load_be_n(bytes.data(), 6); }

mac_address mac_address::parse(reader& r) {
  mac_address m;
  r.copy(m.bytes.data(), 6);
  return m;
}

std::string mac_address::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<mac_address> mac_address::from_string(std::string_view s) {
  const bool separated = s.size() == 17;
  if (!separated && s.size() != 12) return std::nullopt;
  mac_address m;
  std::size_t p = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    if (separated && i > 0) {
      if (s[p] != ':' && s[p] != '-') return std::nullopt;
      ++p;
    }
    const int hi = hex_digit(s[p]);
    const int lo = hex_digit(s[p + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    m.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    p += 2;
  }
  return m;
}

std::uint8_t network_mac_first_octet(std::uint64_t nwid) {
  // MAC.hpp: locally administered unicast; 0x52 is avoided because VirtualBox uses it.
  std::uint8_t first = static_cast<std::uint8_t>((nwid & 0xfe) | 0x02);
  if (first == 0x52) first = 0x32;
  return first;
}

mac_address mac_from_address(zt_address address, std::uint64_t nwid) {
  mac_address m;
  m.bytes[0] = network_mac_first_octet(nwid);
  const std::uint64_t a = address.value();
  for (int i = 1; i <= 5; ++i) {
    const auto addr_byte = static_cast<std::uint8_t>(a >> (8 * (5 - i)));
    const auto nwid_byte = static_cast<std::uint8_t>(nwid >> (8 * i));
    m.bytes[i] = addr_byte ^ nwid_byte;
  }
  return m;
}

zt_address address_from_mac(const mac_address& mac, std::uint64_t nwid) {
  std::uint64_t a = 0;
  for (int i = 1; i <= 5; ++i) {
    a = (a << 8) | static_cast<std::uint8_t>(mac.bytes[i] ^ static_cast<std::uint8_t>(nwid >> (8 * i)));
  }
  return zt_address(a);
}

std::optional<zt_address> member_address(const mac_address& mac, std::uint64_t nwid) {
  if (mac.bytes[0] != network_mac_first_octet(nwid)) return std::nullopt;
  return address_from_mac(mac, nwid);
}

inet_address ipv6_link_local(const mac_address& mac) {
  std::array<std::uint8_t, 16> ip{};
  ip[0] = 0xfe;
  ip[1] = 0x80;
  ip[8] = mac.bytes[0] ^ 0x02;
  ip[9] = mac.bytes[1];
  ip[10] = mac.bytes[2];
  ip[11] = 0xff;
  ip[12] = 0xfe;
  ip[13] = mac.bytes[3];
  ip[14] = mac.bytes[4];
  ip[15] = mac.bytes[5];
  return inet_address::v6(ip, 64);
}

inet_address rfc4193_address(std::uint64_t nwid, zt_address address) {
  std::array<std::uint8_t, 16> ip{};
  ip[0] = 0xfd;
  store_be64(ip.data() + 1, nwid);
  ip[9] = 0x99;
  ip[10] = 0x93;
  store_be_n(ip.data() + 11, address.value(), 5);
  return inet_address::v6(ip, 88);
}

inet_address sixplane_address(std::uint64_t nwid, zt_address address) {
  std::array<std::uint8_t, 16> ip{};
  ip[0] = 0xfc;
  store_be32(ip.data() + 1, static_cast<std::uint32_t>(nwid ^ (nwid >> 32)));
  store_be_n(ip.data() + 5, address.value(), 5);
  ip[15] = 0x01;
  return inet_address::v6(ip, 40);
}

multicast_group multicast_group::for_arp(const std::array<std::uint8_t, 4>& ipv4) {
  return {mac_address::broadcast(), load_be32(ipv4.data())};
}

multicast_group multicast_group::for_ndp(const std::array<std::uint8_t, 16>& ipv6) {
  return {mac_address{{0x33, 0x33, 0xff, ipv6[13], ipv6[14], ipv6[15]}}, 0};
}

std::optional<multicast_group> multicast_group::for_address_resolution(const inet_address& ip) {
  switch (ip.fam) {
    case inet_address::family::ipv4:
      return for_arp({ip.ip[0], ip.ip[1], ip.ip[2], ip.ip[3]});
    case inet_address::family::ipv6:
      return for_ndp(ip.ip);
    case inet_address::family::nil:
      break;
  }
  return std::nullopt;
}

multicast_group multicast_group::parse(reader& r) {
  multicast_group g;
  g.mac = mac_address::parse(r);
  g.adi = r.be32();
  return g;
}

void multicast_group::emit(writer& w) const {
  mac.emit(w);
  w.be32(adi);
}

std::string multicast_group::to_string() const {
  char buf[10];
  std::snprintf(buf, sizeof buf, "%08x", adi);
  return mac.to_string() + "/" + buf;
}

}  // namespace ztkit::wire
