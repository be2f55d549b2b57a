#include "tools/zt/relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace ztkit::tools {

using namespace std::chrono_literals;

namespace {

void signal_eventfd(int fd) {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);
}

void drain_eventfd(int fd) {
  std::uint64_t v;
  [[maybe_unused]] const ssize_t n = ::read(fd, &v, sizeof v);
}

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

std::string relay_counters::summary() const {
  std::string s = fmt::format("connections accepted={} active={} completed={} failed={} rejected={} bytes to_zt={} from_zt={}",
                              accepted.load(), active.load(), completed.load(), failed.load(), rejected.load(),
                              bytes_to_zt.load(), bytes_from_zt.load());
  if (datagrams_to_zt.load() || datagrams_from_zt.load())
    s += fmt::format(" datagrams to_zt={} from_zt={}", datagrams_to_zt.load(), datagrams_from_zt.load());
  return s;
}

// ---- cancel_token ----

cancel_token::cancel_token() : efd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
cancel_token::~cancel_token() {
  if (efd_ >= 0) ::close(efd_);
}
void cancel_token::attach(int kernel_fd) {
  std::lock_guard lock(mu_);
  kfd_ = kernel_fd;
  if (cancelled()) ::shutdown(kfd_, SHUT_RDWR);
}
void cancel_token::detach() {
  std::lock_guard lock(mu_);
  kfd_ = -1;
}
void cancel_token::cancel() {
  cancelled_.store(true, std::memory_order_release);
  signal_eventfd(efd_);
  std::lock_guard lock(mu_);
  if (kfd_ >= 0) ::shutdown(kfd_, SHUT_RDWR);
}

// ---- relay ----

relay_result relay(TcpStream z, int kfd, cancel_token& cancel, relay_counters& counters,
                   std::span<const std::byte> first_to_zt) {
  cancel.attach(kfd);
  relay_result r;
  std::mutex err_mu;
  std::atomic<bool> failed{false};
  const auto fail = [&](std::string why) {
    {
      std::lock_guard lock(err_mu);
      if (r.error.empty()) r.error = std::move(why);
    }
    failed.store(true);
    cancel.cancel();
  };
  bool up_eof = false, down_eof = false;

  // Kernel -> ZeroTier. The write waits for room in the stream's send pipe (the event ztkit
  // has no fd for), in 1 s slices so that a cancel is seen even while the peer reads nothing.
  std::thread up([&] {
    const auto write_zt = [&](std::span<const std::byte> d) {
      while (!d.empty()) {
        auto w = z.write(d, 1000ms);
        if (w) {
          d = d.subspan(*w);
          r.to_zt += *w;
          counters.bytes_to_zt.fetch_add(*w, std::memory_order_relaxed);
          continue;
        }
        if (w.error().is(Errc::timed_out) && !cancel.cancelled()) continue;
        if (!cancel.cancelled()) fail("network side: " + w.error().message);
        return false;
      }
      return true;
    };
    if (!write_zt(first_to_zt)) return;
    std::vector<std::byte> buf(relay_buffer_size);
    for (;;) {
      const ssize_t n = ::recv(kfd, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (cancel.cancelled()) return;
      if (n < 0) return fail("local side: " + errno_text(errno));
      if (n == 0) {  // the local side shut down its writing: pass the FIN on, keep reading the other way
        (void)z.shutdown_write();
        up_eof = true;
        return;
      }
      if (!write_zt(std::span(buf.data(), static_cast<std::size_t>(n)))) return;
    }
  });

  // ZeroTier -> kernel, on this thread: wait on the stream's readiness fd and the cancel fd.
  // read() with a zero timeout: an empty pipe lowers the readiness fd before would_block.
  std::vector<std::byte> buf(relay_buffer_size);
  pollfd p[2] = {{z.fd(), POLLIN, 0}, {cancel.fd(), POLLIN, 0}};
  for (;;) {
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll: " + errno_text(errno));
      break;
    }
    if (p[1].revents != 0 || cancel.cancelled()) break;
    auto n = z.read(buf, 0ms);
    if (!n) {
      if (n.error().is(Errc::would_block) || n.error().is(Errc::timed_out)) continue;
      fail("network side: " + n.error().message);
      break;
    }
    if (*n == 0) {
      ::shutdown(kfd, SHUT_WR);
      down_eof = true;
      break;
    }
    if (!send_all(kfd, {reinterpret_cast<const std::uint8_t*>(buf.data()), *n})) {
      if (!cancel.cancelled()) fail("local side: " + errno_text(errno));
      break;
    }
    r.from_zt += *n;
    counters.bytes_from_zt.fetch_add(*n, std::memory_order_relaxed);
  }
  up.join();
  cancel.detach();
  r.clean = up_eof && down_eof && !failed.load() && !cancel.cancelled();
  if (!r.clean && r.error.empty()) r.error = "cancelled";
  if (r.clean) {
    z.close();
    ::close(kfd);
  } else {
    z.abort();
    close_with_reset(kfd);
  }
  return r;
}

// ---- connection_pool ----

connection_pool::connection_pool(std::size_t max) : max_(max), done_efd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

connection_pool::~connection_pool() {
  stop();
  if (done_efd_ >= 0) ::close(done_efd_);
}

bool connection_pool::spawn(std::function<void(cancel_token&)> fn) {
  reap();
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_) return false;
  entry& e = entries_.emplace_back();
  e.thread = std::thread([this, &e, fn = std::move(fn)] {
    fn(e.token);
    e.done.store(true, std::memory_order_release);
    signal_eventfd(done_efd_);
  });
  return true;
}

