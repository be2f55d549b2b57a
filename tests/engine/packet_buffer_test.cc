// Packet buffers and their pool: windows, headroom, ownership, exhaustion.
#include "engine/buf/packet_buffer.h"

#include <gtest/gtest.h>

namespace ztkit::buf {
namespace {

TEST(PacketBuffer, WindowGrowsIntoHeadroomAndTailroom) {
  buffer_pool pool({.slab_size = 256, .count = 2, .headroom = 64});
  packet_buffer b = pool.get();
  ASSERT_TRUE(b);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.headroom(), 64u);
  EXPECT_EQ(b.tailroom(), 192u);
  std::uint8_t* body = b.append(100);
  ASSERT_NE(body, nullptr);
  body[0] = 0xab;
  std::uint8_t* header = b.prepend(28);  // a ZeroTier header in front, no copy
  ASSERT_NE(header, nullptr);
  EXPECT_EQ(header + 28, body);
  EXPECT_EQ(b.size(), 128u);
  EXPECT_EQ(b.prepend(37), nullptr);  // only 36 bytes of headroom left
  EXPECT_EQ(b.size(), 128u);
  EXPECT_EQ(b.append(93), nullptr);
  b.trim_front(28);
  EXPECT_EQ(b.data()[0], 0xab);
  b.trim_back(1000);
  EXPECT_EQ(b.size(), 0u);
  b.reset(10, 300);
  EXPECT_EQ(b.headroom(), 10u);
  EXPECT_EQ(b.size(), 246u);  // clamped to the slab
}

TEST(PacketBuffer, PoolExhaustsCountsAndRecyclesSlabs) {
  buffer_pool pool({.slab_size = 128, .count = 3, .headroom = 0});
  {
    packet_buffer a = pool.get(), b = pool.get(), c = pool.get();
    EXPECT_TRUE(a && b && c);
    EXPECT_EQ(pool.available(), 0u);
    packet_buffer d = pool.get();
    EXPECT_FALSE(d);
    EXPECT_EQ(pool.counters().exhausted, 1u);
    packet_buffer moved = std::move(a);
    EXPECT_FALSE(a);  // NOLINT: moved-from is empty by contract
    EXPECT_TRUE(moved);
    EXPECT_EQ(pool.available(), 0u);
  }
  EXPECT_EQ(pool.available(), 3u);
}

TEST(PacketBuffer, SlabIndicesCanBeLentAndAdopted) {
  buffer_pool pool({.slab_size = 128, .count = 2, .headroom = 16});
  std::uint32_t index = 99;
  ASSERT_TRUE(pool.take_index(index));
  EXPECT_EQ(pool.available(), 1u);
  pool.slab_data(index)[5] = 42;
  packet_buffer b = pool.adopt(index, 0, 60);
  EXPECT_EQ(b.size(), 60u);
  EXPECT_EQ(b.data()[5], 42);
  const std::uint32_t again = b.detach();
  EXPECT_EQ(again, index);
  EXPECT_FALSE(b);
  EXPECT_EQ(pool.available(), 1u);
  pool.return_index(again);
  EXPECT_EQ(pool.available(), 2u);
}

TEST(PacketBuffer, SlabsAreCacheLineAlignedAndDistinct) {
  buffer_pool pool({.slab_size = 100, .count = 4, .headroom = 0});
  EXPECT_EQ(pool.slab_size(), 128u);  // rounded up to whole cache lines
  packet_buffer a = pool.get(), b = pool.get();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.slab().data()) % 64, 0u);
  EXPECT_NE(a.slab().data(), b.slab().data());
}

}  // namespace
}  // namespace ztkit::buf
