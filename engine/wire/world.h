// A World: the signed list of root servers of a planet (one, Earth by default) or of a moon
// (user-run roots). ZeroTierOne 1.14 node/World.hpp; zerotier-protocol.md §7; world.json.
//
// Wire layout:
//   [1 type: 0 null, 1 planet, 127 moon][8 id][8 timestamp][64 update key][96 signature]
//   [1 root count <= 4] per root: [identity, binary public form][1 endpoint count <= 32]
//                                 [endpoint InetAddresses]
//   moons only: [2 extension length][extension]   (1.14 always writes length 0)
// The signature is a C25519 signature by the key that signs *updates* to this world (the
// previous world's update key) over the "for signing" form:
//   [8 x 0x7f][layout without the signature, moon extension written as length 0][8 x 0xf7]
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/base/result.h"
#include "engine/crypto/c25519.h"
#include "engine/crypto/identity.h"
#include "engine/wire/bytes.h"
#include "engine/wire/inet_address.h"

namespace ztkit::wire {

struct world_root {
  crypto::identity identity;  // public only
  std::vector<inet_address> stable_endpoints;

  bool operator==(const world_root&) const = default;
};

struct world {
  enum class type : std::uint8_t { null = 0, planet = 1, moon = 127 };

  static constexpr std::size_t max_roots = 4;                    // ZT_WORLD_MAX_ROOTS
  static constexpr std::size_t max_endpoints_per_root = 32;      // ..._STABLE_ENDPOINTS_PER_ROOT
  static constexpr std::uint64_t earth_id = 149604618;           // ZT_WORLD_ID_EARTH
  static constexpr std::uint64_t mars_id = 227883110;            // ZT_WORLD_ID_MARS (testing)

  type kind = type::null;
  std::uint64_t id = 0;
  std::uint64_t timestamp = 0;  // ms since the epoch; newer replaces older
  crypto::c25519_public update_key;  // updatesMustBeSignedBy
  crypto::c25519_signature signature{};
  std::vector<world_root> roots;
  std::vector<std::uint8_t> moon_extension;  // moons only; not covered by the signature

  // Reads one world from `r` (which may hold more bytes after it, as in OK(HELLO)). Fails on a
  // truncated world, an unknown type, more than 4 roots or 32 endpoints per root, a reserved
  // or private-key-carrying root identity, an extension on a non-moon, or an unknown endpoint
  // type. Does not check the signature.
  static result<world> parse(reader& r);
  // A whole buffer holding exactly one world (a `planet` or `*.moon` file).
  static result<world> parse(std::span<const std::uint8_t> bytes);

  void emit(writer& w) const;
  std::size_t buffer_len() const;
  std::vector<std::uint8_t> serialize() const;

  // The bytes the signature covers (see above).
  std::vector<std::uint8_t> signing_message() const;
  // True if `signature` is a valid signature of signing_message() by `key`.
  bool signed_by(const crypto::c25519_public& key) const;

  // World::shouldBeReplacedBy: a null current world is replaced by anything; otherwise the
  // update must have the same id and type, a strictly newer timestamp, and be signed by the
  // CURRENT world's update key.
  bool should_be_replaced_by(const world& update) const;

  // World::make: builds and signs a world (the signer is usually the previous update key).
  static world make(type kind, std::uint64_t id, std::uint64_t timestamp,
                    const crypto::c25519_public& update_key, std::vector<world_root> roots,
                    const crypto::c25519_pair& sign_with);

  bool operator==(const world& o) const = default;
};

// Reads a binary identity (public form) from `r`, as embedded in worlds, HELLO and OK(WHOIS).
// An identity carrying a private key is rejected (it never belongs on the wire). Fails `r` on
// error.
result<crypto::identity> read_identity(reader& r);

// The stock planet of ZeroTierOne 1.14.1 (node/Topology.cpp ZT_DEFAULT_WORLD, 570 bytes).
// It is trusted as shipped: its signature is by the previous Earth's key.
std::span<const std::uint8_t> earth_planet_bytes();
// earth_planet_bytes() parsed (once).
const world& earth_planet();

}  // namespace ztkit::wire
