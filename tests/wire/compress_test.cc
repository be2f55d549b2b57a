// LZ4 payload compression against lz4.json (ZeroTierOne 1.14.1 Packet::compress/uncompress)
// and the bounds a hostile sender could try to break.
#include "engine/wire/compress.h"

#include <gtest/gtest.h>

#include <lz4.h>

#include <random>
#include <string>
#include <vector>

#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes header_with_verb(std::uint8_t verb_byte) {
  bytes p(28, 0);
  for (int i = 0; i < 27; ++i) p[i] = static_cast<std::uint8_t>(i * 13 + 1);
  p[27] = verb_byte;
  return p;
}

TEST(Lz4, EveryVectorCase) {
  ZTKIT_LOAD_VECTORS(v, "lz4.json");
  ASSERT_GE(v["cases"].size(), 7u);
  for (const auto& c : v["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const bytes before = test::hex_bytes(c["packet_before"]);
    const bytes after = test::hex_bytes(c["packet_after_compress"]);
    ASSERT_EQ(before.size() - 28, c["payload_length"].get<std::size_t>());
    EXPECT_EQ(bytes(before.begin() + 28, before.end()), test::hex_bytes(c["payload"]));

    bytes pkt = before;
    const std::size_t n = compress(pkt);
    pkt.resize(n);
    const bool compressed = c["compressed"].get<bool>();
    EXPECT_EQ((pkt[27] & 0x80) != 0, compressed);
    if (!compressed) {
      EXPECT_EQ(pkt, before);
      EXPECT_EQ(after, before);
    } else {
      EXPECT_EQ(after.size() - 28, c["lz4_block_length"].get<std::size_t>());
      EXPECT_EQ(bytes(after.begin() + 28, after.end()), test::hex_bytes(c["lz4_block"]));
      if (c["debian_liblz4_compress_fast1_identical"].get<bool>()) EXPECT_EQ(pkt, after);
      else EXPECT_LT(pkt.size(), before.size());
    }

    // Decompression of 1.14's bytes must be exact.
    bytes rx = after;
    rx.resize(packet_max_length);
    const uncompressed u = uncompress(rx, after.size());
    ASSERT_TRUE(u.ok()) << to_string(u.result);
    rx.resize(u.size);
    EXPECT_EQ(rx, before);

    // And our own output round-trips.
    bytes ours = pkt;
    ours.resize(packet_max_length);
    const uncompressed u2 = uncompress(ours, pkt.size());
    ASSERT_TRUE(u2.ok());
    ours.resize(u2.size);
    EXPECT_EQ(ours, before);
  }
}

TEST(Lz4, ArmorVectorsCompressedRequestDecodes) {
  ZTKIT_LOAD_VECTORS(v, "armor.json");
  int found = 0;
  for (const auto& c : v["cases"]) {
    const std::string name = c["name"].get<std::string>();
    if (name.find("LZ4") == std::string::npos) continue;
    const std::string note = c["note"].get<std::string>();
    const std::string tag = "uncompressed form: ";
    const auto at = note.find(tag);
    if (at == std::string::npos) continue;  // the cipher 3 twin refers to the same packet
    ++found;
    std::string hex = note.substr(at + tag.size());
    hex = hex.substr(0, hex.find_first_not_of("0123456789abcdef"));
    const bytes expect = test::hex_bytes(hex);
    bytes pkt = test::hex_bytes(c["plaintext_packet"]);
    const std::size_t len = pkt.size();
    pkt.resize(packet_max_length);
    const uncompressed u = uncompress(pkt, len);
    ASSERT_TRUE(u.ok());
    pkt.resize(u.size);
    EXPECT_EQ(pkt, expect) << name;
    // Compressing the uncompressed form with Debian's liblz4 gives 1.14's bytes here too.
    bytes again = expect;
    again.resize(compress(again));
    EXPECT_EQ(again, test::hex_bytes(c["plaintext_packet"]));
  }
  EXPECT_EQ(found, 1);
}

TEST(Lz4, OnlyLongerThanSixtyFourBytesAndOnlyWhenSmaller) {
  for (std::size_t pl : {0, 1, 63, 64}) {
    bytes p = header_with_verb(0x14);
    p.resize(28 + pl, 'A');
    const bytes orig = p;
    EXPECT_EQ(compress(p), orig.size());
    EXPECT_EQ(p, orig);
  }
  bytes p = header_with_verb(0x14);
  p.resize(28 + 65, 'A');
  EXPECT_LT(compress(p), 28u + 65u);
  EXPECT_EQ(p[27], 0x94);

  std::mt19937_64 rng(3);
  bytes r = header_with_verb(0x14);
  for (int i = 0; i < 1000; ++i) r.push_back(static_cast<std::uint8_t>(rng()));
  const bytes ro = r;
  EXPECT_EQ(compress(r), ro.size());
  EXPECT_EQ(r, ro);
}

TEST(Lz4, AlreadyCompressedAndOutOfRangePacketsAreLeftAlone) {
  bytes p = header_with_verb(0x94);
  p.resize(28 + 200, 'B');
  const bytes orig = p;
  EXPECT_EQ(compress(p), orig.size());
  EXPECT_EQ(p, orig);
  bytes tiny(20, 0);
  EXPECT_EQ(compress(tiny), 20u);
  bytes huge(packet_max_length + 1, 0);
  EXPECT_EQ(compress(huge), huge.size());
}

TEST(Lz4, RandomRoundTrips) {
  std::mt19937_64 rng(4);
  for (int i = 0; i < 300; ++i) {
    const std::size_t pl = rng() % (packet_max_length - 28 + 1);
    bytes p = header_with_verb(static_cast<std::uint8_t>(rng() % 0x17));
    // Mixed compressibility: runs of a few symbols, sometimes random.
    const int alphabet = 1 + static_cast<int>(rng() % 255);
    for (std::size_t j = 0; j < pl; ++j) p.push_back(static_cast<std::uint8_t>(rng() % alphabet));
    const bytes orig = p;
    const std::size_t n = compress(p);
    ASSERT_LE(n, orig.size());
    p.resize(packet_max_length);
    const uncompressed u = uncompress(p, n);
    ASSERT_TRUE(u.ok()) << pl;
    p.resize(u.size);
    EXPECT_EQ(p, orig);
  }
}

TEST(Lz4, UncompressedPacketsPassThrough) {
  bytes p = header_with_verb(0x06);
  p.resize(100, 7);
  const bytes orig = p;
  const uncompressed u = uncompress(p, p.size());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.size, orig.size());
  EXPECT_EQ(p, orig);
}

