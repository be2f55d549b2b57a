// Pieces of the receive and send paths that node_core (control side) and data_path (shard
// side) share: the reassembly key of a physical endpoint, the packet header writer, the
// packet-ID generator and LZ4 with its per-peer back-off (zerotier-protocol.md §2.6, §4.1-4.2).
#pragma once

#include <cstdint>
#include <vector>

#include "ctrl/node/path.h"
#include "engine/base/zt_address.h"
#include "engine/wire/inet_address.h"
#include "engine/wire/packet.h"

namespace ztkit::ctrl {

// Fragments are reassembled per (our socket, remote endpoint): FNV-1a over both.
std::uint64_t endpoint_key(socket_id local, const wire::inet_address& a);

// `out` becomes a 28-byte header (flags, cipher and hops 0) for verb `v`.
void write_header(std::vector<std::uint8_t>& out, std::uint64_t id, zt_address dest,
                  zt_address source, wire::verb v);

// Packet IDs are IVs and must never repeat under one key: xoshiro256** seeded from libsodium's
// CSPRNG (seed 0) or a fixed seed (deterministic simulations), mixed with `salt` so that two
// generators of one node (control side, shard) never run the same sequence.
class packet_id_source {
 public:
  packet_id_source(std::uint64_t seed, std::uint64_t salt);
  std::uint64_t next();

 private:
  std::uint64_t s_[4] = {};
};

// LZ4 on a composed packet (before armor), as Packet::compress, with a back-off: 1.14 tries
// every FRAME; on incompressible traffic every try fails and costs ~8 % of a bulk stream's
// cycles, so after a failed try the next `backoff` packets skip it (1, 2, 4 ... 64) and a
// success resets it.
struct compress_backoff {
  std::uint8_t backoff = 0;
  std::uint8_t skip = 0;
  // Compresses `packet` in place (resized) when it pays.
  void apply(std::vector<std::uint8_t>& packet);
};

}  // namespace ztkit::ctrl
