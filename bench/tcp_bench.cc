// TCP on one core, two tcp_sockets joined in memory: every segment is emitted into a frame
// buffer (header, checksum over the pseudo-header, payload copy), parsed back with its
// checksum verified, and processed by the peer, as an interface would. No loss.
//   BM_TcpBulk/<mtu>        goodput of a one-way bulk transfer (bytes/s = payload delivered)
//   BM_TcpRequestResponse   64-byte request, 64-byte response, NODELAY (time per exchange)
#include <benchmark/benchmark.h>

#include <array>
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

}  // namespace
