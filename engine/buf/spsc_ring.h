// A bounded lock-free single-producer single-consumer ring of move-only values: the one way
// data crosses threads in the engine (architecture.md, "Cross-thread traffic goes through SPSC
// rings"; style.md principle 4). Shard-to-shard hand-off, buffer return rings, and the
// application -> shard command path (command_queue.h) are all built on it.
//
// Design (the classic Lamport ring with cached indices, as in rigtorp::SPSCQueue, Seastar's
// smp queues and DPDK's rte_ring in SP/SC mode):
// - Capacity is a power of two fixed at construction; slots are allocated once, nothing after.
// - `tail_` (written by the producer) and `head_` (written by the consumer) are free-running
//   64-bit counters on their own cache lines; slot = counter & mask. No "one empty slot" waste.
// - Each side keeps a private copy of the other side's counter and reloads it (acquire) only
//   when the copy says full/empty, so in steady state a push or pop touches no shared line
//   except the slot itself, and the counters bounce between cores once per batch, not per item.
// - Publication: the producer constructs the slot, then stores tail (release); the consumer
//   loads tail (acquire), moves the value out, destroys the slot, then stores head (release);
//   the producer reloads head (acquire) before reusing a slot.
//
// Threading: exactly one thread may call the producer functions (try_push, try_emplace, push_n)
// and exactly one (possibly another) the consumer functions (try_pop, pop_n, consume, front).
// size_approx() and empty() may be called from either side and are exact only there.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

namespace ztkit::buf {

// std::hardware_destructive_interference_size is 64 on x86-64 and arm64 in practice, but g++
// warns (-Winterference-size) when a header uses it because its value may change between
// compiler versions and flags. A fixed constant keeps the ABI stable.
inline constexpr std::size_t cache_line_size = 64;

template <typename T>
class spsc_ring {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "spsc_ring moves values in and out; T's move constructor must be noexcept");
  static_assert(std::is_nothrow_destructible_v<T>);

 public:
  using value_type = T;

  // Capacity is rounded up to a power of two (at least 2).
  explicit spsc_ring(std::size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1),
        slots_(static_cast<slot*>(
            ::operator new((mask_ + 1) * sizeof(slot), std::align_val_t{alignof(slot)}))) {}

  ~spsc_ring() {
    // Destroy what the consumer never took (shutdown with items in flight).
    const std::uint64_t t = tail_.load(std::memory_order_acquire);
    for (std::uint64_t h = head_.load(std::memory_order_relaxed); h != t; ++h) at(h)->~T();
    ::operator delete(slots_, std::align_val_t{alignof(slot)});
  }

  spsc_ring(const spsc_ring&) = delete;
  spsc_ring& operator=(const spsc_ring&) = delete;

  std::size_t capacity() const { return mask_ + 1; }

  // ---- producer side ----

  // Moves v in and returns true, or returns false (v untouched) if the ring is full.
  bool try_push(T&& v) { return try_emplace(std::move(v)); }

  template <typename... Args>
  bool try_emplace(Args&&... args) {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - prod_cached_head_ > mask_) {
      prod_cached_head_ = head_.load(std::memory_order_acquire);
      if (t - prod_cached_head_ > mask_) return false;
    }
    ::new (static_cast<void*>(at(t))) T(std::forward<Args>(args)...);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // Moves the first n values of `items` in (n as many as fit) and publishes them with one
  // release store. The moved-from values stay in `items`. Returns n.
  std::size_t push_n(std::span<T> items) {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    std::size_t room = free_from(t, items.size());
    if (room < items.size()) {
      prod_cached_head_ = head_.load(std::memory_order_acquire);
      room = free_from(t, items.size());
    }
    for (std::size_t i = 0; i < room; ++i) ::new (static_cast<void*>(at(t + i))) T(std::move(items[i]));
    if (room) tail_.store(t + room, std::memory_order_release);
    return room;
  }

  // ---- consumer side ----

  // Moves the oldest value into out and returns true, or returns false if the ring is empty.
  bool try_pop(T& out) {
    T* p = front();
    if (!p) return false;
    out = std::move(*p);
    pop_front();
    return true;
  }

  std::optional<T> try_pop() {
    T* p = front();
    if (!p) return std::nullopt;
    std::optional<T> out(std::move(*p));
    pop_front();
    return out;
  }

  // Move-assigns up to out.size() values into out, oldest first; one release store for all.
  std::size_t pop_n(std::span<T> out) {
    return consume([&out, i = std::size_t{0}](T&& v) mutable { out[i++] = std::move(v); },
                   out.size());
  }

  // Calls f(T&&) for up to max values, oldest first, without needing a default-constructible T;
  // the slots are released with one store at the end. f must not touch this ring's consumer side.
  template <typename F>
  std::size_t consume(F&& f, std::size_t max = SIZE_MAX) {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    std::size_t n = available_from(h, max);
    if (n < max) {
      cons_cached_tail_ = tail_.load(std::memory_order_acquire);
      n = available_from(h, max);
    }
    for (std::size_t i = 0; i < n; ++i) {
      T* p = at(h + i);
      f(std::move(*p));
      p->~T();
    }
    if (n) head_.store(h + n, std::memory_order_release);
    return n;
  }

  // The oldest value in place, or nullptr when empty. Valid until pop_front().
  T* front() {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (h == cons_cached_tail_) {
      cons_cached_tail_ = tail_.load(std::memory_order_acquire);
      if (h == cons_cached_tail_) return nullptr;
    }
    return at(h);
  }

  // Drops the value front() returned. Only after a non-null front().
  void pop_front() {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    at(h)->~T();
    head_.store(h + 1, std::memory_order_release);
  }

  // ---- either side ----

  // Exact on the consumer side (a lower bound of what is there) and on the producer side (an
  // upper bound); a snapshot otherwise.
  std::size_t size_approx() const {
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    const std::uint64_t t = tail_.load(std::memory_order_acquire);
    return t > h ? static_cast<std::size_t>(t - h) : 0;  // a torn snapshot can see h ahead
  }
  bool empty() const { return size_approx() == 0; }

 private:
  // Raw storage for one T: constructed by the producer, destroyed by the consumer.
  struct slot {
    alignas(T) std::byte bytes[sizeof(T)];
  };

  T* at(std::uint64_t i) const { return std::launder(reinterpret_cast<T*>(slots_[i & mask_].bytes)); }

  std::size_t free_from(std::uint64_t t, std::size_t want) const {
    const std::size_t room = static_cast<std::size_t>(mask_ + 1 - (t - prod_cached_head_));
    return room < want ? room : want;
  }
  std::size_t available_from(std::uint64_t h, std::size_t want) const {
    const std::size_t have = static_cast<std::size_t>(cons_cached_tail_ - h);
    return have < want ? have : want;
  }

  // Read-only after construction: shared by both sides without bouncing.
  alignas(cache_line_size) const std::uint64_t mask_;
  slot* const slots_;

  // Producer's line: its counter and its view of the consumer's.
  alignas(cache_line_size) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t prod_cached_head_ = 0;

  // Consumer's line.
  alignas(cache_line_size) std::atomic<std::uint64_t> head_{0};
  std::uint64_t cons_cached_tail_ = 0;
  // sizeof(spsc_ring) is a multiple of the line, so whatever follows starts on a fresh line.
};

}  // namespace ztkit::buf
