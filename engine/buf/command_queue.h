// The application -> shard command path, and the shard -> application reply path
// (architecture.md: "commands/completions: lock-free SPSC rings per (thread, shard); wake-ups
// via eventfd").
//
// Design: one spsc_ring per (application thread, shard) pair — a "lane" — not one MPSC queue
// per shard. Why (numbers in bench/ring_bench.cc, summarised in the report of issue 5):
// - A push touches only lines its own thread and the one shard share; producers never contend
//   with each other. A bounded MPSC (Vyukov's, the best one we know of) needs a CAS on a shared
//   tail per push, and that line ping-pongs between every producer core. With one producer the
//   two are close; with several, the MPSC's shared tail makes every push a cache miss while the
//   lanes keep scaling.
// - The shard drains each lane in batches of `quantum` with one release store per batch, and
//   takes turns across lanes (round robin with a rotating start), so one chatty thread cannot
//   starve the others and per-producer order (FIFO) holds by construction.
// - The cost is memory (one ring per pair) and a scan over lanes per loop iteration; both are
//   small because application threads that talk to the node are few (max_producers bounds it).
// - Measured (ring_bench, 1 Mi 16-byte commands into one consumer, 2-core VM shared with other
//   builds, medians of 3, items/s for 1 / 2 / 4 producers): lanes 72M / 147M / 205M; Vyukov
//   MPSC with the same wake-up check 60M / 47M / 45M (without any wake-up 125M / 115M / 97M);
//   a mutex around one ring 7.5M / 68M / 24M. The lanes win from two producers on and gain
//   with more; re-measure on a many-core machine where producers truly run in parallel.
//
// Lanes are created lazily, the first time a thread pushes to a shard: the thread looks itself
// up once (a mutex, once per thread and queue) and then finds its lanes through a thread_local
// cache keyed by a never-reused queue id, so the per-command path takes no lock and allocates
// nothing. A lane is published to its shard by a release store of the lane count; the shard
// only ever reads the array up to that count, so no reclamation is needed while the queue lives.
// A thread that exits leaves its lanes behind (a thread that later gets the same std::thread::id
// inherits them, which is safe: the first owner is gone).
//
// Replies: when Reply is not no_reply, each lane also has a ring the other way (shard
// producer, application thread consumer) and each application thread gets a wakeup of its own
// (reply_fd()), written only when that thread sleeps in wait_replies() or its own poll loop.
//
// Shutdown: close() makes every later push() answer `closed`. Once the producers have stopped
// (joined, or known idle), the shard's final drain() sees everything that was accepted;
// whatever is still in a ring when the queue is destroyed is destroyed with it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "engine/buf/spsc_ring.h"
#include "engine/buf/wakeup.h"

namespace ztkit::buf {

struct no_reply {};

enum class push_status {
  ok,
  full,                // this thread's lane to that shard is full: back off, retry or drop
  closed,              // close() was called
  too_many_producers,  // more distinct threads than config::max_producers
};

struct command_counters {
  std::uint64_t drained = 0;    // commands handed to the shard
  std::uint64_t full = 0;       // pushes refused because a lane was full
  std::uint64_t producers = 0;  // lanes (threads that ever pushed to this shard)
  wakeup_counters wake;         // the shard's wakeup; `skipped` includes every lane's
};

namespace detail {
inline std::atomic<std::uint64_t> next_command_queue_id{1};
}

template <typename Cmd, typename Reply = no_reply>
class command_queue {
  static constexpr bool has_replies = !std::is_same_v<Reply, no_reply>;

 public:
  struct config {
    std::size_t shards = 1;
    std::size_t ring_capacity = 1024;   // per lane, commands
    std::size_t reply_capacity = 1024;  // per lane, replies (ignored without replies)
    std::size_t max_producers = 64;     // distinct application threads
    std::size_t quantum = 32;           // commands taken from one lane before the next lane's turn
  };

  // Where a reply goes: the lane a command came from. Valid for the queue's lifetime.
  struct reply_to {
    std::uint32_t lane;
  };

  explicit command_queue(const config& cfg)
      : cfg_(cfg), shards_(std::max<std::size_t>(cfg.shards, 1)) {
    for (auto& s : shards_) s.lanes = std::make_unique<std::atomic<lane*>[]>(cfg_.max_producers);
  }
  command_queue(const command_queue&) = delete;
  command_queue& operator=(const command_queue&) = delete;

  std::size_t shard_count() const { return shards_.size(); }

  // ---- application threads (shard < shard_count() everywhere) ----

  // Moves c into this thread's lane to `shard` and wakes the shard if it sleeps. On any status
  // but ok, c is left as it was.
  push_status push(std::size_t shard, Cmd&& c) {
    lane* l;
    if (push_status st = lane_for(shard, l); st != push_status::ok) return st;
    if (!l->cmds.try_push(std::move(c))) return count_full(l);
    shards_[shard].wake.notify(l->skipped);
    return push_status::ok;
  }

