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

result<std::uint64_t> controller::create_network(std::uint32_t suffix,
                                                 controller_network_settings settings) {
  if (suffix > 0xffffff) return error{errc::invalid_argument, "network suffix is more than 24 bits"};
  const std::uint64_t nwid = (address().value() << 24) | suffix;
  if (networks_.count(nwid)) return error{errc::invalid_argument, "network already exists"};
  controller_network n;
  n.id = nwid;
  n.settings = std::move(settings);
  networks_.emplace(nwid, std::move(n));
  return nwid;
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
  for (auto& [a, m] : n->members) push(now, *n, m);
  return {};
}

status controller::delete_network(std::uint64_t nwid) {
  if (!networks_.erase(nwid)) return error{errc::not_found, "no such network"};
  return {};
}

controller_member& controller::member_of(controller_network& n, zt_address a) {
  auto [it, fresh] = n.members.try_emplace(a);
  if (fresh) {
    it->second.address = a;
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
  controller_member& m = member_of(*n, member);
  if (m.authorized == authorized) return {};
  m.authorized = authorized;
  ++m.revision;
  ++n->revision;
  push(now, *n, m);
  return {};
}

status controller::set_ip_assignments(std::int64_t now, std::uint64_t nwid, zt_address member,
                                      std::vector<wire::inet_address> ips) {
  controller_network* n = network(nwid);
  if (!n) return error{errc::not_found, "no such network"};
  if (ips.size() > wire::network_config::max_static_ips)
    return error{errc::invalid_argument, "too many IP assignments"};
  controller_member& m = member_of(*n, member);
  m.ip_assignments = std::move(ips);
  ++m.revision;
  ++n->revision;
  push(now, *n, m);
  return {};
}

// v4AssignMode zt: the first pool address no other member holds.
void controller::assign_ips(controller_network& n, controller_member& m) {
  if (!n.settings.v4_pool) return;
  for (const auto& ip : m.ip_assignments)
    if (ip.fam == wire::inet_address::family::ipv4) return;
  const ipv4_pool& pool = *n.settings.v4_pool;
  const std::uint32_t first = v4_value(pool.first), last = v4_value(pool.last);
  for (std::uint64_t v = first; v <= last; ++v) {
    const std::array<std::uint8_t, 4> b{static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                                        static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    const auto candidate = wire::inet_address::v4(b, pool.prefix_bits);
    bool taken = false;
    for (const auto& [a, other] : n.members)
      for (const auto& ip : other.ip_assignments)
        if (ip.fam == candidate.fam && ip.ip == candidate.ip) taken = true;
    if (!taken) {
      m.ip_assignments.push_back(candidate);
      return;
    }
  }
}

wire::network_config controller::build(std::int64_t now, controller_network& n, controller_member& m,
                                       const crypto::identity& member_id) {
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
  assign_ips(n, m);
  c.static_ips = m.ip_assignments;
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
  controller_member& m = member_of(*n, from.address());
  if (m.requested && now - m.last_request < min_request_period) {
    ++counters_.rate_limited;
    return;
  }
  m.requested = true;
  m.last_request = now;
  m.identity = crypto::identity::from_string(from.to_string(false)).value();
  if (!allowed(*n, m)) {
    ++counters_.access_denied;
    send_error(now, from.address(), packet_id, wire::error_code::network_access_denied, nwid);
    return;
  }
  send_config(now, *n, m, *m.identity,
              answer_with_push_ ? std::nullopt : std::optional<std::uint64_t>(packet_id));
}

}  // namespace ztkit::ctrl
