// Salsa20/12 and Salsa20/20: every variant against the ZeroTierOne vectors
// (shared/vectors/salsa2012.json) and against libsodium on random lengths, keys, nonces,
// counters and buffer alignments; plus the variant selection rule with plain values.
#include "engine/crypto/salsa20.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sodium.h>

#include "engine/base/cpu_features.h"
#include "tests/support/vectors.h"

namespace ztkit::crypto {
namespace {

using bytes = std::vector<std::uint8_t>;
using test::hex_bytes;

constexpr salsa_variant all_variants[] = {salsa_variant::portable, salsa_variant::sse2,
                                          salsa_variant::avx2, salsa_variant::avx512};

class SalsaVariant : public ::testing::TestWithParam<salsa_variant> {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    if (!salsa_variant_supported(GetParam())) {
      GTEST_SKIP() << "this CPU does not support the " << to_string(GetParam())
                   << " Salsa20 variant";
    }
  }

  bytes crypt(int rounds, const bytes& in, const bytes& key, const bytes& nonce,
              std::uint64_t counter = 0) const {
    bytes out(in.size());
    salsa_xor(GetParam(), rounds, out.data(), in.data(), in.size(), key.data(), nonce.data(),
              counter);
    return out;
  }
};

TEST_P(SalsaVariant, ZeroTierVectors) {
  ZTKIT_LOAD_VECTORS(v, "salsa2012.json");
  ASSERT_FALSE(v["vectors"].empty());
  for (const auto& t : v["vectors"]) {
    const bytes pt = hex_bytes(t["plaintext"]);
    ASSERT_EQ(pt.size(), t["length"].get<std::size_t>());
    EXPECT_EQ(crypt(12, pt, hex_bytes(t["key"]), hex_bytes(t["iv"])), hex_bytes(t["ciphertext"]))
        << "length " << pt.size();
  }
}

TEST_P(SalsaVariant, ZeroTierKeystream) {
  ZTKIT_LOAD_VECTORS(v, "salsa2012.json");
  ASSERT_FALSE(v["keystream"].empty());
  for (const auto& t : v["keystream"]) {
    const bytes zeros(t["length"].get<std::size_t>(), 0);
    EXPECT_EQ(crypt(12, zeros, hex_bytes(t["key"]), hex_bytes(t["iv"])),
              hex_bytes(t["keystream"]));
  }
}

// ZeroTier's crypt12() consumes whole 64-byte blocks per call: a 32-byte call discards the
// rest of block 0, so the next call starts at keystream offset 64, i.e. counter 1.
TEST_P(SalsaVariant, ZeroTierMultiCallStartsAtNextBlock) {
  ZTKIT_LOAD_VECTORS(v, "salsa2012.json");
  ASSERT_FALSE(v["multi_call"].empty());
  for (const auto& t : v["multi_call"]) {
    const bytes key = hex_bytes(t["key"]);
    const bytes iv = hex_bytes(t["iv"]);
    const bytes single = hex_bytes(t["single_call_256_bytes_keystream"]);
    EXPECT_EQ(crypt(12, bytes(256, 0), key, iv), single);
    EXPECT_EQ(crypt(12, bytes(32, 0), key, iv, 0), hex_bytes(t["first_call_32_bytes_of_zeros"]));
    const bytes second = hex_bytes(t["second_call_100_bytes_of_zeros"]);
    EXPECT_EQ(crypt(12, bytes(100, 0), key, iv, 1), second);
    ASSERT_TRUE(t["second_call_starts_at_keystream_offset_64"].get<bool>());
    EXPECT_EQ(second, bytes(single.begin() + 64, single.begin() + 164));
  }
}

TEST_P(SalsaVariant, ZeroTierSalsa20Rounds20) {
  ZTKIT_LOAD_VECTORS(v, "salsa2012.json");
  ASSERT_FALSE(v["salsa20_20"].empty());
  for (const auto& t : v["salsa20_20"]) {
    const bytes pt = hex_bytes(t["plaintext"]);
    EXPECT_EQ(crypt(20, pt, hex_bytes(t["key"]), hex_bytes(t["iv"])), hex_bytes(t["ciphertext"]))
        << "length " << pt.size();
  }
}

// Random lengths 0..10240 cover every mix of 16/8/4/1-block passes and partial tails.
// Buffers sit at offsets 0..63 from a 64-byte boundary, and every third case runs in place.
TEST_P(SalsaVariant, MatchesLibsodiumSalsa2012) {
  std::mt19937_64 rng(0x5a15a2012);
  for (int i = 0; i < 400; ++i) {
    const std::size_t len = i < 64 ? static_cast<std::size_t>(i) : rng() % 10241;
    bytes key(32), nonce(8);
    for (auto& b : key) b = static_cast<std::uint8_t>(rng());
    for (auto& b : nonce) b = static_cast<std::uint8_t>(rng());
    const std::size_t in_off = rng() % 64, out_off = rng() % 64;
    bytes in_buf(len + 128), out_buf(len + 128, 0xee);
    for (auto& b : in_buf) b = static_cast<std::uint8_t>(rng());
    const std::uint8_t* msg = in_buf.data() + in_off;

    // One spare byte: libsodium's pointers are nonnull even for len 0.
    bytes expected(len + 1);
    crypto_stream_salsa2012_xor(expected.data(), msg, len, nonce.data(), key.data());
    expected.resize(len);

    const bool in_place = i % 3 == 0;
    if (in_place) {
      std::uint8_t* p = in_buf.data() + in_off;
      salsa_xor(GetParam(), 12, p, p, len, key.data(), nonce.data());
      ASSERT_TRUE(std::equal(expected.begin(), expected.end(), p))
          << "in place, len " << len << " offset " << in_off;
    } else {
      std::uint8_t* out = out_buf.data() + out_off;
      salsa_xor(GetParam(), 12, out, msg, len, key.data(), nonce.data());
      ASSERT_TRUE(std::equal(expected.begin(), expected.end(), out))
          << "len " << len << " in offset " << in_off << " out offset " << out_off;
      // Nothing written outside [out, out + len).
      for (std::size_t j = 0; j < out_off; ++j) ASSERT_EQ(out_buf[j], 0xee);
      for (std::size_t j = out_off + len; j < out_buf.size(); ++j) ASSERT_EQ(out_buf[j], 0xee);
    }
  }
}

// Counters near 2^32 - 1 check that a batch straddling the boundary carries into word 9
// lane by lane; near 2^64 - 1 that the whole counter wraps as libsodium's does.
TEST_P(SalsaVariant, MatchesLibsodiumSalsa20WithCounter) {
  std::mt19937_64 rng(0x5a15a20);
  for (int i = 0; i < 300; ++i) {
    const std::size_t len = rng() % 4097;
    std::uint64_t counter = 0;
    switch (i % 4) {
      case 0: counter = rng(); break;
      case 1: counter = 0xffffffffull - rng() % 40; break;
      case 2: counter = (rng() % 0xffffffffull) << 32 | (0xffffffffull - rng() % 20); break;
      case 3: counter = rng() % 100; break;
    }
    // One spare byte: libsodium's pointers are nonnull even for len 0.
    bytes key(32), nonce(8), msg(len + 1);
    for (auto& b : key) b = static_cast<std::uint8_t>(rng());
    for (auto& b : nonce) b = static_cast<std::uint8_t>(rng());
    for (auto& b : msg) b = static_cast<std::uint8_t>(rng());

    bytes expected(len + 1);
    crypto_stream_salsa20_xor_ic(expected.data(), msg.data(), len, nonce.data(), counter,
                                 key.data());
    msg.resize(len);
    expected.resize(len);
    ASSERT_EQ(crypt(20, msg, key, nonce, counter), expected)
        << "len " << len << " counter " << std::hex << counter;
  }
}

TEST_P(SalsaVariant, Salsa2012CounterCarriesLikeTwentyRounds) {
  // libsodium has no salsa2012 _ic: compare a counter-started call against the matching
  // slice of one long call that starts 20 blocks below 2^32 (same code, different batching).
  bytes key(32, 0x42), nonce(8, 0x17);
  const std::uint64_t start = 0xffffffffull - 20;
  const bytes zeros(64 * 40, 0);
  const bytes whole = crypt(12, zeros, key, nonce, start);
  for (std::size_t skip : {1u, 5u, 17u, 20u, 21u, 33u}) {
    const bytes part(zeros.begin(), zeros.end() - 64 * skip);
    EXPECT_EQ(crypt(12, part, key, nonce, start + skip), bytes(whole.begin() + 64 * skip, whole.end()))
        << "skip " << skip;
  }
  // And the portable code agrees with the wide one across the carry.
  bytes ref(zeros.size());
  salsa_xor(salsa_variant::portable, 12, ref.data(), zeros.data(), zeros.size(), key.data(),
            nonce.data(), start);
  EXPECT_EQ(whole, ref);
}

INSTANTIATE_TEST_SUITE_P(AllVariants, SalsaVariant, ::testing::ValuesIn(all_variants),
                         [](const ::testing::TestParamInfo<salsa_variant>& info) {
                           return std::string(to_string(info.param));
                         });

TEST(SalsaActive, Salsa2012XorUsesActiveVariant) {
  ASSERT_GE(sodium_init(), 0);
  EXPECT_TRUE(salsa_variant_supported(active_salsa_variant()));
  bytes key(32, 1), nonce(8, 2), msg(1400, 3), out(1400), expected(1400);
  salsa2012_xor(out.data(), msg.data(), msg.size(), key.data(), nonce.data());
  crypto_stream_salsa2012_xor(expected.data(), msg.data(), msg.size(), nonce.data(), key.data());
  EXPECT_EQ(out, expected);
  salsa20_xor(out.data(), msg.data(), msg.size(), key.data(), nonce.data(), 7);
  crypto_stream_salsa20_xor_ic(expected.data(), msg.data(), msg.size(), nonce.data(), 7,
                               key.data());
  EXPECT_EQ(out, expected);
}

TEST(SalsaSelection, NamesRoundTrip) {
  for (const salsa_variant v : all_variants) {
    EXPECT_EQ(parse_salsa_variant(to_string(v)), v);
  }
  EXPECT_EQ(to_string(salsa_variant::portable), "portable");
  EXPECT_EQ(to_string(salsa_variant::sse2), "sse2");
  EXPECT_EQ(to_string(salsa_variant::avx2), "avx2");
  EXPECT_EQ(to_string(salsa_variant::avx512), "avx512");
  EXPECT_EQ(parse_salsa_variant(""), std::nullopt);
  EXPECT_EQ(parse_salsa_variant("AVX2"), std::nullopt);  // names are exact, lower case
  EXPECT_EQ(parse_salsa_variant("avx512 "), std::nullopt);
}

TEST(SalsaSelection, PortableAlwaysSupported) {
  EXPECT_TRUE(salsa_variant_supported(salsa_variant::portable));
  EXPECT_TRUE(salsa_variant_supported(best_salsa_variant()));
}

TEST(SalsaSelection, BestIsWidestSupported) {
  const salsa_variant best = best_salsa_variant();
  for (const salsa_variant v : all_variants) {
    if (static_cast<int>(v) > static_cast<int>(best)) {
      EXPECT_FALSE(salsa_variant_supported(v));
    }
  }
}

TEST(SalsaSelection, ForcedSupportedVariantWins) {
  for (const salsa_variant v : all_variants) {
    if (salsa_variant_supported(v)) {
      EXPECT_EQ(choose_salsa_variant(to_string(v)), v);
    }
  }
  EXPECT_EQ(choose_salsa_variant("portable"), salsa_variant::portable);
}

TEST(SalsaSelection, ForcedUnsupportedFallsBackToBest) {
  // This CPU's own answer: whatever is unsupported here falls back to the best.
  for (const salsa_variant v : all_variants) {
    if (!salsa_variant_supported(v)) {
      EXPECT_EQ(choose_salsa_variant(to_string(v)), best_salsa_variant());
    }
  }
}

TEST(SalsaSelection, GarbageAndEmptyFallBackToBest) {
  EXPECT_EQ(choose_salsa_variant(""), best_salsa_variant());
  EXPECT_EQ(choose_salsa_variant("garbage"), best_salsa_variant());
  EXPECT_EQ(choose_salsa_variant("avx1024"), best_salsa_variant());
  EXPECT_EQ(choose_salsa_variant(std::string_view("sse2\0x", 6)), best_salsa_variant());
}

// The same rule with plain feature sets, independent of the machine running the test.
#if defined(__x86_64__)
cpu_features avx2_only() {
  cpu_features f;
  f.sse2 = f.ssse3 = f.avx2 = true;
  return f;
}

TEST(SalsaSelectionPlain, BestFollowsFeatures) {
  cpu_features none;
  EXPECT_EQ(best_salsa_variant(none), salsa_variant::portable);
  cpu_features sse2;
  sse2.sse2 = true;
  EXPECT_EQ(best_salsa_variant(sse2), salsa_variant::sse2);
  EXPECT_EQ(best_salsa_variant(avx2_only()), salsa_variant::avx2);
  cpu_features all = avx2_only();
  all.avx512f = all.avx512bw = all.avx512vl = true;
  EXPECT_EQ(best_salsa_variant(all), salsa_variant::avx512);
  // AVX-512F alone is not enough: the variant needs BW and VL too.
  cpu_features f_only = avx2_only();
  f_only.avx512f = true;
  EXPECT_EQ(best_salsa_variant(f_only), salsa_variant::avx2);
}

TEST(SalsaSelectionPlain, ForcedValidWins) {
  EXPECT_EQ(choose_salsa_variant("sse2", avx2_only()), salsa_variant::sse2);
  EXPECT_EQ(choose_salsa_variant("portable", avx2_only()), salsa_variant::portable);
  EXPECT_EQ(choose_salsa_variant("avx2", avx2_only()), salsa_variant::avx2);
}

TEST(SalsaSelectionPlain, ForcedUnsupportedFallsBackToBest) {
  EXPECT_EQ(choose_salsa_variant("avx512", avx2_only()), salsa_variant::avx2);
  EXPECT_EQ(choose_salsa_variant("avx2", cpu_features{}), salsa_variant::portable);
}

TEST(SalsaSelectionPlain, GarbageAndEmptyFallBackToBest) {
  EXPECT_EQ(choose_salsa_variant("", avx2_only()), salsa_variant::avx2);
  EXPECT_EQ(choose_salsa_variant("fastest", avx2_only()), salsa_variant::avx2);
  EXPECT_EQ(choose_salsa_variant("", cpu_features{}), salsa_variant::portable);
}
#endif

TEST(SalsaSelectionDeathTest, BadRoundCountAborts) {
  bytes key(32), nonce(8), buf(64);
  EXPECT_DEATH(salsa_xor(salsa_variant::portable, 8, buf.data(), buf.data(), buf.size(),
                         key.data(), nonce.data()),
               "");
}

}  // namespace
}  // namespace ztkit::crypto
