// One interface per joined network: our MAC on it, the managed IPv4/IPv6 addresses and routes
// from the network config, the MTU, the neighbor cache, fragment reassembly and the UDP sockets.
//
// No I/O, no clock, no threads: every call takes `now` (milliseconds, any monotonic origin) and
// returns the frames to send, as a span over buffers owned by the interface until the next call
// (move them out). Frames come from the buffer pool given at construction; nothing is allocated
// per packet (the tx list, neighbor cache, pending queue, reassembly slots and socket rings are
// all sized at construction). The pool's slabs must hold its headroom + 14 + MTU bytes: the
// MTU in use is clamped to that (and never below IPv6's 1280).
//
// Input (process):
//   Ethernet: accepted if the destination is our MAC, broadcast, or multicast; 802.1Q-tagged
//     and unknown ethertypes dropped (counted).
//   ARP: requests for our addresses answered (and the sender learned); replies and gratuitous
//     ARP refresh existing entries only.
//   IPv4: header checksum, our unicast/broadcast destinations only, fragments reassembled; ICMP
//     echo answered (not to broadcast: like Linux icmp_echo_ignore_broadcasts), UDP delivered
//     to the bound socket or answered with port unreachable (rate-limited, never for broadcast).
//   IPv6: our unicast, their solicited-node groups and ff02::1 only; extension headers walked
//     (bounded), fragments reassembled; NDP NS for our addresses answered with NA (hop limit
//     255 enforced, RFC 4861 §7.1), NA refreshes the cache; RS/RA counted (addresses come from
//     the network config, not SLAAC); echo answered; UDP as for IPv4 (ICMPv6 code 4).
// Output: UDP from sockets and our own echo requests, routed (on-link prefix, else the longest
//   matching route's gateway), fragmented above the MTU, resolved through ARP/NDP with a bounded
//   wait queue (poll() retransmits solicitations).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/buf/packet_buffer.h"
#include "netstack/iface/fragments.h"
#include "netstack/iface/neighbor_cache.h"
#include "netstack/socket/udp.h"
#include "netstack/tcp/tcp_socket_set.h"
#include "netstack/wire/icmpv6.h"
#include "netstack/wire/ip_address.h"

namespace ztkit::netstack {

struct ipv4_cidr {
  wire::ipv4_address addr;
  std::uint8_t prefix_len = 32;
};
struct ipv6_cidr {
  wire::ipv6_address addr;
  std::uint8_t prefix_len = 128;
};
// A route from the network config: `target` with its prefix length in `port`, via a gateway
// (nil `via` = on-link).
struct route {
  inet_address target;
  inet_address via;
};

struct interface_config {
  wire::mac_address mac;
  std::size_t mtu = 2800;  // ZeroTier's default
  std::vector<ipv4_cidr> ipv4;
  std::vector<ipv6_cidr> ipv6;
  std::vector<route> routes;
  bool allow_broadcast = true;
  std::uint8_t hop_limit = 64;
  std::size_t max_tx_frames = 256;  // frames one call can return (more are dropped, counted)
  std::uint32_t icmp_errors_per_s = 100;  // token bucket for ICMP errors we send
  std::uint32_t icmp_error_burst = 20;
  std::size_t max_udp_sockets = 64;
  // TCP (netstack/tcp): sockets, listeners, per-socket defaults (the MTU is set from `mtu`),
  // and the secret behind ISNs and SYN cookies (random per node; all zero only in tests).
  tcp_socket_set::config tcp;
  neighbor_cache::config neighbors;
  reassembler::config reassembly;

  // The config of a member of network `nwid`: its MAC derived from the node address
  // (zerotier-protocol.md §6.1, wire::mac_from_address); addresses and routes to be filled
  // from the network config.
  static interface_config for_member(zt_address node, std::uint64_t nwid, std::size_t mtu = 2800) {
    interface_config c;
    c.mac = ztkit::wire::mac_from_address(node, nwid);
    c.mtu = mtu;
    return c;
  }
};

struct interface_counters {
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_malformed = 0;      // a header too short or inconsistent
  std::uint64_t rx_bad_checksum = 0;
  std::uint64_t rx_not_for_us = 0;     // MAC or IP destination not ours
  std::uint64_t rx_vlan = 0;           // 802.1Q/802.1ad tagged: dropped
  std::uint64_t rx_unknown = 0;        // ethertype, protocol or message we do not handle
  std::uint64_t rx_bad_source = 0;     // broadcast/multicast source, bad NDP hop limit
  std::uint64_t arp_replied = 0;
  std::uint64_t ndp_replied = 0;
  std::uint64_t echo_replied = 0;
  std::uint64_t echo_replies_received = 0;
  std::uint64_t udp_delivered = 0;
  std::uint64_t udp_no_socket = 0;
  std::uint64_t udp_socket_full = 0;
  std::uint64_t icmp_errors_sent = 0;
  std::uint64_t icmp_rate_limited = 0;
  std::uint64_t icmp_errors_received = 0;
  std::uint64_t tx_frames = 0;
  std::uint64_t tx_no_buffer = 0;      // pool exhausted or slab too small
  std::uint64_t tx_overflow = 0;       // more than max_tx_frames in one call
  std::uint64_t tx_no_route = 0;
  std::uint64_t tcp_bad_segment = 0;   // malformed header/options or bad checksum
  std::uint64_t tcp_too_large = 0;     // a segment that does not fit the MTU (never sent)
};

struct echo_reply {
  inet_address src;
  std::uint16_t ident = 0, seq = 0;
  std::size_t data_len = 0;
};

class interface {
 public:
  interface(const interface_config& cfg, buf::buffer_pool& pool);

