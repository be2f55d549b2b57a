// The node's view of the world: the planet and the moons we orbit, their roots (pinned upstream
// peers), and the peer table keyed by address (ZeroTierOne 1.14 node/Topology.hpp/.cpp;
// zerotier-protocol.md §4.2, §7). Pure state; time is the caller's `now` (ms).
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
  std::uint64_t moon_updates = 0;           // moons adopted, or replaced by a newer version
  // Moons refused: not a moon, bad signature, not newer, signed by another key, or a moon
  // nobody asked for (no orbit request naming its ID and one of its roots).
  std::uint64_t moon_updates_rejected = 0;
};

class topology {
 public:
  // `self` must hold its private key. The planet is adopted as given (the stock Earth by
  // default); every root in it except ourselves becomes a pinned upstream peer.
  topology(crypto::identity self, wire::world planet = wire::earth_planet(),
           topology_config config = {});

  const crypto::identity& self() const { return self_; }
  const wire::world& planet() const { return planet_; }
  // True if our own address is one of the roots of the planet or of a moon we orbit (we then
  // relay and send RENDEZVOUS; Topology::_amUpstream).
  bool am_root() const { return am_root_; }

  // World::shouldBeReplacedBy; on success the roots are re-pinned (existing peers kept).
  bool update_planet(const wire::world& update);

  // ---- Moons (Topology::addMoon, addWorld, removeMoon; Node::orbit/deorbit) ----
  // The moons we orbit, in the order adopted.
  const std::vector<wire::world>& moons() const { return moons_; }
  const wire::world* moon(std::uint64_t world_id) const;
  // Adopts a moon we were handed (moons.d, an orbit with the world in hand: addWorld with
  // alwaysAcceptNew). If a moon with its ID is held, the World update rule decides; otherwise
  // it must be a moon signed by its own update key. True if adopted (roots pinned as upstreams).
  bool add_moon(const wire::world& moon);
  // Records that moon `world_id` is wanted from `seed`, one of its roots (Topology::_moonSeeds).
  // False (nothing recorded) if the moon is held or `seed` is nil/reserved/ourselves.
  bool add_moon_seed(std::uint64_t world_id, zt_address seed);
  // Orbit requests not answered yet: (moon ID, seed).
  const std::vector<std::pair<std::uint64_t, zt_address>>& moon_seeds() const { return moon_seeds_; }
  // IDs of the moons wanted (Topology::moonsWanted), each once.
  std::vector<std::uint64_t> moons_wanted() const;
  bool is_moon_seed(zt_address a) const;
  // A world received in OK(HELLO) (Topology::addWorld, alwaysAcceptNew false): a planet goes to
  // update_planet; a held moon is replaced only by the World update rule; a moon not held is
  // adopted only if an orbit request names its ID with a seed that is one of its roots, and
  // (stricter than 1.14) it is signed by its own update key. True if something changed.
  bool accept_world(const wire::world& w);
  // Deorbit: forgets the moon and any request for it; its roots stop being upstreams (their
  // peers are kept as ordinary peers). False if neither was held.
  bool remove_moon(std::uint64_t world_id);
  // Topology::shouldAcceptWorldUpdateFrom: an upstream, or the seed of an orbit request.
  bool should_accept_world_update_from(zt_address a) const {
    return is_upstream(a) || is_moon_seed(a);
  }

  bool is_upstream(zt_address a) const;
  // True if `a` is a root of the planet (not only of a moon): ZT_PEER_ROLE_PLANET.
  bool is_planet_root(zt_address a) const;
  // The stable endpoints (planet and moons) of an upstream (empty if none or not an upstream).
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
  // Topology::_memoizeUpstreams: the planet's and the moons' roots become pinned upstreams.
  void pin_roots();
  void pin_root(const wire::world_root& r);

  crypto::identity self_;
  wire::world planet_;
  std::vector<wire::world> moons_;
  std::vector<std::pair<std::uint64_t, zt_address>> moon_seeds_;
  topology_config config_;
  bool am_root_ = false;
  std::unordered_map<std::uint64_t, std::unique_ptr<peer>> peers_;
  std::unordered_map<std::uint64_t, std::vector<wire::inet_address>> upstream_endpoints_;
  topology_counters counters_;
};

}  // namespace ztkit::ctrl
