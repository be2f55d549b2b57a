#include "engine/buf/wakeup.h"

#include <poll.h>
#include <linux/membarrier.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace ztkit::buf {

namespace {

long membarrier(int cmd) { return ::syscall(SYS_membarrier, cmd, 0u, 0); }

}  // namespace

bool wakeup::asymmetric_fences() {
#if defined(__SANITIZE_THREAD__)
  return false;  // TSan models fences, not membarrier
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return false;
#endif
#endif
  const long cmds = membarrier(MEMBARRIER_CMD_QUERY);
  if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
      !(cmds & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
    return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

void wakeup::heavy_fence() const {
  // Registered membarrier cannot fail with these arguments; a failure would be a kernel bug,
  // and then the plain fence is the best left to do.
  if (!asym_ ||
      membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

wakeup::wakeup(fences f) : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  static const bool asymmetric = asymmetric_fences();  // probes and registers once
  asymmetric_.store(asymmetric, std::memory_order_relaxed);
  asym_ = asymmetric && f == fences::automatic;
}

wakeup::~wakeup() {
  if (fd_ >= 0) ::close(fd_);
}

void wakeup::write_event() {
  written_.fetch_add(1, std::memory_order_relaxed);
  if (notify_fn_) {
    notified_.store(true, std::memory_order_relaxed);
    notify_fn_(notify_ctx_);
    return;
  }
  if (fd_ < 0) return;  // the consumer naps instead (see block())
  const std::uint64_t one = 1;
  // EAGAIN means the counter is near 2^64: it is set, which is all a reader looks at.
  ssize_t r;
  do {
    r = ::write(fd_, &one, sizeof one);
  } while (r < 0 && errno == EINTR);
}

void wakeup::block(int timeout_ms) {
  if (fd_ < 0) {
    // No eventfd: nap briefly and let the caller re-check.
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms < 0 || timeout_ms > 1 ? 1 : timeout_ms));
    return;
  }
  pollfd p{fd_, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
}

bool wakeup::after_wake() {
  sleeping_.store(false, std::memory_order_relaxed);
  if (notify_fn_) {
    if (!notified_.exchange(false, std::memory_order_relaxed)) return false;
    woken_.store(woken_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return true;
  }
  if (fd_ < 0) return false;
  std::uint64_t v = 0;
  ssize_t r;
  do {
    r = ::read(fd_, &v, sizeof v);
  } while (r < 0 && errno == EINTR);
  if (r != sizeof v) return false;  // EAGAIN: nothing was written
  woken_.store(woken_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return true;
}

wakeup_counters wakeup::counters() const {
  wakeup_counters c;
  c.written = written_.load(std::memory_order_relaxed);
  c.skipped = skipped_.load(std::memory_order_relaxed);
  c.sleeps = sleeps_.load(std::memory_order_relaxed);
  c.woken = woken_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace ztkit::buf
