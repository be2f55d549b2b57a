// An embedded network controller (ZeroTierOne 1.14 controller/EmbeddedNetworkController.cpp:
// request/_request, Node::ncSendConfig/ncSendError; zerotier-protocol.md §5.2, §5.3, §5.6) as a
// pure state machine: networks whose IDs start with our address, their members, and the answer
// to NETWORK_CONFIG_REQUEST. No clock, no I/O: `now` comes in, packets leave via network_io.
//
//   - requests from one member less than 1 s apart are dropped (ZT_NETCONF_MIN_REQUEST_PERIOD);
//   - an unknown network -> ERROR OBJ_NOT_FOUND [8 nwid];
//   - an unauthorized member of a private network -> ERROR NETWORK_ACCESS_DENIED [8 nwid]
//     (new members start unauthorized unless the network is public or auto_authorize is set);
//   - otherwise a fresh config (v 7, nwid, ts = now, ctmd, r, id, f, ml, t, n, mtu, C = a COM we
//     issue and sign with the 7 qualifiers, RT, I, R) cut into signed chunks, each sent as
//     OK(NETWORK_CONFIG_REQUEST) [0x0b][request packet id][chunk];
//   - authorize / deauthorize / member IP changes push the new config as NETWORK_CONFIG to a
//     member seen before (1.14 pushes to recently seen members).
//
// IP assignment follows _request: v6AssignMode rfc4193 / 6plane addresses (NDP emulation
// flag), then the member's ipAssignments (a stored IP without a prefix gets the longest covering
// route's, and is left out if no route covers it), then v6AssignMode zt / v4AssignMode zt pick
// a free, routed address from ipAssignmentPools (v4 starting at the member address's low 32
// bits modulo the range, skipping .255). `v4_pool` is a simpler first-free v4 pool with its
// own prefix (the `zt root --pool` shortcut). Active bridges are sent as specialists.
//
// Every change of a network or member (API calls, identities learned, addresses assigned) is
// reported to the change hook (set_on_change), which ctrl/controller_api uses to persist them.
//
// Not done (1.14 does): Revocations on deauthorization, SSO, tags/capabilities (rules only).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ctrl/network/network_io.h"
#include "engine/base/result.h"
#include "engine/wire/network_config.h"
#include "engine/wire/verbs.h"

namespace ztkit::ctrl {

struct ipv4_pool {
  std::array<std::uint8_t, 4> first{};
  std::array<std::uint8_t, 4> last{};
  std::uint8_t prefix_bits = 24;  // netmask given to assigned addresses
  bool operator==(const ipv4_pool&) const = default;
};

// One ipAssignmentPools entry: both ends of the same family.
struct ip_pool {
  wire::inet_address first;
  wire::inet_address last;
  bool operator==(const ip_pool&) const = default;
};

struct controller_network_settings {
  std::string name;
  bool is_private = true;
  bool enable_broadcast = true;
  std::uint32_t mtu = wire::network_config::default_mtu;
  std::uint32_t multicast_limit = 32;
  std::int64_t credential_time_max_delta = 30 * 60 * 1000;  // clamped to 5 min .. 2 h
  std::optional<ipv4_pool> v4_pool;  // first-free v4 pool with its own prefix (CLI shortcut)
  std::vector<ip_pool> ip_pools;     // ipAssignmentPools
  bool v4_assign_zt = false;         // v4AssignMode {zt}
  bool v6_assign_zt = false;         // v6AssignMode {zt, rfc4193, 6plane}
  bool v6_rfc4193 = false;
  bool v6_6plane = false;
  std::vector<wire::network_route> routes;
  std::vector<wire::rule> rules;     // empty: accept everything
  bool auto_authorize = false;
  bool operator==(const controller_network_settings&) const = default;
};

struct controller_member {
  zt_address address;
  bool authorized = false;
  std::vector<wire::inet_address> ip_assignments;  // port = prefix bits
  std::optional<crypto::identity> identity;        // learned from its first request
  std::int64_t last_request = 0;
  bool requested = false;
  std::uint64_t revision = 0;
  // Kept for the API and the store (zerotier-one's member object).
  bool active_bridge = false;
  bool no_auto_assign_ips = false;
  std::string name;
  std::int64_t creation_time = 0;
  std::int64_t last_authorized_time = 0;
  std::int64_t last_deauthorized_time = 0;
};

// A partial member update (the API's POST): unset fields stay as they are.
struct controller_member_update {
  std::optional<bool> authorized;
  std::optional<std::vector<wire::inet_address>> ip_assignments;
  std::optional<bool> active_bridge;
  std::optional<bool> no_auto_assign_ips;
  std::optional<std::string> name;
};

struct controller_network {
  std::uint64_t id = 0;
  controller_network_settings settings;
  std::uint64_t revision = 1;
  std::int64_t creation_time = 0;
  std::map<zt_address, controller_member> members;
};

// What changed: a network's settings (member unset) or one member; `removed` when it is gone.
struct controller_change {
  std::uint64_t nwid = 0;
  std::optional<zt_address> member;
  bool removed = false;
};

struct controller_counters {
  std::uint64_t requests = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t malformed = 0;
  std::uint64_t not_found = 0;
  std::uint64_t access_denied = 0;
  std::uint64_t configs_sent = 0;
  std::uint64_t chunks_sent = 0;
  std::uint64_t pushes = 0;
};

class controller {
 public:
  static constexpr std::int64_t min_request_period = 1000;  // ZT_NETCONF_MIN_REQUEST_PERIOD

