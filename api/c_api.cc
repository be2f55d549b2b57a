// The C ABI (include/ztkit/zt.h) over the C++ API: a table of sockets (ztkit descriptors start
// at 1000 so they are never mistaken for kernel ones), BSD semantics on top of TcpListener /
// TcpStream / UdpSocket, errors as errno values. The table's mutex is held only to look a
// socket up or change what it is; reads and writes run on the socket's own objects, which are
// thread-safe.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <algorithm>
#include <memory>
#include <optional>
#include <mutex>
#include <vector>

#include "ztkit/node.h"
#include "ztkit/poll.h"
#include "ztkit/tcp.h"
#include "ztkit/udp.h"
#include "ztkit/zt.h"

struct ztk_node {
  std::unique_ptr<ztkit::Node> node;
};

namespace {

using namespace ztkit;
using ms = std::chrono::milliseconds;

constexpr int fd_base = 1000;

struct csock {
  ztk_node* node = nullptr;
  std::uint64_t nwid = 0;
  int family = AF_INET;
  int type = SOCK_STREAM;
  std::mutex mu;  // what the socket is (bind/listen/connect/close), not its I/O
  std::optional<SocketAddress> bound;
  std::shared_ptr<TcpListener> listener;
  std::shared_ptr<TcpStream> stream;
  std::shared_ptr<UdpSocket> udp;
  bool nonblocking = false;
  ms rcvtimeo{-1}, sndtimeo{-1};
  bool nodelay = false;
  bool keepalive = false;
  int keepidle_s = 7200, keepintvl_s = 75, keepcnt = 9;  // TCP_KEEPIDLE / KEEPINTVL / KEEPCNT
  std::optional<ms> linger;                              // SO_LINGER
  int sndbuf = 256 * 1024, rcvbuf = 256 * 1024;          // SO_SNDBUF / SO_RCVBUF
  int pending_error = 0;  // SO_ERROR
};

std::mutex table_mu;
std::vector<std::shared_ptr<csock>> table;

std::shared_ptr<csock> lookup(int fd) {
  std::lock_guard lock(table_mu);
  const int i = fd - fd_base;
  if (i < 0 || i >= static_cast<int>(table.size())) return nullptr;
  return table[static_cast<std::size_t>(i)];
}

int fail(int e) {
  errno = e;
  return -1;
}

int to_errno(const Error& e) {
  switch (static_cast<Errc>(e.code.value())) {
    case Errc::ok: return 0;
    case Errc::invalid_argument: return EINVAL;
    case Errc::not_found: return ENOENT;
    case Errc::not_joined: return ENETUNREACH;
    case Errc::network_not_ready: return ENETUNREACH;
    case Errc::no_route: return EHOSTUNREACH;
    case Errc::address_in_use: return EADDRINUSE;
    case Errc::would_block: return EAGAIN;
    case Errc::timed_out: return ETIMEDOUT;
    case Errc::connection_refused: return ECONNREFUSED;
    case Errc::connection_reset: return ECONNRESET;
    case Errc::not_connected: return ENOTCONN;
    case Errc::closed: return EPIPE;
    case Errc::no_buffer: return ENOBUFS;
    case Errc::io_error: return EIO;
    case Errc::stopped: return ENETDOWN;
    case Errc::internal: return EIO;
  }
  return EIO;
}

bool from_sockaddr(const sockaddr* a, socklen_t len, SocketAddress& out) {
  if (a == nullptr) return false;
  if (a->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(a);
    out = {};
    if (s->sin_addr.s_addr != 0) {
      out.ip.family = IpAddress::Family::v4;
      std::memcpy(out.ip.bytes.data(), &s->sin_addr, 4);
    }
    out.port = ntohs(s->sin_port);
    return true;
  }
  if (a->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* s = reinterpret_cast<const sockaddr_in6*>(a);
    out = {};
    static const in6_addr any = IN6ADDR_ANY_INIT;
    if (std::memcmp(&s->sin6_addr, &any, 16) != 0) {
      out.ip.family = IpAddress::Family::v6;
      std::memcpy(out.ip.bytes.data(), &s->sin6_addr, 16);
    }
    out.port = ntohs(s->sin6_port);
    return true;
  }
  return false;
}

void to_sockaddr(const SocketAddress& s, int family, sockaddr* a, socklen_t* len) {
  if (a == nullptr || len == nullptr) return;
  sockaddr_storage st{};
  socklen_t n;
  if (s.ip.family == IpAddress::Family::v6 || (s.ip.is_any() && family == AF_INET6)) {
    auto* x = reinterpret_cast<sockaddr_in6*>(&st);
    x->sin6_family = AF_INET6;
    x->sin6_port = htons(s.port);
    if (!s.ip.is_any()) std::memcpy(&x->sin6_addr, s.ip.bytes.data(), 16);
    n = sizeof(sockaddr_in6);
  } else {
    auto* x = reinterpret_cast<sockaddr_in*>(&st);
    x->sin_family = AF_INET;
    x->sin_port = htons(s.port);
    if (!s.ip.is_any()) std::memcpy(&x->sin_addr, s.ip.bytes.data(), 4);
    n = sizeof(sockaddr_in);
  }
  std::memcpy(a, &st, std::min(*len, n));
  *len = n;
}

ms recv_timeout(const csock& s) { return s.nonblocking ? ms(0) : s.rcvtimeo; }
ms send_timeout(const csock& s) { return s.nonblocking ? ms(0) : s.sndtimeo; }

// recv/send with a timeout: the kernel reports EAGAIN when SO_RCVTIMEO expires.
int io_errno(const Error& e) { return e.is(Errc::timed_out) ? EAGAIN : to_errno(e); }

TcpOptions tcp_options(const csock& s) {
  TcpOptions o;
  o.nodelay = s.nodelay;
  if (s.keepalive) o.keepalive_idle = ms(std::int64_t{s.keepidle_s} * 1000);
  o.keepalive_interval = ms(std::int64_t{s.keepintvl_s} * 1000);
  o.keepalive_count = static_cast<unsigned>(s.keepcnt);
  o.linger = s.linger;
  o.send_buffer = static_cast<std::size_t>(s.sndbuf);
  o.recv_buffer = static_cast<std::size_t>(s.rcvbuf);
  return o;
}

}  // namespace

