#include "ctrl/node/ip_scope.h"

#include <algorithm>

namespace ztkit::ctrl {

using wire::inet_address;

ip_scope scope_of(const inet_address& a) {
  if (a.fam == inet_address::family::ipv4) {
    const std::uint8_t b0 = a.ip[0], b1 = a.ip[1];
    switch (b0) {
      case 0x00: return ip_scope::none;
      case 0x06: case 0x0b: case 0x15: case 0x16: case 0x1a: case 0x1c: case 0x1d: case 0x1e:
      case 0x21: case 0x37: case 0xd6: case 0xd7:
        return ip_scope::pseudo_private;
      case 0x0a: return ip_scope::private_;
      case 0x64: return (b1 & 0xc0) == 0x40 ? ip_scope::shared : ip_scope::global;
      case 0x7f: return ip_scope::loopback;
      case 0xa9: return b1 == 0xfe ? ip_scope::link_local : ip_scope::global;
      case 0xac: return (b1 & 0xf0) == 0x10 ? ip_scope::private_ : ip_scope::global;
      case 0xc0: return b1 == 0xa8 ? ip_scope::private_ : ip_scope::global;
      case 0xff: return ip_scope::none;
      default: break;
    }
    if ((b0 & 0xf0) == 0xe0) return ip_scope::multicast;
    if ((b0 & 0xf0) == 0xf0) return ip_scope::pseudo_private;  // 240/4 reserved, used privately
    return ip_scope::global;
  }
  if (a.fam == inet_address::family::ipv6) {
    const auto& ip = a.ip;
    if (ip[0] == 0xff) return ip_scope::multicast;
    if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) return ip_scope::link_local;
    if ((ip[0] & 0xfe) == 0xfc) return ip_scope::private_;
    bool zero15 = std::all_of(ip.begin(), ip.begin() + 15, [](std::uint8_t b) { return b == 0; });
    if (zero15 && ip[15] == 1) return ip_scope::loopback;
    if (zero15 && ip[15] == 0) return ip_scope::none;
    return ip_scope::global;
  }
  return ip_scope::none;
}

bool address_valid_for_path(const inet_address& a, const path_rules& rules) {
  if (a.port == 0) return false;
  switch (scope_of(a)) {
    case ip_scope::private_:
    case ip_scope::pseudo_private:
    case ip_scope::shared:
    case ip_scope::global:
      break;
    case ip_scope::loopback:
      if (!rules.allow_loopback) return false;
      break;
    default:
      return false;
  }
  if (a.fam == inet_address::family::ipv6 && a.ip[0] == 0x20 && a.ip[1] == 0x01 && a.ip[2] == 0x04 &&
      a.ip[3] == 0x70)
    return false;  // 2001:470::/32
  return true;
}

bool ips_equal(const inet_address& a, const inet_address& b) {
  return a.fam == b.fam && a.ip == b.ip;
}

}  // namespace ztkit::ctrl
