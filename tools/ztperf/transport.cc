#include "tools/ztperf/transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "ztkit/node.h"
#include "ztkit/udp.h"

namespace ztperf {

namespace {

// ---- ztkit ----

class ZtStream final : public Stream {
 public:
  explicit ZtStream(ztkit::TcpStream s) : s_(std::move(s)) {}
  Expected<std::size_t> read(std::span<std::byte> buf, millis timeout) override {
    return s_.read(buf, timeout);
  }
  Expected<void> write_all(std::span<const std::byte> data, millis timeout) override {
    return s_.write_all(data, timeout);
  }
  void shutdown_write() override { (void)s_.shutdown_write(); }
  Expected<void> set_nodelay(bool on) override { return s_.set_nodelay(on); }
  ztkit::TcpStats stats() const override { return s_.stats(); }
  SocketAddress peer() const override { return s_.peer_address(); }

 private:
  ztkit::TcpStream s_;
};

class ZtListener final : public Listener {
 public:
  explicit ZtListener(ztkit::TcpListener l) : l_(std::move(l)) {}
  Expected<std::unique_ptr<Stream>> accept(millis timeout) override {
    auto s = l_.accept(timeout);
    if (!s) return s.error();
    return std::unique_ptr<Stream>(new ZtStream(std::move(*s)));
  }
  std::uint16_t port() const override { return l_.local_address().port; }

 private:
  ztkit::TcpListener l_;
};

class ZtDatagram final : public Datagram {
 public:
  explicit ZtDatagram(ztkit::UdpSocket s) : s_(std::move(s)) {}
  Expected<std::size_t> send_to(std::span<const std::byte> data, const SocketAddress& to) override {
    return s_.send_to(data, to);
  }
  Expected<std::size_t> recv_from(std::span<std::byte> buf, SocketAddress* from,
                                  millis timeout) override {
    return s_.recv_from(buf, from, timeout);
  }
  std::uint16_t port() const override { return s_.local_address().port; }
  std::uint64_t send_errors() const override { return s_.counters().send_errors; }
  std::uint64_t receive_drops() const override { return s_.counters().dropped_full; }

 private:
  ztkit::UdpSocket s_;
};

class ZtTransport final : public Transport {
 public:
  ZtTransport(ztkit::Node& node, std::uint64_t nwid) : node_(node), nwid_(nwid) {}
  const char* name() const override { return "ztkit"; }
  Expected<std::unique_ptr<Listener>> listen(std::uint16_t port) override {
    auto l = ztkit::TcpListener::listen(node_, nwid_, {{}, port});
    if (!l) return l.error();
    return std::unique_ptr<Listener>(new ZtListener(std::move(*l)));
  }
  Expected<std::unique_ptr<Stream>> connect(const SocketAddress& to, millis timeout,
                                            bool nodelay) override {
    ztkit::TcpOptions o;
    o.nodelay = nodelay;
    auto s = ztkit::TcpStream::connect(node_, nwid_, to, timeout, o);
    if (!s) return s.error();
    return std::unique_ptr<Stream>(new ZtStream(std::move(*s)));
  }
  Expected<std::unique_ptr<Datagram>> bind_udp(std::uint16_t port) override {
    ztkit::UdpOptions o;
    o.recv_queue = 65536;
    o.send_queue = 4096;
    auto s = ztkit::UdpSocket::bind(node_, nwid_, {{}, port}, o);
    if (!s) return s.error();
    return std::unique_ptr<Datagram>(new ZtDatagram(std::move(*s)));
  }

 private:
  ztkit::Node& node_;
  std::uint64_t nwid_;
};

// ---- kernel sockets ----

Error sys_error(const std::string& what, int err = errno) {
  Errc c = Errc::io_error;
  if (err == ECONNREFUSED) c = Errc::connection_refused;
  else if (err == ECONNRESET || err == EPIPE) c = Errc::connection_reset;
  else if (err == EADDRINUSE) c = Errc::address_in_use;
  else if (err == ETIMEDOUT) c = Errc::timed_out;
  else if (err == EAGAIN || err == ENOBUFS) c = Errc::would_block;
  else if (err == ENETUNREACH || err == EHOSTUNREACH || err == EADDRNOTAVAIL) c = Errc::no_route;
  return Error(c, what + ": " + std::strerror(err));
}

socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  if (a.ip.family == IpAddress::Family::v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port);
    std::memcpy(&s6->sin6_addr, a.ip.bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* s4 = reinterpret_cast<sockaddr_in*>(ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(a.port);
  std::memcpy(&s4->sin_addr, a.ip.bytes.data(), 4);
  return sizeof(sockaddr_in);
}

SocketAddress from_sockaddr(const sockaddr_storage& ss) {
  SocketAddress a;
  if (ss.ss_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    a.ip.family = IpAddress::Family::v6;
    std::memcpy(a.ip.bytes.data(), &s6->sin6_addr, 16);
    a.port = ntohs(s6->sin6_port);
  } else if (ss.ss_family == AF_INET) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
    a.ip = IpAddress::v4(0, 0, 0, 0);
    std::memcpy(a.ip.bytes.data(), &s4->sin_addr, 4);
    a.port = ntohs(s4->sin_port);
  }
  return a;
}

std::uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  return from_sockaddr(ss).port;
}

// 1: readable/writable, 0: timed out, -1: error.
int wait_fd(int fd, short events, millis timeout) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
    if (r < 0 && errno == EINTR) continue;
    return r < 0 ? -1 : (r == 0 ? 0 : 1);
  }
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

