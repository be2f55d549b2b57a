// Rings and pools (issue 5): SPSC ring ops/s on one thread and across two, single vs batch;
// buffer_pool get/put; and the application -> shard command path, per-thread SPSC lanes
// (command_queue) against a bounded MPSC (Vyukov's) and a mutex-guarded ring with the same
// producers, which is the measurement behind command_queue.h's design choice.
// Items processed = values moved through the queue. Cross-thread runs use real time.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/buf/command_queue.h"
#include "engine/buf/packet_buffer.h"
#include "engine/buf/spsc_ring.h"
#include "engine/buf/wakeup.h"

namespace {

using namespace ztkit::buf;

// ---- one thread: the cost of the operations themselves (both indices stay in this core) ----

void BM_spsc_push_pop(benchmark::State& state) {
  spsc_ring<std::uint64_t> r(1024);
  std::uint64_t v = 0, out = 0;
  for (auto _ : state) {
    r.try_push(std::uint64_t{v++});
    r.try_pop(out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_spsc_push_pop);

void BM_spsc_push_pop_batch(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  spsc_ring<std::uint64_t> r(1024);
  std::vector<std::uint64_t> in(batch), out(batch);
  for (auto _ : state) {
    r.push_n(in);
    benchmark::DoNotOptimize(r.pop_n(out));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_spsc_push_pop_batch)->Arg(8)->Arg(32)->Arg(256);

// ---- two threads: a producer thread, the benchmark thread consumes ----

// batch 1: try_push / try_pop; batch > 1: push_n / consume.
void BM_spsc_cross_thread(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  constexpr std::uint64_t n = 1 << 20;
  for (auto _ : state) {
    spsc_ring<std::uint64_t> r(1024);
    std::thread producer([&] {
      std::vector<std::uint64_t> buf(batch);
      std::uint64_t i = 0;
      while (i < n) {
        if (batch == 1) {
          if (r.try_push(std::uint64_t{i})) ++i;
          else std::this_thread::yield();  // 2 shared cores: spinning starves the consumer
        } else {
          const std::size_t want = std::min<std::uint64_t>(batch, n - i);
          for (std::size_t k = 0; k < want; ++k) buf[k] = i + k;
          std::size_t sent = 0;
          while (sent < want) {
            const std::size_t s = r.push_n(std::span(buf).subspan(sent, want - sent));
            if (!s) std::this_thread::yield();
            sent += s;
          }
          i += want;
        }
      }
    });
    std::uint64_t got = 0, sum = 0;
    while (got < n) {
      std::size_t k;
      if (batch == 1) {
        std::uint64_t v;
        k = r.try_pop(v) ? (sum += v, 1) : 0;
      } else {
        k = r.consume([&](std::uint64_t&& v) { sum += v; }, batch);
      }
      if (!k) std::this_thread::yield();
      got += k;
    }
    producer.join();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_spsc_cross_thread)->Arg(1)->Arg(32)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- buffer_pool ----

void BM_pool_get_put(benchmark::State& state) {
  buffer_pool pool({.slab_size = 2048, .count = 4096, .headroom = 128});
  for (auto _ : state) {
    packet_buffer b = pool.get();
    benchmark::DoNotOptimize(b.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_pool_get_put);

// A burst like one receive batch: take 32, hand them on through a ring, drop them.
void BM_pool_get_ring_put_32(benchmark::State& state) {
  buffer_pool pool({.slab_size = 2048, .count = 4096, .headroom = 128});
  spsc_ring<packet_buffer> r(64);
  for (auto _ : state) {
    for (int i = 0; i < 32; ++i) r.try_push(pool.get());
    r.consume([](packet_buffer&& b) { benchmark::DoNotOptimize(b.data()); });
  }
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_pool_get_ring_put_32);

// ---- application -> shard: P producer threads, one consumer (the benchmark thread) ----

struct cmd {
  std::uint64_t a, b;  // a small command, like (socket id, length)
};

// Vyukov's bounded MPMC queue used as MPSC: one CAS on the shared enqueue index per push.
class mpsc_ring {
 public:
  explicit mpsc_ring(std::size_t cap) : mask_(cap - 1), cells_(new cell[cap]) {
    for (std::size_t i = 0; i < cap; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  }
  bool try_push(const cmd& c) {
    std::uint64_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      cell& x = cells_[pos & mask_];
      const std::uint64_t seq = x.seq.load(std::memory_order_acquire);
      const auto dif = static_cast<std::int64_t>(seq - pos);
      if (dif == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          x.value = c;
          x.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (dif < 0) {
        return false;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }
  template <typename F>
  std::size_t consume(F&& f, std::size_t max) {
    std::size_t n = 0;
    while (n < max) {
      cell& x = cells_[head_ & mask_];
      if (x.seq.load(std::memory_order_acquire) != head_ + 1) break;
      f(x.value);
      x.seq.store(head_ + mask_ + 1, std::memory_order_release);
      ++head_;
      ++n;
    }
    return n;
  }

 private:
  struct cell {
    std::atomic<std::uint64_t> seq;
    cmd value;
  };
  const std::uint64_t mask_;
  std::unique_ptr<cell[]> cells_;
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  alignas(64) std::uint64_t head_ = 0;
};

// A mutex around one ring: the obvious MPSC.
class locked_ring {
 public:
  explicit locked_ring(std::size_t cap) : r_(cap) {}
  bool try_push(const cmd& c) {
    std::lock_guard<std::mutex> g(mu_);
    return r_.try_push(cmd{c});
  }
  template <typename F>
  std::size_t consume(F&& f, std::size_t max) {
    std::lock_guard<std::mutex> g(mu_);
    return r_.consume([&](cmd&& c) { f(c); }, max);
  }

 private:
  std::mutex mu_;
  spsc_ring<cmd> r_;
};

constexpr std::uint64_t kCommands = 1 << 20;  // per run, all producers together

template <typename PushFn, typename DrainFn>
void run_producers(benchmark::State& state, PushFn push, DrainFn drain) {
  const auto producers = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t per = kCommands / producers;
  std::vector<std::thread> ts;
  for (std::uint64_t p = 0; p < producers; ++p)
    ts.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < per; ++i)
        while (!push(cmd{p, i})) std::this_thread::yield();
    });
  std::uint64_t got = 0, sum = 0;
  while (got < per * producers) {
    const std::size_t k = drain([&](const cmd& c) { sum += c.b; });
    if (!k) std::this_thread::yield();
    got += k;
  }
  for (auto& t : ts) t.join();
  benchmark::DoNotOptimize(sum);
}

void BM_cmd_spsc_lanes(benchmark::State& state) {
  for (auto _ : state) {
    command_queue<cmd> q({.shards = 1, .ring_capacity = 1024, .quantum = 64});
    run_producers(
        state, [&](cmd&& c) { return q.push(0, std::move(c)) == push_status::ok; },
        [&](auto&& f) { return q.drain(0, [&](cmd&& c, auto) { f(c); }, 256); });
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCommands));
}
BENCHMARK(BM_cmd_spsc_lanes)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_cmd_mpsc_vyukov(benchmark::State& state) {
  for (auto _ : state) {
    mpsc_ring q(1024);
    run_producers(
        state, [&](cmd&& c) { return q.try_push(c); },
        [&](auto&& f) { return q.consume(f, 256); });
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCommands));
}
BENCHMARK(BM_cmd_mpsc_vyukov)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same MPSC plus the shard wake-up check every real command path needs (command_queue
// pays it per push too): the fair comparison.
void BM_cmd_mpsc_vyukov_notify(benchmark::State& state) {
  for (auto _ : state) {
    mpsc_ring q(1024);
    wakeup w;
    run_producers(
        state,
        [&](cmd&& c) {
          thread_local std::atomic<std::uint64_t> skipped{0};
          if (!q.try_push(c)) return false;
          w.notify(skipped);
          return true;
        },
        [&](auto&& f) { return q.consume(f, 256); });
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCommands));
}
BENCHMARK(BM_cmd_mpsc_vyukov_notify)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_cmd_mpsc_mutex(benchmark::State& state) {
  for (auto _ : state) {
    locked_ring q(1024);
    run_producers(
        state, [&](cmd&& c) { return q.try_push(c); },
        [&](auto&& f) { return q.consume(f, 256); });
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCommands));
}
BENCHMARK(BM_cmd_mpsc_mutex)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

// One producer thread's push cost with the shard awake (notify() skips the eventfd): what an
// application thread pays per command when nothing crosses cores (drained in the same thread).
void BM_cmd_push_drain_same_thread(benchmark::State& state) {
  command_queue<cmd> q({.shards = 1, .ring_capacity = 1024});
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < 32; ++i) q.push(0, cmd{0, i});
    q.drain(0, [&](cmd&& c, auto) { sum += c.b; });
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_cmd_push_drain_same_thread);

}  // namespace
