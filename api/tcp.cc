// ztkit::TcpStream / TcpListener: the application side of netstack TCP sockets living on the
// node's thread. Each stream has two SPSC byte pipes (api/internal/byte_pipe.h): the node's
// side moves bytes between them and the TCP socket's rings when frames moved the socket (no
// polling) and when the application queued bytes or freed room (it queues the stream in its
// lane's inbox and wakes the node); idle streams are not visited at all. Application threads
// using one stream serialize per direction with a mutex the node's thread never takes. Readiness: `events` (an eventfd) is up while bytes or EOF or an
// error wait for the reader; `room` while the send pipe has space.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "api/internal/byte_pipe.h"
#include "api/internal/node_impl.h"
#include "api/internal/poll_access.h"
#include "api/internal/ready_fd.h"
#include "ctrl/runtime/flow_steer.h"
#include "engine/buf/spsc_ring.h"
#include "ztkit/tcp.h"

namespace ztkit {

namespace {

using clock_type = std::chrono::steady_clock;

Error map_error(netstack::tcp_socket_error e) {
  switch (e) {
    case netstack::tcp_socket_error::refused: return Error(Errc::connection_refused, "connection refused");
    case netstack::tcp_socket_error::reset: return Error(Errc::connection_reset, "connection reset by peer");
    case netstack::tcp_socket_error::timed_out: return Error(Errc::timed_out, "connection timed out");
    case netstack::tcp_socket_error::aborted: return Error(Errc::closed, "connection aborted");
    case netstack::tcp_socket_error::none: break;
  }
  return Error(Errc::internal, "no error");
}

// Milliseconds left until `deadline` for a poll(2) wait (negative timeout: forever, in 1 s
// slices so that a stopped node is noticed), or -2 when it has passed.
int wait_slice(std::chrono::milliseconds timeout, clock_type::time_point deadline) {
  if (timeout.count() < 0) return 1000;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  if (left.count() <= 0) return -2;
  return static_cast<int>(std::min<std::int64_t>(left.count() + 1, 1000));
}

netstack::tcp_config socket_config(const TcpOptions& o) {
  netstack::tcp_config c;
  // The socket's rings match the pipes: the receive window auto-tunes up to recv_buffer (set
  // 16 MiB for a 1 Gbit/s x 100 ms path); unused ring pages stay virtual (buf::page_area).
  c.rx_buffer = o.recv_buffer;
  c.tx_buffer = o.send_buffer;
  c.nodelay = o.nodelay;
  c.keepalive_idle_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, o.keepalive_idle.count()));
  c.keepalive_interval_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(1, o.keepalive_interval.count()));
  c.keepalive_probes = std::max(1u, o.keepalive_count);
  return c;
}

}  // namespace

struct TcpStream::State final : ctrl::stack_client, std::enable_shared_from_this<TcpStream::State> {
  State(std::shared_ptr<node_link> l, std::uint64_t id, const TcpOptions& o)
      : link(std::move(l)), nwid(id), rx(o.recv_buffer), tx(o.send_buffer),
        read_timeout_ms(o.read_timeout.count()), write_timeout_ms(o.write_timeout.count()),
        linger_ms(o.linger ? std::max<std::int64_t>(0, o.linger->count()) : -1),
        nonblocking(o.non_blocking) {}

  std::shared_ptr<node_link> link;
  std::uint64_t nwid;
  // What wakes the data shard the socket lives on (null for shard 0: the link's waker) and
  // its lane's inbox. Set on the node's side before the stream reaches the application.
  std::shared_ptr<ctrl::runner_wake> shard_wake;
  std::weak_ptr<ctrl::client_inbox> inbox;
  // Application threads, after giving the node's side work: the lane visits this stream at its
  // next pass (it does not visit idle streams otherwise).
  void wake() {
    ctrl::client_inbox::notify(inbox, *this, [this] { return shared_from_this(); });
    if (shard_wake)
      shard_wake->notify();
    else
      link->wake();
  }
  std::int64_t tcp_socket_index() const override { return handle.index; }
  byte_pipe rx, tx;
  std::mutex rx_mu, tx_mu;  // application threads only
  ready_fd events, room;
  netstack::tcp_handle handle;  // node thread

