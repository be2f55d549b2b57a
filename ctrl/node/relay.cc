// Relaying as a root (Switch::onRemotePacket, _shouldUnite, Peer::introduce;
// zerotier-protocol.md §4.3, §3 RENDEZVOUS). A leaf never relays: 1.14 also relays on paths
// with "trust established" (shared network membership), which needs the network layer.
#include <algorithm>

#include "ctrl/node/node_core.h"
#include "engine/wire/fragment.h"

namespace ztkit::ctrl {

using wire::inet_address;

void node_core::relay(std::int64_t now, socket_id local, const inet_address& from,
                      std::span<std::uint8_t> datagram, zt_address dest, bool is_fragment) {
  if (!am_root()) {
    ++counters_.relay_dropped;
    return;
  }
  std::uint8_t& hop_byte = is_fragment ? datagram[15] : datagram[wire::packet_idx_flags];
  const unsigned hops = is_fragment ? hop_byte : (hop_byte & wire::flags_hops_mask);
  if (hops >= wire::relay_max_hops) {
    ++counters_.relay_dropped;
    return;
  }
  peer* to = topo_.get(dest);
  const path* via = to ? to->best_path(now) : nullptr;
  if (!via || (via->local == local && via->remote == from)) {  // never back to the sender
    ++counters_.relay_dropped;
    return;
  }
  if (is_fragment) hop_byte = static_cast<std::uint8_t>(hops + 1);
  else hop_byte = static_cast<std::uint8_t>((hop_byte & ~wire::flags_hops_mask) | (hops + 1));
  send_datagram(via->local, via->remote, datagram);
  ++counters_.relayed;
  if (!is_fragment) {
    const zt_address source = wire::const_packet_view::checked(datagram)->source();
    if (source == address()) return;
    if (peer* src = topo_.get(source)) maybe_unite(now, *src, *to);
  }
}

void node_core::maybe_unite(std::int64_t now, peer& a, peer& b) {
  // _shouldUnite: at most once per 30 s per pair (either order).
  const std::uint64_t x = a.address().value(), y = b.address().value();
  const std::pair<std::uint64_t, std::uint64_t> key{std::min(x, y), std::max(x, y)};
  auto it = last_unite_.find(key);
  if (it != last_unite_.end() && now - it->second < timing::min_unite_interval) return;
  // Peer::introduce: the best paths of the same family on both sides.
  const path* pa = nullptr;
  const path* pb = nullptr;
  std::uint64_t best = ~std::uint64_t{0};
  for (const auto& x : a.paths()) {
    if (x.expired(now)) continue;
    for (const auto& y : b.paths()) {
      if (y.expired(now) || x.remote.fam != y.remote.fam) continue;
      const std::uint64_t q = x.quality(now) + y.quality(now);
      if (q < best) {
        best = q;
        pa = &x;
        pb = &y;
      }
    }
  }
  if (!pa || !pb) return;
  if (last_unite_.size() > 65536) last_unite_.clear();
  last_unite_[key] = now;
  const path to_a = *pa;
  const path to_b = *pb;
  auto send = [&](peer& dest, const path& on, peer& other, const path& other_path) {
    wire::rendezvous_payload r;
    r.with = other.address();
    r.address = other_path.remote;
    auto bytes = wire::emit_payload(r);
    if (send_packet_via(now, dest, wire::verb::rendezvous, bytes, dest.cipher(), on.local, on.remote,
                        false, false))
      ++counters_.rendezvous_sent;
  };
  send(a, to_a, b, to_b);
  send(b, to_b, a, to_a);
}

}  // namespace ztkit::ctrl
