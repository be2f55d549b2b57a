// A hierarchical timer wheel (Varghese & Lauck; the classic Linux timer wheel): 4 levels of 64
// slots over a configurable tick (1 ms by default), so level 0 covers 64 ticks, level 1 4,096,
// level 2 262,144 and level 3 16,777,216 (4.6 hours at 1 ms). A timer farther out than that
// waits in the top level's last slot and is re-filed each time that slot comes round, so any
// deadline works. Time is a plain int64 nanosecond count handed in by the caller (style.md
// principle 2): the same wheel runs on CLOCK_MONOTONIC in a shard thread and on the virtual
// clock in the simulator.
//
// Accuracy: a timer fires no earlier than its deadline and, when advance() is called at
// next_deadline(), no later than one tick after it. Timers that fall due in the same advance()
// fire in deadline order at tick granularity (same tick: in insertion order).
//
// Memory: timer nodes come from a pool allocated at construction; insert, cancel and advance
// never allocate. insert() on a full pool fails (an invalid handle), it does not grow.
// Not thread-safe: a wheel belongs to its shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

namespace ztkit::shard {

// Names one armed timer; stale handles (fired or cancelled) are recognised and ignored.
struct timer_handle {
  std::uint32_t index = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t generation = 0;
  bool valid() const { return index != std::numeric_limits<std::uint32_t>::max(); }
};

class timer_wheel {
 public:
  static constexpr int levels = 4;
  static constexpr int slot_bits = 6;
  static constexpr int slots = 1 << slot_bits;

  struct config {
    std::int64_t tick_ns = 1'000'000;  // 1 ms
    std::size_t capacity = 4096;       // armed timers at most
  };

  explicit timer_wheel(const config& cfg, std::int64_t start_ns = 0);
  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  // Arms a timer that fires at or after deadline_ns with `token` (the caller's meaning: a
  // connection id, a pointer). A deadline already past fires at the next advance().
  // Invalid handle if every node is in use.
  timer_handle insert(std::int64_t deadline_ns, std::uint64_t token);
  // Disarms; false if the handle is stale (already fired or cancelled). O(1).
  bool cancel(timer_handle h);
  bool armed(timer_handle h) const;

  // Fires, in deadline order, every timer due by now_ns: on_expire(token, deadline_ns). The
  // callback may insert and cancel timers (a new timer already due fires at the next advance).
  // Returns how many fired.
  template <typename F>
  std::size_t advance(std::int64_t now_ns, F&& on_expire);

  // The earliest time at which advance() may fire something: exact when the earliest timer is
  // within 64 ticks, otherwise the cascade point (no later than that timer) where it is looked
  // at again; nullopt when nothing is armed. For poll timeouts and simulator jumps.
  std::optional<std::int64_t> next_deadline() const;

  std::size_t size() const { return armed_; }
  std::size_t capacity() const { return capacity_; }
  std::int64_t tick_ns() const { return tick_ns_; }
  // The time up to which the wheel has run (the last advance(), rounded down to a tick).
  std::int64_t now_ns() const { return static_cast<std::int64_t>(now_tick_) * tick_ns_; }

 private:
  struct node {
    node* prev;
    node* next;
    std::int64_t deadline;
    std::uint64_t expire_tick;
    std::uint64_t token;
    std::uint32_t generation;
    std::int16_t level;  // 0..levels-1, or one of the states below
    std::uint8_t slot;
  };
  static constexpr std::int16_t in_due = -1, is_free = -2, firing = -3;
  struct list {
    node head;  // circular, head.next is the first
    void init() { head.prev = head.next = &head; }
    bool empty() const { return head.next == &head; }
  };

  static void unlink(node* n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
  }
  static void push_back(list& l, node* n) {
    n->prev = l.head.prev;
    n->next = &l.head;
    l.head.prev->next = n;
    l.head.prev = n;
  }
  void place(node* n);                // files n by its expire_tick relative to now_tick_
  void cascade(std::uint64_t tick);   // re-files the higher levels' slots due at this tick
  void take(list& from, list& to);    // moves every node of `from` to the back of `to`
  void release(node* n);              // back to the free list, generation bumped
  template <typename F>
  std::size_t fire(list& l, F& on_expire);

  std::int64_t tick_ns_;
  std::size_t capacity_;
  std::size_t armed_ = 0;
  std::uint64_t now_tick_;
  std::unique_ptr<node[]> nodes_;
  node* free_ = nullptr;  // singly linked through next
  list wheel_[levels][slots];
  std::uint64_t occupied_[levels] = {};  // bit s: wheel_[l][s] not empty
  list due_;                             // deadline already reached when inserted
};

template <typename F>
std::size_t timer_wheel::fire(list& l, F& on_expire) {
  // Detach the list first: the callback may insert (into any list, this one included) and
  // cancel (a node still waiting in `pending` unlinks itself from it).
  list pending;
  pending.init();
  take(l, pending);
  for (node* n = pending.head.next; n != &pending.head; n = n->next) n->level = firing;
  std::size_t fired = 0;
  while (!pending.empty()) {
    node* n = pending.head.next;
    unlink(n);
    const std::uint64_t token = n->token;
    const std::int64_t deadline = n->deadline;
    release(n);
    ++fired;
    on_expire(token, deadline);
  }
  return fired;
}

template <typename F>
std::size_t timer_wheel::advance(std::int64_t now_ns, F&& on_expire) {
  std::size_t fired = 0;
  if (!due_.empty()) fired += fire(due_, on_expire);
  if (now_ns < 0) return fired;
  const std::uint64_t target = static_cast<std::uint64_t>(now_ns / tick_ns_);
  while (now_tick_ < target) {
    if (armed_ == 0) {  // nothing to look at: jump
      now_tick_ = target;
      break;
    }
    // The next occupied level-0 slot in this rotation, if it comes before the boundary.
    const unsigned cur = static_cast<unsigned>(now_tick_ & (slots - 1));
    const std::uint64_t later = cur == slots - 1 ? 0 : (~std::uint64_t{0} << (cur + 1));
    const std::uint64_t bits = occupied_[0] & later;
    if (bits) {
      const std::uint64_t t = (now_tick_ & ~std::uint64_t{slots - 1}) +
                              static_cast<std::uint64_t>(__builtin_ctzll(bits));
      if (t > target) {
        now_tick_ = target;
        break;
      }
      now_tick_ = t;
    } else {
      const std::uint64_t boundary = (now_tick_ | (slots - 1)) + 1;
      if (boundary > target) {
        now_tick_ = target;
        break;
      }
      now_tick_ = boundary;
      cascade(boundary);
    }
    const unsigned s = static_cast<unsigned>(now_tick_ & (slots - 1));
    if (occupied_[0] & (std::uint64_t{1} << s)) {
      occupied_[0] &= ~(std::uint64_t{1} << s);
      fired += fire(wheel_[0][s], on_expire);
      // Callbacks may have re-filled slot s only for a later rotation; keep its bit right.
      if (!wheel_[0][s].empty()) occupied_[0] |= std::uint64_t{1} << s;
    }
  }
  return fired;
}

}  // namespace ztkit::shard
