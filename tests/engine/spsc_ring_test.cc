// spsc_ring: single-thread semantics, wrap-around, batches, move-only values, and a two-thread
// stress run whose checksum proves nothing was lost, duplicated or reordered.
#include "engine/buf/spsc_ring.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "engine/buf/packet_buffer.h"

namespace ztkit::buf {
namespace {

TEST(SpscRing, CapacityRoundsUpToPowerOfTwo) {
  EXPECT_EQ(spsc_ring<int>(0).capacity(), 2u);
  EXPECT_EQ(spsc_ring<int>(5).capacity(), 8u);
  EXPECT_EQ(spsc_ring<int>(1024).capacity(), 1024u);
}

TEST(SpscRing, FifoFullAndEmpty) {
  spsc_ring<int> r(4);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.try_pop().has_value());
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(r.try_push(int{i}));
  EXPECT_FALSE(r.try_push(99));  // every slot is usable, and no more
  EXPECT_EQ(r.size_approx(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.try_pop(), i);
  EXPECT_TRUE(r.empty());
  int out = -1;
  EXPECT_FALSE(r.try_pop(out));
  EXPECT_EQ(out, -1);
}

TEST(SpscRing, WrapsAroundManyTimes) {
  spsc_ring<std::uint64_t> r(8);
  std::uint64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    const int n = 1 + round % 8;  // varying fill levels cross the wrap point at every offset
    for (int i = 0; i < n; ++i) ASSERT_TRUE(r.try_push(std::uint64_t{next_in++}));
    for (int i = 0; i < n; ++i) {
      std::uint64_t v;
      ASSERT_TRUE(r.try_pop(v));
      ASSERT_EQ(v, next_out++);
    }
  }
  EXPECT_TRUE(r.empty());
}

TEST(SpscRing, BatchPushAndPop) {
  spsc_ring<int> r(8);
  std::vector<int> in{0, 1, 2, 3, 4, 5};
  EXPECT_EQ(r.push_n(in), 6u);
  std::array<int, 4> out{};
  EXPECT_EQ(r.pop_n(out), 4u);
  EXPECT_EQ(out, (std::array<int, 4>{0, 1, 2, 3}));
  std::vector<int> more{6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(r.push_n(more), 6u);  // 2 left + 6 = 8: a partial batch, across the wrap point
  EXPECT_EQ(r.push_n(more), 0u);
  std::array<int, 16> all{};
  EXPECT_EQ(r.pop_n(all), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(all[i], 4 + i);
  EXPECT_EQ(r.pop_n(all), 0u);
  EXPECT_EQ(r.push_n(std::span<int>{}), 0u);
}

TEST(SpscRing, ConsumeRespectsLimitAndFront) {
  spsc_ring<int> r(16);
  for (int i = 0; i < 10; ++i) r.try_push(int{i});
  int sum = 0;
  EXPECT_EQ(r.consume([&](int&& v) { sum += v; }, 3), 3u);
  EXPECT_EQ(sum, 0 + 1 + 2);
  ASSERT_NE(r.front(), nullptr);
  EXPECT_EQ(*r.front(), 3);
  r.pop_front();
  EXPECT_EQ(r.consume([&](int&& v) { sum += v; }), 6u);
  EXPECT_EQ(r.front(), nullptr);
}

TEST(SpscRing, MoveOnlyValuesAreMovedAndLeftoversDestroyed) {
  auto alive = std::make_shared<int>(0);
  struct tracked {
    std::shared_ptr<int> alive;
    std::unique_ptr<int> v;
    tracked() = default;
    tracked(std::shared_ptr<int> a, int x) : alive(std::move(a)), v(std::make_unique<int>(x)) { ++*alive; }
    tracked(tracked&&) noexcept = default;
    tracked& operator=(tracked&&) noexcept = default;
    ~tracked() {
      if (v) --*alive;
    }
  };
  {
    spsc_ring<tracked> r(4);
    tracked a(alive, 7);
    EXPECT_TRUE(r.try_push(std::move(a)));
    EXPECT_EQ(a.v, nullptr);
    EXPECT_TRUE(r.try_emplace(alive, 8));
    EXPECT_TRUE(r.try_emplace(alive, 9));
    EXPECT_EQ(*alive, 3);
    std::optional<tracked> got = r.try_pop();
    ASSERT_TRUE(got);
    EXPECT_EQ(*got->v, 7);
    got.reset();
    EXPECT_EQ(*alive, 2);
    // A failed push leaves the value with the caller.
    tracked b(alive, 10), c(alive, 11);
    EXPECT_TRUE(r.try_push(std::move(b)));
    EXPECT_TRUE(r.try_push(std::move(c)));
    tracked d(alive, 12);
    EXPECT_FALSE(r.try_push(std::move(d)));
    ASSERT_NE(d.v, nullptr);
    EXPECT_EQ(*d.v, 12);
  }
  EXPECT_EQ(*alive, 0);  // the ring destroyed the three it still held
}

TEST(SpscRing, CarriesPacketBuffers) {
  buffer_pool pool({.slab_size = 256, .count = 4, .headroom = 32});
  spsc_ring<packet_buffer> r(4);
  packet_buffer b = pool.get();
  b.append(10)[0] = 0x5a;
  EXPECT_TRUE(r.try_push(std::move(b)));
  EXPECT_FALSE(b);
  EXPECT_EQ(pool.available(), 3u);
  auto got = r.try_pop();
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(got->data()[0], 0x5a);
  got.reset();
  EXPECT_EQ(pool.available(), 4u);
  r.try_push(pool.get());
  { spsc_ring<packet_buffer> dropped(2); dropped.try_push(pool.get()); }
  EXPECT_EQ(pool.available(), 3u);  // the dropped ring returned its buffer
}

// Two threads, single and batch operations mixed, a small ring so that both sides hit
// full/empty constantly. Sum and order prove that every value arrived exactly once, in order.
TEST(SpscRing, TwoThreadStress) {
  constexpr std::uint64_t n = 1'000'000;
  spsc_ring<std::unique_ptr<std::uint64_t>> r(64);
  std::thread producer([&] {
    std::uint64_t i = 0;
    std::array<std::unique_ptr<std::uint64_t>, 8> batch;
    while (i < n) {
      if (i % 3 == 0 && n - i >= batch.size()) {
        for (std::size_t k = 0; k < batch.size(); ++k) batch[k] = std::make_unique<std::uint64_t>(i + k);
        std::size_t sent = 0;
        while (sent < batch.size()) {
          sent += r.push_n(std::span(batch).subspan(sent));
          if (sent < batch.size()) std::this_thread::yield();
        }
        i += batch.size();
      } else {
        auto p = std::make_unique<std::uint64_t>(i);
        while (!r.try_push(std::move(p))) std::this_thread::yield();
        ++i;
      }
    }
  });
  std::uint64_t expect = 0, sum = 0;
  bool ordered = true;
  std::array<std::unique_ptr<std::uint64_t>, 16> out;
  while (expect < n) {
    std::size_t got;
    if (expect % 2) {
      got = r.pop_n(out);
      for (std::size_t k = 0; k < got; ++k) {
        ordered &= *out[k] == expect++;
        sum += *out[k];
      }
    } else {
      got = r.consume([&](std::unique_ptr<std::uint64_t>&& p) {
        ordered &= *p == expect++;
        sum += *p;
      });
    }
    if (!got) std::this_thread::yield();
  }
  producer.join();
  EXPECT_TRUE(ordered);
  EXPECT_EQ(sum, n * (n - 1) / 2);
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace ztkit::buf
