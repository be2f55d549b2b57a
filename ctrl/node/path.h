// A physical path to a peer: one of our sockets and a remote ip:port (ZeroTierOne 1.14
// node/Path.hpp, Peer::_paths; zerotier-protocol.md §4.5). Plain values; time is the caller's
// `now` (ms).
#pragma once

#include <cstdint>
#include <limits>

#include "ctrl/node/ip_scope.h"
#include "ctrl/node/timing.h"
#include "engine/wire/inet_address.h"

namespace ztkit::ctrl {

// Which of the caller's sockets a packet came in on / goes out on (opaque to the core).
using socket_id = std::int64_t;

struct path {
  static constexpr std::uint32_t latency_unknown = 0xffff;

  socket_id local = 0;
  wire::inet_address remote;
  std::int64_t last_send = 0;
  std::int64_t last_receive = 0;
  std::int64_t last_echo_reply = 0;   // ECHO rate gate (Path::rateGateEcho)
  std::uint64_t trusted_path_id = 0;  // nonzero: the path lies in a configured trusted network
  std::uint32_t latency = latency_unknown;  // ms, smoothed

  // Path::alive: something received within 19 s.
  bool alive(std::int64_t now) const { return now - last_receive < timing::path_alive_timeout; }
  // Removed from its peer when nothing was received for 243 s (ZT_PEER_PATH_EXPIRATION).
  bool expired(std::int64_t now) const { return now - last_receive >= timing::path_expiration; }
  // Path::needsHeartbeat: nothing sent for 14 s.
  bool needs_heartbeat(std::int64_t now) const {
    return now - last_send >= timing::path_heartbeat_period;
  }
  // Peer::getAppropriatePath: lower is better; (latency, or a big penalty plus age when not
  // alive) x (8 - scope), so private LAN paths beat global ones.
  std::uint64_t quality(std::int64_t now) const;
  // Path::updateLatency: the first sample is taken as is, later ones smoothed.
  void update_latency(std::uint32_t sample);

  bool same_endpoint(socket_id s, const wire::inet_address& a) const {
    return local == s && remote == a;
  }
};

}  // namespace ztkit::ctrl
