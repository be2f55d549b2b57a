#include "engine/io/socket_address.h"

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace ztkit::io {

socklen_t to_sockaddr(const inet_address& a, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  if (a.fam == inet_address::family::ipv4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&out);
    s->sin_family = AF_INET;
    s->sin_port = htons(a.port);
    std::memcpy(&s->sin_addr, a.ip.data(), 4);
    return sizeof(sockaddr_in);
  }
  if (a.fam == inet_address::family::ipv6) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&out);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(a.port);
    std::memcpy(&s->sin6_addr, a.ip.data(), 16);
    return sizeof(sockaddr_in6);
  }
  return 0;
}

socklen_t to_sockaddr_for(const inet_address& a, int socket_family, sockaddr_storage& out) {
  if (socket_family == AF_INET6 && a.fam == inet_address::family::ipv4) {
    std::memset(&out, 0, sizeof(out));
    auto* s = reinterpret_cast<sockaddr_in6*>(&out);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(a.port);
    s->sin6_addr.s6_addr[10] = 0xff;
    s->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&s->sin6_addr.s6_addr[12], a.ip.data(), 4);
    return sizeof(sockaddr_in6);
  }
  return to_sockaddr(a, out);
}

inet_address from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return {};
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in s;
    std::memcpy(&s, sa, sizeof(s));
    std::array<std::uint8_t, 4> ip;
    std::memcpy(ip.data(), &s.sin_addr, 4);
    return inet_address::v4(ip, ntohs(s.sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 s;
    std::memcpy(&s, sa, sizeof(s));
    if (IN6_IS_ADDR_V4MAPPED(&s.sin6_addr)) {
      std::array<std::uint8_t, 4> ip;
      std::memcpy(ip.data(), &s.sin6_addr.s6_addr[12], 4);
      return inet_address::v4(ip, ntohs(s.sin6_port));
    }
    std::array<std::uint8_t, 16> ip;
    std::memcpy(ip.data(), &s.sin6_addr, 16);
    return inet_address::v6(ip, ntohs(s.sin6_port));
  }
  return {};
}

namespace {

error socket_error(const inet_address& at, const char* what, int err) {
  return error{errc::io_error, std::string("udp socket on ") + at.to_string() + ": " + what +
                                   ": " + std::strerror(err)};
}

bool is_wildcard(const inet_address& a) {
  for (std::uint8_t b : a.ip)
    if (b != 0) return false;
  return true;
}

}  // namespace

result<udp_socket> open_udp_socket(const socket_options& options, bool want_gro) {
  const inet_address& at = options.bind;
  if (at.is_nil()) return error{errc::invalid_argument, "udp socket: no bind address given"};
  udp_socket s;
  s.family = at.fam == inet_address::family::ipv6 ? AF_INET6 : AF_INET;
  s.fd = ::socket(s.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return socket_error(at, "socket()", errno);
  auto fail = [&](const char* what) -> error {
    const int err = errno;
    ::close(s.fd);
    return socket_error(at, what, err);
  };
  const int one = 1;
  if (options.reuse_port &&
      ::setsockopt(s.fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
    return fail("SO_REUSEPORT");
  if (s.family == AF_INET6) {
    // Wildcard: one socket for both families. A specific address can only be one of them.
    const int v6only = is_wildcard(at) ? 0 : 1;
    if (::setsockopt(s.fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0)
      return fail("IPV6_V6ONLY");
  }
  // Buffer sizes are best effort: the kernel caps them at net.core.[rw]mem_max, and root may
  // go beyond with the FORCE variants.
  if (options.receive_buffer_bytes > 0) {
    const int v = options.receive_buffer_bytes;
    if (::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0)
      (void)::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
  }
  if (options.send_buffer_bytes > 0) {
    const int v = options.send_buffer_bytes;
    if (::setsockopt(s.fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) != 0)
      (void)::setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
  }
  if (want_gro) s.gro = ::setsockopt(s.fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;

  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(at, ss);
  if (::bind(s.fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) return fail("bind");
  socklen_t got = sizeof(ss);
  if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&ss), &got) != 0)
    return fail("getsockname");
  s.local = from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), got);
  // A dual-stack wildcard reports "::": keep the family the caller asked for.
  if (s.family == AF_INET6 && s.local.fam == inet_address::family::ipv4) s.local = at;
  return s;
}

void set_udp_segment_cmsg(msghdr& msg, void* ctrl, std::uint16_t segment_size) {
  std::memset(ctrl, 0, udp_segment_cmsg_space);
  msg.msg_control = ctrl;
  msg.msg_controllen = udp_segment_cmsg_space;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  std::memcpy(CMSG_DATA(c), &segment_size, sizeof(segment_size));
}

std::uint16_t gro_segment_from_control(const void* ctrl, std::size_t len) {
  // Walked by hand with memcpy: the block may sit at any alignment inside a provided buffer.
  const auto* p = static_cast<const std::uint8_t*>(ctrl);
  std::size_t off = 0;
  while (off + sizeof(cmsghdr) <= len) {
    cmsghdr c;
    std::memcpy(&c, p + off, sizeof(c));
    if (c.cmsg_len < sizeof(cmsghdr) || off + c.cmsg_len > len) break;
    if (c.cmsg_level == SOL_UDP && c.cmsg_type == UDP_GRO &&
        c.cmsg_len >= CMSG_LEN(sizeof(int))) {
      int v;
      std::memcpy(&v, p + off + CMSG_LEN(0), sizeof(v));
      return v > 0 && v <= 0xffff ? static_cast<std::uint16_t>(v) : 0;
    }
    off += CMSG_ALIGN(c.cmsg_len);
  }
  return 0;
}

bool kernel_has_udp_gso() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int v = 0;
  socklen_t len = sizeof(v);
  const bool ok = ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &len) == 0;
  ::close(fd);
  return ok;
}

bool kernel_has_udp_gro() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  const bool ok = ::setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace ztkit::io
