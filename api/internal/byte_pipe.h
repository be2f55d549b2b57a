// A bounded single-producer single-consumer byte FIFO between an application thread and the
// node's thread (a TCP stream's send or receive direction). Lock-free: the producer owns
// `tail_`, the consumer `head_`; each publishes with release and reads the other's with
// acquire. Regions give direct access to contiguous bytes so the node's side copies once,
// straight between the pipe and the TCP socket's rings.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "engine/buf/page_area.h"

namespace ztkit {

class byte_pipe {
 public:
  explicit byte_pipe(std::size_t capacity)
      : cap_(std::bit_ceil(std::max<std::size_t>(capacity, 64))),
        buf_(buf::make_page_area(cap_)) {}  // resident only once bytes are written

  std::size_t capacity() const { return cap_; }
  // Exact on the consumer side (size) and producer side (free); a lower bound elsewhere.
  std::size_t size() const {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  std::size_t free() const { return cap_ - size(); }

  // ---- producer ----
  std::span<std::uint8_t> write_region() {
    const std::size_t t = tail_.load(std::memory_order_relaxed);
    const std::size_t used = t - head_.load(std::memory_order_acquire);
    const std::size_t at = t & (cap_ - 1);
    return {buf_.get() + at, std::min(cap_ - used, cap_ - at)};
  }
  void commit(std::size_t n) { tail_.store(tail_.load(std::memory_order_relaxed) + n, std::memory_order_release); }
  std::size_t write(std::span<const std::uint8_t> data) {
    std::size_t done = 0;
    while (done < data.size()) {
      auto r = write_region();
      if (r.empty()) break;
      const std::size_t n = std::min(r.size(), data.size() - done);
      std::memcpy(r.data(), data.data() + done, n);
      commit(n);
      done += n;
    }
    return done;
  }

  // ---- consumer ----
  std::span<const std::uint8_t> read_region() const {
    const std::size_t h = head_.load(std::memory_order_relaxed);
    const std::size_t avail = tail_.load(std::memory_order_acquire) - h;
    const std::size_t at = h & (cap_ - 1);
    return {buf_.get() + at, std::min(avail, cap_ - at)};
  }
  void consume(std::size_t n) { head_.store(head_.load(std::memory_order_relaxed) + n, std::memory_order_release); }
  std::size_t read(std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
      auto r = read_region();
      if (r.empty()) break;
      const std::size_t n = std::min(r.size(), out.size() - done);
      std::memcpy(out.data() + done, r.data(), n);
      consume(n);
      done += n;
    }
    return done;
  }

 private:
  const std::size_t cap_;
  buf::page_area buf_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace ztkit
