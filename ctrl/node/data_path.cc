// The shard's receive and send paths: the same rules as node_core's rx.cc and tx.cc for the
// data verbs (zerotier-protocol.md §4.1, §4.2), over the peer_directory.
#include "ctrl/node/data_path.h"

#include <algorithm>
#include <cstring>

#include "engine/wire/compress.h"
#include "engine/wire/fragment.h"

namespace ztkit::ctrl {

using wire::inet_address;

namespace {
// Salt for the shard's packet IDs: a different sequence from the control side's (which is
// salted with the address alone), so the two never repeat each other's IVs.
constexpr std::uint64_t shard_id_salt = 0xd47a'9a7f'5eed'0001ULL;

bool is_data_verb(std::uint8_t v) {
  return v == static_cast<std::uint8_t>(wire::verb::frame) ||
         v == static_cast<std::uint8_t>(wire::verb::ext_frame);
}
}  // namespace

data_path::data_path(data_path_config config)
    : config_(config),
      reasm_(wire::reassembly_config{}),
      ids_(config.random_seed, shard_id_salt),
      whole_(wire::packet_max_length),
      big_(wire::packet_max_length) {
  config_.mtu = std::clamp<std::size_t>(config_.mtu, wire::fragment_min_physical_mtu + 100,
                                        wire::default_phys_mtu);
  out_.reserve(wire::packet_max_length);
}

void data_path::set_directory(std::shared_ptr<const peer_directory> d) {
  dir_ = std::move(d);
  // Forget the back-off of peers that left the directory (bounded by the peer table).
  if (dir_ && lz4_.size() > dir_->peers.size())
    std::erase_if(lz4_, [&](const auto& kv) { return dir_->peers.count(kv.first) == 0; });
}

data_path::rx_result data_path::on_datagram(std::int64_t now, socket_id local,
                                            const inet_address& from,
                                            std::span<std::uint8_t> datagram,
                                            data_path_sink& sink) {
  using kind = rx_result::kind;
  if (!dir_ || datagram.size() > wire::packet_max_length) return {kind::raw, {}};
  if (wire::is_fragment(datagram)) {
    auto f = wire::fragment_view::parse(datagram);
    if (!f.ok() || f->destination() != dir_->self) return {kind::raw, {}};  // relay, or core counts
    return on_piece(now, local, from, reasm_.on_fragment(endpoint_key(local, from), *f, now), sink);
  }
  auto v = wire::packet_view::checked(datagram);
  if (!v || v->destination() != dir_->self) return {kind::raw, {}};
  if (v->fragmented()) {
    return on_piece(now, local, from, reasm_.on_head(endpoint_key(local, from), datagram, now), sink);
  }
  rx_result r = on_packet(now, local, from, datagram, false, sink);
  if (r.what == kind::consumed || r.what == kind::dearmored) ++notes_.rx_datagrams;
  return r;
}

data_path::rx_result data_path::on_piece(std::int64_t now, socket_id local,
                                         const inet_address& from,
                                         const wire::reassembly_outcome& out, data_path_sink& sink) {
  ++notes_.rx_datagrams;
  if (out.status == wire::reassembly_status::complete) {
    std::copy(out.packet.begin(), out.packet.end(), whole_.begin());
    return on_packet(now, local, from, std::span<std::uint8_t>(whole_.data(), out.packet.size()),
                     true, sink);
  }
  if (out.status != wire::reassembly_status::incomplete) ++notes_.rx_fragment_drops;
  ++counters_.rx_consumed;
  return {rx_result::kind::consumed, {}};
}

data_path::rx_result data_path::on_packet(std::int64_t now, socket_id local,
                                          const inet_address& from,
                                          std::span<std::uint8_t> packet, bool whole,
                                          data_path_sink& sink) {
  using kind = rx_result::kind;
  // Unread: handed over as it came (a datagram) or as reassembled (whole).
  auto hand_over = [&] {
    if (whole) ++counters_.to_control_whole;
    else ++counters_.to_control_raw;
    return whole ? rx_result{kind::whole, packet} : rx_result{kind::raw, {}};
  };
  auto v = wire::packet_view::checked(packet);
  if (!v) return hand_over();
  const zt_address source = v->source();
  const std::uint8_t suite = v->cipher();
  const peer_route* route = dir_->find(source);
  // Cipher 0 (HELLO), ourselves, unknown senders (WHOIS), unknown suites: the control side's.
  if (route == nullptr || source == dir_->self ||
      suite == static_cast<std::uint8_t>(wire::cipher_suite::poly1305_none) || suite > 3)
    return hand_over();
  std::uint64_t trusted = 0;
  if (suite == static_cast<std::uint8_t>(wire::cipher_suite::trusted_path)) {
    trusted = dir_->trusted_path_id(from);
    if (trusted == 0) return hand_over();  // node_core counts it as a bad cipher
  }
  switch (wire::dearmor(packet, *route->keys, trusted)) {
    case wire::armor_result::ok: break;
    case wire::armor_result::bad_mac:
      ++notes_.rx_bad_mac;
      ++counters_.rx_consumed;
      return {kind::consumed, {}};
    default:
      return hand_over();  // cannot happen after the checks above; the control side counts it
  }
  const std::uint8_t verb = v->verb_value();
  if (!is_data_verb(verb)) {
    ++counters_.to_control_dearmored;
    return {kind::dearmored, packet};
  }
  const bool relayed = v->hops() != 0;
  notes_.rx_packets[relayed][verb & 31] += 1;
  notes_.rx_bytes[relayed][verb & 31] += packet.size();
  std::span<std::uint8_t> pkt = packet;
  if (v->compressed()) {
    std::copy(packet.begin(), packet.end(), big_.begin());
    auto u = wire::uncompress(big_, packet.size());
    if (!u.ok()) {
      ++notes_.rx_bad_compression;
      ++counters_.rx_consumed;
      return {kind::consumed, {}};
    }
    pkt = std::span<std::uint8_t>(big_.data(), u.size);
  }
  ++counters_.rx_frames;
  ++counters_.rx_consumed;
  sink.on_data_packet(now, source, wire::const_packet_view::checked(pkt).value());
  note_heard(source, local, from, v->hops(), verb);
  return {kind::consumed, {}};
}

bool data_path::send(std::int64_t now, zt_address to, wire::verb v,
                     std::span<const std::uint8_t> payload, bool compress,
                     data_path_sink& sink) {
  (void)now;
  const peer_route* route = dir_ ? dir_->find(to) : nullptr;
  if (route == nullptr || !route->routable || !is_data_verb(static_cast<std::uint8_t>(v))) {
    ++counters_.tx_not_routable;
    return false;
  }
  if (wire::packet_min_length + payload.size() > wire::packet_max_length) {
    ++counters_.tx_too_big;
    return false;
  }
  auto& out = out_;
  write_header(out, ids_.next(), to, dir_->self, v);
  const std::size_t n = out.size();
  out.resize(n + payload.size());
  if (!payload.empty()) std::memcpy(out.data() + n, payload.data(), payload.size());
  if (compress) lz4_[to.value()].apply(out);
  if (out.size() > wire::max_sendable_length(config_.mtu)) {
    ++counters_.tx_too_big;
    return false;
  }
  if (wire::needs_fragmenting(out.size(), config_.mtu)) out[wire::packet_idx_flags] |= wire::flag_fragmented;
  const std::uint64_t trusted = dir_->trusted_path_id(route->to);
  const wire::armor_result ar = trusted != 0 ? wire::armor_trusted_path(out, trusted)
                                             : wire::armor(out, *route->keys, route->cipher);
  if (ar != wire::armor_result::ok) {
    ++counters_.tx_too_big;  // too short / too long: the only failures armor has here
    return false;
  }
  ++counters_.tx_packets;
  const auto vi = static_cast<std::uint8_t>(v) & 31;
  notes_.tx_packets[route->relayed][vi] += 1;
  notes_.tx_bytes[route->relayed][vi] += out.size();
  const std::size_t split =
      config_.balanced_fragments ? wire::balanced_split_mtu(out.size(), config_.mtu) : config_.mtu;
  (void)wire::for_each_fragment_datagram(out, split, [&](std::span<const std::uint8_t> d, unsigned) {
    ++notes_.tx_datagrams;
    sink.send(route->local, route->to, d);
  });
  note_sent(to, route->local, route->to, route->relayed);
  return true;
}

void data_path::note_heard(zt_address peer, socket_id local, const inet_address& from,
                           std::uint8_t hops, std::uint8_t verb) {
  // A batch carries few distinct (peer, path) pairs: a linear look is cheaper than a map.
  for (auto& h : notes_.received)
    if (h.peer == peer && h.local == local && h.hops == hops && h.from == from) {
      h.verb = verb;
      return;
    }
  notes_.received.push_back({peer, local, from, hops, verb});
}

void data_path::note_sent(zt_address peer, socket_id local, const inet_address& to, bool relayed) {
  for (const auto& s : notes_.sent)
    if (s.peer == peer && s.local == local && s.to == to) return;
  notes_.sent.push_back({peer, local, to, relayed});
}

void data_path::clear_notes() {
  auto received = std::move(notes_.received);
  auto sent = std::move(notes_.sent);
  received.clear();
  sent.clear();
  notes_ = data_path_notes{};
  notes_.received = std::move(received);
  notes_.sent = std::move(sent);
}

}  // namespace ztkit::ctrl
