// peer_directory: what the data path needs to know about peers, as one immutable value that
// the control side publishes and the data path reads without locks (architecture.md:
// "immutable snapshots (peer keys and paths, ...), swapped atomically"). For each peer: its
// agreed keys (shared with the control side's peer, never copied), the cipher suite its
// protocol version calls for, and the route a packet to it takes now: its best direct path,
// else the best upstream's path (relayed end-to-end armored, §4.2), else none.
//
// Built by node_core::directory() from the topology (Switch::_trySend's route choice, frozen at
// build time). A route goes stale between builds (a path dies, a better one appears): the
// control side looks again on every tick and whenever a peer or path is added or removed (a
// new snapshot only if some route, key, upstream or root role changed), so a packet may take
// a path up to one tick (<= 500 ms) behind 1.14's per-packet choice.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ctrl/node/path.h"
#include "engine/base/zt_address.h"
#include "engine/crypto/identity.h"
#include "engine/wire/armor.h"
#include "engine/wire/inet_address.h"

namespace ztkit::ctrl {

struct peer_route {
  zt_address address;
  std::shared_ptr<const crypto::identity> identity;  // public part (the network layer's COM checks)
  std::shared_ptr<const wire::peer_keys> keys;
  wire::cipher_suite cipher = wire::cipher_suite::poly1305_salsa2012;
  // Where a packet to this peer goes: `to` on our socket `local`; `relayed` when `to` is an
  // upstream's path (no direct path to the peer); false `routable`: nowhere (the control side
  // queues behind a WHOIS / waits for a path).
  bool routable = false;
  bool relayed = false;
  socket_id local = 0;
  wire::inet_address to;
};

struct peer_directory {
  zt_address self;
  std::uint64_t version = 0;  // increases with every build
  bool am_root = false;       // we are a root of the planet or of a moon we orbit
  // The upstreams (planet and moon roots), best first (Topology::getUpstreamPeer's order for
  // the first; multicast GATHER goes to it, LIKE to all).
  std::vector<zt_address> upstreams;
  // Trusted paths (local.conf trustedPathId): remote IP -> id; cipher 2 is accepted from these
  // and used towards them.
  std::vector<std::pair<wire::inet_address, std::uint64_t>> trusted_paths;
  std::unordered_map<std::uint64_t, peer_route> peers;

  const peer_route* find(zt_address a) const {
    auto it = peers.find(a.value());
    return it == peers.end() ? nullptr : &it->second;
  }
  // The trusted path ID of a remote address (exact IP match, any port), 0 if none.
  std::uint64_t trusted_path_id(const wire::inet_address& remote) const;
};

}  // namespace ztkit::ctrl
