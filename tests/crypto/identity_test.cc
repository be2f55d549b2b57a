// ZeroTier identities against identities.json (made by ZeroTierOne 1.14.1 Identity::generate).
#include "engine/crypto/identity.h"

#include <gtest/gtest.h>

#include "engine/base/hex.h"
#include "engine/crypto/identity_hash.h"
#include "tests/support/vectors.h"

namespace ztkit::crypto {
namespace {

TEST(IdentityHash, MemoryHardDigestMatchesZeroTier) {
  ZTKIT_LOAD_VECTORS(v, "identities.json");
  ASSERT_GE(v["identities"].size(), 5u);
  for (const auto& e : v["identities"]) {
    const auto pub = test::hex_bytes(e["public_key"]);
    ASSERT_EQ(pub.size(), 64u);
    const auto digest = identity_memory_hard_hash(pub.data());
    EXPECT_EQ(to_hex(digest), e["memory_hard_digest"].get<std::string>());
    EXPECT_EQ(digest[0], e["digest_first_byte"].get<int>());
  }
}

TEST(Identity, ParsesTextFormsAndRoundTripsThem) {
  ZTKIT_LOAD_VECTORS(v, "identities.json");
  for (const auto& e : v["identities"]) {
    auto secret = identity::from_string(e["secret"].get<std::string>());
    ASSERT_TRUE(secret.ok()) << secret.message();
    EXPECT_TRUE(secret->has_private());
    EXPECT_EQ(secret->address().to_string(), e["address"].get<std::string>());
    EXPECT_EQ(to_hex(secret->public_key().bytes), e["public_key"].get<std::string>());
    EXPECT_EQ(secret->to_string(true), e["secret"].get<std::string>());
    EXPECT_EQ(secret->to_string(false), e["public"].get<std::string>());

    auto pub = identity::from_string(e["public"].get<std::string>());
    ASSERT_TRUE(pub.ok()) << pub.message();
    EXPECT_FALSE(pub->has_private());
    EXPECT_EQ(*pub, *secret);
    // Files written by editors end with a newline.
    EXPECT_TRUE(identity::from_string(e["public"].get<std::string>() + "\n").ok());
  }
}

TEST(Identity, GeneratedByZeroTierValidateLocally) {
  ZTKIT_LOAD_VECTORS(v, "identities.json");
  for (const auto& e : v["identities"]) {
    ASSERT_TRUE(e["locallyValidate"].get<bool>());
    auto id = identity::from_string(e["secret"].get<std::string>());
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(id->validate().ok()) << id->validate();
  }
}

TEST(Identity, BinaryFormIsByteExactBothWays) {
  ZTKIT_LOAD_VECTORS(v, "identities.json");
  for (const auto& e : v["identities"]) {
    const identity id = identity::from_string(e["secret"].get<std::string>()).value();
    std::vector<std::uint8_t> pub_bin, secret_bin;
    id.serialize(pub_bin, false);
    id.serialize(secret_bin, true);
    EXPECT_EQ(pub_bin, test::hex_bytes(e["serialized_public"]));
    EXPECT_EQ(secret_bin, test::hex_bytes(e["serialized_with_private"]));

    std::size_t used = 0;
    auto back = identity::deserialize(secret_bin, &used);
    ASSERT_TRUE(back.ok()) << back.message();
    EXPECT_EQ(used, identity::secret_binary_bytes);
    EXPECT_TRUE(back->has_private());
    EXPECT_EQ(back->to_string(true), e["secret"].get<std::string>());

    // Trailing bytes (the rest of a HELLO) are left for the caller.
    pub_bin.push_back(0x42);
    back = identity::deserialize(pub_bin, &used);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(used, identity::public_binary_bytes);
    EXPECT_FALSE(back->has_private());
  }
}

TEST(Identity, EveryInvalidVectorIsRejectedWithItsReason) {
  ZTKIT_LOAD_VECTORS(v, "identities.json");
  ASSERT_GE(v["invalid"].size(), 9u);
  for (const auto& e : v["invalid"]) {
    const std::string text = e["string"].get<std::string>();
    const std::string why = e["reason"].get<std::string>();
    auto id = identity::from_string(text);
    EXPECT_EQ(id.ok(), e["fromString_ok"].get<bool>()) << why;
    status st = id.ok() ? id->validate() : id.status();
    EXPECT_FALSE(st.ok()) << why;
    EXPECT_FALSE(st.message().empty()) << why;
    // The message must never carry private key digits.
    if (text.size() > 150) {
      EXPECT_EQ(st.message().find(text.substr(141, 20)), std::string::npos);
    }
  }
}

TEST(Identity, RejectionMessagesNameTheProblem) {
  const std::string good_pub =
      "3d55811c5e:0:b95bb3092d4b924905929d663defa0ccbe017e7e8c0587c8bddce9669693cd61b2427ffb"
      "892287578c3e8c4b6a79808d71ea0fb13dd90e943014bf2473bedf20";
  auto msg = [](std::string_view s) {
    auto r = identity::from_string(s);
    return r.ok() ? r->validate().message() : r.message();
  };
  EXPECT_NE(msg("3d55811c5e:1" + good_pub.substr(12)).find("type"), std::string::npos);
  EXPECT_NE(msg("ff" + good_pub.substr(2)).find("reserved"), std::string::npos);
  EXPECT_NE(msg("0000000000" + good_pub.substr(10)).find("reserved"), std::string::npos);
  EXPECT_NE(msg(good_pub.substr(0, good_pub.size() - 2)).find("public key"), std::string::npos);
  EXPECT_NE(msg("3d55811c5e:0").find("fields"), std::string::npos);
  EXPECT_NE(msg("").find("fields"), std::string::npos);
  EXPECT_NE(msg("3d55811c5g" + good_pub.substr(10)).find("address"), std::string::npos);
  EXPECT_NE(msg("3d55811c50" + good_pub.substr(10)).find("does not match"), std::string::npos);
  EXPECT_NE(msg(good_pub + ":" + std::string(128, 'x')).find("private key"), std::string::npos);
}

TEST(Identity, SecretWithForeignPrivateKeyFailsValidation) {
  ZTKIT_LOAD_VECTORS(v, "identities.json");
  const std::string a = v["identities"][0]["public"].get<std::string>();
  const std::string b_priv = v["identities"][1]["private_key"].get<std::string>();
  auto mixed = identity::from_string(a + ":" + b_priv);
  ASSERT_TRUE(mixed.ok());
  const auto st = mixed->validate();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("private key does not match"), std::string::npos);
}

TEST(Identity, TruncatedOrMalformedBinaryIsAnErrorAtEveryLength) {
  ZTKIT_LOAD_VECTORS(v, "identities.json");
  const auto full = test::hex_bytes(v["identities"][0]["serialized_with_private"]);
  for (std::size_t n = 0; n < full.size(); ++n) {
    // Shorter than the public part, or cut inside the private key that byte 70 announces.
    EXPECT_FALSE(identity::deserialize(std::span(full).first(n)).ok()) << "length " << n;
  }
  auto bad_type = full;
  bad_type[5] = 1;
  EXPECT_FALSE(identity::deserialize(bad_type).ok());
  auto bad_len = full;
  bad_len[70] = 32;
  EXPECT_FALSE(identity::deserialize(bad_len).ok());
  auto reserved = full;
  reserved[0] = 0xff;
  EXPECT_FALSE(identity::deserialize(reserved).ok());
}

TEST(Identity, GenerateMakesAValidIdentityThatSignsAndAgrees) {
  const identity a = identity::generate();
  ASSERT_TRUE(a.has_private());
  EXPECT_TRUE(a.validate().ok()) << a.validate();
  EXPECT_FALSE(a.address().reserved());
  const auto round = identity::from_string(a.to_string(true));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->to_string(true), a.to_string(true));

  const std::uint8_t msg[] = {1, 2, 3, 4};
  const auto sig = a.sign(msg);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(identity::from_string(a.to_string(false))->verify(msg, *sig));

  const identity b = identity::generate();
  agreed_key ab, ba;
  ASSERT_TRUE(a.agree(b, ab).ok());
  ASSERT_TRUE(b.agree(a, ba).ok());
  EXPECT_EQ(ab.bytes, ba.bytes);
}

}  // namespace
}  // namespace ztkit::crypto
