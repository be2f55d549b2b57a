// A byte FIFO in one area allocated at construction (a TCP socket's send or receive buffer).
// The send side peeks at queued bytes by offset (retransmissions read the same bytes again
// until they are acknowledged); the receive side writes out-of-order data past the queued
// bytes (write_unallocated) and queues it once the gap before it is filled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

#include "engine/buf/page_area.h"

namespace ztkit::netstack {

class byte_ring {
 public:
  // A buf::page_area: 64 KiB and more are mapped pages of their own, untouched until bytes
  // are written: an idle connection's buffers cost no resident memory. (Zeroed by make_unique, each idle connection held 534 KB resident per
  // end; with malloc's header page still 9.5 KB: bench/tcp_memory.cc.) Nothing is read before
  // it is written: peek() covers queued bytes only.
  explicit byte_ring(std::size_t capacity) : buf_(buf::make_page_area(capacity)), cap_(capacity) {}

  std::size_t capacity() const { return cap_; }
  std::size_t size() const { return len_; }
  std::size_t free() const { return cap_ - len_; }
  bool empty() const { return len_ == 0; }

  // Appends up to data.size() bytes; returns how many.
  std::size_t enqueue(std::span<const std::uint8_t> data) {
    std::size_t n = write_unallocated(0, data);
    len_ += n;
    return n;
  }
  // Copies up to out.size() bytes from the front and removes them.
  std::size_t dequeue(std::span<std::uint8_t> out) {
    auto [a, b] = peek(0, out.size());
    if (!a.empty()) std::memcpy(out.data(), a.data(), a.size());
    if (!b.empty()) std::memcpy(out.data() + a.size(), b.data(), b.size());
    consume(a.size() + b.size());
    return a.size() + b.size();
  }
  // Removes up to n bytes from the front.
  void consume(std::size_t n) {
    if (n > len_) n = len_;
    head_ = cap_ ? (head_ + n) % cap_ : 0;
    len_ -= n;  // head_ + len_ stays put: bytes written past the end keep their place
  }
  // The queued bytes [offset, offset + len) (clamped), in at most two pieces.
  std::pair<std::span<const std::uint8_t>, std::span<const std::uint8_t>> peek(
      std::size_t offset, std::size_t len) const {
    if (offset >= len_) return {};
    if (len > len_ - offset) len = len_ - offset;
    std::size_t start = (head_ + offset) % cap_;
    std::size_t first = cap_ - start < len ? cap_ - start : len;
    return {{buf_.get() + start, first}, {buf_.get(), len - first}};
  }
  // Writes data at `offset` bytes past the queued ones without queuing it (clamped to the free
  // space); returns how many bytes were written.
  std::size_t write_unallocated(std::size_t offset, std::span<const std::uint8_t> data) {
    if (offset >= free()) return 0;
    std::size_t n = data.size() < free() - offset ? data.size() : free() - offset;
    if (n == 0) return 0;
    std::size_t start = (head_ + len_ + offset) % cap_;
    std::size_t first = cap_ - start < n ? cap_ - start : n;
    std::memcpy(buf_.get() + start, data.data(), first);
    if (n > first) std::memcpy(buf_.get(), data.data() + first, n - first);
    return n;
  }
  // Queues n bytes already written past the end (clamped to the free space).
  void enqueue_unallocated(std::size_t n) { len_ += n < free() ? n : free(); }

 private:
  buf::page_area buf_;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t len_ = 0;
};

}  // namespace ztkit::netstack
