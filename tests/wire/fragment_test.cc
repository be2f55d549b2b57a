// Fragment view/repr and the 1.14 split rule against fragments.json (zerotier-protocol.md §1.4).
#include "engine/wire/fragment.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/wire/bytes.h"
#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

// A stand-in for an armored packet: random bytes with a source address that does not start
// with 0xff and the fragmented flag set iff it needs fragmenting at `mtu`.
bytes fake_packet(std::size_t len, std::size_t mtu, std::uint32_t seed) {
  std::mt19937 rng(seed);
  bytes p(len);
  for (auto& b : p) b = static_cast<std::uint8_t>(rng());
  p[13] = 0x3d;
  p[18] = static_cast<std::uint8_t>((p[18] & ~fragment_head_flag) |
                                    (len > mtu ? fragment_head_flag : 0));
  return p;
}

bytes concat_pieces(std::span<const std::span<const std::uint8_t>> datagrams) {
  bytes out(datagrams[0].begin(), datagrams[0].end());
  for (std::size_t i = 1; i < datagrams.size(); ++i) {
    out.insert(out.end(), datagrams[i].begin() + fragment_header_length, datagrams[i].end());
  }
  return out;
}

TEST(FragmentVectors, SplitIsByteExact) {
  ZTKIT_LOAD_VECTORS(v, "fragments.json");
  ASSERT_EQ(v["cases"].size(), 4u);
  for (const auto& c : v["cases"]) {
    SCOPED_TRACE(c["cipher"].get<std::string>() + " payload " +
                 std::to_string(c["frame_payload_length"].get<int>()));
    const bytes armored = test::hex_bytes(c["armored_packet"]);
    const std::size_t mtu = c["physical_mtu"].get<std::size_t>();
    const std::size_t total = c["total_fragments"].get<std::size_t>();
    ASSERT_EQ(armored.size(), c["armored_packet_length"].get<std::size_t>());
    ASSERT_EQ(c["wire_datagrams"].size(), total);

    EXPECT_TRUE(needs_fragmenting(armored.size(), mtu));
    EXPECT_EQ(fragment_count(armored.size(), mtu), total);
    EXPECT_TRUE(check_split(armored, mtu).ok()) << check_split(armored, mtu);

    bytes scratch(split_scratch_length(armored.size(), mtu));
    auto split = split_packet(armored, mtu, scratch);
    ASSERT_TRUE(split.ok()) << split.message();
    ASSERT_EQ(split->count, total);
    for (std::size_t i = 0; i < total; ++i) {
      const bytes want = test::hex_bytes(c["wire_datagrams"][i]);
      const auto& got = split->datagrams[i];
      EXPECT_EQ(bytes(got.begin(), got.end()), want) << "datagram " << i;
      EXPECT_EQ(got.size(), c["wire_datagram_sizes"][i].get<std::size_t>());
      EXPECT_EQ(fragment_datagram_length(armored.size(), mtu, static_cast<unsigned>(i)),
                want.size());

      bytes one(mtu);
      const std::size_t n =
          write_fragment_datagram(armored, mtu, static_cast<unsigned>(i), one);
      one.resize(n);
      EXPECT_EQ(one, want) << "write_fragment_datagram " << i;
    }
    EXPECT_EQ(split->datagrams[0].data(), armored.data()) << "the head is not copied";
    EXPECT_EQ(concat_pieces(split->all()), armored);

    // The callback form sends the same datagrams in the same order.
    std::vector<bytes> sent;
    status s = for_each_fragment_datagram(armored, mtu, [&](auto d, unsigned index) {
      EXPECT_EQ(index, sent.size());
      sent.emplace_back(d.begin(), d.end());
    });
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(sent.size(), total);
    for (std::size_t i = 0; i < total; ++i) EXPECT_EQ(sent[i], test::hex_bytes(c["wire_datagrams"][i]));
  }
}