  // Published by the node's thread.
  std::atomic<bool> connected{false};
  std::atomic<bool> eof{false};
  std::atomic<int> error{0};  // netstack::tcp_socket_error
  std::atomic<bool> detached{false};
  SocketAddress local, peer;  // written before `connected` is released
  std::atomic<std::uint64_t> bytes_sent{0}, bytes_received{0}, retransmits{0};
  std::atomic<std::uint32_t> srtt{0}, cwnd{0}, mss{0};

  // Requests from the application.
  std::atomic<bool> want_shutdown{false}, want_close{false}, want_abort{false};
  // close() / abort() ran: every later call fails with `closed`. The State stays with the
  // TcpStream object until it is destroyed, so a close() from one thread while another is
  // in read() or write() is safe: those wake up (events / room are raised) and fail cleanly.
  std::atomic<bool> app_closed{false};
  bool usable() const { return !app_closed.load(std::memory_order_acquire); }
  std::atomic<int> want_nodelay{-1};
  std::atomic<std::int64_t> want_keepalive{-1};
  bool shutdown_done = false;  // node thread
  // Options read by application threads (TcpOptions): default timeouts, SO_LINGER (-1: off).
  std::atomic<std::int64_t> read_timeout_ms, write_timeout_ms, linger_ms;
  std::atomic<bool> nonblocking;
  bool close_sent = false;  // node thread: a lingering close() has closed the socket

  std::chrono::milliseconds default_timeout(bool reading) const {
    if (nonblocking.load(std::memory_order_relaxed)) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds((reading ? read_timeout_ms : write_timeout_ms).load(std::memory_order_relaxed));
  }

  // A socket client: the lane calls on_poll only, once per batch of frames that moved its
  // socket and once per pass in which its application asked (stack_lane.h).
  void on_input(ctrl::stack_lane&, std::int64_t) override {}
  bool on_poll(ctrl::stack_lane& st, std::int64_t now) override { return pump(st, now); }
  void note_events() { events.set(); }
  void note_room() { room.set(); }
  bool holds_data() const override {
    return !detached.load(std::memory_order_relaxed) && error.load() == 0 && tx.size() > 0;
  }

  // Node thread: moves bytes and state between the pipes and the socket. False to detach.
  bool pump(ctrl::stack_lane& st, std::int64_t) {
    if (detached.load(std::memory_order_relaxed)) return false;  // its handle is not ours now
    auto& set = st.iface()->tcp();
    auto& sock = set.get(handle);
    if (want_abort.load(std::memory_order_acquire)) {
      sock.abort();
      return finish(set);
    }
    if (const int nd = want_nodelay.exchange(-1); nd >= 0) sock.set_nodelay(nd == 1);
    if (const auto ka = want_keepalive.exchange(-1); ka >= 0) sock.set_keepalive(static_cast<std::uint64_t>(ka));
    if (!connected.load(std::memory_order_relaxed) && sock.is_established()) {
      local = to_socket_address(sock.local());
      peer = to_socket_address(sock.remote());
      connected.store(true, std::memory_order_release);
      note_events();
      note_room();
    }
    // Application -> socket.
    bool sent = false;
    while (sock.may_send()) {
      auto r = tx.read_region();
      if (r.empty()) break;
      const std::size_t n = sock.send(r);
      if (n == 0) break;
      tx.consume(n);
      sent = true;
    }
    if (sent) note_room();
    if (want_shutdown.load(std::memory_order_acquire) && !shutdown_done && tx.size() == 0) {
      sock.shutdown_write();
      shutdown_done = true;
    }
    // Socket -> application.
    bool got = false;
    while (sock.recv_queued() > 0) {
      auto w = rx.write_region();
      if (w.empty()) break;
      const std::size_t n = sock.recv(w);
      if (n == 0) break;
      rx.commit(n);
      got = true;
    }
    if (got) note_events();
    if (sock.error() != netstack::tcp_socket_error::none && error.load() == 0) {
      error.store(static_cast<int>(sock.error()), std::memory_order_release);
      note_events();
      note_room();
    }
    if (sock.peer_closed() && sock.recv_queued() == 0 && !eof.load(std::memory_order_relaxed)) {
      eof.store(true, std::memory_order_release);
      note_events();
    }
    const auto& c = sock.counters();
    bytes_sent.store(c.bytes_out, std::memory_order_relaxed);
    bytes_received.store(c.bytes_in, std::memory_order_relaxed);
    retransmits.store(c.retransmits, std::memory_order_relaxed);
    srtt.store(sock.srtt_ms(), std::memory_order_relaxed);
    cwnd.store(sock.cwnd(), std::memory_order_relaxed);
    mss.store(sock.mss(), std::memory_order_relaxed);
    // A closed stream leaves once what it wrote reached the socket (or the socket died).
    if (want_close.load(std::memory_order_acquire) &&
        (tx.size() == 0 || !sock.may_send() || error.load() != 0)) {
      if (linger_ms.load(std::memory_order_acquire) <= 0 || error.load() != 0 || !sock.is_open())
        return finish(set);
      // SO_LINGER: keep the socket until everything written and our FIN are acknowledged
      // (FIN-WAIT-2, TIME-WAIT or CLOSED; RFC 9293 §3.6), so that close() can report it.
      if (!close_sent) {
        sock.close();
        close_sent = true;
      }
      const auto st = sock.state();
      if (st == netstack::tcp_state::fin_wait_2 || st == netstack::tcp_state::time_wait ||
          st == netstack::tcp_state::closed)
        return finish(set);
    }
    if (!sock.is_open() && (error.load() != 0 || connected.load())) {
      // Closed under us (reset, timeout, or both sides done): nothing more will come.
      if (!eof.load()) {
        eof.store(true, std::memory_order_release);
        note_events();
      }
    }
    return true;
  }

