// One cached peer: the file peers.d/<10 hex address>.peer of zerotier-one 1.14
// (node/Peer.hpp serializeForCache/deserializeFromCache; zerotier-protocol.md §7):
//
//   [1 format = 2][identity, binary public form (71 bytes)]
//   [2 protocol version][2 major][2 minor][2 revision]
//   [2 path count n][n x InetAddress]
//
// All integers big-endian. 1.14 writes the peer's current paths; on reading it does not restore
// them but tries to contact each one and relearns those that answer, so the paths here are
// hints, never trusted as live.
//
// Parsing is stricter than 1.14 (which stops quietly at the first bad byte): a wrong format
// byte, a truncated field, an identity carrying a private key, more than 64 paths, an unknown
// InetAddress type or trailing bytes are all errors with a reason. The identity's memory-hard
// check is not run here (it costs milliseconds; state_dir::load_peer runs it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/base/result.h"
#include "engine/crypto/identity.h"
#include "engine/wire/inet_address.h"

namespace ztkit::ctrl {

struct peer_cache_entry {
  static constexpr std::uint8_t format = 2;
  static constexpr std::size_t max_paths = 64;  // ZT_MAX_PEER_NETWORK_PATHS (1.14)
  // The largest well-formed file: every path an IPv6 address.
  static constexpr std::size_t max_bytes =
      1 + crypto::identity::public_binary_bytes + 8 + 2 + max_paths * 19;

  crypto::identity identity;  // public part only
  std::uint16_t proto = 0;    // protocol version the peer announced in HELLO
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  std::uint16_t revision = 0;
  std::vector<wire::inet_address> paths;

  // Parses a whole file.
  static result<peer_cache_entry> parse(std::span<const std::uint8_t> bytes);
  // The file's bytes. At most max_paths paths are written (1.14 holds no more); the private
  // key, if the identity has one, is never written.
  std::vector<std::uint8_t> serialize() const;
  std::size_t buffer_len() const;

  bool operator==(const peer_cache_entry&) const = default;
};

}  // namespace ztkit::ctrl