TEST(Lz4, CompressedFlagWithEmptyPayloadJustClearsTheFlag) {
  bytes p = header_with_verb(0x94);
  const uncompressed u = uncompress(p, p.size());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.size, 28u);
  EXPECT_EQ(p[27], 0x14);
}

TEST(Lz4, CorruptAndShortInputsAreErrors) {
  bytes short_pkt(27, 0);
  EXPECT_EQ(uncompress(short_pkt, 27).result, uncompress_result::too_short);
  bytes p = header_with_verb(0x94);
  p.insert(p.end(), {0xff, 0xff, 0xff, 0xff});  // literal run longer than the input
  const bytes orig = p;
  p.resize(1000);
  EXPECT_EQ(uncompress(p, orig.size()).result, uncompress_result::corrupt);
  EXPECT_EQ(bytes(p.begin(), p.begin() + orig.size()), orig);  // untouched on error
  EXPECT_EQ(uncompress(p, 1001).result, uncompress_result::corrupt);  // length past buffer
  // A block that decodes to zero bytes is refused, as 1.14 requires ucl > 0.
  bytes z = header_with_verb(0x94);
  z.push_back(0x00);
  EXPECT_EQ(uncompress(z, z.size()).result, uncompress_result::corrupt);
}

// A compressed payload that expands past the protocol maximum ("LZ4 bomb") is refused.
TEST(Lz4, DecompressionIsBoundedByTheMaximumPacketLength) {
  for (std::size_t plain : {packet_max_length - 28, packet_max_length - 27, 20000ul, 60000ul}) {
    std::vector<char> src(plain, 0);
    std::vector<char> block(LZ4_compressBound(static_cast<int>(plain)));
    const int cl = LZ4_compress_default(src.data(), block.data(), static_cast<int>(plain),
                                        static_cast<int>(block.size()));
    ASSERT_GT(cl, 0);
    bytes p = header_with_verb(0x94);
    p.insert(p.end(), block.begin(), block.begin() + cl);
    const std::size_t len = p.size();
    p.resize(packet_max_length + 5000);  // a bigger buffer does not lift the protocol bound
    const uncompressed u = uncompress(p, len);
    if (plain + 28 <= packet_max_length) {
      ASSERT_TRUE(u.ok());
      EXPECT_EQ(u.size, plain + 28);
    } else {
      EXPECT_FALSE(u.ok()) << plain;
    }
  }
  // And by the caller's buffer.
  std::vector<char> src(2000, 0);
  std::vector<char> block(LZ4_compressBound(2000));
  const int cl = LZ4_compress_default(src.data(), block.data(), 2000, static_cast<int>(block.size()));
  bytes p = header_with_verb(0x94);
  p.insert(p.end(), block.begin(), block.begin() + cl);
  const std::size_t len = p.size();
  p.resize(1500);
  EXPECT_EQ(uncompress(p, len).result, uncompress_result::too_large);
  p.resize(2028);
  EXPECT_TRUE(uncompress(p, len).ok());
}

}  // namespace
}  // namespace ztkit::wire
