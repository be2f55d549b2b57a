// Poly1305 against poly1305.json (ZeroTier Poly1305::compute, 1.14.1).
#include "engine/crypto/poly1305.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ztkit::crypto
