// An eventfd wake-up for a consumer that sleeps in poll/epoll/io_uring, written by producers
// only when the consumer has said it is going to sleep, so that a busy shard costs its
// producers no system call (architecture.md: "wake-ups via eventfd").
//
// The protocol is Dekker's: each side stores, fences (seq_cst), then loads the other side's
// variable, so at least one of them sees the other. (The fences are asymmetric where the kernel
// allows: see heavy_fence() below.)
//
//   consumer (the one thread that owns this wakeup)     producer (any thread)
//   ----------------------------------------------      ---------------------
//   nothing to do:                                      ring.try_push(x)      // release store
//     w.prepare_sleep()   // sleeping = 1; fence        w.notify()            // fence; load sleeping,
//     if (rings not empty) { w.cancel_sleep(); go on }  //   if set: clear it and write the eventfd
//     block on w.fd() (poll, epoll, io_uring)           //   else: count a skipped wake-up
//     w.after_wake()      // read the eventfd, sleeping = 0
//
// Either the producer's notify() sees sleeping == 1 and writes, or the consumer's re-check sees
// the pushed item: a wake-up is never lost. exchange() makes sure that of several producers
// only one writes per sleep. A stale count left in the eventfd (the consumer woke for another
// reason, or cancelled) makes one later sleep return at once: spurious, harmless.
//
// Counters: `written` is bumped only next to a write(2), so it costs nothing extra. `skipped`
// is the hot path; with many producers a shared counter would bounce one cache line between
// all of them on every push, so notify(local) lets each producer count into its own variable
// (command_queue does); notify() without one counts into this object.
#pragma once

#include <atomic>
#include <cstdint>

namespace ztkit::buf {

struct wakeup_counters {
  std::uint64_t written = 0;  // eventfd writes (the consumer was asleep or about to be)
  std::uint64_t skipped = 0;  // notify() calls that found the consumer awake
  std::uint64_t sleeps = 0;   // prepare_sleep() calls
  std::uint64_t woken = 0;    // after_wake() calls that found the eventfd set
};

class wakeup {
 public:
  // Opens a non-blocking, close-on-exec eventfd. If that fails (no file descriptors left),
  // valid() is false and the consumer must not block on fd(); wait() then sleeps in short
  // naps so that nothing hangs.
  // Which fence pair the protocol uses (see light_fence() below). `automatic`: membarrier's
  // asymmetric pair where the kernel has it; right when producers notify far more often than
  // the consumer sleeps. `symmetric`: a seq_cst fence on both sides; right for a consumer that
  // sleeps thousands of times a second (a node's thread between bursts), for whom each
  // membarrier (an IPI to every CPU running the process) costs more than all the producers'
  // fences together.
  enum class fences { automatic, symmetric };
  explicit wakeup(fences f = fences::automatic);
  ~wakeup();
  wakeup(const wakeup&) = delete;
  wakeup& operator=(const wakeup&) = delete;

  bool valid() const { return fd_ >= 0; }
  // The eventfd, readable when a wake-up was written: for the consumer's poll set.
  int fd() const { return fd_; }

  // ---- consumer side (one thread) ----

