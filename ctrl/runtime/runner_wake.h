// How application threads wake a node_runner without a lock or a system call while it is busy.
//
// The runner announces a sleep on `w` (buf::wakeup's Dekker protocol: prepare_sleep, re-check,
// block, after_wake) before it blocks in its backend's poll; notify() then writes only when the
// runner sleeps or is about to. The write goes to `fd`, a dup() of the backend's own wake
// eventfd (io::backend::wake_fd), so this object may outlive the runner and its backend: a
// stream closed after its node stopped writes to an eventfd nobody polls, harmlessly.
//
// Before this, every TcpStream read/write took the node link's mutex and wrote the eventfd:
// eventfd_write alone was 7.8 % of all cycles of a one-stream `ztperf --local` (perf record,
// 2026-11-25), plus the context switches it caused. Symmetric fences: the runner sleeps
// thousands of times a second under load, and a membarrier per sleep cost 5 % of all cycles.
#pragma once

#include <unistd.h>

#include <cstdint>

#include "engine/buf/wakeup.h"

namespace ztkit::ctrl {

class runner_wake {
 public:
  // Takes its own descriptor for the backend's eventfd; valid() is false if there is none.
  explicit runner_wake(int backend_wake_fd)
      : w_(buf::wakeup::fences::symmetric),
        fd_(backend_wake_fd >= 0 ? ::dup(backend_wake_fd) : -1) {
    w_.set_notifier(&runner_wake::fire, this);
  }
  // A consumer with no backend: it blocks on this object's own eventfd (consumer().block(),
  // then consumer().after_wake(), which reads it). A lane_shard's loop.
  runner_wake() : w_(buf::wakeup::fences::symmetric), fd_(-1), own_(true) {}
  ~runner_wake() {
    if (fd_ >= 0) ::close(fd_);
  }
  runner_wake(const runner_wake&) = delete;
  runner_wake& operator=(const runner_wake&) = delete;

  bool valid() const { return own_ ? w_.valid() : fd_ >= 0; }
  // Producers (any thread), after publishing work the runner's pass picks up.
  void notify() { w_.notify(); }
  // The runner thread.
  buf::wakeup& consumer() { return w_; }
  buf::wakeup_counters counters() const { return w_.counters(); }

 private:
  static void fire(void* self) {
    const std::uint64_t one = 1;
    (void)!::write(static_cast<runner_wake*>(self)->fd_, &one, sizeof one);
  }
  buf::wakeup w_;
  int fd_;
  bool own_ = false;
};

}  // namespace ztkit::ctrl
