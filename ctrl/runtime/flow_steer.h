// Which lane of a network's stack owns a frame (architecture.md: "TCP/UDP sockets whose 4-tuple
// hashes to k"). A network's stack runs as lanes on the node's data shards: lane 0 on shard 0
// with the port (ZeroTier's virtual switch), ARP/NDP, ICMP, UDP and its share of the TCP
// flows; lane k on shard k with the TCP flows whose 4-tuple hashes to k. Pure functions: the
// port's receive side asks route_frame() for every frame it delivers, and connect() picks a
// local port whose 4-tuple hashes to the lane it runs on (port_for_lane), so both directions
// of a flow meet on one lane.
//
// What goes where, with n lanes (n = 1: everything on lane 0, as before):
//   - TCP over IPv4 (unfragmented) or IPv6 (TCP as the first next header): lane_of(dst, src).
//   - ARP replies and NDP neighbor advertisements: every lane (each resolves its own next
//     hops; they only refresh entries a lane asked for, RFC 826 / RFC 4861 §7.2.5).
//   - Fragmented IPv4 TCP: dropped (counted by the caller). Only lane 0 could reassemble it
//     and lane 0 would answer a flow it does not own with a reset. Our TCP never fragments
//     (DF, MSS clamped to the MTU); a peer's TCP over ZeroTier does not either.
//   - Everything else (ARP requests, ICMP, UDP, IPv6 with extension headers before TCP, VLAN
//     tags, other ethertypes): lane 0.
#pragma once

#include <cstdint>
#include <span>

#include "engine/wire/inet_address.h"

namespace ztkit::ctrl::flow_steer {

// The lane of the TCP flow between `local` and `remote` (addresses with their ports).
unsigned lane_of(const wire::inet_address& local, const wire::inet_address& remote, unsigned lanes);

struct frame_route {
  enum class kind { lane, every_lane, drop } what = kind::lane;
  unsigned lane = 0;
};
// The route of one Ethernet frame delivered by the port.
frame_route route_frame(std::span<const std::uint8_t> frame, unsigned lanes);

// A local port in the ephemeral range (RFC 6335 §6: 49152-65535) for a connection from
// `local` (its port ignored) to `remote` whose flow hashes to `lane`, starting the search at
// `*cursor` (advanced past the port returned; the API keeps one cursor per node). Returns 0
// if no port of the range hashes there (cannot happen for lanes <= 64 in practice).
std::uint16_t port_for_lane(wire::inet_address local, const wire::inet_address& remote,
                            unsigned lane, unsigned lanes, std::uint32_t* cursor);

}  // namespace ztkit::ctrl::flow_steer