TEST(FragmentVectors, ViewAndHeaderOfEachFragment) {
  ZTKIT_LOAD_VECTORS(v, "fragments.json");
  for (const auto& c : v["cases"]) {
    const bytes armored = test::hex_bytes(c["armored_packet"]);
    const unsigned total = c["total_fragments"].get<unsigned>();
    const bytes head = test::hex_bytes(c["wire_datagrams"][0]);
    EXPECT_FALSE(is_fragment(head));
    EXPECT_EQ(fragment_view::check(head), fragment_error::not_fragment);
    EXPECT_NE(head[fragment_head_flags_index] & fragment_head_flag, 0);
    for (unsigned i = 1; i < total; ++i) {
      const bytes d = test::hex_bytes(c["wire_datagrams"][i]);
      ASSERT_TRUE(is_fragment(d));
      auto view = fragment_view::parse(d);
      ASSERT_TRUE(view.ok()) << view.message();
      EXPECT_EQ(view->packet_id(), load_be64(armored.data()));
      EXPECT_EQ(view->destination(), zt_address::from_bytes(armored.data() + 8));
      EXPECT_EQ(view->total(), total);
      EXPECT_EQ(view->number(), i);
      EXPECT_EQ(view->hops(), 0);
      EXPECT_EQ(view->payload().size(), d.size() - 16);

      auto h = fragment_header::parse(d);
      ASSERT_TRUE(h.ok()) << h.message();
      EXPECT_EQ(h->total, total);
      EXPECT_EQ(h->number, i);
      bytes emitted(fragment_header::buffer_len());
      ASSERT_TRUE(h->emit(emitted));
      EXPECT_EQ(emitted, bytes(d.begin(), d.begin() + 16));
    }
  }
}

TEST(FragmentView, IsFragmentRule) {
  bytes d(17, 0);
  d[13] = 0xff;
  d[14] = 0x21;
  EXPECT_TRUE(is_fragment(d));
  EXPECT_EQ(fragment_view::check(d), fragment_error::none);
  // Exactly 16 bytes is a fragment header with no data: 1.14 requires length > 16.
  EXPECT_FALSE(is_fragment(std::span(d).first(16)));
  EXPECT_EQ(fragment_view::check(std::span(d).first(16)), fragment_error::not_fragment);
  EXPECT_FALSE(fragment_view::parse(std::span(d).first(16)).ok());
  EXPECT_FALSE(is_fragment({}));
  d[13] = 0xfe;
  EXPECT_FALSE(is_fragment(d));
}

TEST(FragmentView, AcceptRuleOf114) {
  bytes d(20, 0);
  d[13] = 0xff;
  auto verdict = [&](unsigned total, unsigned number) {
    d[14] = static_cast<std::uint8_t>((total << 4) | number);
    return fragment_view::check(d);
  };
  for (unsigned total = 0; total < 16; ++total) {
    for (unsigned number = 0; number < 16; ++number) {
      const bool ok = total <= 7 && total > 1 && number >= 1 && number < 7;
      EXPECT_EQ(verdict(total, number) == fragment_error::none, ok) << total << "/" << number;
      EXPECT_EQ(fragment_view::parse(d).ok(), ok);
    }
  }
  EXPECT_EQ(verdict(8, 1), fragment_error::bad_total);
  EXPECT_EQ(verdict(1, 1), fragment_error::bad_total);
  EXPECT_EQ(verdict(0, 1), fragment_error::bad_total);
  EXPECT_EQ(verdict(7, 0), fragment_error::bad_number);
  EXPECT_EQ(verdict(7, 7), fragment_error::bad_number);
  // 1.14 itself accepts number >= total here (reassembly rejects it).
  EXPECT_EQ(verdict(2, 5), fragment_error::none);
  auto err = fragment_view::parse(std::span(d).first(10));
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.code(), errc::invalid_argument);
  EXPECT_NE(err.message().find("not a fragment"), std::string::npos);
}