  // Announces a sleep. The caller must re-check its rings after this and before blocking.
  void prepare_sleep() {
    sleeps_.store(sleeps_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sleeping_.store(true, std::memory_order_relaxed);
    heavy_fence();
  }
  // The re-check found work: stay awake.
  void cancel_sleep() { sleeping_.store(false, std::memory_order_relaxed); }
  // After blocking on fd() (for any reason): clears the eventfd and the flag. Returns true if
  // a producer had written.
  bool after_wake();
  // For consumers without a poll loop of their own: prepare_sleep(), then if has_work() is
  // false, blocks up to timeout_ms (negative: no limit) in poll(2), then after_wake().
  // Returns true if woken by a producer.
  template <typename HasWork>
  bool sleep_unless(HasWork&& has_work, int timeout_ms) {
    prepare_sleep();
    if (has_work()) {
      cancel_sleep();
      return false;
    }
    block(timeout_ms);
    return after_wake();
  }
  // Blocks in poll(2) on fd() up to timeout_ms; use between prepare_sleep() and after_wake().
  void block(int timeout_ms);

  // ---- producer side (any thread, after publishing work) ----

  // Returns true if it wrote the eventfd. A skipped wake-up is counted here with an atomic
  // add (fine for one producer or a few rare ones).
  bool notify() {
    if (try_wake()) return true;
    skipped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // Counts a skipped wake-up into the caller's own counter, of which the caller is the only
  // writer (relaxed load + store, no RMW, no shared line).
  bool notify(std::atomic<std::uint64_t>& skipped) {
    if (try_wake()) return true;
    skipped.store(skipped.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return false;
  }

  // `skipped` here covers only notify() calls without a counter of their own.
  wakeup_counters counters() const;

  // For a consumer that blocks somewhere fd() cannot reach (an I/O backend's own poll, which
  // has its own thread-safe wake()): a producer that finds the consumer sleeping calls fn(ctx)
  // instead of writing the eventfd. fn runs on the producer's thread, at most once per sleep
  // (the same exchange() decides), and must interrupt the consumer's block even if called
  // before the consumer actually blocks (io::backend::wake() is sticky that way). Set by the
  // consumer before any producer can reach this wakeup (null: back to the eventfd).
  // after_wake() then does not read the eventfd and returns whether fn was called.
  void set_notifier(void (*fn)(void*), void* ctx) {
    notify_fn_ = fn;
    notify_ctx_ = ctx;
  }

 private:
  bool try_wake() {
    light_fence();  // pairs with prepare_sleep()'s heavy_fence()
    // Load first: while the consumer is awake the line stays shared, no RMW per push.
    if (sleeping_.load(std::memory_order_relaxed) &&
        sleeping_.exchange(false, std::memory_order_relaxed)) {
      write_event();
      return true;
    }
    return false;
  }
  void write_event();

  // The fence pair of the protocol. An mfence per push would make every producer wait for
  // its tail store to leave the store buffer (~20-40 ns, measured in bench/ring_bench.cc); so,
  // where the kernel has membarrier(2) with MEMBARRIER_CMD_PRIVATE_EXPEDITED, the producer's
  // side is only a compiler barrier and the consumer, which is about to make a system call to
  // sleep anyway, pays for both: membarrier makes every running thread of the process execute
  // a full barrier (folly's asymmetricThreadFence{Light,Heavy}). Otherwise both sides use
  // seq_cst fences.
  static bool asymmetric_fences();
  void light_fence() const {
    if (asym_)
      std::atomic_signal_fence(std::memory_order_seq_cst);
    else
      std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  void heavy_fence() const;
  // Set (once, the same value every time) by the constructor, so any thread that can reach a
  // wakeup sees the final value: producers and consumer always agree on the fence pair.
  static inline std::atomic<bool> asymmetric_{false};

  int fd_ = -1;
  bool asym_ = false;  // this wakeup uses the asymmetric pair (fixed by the constructor)
  void (*notify_fn_)(void*) = nullptr;
  void* notify_ctx_ = nullptr;
  // Set by a producer that called notify_fn_, cleared by after_wake().
  std::atomic<bool> notified_{false};
  // Written by the consumer, read (and cleared) by producers.
  alignas(64) std::atomic<bool> sleeping_{false};
  std::atomic<std::uint64_t> sleeps_{0};
  std::atomic<std::uint64_t> woken_{0};
  // Written by producers, rarely.
  alignas(64) std::atomic<std::uint64_t> written_{0};
  // notify() without a counter of its own.
  alignas(64) std::atomic<std::uint64_t> skipped_{0};
};

}  // namespace ztkit::buf
