// IP address scope and the "may this address carry ZeroTier traffic" rule (ZeroTierOne 1.14
// InetAddress::ipScope, Path::isAddressValidForPath; zerotier-protocol.md §4.5).
#pragma once

#include <cstdint>

#include "engine/wire/inet_address.h"

namespace ztkit::ctrl {

// Values as InetAddress::IpScope: path quality multiplies latency by (8 - scope), so a larger
// value is preferred (private LANs win over the Internet).
enum class ip_scope : std::uint8_t {
  none = 0,
  multicast = 1,
  loopback = 2,
  pseudo_private = 3,  // IPv4 blocks owned by the US DoD and used privately (1.14's list)
  global = 4,
  link_local = 5,
  shared = 6,  // 100.64/10 carrier-grade NAT
  private_ = 7,
};

ip_scope scope_of(const wire::inet_address& a);

struct path_rules {
  // 1.14 never learns loopback paths; ztkit allows them only when asked (demo, loopback tests).
  bool allow_loopback = false;
};

// Path::isAddressValidForPath: IPv4/IPv6 of scope private, pseudo-private, shared or global
// (plus loopback when allowed); never link-local, multicast or nil; IPv6 2001:470::/32
// (he.net tunnels) rejected; port must be nonzero.
bool address_valid_for_path(const wire::inet_address& a, const path_rules& rules);

// Same IP (port ignored): InetAddress::ipsEqual.
bool ips_equal(const wire::inet_address& a, const wire::inet_address& b);

}  // namespace ztkit::ctrl