  bool finish(netstack::tcp_socket_set& set) {
    set.release(handle);
    detached.store(true, std::memory_order_release);
    events.set();
    room.set();
    return false;
  }
};

struct TcpListener::State {
  State(std::shared_ptr<node_link> l, std::uint64_t id, std::size_t queue, const TcpOptions& o)
      : link(std::move(l)), nwid(id), accepted(std::bit_ceil(std::max<std::size_t>(queue, 2))), opts(o) {}

  std::shared_ptr<node_link> link;
  std::uint64_t nwid;
  buf::spsc_ring<std::shared_ptr<TcpStream::State>> accepted;
  std::mutex push_mu;  // node side: with several data shards, each shard's lane pushes
  std::mutex mu;  // application threads only
  ready_fd ready;
  TcpOptions opts;
  SocketAddress local;
  std::atomic<bool> closed{false};
  std::atomic<std::uint64_t> dropped{0};
  // What wakes data shards 1..n-1, where the listener also listens (written before the
  // listener reaches the application).
  std::vector<std::shared_ptr<ctrl::runner_wake>> shard_wakes;
  void wake_all() {
    link->wake();
    for (auto& w : shard_wakes) w->notify();
  }

  // Application side, `mu` held, after close: connections the node accepted but the
  // application never took are closed (gracefully) by the node's side.
  void drain() {
    std::shared_ptr<TcpStream::State> st;
    while (accepted.try_pop(st)) {
      st->app_closed.store(true);
      st->want_close.store(true, std::memory_order_release);
      st->wake();
    }
  }
};

namespace {

// The listener's part on one data shard: a netstack listener on that shard's lane of the
// network. A connection's SYN reaches the lane that owns its 4-tuple (flow_steer.h), so each
// lane accepts its own share; all of them feed the one accept queue.
struct listener_lane final : ctrl::stack_client {
  listener_lane(std::shared_ptr<TcpListener::State> p, netstack::tcp_listener_handle h,
                std::shared_ptr<ctrl::runner_wake> w)
      : parent(std::move(p)), handle(h), shard_wake(std::move(w)) {}
  std::shared_ptr<TcpListener::State> parent;
  netstack::tcp_listener_handle handle;
  std::shared_ptr<ctrl::runner_wake> shard_wake;  // null on shard 0

