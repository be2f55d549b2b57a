// A peer: its identity, the keys agreed with it (once), what it announced, its paths and its
// rate-limit state (ZeroTierOne 1.14 node/Peer.hpp/.cpp; zerotier-protocol.md §2.1, §4.5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ctrl/node/packet_io.h"
#include "ctrl/node/path.h"
#include "engine/base/result.h"
#include "engine/crypto/identity.h"
#include "engine/wire/armor.h"

namespace ztkit::ctrl {

class peer {
 public:
  // 1.14 keeps up to 64 paths (ZT_MAX_PEER_NETWORK_PATHS); a node rarely has more than a few.
  static constexpr std::size_t default_max_paths = 16;

  // Agrees the keys with `them` (our identity must hold its private key). Fails on a missing
  // private key or a bad public key.
  static result<std::unique_ptr<peer>> make(const crypto::identity& self,
                                            const crypto::identity& them,
                                            std::size_t max_paths = default_max_paths);

  const crypto::identity& identity() const { return *id_; }
  // The same identity, shared with the data path's peer_directory (immutable).
  const std::shared_ptr<const crypto::identity>& shared_identity() const { return id_; }
  zt_address address() const { return id_->address(); }
  const wire::peer_keys& keys() const { return *keys_; }
  // The same keys, shared with the data path's peer_directory (immutable once agreed).
  const std::shared_ptr<const wire::peer_keys>& shared_keys() const { return keys_; }

  // ---- What the peer announced (HELLO / OK(HELLO)); 0 = unknown ----
  std::uint8_t protocol_version = 0;
  std::uint8_t major = 0, minor = 0;
  std::uint16_t revision = 0;
  std::uint32_t latency = path::latency_unknown;  // ms, from OK(HELLO)/OK(ECHO) at hops 0

  // Cipher for encrypted packets to this peer (§1.5): 3 if it announced >= 12, else 1.
  wire::cipher_suite cipher() const { return wire::choose_cipher(protocol_version, true); }
  // Peer::attemptToContactAt: ECHO works with peers >= 5 except exactly 1.1.0.
  bool speaks_echo() const {
    return protocol_version >= 5 && !(major == 1 && minor == 1 && revision == 0);
  }

  // ---- Timestamps (ms) ----
  std::int64_t created = 0;
  std::int64_t last_receive = 0;
  std::int64_t last_nontrivial_receive = 0;  // FRAME, EXT_FRAME, NETWORK_CONFIG*, MULTICAST_FRAME
  std::int64_t last_trust_established = -timing::trust_expiration;
  std::int64_t last_hello_sent = -1'000'000'000;  // last full HELLO (any path)
  std::int64_t last_hello_received = 0;
  std::int64_t last_whois_answered = -1'000'000'000;     // WHOIS rate gate (100 ms)
  std::int64_t last_echo_answered = -1'000'000'000;      // ECHO rate gate (~6/s)
  std::int64_t last_direct_path_push_sent = -1'000'000'000;

  // LZ4 back-off for packets to this peer (node_core::send_packet_via).
  compress_backoff lz4;
  std::int64_t last_direct_path_push_received = -1'000'000'000;  // PUSH_DIRECT_PATHS cutoff window
  unsigned direct_path_push_cutoff_count = 0;

  // Peer::isActive: something non-trivial within 500 s.
  bool active(std::int64_t now) const {
    return last_nontrivial_receive != 0 && now - last_nontrivial_receive < timing::peer_activity_timeout;
  }
  bool trust_established(std::int64_t now) const {
    return now - last_trust_established < timing::trust_expiration;
  }

  // ---- Paths ----
  const std::vector<path>& paths() const { return paths_; }
  path* find_path(socket_id local, const wire::inet_address& remote);
  // Peer::received's "have path" test: the exact path, or an alive path with the same IP on
  // the same socket (which blocks re-learning, to prevent learning loops).
  bool has_path_for(socket_id local, const wire::inet_address& remote, std::int64_t now) const;
  // Adds a path as on OK at hops 0: replaces a dead same-IP/same-socket path, else takes a free
  // slot, else replaces the oldest. Returns the path (never null).
  path& learn_path(socket_id local, const wire::inet_address& remote, std::int64_t now);
  // The best non-expired path (lowest quality value), or null.
  const path* best_path(std::int64_t now) const;
  path* best_path(std::int64_t now) {
    return const_cast<path*>(static_cast<const peer*>(this)->best_path(now));
  }
  // Removes paths not received on for 243 s; returns them.
  std::vector<path> expire_paths(std::int64_t now);
  void clear_paths() { paths_.clear(); }

  // PUSH_DIRECT_PATHS cutoff (Peer::rateGatePushDirectPaths): more than 8 within 30 s -> false.
  bool rate_gate_push_direct_paths(std::int64_t now);
  // WHOIS answered at most every 100 ms (Peer::rateGateInboundWhoisRequest).
  bool rate_gate_whois(std::int64_t now);

  // Unknown-path probes: at most one HELLO per second per path (Peer::_lastTriedPath).
  bool rate_gate_probe(socket_id local, const wire::inet_address& remote, std::int64_t now);

 private:
  peer(const crypto::identity& them, const crypto::agreed_key& key, std::size_t max_paths);

  std::shared_ptr<const crypto::identity> id_;
  std::shared_ptr<const wire::peer_keys> keys_;  // agreed once; neither copied nor moved
  std::vector<path> paths_;
  std::size_t max_paths_;
  struct tried { socket_id local; wire::inet_address remote; std::int64_t at; };
  std::vector<tried> tried_;
};

}  // namespace ztkit::ctrl
