// command_queue: several application threads to one or more shards; per-producer order, nothing
// lost, fairness across lanes, replies, wake-ups, shutdown.
#include "engine/buf/command_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "engine/buf/inplace_task.h"

namespace ztkit::buf {
namespace {

using namespace std::chrono_literals;

struct cmd {
  std::uint32_t producer;
  std::uint64_t seq;
};

TEST(InplaceTask, StoresInlineMovesAndDestroys) {
  auto alive = std::make_shared<int>(5);
  int hits = 0;
  inplace_task<int(int), 48> t = [alive, &hits](int x) {
    ++hits;
    return x + *alive;
  };
  EXPECT_TRUE(t);
  EXPECT_EQ(alive.use_count(), 2);
  inplace_task<int(int), 48> u = std::move(t);
  EXPECT_FALSE(t);
  EXPECT_EQ(u(1), 6);
  EXPECT_EQ(alive.use_count(), 2);
  u = [](int x) { return -x; };  // the old target is destroyed
  EXPECT_EQ(alive.use_count(), 1);
  EXPECT_EQ(u(3), -3);
  // Move-only captures are fine.
  inplace_task<int()> w = [p = std::make_unique<int>(9)] { return *p; };
  EXPECT_EQ(w(), 9);
  EXPECT_EQ(hits, 1);
}

TEST(CommandQueue, SingleThreadPushDrain) {
  command_queue<cmd> q({.shards = 2, .ring_capacity = 4});
  EXPECT_EQ(q.shard_count(), 2u);
  EXPECT_FALSE(q.pending(0));
  EXPECT_EQ(q.push(0, cmd{0, 1}), push_status::ok);
  EXPECT_EQ(q.push(1, cmd{0, 2}), push_status::ok);
  EXPECT_TRUE(q.pending(0));
  std::vector<std::uint64_t> got;
  EXPECT_EQ(q.drain(0, [&](cmd&& c, auto) { got.push_back(c.seq); }), 1u);
  EXPECT_EQ(q.drain(1, [&](cmd&& c, auto) { got.push_back(c.seq); }), 1u);
  EXPECT_EQ(got, (std::vector<std::uint64_t>{1, 2}));
  // The lane is bounded.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(q.push(0, cmd{0, 10u + i}), push_status::ok);
  EXPECT_EQ(q.push(0, cmd{0, 99}), push_status::full);
  const auto c = q.counters(0);
  EXPECT_EQ(c.full, 1u);
  EXPECT_EQ(c.producers, 1u);
  EXPECT_EQ(c.drained, 1u);
  EXPECT_EQ(c.wake.skipped, 5u);  // the shard never slept
  EXPECT_EQ(c.wake.written, 0u);
}

TEST(CommandQueue, PushNTakesAPrefix) {
  command_queue<cmd> q({.shards = 1, .ring_capacity = 4});
  std::vector<cmd> cs;
  for (std::uint64_t i = 0; i < 6; ++i) cs.push_back({0, i});
  push_status st;
  EXPECT_EQ(q.push_n(0, cs, &st), 4u);
  EXPECT_EQ(st, push_status::full);
  std::uint64_t expect = 0;
  q.drain(0, [&](cmd&& c, auto) { EXPECT_EQ(c.seq, expect++); });
  EXPECT_EQ(expect, 4u);
}

TEST(CommandQueue, DrainIsFairAcrossProducers) {
  command_queue<cmd> q({.shards = 1, .ring_capacity = 256, .quantum = 4});
  // Three threads fill their lanes; then one budgeted drain must serve all three.
  std::vector<std::thread> ts;
  for (std::uint32_t p = 0; p < 3; ++p)
    ts.emplace_back([&q, p] {
      for (std::uint64_t i = 0; i < 100; ++i) ASSERT_EQ(q.push(0, cmd{p, i}), push_status::ok);
    });
  for (auto& t : ts) t.join();
  int per[3] = {0, 0, 0};
  EXPECT_EQ(q.drain(0, [&](cmd&& c, auto) { ++per[c.producer]; }, 12), 12u);
  EXPECT_EQ(per[0], 4);
  EXPECT_EQ(per[1], 4);
  EXPECT_EQ(per[2], 4);
  // The first lane rotates: a budget smaller than one round still reaches every lane in turn.
  int first[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) q.drain(0, [&](cmd&& c, auto) { ++first[c.producer]; }, 1);
  EXPECT_EQ(first[0] + first[1] + first[2], 3);
  EXPECT_EQ(first[0], 1);
  EXPECT_EQ(first[1], 1);
  EXPECT_EQ(first[2], 1);
}

TEST(CommandQueue, TooManyProducers) {
  command_queue<cmd> q({.shards = 1, .max_producers = 1});
  EXPECT_EQ(q.push(0, cmd{0, 0}), push_status::ok);
  push_status other;
  std::thread([&] { other = q.push(0, cmd{1, 0}); }).join();
  EXPECT_EQ(other, push_status::too_many_producers);
}

// Several producers, two shards each on its own thread sleeping when idle; per-producer order
// holds, nothing is lost or duplicated, and shutdown stops pushes cleanly.
TEST(CommandQueue, ManyProducersTwoShardsOrderedNothingLost) {
  constexpr std::uint32_t producers = 4, shards = 2;
  constexpr std::uint64_t per_producer = 50'000;
  command_queue<cmd> q({.shards = shards, .ring_capacity = 128, .quantum = 16});
  std::atomic<bool> stop{false};
  std::vector<std::vector<std::uint64_t>> next(shards, std::vector<std::uint64_t>(producers, 0));
  std::vector<std::uint64_t> received(shards, 0);
  for (std::uint32_t s = 0; s < shards; ++s)
    for (std::uint32_t p = 0; p < producers; ++p) next[s][p] = s;  // shard s first sees seq s
  std::atomic<int> disorder{0};
  std::vector<std::thread> shard_threads;
  for (std::uint32_t s = 0; s < shards; ++s)
    shard_threads.emplace_back([&, s] {
      auto handle = [&](cmd&& c, auto) {
        // Producer p sends seq i to shard i % shards, in order.
        if (c.seq != next[s][c.producer]) ++disorder;
        next[s][c.producer] = c.seq + shards;
        ++received[s];
      };
      for (;;) {
        if (q.drain(s, handle, 256)) continue;
        if (stop.load(std::memory_order_acquire)) {
          q.drain(s, handle);  // the final drain, after every producer stopped
          return;
        }
        q.shard_wakeup(s).sleep_unless([&] { return q.pending(s) || stop.load(); }, 1000);
      }
    });
  std::vector<std::uint64_t> full(producers, 0);
  std::vector<std::thread> ps;
  for (std::uint32_t p = 0; p < producers; ++p)
    ps.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < per_producer; ++i) {
        push_status st;
        while ((st = q.push(i % shards, cmd{p, i})) == push_status::full) {
          ++full[p];
          std::this_thread::yield();
        }
        ASSERT_EQ(st, push_status::ok);
      }
    });
  for (auto& t : ps) t.join();
  q.close();
  EXPECT_EQ(q.push(0, cmd{0, 0}), push_status::closed);
  stop.store(true, std::memory_order_release);
  for (std::uint32_t s = 0; s < shards; ++s) q.shard_wakeup(s).notify();
  for (auto& t : shard_threads) t.join();
  EXPECT_EQ(disorder.load(), 0);
  EXPECT_EQ(received[0] + received[1], producers * per_producer);
  for (std::uint32_t s = 0; s < shards; ++s) {
    EXPECT_EQ(received[s], producers * per_producer / shards);
    const auto c = q.counters(s);
    EXPECT_EQ(c.drained, received[s]);
    EXPECT_EQ(c.producers, producers);
    EXPECT_GE(c.wake.written + c.wake.skipped, producers * per_producer / shards);
  }
}