  void on_input(ctrl::stack_lane& st, std::int64_t now) override { take(st, now); }
  bool on_poll(ctrl::stack_lane& st, std::int64_t now) override {
    auto& set = st.iface()->tcp();
    if (parent->closed.load(std::memory_order_acquire)) {
      set.close_listener(handle);
      return false;
    }
    take(st, now);
    return true;
  }
  void take(ctrl::stack_lane& st, std::int64_t now) {
    if (parent->closed.load(std::memory_order_acquire)) return;
    auto& set = st.iface()->tcp();
    const TcpOptions& opts = parent->opts;
    bool any = false;
    while (auto h = set.accept(handle)) {
      auto s = std::make_shared<TcpStream::State>(parent->link, parent->nwid, opts);
      s->handle = *h;
      s->shard_wake = shard_wake;
      s->inbox = st.inbox();
      auto& sock = set.get(*h);
      sock.set_nodelay(opts.nodelay);
      const netstack::tcp_config want = socket_config(opts);
      sock.set_keepalive_timing(want.keepalive_interval_ms, want.keepalive_probes);
      if (opts.keepalive_idle.count() > 0)
        sock.set_keepalive(static_cast<std::uint64_t>(opts.keepalive_idle.count()));
      s->pump(st, now);  // publishes addresses and any data that came with the handshake
      bool pushed;
      {
        std::lock_guard lock(parent->push_mu);
        pushed = parent->accepted.try_push(std::shared_ptr<TcpStream::State>(s));
      }
      if (!pushed) {
        set.get(*h).abort();
        set.release(*h);
        parent->dropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      st.attach(std::move(s));
      any = true;
    }
    if (any) parent->ready.set();
  }
};

// The lane of network `nwid` on shard `k` of the runner (on that shard's thread).
Expected<ctrl::stack_lane*> lane_on_shard(ctrl::node_runner& r, unsigned k, std::uint64_t nwid) {
  if (k == 0) {
    auto st = stack_of(r, nwid);
    if (!st) return st.error();
    return static_cast<ctrl::stack_lane*>(*st);
  }
  ctrl::lane_shard* sh = r.shard_at(k);
  ctrl::flow_lane* l = sh != nullptr ? sh->lane(nwid) : nullptr;
  if (l == nullptr) return Error(Errc::network_not_ready, fmt::format("network {:016x} has no config yet", nwid));
  return static_cast<ctrl::stack_lane*>(l);
}

std::shared_ptr<ctrl::runner_wake> shard_waker(ctrl::node_runner& r, unsigned k) {
  ctrl::lane_shard* sh = r.shard_at(k);
  return sh != nullptr ? sh->waker() : nullptr;
}

}  // namespace

// ---- TcpStream ------------------------------------------------------------------------------

TcpStream::TcpStream(std::shared_ptr<State> s) : s_(std::move(s)) {}
TcpStream::TcpStream(TcpStream&&) noexcept = default;
TcpStream& TcpStream::operator=(TcpStream&& o) noexcept {
  if (this != &o) {
    close();
    s_ = std::move(o.s_);
  }
  return *this;
}
TcpStream::~TcpStream() { close(); }

Expected<TcpStream> TcpStream::connect(Node& node, std::uint64_t nwid, SocketAddress remote,
                                       std::chrono::milliseconds timeout, TcpOptions options) {
  if (remote.ip.is_any() || remote.port == 0)
    return Error(Errc::invalid_argument, "connect needs an IP address and a port: " + remote.to_string());
  if (options.send_buffer == 0 || options.recv_buffer == 0 || options.send_buffer > (64u << 20) ||
      options.recv_buffer > (64u << 20))
    return Error(Errc::invalid_argument, "TCP buffer sizes must be 1 byte .. 64 MiB");
  auto st = std::make_shared<State>(node.impl().link, nwid, options);
  if (!st->events.valid() || !st->room.valid()) return Error(Errc::no_buffer, "no eventfd available");
  // On shard 0: the route, our source address and the number of data shards. Connections
  // are spread over the shards in turn; one chosen for shard 0 opens right there, one for
  // shard k in a second call on that shard, with a local port whose 4-tuple hashes to k so
  // that the peer's segments reach the same lane (flow_steer.h).
  const wire::inet_address dst = to_inet(remote);
  std::optional<wire::inet_address> src;
  unsigned shards = 1, k = 0;
  node_link& link = *node.impl().link;
  Expected<void> result;
  // Opens the socket on `lane` (shard k's lane of the network), on that shard's thread.
  auto open = [&](ctrl::node_runner& r, ctrl::stack_lane& lane, std::int64_t now) {
    auto* ifc = lane.iface();
    auto c = socket_config(options);
    c.mtu = ifc->config().mtu;
    std::optional<netstack::tcp_handle> h;
    if (shards == 1) {
      h = ifc->tcp().connect(static_cast<std::uint64_t>(now), *src, dst, c);
    } else {
      std::uint32_t cursor = link.port_cursor.fetch_add(97, std::memory_order_relaxed);
      for (int tries = 0; tries < 64 && !h; ++tries) {
        wire::inet_address from = *src;
        from.port = ctrl::flow_steer::port_for_lane(from, dst, k, shards, &cursor);
        if (from.port == 0) break;
        h = ifc->tcp().connect(static_cast<std::uint64_t>(now), from, dst, c);
      }
    }
    if (!h) {
      result = Error(Errc::no_buffer, "no TCP socket or ephemeral port left");
      return;
    }
    st->handle = *h;
    st->shard_wake = shard_waker(r, k);
    st->inbox = lane.inbox();
    lane.attach(st);
    lane.flush(now);  // the SYN leaves now
    result = Expected<void>();
  };
  bool ran = link.call([&](ctrl::node_runner& r, std::int64_t now) {
    auto found = stack_of(r, nwid);
    if (!found) {
      result = found.error();
      return;
    }
    src = (*found)->iface()->source_for(dst);
    if (!src) {
      result = Error(Errc::no_route, fmt::format("no route to {} on network {:016x}", remote.to_string(), nwid));
      return;
    }
    shards = (*found)->lane_count();
    k = shards > 1 ? link.next_shard.fetch_add(1, std::memory_order_relaxed) % shards : 0;
    if (k == 0) open(r, **found, now);
  });
  if (ran && result && k != 0)
    ran = link.call_on(k, [&](ctrl::node_runner& r, std::int64_t now) {
      auto found = lane_on_shard(r, k, nwid);
      if (!found) {
        result = found.error();
        return;
      }
      open(r, **found, now);
    });
  if (!ran) return stopped_error();
  if (!result) return result.error();
  TcpStream stream(std::move(st));
  // Wait for the handshake.
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (stream.s_->connected.load(std::memory_order_acquire)) return stream;
    if (const int e = stream.s_->error.load(); e != 0)
      return map_error(static_cast<netstack::tcp_socket_error>(e));
    if (!stream.s_->link->get()) return stopped_error();
    const int w = timeout.count() == 0 ? -2 : wait_slice(timeout, deadline);
    if (w == -2) {
      stream.abort();
      return Error(Errc::timed_out, "connect to " + remote.to_string() + " timed out");
    }
    stream.s_->events.clear();
    if (stream.s_->connected.load() || stream.s_->error.load() != 0) continue;
    stream.s_->events.wait(w);
  }
}

