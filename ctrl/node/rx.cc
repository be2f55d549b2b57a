// Receive path (Switch::onRemotePacket, IncomingPacket::tryDecode; zerotier-protocol.md §4.1):
// datagram -> fragment reassembly or relay -> cipher rules -> dearmor -> LZ4 -> verb dispatch,
// then Peer::received (liveness, path learning, direct path pushes).
#include <algorithm>
#include <functional>

#include "ctrl/node/node_core.h"
#include "ctrl/node/packet_io.h"
#include "engine/wire/compress.h"
#include "engine/wire/fragment.h"

namespace ztkit::ctrl {

using wire::inet_address;


void node_core::on_datagram(std::int64_t now, socket_id local, const inet_address& from,
                            std::span<const std::uint8_t> bytes) {
  ++counters_.rx_datagrams;
  if (bytes.size() > wire::packet_max_length) {
    ++counters_.rx_too_short;  // nothing legitimate is this long; counted with the malformed sizes
    return;
  }
  std::copy(bytes.begin(), bytes.end(), rx_datagram_.begin());
  const std::span<std::uint8_t> buf(rx_datagram_.data(), bytes.size());
  if (wire::is_fragment(bytes)) {
    auto f = wire::fragment_view::parse(bytes);
    if (!f.ok()) {
      ++counters_.rx_fragment_drops;
      return;
    }
    if (f->destination() != address()) {
      relay(now, local, from, buf, f->destination(), true);
      return;
    }
    auto out = reasm_.on_fragment(endpoint_key(local, from), *f, now);
    if (out.status == wire::reassembly_status::complete) {
      std::copy(out.packet.begin(), out.packet.end(), rx_whole_.begin());
      process_packet(now, local, from, std::span<std::uint8_t>(rx_whole_.data(), out.packet.size()), false);
    } else if (out.status != wire::reassembly_status::incomplete) {
      ++counters_.rx_fragment_drops;
    }
    return;
  }
  auto v = wire::packet_view::checked(buf);
  if (!v) {
    ++counters_.rx_too_short;  // includes 13-byte LAN beacons, which ztkit does not answer
    return;
  }
  if (v->destination() != address()) {
    relay(now, local, from, buf, v->destination(), false);
    return;
  }
  if (v->fragmented()) {
    auto out = reasm_.on_head(endpoint_key(local, from), bytes, now);
    if (out.status == wire::reassembly_status::complete) {
      std::copy(out.packet.begin(), out.packet.end(), rx_whole_.begin());
      process_packet(now, local, from, std::span<std::uint8_t>(rx_whole_.data(), out.packet.size()), false);
    } else if (out.status != wire::reassembly_status::incomplete) {
      ++counters_.rx_fragment_drops;
    }
    return;
  }
  process_packet(now, local, from, buf, false);
}

void node_core::process_packet(std::int64_t now, socket_id local, const inet_address& from,
                               std::span<std::uint8_t> packet, bool from_queue) {
  auto v = wire::packet_view::checked(packet);
  if (!v) {
    ++counters_.rx_too_short;
    return;
  }
  const zt_address source = v->source();
  if (source == address()) {
    ++counters_.rx_from_self;
    return;
  }
  const std::uint8_t suite = v->cipher();
  if (suite == static_cast<std::uint8_t>(wire::cipher_suite::poly1305_none)) {
    // Cipher 0 is for HELLO only (tryDecode); the verb byte is in the clear.
    if (v->verb_value() == static_cast<std::uint8_t>(wire::verb::hello)) {
      counters_.note_rx(v->verb_value(), packet.size(), v->hops() != 0);
      rx_hello(now, local, from, packet);
    } else {
      ++counters_.rx_bad_cipher;
    }
    return;
  }
  peer* p = topo_.get(source);
  if (!p) {
    if (from_queue || source.reserved()) {
      ++counters_.rx_queue_dropped;
      return;
    }
    // Unknown sender: park the packet and ask an upstream who it is (§4.1 step 3).
    if (rx_queue_.size() >= config_.whois_queue_size) {
      rx_queue_.pop_front();
      ++counters_.rx_queue_dropped;
    }
    rx_queue_.push_back({now, local, from, source, {packet.begin(), packet.end()}});
    ++counters_.rx_queued_unknown;
    request_whois(now, source, false);
    return;
  }
  const std::uint64_t trusted =
      suite == static_cast<std::uint8_t>(wire::cipher_suite::trusted_path) ? trusted_path_id(from) : 0;
  switch (wire::dearmor(packet, p->keys(), trusted)) {
    case wire::armor_result::ok: break;
    case wire::armor_result::bad_mac: ++counters_.rx_bad_mac; return;
    default: ++counters_.rx_bad_cipher; return;
  }
  after_dearmor(now, *p, local, from, packet);
}

void node_core::on_packet(std::int64_t now, socket_id local, const inet_address& from,
                          std::span<std::uint8_t> packet) {
  process_packet(now, local, from, packet, false);
}

void node_core::on_dearmored(std::int64_t now, socket_id local, const inet_address& from,
                             std::span<std::uint8_t> packet) {
  auto v = wire::packet_view::checked(packet);  // its datagrams are in the data path's notes
  peer* p = v ? topo_.get(v->source()) : nullptr;
  if (p == nullptr) {
    ++counters_.rx_malformed;
    return;
  }
  after_dearmor(now, *p, local, from, packet);
}

void node_core::after_dearmor(std::int64_t now, peer& p, socket_id local, const inet_address& from,
                              std::span<std::uint8_t> packet) {
  auto v = wire::packet_view::checked(packet);
  // HELLO under cipher 1/3 is legal in 1.14 but never sent by it; we only take cipher 0 HELLOs.
  if (v->verb_value() == static_cast<std::uint8_t>(wire::verb::hello)) {
    ++counters_.rx_bad_cipher;
    return;
  }
  counters_.note_rx(v->verb_value(), packet.size(), v->hops() != 0);
  std::vector<std::uint8_t> big;
  std::span<std::uint8_t> pkt = packet;
  if (v->compressed()) {
    big.assign(wire::packet_max_length, 0);
    std::copy(packet.begin(), packet.end(), big.begin());
    auto u = wire::uncompress(big, packet.size());
    if (!u.ok()) {
      ++counters_.rx_bad_compression;
      return;
    }
    pkt = std::span<std::uint8_t>(big.data(), u.size);
  }
  dispatch(now, p, local, from, wire::packet_view::checked(pkt).value());
}

void node_core::dispatch(std::int64_t now, peer& p, socket_id local, const inet_address& from,
                         wire::packet_view pkt) {
  const wire::verb v = pkt.verb();
  const unsigned hops = pkt.hops();
  const zt_address addr = p.address();
  switch (v) {
    case wire::verb::ok: {
      // OK is dropped (without counting as "received") unless it answers something we sent.
      if (pkt.payload().size() < 9 || !expecting_reply_to(wire::load_be64(pkt.payload().data() + 1))) {
        ++counters_.rx_unexpected_ok;
        return;
      }
      rx_ok(now, p, local, from, pkt);
      break;
    }
    case wire::verb::error: rx_error(now, p, pkt); break;
    case wire::verb::whois: rx_whois(now, p, local, from, pkt); break;
    case wire::verb::rendezvous: rx_rendezvous(now, p, local, pkt); break;
    case wire::verb::echo: rx_echo(now, p, local, from, pkt); break;
    case wire::verb::user_message: rx_user_message(now, p, pkt); break;
    case wire::verb::push_direct_paths: rx_push_direct_paths(now, p, local, pkt); break;
    case wire::verb::frame:
    case wire::verb::ext_frame:
    case wire::verb::network_config_request:
    case wire::verb::network_config:
    case wire::verb::multicast_frame:
      p.last_nontrivial_receive = now;
      [[fallthrough]];
    case wire::verb::multicast_like:
    case wire::verb::network_credentials:
    case wire::verb::multicast_gather:
      sink_.on_network_packet(p, wire::const_packet_view::checked(pkt.bytes()).value(), local, from);
      break;
    default:
      break;  // NOP, multipath verbs, REMOTE_TRACE, unknown: authenticated, counts as received
  }
  // A handler may have dropped the peer (collision handling never does; keep it safe).
  if (peer* still = topo_.get(addr); still == &p) peer_received(now, p, local, from, hops, v);
}

void node_core::mark_peer_heard(std::int64_t now, peer& p) {
  const bool first = p.last_receive == 0;
  p.last_receive = now;
  if (first) sink_.on_peer_online(p.address());
  if (topo_.is_upstream(p.address()) && !online_) {
    online_ = true;
    sink_.on_online(true);
  }
}

void node_core::peer_received(std::int64_t now, peer& p, socket_id local, const inet_address& from,
                              unsigned hops, wire::verb v) {
  mark_peer_heard(now, p);
  if (hops == 0) {
    bool have = false;
    if (path* ph = p.find_path(local, from)) {
      ph->last_receive = now;
      have = true;
    } else {
      have = p.has_path_for(local, from, now);
    }
    bool allowed = address_valid_for_path(from, config_.paths);
    // Topology::isProhibitedEndpoint: an upstream is reached only at its planet endpoints.
    if (allowed && topo_.is_upstream(p.address())) {
      const auto& eps = topo_.stable_endpoints(p.address());
      if (!eps.empty())
        allowed = std::any_of(eps.begin(), eps.end(), [&](const inet_address& e) { return ips_equal(e, from); });
    }
    if (!have && allowed) {
      if (v == wire::verb::ok) {
        path& fresh = p.learn_path(local, from, now);
        directory_stale_ = true;
        if (p.latency != path::latency_unknown) fresh.latency = p.latency;  // from this OK
        ++counters_.paths_learned;
        sink_.on_path_learned(p.address(), local, from);
      } else if (p.rate_gate_probe(local, from, now)) {
        // A direct packet from a new address: confirm it with a full HELLO; its OK adds the path.
        attempt_to_contact(now, p, local, from, true);
      }
    }
  }
  if (p.trust_established(now)) {
    const std::int64_t interval = hops == 0 ? timing::direct_path_push_interval_have_path
                                            : timing::direct_path_push_interval;
    if (now - p.last_direct_path_push_sent >= interval) push_direct_paths_to(now, p);
  }
}

}  // namespace ztkit::ctrl