extern "C" {

void ztk_node_options_init(ztk_node_options* o) {
  if (o) *o = ztk_node_options{};
}

int ztk_node_start(const ztk_node_options* o, ztk_node** out) {
  if (o == nullptr || out == nullptr || o->state_dir == nullptr) return EINVAL;
  NodeOptions no;
  no.state_dir = o->state_dir;
  if (o->planet_file) no.planet_file = o->planet_file;
  if (o->listen) no.listen = o->listen;
  no.allow_loopback = o->allow_loopback != 0;
  if (o->shards < 0) return EINVAL;
  no.shards = o->shards == 0 ? 1u : static_cast<unsigned>(o->shards);
  auto n = Node::start(std::move(no));
  if (!n) return to_errno(n.error());
  *out = new ztk_node{std::move(*n)};
  return 0;
}

void ztk_node_free(ztk_node* n) {
  if (n == nullptr) return;
  n->node->stop();
  {
    // Sockets of this node stop pointing at it (their calls then fail with ENETDOWN).
    std::lock_guard lock(table_mu);
    for (auto& s : table)
      if (s && s->node == n) {
        std::lock_guard l2(s->mu);
        s->node = nullptr;
      }
  }
  delete n;
}

uint64_t ztk_node_address(const ztk_node* n) { return n ? n->node->address_value() : 0; }

int ztk_node_join(ztk_node* n, uint64_t nwid) {
  if (!n) return EINVAL;
  auto r = n->node->join(nwid);
  return r ? 0 : to_errno(r.error());
}

int ztk_node_leave(ztk_node* n, uint64_t nwid) {
  if (!n) return EINVAL;
  auto r = n->node->leave(nwid);
  return r ? 0 : (r.error().is(Errc::not_joined) ? ENOENT : to_errno(r.error()));
}

int ztk_node_wait_network(ztk_node* n, uint64_t nwid, int timeout_ms, char* buf, size_t len) {
  if (!n) return EINVAL;
  auto r = n->node->wait_network_ready(nwid, ms(timeout_ms < 0 ? 86'400'000 : timeout_ms));
  if (!r) return r.error().is(Errc::not_joined) ? ENOENT : to_errno(r.error());
  if (buf && len > 0) {
    const std::string ip = r->addresses.empty() ? std::string() : r->addresses[0].ip.to_string();
    std::snprintf(buf, len, "%s", ip.c_str());
  }
  return 0;
}

int ztk_socket(ztk_node* n, uint64_t nwid, int family, int type, int protocol) {
  if (n == nullptr) return fail(EINVAL);
  if (family != AF_INET && family != AF_INET6) return fail(EAFNOSUPPORT);
  const int base_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (base_type != SOCK_STREAM && base_type != SOCK_DGRAM) return fail(EPROTONOSUPPORT);
  if (protocol != 0 && protocol != (base_type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
    return fail(EPROTONOSUPPORT);
  auto s = std::make_shared<csock>();
  s->node = n;
  s->nwid = nwid;
  s->family = family;
  s->type = base_type;
  s->nonblocking = (type & SOCK_NONBLOCK) != 0;
  std::lock_guard lock(table_mu);
  for (std::size_t i = 0; i < table.size(); ++i)
    if (!table[i]) {
      table[i] = s;
      return fd_base + static_cast<int>(i);
    }
  if (table.size() >= 65536) return fail(EMFILE);
  table.push_back(s);
  return fd_base + static_cast<int>(table.size() - 1);
}

int ztk_bind(int fd, const sockaddr* addr, socklen_t len) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  SocketAddress a;
  if (!from_sockaddr(addr, len, a)) return fail(EINVAL);
  std::lock_guard lock(s->mu);
  if (!s->node) return fail(ENETDOWN);
  if (s->bound || s->listener || s->stream || s->udp) return fail(EINVAL);
  if (s->type == SOCK_DGRAM) {
    auto u = UdpSocket::bind(*s->node->node, s->nwid, a);
    if (!u) return fail(to_errno(u.error()));
    s->udp = std::make_shared<UdpSocket>(std::move(*u));
  }
  s->bound = a;
  return 0;
}

int ztk_listen(int fd, int backlog) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  std::lock_guard lock(s->mu);
  if (!s->node) return fail(ENETDOWN);
  if (s->type != SOCK_STREAM) return fail(EOPNOTSUPP);
  if (s->listener) return 0;
  if (!s->bound || s->bound->port == 0) return fail(EDESTADDRREQ);
  auto l = TcpListener::listen(*s->node->node, s->nwid, *s->bound,
                               static_cast<std::size_t>(std::clamp(backlog, 1, 65536)), tcp_options(*s));
  if (!l) return fail(to_errno(l.error()));
  s->listener = std::make_shared<TcpListener>(std::move(*l));
  return 0;
}

int ztk_accept(int fd, sockaddr* addr, socklen_t* len) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  std::shared_ptr<TcpListener> l;
  ms timeout;
  ztk_node* node;
  {
    std::lock_guard lock(s->mu);
    l = s->listener;
    timeout = recv_timeout(*s);
    node = s->node;
  }
  if (!l) return fail(EINVAL);
  auto c = l->accept(timeout);
  if (!c) return fail(io_errno(c.error()));
  const SocketAddress peer = c->peer_address();
  const int nfd = ztk_socket(node, s->nwid, s->family, SOCK_STREAM, 0);
  if (nfd < 0) return -1;
  auto ns = lookup(nfd);
  {
    std::lock_guard lock(ns->mu);
    ns->stream = std::make_shared<TcpStream>(std::move(*c));
    ns->bound = ns->stream->local_address();
    ns->nodelay = s->nodelay;
    ns->keepalive = s->keepalive;
    ns->linger = s->linger;
    (void)ns->stream->set_linger(ns->linger);  // SO_LINGER may have changed since listen()
  }
  to_sockaddr(peer, s->family, addr, len);
  return nfd;
}

