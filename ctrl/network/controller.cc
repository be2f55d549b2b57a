#include "ctrl/network/controller.h"

#include <algorithm>
#include <utility>

#include "engine/wire/bytes.h"
#include "engine/wire/com.h"
#include "engine/wire/config_chunks.h"

namespace ztkit::ctrl {

namespace {
constexpr std::int64_t min_ctmd = 5 * 60 * 1000;
constexpr std::int64_t max_ctmd = 2 * 60 * 60 * 1000;

std::uint32_t v4_value(const std::array<std::uint8_t, 4>& a) {
  return (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) | (std::uint32_t{a[2]} << 8) | a[3];
}

std::uint64_t be64_of(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void put_be64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<std::uint8_t>(v);
}

bool same_ip(const wire::inet_address& a, const wire::inet_address& b) {
  return a.fam == b.fam && a.ip == b.ip;
}

// InetAddress::containsAddress: `target` is a network (port = prefix bits) of ip's family.
bool route_contains(const wire::inet_address& target, const wire::inet_address& ip) {
  if (target.fam != ip.fam || target.fam == wire::inet_address::family::nil) return false;
  const unsigned width = target.fam == wire::inet_address::family::ipv4 ? 32 : 128;
  const unsigned bits = target.port;
  if (bits > width) return false;
  for (unsigned i = 0; i < bits; ++i) {
    const std::uint8_t mask = static_cast<std::uint8_t>(0x80 >> (i % 8));
    if ((target.ip[i / 8] & mask) != (ip.ip[i / 8] & mask)) return false;
  }
  return true;
}

// The longest prefix among routes covering `ip` (only on-link ones if asked), or -1.
int routed_bits(const std::vector<wire::network_route>& routes, const wire::inet_address& ip,
                bool on_link_only) {
  int best = -1;
  for (const auto& r : routes) {
    if (on_link_only && !r.via.is_nil()) continue;
    if (route_contains(r.target, ip)) best = std::max(best, static_cast<int>(r.target.port));
  }
  return best;
}

bool allocated(const controller_network& n, const wire::inet_address& ip) {
  for (const auto& [a, m] : n.members)
    for (const auto& x : m.ip_assignments)
      if (same_ip(x, ip)) return true;
  return false;
}

// InetAddress::makeIpv6rfc4193 / makeIpv66plane.
wire::inet_address rfc4193_address(std::uint64_t nwid, zt_address a) {
  std::array<std::uint8_t, 16> ip{};
  ip[0] = 0xfd;
  put_be64(ip.data() + 1, nwid);
  ip[9] = 0x99;
  ip[10] = 0x93;
  a.to_bytes(ip.data() + 11);
  return wire::inet_address::v6(ip, 88);
}

wire::inet_address sixplane_address(std::uint64_t nwid, zt_address a) {
  nwid ^= nwid >> 32;
  std::array<std::uint8_t, 16> ip{};
  ip[0] = 0xfc;
  ip[1] = static_cast<std::uint8_t>(nwid >> 24);
  ip[2] = static_cast<std::uint8_t>(nwid >> 16);
  ip[3] = static_cast<std::uint8_t>(nwid >> 8);
  ip[4] = static_cast<std::uint8_t>(nwid);
  a.to_bytes(ip.data() + 5);
  ip[15] = 0x01;
  return wire::inet_address::v6(ip, 40);
}
}  // namespace

controller::controller(crypto::identity self, network_io& io, std::uint64_t seed)
    : self_(std::move(self)), io_(io), rng_(seed ? seed : 1) {}

std::uint64_t controller::next_update_id() {
  // splitmix64; update IDs only need to differ between updates (and be nonzero).
  for (;;) {
    std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    if (z) return z;
  }
}

void controller::changed(std::uint64_t nwid, std::optional<zt_address> member, bool removed) {
  if (on_change_) on_change_(controller_change{nwid, member, removed});
}

result<std::uint64_t> controller::create_network(std::uint32_t suffix,
                                                 controller_network_settings settings,
                                                 std::int64_t now) {
  if (suffix > 0xffffff) return error{errc::invalid_argument, "network suffix is more than 24 bits"};
  const std::uint64_t nwid = (address().value() << 24) | suffix;
  if (networks_.count(nwid)) return error{errc::invalid_argument, "network already exists"};
  controller_network n;
  n.id = nwid;
  n.settings = std::move(settings);
  n.creation_time = now;
  networks_.emplace(nwid, std::move(n));
  changed(nwid, std::nullopt);
  return nwid;
}

status controller::restore_network(controller_network n) {
  if ((n.id >> 24) != address().value())
    return error{errc::invalid_argument, "network is not one of this controller's (" +
                                             address().to_string() + ")"};
  if (networks_.count(n.id)) return error{errc::invalid_argument, "network already exists"};
  for (auto& [a, m] : n.members) m.address = a;
  const std::uint64_t id = n.id;
  networks_.emplace(id, std::move(n));
  return {};
}

controller_network* controller::network(std::uint64_t nwid) {
  auto it = networks_.find(nwid);
  return it == networks_.end() ? nullptr : &it->second;
}

status controller::update_network(std::int64_t now, std::uint64_t nwid,
                                  controller_network_settings settings) {
  controller_network* n = network(nwid);
  if (!n) return error{errc::not_found, "no such network"};
  n->settings = std::move(settings);
  ++n->revision;
  changed(nwid, std::nullopt);
  for (auto& [a, m] : n->members) push(now, *n, m);
  return {};
}

status controller::delete_network(std::uint64_t nwid) {
  if (!networks_.erase(nwid)) return error{errc::not_found, "no such network"};
  changed(nwid, std::nullopt, true);
  return {};
}

status controller::delete_member(std::uint64_t nwid, zt_address member) {
  controller_network* n = network(nwid);
  if (!n) return error{errc::not_found, "no such network"};
  if (!n->members.erase(member)) return error{errc::not_found, "no such member"};
  ++n->revision;
  changed(nwid, member, true);
  return {};
}

status controller::update_member(std::int64_t now, std::uint64_t nwid, zt_address member,
                                 const controller_member_update& u) {
  controller_network* n = network(nwid);
  if (!n) return error{errc::not_found, "no such network"};
  if (u.ip_assignments && u.ip_assignments->size() > wire::network_config::max_static_ips)
    return error{errc::invalid_argument, "too many IP assignments"};
  const bool fresh = !n->members.count(member);
  controller_member& m = member_of(now, *n, member);
  bool any = false;
  if (u.authorized && *u.authorized != m.authorized) {
    m.authorized = *u.authorized;
    (m.authorized ? m.last_authorized_time : m.last_deauthorized_time) = now;
    any = true;
  }
  if (u.ip_assignments && *u.ip_assignments != m.ip_assignments) {
    m.ip_assignments = *u.ip_assignments;
    any = true;
  }
  if (u.active_bridge && *u.active_bridge != m.active_bridge) {
    m.active_bridge = *u.active_bridge;
    any = true;
  }
  if (u.no_auto_assign_ips && *u.no_auto_assign_ips != m.no_auto_assign_ips) {
    m.no_auto_assign_ips = *u.no_auto_assign_ips;
    any = true;
  }
  if (u.name && *u.name != m.name) {
    m.name = *u.name;
    any = true;
  }
  if (!any && !fresh) return {};
  ++m.revision;
  ++n->revision;
  changed(nwid, member);
  if (any) push(now, *n, m);
  return {};
}

controller_member& controller::member_of(std::int64_t now, controller_network& n, zt_address a) {
  auto [it, fresh] = n.members.try_emplace(a);
  if (fresh) {
    it->second.address = a;
    it->second.creation_time = now;
    // EmbeddedNetworkController::_request: new members start unauthorized (public networks
    // admit everyone regardless).
    it->second.authorized = n.settings.auto_authorize;
  }
  return it->second;
}

bool controller::allowed(const controller_network& n, const controller_member& m) const {
  return !n.settings.is_private || m.authorized;
}

status controller::authorize(std::int64_t now, std::uint64_t nwid, zt_address member, bool authorized) {
  controller_network* n = network(nwid);
  if (!n) return error{errc::not_found, "no such network"};
  const bool fresh = !n->members.count(member);
  controller_member& m = member_of(now, *n, member);
  if (m.authorized == authorized) {
    if (fresh) {
      ++m.revision;
      changed(nwid, member);
    }
    return {};
  }
  m.authorized = authorized;
  (authorized ? m.last_authorized_time : m.last_deauthorized_time) = now;
  ++m.revision;
  ++n->revision;
  changed(nwid, member);
  push(now, *n, m);
  return {};
}

status controller::set_ip_assignments(std::int64_t now, std::uint64_t nwid, zt_address member,
                                      std::vector<wire::inet_address> ips) {
  controller_network* n = network(nwid);
  if (!n) return error{errc::not_found, "no such network"};
  if (ips.size() > wire::network_config::max_static_ips)
    return error{errc::invalid_argument, "too many IP assignments"};
  controller_member& m = member_of(now, *n, member);
  m.ip_assignments = std::move(ips);
  ++m.revision;
  ++n->revision;
  changed(nwid, member);
  push(now, *n, m);
  return {};
}

// The `v4_pool` shortcut: the first pool address no other member holds, with the pool's prefix.
bool controller::assign_legacy_v4(controller_network& n, controller_member& m) {
  if (!n.settings.v4_pool) return false;
  for (const auto& ip : m.ip_assignments)
    if (ip.fam == wire::inet_address::family::ipv4) return false;
  const ipv4_pool& pool = *n.settings.v4_pool;
  const std::uint32_t first = v4_value(pool.first), last = v4_value(pool.last);
  for (std::uint64_t v = first; v <= last; ++v) {
    const std::array<std::uint8_t, 4> b{static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                                        static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    const auto candidate = wire::inet_address::v4(b, pool.prefix_bits);
    if (!allocated(n, candidate)) {
      m.ip_assignments.push_back(candidate);
      return true;
    }
  }
  return false;
}

// EmbeddedNetworkController::_request, from "noAutoAssignIps" to the v4 pool walk.
std::vector<wire::inet_address> controller::static_ips(controller_network& n, controller_member& m,
                                                       std::uint64_t& flags, bool& changed_ips) {
  using fam = wire::inet_address::family;
  const auto& s = n.settings;
  constexpr std::size_t max = wire::network_config::max_static_ips;
  std::vector<wire::inet_address> out;
  if (!m.no_auto_assign_ips) {
    if (s.v6_rfc4193) {
      out.push_back(rfc4193_address(n.id, m.address));
      flags |= wire::network_config::flag_ipv6_ndp_emulation;
    }
    if (s.v6_6plane) {
      out.push_back(sixplane_address(n.id, m.address));
      flags |= wire::network_config::flag_ipv6_ndp_emulation;
    }
  }
  changed_ips = assign_legacy_v4(n, m);
  bool have4 = false, have6 = false;
  for (const auto& ip : m.ip_assignments) {
    auto x = ip;
    if (x.port == 0) {  // a bare IP: the prefix of the longest route covering it, or left out
      const int bits = routed_bits(s.routes, x, false);
      if (bits < 0) continue;
      x.port = static_cast<std::uint16_t>(bits);
    }
    if (out.size() < max) out.push_back(x);
    (x.fam == fam::ipv4 ? have4 : have6) = true;
  }
  if (m.no_auto_assign_ips) return out;
  if (s.v6_assign_zt && !have6) {
    for (const auto& pool : s.ip_pools) {
      if (have6) break;
      if (pool.first.fam != fam::ipv6 || pool.last.fam != fam::ipv6) continue;
      const std::uint64_t s0 = be64_of(pool.first.ip.data()), s1 = be64_of(pool.first.ip.data() + 8);
      const std::uint64_t e0 = be64_of(pool.last.ip.data()), e1 = be64_of(pool.last.ip.data() + 8);
      for (unsigned trial = 0; trial < 1000; ++trial) {
        std::uint64_t x0, x1;
        if (trial == 0 && e1 > s1 && (e1 - s1) >= 0xffffffffffULL) {
          // Room for the member's address in the low 64 bits: use it.
          x0 = s0;
          x1 = s1 + m.address.value();
        } else {
          const std::uint64_t r0 = next_update_id(), r1 = next_update_id();
          x0 = s0 + (e0 > s0 ? r0 % (e0 - s0) : 0);
          x1 = s1 + (e1 > s1 ? r1 % (e1 - s1) : 0);
        }
        std::array<std::uint8_t, 16> b{};
        put_be64(b.data(), x0);
        put_be64(b.data() + 8, x1);
        auto ip = wire::inet_address::v6(b, 0);
        const int bits = routed_bits(s.routes, ip, true);
        if (bits > 0 && !allocated(n, ip)) {
          m.ip_assignments.push_back(ip);
          changed_ips = true;
          ip.port = static_cast<std::uint16_t>(bits);
          if (out.size() < max) out.push_back(ip);
          have6 = true;
          break;
        }
      }
    }
  }
  if (s.v4_assign_zt && !have4) {
    for (const auto& pool : s.ip_pools) {
      if (have4) break;
      if (pool.first.fam != fam::ipv4 || pool.last.fam != fam::ipv4) continue;
      std::array<std::uint8_t, 4> f{}, l{};
      std::copy_n(pool.first.ip.begin(), 4, f.begin());
      std::copy_n(pool.last.ip.begin(), 4, l.begin());
      const std::uint32_t start = v4_value(f), end = v4_value(l);
      if (end < start || start == 0) continue;
      const std::uint32_t len = end - start;
      // Start with the low 32 bits of the member's address.
      std::uint32_t counter = static_cast<std::uint32_t>(m.address.value() & 0xffffffff);
      for (std::uint64_t k = start, trial = 0; k <= end && trial < 1000; ++k, ++trial) {
        const std::uint32_t v = len > 0 ? start + (counter % len) : start;
        ++counter;
        if ((v & 0xff) == 0xff) continue;  // no addresses ending in .255
        const std::array<std::uint8_t, 4> b{static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                                            static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
        auto ip = wire::inet_address::v4(b, 0);
        const int bits = routed_bits(s.routes, ip, false);
        if (bits > 0 && !allocated(n, ip)) {
          m.ip_assignments.push_back(ip);
          changed_ips = true;
          ip.port = static_cast<std::uint16_t>(bits);
          if (out.size() < max) out.push_back(ip);
          have4 = true;
          break;
        }
      }
    }
  }
  return out;
}

wire::network_config controller::build(std::int64_t now, controller_network& n, controller_member& m,
                                       const crypto::identity& member_id) {
  bool ips_changed = false;
  auto c = build(now, n, m, member_id, ips_changed);
  if (ips_changed) {
    ++m.revision;
    changed(n.id, m.address);
  }
  return c;
}

wire::network_config controller::build(std::int64_t now, controller_network& n, controller_member& m,
                                       const crypto::identity& member_id, bool& ips_changed) {
  const auto& s = n.settings;
  wire::network_config c;
  c.network_id = n.id;
  c.timestamp = now;
  c.credential_time_max_delta = std::clamp(s.credential_time_max_delta, min_ctmd, max_ctmd);
  c.revision = n.revision;
  c.issued_to = m.address;
  c.flags = s.enable_broadcast ? wire::network_config::flag_enable_broadcast : 0;
  c.multicast_limit = s.multicast_limit;
  c.type = s.is_private ? wire::network_config::type_private : wire::network_config::type_public;
  c.name = s.name.substr(0, wire::network_config::max_name);
  c.mtu = std::clamp(s.mtu, wire::network_config::min_mtu, wire::network_config::max_mtu);
  auto com = wire::certificate_of_membership::issue(
      now, static_cast<std::uint64_t>(c.credential_time_max_delta), n.id, member_id);
  if (com.sign(self_).ok()) c.com = std::move(com);
  c.routes = s.routes;
  c.static_ips = static_ips(n, m, c.flags, ips_changed);
  for (const auto& [a, other] : n.members)
    if (other.active_bridge && (!s.is_private || other.authorized))
      c.specialists.push_back(a.value() | wire::network_config::specialist_active_bridge);
  c.rules = s.rules;
  if (c.rules.empty()) c.rules.push_back(wire::rule::action(wire::rule_type::action_accept));
  return c;
}

std::optional<wire::network_config> controller::config_for(std::int64_t now, std::uint64_t nwid,
                                                           const crypto::identity& member) {
  controller_network* n = network(nwid);
  if (!n) return std::nullopt;
  auto it = n->members.find(member.address());
  if (it == n->members.end() || !allowed(*n, it->second)) return std::nullopt;
  return build(now, *n, it->second, member);
}

void controller::send_error(std::int64_t now, zt_address to, std::uint64_t packet_id,
                            wire::error_code code, std::uint64_t nwid) {
  wire::error_payload e;
  e.in_re_verb = static_cast<std::uint8_t>(wire::verb::network_config_request);
  e.in_re_packet_id = packet_id;
  e.code = static_cast<std::uint8_t>(code);
  e.network_id = nwid;
  const auto bytes = wire::emit_payload(e);
  io_.send_verb(now, to, wire::verb::error, bytes, false);
}

void controller::send_config(std::int64_t now, controller_network& n, controller_member& m,
                             const crypto::identity& member_id, std::optional<std::uint64_t> in_re) {
  const auto config = build(now, n, m, member_id);
  auto dict = config.to_bytes();
  if (!dict.ok()) return;
  auto chunks = wire::config_chunk::split(*dict, n.id, next_update_id(), self_);
  if (!chunks.ok()) return;
  for (const auto& chunk : *chunks) {
    std::vector<std::uint8_t> payload;
    if (in_re) {
      payload.resize(9);
      payload[0] = static_cast<std::uint8_t>(wire::verb::network_config_request);
      wire::store_be64(payload.data() + 1, *in_re);
    }
    const auto body = chunk.to_bytes();
    payload.insert(payload.end(), body.begin(), body.end());
    if (io_.send_verb(now, m.address, in_re ? wire::verb::ok : wire::verb::network_config, payload, true))
      ++counters_.chunks_sent;
  }
  ++counters_.configs_sent;
}

void controller::push(std::int64_t now, controller_network& n, controller_member& m) {
  // Only to members that asked before (1.14: "recently seen" members), and only if they may
  // have it: a deauthorized member learns at its next refresh (ACCESS_DENIED).
  if (!m.identity || !allowed(n, m)) return;
  ++counters_.pushes;
  send_config(now, n, m, *m.identity, std::nullopt);
}

// EmbeddedNetworkController::request / _request.
void controller::on_config_request(std::int64_t now, const crypto::identity& from,
                                   std::uint64_t packet_id, std::span<const std::uint8_t> payload) {
  ++counters_.requests;
  auto req = wire::config_request::parse(payload);
  if (!req.ok()) {
    ++counters_.malformed;
    return;
  }
  const std::uint64_t nwid = req->network_id;
  controller_network* n = ((nwid >> 24) == address().value()) ? network(nwid) : nullptr;
  if (!n) {
    ++counters_.not_found;
    send_error(now, from.address(), packet_id, wire::error_code::obj_not_found, nwid);
    return;
  }
  const bool fresh = !n->members.count(from.address());
  controller_member& m = member_of(now, *n, from.address());
  if (m.requested && now - m.last_request < min_request_period) {
    ++counters_.rate_limited;
    return;
  }
  m.requested = true;
  m.last_request = now;
  const bool new_identity = !m.identity || !(*m.identity == from);
  m.identity = crypto::identity::from_string(from.to_string(false)).value();
  // 1.14 saves a member on its first request and when its identity is first learned.
  if (fresh || new_identity) {
    ++m.revision;
    changed(nwid, m.address);
  }
  if (!allowed(*n, m)) {
    ++counters_.access_denied;
    send_error(now, from.address(), packet_id, wire::error_code::network_access_denied, nwid);
    return;
  }
  send_config(now, *n, m, *m.identity,
              answer_with_push_ ? std::nullopt : std::optional<std::uint64_t>(packet_id));
}

}  // namespace ztkit::ctrl