// Replies: each command carries a callable to run on the shard; the shard answers the thread
// it came from, which sleeps on its own reply wakeup.
TEST(CommandQueue, RunsTasksAndRepliesToTheirThread) {
  using task = inplace_task<std::uint64_t(), 32>;
  struct reply {
    std::uint32_t producer;
    std::uint64_t value;
  };
  constexpr std::uint32_t producers = 3;
  constexpr std::uint64_t per_producer = 5'000;
  command_queue<std::pair<std::uint32_t, task>, reply> q(
      {.shards = 1, .ring_capacity = 64, .reply_capacity = 64});
  std::atomic<bool> stop{false};
  std::thread shard([&] {
    while (!stop.load(std::memory_order_acquire)) {
      if (q.drain(0, [&](std::pair<std::uint32_t, task>&& c, auto to) {
            reply r{c.first, c.second()};
            while (!q.try_reply(0, to, std::move(r))) std::this_thread::yield();
          }))
        continue;
      q.shard_wakeup(0).sleep_unless([&] { return q.pending(0) || stop.load(); }, 1000);
    }
  });
  std::vector<std::thread> ps;
  std::atomic<int> wrong{0};
  for (std::uint32_t p = 0; p < producers; ++p)
    ps.emplace_back([&, p] {
      std::uint64_t sent = 0, got = 0;
      while (got < per_producer) {
        // Up to 16 in flight, then wait for replies.
        while (sent < per_producer && sent - got < 16) {
          if (q.push(0, {p, task([sent] { return sent * 3; })}) != push_status::ok) break;
          ++sent;
        }
        std::size_t n = q.poll_replies([&](std::size_t, reply&& r) {
          if (r.producer != p || r.value != got * 3) ++wrong;
          ++got;
        });
        if (!n) q.wait_replies(1000);
      }
      EXPECT_NE(q.reply_wakeup(), nullptr);
    });
  for (auto& t : ps) t.join();
  stop.store(true);
  q.shard_wakeup(0).notify();
  shard.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(q.counters(0).drained, producers * per_producer);
}

// Commands left in the rings at destruction are destroyed, not leaked (ASan checks).
TEST(CommandQueue, DestroysUndrainedCommands) {
  auto alive = std::make_shared<int>(0);
  {
    command_queue<std::shared_ptr<int>> q({.shards = 3});
    for (int i = 0; i < 10; ++i) EXPECT_EQ(q.push(i % 3, std::shared_ptr<int>(alive)), push_status::ok);
    EXPECT_EQ(alive.use_count(), 11);
  }
  EXPECT_EQ(alive.use_count(), 1);
}

// Two queues of the same type used from one thread: the thread_local cache keeps them apart,
// and a new queue at an old one's address does not inherit its lanes.
TEST(CommandQueue, ThreadCacheKeepsQueuesApart) {
  for (int round = 0; round < 3; ++round) {
    command_queue<cmd> a({.shards = 1}), b({.shards = 1});
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(a.push(0, cmd{0, 1}), push_status::ok);
      ASSERT_EQ(b.push(0, cmd{0, 2}), push_status::ok);
    }
    std::uint64_t sa = 0, sb = 0;
    a.drain(0, [&](cmd&& c, auto) { sa += c.seq; });
    b.drain(0, [&](cmd&& c, auto) { sb += c.seq; });
    EXPECT_EQ(sa, 5u);
    EXPECT_EQ(sb, 10u);
    EXPECT_EQ(a.counters(0).producers, 1u);
  }
}

}  // namespace
}  // namespace ztkit::buf