int ztk_connect(int fd, const sockaddr* addr, socklen_t len) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  SocketAddress a;
  if (!from_sockaddr(addr, len, a) || a.ip.is_any() || a.port == 0) return fail(EINVAL);
  std::unique_lock lock(s->mu);
  if (!s->node) return fail(ENETDOWN);
  if (s->type == SOCK_DGRAM) {  // a default destination is not kept: sendto only
    return fail(EOPNOTSUPP);
  }
  if (s->stream) return fail(EISCONN);
  if (s->listener) return fail(EINVAL);
  const ms timeout = s->sndtimeo.count() >= 0 ? s->sndtimeo : ms(75'000);  // Linux's SYN retries
  auto c = TcpStream::connect(*s->node->node, s->nwid, a, timeout, tcp_options(*s));
  if (!c) {
    s->pending_error = to_errno(c.error());
    return fail(s->pending_error);
  }
  s->stream = std::make_shared<TcpStream>(std::move(*c));
  s->bound = s->stream->local_address();
  return 0;
}

ssize_t ztk_send(int fd, const void* buf, size_t len, int flags) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  std::shared_ptr<TcpStream> st;
  ms timeout;
  {
    std::lock_guard lock(s->mu);
    if (s->type == SOCK_DGRAM) return fail(EDESTADDRREQ);
    st = s->stream;
    timeout = (flags & MSG_DONTWAIT) ? ms(0) : send_timeout(*s);
  }
  if (!st) return fail(ENOTCONN);
  auto n = st->write({static_cast<const std::byte*>(buf), len}, timeout);
  if (!n) return fail(n.error().is(Errc::closed) ? EPIPE : io_errno(n.error()));
  return static_cast<ssize_t>(*n);
}

