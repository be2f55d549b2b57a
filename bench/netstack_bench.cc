// Netstack input and output paths, one core: frames/s through interface::process for an ARP
// request (answered), an ICMP echo request (answered) and a UDP datagram (delivered to a socket
// and read back), UDP socket send throughput (send_to + poll, fragmented above the MTU), and the
// Internet checksum. Frames are the known-good ones of tests/netstack/packets.h.
#include <benchmark/benchmark.h>

#include <vector>

#include "netstack/iface/interface.h"
#include "netstack/wire/checksum.h"
#include "tests/netstack/packets.h"

namespace {

using namespace ztkit;
using namespace ztkit::netstack;
using namespace ztkit::netstack::wire;
using namespace ztkit::netstack::test_packets;

interface_config bench_config() {
  interface_config c;
  c.mac = mac_address{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}};
  c.mtu = 1500;
  c.ipv4.push_back({ipv4_address{{10, 99, 0, 2}}, 24});
  ipv6_address a;
  a.b[0] = 0xfd;
  a.b[1] = 0x99;
  a.b[15] = 2;
  c.ipv6.push_back({a, 64});
  c.neighbors.reachable_time = ~0ull >> 2;
  return c;
}

struct fixture {
  buf::buffer_pool pool{{2048, 1024, 128}};
  interface ifc{bench_config(), pool};
  fixture() {
    for (auto& f : ifc.process(0, arp_request_frame)) f = buf::packet_buffer{};
    for (auto& f : ifc.process(0, ns_frame)) f = buf::packet_buffer{};
  }
};

void run_input(benchmark::State& state, const std::vector<std::uint8_t>& frame, bool udp) {
  fixture fx;
  std::optional<udp_handle> h;
  if (udp) {
    h = fx.ifc.udp().open();
    fx.ifc.udp().bind(*h, ipv4_address{{10, 99, 0, 2}}.to_inet(5353));
  }
  std::uint8_t rx[2048];
  std::uint64_t now = 1;
  for (auto _ : state) {
    auto out = fx.ifc.process(now, frame);
    for (auto& f : out) {
      benchmark::DoNotOptimize(f.data());
      f = buf::packet_buffer{};
    }
    if (udp) benchmark::DoNotOptimize(fx.ifc.udp().get(*h).recv_from(rx));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}

void BM_netstack_rx_arp_request(benchmark::State& s) { run_input(s, arp_request_frame, false); }
void BM_netstack_rx_icmp_echo(benchmark::State& s) { run_input(s, icmp_echo_frame, false); }
void BM_netstack_rx_icmpv6_echo(benchmark::State& s) { run_input(s, echo6_frame, false); }
void BM_netstack_rx_udp4_deliver(benchmark::State& s) { run_input(s, udp4_frame, true); }
void BM_netstack_rx_udp6_deliver(benchmark::State& s) { run_input(s, udp6_frame, true); }
BENCHMARK(BM_netstack_rx_arp_request);
BENCHMARK(BM_netstack_rx_icmp_echo);
BENCHMARK(BM_netstack_rx_icmpv6_echo);
BENCHMARK(BM_netstack_rx_udp4_deliver);
BENCHMARK(BM_netstack_rx_udp6_deliver);

// send_to + poll: datagrams/s and payload bytes/s (frames built, checksummed, fragmented).
void BM_netstack_udp_send(benchmark::State& state) {
  fixture fx;
  auto h = fx.ifc.udp().open();
  fx.ifc.udp().bind(*h, inet_address{});
  std::vector<std::uint8_t> payload(static_cast<std::size_t>(state.range(0)), 0x42);
  auto dst = ipv4_address{{10, 99, 0, 1}}.to_inet(9);
  std::uint64_t frames = 0;
  for (auto _ : state) {
    fx.ifc.udp().get(*h).send_to(payload, dst);
    auto out = fx.ifc.poll(1);
    frames += out.size();
    for (auto& f : out) f = buf::packet_buffer{};
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload.size()));
  state.counters["frames_per_dgram"] =
      static_cast<double>(frames) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_netstack_udp_send)->Arg(64)->Arg(1400)->Arg(8000);

void BM_netstack_checksum(benchmark::State& state) {
  std::vector<std::uint8_t> d(static_cast<std::size_t>(state.range(0)), 0xa5);
  for (auto _ : state) benchmark::DoNotOptimize(checksum::compute(d));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BM_netstack_checksum)->Arg(64)->Arg(1500)->Arg(9000);

}  // namespace
