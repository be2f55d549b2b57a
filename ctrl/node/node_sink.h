// What the node core asks of its caller: send datagrams, and hear about events. The core does
// no I/O; the control thread (or a test) implements this.
#pragma once

#include <cstdint>
#include <span>

#include "ctrl/node/path.h"
#include "engine/base/zt_address.h"
#include "engine/wire/inet_address.h"
#include "engine/wire/packet.h"
#include "engine/wire/verbs.h"
#include "engine/wire/world.h"

namespace ztkit::ctrl {

class peer;

class node_sink {
 public:
  virtual ~node_sink() = default;

  // Sends one UDP datagram from our socket `local` to `to`. `ttl` is the IP TTL / hop limit
  // to use, 0 meaning the socket's default; the core asks for 2 only for the 4-byte NAT
  // hole-punch datagram after RENDEZVOUS (1.14 sends it with TTL 2). Implementations that
  // cannot set the TTL may ignore it (the punch then travels further; harmless).
  virtual void send(socket_id local, const wire::inet_address& to,
                    std::span<const std::uint8_t> bytes, unsigned ttl) = 0;

  // ---- Events (all optional) ----
  // A peer spoke to us (authenticated) for the first time since it was learned / forgotten.
  virtual void on_peer_online(zt_address) {}
  // A peer was forgotten (idle 500 s) or replaced.
  virtual void on_peer_offline(zt_address) {}
  virtual void on_path_learned(zt_address, socket_id, const wire::inet_address&) {}
  virtual void on_path_lost(zt_address, socket_id, const wire::inet_address&) {}
  // The node-level "online": something received from an upstream within 500 s.
  virtual void on_online(bool) {}
  virtual void on_user_message(zt_address from, std::uint64_t type,
                               std::span<const std::uint8_t> data) {}
  // OK(ECHO) to an echo sent by send_echo(): round-trip time in ms.
  virtual void on_echo_reply(zt_address from, std::int64_t rtt_ms) {}
  // Our address as `reporter` saw it (HELLO destination field or OK(HELLO)), hops 0 only.
  // `trusted` if the reporter is an upstream (SelfAwareness::iam).
  virtual void on_external_address(zt_address reporter, const wire::inet_address& address,
                                   bool trusted) {}
  // Someone claimed `address` with a key other than the one we know: rejected and counted.
  virtual void on_identity_collision(zt_address address) {}
  // An upstream told us our own address is taken (ERROR IDENTITY_COLLISION): fatal, the node
  // must stop and make a new identity.
  virtual void on_fatal_identity_collision(zt_address upstream) {}
  // An ERROR was received (every code, after the core's own handling).
  virtual void on_error_received(zt_address from, const wire::error_payload& e) {}
  // A world we hold changed: a moon adopted (orbit answered, orbit with the world in hand) or
  // replaced by a newer version, or the planet updated. The caller persists it (moons.d,
  // planet). Deorbit is the caller's own command and is not reported.
  virtual void on_world_updated(const wire::world&) {}
  // Verbs for the network layer (FRAME, EXT_FRAME, MULTICAST_*, NETWORK_*): the dearmored,
  // uncompressed packet from an authenticated peer. `hops` as received.
  virtual void on_network_packet(peer& from, wire::const_packet_view packet, socket_id local,
                                 const wire::inet_address& remote) {}
};

}  // namespace ztkit::ctrl