ssize_t ztk_recv(int fd, void* buf, size_t len, int flags) {
  return ztk_recvfrom(fd, buf, len, flags, nullptr, nullptr);
}

ssize_t ztk_sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to, socklen_t tolen) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  if (s->type == SOCK_STREAM) return ztk_send(fd, buf, len, flags);
  SocketAddress a;
  if (!from_sockaddr(to, tolen, a)) return fail(EINVAL);
  std::shared_ptr<UdpSocket> u;
  {
    std::lock_guard lock(s->mu);
    if (!s->node) return fail(ENETDOWN);
    if (!s->udp) {  // implicit bind to an ephemeral port, as the kernel does
      auto b = UdpSocket::bind(*s->node->node, s->nwid, {});
      if (!b) return fail(to_errno(b.error()));
      s->udp = std::make_shared<UdpSocket>(std::move(*b));
      s->bound = s->udp->local_address();
    }
    u = s->udp;
  }
  auto n = u->send_to({static_cast<const std::byte*>(buf), len}, a);
  if (!n) return fail(to_errno(n.error()));
  return static_cast<ssize_t>(*n);
}

ssize_t ztk_recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fromlen) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  std::shared_ptr<TcpStream> st;
  std::shared_ptr<UdpSocket> u;
  ms timeout;
  int family;
  {
    std::lock_guard lock(s->mu);
    st = s->stream;
    u = s->udp;
    timeout = (flags & MSG_DONTWAIT) ? ms(0) : recv_timeout(*s);
    family = s->family;
  }
  if (st) {
    auto n = st->read({static_cast<std::byte*>(buf), len}, timeout);
    if (!n) return fail(io_errno(n.error()));
    if (from && fromlen) to_sockaddr(st->peer_address(), family, from, fromlen);
    return static_cast<ssize_t>(*n);
  }
  if (u) {
    SocketAddress src;
    auto n = u->recv_from({static_cast<std::byte*>(buf), len}, &src, timeout);
    if (!n) return fail(io_errno(n.error()));
    to_sockaddr(src, family, from, fromlen);
    return static_cast<ssize_t>(std::min(*n, len));
  }
  return fail(s->type == SOCK_STREAM ? ENOTCONN : EINVAL);
}

int ztk_shutdown(int fd, int how) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  if (how != SHUT_WR && how != SHUT_RDWR && how != SHUT_RD) return fail(EINVAL);
  std::shared_ptr<TcpStream> st;
  {
    std::lock_guard lock(s->mu);
    st = s->stream;
  }
  if (!st) return fail(ENOTCONN);
  if (how == SHUT_RD) return 0;  // nothing to tell the peer; reads still drain
  auto r = st->shutdown_write();
  return r ? 0 : fail(to_errno(r.error()));
}

