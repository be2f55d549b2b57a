// Poly1305 against poly1305.json (ZeroTier Poly1305::compute, 1.14.1), and every variant
// against libsodium over all lengths 0..300 and random lengths up to 10240.
#include "engine/crypto/poly1305.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sodium.h>

#include "tests/support/vectors.h"

namespace ztkit::crypto {
namespace {

TEST(Poly1305, MatchesZeroTierVectorsFullTagAndMac8) {
  ZTKIT_LOAD_VECTORS(v, "poly1305.json");
  ASSERT_GE(v["vectors"].size(), 10u);
  for (const auto& c : v["vectors"]) {
    const auto key = test::hex_bytes(c["key"]);
    const auto msg = test::hex_bytes(c["message"]);
    const auto tag16 = test::hex_bytes(c["tag_16"]);
    const auto mac8 = test::hex_bytes(c["zerotier_mac_8"]);
    ASSERT_EQ(key.size(), 32u);
    ASSERT_EQ(msg.size(), c["length"].get<std::size_t>());
    std::uint8_t tag[16];
    poly1305(tag, msg.data(), msg.size(), key.data());
    EXPECT_EQ(std::vector<std::uint8_t>(tag, tag + 16), tag16) << "length " << msg.size();
    std::uint8_t mac[8];
    poly1305_mac8(mac, msg.data(), msg.size(), key.data());
    EXPECT_EQ(std::vector<std::uint8_t>(mac, mac + 8), mac8) << "length " << msg.size();
    EXPECT_TRUE(poly1305_verify_mac8(mac8.data(), msg.data(), msg.size(), key.data()));
  }
}

TEST(Poly1305, VerifyRejectsAnySingleBitFlipInMac) {
  ZTKIT_LOAD_VECTORS(v, "poly1305.json");
  const auto& c = v["vectors"][5];
  const auto key = test::hex_bytes(c["key"]);
  const auto msg = test::hex_bytes(c["message"]);
  auto mac8 = test::hex_bytes(c["zerotier_mac_8"]);
  for (int bit = 0; bit < 64; ++bit) {
    mac8[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(poly1305_verify_mac8(mac8.data(), msg.data(), msg.size(), key.data()))
        << "bit " << bit;
    mac8[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  }
}

// Every variant against libsodium and the vectors; unsupported ones are skipped.
constexpr poly1305_variant all_poly1305_variants[] = {poly1305_variant::libsodium,
                                                      poly1305_variant::ifma};

class Poly1305Variant : public ::testing::TestWithParam<poly1305_variant> {
 protected:
  void SetUp() override {
    if (!poly1305_variant_supported(GetParam())) {
      GTEST_SKIP() << "this CPU does not support the " << to_string(GetParam())
                   << " Poly1305 variant";
    }
  }
};

TEST_P(Poly1305Variant, MatchesZeroTierVectors) {
  ZTKIT_LOAD_VECTORS(v, "poly1305.json");
  ASSERT_GE(v["vectors"].size(), 10u);
  for (const auto& c : v["vectors"]) {
    const auto key = test::hex_bytes(c["key"]);
    const auto msg = test::hex_bytes(c["message"]);
    const auto tag16 = test::hex_bytes(c["tag_16"]);
    std::uint8_t tag[16];
    poly1305(GetParam(), tag, msg.data(), msg.size(), key.data());
    EXPECT_EQ(std::vector<std::uint8_t>(tag, tag + 16), tag16) << "length " << msg.size();
  }
}

void expect_same_as_libsodium(poly1305_variant v, const std::uint8_t* msg, std::size_t len,
                              const std::uint8_t key[32]) {
  std::uint8_t want[16], got[16];
  crypto_onetimeauth_poly1305(want, msg, len, key);
  poly1305(v, got, msg, len, key);
  ASSERT_EQ(std::memcmp(want, got, 16), 0) << "length " << len;
}

TEST_P(Poly1305Variant, AllLengthsUpTo300MatchLibsodium) {
  std::mt19937_64 rng(1305);
  std::vector<std::uint8_t> buf(301 + 64);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  std::uint8_t key[32];
  for (std::size_t len = 0; len <= 300; ++len) {
    for (auto& b : key) b = static_cast<std::uint8_t>(rng());
    const std::size_t off = rng() % 64;  // unaligned starts too
    expect_same_as_libsodium(GetParam(), buf.data() + off, len, key);
  }
}

TEST_P(Poly1305Variant, RandomLengthsUpTo10240MatchLibsodium) {
  std::mt19937_64 rng(0x5eed);
  std::vector<std::uint8_t> buf(10240 + 64);
  std::uint8_t key[32];
  for (int i = 0; i < 2500; ++i) {
    for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
    for (auto& b : key) b = static_cast<std::uint8_t>(rng());
    const std::size_t len = rng() % 10241;
    const std::size_t off = rng() % 64;
    expect_same_as_libsodium(GetParam(), buf.data() + off, len, key);
  }
}

TEST_P(Poly1305Variant, ExtremeInputsMatchLibsodium) {
  // All-ones messages and keys push the accumulator limbs to their bounds; all-zero r and
  // values near p exercise the final reduction.
  std::vector<std::uint8_t> ones(4096, 0xff), zeros(4096, 0);
  std::uint8_t key[32];
  for (const std::uint8_t kb : {0x00, 0xff}) {
    std::memset(key, kb, sizeof key);
    for (const std::size_t len : {0u, 15u, 16u, 17u, 128u, 255u, 256u, 257u, 1400u, 4096u}) {
      expect_same_as_libsodium(GetParam(), ones.data(), len, key);
      expect_same_as_libsodium(GetParam(), zeros.data(), len, key);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, Poly1305Variant,
                         ::testing::ValuesIn(all_poly1305_variants),
                         [](const ::testing::TestParamInfo<poly1305_variant>& info) {
                           return std::string(to_string(info.param));
                         });

TEST(Poly1305Dispatch, ActiveVariantIsSupportedAndNamesRoundTrip) {
  EXPECT_TRUE(poly1305_variant_supported(active_poly1305_variant()));
  EXPECT_TRUE(poly1305_variant_supported(poly1305_variant::libsodium));
  for (const poly1305_variant v : all_poly1305_variants) {
    EXPECT_EQ(parse_poly1305_variant(to_string(v)), v);
  }
  EXPECT_EQ(parse_poly1305_variant(""), std::nullopt);
  EXPECT_EQ(parse_poly1305_variant("IFMA"), std::nullopt);
}

}  // namespace
}  // namespace ztkit::crypto