  // `self` must hold its private key (it signs chunks and COMs). `seed` drives config update IDs.
  controller(crypto::identity self, network_io& io, std::uint64_t seed = 1);

  zt_address address() const { return self_.address(); }

  // Answer requests with NETWORK_CONFIG pushes instead of OK(NETWORK_CONFIG_REQUEST). 1.14
  // members accept both (a push is acknowledged with OK in-re ECHO). Needed while node_core
  // neither registers NETWORK_CONFIG_REQUEST as expecting a reply nor hands OK in-re
  // NETWORK_CONFIG_REQUEST to the network layer (it drops it as an unexpected OK).
  void set_answer_with_push(bool on) { answer_with_push_ = on; }

  // Called (on the caller's thread) after every change to a network or member.
  void set_on_change(std::function<void(const controller_change&)> fn) { on_change_ = std::move(fn); }

  // Creates network (address << 24 | suffix). Fails if it exists or suffix > 0xffffff.
  result<std::uint64_t> create_network(std::uint32_t suffix, controller_network_settings settings = {},
                                       std::int64_t now = 0);
  // Puts back a network with its members as stored (no change reported). Fails if its ID is
  // not ours or it exists.
  status restore_network(controller_network n);
  controller_network* network(std::uint64_t nwid);
  const std::map<std::uint64_t, controller_network>& networks() const { return networks_; }
  // Replaces the settings (revision + 1) and pushes to members seen before.
  status update_network(std::int64_t now, std::uint64_t nwid, controller_network_settings settings);
  status delete_network(std::uint64_t nwid);
  // Creates the member if needed and applies `u`; revision + 1 and a push if anything changed.
  status update_member(std::int64_t now, std::uint64_t nwid, zt_address member,
                       const controller_member_update& u);
  status delete_member(std::uint64_t nwid, zt_address member);

  // Creates the member if needed; a change pushes the config (or nothing if deauthorized: the
  // member learns at its next refresh, as with 1.14 without revocations).
  status authorize(std::int64_t now, std::uint64_t nwid, zt_address member, bool authorized);
  status set_ip_assignments(std::int64_t now, std::uint64_t nwid, zt_address member,
                            std::vector<wire::inet_address> ips);

  // NETWORK_CONFIG_REQUEST from an authenticated peer `from` in packet `packet_id`.
  void on_config_request(std::int64_t now, const crypto::identity& from, std::uint64_t packet_id,
                         std::span<const std::uint8_t> payload);

  // The netconf a member would get now (nullopt: unknown network/member or not allowed).
  std::optional<wire::network_config> config_for(std::int64_t now, std::uint64_t nwid,
                                                 const crypto::identity& member);

  const controller_counters& counters() const { return counters_; }

 private:
  controller_member& member_of(std::int64_t now, controller_network& n, zt_address a);
  bool allowed(const controller_network& n, const controller_member& m) const;
  // The config's static IPs; may assign new ones to `m` (then returns true in `changed`).
  std::vector<wire::inet_address> static_ips(controller_network& n, controller_member& m,
                                             std::uint64_t& flags, bool& changed);
  bool assign_legacy_v4(controller_network& n, controller_member& m);
  void changed(std::uint64_t nwid, std::optional<zt_address> member, bool removed = false);
  // Reports (and counts in the member's revision) addresses it assigns.
  wire::network_config build(std::int64_t now, controller_network& n, controller_member& m,
                             const crypto::identity& member_id);
  wire::network_config build(std::int64_t now, controller_network& n, controller_member& m,
                             const crypto::identity& member_id, bool& ips_changed);
  void send_error(std::int64_t now, zt_address to, std::uint64_t packet_id, wire::error_code code,
                  std::uint64_t nwid);
  // Sends the config as OK chunks (in reply to `packet_id`) or NETWORK_CONFIG pushes.
  void send_config(std::int64_t now, controller_network& n, controller_member& m,
                   const crypto::identity& member_id, std::optional<std::uint64_t> in_re);
  void push(std::int64_t now, controller_network& n, controller_member& m);
  std::uint64_t next_update_id();

  crypto::identity self_;
  network_io& io_;
  std::uint64_t rng_;
  std::map<std::uint64_t, controller_network> networks_;
  controller_counters counters_;
  bool answer_with_push_ = false;
  std::function<void(const controller_change&)> on_change_;
};

}  // namespace ztkit::ctrl
