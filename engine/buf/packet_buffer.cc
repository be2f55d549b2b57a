#include "engine/buf/packet_buffer.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace ztkit::buf {

packet_buffer& packet_buffer::operator=(packet_buffer&& o) noexcept {
  if (this != &o) {
    release();
    pool_ = std::exchange(o.pool_, nullptr);
    base_ = std::exchange(o.base_, nullptr);
    index_ = o.index_;
    capacity_ = std::exchange(o.capacity_, 0);
    head_ = std::exchange(o.head_, 0);
    tail_ = std::exchange(o.tail_, 0);
  }
  return *this;
}

std::uint8_t* packet_buffer::prepend(std::size_t n) {
  if (n > head_) return nullptr;
  head_ -= static_cast<std::uint32_t>(n);
  return base_ + head_;
}

std::uint8_t* packet_buffer::append(std::size_t n) {
  if (n > tailroom()) return nullptr;
  std::uint8_t* p = base_ + tail_;
  tail_ += static_cast<std::uint32_t>(n);
  return p;
}

void packet_buffer::trim_front(std::size_t n) {
  head_ = static_cast<std::uint32_t>(std::min<std::size_t>(tail_, head_ + n));
}

void packet_buffer::trim_back(std::size_t n) {
  tail_ = static_cast<std::uint32_t>(n >= size() ? head_ : tail_ - n);
}

void packet_buffer::reset(std::size_t headroom, std::size_t len) {
  head_ = static_cast<std::uint32_t>(std::min<std::size_t>(headroom, capacity_));
  tail_ = static_cast<std::uint32_t>(std::min<std::size_t>(head_ + len, capacity_));
}

std::uint32_t packet_buffer::detach() {
  const std::uint32_t i = index_;
  pool_ = nullptr;
  base_ = nullptr;
  capacity_ = head_ = tail_ = 0;
  return i;
}

void packet_buffer::release() {
  if (pool_) pool_->return_index(index_);
  pool_ = nullptr;
  base_ = nullptr;
}

buffer_pool::buffer_pool(const config& cfg)
    : slab_size_((std::max<std::size_t>(cfg.slab_size, 64) + 63) / 64 * 64),
      count_(std::max<std::size_t>(cfg.count, 1)),
      headroom_(std::min(cfg.headroom, slab_size_)) {
  // One cache-line-aligned block for every slab, allocated once at start-up.
  storage_ = static_cast<std::uint8_t*>(::operator new(slab_size_ * count_, std::align_val_t{64}));
  free_ = std::make_unique<std::uint32_t[]>(count_);
  for (std::size_t i = 0; i < count_; ++i) free_[i] = static_cast<std::uint32_t>(count_ - 1 - i);
  free_top_ = count_;
}

buffer_pool::~buffer_pool() { ::operator delete(storage_, std::align_val_t{64}); }

packet_buffer buffer_pool::get() {
  std::uint32_t index;
  if (!take_index(index)) return {};
  return packet_buffer(this, index, slab_data(index), static_cast<std::uint32_t>(slab_size_),
                       static_cast<std::uint32_t>(headroom_), static_cast<std::uint32_t>(headroom_));
}

bool buffer_pool::take_index(std::uint32_t& index) {
  ++counters_.gets;
  if (free_top_ == 0) {
    ++counters_.exhausted;
    return false;
  }
  index = free_[--free_top_];
  return true;
}

void buffer_pool::return_index(std::uint32_t index) {
  // A double return would corrupt the free list; it is a programming error.
  if (index >= count_ || free_top_ >= count_) std::abort();
  free_[free_top_++] = index;
}

packet_buffer buffer_pool::adopt(std::uint32_t index, std::size_t headroom, std::size_t len) {
  packet_buffer b(this, index, slab_data(index), static_cast<std::uint32_t>(slab_size_), 0, 0);
  b.reset(headroom, len);
  return b;
}

}  // namespace ztkit::buf
