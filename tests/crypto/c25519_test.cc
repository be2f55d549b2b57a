// C25519 agreement and signatures against agree.json and sign.json (ZeroTierOne 1.14.1).
#include "engine/crypto/c25519.h"

#include <gtest/gtest.h>

#include "engine/crypto/identity.h"
#include "engine/crypto/sha512.h"
#include "tests/support/vectors.h"

namespace ztkit::crypto {
namespace {

identity parse(const nlohmann::json& field) {
  auto id = identity::from_string(field.get<std::string>());
  EXPECT_TRUE(id.ok()) << id.message();
  return id.ok() ? *id : identity{};
}

const nlohmann::json* find_identity(const nlohmann::json& ids, const std::string& address) {
  for (const auto& e : ids["identities"]) {
    if (e["address"] == address) return &e;
  }
  return nullptr;
}

std::vector<std::uint8_t> bytes_of(const agreed_key& k) {
  return {k.bytes.begin(), k.bytes.end()};
}

TEST(C25519Agree, SymmetricKeyMatchesVectorsFromBothSides) {
  ZTKIT_LOAD_VECTORS(v, "agree.json");
  ZTKIT_LOAD_VECTORS(ids, "identities.json");
  ASSERT_GE(v["pairs"].size(), 3u);
  for (const auto& p : v["pairs"]) {
    const identity a = parse(p["identity_a_secret"]);
    const identity b_public = parse(p["identity_b_public"]);
    agreed_key k;
    ASSERT_TRUE(a.agree(b_public, k).ok());
    EXPECT_EQ(bytes_of(k), test::hex_bytes(p["symmetric_key_48"]));
    // The other direction, with b's secret from identities.json (agree.json lists only a's).
    const auto* b_secret = find_identity(ids, p["address_b"].get<std::string>());
    ASSERT_NE(b_secret, nullptr) << "identities.json lacks " << p["address_b"];
    const identity b = parse((*b_secret)["secret"]);
    const identity a_public = identity::from_string(a.to_string(false)).value();
    agreed_key k2;
    ASSERT_TRUE(b.agree(a_public, k2).ok());
    EXPECT_EQ(bytes_of(k2), bytes_of(k));
  }
}

TEST(C25519Agree, RefusesLowOrderPeerKeyAndMissingPrivateKey) {
  const c25519_pair mine = c25519_generate();
  c25519_public zero_point;  // all zeros: X25519 result is all zeros
  agreed_key k;
  EXPECT_FALSE(c25519_agree(mine.priv, zero_point, k));

  ZTKIT_LOAD_VECTORS(v, "agree.json");
  const identity b_public = parse(v["pairs"][0]["identity_b_public"]);
  EXPECT_EQ(b_public.agree(b_public, k).code(), errc::failed_precondition);
}

TEST(C25519Sign, SignaturesAreByteExactAndVerify) {
  ZTKIT_LOAD_VECTORS(v, "sign.json");
  ASSERT_GE(v["signatures"].size(), 3u);
  for (const auto& s : v["signatures"]) {
    const identity signer = parse(s["signer_secret"]);
    const auto msg = test::hex_bytes(s["message"]);
    ASSERT_EQ(msg.size(), s["message_length"].get<std::size_t>());
    const auto digest = sha512(msg);
    EXPECT_EQ(std::vector<std::uint8_t>(digest.begin(), digest.end()),
              test::hex_bytes(s["sha512_of_message"]));
    auto sig = signer.sign(msg);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(std::vector<std::uint8_t>(sig->begin(), sig->end()),
              test::hex_bytes(s["signature_96"]))
        << "message length " << msg.size();
    const identity verifier = parse(s["signer_public"]);
    EXPECT_TRUE(verifier.verify(msg, test::hex_bytes(s["signature_96"])));
  }
}

TEST(C25519Sign, EveryTamperedCaseFails) {
  ZTKIT_LOAD_VECTORS(v, "sign.json");
  ASSERT_GE(v["tampered"].size(), 5u);
  for (const auto& t : v["tampered"]) {
    ASSERT_FALSE(t["verifies"].get<bool>());
    const identity verifier = parse(t["verifier_public"]);
    EXPECT_FALSE(verifier.verify(test::hex_bytes(t["message"]),
                                 test::hex_bytes(t["signature_96"])))
        << t["case"].get<std::string>();
  }
}

TEST(C25519Sign, WrongLengthSignaturesAreRejectedNotRead) {
  ZTKIT_LOAD_VECTORS(v, "sign.json");
  const auto& s = v["signatures"][1];
  const identity verifier = parse(s["signer_public"]);
  const auto msg = test::hex_bytes(s["message"]);
  auto sig = test::hex_bytes(s["signature_96"]);
  EXPECT_FALSE(verifier.verify(msg, std::span(sig).first(95)));
  EXPECT_FALSE(verifier.verify(msg, std::span(sig).first(64)));
  EXPECT_FALSE(verifier.verify(msg, {}));
  sig.push_back(0);
  EXPECT_FALSE(verifier.verify(msg, sig));
}

TEST(C25519Sign, SignWithoutPrivateKeyIsAnError) {
  ZTKIT_LOAD_VECTORS(v, "sign.json");
  const identity pub = parse(v["signatures"][0]["signer_public"]);
  const std::uint8_t msg[3] = {1, 2, 3};
  EXPECT_EQ(pub.sign(msg).code(), errc::failed_precondition);
}

TEST(C25519, FreshPairSignsAndVerifiesAndDerivesItsPublicKey) {
  const c25519_pair pair = c25519_generate();
  EXPECT_EQ(c25519_public_from_private(pair.priv), pair.pub);
  const std::uint8_t msg[] = {'z', 't', 'k', 'i', 't'};
  const auto sig = c25519_sign(pair, msg);
  EXPECT_TRUE(c25519_verify(pair.pub, msg, sig));
  auto other = c25519_generate();
  EXPECT_FALSE(c25519_verify(other.pub, msg, sig));
}

}  // namespace
}  // namespace ztkit::crypto
