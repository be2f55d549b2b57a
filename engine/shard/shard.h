// The per-core loop (architecture.md, "Threads and ownership"). A shard owns a buffer pool, an
// I/O backend made on that pool (io_uring, epoll or the simulated network: it cannot tell), and
// a timer wheel. Each iteration:
//   1. poll the backend, waiting at most until the next timer deadline (no fixed sleeps);
//   2. hand the received batch to the handler (on_datagrams);
//   3. fire the timers that are due (on_timer);
//   4. one flush() for everything the handlers queued with send().
// It runs on its own thread (start / stop / join, optionally pinned to a CPU) with a real
// clock, or is stepped by hand with run_once(now) on a virtual clock for the simulator.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "engine/base/result.h"
#include "engine/buf/packet_buffer.h"
#include "engine/io/backend.h"
#include "engine/shard/timer_wheel.h"

namespace ztkit::shard {

// Where a shard thread reads the time. Protocol code never does: it gets `now` handed in.
class clock {
 public:
  virtual ~clock() = default;
  virtual std::int64_t now_ns() const = 0;
};

// CLOCK_MONOTONIC, for shard threads.
class monotonic_clock final : public clock {
 public:
  std::int64_t now_ns() const override;
  static const monotonic_clock& instance();
};

// A clock that moves only when told to (tests, simulations); readable from any thread.
class virtual_clock final : public clock {
 public:
  explicit virtual_clock(std::int64_t start_ns = 0) : now_(start_ns) {}
  std::int64_t now_ns() const override { return now_.load(std::memory_order_acquire); }
  void set(std::int64_t t) { now_.store(t, std::memory_order_release); }
  void advance(std::int64_t dt) { now_.fetch_add(dt, std::memory_order_acq_rel); }

 private:
  std::atomic<std::int64_t> now_;
};

class shard;

// What a shard calls; runs on the shard's thread. The handler may send (shard::send), arm and
// cancel timers (shard::timers()), and keep any rx buffer it moves out of the batch; buffers
// left in the batch return to the pool after on_datagrams returns.
class shard_handler {
 public:
  virtual ~shard_handler() = default;
  virtual void on_datagrams(shard& s, std::span<io::rx_datagram> batch, std::int64_t now) = 0;
  virtual void on_timer(shard& s, std::uint64_t token, std::int64_t now) {}
  // Once per iteration after timers, before the flush (tx batching points, tests).
  virtual void on_iteration(shard& s, std::int64_t now) {}
};

struct shard_counters {
  std::uint64_t iterations = 0;
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;       // accepted by backend send()
  std::uint64_t send_dropped = 0;        // refused by backend send() (queue full)
  std::uint64_t timers_fired = 0;
  std::uint64_t timer_insert_failed = 0; // the wheel was full
  std::uint64_t empty_polls = 0;         // poll returned nothing
};

struct shard_config {
  int id = 0;
  int cpu = -1;                              // pin the thread to this CPU; -1: no pinning
  buf::buffer_pool::config pool{};
  io::socket_options socket{};
  timer_wheel::config timers{};
  std::size_t rx_batch = 64;                 // datagrams per poll()
  std::int64_t max_poll_timeout_ns = -1;     // with no timer armed; -1: until a datagram/wake
};

class shard {
 public:
  using backend_factory =
      std::function<result<std::unique_ptr<io::backend>>(buf::buffer_pool& pool)>;

  // Makes the pool, then the backend on it; open() binds it.
  shard(const shard_config& cfg, const backend_factory& make_backend, shard_handler& handler,
        std::int64_t start_ns = 0);
  ~shard();
  shard(const shard&) = delete;
  shard& operator=(const shard&) = delete;

  // Makes and opens the backend. Errors: the factory's, or the bind's.
  status open();

  // One iteration at `now` without waiting (the simulator's step). Returns datagrams received.
  std::size_t run_once(std::int64_t now) { return iterate(now, 0, nullptr); }

  // Runs the loop on a new thread reading `clk` (which must outlive the shard) until stop().
  status start(const clock& clk = monotonic_clock::instance());
  // Asks the loop to end (any thread): sets the flag and wakes the backend.
  void stop();
  // Waits for the loop thread; once it returns, the backend is closed and every buffer it held
  // is back in the pool.
  void join();
  bool running() const { return thread_.joinable(); }

  // For handlers, on the shard's thread.
  bool send(io::tx_datagram&& d);
  bool send(buf::packet_buffer&& b, const io::inet_address& to) {
    return send(io::tx_datagram{std::move(b), to, 0});
  }
  timer_handle arm(std::int64_t deadline_ns, std::uint64_t token);

  int id() const { return cfg_.id; }
  buf::buffer_pool& pool() { return pool_; }
  io::backend& backend() { return *backend_; }
  timer_wheel& timers() { return timers_; }
  io::inet_address local_address() const { return backend_->local_address(); }
  const shard_counters& counters() const { return counters_; }
  // Whether pinning succeeded (false also when not asked).
  bool pinned() const { return pinned_.load(std::memory_order_relaxed); }

 private:
  std::size_t iterate(std::int64_t now, std::int64_t timeout_ns, const clock* clk);
  void loop(const clock* clk);
  std::int64_t poll_timeout(std::int64_t now) const;

  shard_config cfg_;
  shard_handler& handler_;
  buf::buffer_pool pool_;  // declared before backend_: outlives it
  std::unique_ptr<io::backend> backend_;
  backend_factory make_backend_;
  timer_wheel timers_;
  std::vector<io::rx_datagram> rx_;
  shard_counters counters_{};
  std::atomic<bool> stop_{false};
  std::atomic<bool> pinned_{false};
  std::thread thread_;
};

}  // namespace ztkit::shard