int ztk_close(int fd) {
  std::shared_ptr<csock> s;
  {
    std::lock_guard lock(table_mu);
    const int i = fd - fd_base;
    if (i < 0 || i >= static_cast<int>(table.size()) || !table[static_cast<std::size_t>(i)])
      return fail(EBADF);
    s = std::move(table[static_cast<std::size_t>(i)]);
  }
  std::lock_guard lock(s->mu);
  if (s->stream) s->stream->close();
  if (s->listener) s->listener->close();
  if (s->udp) s->udp->close();
  return 0;
}

int ztk_setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  if (value == nullptr) return fail(EFAULT);
  std::lock_guard lock(s->mu);
  if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
    if (len < sizeof(timeval)) return fail(EINVAL);
    const auto* tv = static_cast<const timeval*>(value);
    if (tv->tv_sec < 0 || tv->tv_usec < 0) return fail(EDOM);
    const std::int64_t v = tv->tv_sec * 1000 + tv->tv_usec / 1000;
    (name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo) = ms(v == 0 ? -1 : v);  // 0 = forever
    return 0;
  }
  if (level == SOL_SOCKET && name == SO_LINGER) {
    if (len < sizeof(struct linger)) return fail(EINVAL);
    const auto* lg = static_cast<const struct linger*>(value);
    if (lg->l_onoff && lg->l_linger < 0) return fail(EINVAL);
    s->linger = lg->l_onoff ? std::optional<ms>(ms(std::int64_t{lg->l_linger} * 1000)) : std::nullopt;
    if (s->stream) (void)s->stream->set_linger(s->linger);
    return 0;
  }
  if (len < sizeof(int)) return fail(EINVAL);
  const int v = *static_cast<const int*>(value);
  const int on = v != 0;
  if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF)) {
    // The pipes of connections made or accepted afterwards (clamped like the kernel does).
    const int size = std::clamp(v, 4096, 64 << 20);
    (name == SO_SNDBUF ? s->sndbuf : s->rcvbuf) = size;
    return 0;
  }
  if (level == IPPROTO_TCP && (name == TCP_KEEPIDLE || name == TCP_KEEPINTVL || name == TCP_KEEPCNT)) {
    if (s->type != SOCK_STREAM) return fail(ENOPROTOOPT);
    if (v < 1 || v > (name == TCP_KEEPCNT ? 127 : 32767)) return fail(EINVAL);
    (name == TCP_KEEPIDLE ? s->keepidle_s : name == TCP_KEEPINTVL ? s->keepintvl_s : s->keepcnt) = v;
    if (name == TCP_KEEPIDLE && s->keepalive && s->stream) (void)s->stream->set_keepalive(ms(std::int64_t{v} * 1000));
    return 0;
  }
  if (level == IPPROTO_TCP && name == TCP_NODELAY) {
    if (s->type != SOCK_STREAM) return fail(ENOPROTOOPT);
    s->nodelay = on;
    if (s->stream) (void)s->stream->set_nodelay(on);
    return 0;
  }
  if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
    s->keepalive = on;
    if (s->stream) (void)s->stream->set_keepalive(on ? ms(std::int64_t{s->keepidle_s} * 1000) : ms(0));
    return 0;
  }
  if (level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_REUSEPORT)) return 0;
  return fail(ENOPROTOOPT);
}

int ztk_getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  if (value == nullptr || len == nullptr || *len < sizeof(int)) return fail(EINVAL);
  std::lock_guard lock(s->mu);
  if (level == SOL_SOCKET && name == SO_LINGER) {
    if (*len < sizeof(struct linger)) return fail(EINVAL);
    struct linger lg {};
    lg.l_onoff = s->linger.has_value();
    lg.l_linger = s->linger ? static_cast<int>(s->linger->count() / 1000) : 0;
    std::memcpy(value, &lg, sizeof lg);
    *len = sizeof lg;
    return 0;
  }
  int v = 0;
  if (level == SOL_SOCKET && name == SO_ERROR) {
    v = s->pending_error;
    s->pending_error = 0;
  } else if (level == SOL_SOCKET && name == SO_TYPE) {
    v = s->type;
  } else if (level == IPPROTO_TCP && name == TCP_NODELAY) {
    v = s->nodelay;
  } else if (level == SOL_SOCKET && name == SO_KEEPALIVE) {
    v = s->keepalive;
  } else if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF)) {
    v = name == SO_SNDBUF ? s->sndbuf : s->rcvbuf;
  } else if (level == IPPROTO_TCP && name == TCP_KEEPIDLE) {
    v = s->keepidle_s;
  } else if (level == IPPROTO_TCP && name == TCP_KEEPINTVL) {
    v = s->keepintvl_s;
  } else if (level == IPPROTO_TCP && name == TCP_KEEPCNT) {
    v = s->keepcnt;
  } else {
    return fail(ENOPROTOOPT);
  }
  std::memcpy(value, &v, sizeof v);
  *len = sizeof v;
  return 0;
}

