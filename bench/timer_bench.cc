// Timer wheel insert / cancel / expire, and the simulated network's datagrams per second.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <vector>

#include "engine/io/sim/sim_network.h"
#include "engine/shard/timer_wheel.h"

namespace {

using ztkit::shard::timer_handle;
using ztkit::shard::timer_wheel;

constexpr std::int64_t ms = 1'000'000;

std::uint64_t lcg(std::uint64_t& x) {
  x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x >> 33;
}

// Insert then cancel (a TCP retransmission timer re-armed on every ACK), with `range(0)`
// other timers armed around it.
void BM_TimerInsertCancel(benchmark::State& state) {
  const auto background = static_cast<std::size_t>(state.range(0));
  timer_wheel w({.tick_ns = 1 * ms, .capacity = background + 16});
  std::uint64_t x = 1;
  for (std::size_t i = 0; i < background; ++i)
    (void)w.insert(static_cast<std::int64_t>(lcg(x) % (60'000 * ms)), i);
  for (auto _ : state) {
    timer_handle h = w.insert(static_cast<std::int64_t>(lcg(x) % (1000 * ms)) + 1, 0);
    benchmark::DoNotOptimize(w.cancel(h));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerInsertCancel)->Arg(0)->Arg(10'000)->Arg(1'000'000);

// Insert N timers over ~N/1000 seconds and run the clock through all of them in 1 ms steps:
// items = timers inserted and fired (cascades included).
void BM_TimerInsertExpire(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  timer_wheel w({.tick_ns = 1 * ms, .capacity = n});
  std::uint64_t x = 7;
  std::int64_t now = 0;
  std::uint64_t fired = 0;
  const std::int64_t span = static_cast<std::int64_t>(n) * ms / 1000 + 100 * ms;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i)
      (void)w.insert(now + 1 + static_cast<std::int64_t>(lcg(x) % static_cast<std::uint64_t>(span)), i);
    const std::int64_t end = now + span + 1 * ms;
    while (now < end) {
      now += 1 * ms;
      fired += w.advance(now, [](std::uint64_t, std::int64_t) {});
    }
  }
  if (fired != n * state.iterations()) state.SkipWithError("not every timer fired");
  state.SetItemsProcessed(static_cast<std::int64_t>(fired));
}
BENCHMARK(BM_TimerInsertExpire)->Arg(1'000)->Arg(100'000);

// Datagrams through the simulated network: send + flush on one endpoint, advance the clock,
// poll on the other; range(0) bytes each, 1 ms delay, 32 per batch.
void BM_SimNetworkDatagrams(benchmark::State& state) {
  using namespace ztkit;
  const auto size = static_cast<std::size_t>(state.range(0));
  io::sim::sim_network::config cfg;
  cfg.default_link.delay_ns = 1 * ms;
  cfg.default_link.jitter_ns = 100'000;
  io::sim::sim_network net(cfg);
  buf::buffer_pool pa({.slab_size = 2048, .count = 256}), pb({.slab_size = 2048, .count = 256});
  auto a = net.make_endpoint(pa), b = net.make_endpoint(pb);
  if (!a->open({}).ok() || !b->open({}).ok()) return state.SkipWithError("open");
  const io::inet_address to = b->local_address();
  std::array<io::rx_datagram, 32> rx;
  std::uint64_t received = 0;
  for (auto _ : state) {
    for (int i = 0; i < 32; ++i) {
      buf::packet_buffer p = pa.get();
      std::memset(p.append(size), 0x11, size);
      a->send(io::tx_datagram{std::move(p), to, 0});
    }
    a->flush();
    net.advance_by(2 * ms);
    std::size_t n;
    while ((n = b->poll(rx, 0)) > 0) {
      received += n;
      for (std::size_t i = 0; i < n; ++i) rx[i].buffer = {};
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(received));
  state.SetBytesProcessed(static_cast<std::int64_t>(received * size));
}
BENCHMARK(BM_SimNetworkDatagrams)->Arg(64)->Arg(1400);

}  // namespace