TEST(FragmentHeader, EmitParseRoundTrip) {
  fragment_header h;
  h.packet_id = 0x0123456789abcdefULL;
  h.destination = zt_address(0x3d55811c5eULL);
  h.total = 7;
  h.number = 6;
  h.hops = 2;
  bytes d(40, 0xaa);
  ASSERT_TRUE(h.emit(d));
  EXPECT_EQ(d[13], 0xff);
  EXPECT_EQ(d[14], 0x76);
  auto back = fragment_header::parse(d);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(*back, h);
  bytes small(15);
  EXPECT_FALSE(h.emit(small));
}

TEST(FragmentSplit, Sizes) {
  EXPECT_FALSE(needs_fragmenting(1432, 1432));
  EXPECT_TRUE(needs_fragmenting(1433, 1432));
  EXPECT_EQ(fragment_count(1432, 1432), 1u);
  EXPECT_EQ(fragment_count(1433, 1432), 2u);
  EXPECT_EQ(fragment_count(1432 + 1416, 1432), 2u);
  EXPECT_EQ(fragment_count(1432 + 1417, 1432), 3u);
  EXPECT_EQ(max_sendable_length(1432), 9928u);
  EXPECT_EQ(fragment_count(9928, 1432), 7u);
  EXPECT_EQ(fragment_count(9929, 1432), 8u);
  EXPECT_EQ(max_sendable_length(10024), 10024u);
  EXPECT_EQ(split_scratch_length(1400, 1432), 0u);
  EXPECT_EQ(split_scratch_length(3038, 1432), 3038u - 1432u + 2u * 16u);
  EXPECT_EQ(fragment_datagram_length(100, 1432, 0), 100u);
  EXPECT_EQ(fragment_datagram_length(100, 1432, 1), 0u);
}

TEST(FragmentSplit, RefusesWhatReceiversDrop) {
  const std::size_t mtu = 1432;
  bytes ok_max = fake_packet(9928, mtu, 1);
  EXPECT_TRUE(check_split(ok_max, mtu).ok());
  bytes scratch(split_scratch_length(ok_max.size(), mtu));
  auto split = split_packet(ok_max, mtu, scratch);
  ASSERT_TRUE(split.ok()) << split.message();
  EXPECT_EQ(split->count, 7u);
  EXPECT_EQ(concat_pieces(split->all()), ok_max);

  bytes too_long = fake_packet(9929, mtu, 2);
  EXPECT_FALSE(check_split(too_long, mtu).ok());
  EXPECT_FALSE(split_packet(too_long, mtu, scratch).ok());

  bytes unflagged = fake_packet(3000, mtu, 3);
  unflagged[18] &= static_cast<std::uint8_t>(~fragment_head_flag);
  status s = check_split(unflagged, mtu);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), errc::failed_precondition);

  bytes small_flagged = fake_packet(100, mtu, 4);
  small_flagged[18] |= fragment_head_flag;
  EXPECT_FALSE(check_split(small_flagged, mtu).ok());

  bytes small = fake_packet(100, mtu, 5);
  EXPECT_FALSE(check_split(small, 27).ok());
  EXPECT_FALSE(check_split(small, 10025).ok());
  EXPECT_FALSE(check_split(std::span(small).first(27), mtu).ok());

  bytes big = fake_packet(3000, mtu, 6);
  bytes short_scratch(split_scratch_length(big.size(), mtu) - 1);
  EXPECT_FALSE(split_packet(big, mtu, short_scratch).ok());
  bool called = false;
  EXPECT_FALSE(for_each_fragment_datagram(unflagged, mtu, [&](auto, unsigned) { called = true; }).ok());
  EXPECT_FALSE(called);
}

TEST(FragmentSplit, UnfragmentedPacketIsOneDatagram) {
  bytes p = fake_packet(1000, 1432, 7);
  bytes scratch;
  auto split = split_packet(p, 1432, scratch);
  ASSERT_TRUE(split.ok()) << split.message();
  ASSERT_EQ(split->count, 1u);
  EXPECT_EQ(split->datagrams[0].size(), 1000u);
  EXPECT_EQ(split->datagrams[0].data(), p.data());
}

