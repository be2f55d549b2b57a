// ztkit::UdpSocket: the application side of a netstack UDP socket living on the node's thread.
// Datagrams cross between threads through two SPSC rings (engine/buf/spsc_ring.h): received
// ones node -> application, sends application -> node; several application threads using one
// socket serialize among themselves with a per-direction mutex that the node's thread never
// takes. The node's side runs as a stack_client of the network's stack: on_input after frames
// arrive (no polling), on_poll on each loop pass to pick up sends (the application wakes it).
//
// One allocation per datagram (its byte vector) crosses the rings for now; buffer-pool slabs
// would remove it (issue 11's performance work).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "api/internal/node_impl.h"
#include "api/internal/poll_access.h"
#include "api/internal/ready_fd.h"
#include "engine/buf/spsc_ring.h"
#include "ztkit/udp.h"

namespace ztkit {

namespace {

struct datagram {
  SocketAddress peer;
  std::vector<std::uint8_t> data;
};

std::size_t round_pow2(std::size_t n) { return std::bit_ceil(std::max<std::size_t>(n, 2)); }

constexpr std::size_t max_udp_payload = 65507;

}  // namespace

struct UdpSocket::State final : ctrl::stack_client {
  State(std::shared_ptr<node_link> l, std::uint64_t id, const UdpOptions& o)
      : link(std::move(l)), nwid(id), rx(round_pow2(o.recv_queue)), tx(round_pow2(o.send_queue)),
        recv_timeout_ms(o.recv_timeout.count()), nonblocking(o.non_blocking) {}

  std::shared_ptr<node_link> link;
  std::uint64_t nwid;
  buf::spsc_ring<datagram> rx, tx;
  std::mutex rx_mu, tx_mu;  // application threads only
  ready_fd readable;
  ready_fd room;  // up after the node took datagrams from `tx` (ztkit::poll's writable)
  std::atomic<std::int64_t> recv_timeout_ms;  // UdpOptions::recv_timeout
  std::atomic<bool> nonblocking;
  std::atomic<bool> closed{false};
  SocketAddress local;
  netstack::udp_handle handle;  // node thread
  std::atomic<std::uint64_t> received{0}, dropped_full{0}, sent{0}, send_errors{0};
  std::array<std::uint8_t, max_udp_payload> scratch;  // node thread: one datagram

