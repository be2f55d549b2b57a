// Reassembly table: fragments.json in every order, duplicates, and each bound (zerotier-protocol.md
// §1.4). The allocation test replaces global operator new in this binary to count allocations.
#include "engine/wire/reassembly.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "engine/wire/bytes.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

struct split_packet_t {
  bytes armored;
  std::vector<bytes> datagrams;  // [0] = head
};

// A stand-in armored packet with packet id `id`, split at `mtu`.
split_packet_t make_split(std::size_t len, std::size_t mtu, std::uint64_t id,
                          std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  split_packet_t s;
  s.armored.resize(len);
  for (auto& b : s.armored) b = static_cast<std::uint8_t>(rng());
  store_be64(s.armored.data(), id);
  s.armored[13] = 0x3d;
  s.armored[18] = static_cast<std::uint8_t>((s.armored[18] & ~fragment_head_flag) |
                                            (len > mtu ? fragment_head_flag : 0));
  status st = for_each_fragment_datagram(s.armored, mtu, [&](auto d, unsigned) {
    s.datagrams.emplace_back(d.begin(), d.end());
  });
  EXPECT_TRUE(st.ok()) << st;
  return s;
}

bytes span_bytes(std::span<const std::uint8_t> s) { return bytes(s.begin(), s.end()); }

// A raw fragment datagram with the given header fields and `payload_len` bytes of `fill`.
bytes raw_fragment(std::uint64_t id, unsigned total, unsigned number, std::size_t payload_len,
                   std::uint8_t fill = 0xab) {
  bytes d(fragment_header_length + payload_len, fill);
  store_be64(d.data(), id);
  store_be_n(d.data() + 8, 0x3d55811c5eULL, 5);
  d[13] = 0xff;
  d[14] = static_cast<std::uint8_t>(((total & 0xf) << 4) | (number & 0xf));
  d[15] = 0;
  return d;
}

// A raw head datagram of `len` bytes with the fragmented flag.
bytes raw_head(std::uint64_t id, std::size_t len) {
  bytes d(len, 0x11);
  store_be64(d.data(), id);
  d[13] = 0x3d;
  d[18] = 0x18 | fragment_head_flag;
  return d;
}

// Feeds datagrams in the order given; expects exactly one completion, on the last datagram
// that brings the final missing piece, equal to `want`.
void feed_expect_one_completion(reassembly_table& t, std::uint64_t source,
                                const std::vector<const bytes*>& order, const bytes& want,
                                std::int64_t now = 0) {
  int completions = 0;
  for (const bytes* d : order) {
    auto r = t.on_datagram(source, *d, now);
    ASSERT_NE(r.status, reassembly_status::invalid);
    ASSERT_NE(r.status, reassembly_status::too_big);
    ASSERT_NE(r.status, reassembly_status::inconsistent_total);
    if (r.status == reassembly_status::complete) {
      ++completions;
      ASSERT_EQ(span_bytes(r.packet), want);
    }
  }
  EXPECT_EQ(completions, 1);
}

