// node_core's side of the data path: the peer_directory it publishes and the notes it absorbs
// (data_path.h).
#include "ctrl/node/data_path.h"
#include "ctrl/node/node_core.h"

namespace ztkit::ctrl {

namespace {

// Switch::_trySend: the peer's best direct path, else (not for upstreams) the best upstream's
// path (`via`, null if none).
peer_route route_of(const peer& p, std::int64_t now, const path* via, bool upstream) {
  peer_route r;
  r.address = p.address();
  r.identity = p.shared_identity();
  r.keys = p.shared_keys();
  r.cipher = p.cipher();
  if (const path* direct = p.best_path(now)) {
    r.routable = true;
    r.local = direct->local;
    r.to = direct->remote;
  } else if (via != nullptr && !upstream) {
    r.routable = true;
    r.relayed = true;
    r.local = via->local;
    r.to = via->remote;
  }
  return r;
}

bool same_route(const peer_route& a, const peer_route& b) {
  return a.identity == b.identity && a.keys == b.keys && a.cipher == b.cipher &&
         a.routable == b.routable && a.relayed == b.relayed && a.local == b.local && a.to == b.to;
}

}  // namespace

std::shared_ptr<const peer_directory> node_core::directory(std::int64_t now) {
  if (directory_ && !directory_stale_) return directory_;
  const peer* up = topo_.best_upstream(now);
  const path* via = up != nullptr ? up->best_path(now) : nullptr;
  std::vector<zt_address> upstreams;
  if (up != nullptr) upstreams.push_back(up->address());
  for (const peer* u : topo_.upstreams())
    if (u != up) upstreams.push_back(u->address());
  // The tick marks the directory stale so that routes follow paths; most ticks change no
  // route, and then the published snapshot stays (no O(peers) allocations, and the shard keeps
  // the version it has).
  if (directory_ && directory_->am_root == topo_.am_root() && directory_->upstreams == upstreams &&
      directory_->trusted_paths == config_.trusted_paths && directory_->peers.size() == topo_.size()) {
    bool same = true;
    topo_.for_each_peer([&](peer& p) {
      if (!same) return;
      const peer_route* old = directory_->find(p.address());
      same = old != nullptr && same_route(*old, route_of(p, now, via, topo_.is_upstream(p.address())));
    });
    if (same) {
      directory_stale_ = false;
      ++directory_kept_;
      return directory_;
    }
  }
  auto d = std::make_shared<peer_directory>();
  d->self = address();
  d->version = ++directory_version_;
  d->trusted_paths = config_.trusted_paths;
  d->am_root = topo_.am_root();
  d->upstreams = std::move(upstreams);
  d->peers.reserve(topo_.size());
  topo_.for_each_peer([&](peer& p) {
    d->peers.emplace(p.address().value(), route_of(p, now, via, topo_.is_upstream(p.address())));
  });
  directory_ = std::move(d);
  directory_stale_ = false;
  return directory_;
}

void node_core::absorb(std::int64_t now, const data_path_notes& n) {
  counters_.rx_datagrams += n.rx_datagrams;
  counters_.rx_bad_mac += n.rx_bad_mac;
  counters_.rx_bad_compression += n.rx_bad_compression;
  counters_.rx_fragment_drops += n.rx_fragment_drops;
  counters_.rx_malformed += n.rx_malformed;
  counters_.tx_datagrams += n.tx_datagrams;
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t v = 0; v < 32; ++v) {
      counters_.rx_verbs[k].packets[v] += n.rx_packets[k][v];
      counters_.rx_verbs[k].bytes[v] += n.rx_bytes[k][v];
      counters_.tx_verbs[k].packets[v] += n.tx_packets[k][v];
      counters_.tx_verbs[k].bytes[v] += n.tx_bytes[k][v];
      counters_.tx_packets += n.tx_packets[k][v];
    }
  for (const auto& s : n.sent)
    if (peer* p = topo_.get(s.peer))  // as send_packet_via: the peer's own path, if it was one
      if (path* ph = p->find_path(s.local, s.to)) ph->last_send = now;
  for (const auto& h : n.received)
    if (peer* p = topo_.get(h.peer)) {
      // IncomingPacket's FRAME / EXT_FRAME handlers: non-trivial traffic, then Peer::received.
      p->last_nontrivial_receive = now;
      peer_received(now, *p, h.local, h.from, h.hops, static_cast<wire::verb>(h.verb));
    }
}

}  // namespace ztkit::ctrl
