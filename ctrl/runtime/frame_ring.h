// A bounded lock-free single-producer single-consumer ring of Ethernet frames between two
// shard threads: a network's shard 0 (its port: ZeroTier's virtual switch) and one of its flow
// lanes on another shard (the TCP flows hashed there). Each slot holds one frame of up to
// `max_frame` bytes; the producer copies the frame in (the frame's bytes live in a receive slab
// or a pool buffer of the producing thread, which the consumer may not free), the consumer
// reads it in place and pops it. Slots live in a page area: resident only once written.
//
// Same protocol as buf::spsc_ring (free-running counters on their own cache lines, each side
// caching the other's): the producer writes the slot, then publishes tail (release); the
// consumer reads tail (acquire), uses the slot, then publishes head (release).
//
// A full ring drops the frame (the caller counts it): a lane that cannot keep up loses
// segments the way a congested link does, and TCP recovers; nothing blocks the other shard.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "engine/buf/page_area.h"
#include "engine/buf/spsc_ring.h"

namespace ztkit::ctrl {

class frame_ring {
 public:
  frame_ring(std::size_t slots, std::size_t max_frame)
      : mask_(std::bit_ceil(std::max<std::size_t>(slots, 2)) - 1),
        slot_bytes_((sizeof(std::uint32_t) + max_frame + 63) / 64 * 64),
        max_frame_(max_frame),
        area_(buf::make_page_area((mask_ + 1) * slot_bytes_)) {}

  std::size_t capacity() const { return mask_ + 1; }
  std::size_t max_frame() const { return max_frame_; }

  // ---- producer ----
  // False (nothing written) when the ring is full or the frame is too long.
  bool try_push(std::span<const std::uint8_t> frame) {
    if (frame.size() > max_frame_) return false;
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ > mask_) return false;
    }
    std::uint8_t* s = slot(t);
    const auto len = static_cast<std::uint32_t>(frame.size());
    std::memcpy(s, &len, sizeof len);
    std::memcpy(s + sizeof len, frame.data(), frame.size());
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  // ---- consumer ----
  // The oldest frame, valid until pop(); empty when there is none.
  std::span<const std::uint8_t> front() {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return {};
    }
    const std::uint8_t* s = slot(h);
    std::uint32_t len = 0;
    std::memcpy(&len, s, sizeof len);
    return {s + sizeof len, len};
  }
  void pop() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // Either side; exact only on the consumer's.
  bool empty() const {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
  }

 private:
  std::uint8_t* slot(std::uint64_t i) const { return area_.get() + (i & mask_) * slot_bytes_; }

  const std::size_t mask_, slot_bytes_, max_frame_;
  buf::page_area area_;
  alignas(buf::cache_line_size) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t head_cache_ = 0;  // producer's copy of head_
  alignas(buf::cache_line_size) std::atomic<std::uint64_t> head_{0};
  std::uint64_t tail_cache_ = 0;  // consumer's copy of tail_
};

}  // namespace ztkit::ctrl