  // Moves as many of `cs` as fit (a prefix) with one publication and at most one wake-up.
  // Returns how many were taken; `st` says why the rest were not.
  std::size_t push_n(std::size_t shard, std::span<Cmd> cs, push_status* st = nullptr) {
    lane* l;
    push_status s = lane_for(shard, l);
    std::size_t n = 0;
    if (s == push_status::ok) {
      n = l->cmds.push_n(cs);
      if (n) shards_[shard].wake.notify(l->skipped);
      if (n < cs.size()) s = count_full(l);
    }
    if (st) *st = s;
    return n;
  }

  // Calls f(std::size_t shard, Reply&&) for up to max replies waiting for this thread.
  template <typename F>
  std::size_t poll_replies(F&& f, std::size_t max = SIZE_MAX) {
    static_assert(has_replies, "command_queue without a Reply type");
    producer* p = this_producer();
    if (!p) return 0;
    std::size_t done = 0;
    for (std::size_t s = 0; s < shards_.size() && done < max; ++s) {
      lane* l = p->lanes[s];
      if (!l) continue;
      done += l->replies.consume([&](Reply&& r) { f(s, std::move(r)); }, max - done);
    }
    return done;
  }

  bool has_replies_waiting() {
    producer* p = this_producer();
    if (!p) return false;
    for (lane* l : p->lanes)
      if (l && !l->replies.empty()) return true;
    return false;
  }

  // Blocks this thread until a reply is waiting or timeout_ms passes (negative: no limit).
  void wait_replies(int timeout_ms) {
    static_assert(has_replies, "command_queue without a Reply type");
    producer* p = this_producer();
    if (!p) return;
    p->wake->sleep_unless([&] { return has_replies_waiting(); }, timeout_ms);
  }

  // This thread's reply wakeup, for an application's own poll loop (null before its first push).
  wakeup* reply_wakeup() {
    producer* p = this_producer();
    return p ? p->wake.get() : nullptr;
  }

