// What the network layer (member and controller) asks of the node: send a verb to a peer, and
// look up a peer's identity. node_core_io adapts a node_core; tests use a recording fake, so
// the join and controller state machines are tested with plain values (style.md principle 2).
#pragma once

#include <cstdint>
#include <span>

#include "ctrl/node/node_core.h"
#include "engine/base/zt_address.h"
#include "engine/crypto/identity.h"
#include "engine/wire/packet.h"

namespace ztkit::ctrl {

class network_io {
 public:
  virtual ~network_io() = default;
  // Sends `v` with `payload` to `to` (queued behind a WHOIS if `to` is not known yet).
  virtual bool send_verb(std::int64_t now, zt_address to, wire::verb v,
                         std::span<const std::uint8_t> payload, bool compress) = 0;
  // The identity of a known peer, or nullptr (then the node is resolving it: sending anything
  // to it starts a WHOIS).
  virtual const crypto::identity* identity_of(zt_address a) = 0;
  // Starts resolving `a`'s identity (WHOIS) when it is not known; identity_of answers later.
  virtual void resolve(std::int64_t now, zt_address a) {}
};

class node_core_io final : public network_io {
 public:
  explicit node_core_io(node_core& core) : core_(core) {}
  bool send_verb(std::int64_t now, zt_address to, wire::verb v,
                 std::span<const std::uint8_t> payload, bool compress) override;
  const crypto::identity* identity_of(zt_address a) override;
  void resolve(std::int64_t now, zt_address a) override { core_.resolve(now, a); }

 private:
  node_core& core_;
};

}  // namespace ztkit::ctrl