class KernelStream final : public Stream {
 public:
  explicit KernelStream(Fd fd) : fd_(std::move(fd)) {
    timeval tv{60, 0};  // a stalled peer fails a blocking send instead of hanging forever
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  Expected<std::size_t> read(std::span<std::byte> buf, millis timeout) override {
    const int w = wait_fd(fd_.get(), POLLIN, timeout);
    if (w < 0) return sys_error("poll");
    if (w == 0) return Error(Errc::timed_out, "read timed out");
    for (;;) {
      const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return sys_error("recv");
    }
  }
  Expected<void> write_all(std::span<const std::byte> data, millis timeout) override {
    (void)timeout;  // SO_SNDTIMEO bounds each send
    while (!data.empty()) {
      const ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_error("send");
      }
      data = data.subspan(static_cast<std::size_t>(n));
    }
    return {};
  }
  void shutdown_write() override { ::shutdown(fd_.get(), SHUT_WR); }
  Expected<void> set_nodelay(bool on) override {
    int v = on ? 1 : 0;
    if (::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) != 0)
      return sys_error("TCP_NODELAY");
    return {};
  }
  ztkit::TcpStats stats() const override {
    ztkit::TcpStats s;
    tcp_info ti{};
    socklen_t len = sizeof(ti);
    if (::getsockopt(fd_.get(), IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
      s.retransmits = ti.tcpi_total_retrans;
      s.srtt_ms = ti.tcpi_rtt / 1000;
      s.mss = ti.tcpi_snd_mss;
      s.cwnd = ti.tcpi_snd_cwnd * ti.tcpi_snd_mss;
    }
    return s;
  }
  SocketAddress peer() const override {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return from_sockaddr(ss);
  }

 private:
  Fd fd_;
};

class KernelListener final : public Listener {
 public:
  explicit KernelListener(Fd fd) : fd_(std::move(fd)) {}
  Expected<std::unique_ptr<Stream>> accept(millis timeout) override {
    const int w = wait_fd(fd_.get(), POLLIN, timeout);
    if (w < 0) return sys_error("poll");
    if (w == 0) return Error(Errc::timed_out, "accept timed out");
    const int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return sys_error("accept");
    return std::unique_ptr<Stream>(new KernelStream(Fd(c)));
  }
  std::uint16_t port() const override { return local_port(fd_.get()); }

 private:
  Fd fd_;
};

class KernelDatagram final : public Datagram {
 public:
  explicit KernelDatagram(Fd fd) : fd_(std::move(fd)) {}
  Expected<std::size_t> send_to(std::span<const std::byte> data, const SocketAddress& to) override {
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(to, &ss);
    for (;;) {
      const ssize_t n =
          ::sendto(fd_.get(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != ENOBUFS) ++send_errors_;
      return sys_error("sendto");
    }
  }
  Expected<std::size_t> recv_from(std::span<std::byte> buf, SocketAddress* from,
                                  millis timeout) override {
    const int w = wait_fd(fd_.get(), POLLIN, timeout);
    if (w < 0) return sys_error("poll");
    if (w == 0) return Error(Errc::timed_out, "receive timed out");
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    const ssize_t n = ::recvfrom(fd_.get(), buf.data(), buf.size(), MSG_TRUNC,
                                 reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return sys_error("recvfrom");
    if (from != nullptr) *from = from_sockaddr(ss);
    return static_cast<std::size_t>(n);
  }
  std::uint16_t port() const override { return local_port(fd_.get()); }
  std::uint64_t send_errors() const override { return send_errors_; }
  std::uint64_t receive_drops() const override { return 0; }

 private:
  Fd fd_;
  std::uint64_t send_errors_ = 0;
};

class KernelTransport final : public Transport {
 public:
  explicit KernelTransport(const IpAddress& local) : local_(local) {}
  const char* name() const override { return "kernel"; }

  Expected<std::unique_ptr<Listener>> listen(std::uint16_t port) override {
    auto fd = bound_socket(SOCK_STREAM, port);
    if (!fd) return fd.error();
    if (::listen(fd->get(), 128) != 0) return sys_error("listen");
    return std::unique_ptr<Listener>(new KernelListener(std::move(*fd)));
  }
  Expected<std::unique_ptr<Stream>> connect(const SocketAddress& to, millis timeout,
                                            bool nodelay) override {
    auto fd = bound_socket(SOCK_STREAM, 0);
    if (!fd) return fd.error();
    if (nodelay) {
      int v = 1;
      ::setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
    }
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr(to, &ss);
    if (::connect(fd->get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
      return sys_error("connect to " + to.to_string());
    return std::unique_ptr<Stream>(new KernelStream(std::move(*fd)));
  }
  Expected<std::unique_ptr<Datagram>> bind_udp(std::uint16_t port) override {
    auto fd = bound_socket(SOCK_DGRAM, port);
    if (!fd) return fd.error();
    int sz = 8 << 20;
    ::setsockopt(fd->get(), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    ::setsockopt(fd->get(), SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    return std::unique_ptr<Datagram>(new KernelDatagram(std::move(*fd)));
  }

 private:
  Expected<Fd> bound_socket(int type, std::uint16_t port) {
    const int family = local_.family == IpAddress::Family::v6 ? AF_INET6 : AF_INET;
    Fd fd(::socket(family, type | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return sys_error("socket");
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_storage ss;
    const socklen_t len = to_sockaddr({local_, port}, &ss);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
      return sys_error("bind " + SocketAddress{local_, port}.to_string());
    return fd;
  }

  IpAddress local_;
};

}  // namespace

std::unique_ptr<Transport> make_ztkit_transport(ztkit::Node& node, std::uint64_t nwid) {
  return std::make_unique<ZtTransport>(node, nwid);
}

std::unique_ptr<Transport> make_kernel_transport(const IpAddress& local) {
  return std::make_unique<KernelTransport>(local);
}

}  // namespace ztperf
