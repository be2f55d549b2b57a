// Packet buffers: fixed-size slabs from a per-shard pool, with a data window that has headroom
// in front so that outer headers (ZeroTier header, fragment header) are prepended in place and
// a frame built by the netstack is armored and sent without a copy (architecture.md, "No
// allocation per packet"; style.md principle 3).
//
// A packet_buffer is a move-only handle: one owner at a time, never shared mutably. Dropping it
// returns the slab to its pool. A pool belongs to one thread (its shard); buffers that travel to
// another shard come back through that shard's return ring (engine/buf/spsc_ring.h), never by
// touching the pool from the other thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace ztkit::buf {

class buffer_pool;

class packet_buffer {
 public:
  packet_buffer() = default;
  packet_buffer(packet_buffer&& o) noexcept { *this = std::move(o); }
  packet_buffer& operator=(packet_buffer&& o) noexcept;
  packet_buffer(const packet_buffer&) = delete;
  packet_buffer& operator=(const packet_buffer&) = delete;
  ~packet_buffer() { release(); }

  explicit operator bool() const { return pool_ != nullptr; }

  // The data window.
  std::uint8_t* data() { return base_ + head_; }
  const std::uint8_t* data() const { return base_ + head_; }
  std::size_t size() const { return tail_ - head_; }
  std::span<std::uint8_t> bytes() { return {data(), size()}; }
  std::span<const std::uint8_t> bytes() const { return {data(), size()}; }

  std::size_t headroom() const { return head_; }
  std::size_t tailroom() const { return capacity_ - tail_; }
  std::size_t capacity() const { return capacity_; }

  // Grows the window at the front by n bytes (for an outer header); nullptr if the headroom is
  // too small (nothing changes).
  std::uint8_t* prepend(std::size_t n);
  // Grows the window at the back by n bytes; nullptr if the tailroom is too small.
  std::uint8_t* append(std::size_t n);
  // Shrinks the window (n larger than the window empties it).
  void trim_front(std::size_t n);
  void trim_back(std::size_t n);
  // Sets the window to [headroom, headroom + len), clamped to the slab.
  void reset(std::size_t headroom, std::size_t len = 0);

  // The whole slab (for receiving into), and this slab's index in its pool.
  std::span<std::uint8_t> slab() { return {base_, capacity_}; }
  std::uint32_t index() const { return index_; }
  buffer_pool* pool() const { return pool_; }

  // Gives up ownership without returning the slab: the caller takes responsibility for the
  // index (io backends lending slabs to the kernel). Returns the slab index.
  std::uint32_t detach();

 private:
  friend class buffer_pool;
  packet_buffer(buffer_pool* pool, std::uint32_t index, std::uint8_t* base, std::uint32_t cap,
                std::uint32_t head, std::uint32_t tail)
      : pool_(pool), base_(base), index_(index), capacity_(cap), head_(head), tail_(tail) {}
  void release();

  buffer_pool* pool_ = nullptr;
  std::uint8_t* base_ = nullptr;
  std::uint32_t index_ = 0;
  std::uint32_t capacity_ = 0;
  std::uint32_t head_ = 0;
  std::uint32_t tail_ = 0;
};

struct pool_counters {
  std::uint64_t gets = 0;
  std::uint64_t exhausted = 0;  // get() found no free slab (the caller drops and counts)
};

// A fixed set of equal slabs allocated once; get()/put are O(1) and never allocate.
class buffer_pool {
 public:
  struct config {
    std::size_t slab_size = 2048;  // a 1432-byte datagram plus headroom, rounded
    std::size_t count = 4096;
    std::size_t headroom = 128;    // default window start for get()
  };

  explicit buffer_pool(const config& cfg);
  ~buffer_pool();
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;

  // An empty window at the default headroom, or an empty handle if every slab is out.
  packet_buffer get();

  // Slab-index level access for io backends that lend slabs to the kernel (io_uring provided
  // buffers): take a free index without a handle, and wrap a filled slab back into a handle.
  bool take_index(std::uint32_t& index);
  void return_index(std::uint32_t index);
  packet_buffer adopt(std::uint32_t index, std::size_t headroom, std::size_t len);

  std::uint8_t* slab_data(std::uint32_t index) { return storage_ + index * slab_size_; }
  std::size_t slab_size() const { return slab_size_; }
  std::size_t capacity() const { return count_; }
  std::size_t available() const { return free_top_; }
  std::size_t default_headroom() const { return headroom_; }
  const pool_counters& counters() const { return counters_; }

 private:
  std::uint8_t* storage_ = nullptr;
  std::unique_ptr<std::uint32_t[]> free_;  // stack of free slab indices
  std::size_t free_top_ = 0;
  std::size_t slab_size_;
  std::size_t count_;
  std::size_t headroom_;
  pool_counters counters_;
};

}  // namespace ztkit::buf
