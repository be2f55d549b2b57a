// ERROR, WHOIS, RENDEZVOUS, ECHO, USER_MESSAGE and PUSH_DIRECT_PATHS receive
// (IncomingPacket::_doERROR, _doWHOIS, _doRENDEZVOUS, _doECHO, _doUSER_MESSAGE,
// _doPUSH_DIRECT_PATHS; zerotier-protocol.md §3), and self-awareness (§4.7).
#include <algorithm>
#include <map>

#include "ctrl/node/node_core.h"

namespace ztkit::ctrl {

using wire::inet_address;

void node_core::rx_error(std::int64_t now, peer& p, wire::packet_view pkt) {
  auto e = wire::parse_payload<wire::error_payload>(pkt.payload());
  if (!e.ok()) {
    ++counters_.rx_malformed;
    return;
  }
  // IDENTITY_COLLISION from an upstream: our address belongs to someone else there. Fatal.
  if (e->value.error() == wire::error_code::identity_collision && topo_.is_upstream(p.address()))
    sink_.on_fatal_identity_collision(p.address());
  sink_.on_error_received(p.address(), e->value);
}

void node_core::rx_whois(std::int64_t now, peer& p, socket_id local, const inet_address& from,
                         wire::packet_view pkt) {
  auto w = wire::parse_payload<wire::whois_payload>(pkt.payload());
  if (!w.ok()) {
    ++counters_.rx_malformed;
    return;
  }
  // Non-roots answer at most one WHOIS per 100 ms per peer; roots are unlimited.
  if (!am_root() && !p.rate_gate_whois(now)) {
    ++counters_.rx_rate_limited;
    return;
  }
  std::vector<crypto::identity> found;
  for (zt_address a : w->value.addresses) {
    if (a == address()) {
      found.push_back(identity());
    } else if (const peer* q = topo_.get(a)) {
      found.push_back(q->identity());
    } else if (!am_root()) {
      request_whois(now, a, false);  // ask our own upstream; no answer this time
    }
    if (found.size() >= 64) break;
  }
  if (found.empty()) return;
  std::vector<crypto::identity> pub;
  for (const auto& id : found) {
    auto text = id.to_string(false);
    pub.push_back(crypto::identity::from_string(text).value());
  }
  wire::ok_whois body;
  body.identities = pub;
  wire::ok_payload reply;
  reply.in_re_verb = static_cast<std::uint8_t>(wire::verb::whois);
  reply.in_re_packet_id = pkt.packet_id();
  reply.body = body;
  auto bytes = wire::emit_payload(reply);
  send_packet_via(now, p, wire::verb::ok, bytes, p.cipher(), local, from, false, false);
}

void node_core::rx_rendezvous(std::int64_t now, peer& p, socket_id local, wire::packet_view pkt) {
  if (!topo_.is_upstream(p.address())) {
    ++counters_.rx_not_upstream;
    return;
  }
  auto r = wire::parse_payload<wire::rendezvous_payload>(pkt.payload());
  if (!r.ok()) {
    ++counters_.rx_malformed;
    return;
  }
  peer* with = topo_.get(r->value.with);
  const inet_address& at = r->value.address;
  if (!with || at.port == 0 || !address_valid_for_path(at, config_.paths)) return;
  // Open our NAT / stateful firewall toward the peer with a short-lived junk datagram, then
  // contact it there (its OK then gives us the path).
  std::uint8_t junk[4];
  wire::store_be_n(junk, next_packet_id(), 4);
  send_datagram(local, at, junk, 2);
  ++counters_.hole_punches;
  attempt_to_contact(now, *with, local, at, false);
}

void node_core::rx_echo(std::int64_t now, peer& p, socket_id local, const inet_address& from,
                        wire::packet_view pkt) {
  if (now - p.last_echo_answered < timing::echo_rate_limit) {
    ++counters_.rx_rate_limited;
    return;
  }
  p.last_echo_answered = now;
  wire::ok_payload reply;
  reply.in_re_verb = static_cast<std::uint8_t>(wire::verb::echo);
  reply.in_re_packet_id = pkt.packet_id();
  reply.body = wire::ok_echo{wire::bytes_ref(std::span<const std::uint8_t>(pkt.payload()))};
  auto bytes = wire::emit_payload(reply);
  send_packet_via(now, p, wire::verb::ok, bytes, p.cipher(), local, from, false, false);
}

void node_core::rx_user_message(std::int64_t now, peer& p, wire::packet_view pkt) {
  auto m = wire::parse_payload<wire::user_message_payload>(pkt.payload());
  if (!m.ok()) {
    ++counters_.rx_malformed;
    return;
  }
  sink_.on_user_message(p.address(), m->value.type_id, m->value.data.bytes);
}

void node_core::rx_push_direct_paths(std::int64_t now, peer& p, socket_id local,
                                     wire::packet_view pkt) {
  if (!p.rate_gate_push_direct_paths(now)) {
    ++counters_.rx_rate_limited;
    return;
  }
  auto d = wire::parse_payload<wire::push_direct_paths_payload>(pkt.payload());
  if (!d.ok()) {
    ++counters_.rx_malformed;
    return;
  }
  std::map<std::pair<int, int>, unsigned> per_scope;
  for (const auto& rec : d->value.paths) {
    if (rec.flags & wire::push_direct_paths_payload::flag_forget) continue;
    auto a = rec.endpoint();
    if (!a || !address_valid_for_path(*a, config_.paths)) continue;
    bool active = std::any_of(p.paths().begin(), p.paths().end(),
                              [&](const path& x) { return x.remote == *a && x.alive(now); });
    if (active) continue;
    auto& n = per_scope[{static_cast<int>(scope_of(*a)), static_cast<int>(a->fam)}];
    if (++n > timing::push_direct_paths_max_per_scope_and_family) continue;
    attempt_to_contact(now, p, local, *a, false);
  }
}

void node_core::learn_external(std::int64_t now, peer& reporter, const inet_address& reporter_at,
                               const inet_address& addr) {
  // SelfAwareness::iam: only from a reporter in the same IP scope as what it reports.
  if (scope_of(addr) != scope_of(reporter_at)) return;
  const bool trusted = topo_.is_upstream(reporter.address());
  if (trusted) {
    std::erase_if(external_, [&](const external_address& e) {
      return e.reporter == reporter.address() || now - e.at >= 600000;
    });
    if (external_.size() >= 16) external_.erase(external_.begin());
    external_.push_back({reporter.address(), addr, now});
  }
  sink_.on_external_address(reporter.address(), addr, trusted);
}

}  // namespace ztkit::ctrl