  // One received Ethernet frame. Returns the frames to send (valid until the next call).
  std::span<buf::packet_buffer> process(std::uint64_t now, std::span<const std::uint8_t> frame);
  std::span<buf::packet_buffer> process(std::uint64_t now, const buf::packet_buffer& frame) {
    return process(now, frame.bytes());
  }
  // Timers (resolution retries, expiries) and the sockets' queued datagrams.
  std::span<buf::packet_buffer> poll(std::uint64_t now);

  // Replaces the managed addresses; announces new ones (gratuitous ARP, unsolicited NA).
  std::span<buf::packet_buffer> set_addresses(std::uint64_t now, std::span<const ipv4_cidr> v4,
                                              std::span<const ipv6_cidr> v6);
  void set_routes(std::span<const route> routes) { cfg_.routes.assign(routes.begin(), routes.end()); }

  // An ICMP/ICMPv6 echo request from us. Replies are collected (take_echo_reply).
  std::span<buf::packet_buffer> send_ping(std::uint64_t now, const inet_address& dst,
                                          std::uint16_t ident, std::uint16_t seq,
                                          std::span<const std::uint8_t> data);
  std::optional<echo_reply> take_echo_reply();

  udp_socket_set& udp() { return udp_; }
  tcp_socket_set& tcp() { return tcp_; }
  // Sends what the TCP sockets have to send after application calls (connect, send, close):
  // the frames come back like process()'s.
  std::span<buf::packet_buffer> flush_tcp(std::uint64_t now);
  // The earliest time poll() has TCP work (retransmission, delayed ACK, keepalive, TIME-WAIT);
  // UINT64_MAX when none. Neighbor retries run on the caller's own tick.
  std::uint64_t poll_at() const { return tcp_.poll_at(); }
  const interface_config& config() const { return cfg_; }
  const interface_counters& counters() const { return counters_; }
  const neighbor_cache& neighbors() const { return neighbors_; }
  const reassembler& reassembly() const { return reasm_; }
  // Our source address for sending to `dst` (its port copied), or nullopt if no route.
  std::optional<inet_address> source_for(const inet_address& dst) const;
  bool is_our_ipv4(const wire::ipv4_address& a) const;
  bool is_our_ipv6(const wire::ipv6_address& a) const;

 private:
  struct ip_meta;  // defined in interface.cc

  void begin_call();
  // A new frame with room for `ip_len` bytes after the Ethernet header, src MAC and ethertype
  // written. Returns nullptr (counted) if no buffer.
  std::uint8_t* new_frame(buf::packet_buffer& out, std::uint16_t ethertype, std::size_t ip_len);
  void push_tx(buf::packet_buffer frame);
  void send_to_mac(buf::packet_buffer frame, const wire::mac_address& dst);
  void dispatch_v4(std::uint64_t now, const wire::ipv4_address& dst, buf::packet_buffer frame);
  void dispatch_v6(std::uint64_t now, const wire::ipv6_address& dst, buf::packet_buffer frame);
  void solicit(std::uint64_t now, const neighbor_key& k);
  void release_pending(const neighbor_key& k, const wire::mac_address& mac);

  void rx_arp(std::uint64_t now, std::span<const std::uint8_t> p);
  void rx_ipv4(std::uint64_t now, std::span<const std::uint8_t> p);
  void rx_ipv6(std::uint64_t now, std::span<const std::uint8_t> p);
  void rx_ipv4_upper(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> payload);
  void rx_icmpv4(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> p);
  void rx_icmpv6(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> p);
  void rx_udp(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> p);
  void rx_tcp(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> p);
  void send_tcp(std::uint64_t now);

  bool icmp_error_allowed(std::uint64_t now);
  void send_icmpv4_unreachable(std::uint64_t now, const ip_meta& m, std::uint8_t code);
  void send_icmpv6_error(std::uint64_t now, const ip_meta& m, std::uint8_t type,
                         std::uint8_t code);
  void send_icmpv6(std::uint64_t now, const wire::ipv6_address& src,
                   const wire::ipv6_address& dst, const wire::icmpv6_repr& msg,
                   std::uint8_t hop_limit);

  // Routing and source selection; false if no route.
  bool route_v4(const wire::ipv4_address& dst, wire::ipv4_address& next_hop,
                wire::ipv4_address& src) const;
  bool route_v6(const wire::ipv6_address& dst, wire::ipv6_address& next_hop,
                wire::ipv6_address& src) const;
  // IP output: header + fragmentation. `parts` are the upper-layer bytes, concatenated.
  void send_ipv4(std::uint64_t now, const wire::ipv4_address& src, const wire::ipv4_address& dst,
                 std::uint8_t protocol, std::span<const std::uint8_t> part1,
                 std::span<const std::uint8_t> part2);
  void send_ipv6(std::uint64_t now, const wire::ipv6_address& src, const wire::ipv6_address& dst,
                 std::uint8_t next_header, std::span<const std::uint8_t> part1,
                 std::span<const std::uint8_t> part2, std::uint8_t hop_limit);
  void flush_sockets(std::uint64_t now);
  void announce(std::uint64_t now);

  interface_config cfg_;
  buf::buffer_pool& pool_;
  std::vector<buf::packet_buffer> tx_;
  neighbor_cache neighbors_;
  reassembler reasm_;
  udp_socket_set udp_;
  tcp_socket_set tcp_;
  interface_counters counters_;
  std::uint16_t ipv4_ident_ = 1;
  std::uint32_t ipv6_ident_ = 1;
  std::uint64_t icmp_tokens_ = 0;  // in thousandths of a token
  std::uint64_t icmp_refill_at_ = 0;
  echo_reply echo_ring_[16];
  std::size_t echo_head_ = 0, echo_count_ = 0;
};

}  // namespace ztkit::netstack