void connection_pool::reap() {
  drain_eventfd(done_efd_);
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->done.load(std::memory_order_acquire)) {
      it->thread.join();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t connection_pool::running() {
  reap();
  std::lock_guard lock(mu_);
  return entries_.size();
}

void connection_pool::stop() {
  std::lock_guard lock(mu_);
  for (auto& e : entries_) e.token.cancel();
  for (auto& e : entries_) e.thread.join();
  entries_.clear();
}

// ---- kernel sockets ----

std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view s, bool allow_zero) {
  std::string host;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) return std::nullopt;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  unsigned p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    p = p * 10 + static_cast<unsigned>(c - '0');
  }
  if (p > 65535 || (p == 0 && !allow_zero)) return std::nullopt;
  return std::pair{host, static_cast<std::uint16_t>(p)};
}

int kernel_connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                   const cancel_token* cancel, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int g = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); g != 0) {
    error = host + ": " + ::gai_strerror(g);
    return -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int fd = -1;
  error = "no address for " + host;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      error = errno_text(errno);
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      pollfd p[2] = {{fd, POLLOUT, 0}, {cancel ? cancel->fd() : -1, POLLIN, 0}};
      for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
          errno = ETIMEDOUT;
          break;
        }
        const int pr = ::poll(p, 2, static_cast<int>(left.count()));
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) {
          errno = pr == 0 ? ETIMEDOUT : errno;
          break;
        }
        if (p[1].revents != 0) {
          errno = ECANCELED;
          break;
        }
        int so = 0;
        socklen_t len = sizeof so;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
        errno = so;
        rc = so == 0 ? 0 : -1;
        break;
      }
    }
    if (rc != 0) {
      error = "connect to " + host + ":" + service + ": " + errno_text(errno);
      ::close(fd);
      fd = -1;
      continue;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ::freeaddrinfo(res);
  return fd;
}

int kernel_listen(const std::string& host, std::uint16_t port, std::uint16_t* bound_port, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* res = nullptr;
  if (const int g = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); g != 0) {
    error = host + ": " + ::gai_strerror(g);
    return -1;
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    error = "listen on " + host + ":" + std::to_string(port) + ": " + errno_text(errno);
    if (fd >= 0) ::close(fd);
    ::freeaddrinfo(res);
    return -1;
  }
  ::freeaddrinfo(res);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (bound_port) *bound_port = to_socket_address(&ss).port;
  return fd;
}

long recv_some(int fd, std::span<std::uint8_t> buf, const cancel_token& cancel,
               std::chrono::steady_clock::time_point deadline) {
  pollfd p[2] = {{fd, POLLIN, 0}, {cancel.fd(), POLLIN, 0}};
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    const int pr = ::poll(p, 2, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0 || p[1].revents != 0) return -1;
    if (pr == 0) return -1;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    return n;
  }
}

bool send_all(int fd, std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

void close_with_reset(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

SocketAddress to_socket_address(const void* p) {
  const auto* ss = static_cast<const sockaddr_storage*>(p);
  SocketAddress out;
  if (ss->ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(ss);
    out.ip.family = IpAddress::Family::v4;
    std::memcpy(out.ip.bytes.data(), &a->sin_addr, 4);
    out.port = ntohs(a->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(ss);
    out.ip.family = IpAddress::Family::v6;
    std::memcpy(out.ip.bytes.data(), &a->sin6_addr, 16);
    out.port = ntohs(a->sin6_port);
  }
  return out;
}

// ---- the accept loop ----

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

std::string serve(const std::vector<serve_source>& sources, connection_pool& pool,
                  std::chrono::seconds stats_interval, const std::function<std::string()>& stats_line) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const int sfd = ::signalfd(-1, &set, SFD_CLOEXEC);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  const auto add = [ep](int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  };
  constexpr std::uint64_t tag_signal = ~0ull, tag_done = ~0ull - 1, tag_timer = ~0ull - 2;
  for (std::size_t i = 0; i < sources.size(); ++i) add(sources[i].fd, i);
  add(sfd, tag_signal);
  add(pool.done_fd(), tag_done);
  int tfd = -1;
  if (stats_interval.count() > 0) {
    tfd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    itimerspec its{};
    its.it_interval.tv_sec = its.it_value.tv_sec = static_cast<time_t>(stats_interval.count());
    ::timerfd_settime(tfd, 0, &its, nullptr);
    add(tfd, tag_timer);
  }
  std::string why;
  while (why.empty()) {
    epoll_event evs[16];
    const int n = ::epoll_wait(ep, evs, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      why = "epoll: " + errno_text(errno);
      break;
    }
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = evs[i].data.u64;
      if (tag == tag_signal) {
        signalfd_siginfo si{};
        [[maybe_unused]] const ssize_t r = ::read(sfd, &si, sizeof si);
        why = si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
      } else if (tag == tag_done) {
        pool.reap();
      } else if (tag == tag_timer) {
        std::uint64_t ticks;
        [[maybe_unused]] const ssize_t r = ::read(tfd, &ticks, sizeof ticks);
        std::fprintf(stderr, "%s\n", stats_line().c_str());
      } else if (tag < sources.size()) {
        sources[tag].ready();
      }
    }
  }
  if (tfd >= 0) ::close(tfd);
  ::close(ep);
  ::close(sfd);
  return why;
}

}  // namespace ztkit::tools
