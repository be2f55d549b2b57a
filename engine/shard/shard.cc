#include "engine/shard/shard.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ztkit::shard {

std::int64_t monotonic_clock::now_ns() const {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

const monotonic_clock& monotonic_clock::instance() {
  static const monotonic_clock c;
  return c;
}

shard::shard(const shard_config& cfg, const backend_factory& make_backend, shard_handler& handler,
             std::int64_t start_ns)
    : cfg_(cfg),
      handler_(handler),
      pool_(cfg.pool),
      make_backend_(make_backend),
      timers_(cfg.timers, start_ns),
      rx_(std::max<std::size_t>(cfg.rx_batch, 1)) {
  if (cfg_.command_capacity > 0) {
    command_queue::config qc;
    qc.shards = 1;
    qc.ring_capacity = cfg_.command_capacity;
    qc.max_producers = std::max<std::size_t>(cfg_.command_max_producers, 1);
    commands_ = std::make_unique<command_queue>(qc);
    // A producer that finds the shard asleep interrupts the backend's poll, which the
    // wakeup's own eventfd could not reach.
    commands_->shard_wakeup(0).set_notifier(&shard::wake_backend, this);
  }
}

void shard::wake_backend(void* self) {
  auto* s = static_cast<shard*>(self);
  if (s->backend_) s->backend_->wake();
}

buf::push_status shard::try_post(task&& t) {
  if (!commands_) return buf::push_status::closed;
  return commands_->push(0, std::move(t));
}

buf::command_counters shard::command_counters() const {
  return commands_ ? commands_->counters(0) : buf::command_counters{};
}

std::size_t shard::run_tasks(std::size_t budget) {
  if (!commands_ || budget == 0) return 0;
  const std::size_t n = commands_->drain(
      0, [this](task&& t, command_queue::reply_to) { t(*this); }, budget);
  counters_.tasks_run += n;
  return n;
}

shard::~shard() {
  stop();
  join();
  if (backend_) backend_->close();
  rx_.clear();  // buffers back to the pool before it goes
}

status shard::open() {
  if (backend_) return error{errc::failed_precondition, "shard: already open"};
  auto made = make_backend_(pool_);
  if (!made.ok()) return made.status();
  backend_ = std::move(made).value();
  if (status s = backend_->open(cfg_.socket); !s.ok()) {
    backend_.reset();
    return s;
  }
  return {};
}

bool shard::send(io::tx_datagram&& d) {
  if (backend_->send(std::move(d))) {
    ++counters_.datagrams_out;
    return true;
  }
  ++counters_.send_dropped;
  return false;
}

timer_handle shard::arm(std::int64_t deadline_ns, std::uint64_t token) {
  timer_handle h = timers_.insert(deadline_ns, token);
  if (!h.valid()) ++counters_.timer_insert_failed;
  return h;
}

std::int64_t shard::poll_timeout(std::int64_t now) const {
  const auto next = timers_.next_deadline();
  if (!next) return cfg_.max_poll_timeout_ns;
  const std::int64_t wait = std::max<std::int64_t>(*next - now, 0);
  return cfg_.max_poll_timeout_ns >= 0 ? std::min(wait, cfg_.max_poll_timeout_ns) : wait;
}

std::size_t shard::iterate(std::int64_t now, std::int64_t timeout_ns, const clock* clk) {
  // About to block: announce it, then re-check the lanes (buf/wakeup.h). A producer that pushes
  // after the re-check sees `sleeping` and wakes the backend (wake_backend); one that pushed
  // before it is seen here, and the poll does not wait.
  bool slept = false;
  if (commands_ && timeout_ns != 0) {
    buf::wakeup& w = commands_->shard_wakeup(0);
    w.prepare_sleep();
    if (commands_->pending(0) || stop_.load(std::memory_order_acquire)) {
      w.cancel_sleep();
      timeout_ns = 0;
    } else {
      slept = true;
    }
  }
  const std::size_t n = backend_->poll(std::span<io::rx_datagram>(rx_), timeout_ns);
  if (slept) commands_->shard_wakeup(0).after_wake();
  if (clk) now = clk->now_ns();  // poll may have waited
  ++counters_.iterations;
  if (n > 0) {
    counters_.datagrams_in += n;
    handler_.on_datagrams(*this, std::span<io::rx_datagram>(rx_.data(), n), now);
    for (std::size_t i = 0; i < n; ++i) rx_[i].buffer = {};  // what the handler left
  } else {
    ++counters_.empty_polls;
  }
  counters_.timers_fired += timers_.advance(
      now, [&](std::uint64_t token, std::int64_t) { handler_.on_timer(*this, token, now); });
  handler_.on_iteration(*this, now);
  run_tasks(cfg_.command_budget);
  backend_->flush();
  return n;
}

void shard::loop(const clock* clk) {
  if (cfg_.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cfg_.cpu, &set);
    const int rc = ::pthread_setaffinity_np(::pthread_self(), sizeof(set), &set);
    if (rc == 0) {
      pinned_.store(true, std::memory_order_relaxed);
    } else {
      static std::atomic<bool> logged{false};
      if (!logged.exchange(true))
        std::fprintf(stderr, "ztkit: shard %d: cannot pin to CPU %d (%s); running unpinned\n",
                     cfg_.id, cfg_.cpu, std::strerror(rc));
    }
  }
  while (!stop_.load(std::memory_order_acquire)) {
    const std::int64_t now = clk->now_ns();
    iterate(now, poll_timeout(now), clk);
  }
  // Shutdown with operations in flight: tasks already accepted run, whatever was queued is
  // handed over once more, then the backend cancels the rest and returns every buffer to the
  // pool.
  run_tasks(cfg_.command_capacity * cfg_.command_max_producers);  // bounded: posters may go on
  backend_->flush();
  backend_->close();
}

status shard::start(const clock& clk) {
  if (thread_.joinable()) return error{errc::failed_precondition, "shard: already running"};
  if (!backend_) return error{errc::failed_precondition, "shard: start() before open()"};
  stop_.store(false, std::memory_order_release);
  thread_ = std::thread([this, c = &clk] { loop(c); });
  return {};
}

void shard::stop() {
  stop_.store(true, std::memory_order_release);
  if (backend_) backend_->wake();
}

void shard::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace ztkit::shard
