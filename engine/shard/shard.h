// The per-core loop (architecture.md, "Threads and ownership"). A shard owns a buffer pool, an
// I/O backend made on that pool (io_uring, epoll or the simulated network: it cannot tell), and
// a timer wheel. Each iteration:
//   1. poll the backend, waiting at most until the next timer deadline (no fixed sleeps);
//   2. hand the received batch to the handler (on_datagrams);
//   3. fire the timers that are due (on_timer);
//   4. run the tasks posted from other threads (shard::post), at most command_budget of them;
//   5. one flush() for everything the handlers and tasks queued with send().
// Before blocking in poll with a nonzero timeout the shard announces its sleep on its command
// queue's wakeup and re-checks the lanes (buf/wakeup.h's protocol); a producer that finds it
// asleep interrupts the poll with backend().wake(), so a posted task never waits for a timer.
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
#include "engine/buf/command_queue.h"
#include "engine/buf/inplace_task.h"
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
  std::uint64_t tasks_run = 0;           // posted tasks run on the shard thread
};

struct shard_config {
  int id = 0;
  int cpu = -1;                              // pin the thread to this CPU; -1: no pinning
  buf::buffer_pool::config pool{};
  io::socket_options socket{};
  timer_wheel::config timers{};
  std::size_t rx_batch = 64;                 // datagrams per poll()
  std::int64_t max_poll_timeout_ns = -1;     // with no timer armed; -1: until a datagram/wake
  // The command path (post()): per producer thread lane capacity; 0: no command path.
  std::size_t command_capacity = 0;
  std::size_t command_max_producers = 64;    // distinct threads that may post()
  std::size_t command_budget = 256;          // tasks run per iteration at most
};

class shard {
 public:
  using backend_factory =
      std::function<result<std::unique_ptr<io::backend>>(buf::buffer_pool& pool)>;
  // Runs on the shard's thread; allocation-free (captures up to 48 bytes).
  using task = buf::inplace_task<void(shard&)>;
  using command_queue = buf::command_queue<task>;

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

  // From any thread (shard_config::command_capacity > 0): queues t to run on the shard's thread
  // within a later iteration and wakes the shard if it sleeps in poll. Per posting thread, tasks
  // run in the order posted. No lock and no allocation per task (a thread's first post to a
  // shard registers its lane once). Returns ok, or why t was refused (t is then left as it was):
  // full (this thread's lane: back off and retry), closed (close_commands()),
  // too_many_producers; closed also when the shard has no command path.
  // Posting must have stopped before the shard is destroyed; tasks accepted before stop() and
  // still queued when the loop ends run once more on the way out.
  buf::push_status try_post(task&& t);
  bool post(task&& t) { return try_post(std::move(t)) == buf::push_status::ok; }
  // Refuses every later post() (any thread).
  void close_commands() {
    if (commands_) commands_->close();
  }
  bool has_commands() const { return commands_ != nullptr; }
  // Drain and wake-up statistics (any thread); all zero without a command path.
  buf::command_counters command_counters() const;

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
  std::size_t run_tasks(std::size_t budget);
  static void wake_backend(void* self);

  shard_config cfg_;
  shard_handler& handler_;
  buf::buffer_pool pool_;  // declared before backend_: outlives it
  std::unique_ptr<io::backend> backend_;
  backend_factory make_backend_;
  timer_wheel timers_;
  std::vector<io::rx_datagram> rx_;
  shard_counters counters_{};
  std::unique_ptr<command_queue> commands_;  // null: no command path
  std::atomic<bool> stop_{false};
  std::atomic<bool> pinned_{false};
  std::thread thread_;
};

}  // namespace ztkit::shard
