// The kernel's side of an address and of a UDP socket: inet_address <-> sockaddr conversions and
// the creation of a bound, non-blocking UDP socket with the options every real backend shares
// (SO_REUSEPORT, buffer sizes, dual-stack, UDP_GRO). Used by uring_backend and epoll_backend.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "engine/base/result.h"
#include "engine/io/backend.h"

namespace ztkit::io {

// Fills `out` and returns the length to pass to the kernel (0 for a nil address).
socklen_t to_sockaddr(const inet_address& a, sockaddr_storage& out);
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket reports) come back as
// IPv4, so that a reply goes to the address the peer thinks it has. Unknown families: nil.
inet_address from_sockaddr(const sockaddr* sa, socklen_t len);

// Maps an IPv4 destination to ::ffff:a.b.c.d when sending from an AF_INET6 socket.
socklen_t to_sockaddr_for(const inet_address& a, int socket_family, sockaddr_storage& out);

struct udp_socket {
  int fd = -1;
  int family = 0;         // AF_INET or AF_INET6
  bool gro = false;       // UDP_GRO is on: datagrams may arrive coalesced
  inet_address local;     // after bind (the kernel's port when 0 was asked)
};

// Creates a non-blocking UDP socket bound to options.bind. An IPv6 wildcard bind is dual-stack
// (IPV6_V6ONLY off) so one socket serves both families; a specific IPv6 address is v6-only.
// `want_gro`: try UDP_GRO (silently off where the kernel refuses). Errors name the address and
// the errno text.
result<udp_socket> open_udp_socket(const socket_options& options, bool want_gro);

// Control messages for UDP GSO/GRO. A UDP_SEGMENT cmsg needs udp_segment_cmsg_space bytes at
// `ctrl` (8-byte aligned); a UDP_GRO one on receive fits in gro_cmsg_space.
inline constexpr std::size_t udp_segment_cmsg_space = CMSG_SPACE(sizeof(std::uint16_t));
inline constexpr std::size_t gro_cmsg_space = CMSG_SPACE(sizeof(int));
void set_udp_segment_cmsg(msghdr& msg, void* ctrl, std::uint16_t segment_size);
// The segment size from a received control block (UDP_GRO), 0 when there is none.
std::uint16_t gro_segment_from_control(const void* ctrl, std::size_t len);

// Probes whether this kernel accepts UDP_SEGMENT (GSO) and UDP_GRO on a throwaway socket.
bool kernel_has_udp_gso();
bool kernel_has_udp_gro();

}  // namespace ztkit::io
