// A bounded FIFO of variable-size datagrams in one preallocated byte area plus a metadata ring
// (smoltcp's PacketBuffer). Each datagram is contiguous: when it does not fit before the end of
// the area it starts again at offset 0 and the tail space is skipped. Bounded in datagrams and
// in bytes; nothing is allocated after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace ztkit::netstack {

template <typename Meta>
class packet_ring {
 public:
  packet_ring(std::size_t max_packets, std::size_t max_bytes)
      : meta_(new slot[max_packets ? max_packets : 1]),
        bytes_(new std::uint8_t[max_bytes ? max_bytes : 1]),
        max_packets_(max_packets ? max_packets : 1),
        max_bytes_(max_bytes) {}

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  std::size_t capacity_bytes() const { return max_bytes_; }

  // Room for n bytes at the back; nullptr if the ring is full (in datagrams or bytes).
  std::uint8_t* push(std::size_t n, const Meta& m) {
    if (count_ == max_packets_ || n > max_bytes_) return nullptr;
    std::size_t at;
    if (count_ == 0) {
      at = 0;
    } else {
      std::size_t rpos = meta_[head_].offset;
      if (wpos_ >= rpos) {  // not wrapped: free space is [wpos, max) and [0, rpos)
        if (wpos_ + n <= max_bytes_) at = wpos_;
        else if (n < rpos) at = 0;  // strict: keeps wpos != rpos once wrapped
        else return nullptr;
      } else {  // wrapped: free space is [wpos, rpos)
        if (wpos_ + n < rpos) at = wpos_;
        else return nullptr;
      }
    }
    std::size_t idx = (head_ + count_) % max_packets_;
    meta_[idx].offset = at;
    meta_[idx].len = n;
    meta_[idx].meta = m;
    ++count_;
    wpos_ = at + n;
    return bytes_.get() + at;
  }

  // The oldest datagram (undefined if empty()).
  std::span<const std::uint8_t> front(Meta* m = nullptr) const {
    const slot& s = meta_[head_];
    if (m) *m = s.meta;
    return {bytes_.get() + s.offset, s.len};
  }
  void pop() {
    head_ = (head_ + 1) % max_packets_;
    if (--count_ == 0) {
      head_ = 0;
      wpos_ = 0;
    }
  }

 private:
  struct slot {
    std::size_t offset = 0, len = 0;
    Meta meta{};
  };
  std::unique_ptr<slot[]> meta_;
  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t max_packets_, max_bytes_;
  std::size_t head_ = 0, count_ = 0, wpos_ = 0;
};

}  // namespace ztkit::netstack
