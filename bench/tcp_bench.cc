// TCP on one core, two tcp_sockets joined in memory: every segment is emitted into a frame
// buffer (header, checksum over the pseudo-header, payload copy), parsed back with its
// checksum verified, and processed by the peer, as an interface would. No loss.
//   BM_TcpBulk/<mtu>        goodput of a one-way bulk transfer (bytes/s = payload delivered)
//   BM_TcpRequestResponse   64-byte request, 64-byte response, NODELAY (time per exchange)
// Baselines in the same binary, so that one run gives the ratio: the Linux kernel's TCP over
// 127.0.0.1 (plain POSIX sockets, default buffers; connection set up once per benchmark run,
// outside the timed loop).
//   BM_KernelTcpLoopback         256 KiB written per iteration, Nagle on; a reader thread
//                                drains; bytes/s = bytes the reader got during the timed loop
//   BM_KernelTcpRequestResponse  64-byte ping-pong with an echo thread, TCP_NODELAY both ends
// These cross threads and syscalls (and, on a small VM, wake-ups), where the ztkit rows above run
// both stacks on one thread in memory: they are the ceiling a real stack is compared against,
// not the same experiment.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "netstack/tcp/tcp_socket.h"

namespace {

using namespace ztkit::netstack;

const inet_address a_ep = inet_address::v4({10, 0, 0, 1}, 40000);
const inet_address b_ep = inet_address::v4({10, 0, 0, 2}, 80);

struct pair_rig {
  tcp_socket a, b;
  std::uint64_t now = 1000;
  std::array<std::uint8_t, 9100> frame{};
  std::size_t segments = 0;

  explicit pair_rig(const tcp_config& c)
      : a(c, siphash_key{1}), b(c, siphash_key{2}) {
    b.listen(b_ep);
    a.connect(now, a_ep, b_ep);
    pump();
  }
  // One pass: everything `from` sends goes to `to`. Returns segments moved.
  std::size_t move(tcp_socket& from, tcp_socket& to) {
    std::size_t n = 0;
    tcp_segment seg;
    while (from.poll(now, seg)) {
      std::size_t len = seg.emit(frame);
      auto p = wire::tcp_packet::new_checked({frame.data(), len});
      wire::tcp_repr r;
      if (p && wire::tcp_repr::parse(*p, wire::ipv4_address::from_inet(seg.local),
                                     wire::ipv4_address::from_inet(seg.remote), r) ==
                   wire::tcp_error::ok)
        to.process(now, r, p->payload(), seg.local, seg.remote);
      ++n;
    }
    segments += n;
    return n;
  }
  void pump() {
    while (move(a, b) + move(b, a)) {}
  }
};

void BM_TcpBulk(benchmark::State& state) {
  tcp_config c;
  c.mtu = static_cast<std::size_t>(state.range(0));
  c.rx_buffer = c.tx_buffer = 1 << 20;
  pair_rig r(c);
  std::vector<std::uint8_t> src(256 * 1024, 0x5a), dst(256 * 1024);
  std::uint64_t delivered = 0;
  for (auto _ : state) {
    // Keep the send ring full; the receiver reads everything each round. The clock moves
    // 1 ms per round so delayed-ACK timers and RTT samples behave.
    r.now += 1;
    r.a.send(src);
    r.move(r.a, r.b);
    while (std::size_t n = r.b.recv(dst)) delivered += n;
    r.move(r.b, r.a);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(delivered));
  state.counters["segments/iter"] =
      benchmark::Counter(static_cast<double>(r.segments), benchmark::Counter::kAvgIterations);
  if (r.a.counters().retransmits) state.SkipWithError("retransmissions in a lossless run");
}
BENCHMARK(BM_TcpBulk)->Arg(1500)->Arg(2800);

void BM_TcpRequestResponse(benchmark::State& state) {
  tcp_config c;
  c.mtu = 2800;
  c.nodelay = true;
  c.rx_buffer = c.tx_buffer = 64 * 1024;
  pair_rig r(c);
  std::array<std::uint8_t, 64> req{}, resp{}, buf{};
  for (auto _ : state) {
    r.now += 1;
    r.a.send(req);
    r.move(r.a, r.b);
    r.b.recv(buf);
    r.b.send(resp);
    r.move(r.b, r.a);
    r.a.recv(buf);
    r.move(r.a, r.b);  // the ACK of the response (delayed or not)
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TcpRequestResponse);

// A connected pair of TCP sockets over 127.0.0.1 (client, server); both -1 on failure.
struct loopback_pair {
  int client = -1, server = -1;
  explicit loopback_pair(bool nodelay) {
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0) return;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(l, reinterpret_cast<sockaddr*>(&a), len) == 0 && ::listen(l, 1) == 0 &&
        getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (client >= 0 && connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
        server = accept(l, nullptr, nullptr);
    }
    close(l);
    if (server < 0) {
      if (client >= 0) close(client);
      client = -1;
      return;
    }
    int v = nodelay ? 1 : 0;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
  }
  ~loopback_pair() {
    if (client >= 0) close(client);
    if (server >= 0) close(server);
  }
  bool ok() const { return client >= 0 && server >= 0; }
  loopback_pair(const loopback_pair&) = delete;
  loopback_pair& operator=(const loopback_pair&) = delete;
};

bool send_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}
bool recv_all(int fd, std::uint8_t* p, std::size_t n) {
  while (n) {
    ssize_t r = recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

void BM_KernelTcpLoopback(benchmark::State& state) {
  loopback_pair p(false);
  if (!p.ok()) {
    state.SkipWithError("loopback TCP setup failed");
    return;
  }
  std::atomic<std::uint64_t> delivered{0};
  std::thread reader([&] {
    std::vector<std::uint8_t> b(256 * 1024);
    while (true) {
      ssize_t n = recv(p.server, b.data(), b.size(), 0);
      if (n <= 0) break;
      delivered.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    }
  });
  std::vector<std::uint8_t> src(256 * 1024, 0x5a);
  const std::uint64_t before = delivered.load();
  for (auto _ : state) {
    if (!send_all(p.client, src.data(), src.size())) {
      state.SkipWithError("send failed");
      break;
    }
  }
  // Read right at the end of the timed loop: what reached the reader while it ran, not what
  // still sits in the socket buffers.
  const std::uint64_t got = delivered.load() - before;
  shutdown(p.client, SHUT_WR);
  reader.join();
  state.SetBytesProcessed(static_cast<std::int64_t>(got));
}
BENCHMARK(BM_KernelTcpLoopback)->UseRealTime();

void BM_KernelTcpRequestResponse(benchmark::State& state) {
  loopback_pair p(true);
  if (!p.ok()) {
    state.SkipWithError("loopback TCP setup failed");
    return;
  }
  std::thread echo([&] {
    std::array<std::uint8_t, 64> b{};
    while (recv_all(p.server, b.data(), b.size()) && send_all(p.server, b.data(), b.size())) {}
  });
  std::array<std::uint8_t, 64> req{}, resp{};
  for (auto _ : state) {
    if (!send_all(p.client, req.data(), req.size()) ||
        !recv_all(p.client, resp.data(), resp.size())) {
      state.SkipWithError("ping-pong failed");
      break;
    }
  }
  shutdown(p.client, SHUT_WR);
  echo.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KernelTcpRequestResponse)->UseRealTime();

}  // namespace
