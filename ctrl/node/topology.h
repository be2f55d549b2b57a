// The node's view of the world: the planet and its roots (pinned upstream peers), and the peer
// table keyed by address (ZeroTierOne 1.14 node/Topology.hpp/.cpp; zerotier-protocol.md §4.2,
// §7). Pure state; time is the caller's `now` (ms).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "ctrl/node/peer.h"
#include "engine/crypto/identity.h"
#include "engine/wire/world.h"

namespace ztkit::ctrl {

struct topology_config {
  std::size_t max_peers = 4096;  // non-upstream peers held in memory; idle ones are evicted
  std::size_t max_paths_per_peer = peer::default_max_paths;
};

struct topology_counters {
  std::uint64_t identity_collisions = 0;  // same address, different key: rejected
  std::uint64_t peers_evicted = 0;        // pushed out by the table bound
  std::uint64_t peers_expired = 0;        // idle for 500 s
  std::uint64_t planet_updates = 0;       // accepted planet replacements
  std::uint64_t planet_updates_rejected = 0;
};

class topology {
 public:
  // `self` must hold its private key. The planet is adopted as given (the stock Earth by
  // default); every root in it except ourselves becomes a pinned upstream peer.
  topology(crypto::identity self, wire::world planet = wire::earth_planet(),
           topology_config config = {});

  const crypto::identity& self() const { return self_; }
  const wire::world& planet() const { return planet_; }
  // True if our own address is one of the planet's roots (we then relay and send RENDEZVOUS).
  bool am_root() const { return am_root_; }

  // World::shouldBeReplacedBy; on success the roots are re-pinned (existing peers kept).
  bool update_planet(const wire::world& update);

  bool is_upstream(zt_address a) const;
  // The planet's stable endpoints of an upstream (empty if none or not an upstream).
  const std::vector<wire::inet_address>& stable_endpoints(zt_address a) const;
  std::vector<peer*> upstreams();
  // Topology::getUpstreamPeer: the upstream with the lowest latency x (1 + silence / 61 s),
  // those silent for 500 s last; null if none.
  peer* best_upstream(std::int64_t now);

  peer* get(zt_address a);
  const peer* get(zt_address a) const;

  enum class add_status { added, existing, collision, invalid };
  struct add_result {
    add_status status;
    peer* p = nullptr;  // the peer (added or existing), null on collision/invalid
  };
  // Learns a peer (key agreed once). Same address with another key -> collision (counted).
  // Makes room by evicting the least recently heard non-upstream peer if the table is full.
  add_result add(const crypto::identity& id, std::int64_t now);
  // The same for a peer already made (keys agreed while verifying its HELLO).
  add_result insert(std::unique_ptr<peer> p, std::int64_t now);
  // Counts an identity collision noticed elsewhere (a HELLO with a different key).
  void count_collision() { ++counters_.identity_collisions; }

  // Forgets non-upstream peers silent for 500 s (ZT_PEER_ACTIVITY_TIMEOUT); returns their
  // addresses.
  std::vector<zt_address> expire_peers(std::int64_t now);
  // Removes a peer (never an upstream); false if absent or upstream.
  bool remove(zt_address a);

  template <typename F>
  void for_each_peer(F&& f) {
    for (auto& [k, p] : peers_) f(*p);
  }
  std::size_t size() const { return peers_.size(); }
  const topology_counters& counters() const { return counters_; }

 private:
  void pin_roots();

  crypto::identity self_;
  wire::world planet_;
  topology_config config_;
  bool am_root_ = false;
  std::unordered_map<std::uint64_t, std::unique_ptr<peer>> peers_;
  std::unordered_map<std::uint64_t, std::vector<wire::inet_address>> upstream_endpoints_;
  topology_counters counters_;
};

}  // namespace ztkit::ctrl