Expected<std::size_t> TcpStream::read(std::span<std::byte> buf,
                                      std::optional<std::chrono::milliseconds> timeout_opt) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  const std::chrono::milliseconds timeout = timeout_opt ? *timeout_opt : s_->default_timeout(true);
  const auto deadline = clock_type::now() + timeout;
  std::lock_guard lock(s_->rx_mu);
  for (;;) {
    const std::size_t n = s_->rx.read({reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()});
    if (n > 0) {
      s_->wake();  // room in the pipe: the node moves more and opens the window
      return n;
    }
    if (buf.empty()) return std::size_t{0};
    // A reset or timeout is an error even though the stream is also at its end.
    if (const int e = s_->error.load(std::memory_order_acquire); e != 0)
      return map_error(static_cast<netstack::tcp_socket_error>(e));
    if (s_->eof.load(std::memory_order_acquire) && s_->rx.size() == 0) return std::size_t{0};
    if (s_->detached.load() || !s_->usable()) return Error(Errc::closed, "the stream is closed");
    if (!s_->link->get()) return stopped_error();
    // Nothing to read: lower the readiness fd before saying so (even with a zero timeout: an
    // epoll loop that waits on it again must not spin), then look once more.
    s_->events.clear();
    if (s_->rx.size() > 0 || s_->eof.load() || s_->error.load() != 0 || !s_->usable()) {
      s_->events.set();  // level: still readable for other waiters / the fd
      continue;
    }
    if (timeout.count() == 0) return Error(Errc::would_block, "no data yet");
    const int w = wait_slice(timeout, deadline);
    if (w == -2) return Error(Errc::timed_out, "no data within the timeout");
    s_->events.wait(w);
  }
}

