// Shard k >= 1 of a node: a thread running the flow lanes (flow_lane.h) of every joined
// network, i.e. the TCP flows that hash to k, and the API sockets on them. Shard 0 (the
// node_runner's shard thread) feeds its lanes' `in` rings and wakes it once per batch; it
// wakes shard 0 after a pass that sent frames. Its loop sleeps until the earliest TCP timer
// of its lanes, a frame, a wake-up from an application or a command (no fixed sleep; a
// 250 ms cap keeps neighbor retries and expiries moving), using runner_wake's protocol:
// announce the sleep, look once more, then block.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ctrl/runtime/flow_lane.h"
#include "ctrl/runtime/runner_wake.h"

namespace ztkit::ctrl {

struct lane_shard_counters {
  std::atomic<std::uint64_t> iterations{0};
  std::atomic<std::uint64_t> sleeps{0};
  // Loop utilisation (steady clock): ns blocked waiting and ns working, since the start.
  std::atomic<std::uint64_t> idle_ns{0};
  std::atomic<std::uint64_t> busy_ns{0};
};

class lane_shard {
 public:
  // `clock`: the node's ms clock; `home`: wakes shard 0 (its frames wait in our `out` rings).
  lane_shard(unsigned index, std::function<std::int64_t()> clock,
             std::shared_ptr<runner_wake> home);
  ~lane_shard();
  lane_shard(const lane_shard&) = delete;
  lane_shard& operator=(const lane_shard&) = delete;

  // False if no eventfd could be had (then the node cannot run this shard).
  bool valid() const { return wake_->valid(); }
  void start();
  void stop();  // idempotent; lanes and their clients are dropped with the object

  unsigned index() const { return index_; }
  // Any thread: runs fn on this shard's thread at its next pass (FIFO).
  void post(std::function<void(std::int64_t now)> fn);
  // Any thread: frames or application work for this shard. No system call while it is busy.
  void wake() { wake_->notify(); }
  // For API sockets living here (they may outlive the shard: runner_wake).
  std::shared_ptr<runner_wake> waker() const { return wake_; }

  // ---- this shard's thread (a posted function) ----
  flow_lane* lane(std::uint64_t nwid);
  void add_lane(std::shared_ptr<flow_lane> l);
  void remove_lane(std::uint64_t nwid);
  template <typename F>
  void for_each_lane(F&& fn) {
    for (auto& [nwid, l] : lanes_) fn(*l);
  }
  const lane_shard_counters& counters() const { return counters_; }

 private:
  void run();
  // One pass over commands and lanes; true if a lane sent frames.
  bool pass(std::int64_t now);
  std::int64_t next_deadline() const;

  unsigned index_;
  std::function<std::int64_t()> clock_;
  std::shared_ptr<runner_wake> home_;
  std::shared_ptr<runner_wake> wake_;  // its own eventfd: this loop blocks on it
  std::mutex mu_;
  std::vector<std::function<void(std::int64_t)>> commands_;
  std::atomic<bool> has_commands_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::map<std::uint64_t, std::shared_ptr<flow_lane>> lanes_;  // this thread only
  lane_shard_counters counters_;
};

}  // namespace ztkit::ctrl
