// The TCP socket's building blocks: byte_ring (send/receive buffers, out-of-order writes past
// the queued bytes) and seq_ranges (out-of-order ranges and the SACK scoreboard, bounded,
// across the 2^32 wrap of sequence numbers).
#include <gtest/gtest.h>

#include <vector>

#include "netstack/tcp/byte_ring.h"
#include "netstack/tcp/seq_ranges.h"

namespace ztkit::netstack {
namespace {

std::vector<std::uint8_t> concat(std::pair<std::span<const std::uint8_t>, std::span<const std::uint8_t>> p) {
  std::vector<std::uint8_t> v(p.first.begin(), p.first.end());
  v.insert(v.end(), p.second.begin(), p.second.end());
  return v;
}

TEST(TcpByteRing, EnqueuePeekConsumeAcrossTheWrap) {
  byte_ring r(8);
  std::uint8_t a[6] = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(r.enqueue(a), 6u);
  r.consume(4);
  std::uint8_t b[6] = {7, 8, 9, 10, 11, 12};
  EXPECT_EQ(r.enqueue(b), 6u);  // 2 + 6 = 8: full, wrapping
  EXPECT_EQ(r.free(), 0u);
  EXPECT_EQ(r.enqueue(b), 0u);
  auto p = r.peek(1, 5);
  EXPECT_FALSE(p.second.empty());  // in two pieces
  EXPECT_EQ(concat(p), (std::vector<std::uint8_t>{6, 7, 8, 9, 10}));
  std::uint8_t out[8];
  EXPECT_EQ(r.dequeue(out), 8u);
  EXPECT_EQ(std::vector<std::uint8_t>(out, out + 8), (std::vector<std::uint8_t>{5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_TRUE(r.empty());
}

TEST(TcpByteRing, OutOfOrderWritesKeepTheirPlace) {
  byte_ring r(8);
  std::uint8_t x[3] = {1, 2, 3}, later[2] = {6, 7}, gap[2] = {4, 5};
  r.enqueue(x);
  std::uint8_t one;
  r.dequeue({&one, 1});  // the head moves; bytes written past the end must stay put
  EXPECT_EQ(r.write_unallocated(2, later), 2u);  // seq offsets 2..3 past the queued bytes
  EXPECT_EQ(r.write_unallocated(0, gap), 2u);
  r.enqueue_unallocated(4);
  EXPECT_EQ(concat(r.peek(0, 8)), (std::vector<std::uint8_t>{2, 3, 4, 5, 6, 7}));
  // Past the free space: clamped.
  std::uint8_t big[8] = {};
  EXPECT_EQ(r.write_unallocated(1, big), 1u);
  EXPECT_EQ(r.write_unallocated(2, big), 0u);
}

TEST(TcpSeqRanges, MergesAndBounds) {
  seq_ranges<4> s;
  EXPECT_TRUE(s.add(10, 20, 1));
  EXPECT_TRUE(s.add(30, 40, 2));
  EXPECT_TRUE(s.add(20, 30, 3));  // bridges both
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].left, 10u);
  EXPECT_EQ(s[0].right, 40u);
  EXPECT_EQ(s[0].stamp, 3u);
  EXPECT_TRUE(s.add(50, 60, 4));
  EXPECT_TRUE(s.add(70, 80, 5));
  EXPECT_TRUE(s.add(90, 100, 6));
  EXPECT_FALSE(s.add(110, 120, 7));  // no fifth range
  EXPECT_TRUE(s.add(55, 75, 8));      // merging needs no new slot
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.bytes(), 30u + 30 + 10);
  std::uint32_t end = 0;
  EXPECT_TRUE(s.contains(60, &end));
  EXPECT_EQ(end, 80u);
  EXPECT_FALSE(s.contains(85));
  s.remove_below(35);
  EXPECT_EQ(s[0].left, 35u);
  s.remove_below(95);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].left, 95u);
}

TEST(TcpSeqRanges, AcrossSequenceWrap) {
  seq_ranges<4> s;
  EXPECT_TRUE(s.add(0xfffffff0u, 0xfffffffau, 1));
  EXPECT_TRUE(s.add(0x10, 0x20, 2));
  EXPECT_TRUE(s.add(0xfffffffau, 0x10, 3));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].left, 0xfffffff0u);
  EXPECT_EQ(s[0].right, 0x20u);
  EXPECT_EQ(s.bytes(), 0x30u);
  s.remove_below(0x8);
  EXPECT_EQ(s.bytes(), 0x18u);
}

TEST(TcpSeqRanges, LimitBelowCapacity) {
  seq_ranges<16> s;
  s.set_limit(2);
  EXPECT_TRUE(s.add(1, 2, 0));
  EXPECT_TRUE(s.add(3, 4, 0));
  EXPECT_FALSE(s.add(5, 6, 0));
}

}  // namespace
}  // namespace ztkit::netstack