Expected<std::size_t> TcpStream::write(std::span<const std::byte> data,
                                       std::optional<std::chrono::milliseconds> timeout_opt) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  const std::chrono::milliseconds timeout = timeout_opt ? *timeout_opt : s_->default_timeout(false);
  if (s_->want_shutdown.load()) return Error(Errc::closed, "the stream was shut down for writing");
  const auto deadline = clock_type::now() + timeout;
  std::lock_guard lock(s_->tx_mu);
  for (;;) {
    if (const int e = s_->error.load(); e != 0) return map_error(static_cast<netstack::tcp_socket_error>(e));
    if (s_->detached.load() || !s_->usable()) return Error(Errc::closed, "the stream is closed");
    const std::size_t n = s_->tx.write({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
    if (n > 0 || data.empty()) {
      s_->wake();
      return n;
    }
    if (!s_->link->get()) return stopped_error();
    s_->room.clear();  // as in read(): lowered before would_block too
    if (s_->tx.free() > 0 || s_->error.load() != 0 || !s_->usable()) {
      s_->room.set();
      continue;
    }
    if (timeout.count() == 0) return Error(Errc::would_block, "the send buffer is full");
    const int w = wait_slice(timeout, deadline);
    if (w == -2) return Error(Errc::timed_out, "no room in the send buffer within the timeout");
    s_->room.wait(w);
  }
}

Expected<void> TcpStream::write_all(std::span<const std::byte> data,
                                   std::optional<std::chrono::milliseconds> timeout_opt) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  const std::chrono::milliseconds timeout = timeout_opt ? *timeout_opt : s_->default_timeout(false);
  const auto deadline = clock_type::now() + timeout;
  while (!data.empty()) {
    std::chrono::milliseconds left = timeout;
    if (timeout.count() >= 0) {
      left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left.count() <= 0)
        return Error(timeout.count() == 0 ? Errc::would_block : Errc::timed_out,
                     timeout.count() == 0 ? "the send buffer is full" : "write_all timed out");
    }
    auto n = write(data, left);
    if (!n) return n.error();
    data = data.subspan(*n);
  }
  return {};
}

Expected<void> TcpStream::shutdown_write() {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  s_->want_shutdown.store(true, std::memory_order_release);
  s_->wake();
  return {};
}

Expected<void> TcpStream::close() {
  if (!s_ || s_->app_closed.exchange(true)) return {};
  State* s = s_.get();
  s->events.set();  // wake readers and writers blocked in other threads: they fail with `closed`
  s->room.set();
  const std::int64_t linger = s->linger_ms.load();
  if (linger == 0) {  // SO_LINGER 0: an abortive close (RST), unsent data dropped
    s->want_abort.store(true, std::memory_order_release);
    s->wake();
    return {};
  }
  s->want_close.store(true, std::memory_order_release);
  s->wake();
  if (linger < 0) return {};
  // Wait until the node's side has seen everything acknowledged (it detaches then) or failed.
  const auto deadline = clock_type::now() + std::chrono::milliseconds(linger);
  for (;;) {
    if (s->detached.load(std::memory_order_acquire)) {
      if (const int e = s->error.load(); e != 0) return map_error(static_cast<netstack::tcp_socket_error>(e));
      return {};
    }
    if (!s->link->get()) return stopped_error();
    const int w = wait_slice(std::chrono::milliseconds(linger), deadline);
    if (w == -2) {
      s->linger_ms.store(-1, std::memory_order_release);  // deliver in the background
      s->wake();
      return Error(Errc::timed_out, "close: what was written was not acknowledged within the linger time");
    }
    s->events.clear();
    if (s->detached.load()) continue;
    s->events.wait(w);
  }
}

void TcpStream::abort() {
  if (!s_ || s_->app_closed.exchange(true)) return;
  s_->want_abort.store(true, std::memory_order_release);
  s_->events.set();
  s_->room.set();
  s_->wake();
}

SocketAddress TcpStream::local_address() const {
  return s_ && s_->connected.load(std::memory_order_acquire) ? s_->local : SocketAddress{};
}
SocketAddress TcpStream::peer_address() const {
  return s_ && s_->connected.load(std::memory_order_acquire) ? s_->peer : SocketAddress{};
}
bool TcpStream::is_open() const { return s_ && s_->usable(); }
int TcpStream::fd() const { return s_ && s_->usable() ? s_->events.fd() : -1; }

TcpStats TcpStream::stats() const {
  TcpStats t;
  if (!s_) return t;
  t.bytes_sent = s_->bytes_sent.load();
  t.bytes_received = s_->bytes_received.load();
  t.retransmits = s_->retransmits.load();
  t.srtt_ms = s_->srtt.load();
  t.cwnd = s_->cwnd.load();
  t.mss = s_->mss.load();
  return t;
}

