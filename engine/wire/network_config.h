// NetworkConfig <-> netconf dictionary (ZeroTierOne 1.14 NetworkConfig::toDictionary /
// fromDictionary; zerotier-protocol.md §5.4; netconf.json `dictionary_hex`, `parsed`,
// `large_config`). Keys in the order 1.14 writes them:
//   v nwid ts ctmd r id tt tl f ml t n mtu [C] [CAP] [TAG] [COO] [S] [RT] [I] [R] DNS ssov ssoe
//   (+ aurl aexpt for SSO v0 enabled; iurl ssoce sson ssos ssocid ssop for SSO v1)
// Numbers are 16-digit hex except `id` and `tt` (10-digit addresses); blobs are binary.
//
// Reading follows 1.14: `v` < 6 is rejected (legacy netconf is not supported), a zero or
// missing `nwid` or `id` is rejected, mtu is clamped to 1280..10000, a malformed COM, COO list,
// route list, static IP list, rule list or DNS blob rejects the whole config, while a malformed
// capability or tag stops that list (earlier entries are kept, then sorted by id). Limits are
// 1.14's: 32 static IPs, 128 routes, 256 specialists, 1024 rules, 128 capabilities and tags,
// 4 COOs (extra entries ignored).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/base/result.h"
#include "engine/base/zt_address.h"
#include "engine/wire/com.h"
#include "engine/wire/credentials.h"
#include "engine/wire/dictionary.h"
#include "engine/wire/inet_address.h"
#include "engine/wire/rules.h"

namespace ztkit::wire {

struct network_route {
  inet_address target;  // port = prefix length
  inet_address via;     // nil = on-link
  std::uint16_t flags = 0;
  std::uint16_t metric = 0;
  bool operator==(const network_route&) const = default;
};

struct network_dns {
  std::string domain;                     // at most 127 bytes (128-byte NUL-padded field)
  std::array<inet_address, 4> servers{};  // nil = unused
  bool operator==(const network_dns&) const = default;
};

struct network_config {
  static constexpr std::uint64_t version = 7;  // ZT_NETWORKCONFIG_VERSION
  static constexpr std::uint64_t min_version = 6;
  static constexpr std::uint64_t flag_enable_broadcast = 0x02;
  static constexpr std::uint64_t flag_ipv6_ndp_emulation = 0x04;
  static constexpr std::uint64_t flag_rules_result_of_unsupported_match = 0x08;
  static constexpr std::uint64_t flag_disable_compression = 0x10;
  static constexpr std::uint64_t specialist_active_bridge = 0x0000020000000000ULL;
  static constexpr std::uint64_t specialist_anchor = 0x0000040000000000ULL;
  static constexpr std::uint64_t specialist_multicast_replicator = 0x0000080000000000ULL;
  static constexpr std::uint64_t type_private = 0;
  static constexpr std::uint64_t type_public = 1;
  static constexpr std::uint32_t default_mtu = 2800;
  static constexpr std::uint32_t min_mtu = 1280;
  static constexpr std::uint32_t max_mtu = 10000;
  static constexpr std::size_t max_name = 127;
  static constexpr std::size_t max_static_ips = 32;
  static constexpr std::size_t max_routes = 128;
  static constexpr std::size_t max_specialists = 256;
  static constexpr std::size_t max_rules = 1024;
  static constexpr std::size_t max_capabilities = 128;
  static constexpr std::size_t max_tags = 128;
  static constexpr std::size_t max_coos = 4;

  std::uint64_t network_id = 0;
  std::int64_t timestamp = 0;
  std::int64_t credential_time_max_delta = 0;
  std::uint64_t revision = 0;
  zt_address issued_to;
  zt_address remote_trace_target;
  std::uint64_t remote_trace_level = 0;
  std::uint64_t flags = 0;
  std::uint32_t multicast_limit = 0;
  std::uint64_t type = type_private;
  std::string name;
  std::uint32_t mtu = default_mtu;

  std::optional<certificate_of_membership> com;
  std::vector<capability_credential> capabilities;
  std::vector<tag_credential> tags;
  std::vector<certificate_of_ownership> certificates_of_ownership;
  std::vector<std::uint64_t> specialists;  // 40-bit address | role bits
  std::vector<network_route> routes;
  std::vector<inet_address> static_ips;   // port = prefix length
  std::vector<rule> rules;
  network_dns dns;

  std::uint64_t sso_version = 0;
  bool sso_enabled = false;
  std::string authentication_url;
  std::uint64_t authentication_expiry_time = 0;
  std::string issuer_url, central_auth_url, sso_nonce, sso_state, sso_client_id, sso_provider;

  bool enable_broadcast() const { return (flags & flag_enable_broadcast) != 0; }
  bool ndp_emulation() const { return (flags & flag_ipv6_ndp_emulation) != 0; }
  bool disable_compression() const { return (flags & flag_disable_compression) != 0; }
  bool is_private() const { return type == type_private; }

  static result<network_config> from_dictionary(const dictionary& d);
  dictionary to_dictionary() const;

  // Dictionary bytes <-> config (the NETWORK_CONFIG payload after reassembly).
  static result<network_config> parse(std::span<const std::uint8_t> dictionary_bytes);
  result<std::vector<std::uint8_t>> to_bytes() const;

  bool operator==(const network_config&) const = default;
};

}  // namespace ztkit::wire
