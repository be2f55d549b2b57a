// Construction, the public entry points and reply matching.
#include "ctrl/node/node_core.h"

#include <algorithm>

namespace ztkit::ctrl {

using wire::inet_address;


node_core::node_core(crypto::identity self, node_sink& sink, node_config config,
                     wire::world planet)
    : config_(std::move(config)),
      sink_(sink),
      topo_(std::move(self), std::move(planet), config_.topo),
      reasm_(wire::reassembly_config{}),
      ids_(config_.random_seed, topo_.self().address().value()),
      rx_datagram_(wire::packet_max_length),
      rx_whole_(wire::packet_max_length) {
  config_.mtu = std::clamp<std::size_t>(config_.mtu, wire::fragment_min_physical_mtu + 100,
                                        wire::default_phys_mtu);
  for (const auto& m : config_.moons) (void)topo_.add_moon(m);
  config_.moons.clear();
}

bool node_core::orbit(std::int64_t now, std::uint64_t world_id, zt_address seed) {
  if (topo_.moon(world_id) != nullptr) return true;
  if (!topo_.add_moon_seed(world_id, seed)) return false;
  contact_moon_seeds(now, true);
  return true;
}

bool node_core::orbit(std::int64_t, const wire::world& moon) {
  if (!topo_.add_moon(moon)) return topo_.moon(moon.id) != nullptr && *topo_.moon(moon.id) == moon;
  directory_stale_ = true;
  sink_.on_world_updated(*topo_.moon(moon.id));
  return true;
}

bool node_core::deorbit(std::uint64_t world_id) {
  directory_stale_ = true;
  return topo_.remove_moon(world_id);
}

std::size_t node_core::add_cached_peers(std::int64_t now, std::span<const cached_peer> peers) {
  directory_stale_ = true;
  std::size_t added = 0;
  for (const cached_peer& c : peers) {
    if (topo_.get(c.identity.address()) != nullptr) continue;  // known (or an upstream)
    auto r = topo_.add(c.identity, now);
    if (r.status != topology::add_status::added || r.p == nullptr) continue;
    peer& p = *r.p;
    p.protocol_version = c.protocol_version;
    p.major = c.major;
    p.minor = c.minor;
    p.revision = c.revision;
    ++added;
    for (const inet_address& at : c.paths)
      if (address_valid_for_path(at, config_.paths)) send_hello(now, p, 0, at);
  }
  return added;
}

void node_core::expect_reply_to(std::uint64_t packet_id) {
  const auto pid = static_cast<std::uint32_t>(packet_id >> 32);
  const std::size_t bucket = pid & 0xff;
  expect_[bucket][expect_next_[bucket]++ & 31] = pid;
}

bool node_core::expecting_reply_to(std::uint64_t packet_id) const {
  const auto pid = static_cast<std::uint32_t>(packet_id >> 32);
  const auto& b = expect_[pid & 0xff];
  return std::find(b.begin(), b.end(), pid) != b.end() && pid != 0;
}

std::vector<inet_address> node_core::external_addresses(std::int64_t now) const {
  std::vector<inet_address> out;
  for (auto it = external_.rbegin(); it != external_.rend(); ++it) {
    if (now - it->at >= 600000) continue;  // SelfAwareness entries live 600 s
    if (std::find(out.begin(), out.end(), it->address) == out.end()) out.push_back(it->address);
  }
  return out;
}

// Verbs whose OK we must accept (Node::expectReplyTo is called for these in 1.14: HELLO, WHOIS,
// ECHO, NETWORK_CONFIG_REQUEST, MULTICAST_GATHER, and MULTICAST_FRAME / EXT_FRAME that ask for
// gather results or an ACK). Anything else that answers with OK is dropped as unexpected (§2.7).
bool node_core::expects_reply(wire::verb v) {
  switch (v) {
    case wire::verb::hello:
    case wire::verb::whois:
    case wire::verb::echo:
    case wire::verb::network_config_request:
    case wire::verb::multicast_gather:
    case wire::verb::multicast_frame:
    case wire::verb::ext_frame:
      return true;
    default:
      return false;
  }
}

bool node_core::send_verb(std::int64_t now, zt_address to, wire::verb v,
                          std::span<const std::uint8_t> payload, bool compress) {
  if (to == address() || to.reserved()) return false;
  if (peer* p = topo_.get(to)) return send_to_peer(now, *p, v, payload, expects_reply(v), compress);
  if (payload.size() + wire::packet_min_length > wire::packet_max_length) return false;
  // Switch::send: unknown destination -> queue (oldest evicted) and WHOIS.
  if (tx_queue_.size() >= config_.whois_queue_size) {
    tx_queue_.pop_front();
    ++counters_.tx_queue_dropped;
  }
  tx_queue_.push_back({now, to, v, compress, {payload.begin(), payload.end()}});
  ++counters_.tx_queued_unknown;
  request_whois(now, to, false);
  return true;
}

bool node_core::send_user_message(std::int64_t now, zt_address to, std::uint64_t type,
                                  std::span<const std::uint8_t> data) {
  wire::user_message_payload m;
  m.type_id = type;
  m.data = data;
  auto bytes = wire::emit_payload(m);
  return send_verb(now, to, wire::verb::user_message, bytes);
}

bool node_core::send_echo(std::int64_t now, zt_address to) {
  std::uint8_t ts[8];
  wire::store_be64(ts, static_cast<std::uint64_t>(now));
  if (to == address() || to.reserved()) return false;
  if (peer* p = topo_.get(to)) return send_to_peer(now, *p, wire::verb::echo, ts, true, false);
  return send_verb(now, to, wire::verb::echo, ts);
}

bool node_core::send_push_direct_paths(std::int64_t now, zt_address to) {
  peer* p = topo_.get(to);
  if (!p) return false;
  push_direct_paths_to(now, *p);
  return true;
}

void node_core::note_trust_established(std::int64_t now, zt_address a) {
  if (peer* p = topo_.get(a)) {
    p->last_trust_established = now;
    p->last_nontrivial_receive = now;
  }
}

std::uint64_t node_core::trusted_path_id(const inet_address& from) const {
  for (const auto& [addr, id] : config_.trusted_paths)
    if (ips_equal(addr, from)) return id;
  return 0;
}

}  // namespace ztkit::ctrl