Expected<void> TcpStream::set_nodelay(bool on) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  s_->want_nodelay.store(on ? 1 : 0, std::memory_order_release);
  s_->wake();
  return {};
}

Expected<void> TcpStream::set_keepalive(std::chrono::milliseconds idle) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  if (idle.count() < 0) return Error(Errc::invalid_argument, "keepalive idle time must be >= 0");
  s_->want_keepalive.store(idle.count(), std::memory_order_release);
  s_->wake();
  return {};
}

Expected<void> TcpStream::set_linger(std::optional<std::chrono::milliseconds> linger) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  if (linger && linger->count() < 0) return Error(Errc::invalid_argument, "linger time must be >= 0");
  s_->linger_ms.store(linger ? linger->count() : -1);
  return {};
}

Expected<void> TcpStream::set_read_timeout(std::chrono::milliseconds timeout) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  s_->read_timeout_ms.store(timeout.count());
  return {};
}

Expected<void> TcpStream::set_write_timeout(std::chrono::milliseconds timeout) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  s_->write_timeout_ms.store(timeout.count());
  return {};
}

Expected<void> TcpStream::set_nonblocking(bool on) {
  if (!s_ || !s_->usable()) return Error(Errc::closed, "the stream is closed");
  s_->nonblocking.store(on);
  return {};
}

// ---- TcpListener ----------------------------------------------------------------------------

TcpListener::TcpListener(std::shared_ptr<State> s) : s_(std::move(s)) {}
TcpListener::TcpListener(TcpListener&&) noexcept = default;
TcpListener& TcpListener::operator=(TcpListener&& o) noexcept {
  if (this != &o) {
    close();
    if (s_) {
      std::lock_guard lock(s_->mu);
      s_->drain();
    }
    s_ = std::move(o.s_);
  }
  return *this;
}
TcpListener::~TcpListener() {
  close();
  if (s_) {  // no other thread may use a listener being destroyed: take what is left
    std::lock_guard lock(s_->mu);
    s_->drain();
  }
}

Expected<TcpListener> TcpListener::listen(Node& node, std::uint64_t nwid, SocketAddress local,
                                          std::size_t backlog, TcpOptions accepted) {
  if (local.port == 0) return Error(Errc::invalid_argument, "listen needs a port");
  if (backlog == 0 || backlog > 65536) return Error(Errc::invalid_argument, "backlog must be 1..65536");
  auto st = std::make_shared<State>(node.impl().link, nwid, backlog, accepted);
  if (!st->ready.valid()) return Error(Errc::no_buffer, "no eventfd available");
  // On shard 0: the address check and the listener of lane 0; then one on every other data
  // shard's lane of the network (flow_steer.h: each accepts the connections hashed to it).
  wire::inet_address want = to_inet(local);
  if (local.ip.is_any()) want.fam = wire::inet_address::family::nil;
  netstack::tcp_listener_config lc;
  lc.backlog = backlog;
  lc.accept_queue = backlog;
  unsigned shards = 1;
  Expected<void> result;
  bool ran = true;
  for (unsigned k = 0; k < shards && ran && result; ++k) {
    ran = node.impl().link->call_on(k, [&](ctrl::node_runner& r, std::int64_t) {
      auto found = lane_on_shard(r, k, nwid);
      if (!found) {
        result = found.error();
        return;
      }
      auto* ifc = (*found)->iface();
      if (k == 0) {
        if (!is_local(*ifc, local.ip)) {
          result = Error(Errc::invalid_argument,
                         fmt::format("{} is not an address of network {:016x}", local.ip.to_string(), nwid));
          return;
        }
        shards = r.shards();
        for (unsigned j = 1; j < shards; ++j) st->shard_wakes.push_back(shard_waker(r, j));
      }
      auto h = ifc->tcp().listen(want, lc);
      if (!h) {
        result = Error(Errc::address_in_use, "port " + std::to_string(local.port) + " is in use (or too many listeners)");
        return;
      }
      (*found)->attach(std::make_shared<listener_lane>(st, *h, shard_waker(r, k)));
    });
  }
  if (ran && !result) {
    // The lanes that listen already close their listeners on their next pass.
    st->closed.store(true, std::memory_order_release);
    st->wake_all();
  }
  st->local = local;
  if (!ran) return stopped_error();
  if (!result) return result.error();
  return TcpListener(std::move(st));
}