  void on_input(ctrl::stack_lane& st, std::int64_t) override {
    if (closed.load(std::memory_order_acquire)) return;
    auto& sock = st.iface()->udp().get(handle);
    bool any = false;
    while (auto m = sock.recv_from(scratch)) {
      datagram d;
      d.peer = to_socket_address(m->src);
      d.data.assign(scratch.begin(), scratch.begin() + std::min(m->len, scratch.size()));
      if (rx.try_push(std::move(d))) {
        received.fetch_add(1, std::memory_order_relaxed);
        any = true;
      } else {
        dropped_full.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (any) readable.set();
  }

  bool wants_pass() const override { return !tx.empty() && !closed.load(std::memory_order_relaxed); }
  bool holds_data() const override { return !tx.empty(); }

  bool on_poll(ctrl::stack_lane& st, std::int64_t) override {
    auto& socks = st.iface()->udp();
    if (closed.load(std::memory_order_acquire)) {
      socks.close(handle);
      return false;
    }
    auto& sock = socks.get(handle);
    bool took = false;
    // Datagrams stay in our queue while the stack's transmit ring is full (it drains as the
    // interface sends): back-pressure instead of silent loss.
    while (datagram* d = tx.front()) {
      const auto e = sock.send_to(d->data, to_inet(d->peer));
      if (e == netstack::udp_error::would_block) break;
      if (e == netstack::udp_error::ok)
        sent.fetch_add(1, std::memory_order_relaxed);
      else
        send_errors.fetch_add(1, std::memory_order_relaxed);
      tx.pop_front();
      took = true;
    }
    if (took) room.set();  // one eventfd write until a poller clears it again
    return true;
  }
};

UdpSocket::UdpSocket(std::shared_ptr<State> s) : s_(std::move(s)) {}
UdpSocket::UdpSocket(UdpSocket&&) noexcept = default;
UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    close();
    s_ = std::move(o.s_);
  }
  return *this;
}
UdpSocket::~UdpSocket() { close(); }

Expected<UdpSocket> UdpSocket::bind(Node& node, std::uint64_t nwid, SocketAddress local,
                                    UdpOptions options) {
  if (options.recv_queue == 0 || options.send_queue == 0 || options.recv_queue > (1u << 20) ||
      options.send_queue > (1u << 20))
    return Error(Errc::invalid_argument, "UDP queue sizes must be 1..1048576 datagrams");
  auto st = std::make_shared<State>(node.impl().link, nwid, options);
  if (!st->readable.valid()) return Error(Errc::no_buffer, "no eventfd available");
  Expected<void> result;
  const bool ran = node.impl().link->call([&](ctrl::node_runner& r, std::int64_t) {
    auto found = stack_of(r, nwid);
    if (!found) {
      result = found.error();
      return;
    }
    ctrl::network_stack* stack = *found;
    if (!is_local(*stack->iface(), local.ip)) {
      result = Error(Errc::invalid_argument,
                     fmt::format("{} is not an address of network {:016x}", local.ip.to_string(), nwid));
      return;
    }
    auto& socks = stack->iface()->udp();
    auto h = socks.open();
    if (!h) {
      result = Error(Errc::no_buffer, "too many UDP sockets on this network");
      return;
    }
    wire::inet_address want = to_inet(local);
    if (local.ip.is_any()) want.fam = wire::inet_address::family::nil;
    if (auto e = socks.bind(*h, want); e != netstack::udp_error::ok) {
      socks.close(*h);
      result = Error(e == netstack::udp_error::address_in_use ? Errc::address_in_use
                                                              : Errc::invalid_argument,
                     fmt::format("bind {}: {}", local.to_string(), netstack::to_string(e)));
      return;
    }
    socks.get(*h).set_broadcast(options.broadcast);
    st->handle = *h;
    st->local = to_socket_address(socks.get(*h).local());
    if (local.ip.is_any()) st->local.ip = {};
    stack->attach(st);
    result = Expected<void>();
  });
  if (!ran) return stopped_error();
  if (!result) return result.error();
  return UdpSocket(std::move(st));
}

Expected<std::size_t> UdpSocket::send_to(std::span<const std::byte> data, const SocketAddress& to) {
  if (!s_ || s_->closed.load()) return Error(Errc::closed, "the socket is closed");
  if (data.size() > max_udp_payload)
    return Error(Errc::invalid_argument, fmt::format("a UDP datagram holds at most {} bytes", max_udp_payload));
  if (to.ip.is_any() || to.port == 0)
    return Error(Errc::invalid_argument, "destination needs an IP address and a port: " + to.to_string());
  datagram d;
  d.peer = to;
  const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
  d.data.assign(p, p + data.size());
  {
    std::lock_guard lock(s_->tx_mu);
    if (!s_->tx.try_push(std::move(d))) return Error(Errc::would_block, "the send queue is full");
  }
  s_->link->wake();
  return data.size();
}

Expected<std::size_t> UdpSocket::recv_from(std::span<std::byte> buf, SocketAddress* from,
                                           std::optional<std::chrono::milliseconds> timeout_opt) {
  if (!s_ || s_->closed.load()) return Error(Errc::closed, "the socket is closed");
  const std::chrono::milliseconds timeout =
      timeout_opt                    ? *timeout_opt
      : s_->nonblocking.load()       ? std::chrono::milliseconds(0)
                                     : std::chrono::milliseconds(s_->recv_timeout_ms.load());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::lock_guard lock(s_->rx_mu);
  for (;;) {
    datagram d;
    if (s_->rx.try_pop(d)) {
      if (s_->rx.empty()) {
        s_->readable.clear();
        if (!s_->rx.empty()) s_->readable.set();
      }
      std::memcpy(buf.data(), d.data.data(), std::min(buf.size(), d.data.size()));
      if (from) *from = d.peer;
      return d.data.size();
    }
    s_->readable.clear();
    if (!s_->rx.empty()) {
      s_->readable.set();
      continue;
    }
    if (s_->closed.load()) return Error(Errc::closed, "the socket is closed");
    if (!s_->link->get()) return stopped_error();
    if (timeout.count() == 0) return Error(Errc::would_block, "no datagram queued");
    int wait_ms = -1;
    if (timeout.count() > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Error(Errc::timed_out, "no datagram within the timeout");
      wait_ms = static_cast<int>(std::min<std::int64_t>(left.count() + 1, 1000));
    } else {
      wait_ms = 1000;  // re-check the node now and then (a stopped node never writes)
    }
    s_->readable.wait(wait_ms);
  }
}

Expected<void> UdpSocket::set_recv_timeout(std::chrono::milliseconds timeout) {
  if (!s_ || s_->closed.load()) return Error(Errc::closed, "the socket is closed");
  s_->recv_timeout_ms.store(timeout.count());
  return {};
}

Expected<void> UdpSocket::set_nonblocking(bool on) {
  if (!s_ || s_->closed.load()) return Error(Errc::closed, "the socket is closed");
  s_->nonblocking.store(on);
  return {};
}

SocketAddress UdpSocket::local_address() const { return s_ ? s_->local : SocketAddress{}; }
bool UdpSocket::is_open() const { return s_ && !s_->closed.load(); }
int UdpSocket::fd() const { return s_ && !s_->closed.load() ? s_->readable.fd() : -1; }

UdpCounters UdpSocket::counters() const {
  UdpCounters c;
  if (!s_) return c;
  c.received = s_->received.load();
  c.dropped_full = s_->dropped_full.load();
  c.sent = s_->sent.load();
  c.send_errors = s_->send_errors.load();
  return c;
}

// The State stays with the object until it is destroyed, so a close() from one thread while
// another is in recv_from() is safe: the reader wakes and fails with `closed`.
void UdpSocket::close() {
  if (!s_) return;
  if (!s_->closed.exchange(true)) {
    s_->readable.set();  // wake a blocked reader
    s_->link->wake();    // the node's side closes the stack socket on its next pass
  }
}

}  // namespace ztkit

namespace ztkit {

// ---- readiness for ztkit::poll (api/poll.cc) ------------------------------------------------

unsigned poll_access::check(const UdpSocket& x, unsigned wanted, bool rearm) {
  const std::shared_ptr<UdpSocket::State>& s = x.s_;
  if (!s || s->closed.load()) return PollItem::invalid;
  const auto now = [&] {
    unsigned r = 0;
    if ((wanted & PollItem::readable) && !s->rx.empty()) r |= PollItem::readable;
    if ((wanted & PollItem::writable) && s->tx.size_approx() < s->tx.capacity()) r |= PollItem::writable;
    if (!s->link->get()) r |= PollItem::error | PollItem::hangup;
    return r;
  };
  return rearm ? rearm_readiness(wanted, s->readable, s->room, now) : now();
}

std::array<int, 2> poll_access::fds(const UdpSocket& x, unsigned wanted) {
  if (!x.s_) return {-1, -1};
  return {(wanted & PollItem::readable) ? x.s_->readable.fd() : -1,
          (wanted & PollItem::writable) ? x.s_->room.fd() : -1};
}

}  // namespace ztkit