int ztk_fcntl(int fd, int cmd, int flags) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  std::lock_guard lock(s->mu);
  if (cmd == F_GETFL) return O_RDWR | (s->nonblocking ? O_NONBLOCK : 0);
  if (cmd == F_SETFL) {
    s->nonblocking = (flags & O_NONBLOCK) != 0;
    return 0;
  }
  return fail(EINVAL);
}

int ztk_getsockname(int fd, sockaddr* addr, socklen_t* len) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  std::lock_guard lock(s->mu);
  SocketAddress a;
  if (s->stream) a = s->stream->local_address();
  else if (s->udp) a = s->udp->local_address();
  else if (s->listener) a = s->listener->local_address();
  else if (s->bound) a = *s->bound;
  to_sockaddr(a, s->family, addr, len);
  return 0;
}

int ztk_getpeername(int fd, sockaddr* addr, socklen_t* len) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  std::lock_guard lock(s->mu);
  if (!s->stream) return fail(ENOTCONN);
  to_sockaddr(s->stream->peer_address(), s->family, addr, len);
  return 0;
}

int ztk_event_fd(int fd) {
  auto s = lookup(fd);
  if (!s) return fail(EBADF);
  std::lock_guard lock(s->mu);
  if (s->stream) return s->stream->fd();
  if (s->listener) return s->listener->fd();
  if (s->udp) return s->udp->fd();
  return fail(ENOTCONN);
}

int ztk_poll(struct pollfd* fds, nfds_t n, int timeout_ms) {
  if (fds == nullptr && n > 0) return fail(EFAULT);
  if (n > 65536) return fail(EINVAL);
  // The sockets' objects, held for the wait; ztkit::poll does the rest (POLLOUT only when a
  // send would not block, POLLERR / POLLHUP from the stream's state).
  std::vector<std::shared_ptr<void>> hold;
  std::vector<PollItem> items;
  std::vector<nfds_t> index;  // items[k] is fds[index[k]]
  int immediate = 0;
  for (nfds_t i = 0; i < n; ++i) {
    fds[i].revents = 0;
    auto s = lookup(fds[i].fd);
    if (!s) {
      fds[i].revents = POLLNVAL;
      ++immediate;
      continue;
    }
    unsigned want = 0;
    if (fds[i].events & (POLLIN | POLLRDNORM)) want |= PollItem::readable;
    if (fds[i].events & (POLLOUT | POLLWRNORM)) want |= PollItem::writable;
    std::lock_guard lock(s->mu);
    if (s->stream) {
      hold.push_back(s->stream);
      items.emplace_back(*s->stream, want);
    } else if (s->listener) {
      hold.push_back(s->listener);
      items.emplace_back(*s->listener, want & PollItem::readable);
    } else if (s->udp) {
      hold.push_back(s->udp);
      items.emplace_back(*s->udp, want);
    } else {
      // Not yet bound or connected: a datagram socket can send (bound on first use).
      if (s->type == SOCK_DGRAM && (want & PollItem::writable)) {
        fds[i].revents = POLLOUT;
        ++immediate;
      }
      continue;
    }
    index.push_back(i);
  }
  auto r = ztkit::poll(items, ms(immediate > 0 ? 0 : (timeout_ms < 0 ? -1 : timeout_ms)));
  if (!r) return fail(to_errno(r.error()));
  int count = immediate;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const unsigned e = items[k].revents;
    short re = 0;
    if (e & PollItem::readable) re |= POLLIN;
    if (e & PollItem::writable) re |= POLLOUT;
    if (e & PollItem::error) re |= POLLERR;
    if (e & PollItem::hangup) re |= POLLHUP;
    if (e & PollItem::invalid) re |= POLLNVAL;
    fds[index[k]].revents = re;
    if (re) ++count;
  }
  return count;
}

}  // extern "C"