  void close() { closed_.store(true, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // ---- shard k's thread only ----

  wakeup& shard_wakeup(std::size_t shard) { return shards_[shard].wake; }

  // Calls f(Cmd&&, reply_to) for up to `budget` commands, taking up to `quantum` from each lane
  // in turn (the first lane rotates between calls) until the budget is spent or all are empty.
  template <typename F>
  std::size_t drain(std::size_t shard, F&& f, std::size_t budget = SIZE_MAX) {
    shard_state& s = shards_[shard];
    const std::uint32_t n = s.count.load(std::memory_order_acquire);
    if (n == 0) return 0;
    std::size_t done = 0;
    bool progress = true;
    std::uint32_t start = s.next < n ? s.next : 0;
    while (progress && done < budget) {
      progress = false;
      for (std::uint32_t k = 0; k < n && done < budget; ++k) {
        std::uint32_t i = start + k;
        if (i >= n) i -= n;
        lane* l = s.lanes[i].load(std::memory_order_relaxed);
        const std::size_t got = l->cmds.consume(
            [&](Cmd&& c) { f(std::move(c), reply_to{i}); }, std::min(cfg_.quantum, budget - done));
        progress |= got != 0;
        done += got;
      }
    }
    s.next = start + 1 < n ? start + 1 : 0;
    s.drained.store(s.drained.load(std::memory_order_relaxed) + done, std::memory_order_relaxed);
    return done;
  }

  // Whether any lane to this shard holds a command: the re-check between
  // shard_wakeup().prepare_sleep() and blocking.
  bool pending(std::size_t shard) const {
    const shard_state& s = shards_[shard];
    const std::uint32_t n = s.count.load(std::memory_order_acquire);
    for (std::uint32_t i = 0; i < n; ++i)
      if (!s.lanes[i].load(std::memory_order_relaxed)->cmds.empty()) return true;
    return false;
  }

  // Sends a reply to the thread a command came from and wakes it if it sleeps. False if its
  // reply ring is full (the shard keeps the reply and retries, or drops it and counts).
  bool try_reply(std::size_t shard, reply_to to, Reply&& r) {
    static_assert(has_replies, "command_queue without a Reply type");
    lane* l = shards_[shard].lanes[to.lane].load(std::memory_order_relaxed);
    if (!l->replies.try_push(std::move(r))) return false;
    l->owner->wake->notify(l->reply_skipped);
    return true;
  }

  // A snapshot, from any thread.
  command_counters counters(std::size_t shard) const {
    const shard_state& s = shards_[shard];
    command_counters c;
    c.drained = s.drained.load(std::memory_order_relaxed);
    c.wake = s.wake.counters();
    const std::uint32_t n = s.count.load(std::memory_order_acquire);
    c.producers = n;
    for (std::uint32_t i = 0; i < n; ++i) {
      const lane* l = s.lanes[i].load(std::memory_order_relaxed);
      c.full += l->full.load(std::memory_order_relaxed);
      c.wake.skipped += l->skipped.load(std::memory_order_relaxed);
    }
    return c;
  }

 private:
  struct producer;

  // One (application thread, shard) pair.
  struct lane {
    lane(const config& cfg, producer* o)
        : cmds(cfg.ring_capacity), replies(has_replies ? cfg.reply_capacity : 2), owner(o) {}
    spsc_ring<Cmd> cmds;       // app thread -> shard
    spsc_ring<Reply> replies;  // shard -> app thread
    producer* owner;
    // Each written by one side only (relaxed load + store), read by counters().
    alignas(cache_line_size) std::atomic<std::uint64_t> skipped{0};  // app thread
    std::atomic<std::uint64_t> full{0};                              // app thread
    alignas(cache_line_size) std::atomic<std::uint64_t> reply_skipped{0};  // shard
  };

  struct producer {
    std::thread::id thread;
    std::vector<lane*> lanes;       // per shard; null until the first push there
    std::unique_ptr<wakeup> wake;   // for replies
  };

  struct alignas(cache_line_size) shard_state {
    wakeup wake;
    std::unique_ptr<std::atomic<lane*>[]> lanes;  // [max_producers], published up to count
    std::atomic<std::uint32_t> count{0};
    // The shard thread's own.
    alignas(cache_line_size) std::uint32_t next = 0;
    std::atomic<std::uint64_t> drained{0};
  };

  // The thread_local cache: a few (queue id, producer) pairs, so that a thread using two or
  // three queues of the same type does not fall back to the registry every time.
  struct tl_entry {
    std::uint64_t queue = 0;
    producer* p = nullptr;
  };
  static constexpr std::size_t tl_ways = 4;
  struct tl_cache {
    tl_entry e[tl_ways];
    std::uint32_t victim = 0;
  };
  static tl_cache& cache() {
    static thread_local tl_cache c;
    return c;
  }

  push_status count_full(lane* l) {
    l->full.store(l->full.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return push_status::full;
  }

  push_status lane_for(std::size_t shard, lane*& out) {
    if (closed_.load(std::memory_order_acquire)) return push_status::closed;
    producer* p = this_producer();
    if (!p) p = register_producer();
    if (!p) return push_status::too_many_producers;
    out = p->lanes[shard];
    if (!out) out = add_lane(p, shard);
    return out ? push_status::ok : push_status::too_many_producers;
  }

  // This thread's producer, or null if it never pushed here. Lock-free on a cache hit.
  producer* this_producer() {
    tl_cache& c = cache();
    for (const tl_entry& e : c.e)
      if (e.queue == id_) return e.p;
    std::lock_guard<std::mutex> g(mu_);
    for (auto& p : producers_)
      if (p->thread == std::this_thread::get_id()) {
        remember(p.get());
        return p.get();
      }
    return nullptr;
  }

  void remember(producer* p) {
    tl_cache& c = cache();
    c.e[c.victim] = {id_, p};
    c.victim = (c.victim + 1) % tl_ways;
  }

  producer* register_producer() {
    std::lock_guard<std::mutex> g(mu_);
    if (producers_.size() >= cfg_.max_producers) return nullptr;
    auto p = std::make_unique<producer>();
    p->thread = std::this_thread::get_id();
    p->lanes.assign(shards_.size(), nullptr);
    if constexpr (has_replies) p->wake = std::make_unique<wakeup>();
    producers_.push_back(std::move(p));
    remember(producers_.back().get());
    return producers_.back().get();
  }

  lane* add_lane(producer* p, std::size_t shard) {
    std::lock_guard<std::mutex> g(mu_);
    shard_state& s = shards_[shard];
    const std::uint32_t n = s.count.load(std::memory_order_relaxed);
    if (n >= cfg_.max_producers) return nullptr;
    lanes_.push_back(std::make_unique<lane>(cfg_, p));
    lane* l = lanes_.back().get();
    s.lanes[n].store(l, std::memory_order_relaxed);
    s.count.store(n + 1, std::memory_order_release);  // publishes the lane to the shard
    p->lanes[shard] = l;
    return l;
  }

  const config cfg_;
  const std::uint64_t id_ = detail::next_command_queue_id.fetch_add(1, std::memory_order_relaxed);
  std::atomic<bool> closed_{false};
  std::vector<shard_state> shards_;
  std::mutex mu_;  // registration only: once per (thread, queue) and per (thread, shard)
  std::vector<std::unique_ptr<producer>> producers_;
  std::vector<std::unique_ptr<lane>> lanes_;
};

}  // namespace ztkit::buf