TEST(ReassemblyVectors, EveryOrderOfEveryCase) {
  ZTKIT_LOAD_VECTORS(v, "fragments.json");
  for (const auto& c : v["cases"]) {
    SCOPED_TRACE(c["cipher"].get<std::string>() + " payload " +
                 std::to_string(c["frame_payload_length"].get<int>()));
    const bytes armored = test::hex_bytes(c["armored_packet"]);
    std::vector<bytes> datagrams;
    for (const auto& d : c["wire_datagrams"]) datagrams.push_back(test::hex_bytes(d));

    std::vector<std::size_t> perm(datagrams.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::uint64_t source = 0;
    do {
      // A fresh source key per order: the table remembers completed packets per source.
      reassembly_table t;
      std::vector<const bytes*> order;
      for (std::size_t i : perm) order.push_back(&datagrams[i]);
      feed_expect_one_completion(t, ++source, order, armored);
      EXPECT_EQ(t.counters().completed, 1u);
      EXPECT_EQ(t.counters().heads, 1u);
      EXPECT_EQ(t.counters().fragments, datagrams.size() - 1);
      EXPECT_EQ(t.active_entries(), 0u);

      // Each order again with every datagram duplicated right after itself and the whole set
      // replayed afterwards: still exactly one completion, the rest counted as duplicates.
      reassembly_table t2;
      std::vector<const bytes*> dup;
      for (std::size_t i : perm) {
        dup.push_back(&datagrams[i]);
        dup.push_back(&datagrams[i]);
      }
      for (std::size_t i : perm) dup.push_back(&datagrams[i]);
      feed_expect_one_completion(t2, 7, dup, armored);
      EXPECT_EQ(t2.counters().completed, 1u);
      EXPECT_EQ(t2.counters().duplicate, 2 * datagrams.size());
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
}

// Seven pieces (the most a receiver accepts): all 5040 orders at a small MTU.
TEST(Reassembly, AllOrdersOfSevenPieces) {
  const std::size_t mtu = 100;
  reassembly_table t;
  std::vector<std::size_t> perm(7);
  std::iota(perm.begin(), perm.end(), 0);
  std::uint64_t id = 1;
  do {
    split_packet_t s = make_split(max_sendable_length(mtu), mtu, id++);
    ASSERT_EQ(s.datagrams.size(), 7u);
    std::vector<const bytes*> order;
    for (std::size_t i : perm) order.push_back(&s.datagrams[i]);
    feed_expect_one_completion(t, 1, order, s.armored);
    if (HasFatalFailure() || HasFailure()) return;
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_EQ(t.counters().completed, 5040u);
  EXPECT_EQ(t.active_entries(), 0u);
}

// Larger packets at the default MTU, shuffled, with random duplicates, interleaved between
// several packets and sources.
TEST(Reassembly, ShuffledInterleavedWithDuplicates) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    reassembly_table t;
    std::vector<split_packet_t> packets;
    std::vector<std::pair<std::size_t, std::size_t>> stream;  // (packet, datagram)
    const std::size_t n = 1 + rng() % 8;
    for (std::size_t p = 0; p < n; ++p) {
      const std::size_t len = 1433 + rng() % (9928 - 1433 + 1);
      packets.push_back(make_split(len, 1432, rng(), static_cast<std::uint32_t>(rng())));
      for (std::size_t d = 0; d < packets.back().datagrams.size(); ++d) {
        stream.emplace_back(p, d);
        if (rng() % 4 == 0) stream.emplace_back(p, d);
      }
    }
    std::shuffle(stream.begin(), stream.end(), rng);
    std::vector<int> completions(n, 0);
    for (auto [p, d] : stream) {
      auto r = t.on_datagram(p % 3, packets[p].datagrams[d], 0);
      if (r.status == reassembly_status::complete) {
        ++completions[p];
        ASSERT_EQ(span_bytes(r.packet), packets[p].armored);
      } else {
        ASSERT_TRUE(r.status == reassembly_status::incomplete ||
                    r.status == reassembly_status::duplicate)
            << to_string(r.status);
      }
    }
    for (std::size_t p = 0; p < n; ++p) EXPECT_EQ(completions[p], 1) << "packet " << p;
    EXPECT_EQ(t.counters().completed, n);
    EXPECT_EQ(t.counters().duplicate + t.counters().heads + t.counters().fragments,
              stream.size());
  }
}

TEST(Reassembly, NotFragmentedPassesThrough) {
  reassembly_table t;
  bytes plain(100, 0x22);
  plain[13] = 0x3d;
  plain[18] = 0x18;  // no 0x40
  auto r = t.on_datagram(1, plain, 0);
  EXPECT_EQ(r.status, reassembly_status::not_fragmented);
  EXPECT_EQ(r.packet.data(), plain.data());
  bytes beacon(13, 0);
  EXPECT_EQ(t.on_datagram(1, beacon, 0).status, reassembly_status::not_fragmented);
  EXPECT_EQ(t.counters(), reassembly_counters{});
  // on_head insists on the flag and a whole header.
  EXPECT_EQ(t.on_head(1, plain, 0).status, reassembly_status::invalid);
  const bytes head = raw_head(5, 100);
  EXPECT_EQ(t.on_head(1, std::span(head).first(27), 0).status, reassembly_status::invalid);
  EXPECT_EQ(t.counters().invalid, 2u);
}

TEST(Reassembly, SourcesAreSeparate) {
  reassembly_table t;
  split_packet_t s = make_split(3000, 1432, 99);
  EXPECT_EQ(t.on_datagram(1, s.datagrams[0], 0).status, reassembly_status::incomplete);
  EXPECT_EQ(t.on_datagram(2, s.datagrams[1], 0).status, reassembly_status::incomplete);
  EXPECT_EQ(t.on_datagram(2, s.datagrams[2], 0).status, reassembly_status::incomplete);
  EXPECT_EQ(t.active_entries(), 2u);
  EXPECT_EQ(t.on_datagram(1, s.datagrams[1], 0).status, reassembly_status::incomplete);
  auto r = t.on_datagram(1, s.datagrams[2], 0);
  ASSERT_EQ(r.status, reassembly_status::complete);
  EXPECT_EQ(span_bytes(r.packet), s.armored);
}

TEST(Reassembly, InvalidFragmentsAreDropped) {
  reassembly_table t;
  // number >= total: 1.14 stores it, we cannot ever complete with it.
  EXPECT_EQ(t.on_datagram(1, raw_fragment(1, 3, 3, 10), 0).status, reassembly_status::invalid);
  EXPECT_EQ(t.on_datagram(1, raw_fragment(1, 3, 5, 10), 0).status, reassembly_status::invalid);
  // total > 7, total < 2, number 0, number 7.
  EXPECT_EQ(t.on_datagram(1, raw_fragment(1, 8, 1, 10), 0).status, reassembly_status::invalid);
  EXPECT_EQ(t.on_datagram(1, raw_fragment(1, 15, 1, 10), 0).status, reassembly_status::invalid);
  EXPECT_EQ(t.on_datagram(1, raw_fragment(1, 1, 1, 10), 0).status, reassembly_status::invalid);
  EXPECT_EQ(t.on_datagram(1, raw_fragment(1, 3, 0, 10), 0).status, reassembly_status::invalid);
  EXPECT_EQ(t.on_datagram(1, raw_fragment(1, 7, 7, 10), 0).status, reassembly_status::invalid);
  // An unchecked view of garbage is re-checked.
  bytes junk(30, 0);
  EXPECT_EQ(t.on_fragment(1, fragment_view::unchecked(junk), 0).status,
            reassembly_status::invalid);
  EXPECT_EQ(t.counters().invalid, 8u);
  EXPECT_EQ(t.active_entries(), 0u);
}

TEST(Reassembly, InconsistentTotalIsDropped) {
  reassembly_table t;
  EXPECT_EQ(t.on_datagram(1, raw_fragment(7, 3, 1, 10), 0).status, reassembly_status::incomplete);
  EXPECT_EQ(t.on_datagram(1, raw_fragment(7, 4, 2, 10), 0).status,
            reassembly_status::inconsistent_total);
  EXPECT_EQ(t.on_datagram(1, raw_fragment(7, 2, 1, 10), 0).status,
            reassembly_status::inconsistent_total);
  EXPECT_EQ(t.counters().inconsistent_total, 2u);
  // The entry keeps its first total and still completes with consistent pieces.
  EXPECT_EQ(t.on_datagram(1, raw_head(7, 40), 0).status, reassembly_status::incomplete);
  auto r = t.on_datagram(1, raw_fragment(7, 3, 2, 5), 0);
  ASSERT_EQ(r.status, reassembly_status::complete);
  EXPECT_EQ(r.packet.size(), 40u + 10u + 5u);
}

TEST(Reassembly, OversizeDatagramsAndEntries) {
  reassembly_table t;
  // A single head larger than the receiver's packet buffer.
  EXPECT_EQ(t.on_datagram(1, raw_head(1, fragment_max_packet_length + 1), 0).status,
            reassembly_status::too_big);
  // A fragment alone larger than any packet could be.
  EXPECT_EQ(t.on_datagram(1, raw_fragment(2, 2, 1, fragment_max_packet_length), 0).status,
            reassembly_status::too_big);
  EXPECT_EQ(t.active_entries(), 0u);
  // Pieces that each fit but sum past 10024: the entry is dropped as soon as it overflows.
  EXPECT_EQ(t.on_datagram(1, raw_head(3, 1432), 0).status, reassembly_status::incomplete);
  for (unsigned n = 1; n <= 5; ++n) {
    EXPECT_EQ(t.on_datagram(1, raw_fragment(3, 7, n, 1500), 0).status,
              reassembly_status::incomplete);
  }
  EXPECT_EQ(t.on_datagram(1, raw_fragment(3, 7, 6, 1500), 0).status, reassembly_status::too_big);
  EXPECT_EQ(t.active_entries(), 0u);
  EXPECT_EQ(t.counters().too_big, 3u);
  // The largest legal packet (exactly 10024 bytes) still completes.
  EXPECT_EQ(t.on_datagram(1, raw_head(4, 1432), 0).status, reassembly_status::incomplete);
  std::size_t left = fragment_max_packet_length - 1432;
  for (unsigned n = 1; n <= 6; ++n) {
    const std::size_t len = n < 6 ? 1432 : left;
    left -= len;
    auto r = t.on_datagram(1, raw_fragment(4, 7, n, len), 0);
    if (n < 6) {
      EXPECT_EQ(r.status, reassembly_status::incomplete);
    } else {
      ASSERT_EQ(r.status, reassembly_status::complete);
      EXPECT_EQ(r.packet.size(), fragment_max_packet_length);
    }
  }
}

TEST(Reassembly, ExpiryWithVirtualTime) {
  reassembly_table t(reassembly_config{.max_entries = 8, .max_entries_per_source = 4,
                                       .timeout_ms = 5000});
  split_packet_t a = make_split(3000, 1432, 1);
  split_packet_t b = make_split(3000, 1432, 2);
  // Within the timeout: completes, even at the last millisecond.
  EXPECT_EQ(t.on_datagram(1, a.datagrams[0], 1000).status, reassembly_status::incomplete);
  EXPECT_EQ(t.on_datagram(1, a.datagrams[1], 3000).status, reassembly_status::incomplete);
  EXPECT_EQ(t.on_datagram(1, a.datagrams[2], 5999).status, reassembly_status::complete);
  // Past it: the first piece is forgotten (pieces do not extend the deadline).
  EXPECT_EQ(t.on_datagram(1, b.datagrams[0], 10000).status, reassembly_status::incomplete);
  EXPECT_EQ(t.on_datagram(1, b.datagrams[1], 14000).status, reassembly_status::incomplete);
  auto r = t.on_datagram(1, b.datagrams[2], 15000);
  EXPECT_EQ(r.status, reassembly_status::incomplete);  // a new entry that holds only piece 2
  EXPECT_EQ(r.have_mask, 0b100);
  EXPECT_EQ(t.counters().expired, 1u);
  // Fragments whose head never arrives expire through the timer call.
  EXPECT_EQ(t.on_datagram(2, raw_fragment(50, 3, 1, 10), 16000).status,
            reassembly_status::incomplete);
  EXPECT_EQ(t.on_datagram(2, raw_fragment(50, 3, 2, 10), 16000).status,
            reassembly_status::incomplete);
  EXPECT_EQ(t.active_entries(), 2u);
  t.expire(20999);
  EXPECT_EQ(t.active_entries(), 1u);
  EXPECT_EQ(t.counters().expired, 2u);
  t.expire(21000);
  EXPECT_EQ(t.active_entries(), 0u);
  EXPECT_EQ(t.counters().expired, 3u);
  // A clock that goes backwards expires nothing.
  EXPECT_EQ(t.on_datagram(2, raw_fragment(51, 3, 1, 10), 30000).status,
            reassembly_status::incomplete);
  t.expire(0);
  EXPECT_EQ(t.active_entries(), 1u);
}

TEST(Reassembly, CompletedPacketIsRememberedAsDuplicate) {
  reassembly_table t;
  split_packet_t s = make_split(3000, 1432, 5);
  for (auto& d : s.datagrams) (void)t.on_datagram(1, d, 0);
  ASSERT_EQ(t.counters().completed, 1u);
  for (auto& d : s.datagrams) {
    EXPECT_EQ(t.on_datagram(1, d, 100).status, reassembly_status::duplicate);
  }
  EXPECT_EQ(t.counters().duplicate, 3u);
  // After the timeout the tombstone is gone and the same pieces form a new packet.
  for (auto& d : s.datagrams) (void)t.on_datagram(1, d, 6000);
  EXPECT_EQ(t.counters().completed, 2u);
}

// A bulk stream fills the table with tombstones; each new packet then forgets the oldest one
// (and only that one), whichever way claim() picks its slot.
TEST(Reassembly, TombstonesAreForgottenOldestFirst) {
  reassembly_table t(reassembly_config{.max_entries = 8, .max_entries_per_source = 4});
  std::vector<split_packet_t> p;
  for (std::uint64_t id = 1; id <= 12; ++id) {
    p.push_back(make_split(3000, 1432, id));
    for (auto& d : p.back().datagrams) (void)t.on_datagram(1, d, static_cast<std::int64_t>(id));
  }
  ASSERT_EQ(t.counters().completed, 12u);
  EXPECT_EQ(t.counters().evicted, 0u);
  EXPECT_EQ(t.active_entries(), 0u);
  // Packets 5..12 still have their tombstones; 1..4 were forgotten to make room.
  for (std::uint64_t id = 5; id <= 12; ++id)
    EXPECT_EQ(t.on_datagram(1, p[id - 1].datagrams[1], 20).status, reassembly_status::duplicate) << id;
  EXPECT_EQ(t.on_datagram(1, p[0].datagrams[1], 20).status, reassembly_status::incomplete);
  // Open entries of one source up to its cap, then a fifth evicts that source's oldest.
  for (std::uint64_t id = 100; id < 103; ++id)
    EXPECT_EQ(t.on_datagram(2, raw_fragment(id, 3, 1, 10), 30).status, reassembly_status::incomplete);
  EXPECT_EQ(t.active_entries(), 4u);  // with packet 1's piece above
  EXPECT_EQ(t.on_datagram(2, raw_fragment(103, 3, 1, 10), 31).status, reassembly_status::incomplete);
  EXPECT_EQ(t.counters().evicted, 0u);
  EXPECT_EQ(t.on_datagram(2, raw_fragment(104, 3, 1, 10), 32).status, reassembly_status::incomplete);
  EXPECT_EQ(t.counters().evicted, 1u);
  EXPECT_EQ(t.active_entries_for(2), 4u);
}

TEST(Reassembly, PerSourceBoundEvictsOldestOfThatSource) {
  reassembly_table t(reassembly_config{.max_entries = 64, .max_entries_per_source = 16});
  // Another source's packet, started first (so it is the oldest overall).
  split_packet_t other = make_split(3000, 1432, 1000);
  EXPECT_EQ(t.on_datagram(2, other.datagrams[0], 0).status, reassembly_status::incomplete);
  for (std::uint64_t id = 1; id <= 16; ++id) {
    EXPECT_EQ(t.on_datagram(1, raw_fragment(id, 3, 1, 10), static_cast<std::int64_t>(id)).status,
              reassembly_status::incomplete);
  }
  EXPECT_EQ(t.active_entries_for(1), 16u);
  EXPECT_EQ(t.counters().evicted, 0u);
  // The 17th evicts source 1's oldest (id 1), not source 2's older entry.
  EXPECT_EQ(t.on_datagram(1, raw_fragment(17, 3, 1, 10), 20).status,
            reassembly_status::incomplete);
  EXPECT_EQ(t.active_entries_for(1), 16u);
  EXPECT_EQ(t.counters().evicted, 1u);
  auto r = t.on_datagram(1, raw_fragment(1, 3, 2, 10), 21);
  EXPECT_EQ(r.have_mask, 0b100) << "id 1 started afresh";
  EXPECT_EQ(t.counters().evicted, 2u);  // ...which in turn evicted id 2
  // Source 2's packet is intact and completes.
  EXPECT_EQ(t.on_datagram(2, other.datagrams[1], 22).status, reassembly_status::incomplete);
  auto done = t.on_datagram(2, other.datagrams[2], 22);
  ASSERT_EQ(done.status, reassembly_status::complete);
  EXPECT_EQ(span_bytes(done.packet), other.armored);
}

TEST(Reassembly, TotalBoundEvictsOldestOverall) {
  reassembly_table t(reassembly_config{.max_entries = 8, .max_entries_per_source = 4});
  // Sources 1 and 2 fill the table, 4 each, source 1 first.
  std::int64_t now = 0;
  for (std::uint64_t src = 1; src <= 2; ++src) {
    for (std::uint64_t i = 0; i < 4; ++i) {
      EXPECT_EQ(t.on_datagram(src, raw_fragment(src * 100 + i, 3, 1, 10), now++).status,
                reassembly_status::incomplete);
    }
  }
  EXPECT_EQ(t.active_entries(), 8u);
  // A new source with nothing held evicts the oldest overall (source 1, id 100).
  EXPECT_EQ(t.on_datagram(3, raw_fragment(300, 3, 1, 10), now++).status,
            reassembly_status::incomplete);
  EXPECT_EQ(t.counters().evicted, 1u);
  EXPECT_EQ(t.active_entries(), 8u);
  EXPECT_EQ(t.active_entries_for(1), 3u);
  // Table full and source 3 now holds one: it evicts its own oldest, not anybody else's.
  EXPECT_EQ(t.on_datagram(3, raw_fragment(301, 3, 1, 10), now++).status,
            reassembly_status::incomplete);
  EXPECT_EQ(t.counters().evicted, 2u);
  EXPECT_EQ(t.active_entries_for(3), 1u);
  EXPECT_EQ(t.active_entries_for(1), 3u);
  EXPECT_EQ(t.active_entries_for(2), 4u);
  // id 300 is gone: its second piece starts a new entry.
  EXPECT_EQ(t.on_datagram(3, raw_fragment(300, 3, 2, 10), now++).have_mask, 0b100);
}

TEST(Reassembly, ConfigIsClamped) {
  reassembly_table t(reassembly_config{.max_entries = 0, .max_entries_per_source = 100,
                                       .timeout_ms = -5});
  EXPECT_EQ(t.config().max_entries, 1u);
  EXPECT_EQ(t.config().max_entries_per_source, 1u);
  EXPECT_EQ(t.config().timeout_ms, 1);
  EXPECT_EQ(t.on_datagram(1, raw_fragment(1, 3, 1, 10), 0).status, reassembly_status::incomplete);
  EXPECT_EQ(t.on_datagram(2, raw_fragment(2, 3, 1, 10), 0).status, reassembly_status::incomplete);
  EXPECT_EQ(t.active_entries(), 1u);
  EXPECT_EQ(t.counters().evicted, 1u);
}

// A hostile stream (random ids, random sources, random garbage, oversize pieces) never makes the
// table allocate, grow, or hold more than its bounds.
TEST(Reassembly, HostileStreamIsBoundedAndAllocationFree) {
  reassembly_table t(reassembly_config{.max_entries = 64, .max_entries_per_source = 16});
  const std::size_t memory = t.memory_bytes();
  std::mt19937_64 rng(7);
  // Prebuilt datagrams (built before counting allocations).
  std::vector<bytes> pool;
  for (int i = 0; i < 256; ++i) {
    const unsigned total = 2 + rng() % 6;
    pool.push_back(raw_fragment(rng(), total, 1 + rng() % (total - 1), 1 + rng() % 1500));
    pool.push_back(raw_head(rng(), 28 + rng() % 1500));
    bytes junk(1 + rng() % 64);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    pool.push_back(std::move(junk));
  }
  const std::size_t before = ztkit::testing::allocation_count();
  std::int64_t now = 0;
  for (int i = 0; i < 200000; ++i) {
    bytes& d = pool[rng() % pool.size()];
    if (d.size() >= 8) store_be64(d.data(), rng() % 4096);  // ids collide now and then
    const std::uint64_t source = rng() % 8;
    now += static_cast<std::int64_t>(rng() % 3);
    if (i % 10000 == 9999) now += 6000;  // a lull: whatever is pending expires
    auto r = t.on_datagram(source, d, now);
    if (r.status == reassembly_status::complete) {
      ASSERT_LE(r.packet.size(), fragment_max_packet_length);
    }
    if (i % 4096 == 0) {
      ASSERT_LE(t.active_entries(), 64u);
      for (std::uint64_t s = 0; s < 8; ++s) ASSERT_LE(t.active_entries_for(s), 16u);
    }
  }
  EXPECT_EQ(ztkit::testing::allocation_count(), before);
  EXPECT_EQ(t.memory_bytes(), memory);
  const auto& c = t.counters();
  EXPECT_GT(c.evicted, 0u);
  EXPECT_GT(c.expired, 0u);
  EXPECT_GT(c.inconsistent_total + c.duplicate, 0u);
}

}  // namespace
}  // namespace ztkit::wire