// Every length at a few MTUs: pieces follow 1.14's rule and concatenate back to the packet.
TEST(FragmentSplit, SyntheticRoundTripAtManyMtus) {
  for (std::size_t mtu : {28u, 64u, 100u, 576u, 1400u, 1432u, 1500u, 9000u}) {
    const std::size_t max = max_sendable_length(mtu);
    for (std::size_t len = 28; len <= max; len += (mtu < 200 ? 1 : 97)) {
      bytes p = fake_packet(len, mtu, static_cast<std::uint32_t>(len * 31 + mtu));
      bytes scratch(split_scratch_length(len, mtu));
      auto split = split_packet(p, mtu, scratch);
      ASSERT_TRUE(split.ok()) << "mtu " << mtu << " len " << len << ": " << split.message();
      ASSERT_EQ(split->count, fragment_count(len, mtu));
      ASSERT_LE(split->count, fragment_max_pieces);
      for (std::size_t i = 0; i < split->count; ++i) {
        const auto d = split->datagrams[i];
        ASSERT_LE(d.size(), mtu);
        if (i == 0) continue;
        auto view = fragment_view::parse(d);
        ASSERT_TRUE(view.ok()) << view.message();
        EXPECT_EQ(view->number(), i);
        EXPECT_EQ(view->total(), split->count);
        // Every fragment but the last is full.
        if (i + 1 < split->count) {
          EXPECT_EQ(d.size(), mtu);
        }
      }
      ASSERT_EQ(concat_pieces(split->all()), p) << "mtu " << mtu << " len " << len;
    }
  }
}

// The even split (balanced_split_mtu): the same number of datagrams as 1.14's split at `mtu`,
// none longer than `mtu`, all but the last of one length and the last at most (pieces - 1)
// shorter, and the packet reassembles from them. (Live: zerotier-one 1.14.1 reassembles such
// packets, tests/ctrl/live_network_test.cc.)
TEST(FragmentSplit, BalancedSplitKeepsCountAndEvensSizes) {
  for (std::size_t mtu : {100u, 576u, 1400u, 1432u, 1500u, 9000u}) {
    const std::size_t max = max_sendable_length(mtu);
    for (std::size_t len = 28; len <= max; len += (mtu < 200 ? 1 : 13)) {
      const std::size_t even = balanced_split_mtu(len, mtu);
      ASSERT_LE(even, mtu);
      if (len <= mtu) {
        EXPECT_EQ(even, mtu);
        continue;
      }
      bytes p = fake_packet(len, even, static_cast<std::uint32_t>(len * 7 + mtu));
      bytes scratch(split_scratch_length(len, even));
      auto split = split_packet(p, even, scratch);
      ASSERT_TRUE(split.ok()) << "mtu " << mtu << " len " << len << ": " << split.message();
      ASSERT_EQ(split->count, fragment_count(len, mtu)) << "mtu " << mtu << " len " << len;
      for (std::size_t i = 0; i + 1 < split->count; ++i) EXPECT_EQ(split->datagrams[i].size(), even);
      const std::size_t last = split->datagrams[split->count - 1].size();
      EXPECT_LE(last, even);
      EXPECT_GE(last + split->count - 1, even) << "mtu " << mtu << " len " << len;
      ASSERT_EQ(concat_pieces(split->all()), p) << "mtu " << mtu << " len " << len;
    }
  }
  // A full 2800-byte frame in a FRAME packet (2838 bytes armored): two datagrams of 1427.
  EXPECT_EQ(balanced_split_mtu(2838, 1432), 1427u);
  EXPECT_EQ(fragment_count(2838, 1427), 2u);
}

}  // namespace
}  // namespace ztkit::wire
