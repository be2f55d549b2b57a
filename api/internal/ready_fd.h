// A descriptor that is readable while something is queued for the application: an eventfd
// written once when the queue becomes non-empty (the producer's set() is a no-op while the
// flag is already up) and drained by the consumer when it empties the queue. So a busy stream
// of datagrams costs one write(2) per burst, not per datagram, and epoll/asio/libuv see a
// level-triggered readable fd.
#pragma once

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace ztkit {

class ready_fd {
 public:
  ready_fd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~ready_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ready_fd(const ready_fd&) = delete;
  ready_fd& operator=(const ready_fd&) = delete;

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Producer: something was queued.
  void set() {
    if (up_.exchange(true, std::memory_order_acq_rel)) return;
    const std::uint64_t one = 1;
    if (fd_ >= 0) [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
  }
  // Consumer: the queue looked empty. The caller re-checks the queue afterwards and calls
  // set() itself if something arrived in between (so no wake-up is lost).
  void clear() {
    up_.store(false, std::memory_order_release);
    std::uint64_t v;
    if (fd_ >= 0) [[maybe_unused]] auto n = ::read(fd_, &v, sizeof v);
  }
  // Blocks until readable or `timeout_ms` (negative: forever) passes.
  void wait(int timeout_ms) const {
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, timeout_ms);
  }

 private:
  int fd_;
  std::atomic<bool> up_{false};
};

}  // namespace ztkit
