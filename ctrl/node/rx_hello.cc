// HELLO receive (IncomingPacket::_doHELLO; zerotier-protocol.md §3 HELLO, §2.5, §4.6, §8.18):
// identity checks, collision answer, rate-gated verification of new identities, OK(HELLO)
// with the sender's external address and any newer planet or moon, then the version is recorded.
#include "ctrl/node/node_core.h"

namespace ztkit::ctrl {

using wire::inet_address;

bool node_core::rate_gate_identity_verification(std::int64_t now, const inet_address& from) {
  // Node::rateGateIdentityVerification: per hashed source prefix (IPv4 /24, IPv6 /64 here).
  std::uint64_t key = static_cast<std::uint64_t>(from.fam) << 56;
  const std::size_t n = from.fam == inet_address::family::ipv4 ? 3 : 8;
  for (std::size_t i = 0; i < n; ++i) key = key * 1099511628211ULL ^ from.ip[i];
  // Not in 1.14: with loopback paths allowed (our demo/test option, never on by default) every
  // node on the machine shares 127.0.0.1, so the gate would stall the second node to start
  // within 2 s by a whole HELLO retry (5 s). Loopback sources are gated per port instead.
  if (config_.paths.allow_loopback && scope_of(from) == ip_scope::loopback)
    key = key * 1099511628211ULL ^ from.port;
  if (identity_gate_.size() > 4096) identity_gate_.clear();  // bounded memory
  auto [it, fresh] = identity_gate_.try_emplace(key, now);
  if (fresh) return true;
  if (now - it->second >= timing::identity_verification_rate_limit) {
    it->second = now;
    return true;
  }
  return false;
}

void node_core::rx_hello(std::int64_t now, socket_id local, const inet_address& from,
                         std::span<std::uint8_t> packet) {
  auto v = wire::packet_view::checked(packet).value();
  const auto payload = v.payload();
  constexpr std::size_t core_len = 1 + 1 + 1 + 2 + 8;
  if (payload.size() < core_len) {
    ++counters_.rx_malformed;
    return;
  }
  if (payload[0] < wire::protocol_version_min) {
    ++counters_.rx_old_protocol;
    return;
  }
  wire::reader r(std::span<const std::uint8_t>(payload).subspan(core_len));
  auto id = wire::read_identity(r);
  if (!id.ok()) {
    ++counters_.rx_malformed;
    return;
  }
  if (id->address() != v.source()) {
    ++counters_.rx_bad_identity;
    return;
  }

  peer* p = topo_.get(id->address());
  if (p && !(p->identity() == *id)) {
    // Same address, another key: if the HELLO is authentic under the new key, tell the sender
    // (ERROR IDENTITY_COLLISION) and drop it; we keep the identity we knew first.
    if (!rate_gate_identity_verification(now, from)) {
      ++counters_.rx_rate_limited;
      return;
    }
    auto claimant = peer::make(identity(), *id, 1);
    if (!claimant.ok()) {
      ++counters_.rx_bad_identity;
      return;
    }
    std::vector<std::uint8_t> copy(packet.begin(), packet.end());
    if (wire::dearmor(copy, claimant.value()->keys(), 0) != wire::armor_result::ok) {
      ++counters_.rx_bad_mac;
      return;
    }
    topo_.count_collision();
    sink_.on_identity_collision(id->address());
    send_error(now, *claimant.value(), local, from, wire::verb::hello, v.packet_id(),
               wire::error_code::identity_collision);
    ++counters_.identity_collisions_sent;
    return;
  }

  if (!p) {
    if (!rate_gate_identity_verification(now, from)) {
      ++counters_.rx_rate_limited;
      return;
    }
    auto fresh = peer::make(identity(), *id, config_.topo.max_paths_per_peer);
    if (!fresh.ok()) {
      ++counters_.rx_bad_identity;
      return;
    }
    if (wire::dearmor(packet, fresh.value()->keys(), 0) != wire::armor_result::ok) {
      ++counters_.rx_bad_mac;
      return;
    }
    if (!id->locally_validate()) {  // the memory-hard check, after the MAC (cheap first)
      ++counters_.rx_bad_identity;
      return;
    }
    auto added = topo_.insert(std::move(fresh).value(), now);
    directory_stale_ = true;
    if (!added.p) {
      ++counters_.rx_bad_identity;
      return;
    }
    p = added.p;
  } else if (wire::dearmor(packet, p->keys(), 0) != wire::armor_result::ok) {
    ++counters_.rx_bad_mac;
    return;
  }

  // Unmask the moon list (cryptField over everything after the planet fields), then parse.
  if (auto off = wire::hello_payload::masked_offset(payload); off.ok()) {
    const std::size_t start = wire::packet_idx_payload + *off;
    (void)wire::crypt_field(packet, p->keys(), start, packet.size() - start);
  }
  auto h = wire::parse_payload<wire::hello_payload>(payload);
  if (!h.ok()) {
    ++counters_.rx_malformed;
    return;
  }
  const wire::hello_payload& hello = h->value;
  const unsigned hops = v.hops();
  if (hello.destination && !hello.destination->is_nil() && hops == 0)
    learn_external(now, *p, from, *hello.destination);

  // OK(HELLO), sent straight back on the path the HELLO came in on.
  wire::ok_hello ok;
  ok.timestamp = hello.timestamp;
  ok.protocol_version = wire::protocol_version;
  ok.major = wire::software_major;
  ok.minor = wire::software_minor;
  ok.revision = wire::software_revision;
  ok.external_address = from;
  if (hello.protocol_version < 5) ok.external_address->port = 0;
  std::vector<std::uint8_t> worlds;
  if (hello.planet && hello.planet->id == topo_.planet().id &&
      hello.planet->timestamp < topo_.planet().timestamp)
    worlds = topo_.planet().serialize();
  // Moons the peer orbits (or wants: timestamp 0) of which we hold a newer version.
  if (hello.moons) {
    for (const auto& m : topo_.moons()) {
      for (const auto& ref : *hello.moons) {
        if (ref.type != static_cast<std::uint8_t>(wire::world::type::moon) || ref.id != m.id)
          continue;
        if (m.timestamp > ref.timestamp) {
          // Kept within one packet (1.14's Buffer would throw and send nothing).
          auto bytes = m.serialize();
          if (worlds.size() + bytes.size() + 1024 <= wire::packet_max_length)
            worlds.insert(worlds.end(), bytes.begin(), bytes.end());
        }
        break;
      }
    }
  }
  ok.world_updates = wire::bytes_ref(worlds);
  wire::ok_payload reply;
  reply.in_re_verb = static_cast<std::uint8_t>(wire::verb::hello);
  reply.in_re_packet_id = v.packet_id();
  reply.body = ok;
  auto bytes = wire::emit_payload(reply);
  // The version is recorded only after the reply: the first OK(HELLO) to a new peer is cipher 1.
  send_packet_via(now, *p, wire::verb::ok, bytes, p->cipher(), local, from, false, false);
  p->protocol_version = hello.protocol_version;
  p->major = hello.major;
  p->minor = hello.minor;
  p->revision = hello.revision;
  p->last_hello_received = now;
  peer_received(now, *p, local, from, hops, wire::verb::hello);
}

}  // namespace ztkit::ctrl
