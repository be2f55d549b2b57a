// Fragmentation costs (zerotier-protocol.md §1.4): splitting an armored packet at the default
// physical MTU, reassembling it (in order and reversed), and a hostile stream of single
// fragments with distinct ids that never complete. Bytes processed = packet bytes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "engine/wire/bytes.h"
#include "engine/wire/fragment.h"
#include "engine/wire/reassembly.h"

namespace {

using namespace ztkit::wire;

constexpr std::size_t kMtu = fragment_default_physical_mtu;

std::vector<std::uint8_t> fake_armored(std::size_t len) {
  std::vector<std::uint8_t> p(len);
  std::mt19937 rng(1);
  for (auto& b : p) b = static_cast<std::uint8_t>(rng());
  p[13] = 0x3d;
  p[18] = static_cast<std::uint8_t>(p[18] | fragment_head_flag);
  return p;
}

void BM_fragment_split(benchmark::State& state) {
  const auto packet = fake_armored(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> scratch(split_scratch_length(packet.size(), kMtu));
  for (auto _ : state) {
    auto split = split_packet(packet, kMtu, scratch);
    benchmark::DoNotOptimize(split.ok());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet.size()));
}
BENCHMARK(BM_fragment_split)->Arg(2800)->Arg(9000);

// Splits once, then reassembles the same datagrams over and over under fresh packet ids (the id
// is rewritten in place, as a new packet would carry a new one).
void reassemble(benchmark::State& state, bool reversed) {
  const auto packet = fake_armored(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> scratch(split_scratch_length(packet.size(), kMtu));
  auto split = split_packet(packet, kMtu, scratch);
  if (!split.ok()) {
    state.SkipWithError(split.message().c_str());
    return;
  }
  std::vector<std::vector<std::uint8_t>> datagrams;
  for (auto d : split->all()) datagrams.emplace_back(d.begin(), d.end());
  reassembly_table table;
  std::uint64_t id = 0;
  std::int64_t now = 0;
  for (auto _ : state) {
    ++id;
    for (auto& d : datagrams) store_be64(d.data(), id);
    reassembly_outcome out;
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
      out = table.on_datagram(1, datagrams[reversed ? datagrams.size() - 1 - i : i], now);
    }
    if (out.status != reassembly_status::complete) {
      state.SkipWithError("did not complete");
      return;
    }
    benchmark::DoNotOptimize(out.packet.data());
    now += 1;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet.size()));
}
void BM_reassemble_in_order(benchmark::State& state) { reassemble(state, false); }
void BM_reassemble_reversed(benchmark::State& state) { reassemble(state, true); }
BENCHMARK(BM_reassemble_in_order)->Arg(2800)->Arg(9000);
BENCHMARK(BM_reassemble_reversed)->Arg(2800)->Arg(9000);

// Split and reassemble end to end, as sender and receiver would.
void BM_split_and_reassemble(benchmark::State& state) {
  auto packet = fake_armored(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> scratch(split_scratch_length(packet.size(), kMtu));
  reassembly_table table;
  std::uint64_t id = 0;
  for (auto _ : state) {
    store_be64(packet.data(), ++id);
    auto split = split_packet(packet, kMtu, scratch);
    reassembly_outcome out;
    for (auto d : split->all()) out = table.on_datagram(1, d, 0);
    benchmark::DoNotOptimize(out.packet.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * packet.size()));
}
BENCHMARK(BM_split_and_reassemble)->Arg(2800)->Arg(9000);

// A hostile sender: one full-size fragment per datagram, every id new, from 8 sources; the table
// stays full and evicts on every datagram.
void BM_reassembly_hostile_stream(benchmark::State& state) {
  std::vector<std::uint8_t> d(kMtu, 0x5a);
  d[13] = fragment_indicator;
  d[14] = 0x73;  // total 7, number 3: never completes alone
  reassembly_table table;
  std::uint64_t id = 0;
  std::int64_t now = 0;
  for (auto _ : state) {
    store_be64(d.data(), ++id);
    auto out = table.on_datagram(id & 7, d, now);
    benchmark::DoNotOptimize(out.status);
    if ((id & 1023) == 0) ++now;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.size()));
  state.counters["evicted"] = static_cast<double>(table.counters().evicted);
}
BENCHMARK(BM_reassembly_hostile_stream);

}  // namespace
