// on_tick: HELLO/keepalive schedule (Node::processBackgroundTasks, _PingPeersThatNeedPing,
// Peer::doPingAndKeepalive), WHOIS retries and queue timeouts (Switch::doTimerTasks), path and
// peer expiry (Topology::doPeriodicTasks). zerotier-protocol.md §4.4.
#include <algorithm>

#include "ctrl/node/node_core.h"

namespace ztkit::ctrl {

using wire::inet_address;

void node_core::on_tick(std::int64_t now) {
  directory_stale_ = true;  // best paths move with latency and silence; paths and peers expire here
  service_whois(now);  // each WHOIS keeps its own 500 ms retry clock
  if (now - last_ping_check_ >= timing::ping_check_interval) {
    last_ping_check_ = now;
    ping_peers(now);
    reasm_.expire(now);
  }
  if (now - last_housekeeping_ >= timing::housekeeping_period) {
    last_housekeeping_ = now;
    expire(now);
  }
}

void node_core::ping_peers(std::int64_t now) {
  // Paths silent for 243 s are dropped first (doPingAndKeepalive cleans them as it goes).
  topo_.for_each_peer([&](peer& p) {
    for (const auto& gone : p.expire_paths(now)) sink_.on_path_lost(p.address(), gone.local, gone.remote);
  });
  auto keepalive = [&](peer& p) {  // Peer::doPingAndKeepalive; returns 1 = v4 sent, 2 = v6
    unsigned sent = 0;
    const bool full = now - p.last_hello_sent >= timing::peer_ping_period;
    std::vector<path> todo(p.paths().begin(), p.paths().end());
    for (const auto& ph : todo) {
      if (full || ph.needs_heartbeat(now)) {
        attempt_to_contact(now, p, ph.local, ph.remote, full);
        sent |= ph.remote.fam == inet_address::family::ipv4 ? 1u : 2u;
      }
    }
    return sent;
  };
  for (peer* up : topo_.upstreams()) {
    // Upstreams: as rarely as every 224 s with a path; every check (5 s) without one.
    const std::int64_t period = up->paths().empty() ? 0 : timing::upstream_hello_period;
    if (now - up->last_hello_sent <= period) continue;
    const unsigned sent = keepalive(*up);
    // And a HELLO to a stable endpoint of each family not covered.
    for (auto fam : {inet_address::family::ipv4, inet_address::family::ipv6}) {
      if (sent & (fam == inet_address::family::ipv4 ? 1u : 2u)) continue;
      const auto& eps = topo_.stable_endpoints(up->address());
      std::vector<inet_address> of;
      for (const auto& e : eps)
        if (e.fam == fam) of.push_back(e);
      if (of.empty()) continue;
      const inet_address& at = of[next_packet_id() % of.size()];
      // The endpoint's socket is the caller's business; socket 0 is "the default socket".
      send_hello(now, *up, 0, at);
    }
  }
  contact_moon_seeds(now, false);
  std::vector<peer*> active;
  topo_.for_each_peer([&](peer& p) {
    if (!topo_.is_upstream(p.address()) && p.active(now)) active.push_back(&p);
  });
  for (peer* p : active) keepalive(*p);
  // "Online": something from an upstream within 500 s.
  bool on = false;
  for (peer* up : topo_.upstreams())
    if (up->last_receive != 0 && now - up->last_receive < timing::peer_activity_timeout) on = true;
  if (on != online_) {
    online_ = on;
    sink_.on_online(on);
  }
}

void node_core::contact_moon_seeds(std::int64_t now, bool force) {
  // _PingPeersThatNeedPing with the seeds in alwaysContact: a seed is a leaf (timer scale 2),
  // contacted on its best path, else through the best upstream (which relays the HELLO); an
  // unknown seed is looked up (Node::processBackgroundTasks' WHOIS of uncontacted addresses).
  std::vector<zt_address> seeds;
  for (const auto& [id, seed] : topo_.moon_seeds())
    if (std::find(seeds.begin(), seeds.end(), seed) == seeds.end()) seeds.push_back(seed);
  for (zt_address a : seeds) {
    peer* p = topo_.get(a);
    if (p == nullptr) {
      request_whois(now, a, force);
      continue;
    }
    if (topo_.is_upstream(a)) continue;  // already contacted as an upstream
    if (!force && now - p->last_hello_sent <= timing::path_heartbeat_period * 2) continue;
    if (const path* direct = p->best_path(now)) {
      const socket_id l = direct->local;
      const inet_address r = direct->remote;
      send_hello(now, *p, l, r);
    } else if (peer* up = topo_.best_upstream(now)) {
      if (const path* via = up->best_path(now)) {
        const socket_id l = via->local;
        const inet_address r = via->remote;
        send_hello(now, *p, l, r);
      }
    }
  }
}

void node_core::service_whois(std::int64_t now) {
  // Parked packets time out after 5 s; WHOIS is retried every 500 ms while something waits.
  while (!rx_queue_.empty() && now - rx_queue_.front().at >= timing::receive_queue_timeout) {
    rx_queue_.pop_front();
    ++counters_.rx_queue_dropped;
  }
  while (!tx_queue_.empty() && now - tx_queue_.front().at >= timing::transmit_queue_timeout) {
    tx_queue_.pop_front();
    ++counters_.tx_queue_dropped;
  }
  for (auto it = whois_.begin(); it != whois_.end();) {
    const zt_address a(it->first);
    const bool waiting =
        std::any_of(rx_queue_.begin(), rx_queue_.end(), [&](const parked_rx& r) { return r.source == a; }) ||
        std::any_of(tx_queue_.begin(), tx_queue_.end(), [&](const parked_tx& t) { return t.dest == a; });
    if (!waiting || topo_.get(a)) {
      it = whois_.erase(it);
      continue;
    }
    ++it;
    request_whois(now, a, false);
  }
}

void node_core::expire(std::int64_t now) {
  for (zt_address a : topo_.expire_peers(now)) sink_.on_peer_offline(a);
}

}  // namespace ztkit::ctrl
