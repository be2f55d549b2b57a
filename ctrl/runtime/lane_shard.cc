#include "ctrl/runtime/lane_shard.h"

#include <algorithm>
#include <chrono>
#include <climits>

namespace ztkit::ctrl {

namespace {
constexpr std::int64_t max_sleep_ms = 250;
}

lane_shard::lane_shard(unsigned index, std::function<std::int64_t()> clock,
                       std::shared_ptr<runner_wake> home)
    : index_(index), clock_(std::move(clock)), home_(std::move(home)),
      wake_(std::make_shared<runner_wake>()) {}

lane_shard::~lane_shard() {
  stop();
  lanes_.clear();  // clients (API sockets) let go of their lanes here, on no thread of ours
}

void lane_shard::start() {
  if (thread_.joinable() || !valid()) return;
  thread_ = std::thread([this] { run(); });
}

void lane_shard::stop() {
  stop_.store(true);
  wake_->notify();  // the loop looks at stop_ after announcing a sleep (runner_wake's protocol)
  if (thread_.joinable()) thread_.join();
}

void lane_shard::post(std::function<void(std::int64_t)> fn) {
  {
    std::lock_guard lock(mu_);
    commands_.push_back(std::move(fn));
    has_commands_.store(true, std::memory_order_relaxed);
  }
  wake_->notify();
}

flow_lane* lane_shard::lane(std::uint64_t nwid) {
  auto it = lanes_.find(nwid);
  return it == lanes_.end() ? nullptr : it->second.get();
}
void lane_shard::add_lane(std::shared_ptr<flow_lane> l) { lanes_[l->network_id()] = std::move(l); }
void lane_shard::remove_lane(std::uint64_t nwid) { lanes_.erase(nwid); }

bool lane_shard::pass(std::int64_t now) {
  counters_.iterations.fetch_add(1, std::memory_order_relaxed);
  if (has_commands_.load(std::memory_order_relaxed)) {
    std::vector<std::function<void(std::int64_t)>> cmds;
    {
      std::lock_guard lock(mu_);
      cmds.swap(commands_);
      has_commands_.store(false, std::memory_order_relaxed);
    }
    for (auto& fn : cmds) fn(now);
  }
  bool sent = false;
  for (auto& [nwid, l] : lanes_) sent |= l->pass(now);
  return sent;
}

std::int64_t lane_shard::next_deadline() const {
  std::int64_t at = INT64_MAX;
  if (has_commands_.load(std::memory_order_relaxed)) return 0;
  for (const auto& [nwid, l] : lanes_) at = std::min(at, l->next_deadline());
  return at;
}

namespace {
std::uint64_t steady_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}
}  // namespace

void lane_shard::run() {
  auto& w = wake_->consumer();
  std::uint64_t busy_since = steady_ns();
  while (!stop_.load()) {
    std::int64_t now = clock_();
    if (pass(now)) home_->notify();
    std::int64_t wait = std::min(next_deadline() - clock_(), max_sleep_ms);
    if (wait <= 0) continue;
    // Announce the sleep, then one more pass: an application that queued work before the
    // announcement is seen here, one after it finds the flag and writes the eventfd.
    w.prepare_sleep();
    now = clock_();
    if (pass(now)) home_->notify();
    wait = std::min(next_deadline() - clock_(), max_sleep_ms);
    if (wait <= 0 || stop_.load()) {
      w.cancel_sleep();
      continue;
    }
    counters_.sleeps.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t t0 = steady_ns();
    counters_.busy_ns.store(counters_.busy_ns.load(std::memory_order_relaxed) + (t0 - busy_since),
                            std::memory_order_relaxed);
    w.block(static_cast<int>(wait));
    busy_since = steady_ns();
    counters_.idle_ns.store(counters_.idle_ns.load(std::memory_order_relaxed) + (busy_since - t0),
                            std::memory_order_relaxed);
    w.after_wake();
  }
}

}  // namespace ztkit::ctrl