Expected<TcpStream> TcpListener::accept(std::chrono::milliseconds timeout) {
  if (!s_ || s_->closed.load()) return Error(Errc::closed, "the listener is closed");
  const auto deadline = clock_type::now() + timeout;
  std::lock_guard lock(s_->mu);
  for (;;) {
    if (s_->closed.load()) {
      s_->drain();
      return Error(Errc::closed, "the listener is closed");
    }
    std::shared_ptr<TcpStream::State> st;
    if (s_->accepted.try_pop(st)) {
      if (s_->accepted.empty()) {
        s_->ready.clear();
        if (!s_->accepted.empty()) s_->ready.set();
      }
      return TcpStream(std::move(st));
    }
    if (!s_->link->get()) return stopped_error();
    s_->ready.clear();  // lowered before would_block too (an epoll loop must not spin)
    if (s_->closed.load()) continue;  // close() from another thread: drain and fail above
    if (!s_->accepted.empty()) {
      s_->ready.set();
      continue;
    }
    if (timeout.count() == 0) return Error(Errc::would_block, "no connection waiting");
    const int w = wait_slice(timeout, deadline);
    if (w == -2) return Error(Errc::timed_out, "no connection within the timeout");
    s_->ready.wait(w);
  }
}

SocketAddress TcpListener::local_address() const { return s_ ? s_->local : SocketAddress{}; }
int TcpListener::fd() const { return s_ && !s_->closed.load() ? s_->ready.fd() : -1; }

void TcpListener::close() {
  if (!s_ || s_->closed.exchange(true)) return;
  s_->ready.set();   // an accept() blocked in another thread wakes and fails with `closed`
  s_->wake_all();  // the node's side stops listening on its next pass
  // Connections accepted by the node but not by the application are closed with the ring:
  // here, or by the accept() that holds the ring (it drains it on its way out).
  std::unique_lock lock(s_->mu, std::try_to_lock);
  if (lock) s_->drain();
}

}  // namespace ztkit

namespace ztkit {

// ---- readiness for ztkit::poll (api/poll.cc) ------------------------------------------------

unsigned poll_access::check(const TcpStream& x, unsigned wanted, bool rearm) {
  const std::shared_ptr<TcpStream::State>& s = x.s_;
  if (!s || !s->usable()) return PollItem::invalid;
  const auto now = [&] {
    unsigned r = 0;
    const bool failed = s->error.load(std::memory_order_acquire) != 0;
    const bool gone = s->detached.load(std::memory_order_acquire);
    const bool eof = s->eof.load(std::memory_order_acquire);
    if ((wanted & PollItem::readable) && (s->rx.size() > 0 || eof || failed || gone)) r |= PollItem::readable;
    if ((wanted & PollItem::writable) &&
        (failed || gone || (s->connected.load(std::memory_order_acquire) && s->tx.free() > 0)))
      r |= PollItem::writable;
    if (failed) r |= PollItem::error;
    if (eof || failed || gone) r |= PollItem::hangup;
    if (!s->link->get()) r |= PollItem::error | PollItem::hangup;
    return r;
  };
  return rearm ? rearm_readiness(wanted, s->events, s->room, now) : now();
}

std::array<int, 2> poll_access::fds(const TcpStream& x, unsigned wanted) {
  if (!x.s_ || !x.s_->usable()) return {-1, -1};
  // Errors and EOF also raise `events`, so it is waited on even for writable alone.
  return {x.s_->events.fd(), (wanted & PollItem::writable) ? x.s_->room.fd() : -1};
}

unsigned poll_access::check(const TcpListener& x, unsigned wanted, bool rearm) {
  const std::shared_ptr<TcpListener::State>& s = x.s_;
  if (!s || s->closed.load()) return PollItem::invalid;
  const auto now = [&] {
    unsigned r = 0;
    if ((wanted & PollItem::readable) && !s->accepted.empty()) r |= PollItem::readable;
    if (!s->link->get()) r |= PollItem::error | PollItem::hangup;
    return r;
  };
  const unsigned r = now();
  if (!rearm || !(wanted & PollItem::readable) || (r & PollItem::readable)) return r;
  s->ready.clear();
  return now();
}

std::array<int, 2> poll_access::fds(const TcpListener& x, unsigned) {
  return {x.s_ ? x.s_->ready.fd() : -1, -1};
}

}  // namespace ztkit
