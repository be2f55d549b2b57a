// Send side: compose -> compress -> armor -> fragment (zerotier-protocol.md §2.6, §4.2), the
// route choice (Switch::_trySend), HELLO/ECHO/ERROR/PUSH_DIRECT_PATHS builders and WHOIS with
// its waiting queues (Switch::requestWhois, doAnythingWaitingForPeer).
#include <algorithm>

#include "ctrl/node/node_core.h"
#include "ctrl/node/packet_io.h"
#include "engine/wire/compress.h"
#include "engine/wire/fragment.h"

namespace ztkit::ctrl {

using wire::inet_address;


std::vector<std::uint8_t> make_hello(const crypto::identity& self, const wire::peer_keys& keys,
                                     const hello_fields& f) {
  wire::hello_payload h;
  h.protocol_version = wire::protocol_version;
  h.major = wire::software_major;
  h.minor = wire::software_minor;
  h.revision = wire::software_revision;
  h.timestamp = static_cast<std::uint64_t>(f.timestamp);
  h.identity = self;
  h.destination = f.sent_to;
  h.planet = wire::hello_payload::planet_ref{f.planet_id, f.planet_timestamp};
  h.moons = wire::hello_payload::moon_list(f.moons);
  std::vector<std::uint8_t> out;
  write_header(out, f.packet_id, f.destination, self.address(), wire::verb::hello);
  const std::size_t masked = wire::packet_idx_payload + h.masked_offset();
  out.resize(wire::packet_min_length + h.buffer_len());
  wire::writer w(std::span<std::uint8_t>(out).subspan(wire::packet_idx_payload));
  h.emit(w);
  (void)wire::crypt_field(out, keys, masked, out.size() - masked);
  if (wire::armor(out, keys, wire::cipher_suite::poly1305_none) != wire::armor_result::ok) out.clear();
  return out;
}

std::uint64_t node_core::next_packet_id() { return ids_.next(); }

void node_core::send_datagram(socket_id local, const inet_address& to,
                              std::span<const std::uint8_t> bytes, unsigned ttl) {
  ++counters_.tx_datagrams;
  sink_.send(local, to, bytes, ttl);
}

std::uint64_t node_core::send_packet_via(std::int64_t now, peer& p, wire::verb v,
                                         std::span<const std::uint8_t> payload,
                                         wire::cipher_suite suite, socket_id local,
                                         const inet_address& to, bool expect_reply,
                                         bool compress, bool relayed) {
  auto& out = scratch_;
  write_header(out, next_packet_id(), p.address(), address(), v);
  out.insert(out.end(), payload.begin(), payload.end());
  if (out.size() > wire::packet_max_length) return 0;
  if (compress) p.lz4.apply(out);
  if (out.size() > wire::max_sendable_length(config_.mtu)) return 0;
  if (wire::needs_fragmenting(out.size(), config_.mtu)) out[wire::packet_idx_flags] |= wire::flag_fragmented;
  const std::uint64_t trusted = trusted_path_id(to);
  wire::armor_result ar = trusted != 0 ? wire::armor_trusted_path(out, trusted)
                                       : wire::armor(out, p.keys(), suite);
  if (ar != wire::armor_result::ok) return 0;
  const std::uint64_t id = wire::load_be64(out.data());
  if (expect_reply) expect_reply_to(id);
  ++counters_.tx_packets;
  counters_.note_tx(static_cast<std::uint8_t>(v), out.size(), relayed);
  const std::size_t split =
      config_.balanced_fragments ? wire::balanced_split_mtu(out.size(), config_.mtu) : config_.mtu;
  (void)wire::for_each_fragment_datagram(out, split,
                                         [&](std::span<const std::uint8_t> d, unsigned) {
                                           send_datagram(local, to, d);
                                         });
  if (path* ph = p.find_path(local, to)) ph->last_send = now;
  return id;
}

bool node_core::send_to_peer(std::int64_t now, peer& p, wire::verb v,
                             std::span<const std::uint8_t> payload, bool expect_reply,
                             bool compress) {
  if (const path* direct = p.best_path(now)) {
    const socket_id l = direct->local;
    const inet_address r = direct->remote;
    return send_packet_via(now, p, v, payload, p.cipher(), l, r, expect_reply, compress) != 0;
  }
  // No direct path: hand it to the best upstream, armored end-to-end for `p` (§4.2).
  if (!topo_.is_upstream(p.address())) {
    if (peer* up = topo_.best_upstream(now)) {
      if (const path* via = up->best_path(now)) {
        const socket_id l = via->local;
        const inet_address r = via->remote;
        return send_packet_via(now, p, v, payload, p.cipher(), l, r, expect_reply, compress,
                               /*relayed=*/true) != 0;
      }
    }
  }
  ++counters_.tx_no_route;
  return false;
}

void node_core::send_hello(std::int64_t now, peer& p, socket_id local, const inet_address& to) {
  hello_fields f;
  f.destination = p.address();
  f.packet_id = next_packet_id();
  f.timestamp = now;
  f.sent_to = to;
  f.planet_id = topo_.planet().id;
  f.planet_timestamp = topo_.planet().timestamp;
  // Peer::sendHELLO: the moons we orbit (ID, timestamp), then those wanted (timestamp 0).
  using moon_ref = wire::hello_payload::moon_ref;
  constexpr auto moon_type = static_cast<std::uint8_t>(wire::world::type::moon);
  std::vector<moon_ref> moons;
  for (const auto& m : topo_.moons()) moons.push_back(moon_ref{moon_type, m.id, m.timestamp});
  for (std::uint64_t w : topo_.moons_wanted()) moons.push_back(moon_ref{moon_type, w, 0});
  f.moons = moons;
  auto pkt = make_hello(identity(), p.keys(), f);
  if (pkt.empty()) return;
  expect_reply_to(wire::load_be64(pkt.data()));
  ++counters_.tx_packets;
  counters_.note_tx(static_cast<std::uint8_t>(wire::verb::hello), pkt.size(), false);
  p.last_hello_sent = now;
  (void)wire::for_each_fragment_datagram(pkt, config_.mtu,
                                         [&](std::span<const std::uint8_t> d, unsigned) {
                                           send_datagram(local, to, d);
                                         });
  if (path* ph = p.find_path(local, to)) ph->last_send = now;
}

void node_core::attempt_to_contact(std::int64_t now, peer& p, socket_id local,
                                   const inet_address& to, bool full_hello) {
  if (!full_hello && p.speaks_echo()) {
    send_packet_via(now, p, wire::verb::echo, {}, p.cipher(), local, to, true, false);
  } else {
    send_hello(now, p, local, to);
  }
}

void node_core::send_error(std::int64_t now, peer& p, socket_id local, const inet_address& to,
                           wire::verb in_re, std::uint64_t in_re_id, wire::error_code code) {
  wire::error_payload e;
  e.in_re_verb = static_cast<std::uint8_t>(in_re);
  e.in_re_packet_id = in_re_id;
  e.code = static_cast<std::uint8_t>(code);
  auto bytes = wire::emit_payload(e);
  send_packet_via(now, p, wire::verb::error, bytes, p.cipher(), local, to, false, false);
}

void node_core::push_direct_paths_to(std::int64_t now, peer& p) {
  std::vector<inet_address> addrs = config_.direct_paths;
  for (const auto& a : external_addresses(now))
    if (std::find(addrs.begin(), addrs.end(), a) == addrs.end()) addrs.push_back(a);
  if (addrs.empty()) return;
  p.last_direct_path_push_sent = now;
  // 1.14 fills packets up to ~1200 bytes; records are at most 24 bytes, so 48 per packet.
  for (std::size_t i = 0; i < addrs.size(); i += 48) {
    std::vector<wire::push_direct_paths_payload::path> recs;
    for (std::size_t j = i; j < std::min(addrs.size(), i + 48); ++j)
      recs.push_back(wire::push_direct_paths_payload::path::from_endpoint(addrs[j]));
    wire::push_direct_paths_payload pl;
    pl.paths = recs;
    auto bytes = wire::emit_payload(pl);
    send_to_peer(now, p, wire::verb::push_direct_paths, bytes, false, true);
  }
}

void node_core::request_whois(std::int64_t now, zt_address a, bool force) {
  auto [it, fresh] = whois_.try_emplace(a.value(), whois_state{now, 0});
  whois_state& w = it->second;
  if (!fresh && !force && now - w.last_sent < timing::whois_retry_delay) return;
  peer* up = topo_.best_upstream(now);
  if (!up) return;
  w.last_sent = now;
  std::array<zt_address, 1> one{a};
  wire::whois_payload pl;
  pl.addresses = one;
  auto bytes = wire::emit_payload(pl);
  if (send_to_peer(now, *up, wire::verb::whois, bytes, true, false)) ++counters_.whois_sent;
}

void node_core::flush_waiting(std::int64_t now, zt_address a) {
  whois_.erase(a.value());
  peer* p = topo_.get(a);
  if (!p) return;
  // Outbound first (Switch::doAnythingWaitingForPeer sends the TX queue), then inbound.
  std::deque<parked_tx> keep_tx;
  std::vector<parked_tx> go_tx;
  for (auto& t : tx_queue_) {
    if (t.dest == a) go_tx.push_back(std::move(t));
    else keep_tx.push_back(std::move(t));
  }
  tx_queue_ = std::move(keep_tx);
  for (auto& t : go_tx)
    if (peer* q = topo_.get(a)) send_to_peer(now, *q, t.v, t.payload, expects_reply(t.v), t.compress);
  std::vector<parked_rx> go_rx;
  std::deque<parked_rx> keep_rx;
  for (auto& r : rx_queue_) {
    if (r.source == a) go_rx.push_back(std::move(r));
    else keep_rx.push_back(std::move(r));
  }
  rx_queue_ = std::move(keep_rx);
  for (auto& r : go_rx) process_packet(now, r.local, r.from, r.bytes, true);
}

}  // namespace ztkit::ctrl
