// HELLO as 1.14 builds it (Peer::sendHELLO; zerotier-protocol.md §2.5, §3 HELLO): cipher 0
// (clear, Poly1305 MAC), the moon list masked with cryptField before the MAC.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/crypto/identity.h"
#include "engine/wire/armor.h"
#include "engine/wire/verbs.h"

namespace ztkit::ctrl {

struct hello_fields {
  zt_address destination;
  std::uint64_t packet_id = 0;   // the IV (random per packet)
  std::int64_t timestamp = 0;    // our `now`, echoed back in OK(HELLO)
  wire::inet_address sent_to;    // the physical address the HELLO goes to (nil via relay)
  std::uint64_t planet_id = 0;
  std::uint64_t planet_timestamp = 0;
  std::span<const wire::hello_payload::moon_ref> moons;  // orbited, then wanted (timestamp 0)
};

// The armored HELLO packet from `self` (its public identity is sent) to the peer whose keys
// are `keys`. Announces protocol 12, version 1.14.1 (what 1.14.1 sends).
std::vector<std::uint8_t> make_hello(const crypto::identity& self, const wire::peer_keys& keys,
                                     const hello_fields& f);

}  // namespace ztkit::ctrl
