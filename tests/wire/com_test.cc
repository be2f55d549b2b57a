// CertificateOfMembership against netconf.json (`parsed.com`, `com_agreement`), plus the
// credentials carried in the same config (Tag, Capability, COO) and Revocation round trips.
#include "engine/wire/com.h"

#include <gtest/gtest.h>

#include "engine/base/hex.h"
#include "engine/wire/credentials.h"
#include "engine/wire/dictionary.h"
#include "tests/support/vectors.h"

namespace {

using namespace ztkit::wire;
using ztkit::crypto::identity;
using ztkit::test::hex_bytes;

identity id_from(const nlohmann::json& j) {
  auto id = identity::from_string(j.get<std::string>());
  EXPECT_TRUE(id.ok()) << id.message();
  return id.ok() ? *id : identity{};
}

TEST(Com, ParsedVectorByteExactAndVerifies) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto& pc = v["parsed"]["com"];
  const auto bytes = hex_bytes(pc["serialized"]);
  auto com = certificate_of_membership::parse(bytes);
  ASSERT_TRUE(com.ok()) << com.message();
  EXPECT_EQ(com->qualifiers.size(), 7u);
  EXPECT_EQ(com->timestamp(), pc["timestamp"].get<std::int64_t>());
  EXPECT_EQ(ztkit::to_hex(std::vector<std::uint8_t>{}), "");
  EXPECT_EQ(com->network_id(), std::stoull(pc["networkId"].get<std::string>(), nullptr, 16));
  EXPECT_EQ(com->issued_to().to_string(), pc["issuedTo"].get<std::string>());
  EXPECT_EQ(com->signed_by.to_string(), pc["signedBy"].get<std::string>());
  EXPECT_EQ(com->to_bytes(), bytes);
  EXPECT_EQ(com->buffer_len(), bytes.size());

  const identity controller = id_from(v["controller_secret"]);
  const identity member = id_from(v["member_secret"]);
  EXPECT_EQ(com->verify(controller), pc["signature_verifies_with_controller_key"].get<bool>());
  EXPECT_FALSE(com->verify(member));  // wrong signer

  // What issue() + sign() build equals the controller's COM (signatures are deterministic).
  auto mine = certificate_of_membership::issue(com->timestamp(), 1800000, com->network_id(), member);
  ASSERT_TRUE(mine.sign(controller).ok());
  EXPECT_EQ(mine, *com);
}

TEST(Com, TamperedFailsVerification) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto bytes = hex_bytes(v["parsed"]["com"]["serialized"]);
  const identity controller = id_from(v["controller_secret"]);
  for (std::size_t i = 3; i < bytes.size(); ++i) {
    auto t = bytes;
    t[i] ^= 0x01;
    auto com = certificate_of_membership::parse(t);
    if (!com.ok()) continue;  // e.g. qualifier order broken
    EXPECT_FALSE(com->verify(controller)) << "flipped byte " << i;
  }
}

TEST(Com, TruncationAtEveryLength) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto bytes = hex_bytes(v["parsed"]["com"]["serialized"]);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    reader r(std::span<const std::uint8_t>(bytes.data(), n));
    auto com = certificate_of_membership::parse(r);
    EXPECT_FALSE(com.ok()) << n;
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(com.message().empty());
  }
  auto extra = bytes;
  extra.push_back(0);
  EXPECT_FALSE(certificate_of_membership::parse(extra).ok());
}

TEST(Com, Negative) {
  // Wrong type byte, too many qualifiers, unsorted qualifiers.
  std::vector<std::uint8_t> b = {0x02, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(certificate_of_membership::parse(b).ok());
  std::vector<std::uint8_t> nine = {0x01, 0x00, 0x09};
  nine.resize(3 + 9 * 24 + 5);
  EXPECT_FALSE(certificate_of_membership::parse(nine).ok());
  certificate_of_membership c;
  c.qualifiers = {{1, 0, 0}, {0, 0, 0}};
  EXPECT_FALSE(certificate_of_membership::parse(c.to_bytes()).ok());
  c.qualifiers = {{0, 0, 0}, {0, 5, 0}};  // equal ids are accepted, as 1.14
  auto ok = certificate_of_membership::parse(c.to_bytes());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, c);
  // Unsigned COM: no signature bytes.
  EXPECT_EQ(c.buffer_len(), 3u + 48 + 5);
}

TEST(Com, AgreementVectors) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  ASSERT_GE(v["com_agreement"].size(), 5u);
  for (const auto& c : v["com_agreement"]) {
    SCOPED_TRACE(c["case"].get<std::string>());
    auto mine = certificate_of_membership::parse(hex_bytes(c["my_com"]));
    auto theirs = certificate_of_membership::parse(hex_bytes(c["their_com"]));
    ASSERT_TRUE(mine.ok() && theirs.ok());
    const identity their_id = id_from(c["their_identity_public"]);
    EXPECT_EQ(theirs->verify(controller), c["their_signature_ok"].get<bool>());
    EXPECT_EQ(agrees_with(*mine, *theirs, their_id), c["agreesWith"].get<bool>());
    EXPECT_EQ(mine->agrees_with(*theirs, their_id), c["expected"].get<bool>());
  }
}

TEST(Com, EmptyNeverAgrees) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity member = id_from(v["member_secret"]);
  auto com = certificate_of_membership::issue(1000, 10, 0x1234, member);
  certificate_of_membership empty;
  EXPECT_TRUE(agrees_with(com, com, member));
  EXPECT_FALSE(agrees_with(empty, com, member));
  EXPECT_FALSE(agrees_with(com, empty, member));
  // Without qualifiers 3..6 in mine, the identity hash is not checked.
  certificate_of_membership small;
  small.qualifiers = {com.qualifiers[0], com.qualifiers[1]};
  const identity controller = id_from(v["controller_secret"]);
  EXPECT_TRUE(agrees_with(small, com, controller));
}

// ---- credentials in the netconf vector ----

nlohmann::json netconf_value(const nlohmann::json& v, const std::string& key) {
  for (const auto& e : v["dictionary_values"])
    if (e["key"] == key) return e["decoded_value_hex"];
  return nullptr;
}

TEST(Credentials, TagVector) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto bytes = hex_bytes(netconf_value(v, "TAG"));
  const identity controller = id_from(v["controller_secret"]);
  reader r(bytes);
  auto t = tag_credential::parse(r);
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_TRUE(r.at_end());
  const auto& pt = v["parsed"]["tags"][0];
  EXPECT_EQ(t->id, pt["id"].get<std::uint32_t>());
  EXPECT_EQ(t->value, pt["value"].get<std::uint32_t>());
  EXPECT_EQ(t->issued_to.to_string(), pt["issuedTo"].get<std::string>());
  EXPECT_EQ(t->signed_by.to_string(), pt["signedBy"].get<std::string>());
  EXPECT_TRUE(t->verify(controller));
  std::vector<std::uint8_t> out(t->buffer_len());
  writer w(out);
  t->emit(w);
  EXPECT_EQ(out, bytes);
  auto resigned = *t;
  ASSERT_TRUE(resigned.sign(controller).ok());
  EXPECT_EQ(resigned, *t);
  auto bad = *t;
  bad.value ^= 1;
  EXPECT_FALSE(bad.verify(controller));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    reader rr(std::span<const std::uint8_t>(bytes.data(), n));
    EXPECT_FALSE(tag_credential::parse(rr).ok()) << n;
  }
}

TEST(Credentials, CapabilityVector) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto bytes = hex_bytes(netconf_value(v, "CAP"));
  const identity controller = id_from(v["controller_secret"]);
  reader r(bytes);
  auto c = capability_credential::parse(r);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_TRUE(r.at_end());
  const auto& pc = v["parsed"]["capabilities"][0];
  EXPECT_EQ(c->id, pc["id"].get<std::uint32_t>());
  EXPECT_EQ(c->timestamp, pc["timestamp"].get<std::int64_t>());
  EXPECT_EQ(c->rules.size(), pc["ruleCount"].get<std::size_t>());
  EXPECT_EQ(c->issued_to().to_string(), pc["issuedTo"].get<std::string>());
  EXPECT_TRUE(c->verify(controller));
  std::vector<std::uint8_t> out(c->buffer_len());
  writer w(out);
  c->emit(w);
  EXPECT_EQ(out, bytes);
  // Re-signing from scratch reproduces the custody entry.
  auto fresh = *c;
  fresh.chain.clear();
  ASSERT_TRUE(fresh.sign(controller, c->issued_to()).ok());
  EXPECT_EQ(fresh, *c);
  auto bad = *c;
  bad.rules.pop_back();
  EXPECT_FALSE(bad.verify(controller));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    reader rr(std::span<const std::uint8_t>(bytes.data(), n));
    EXPECT_FALSE(capability_credential::parse(rr).ok()) << n;
  }
}

TEST(Credentials, CooVector) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto bytes = hex_bytes(netconf_value(v, "COO"));
  const identity controller = id_from(v["controller_secret"]);
  reader r(bytes);
  auto c = certificate_of_ownership::parse(r);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(c->verify(controller));
  std::vector<std::uint8_t> out(c->buffer_len());
  writer w(out);
  c->emit(w);
  EXPECT_EQ(out, bytes);
  auto bad = *c;
  bad.things[0].value[0] ^= 1;
  EXPECT_FALSE(bad.verify(controller));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    reader rr(std::span<const std::uint8_t>(bytes.data(), n));
    EXPECT_FALSE(certificate_of_ownership::parse(rr).ok()) << n;
  }
}

TEST(Credentials, RevocationRoundTripAndSignature) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const identity controller = id_from(v["controller_secret"]);
  revocation rv;
  rv.id = 7;
  rv.network_id = 0xc7c3aa49cb000042ULL;
  rv.credential_id = 0;
  rv.threshold = 1700000000000;
  rv.target = ztkit::zt_address(0x3d55811c5eULL);
  rv.type = credential_type::com;
  ASSERT_TRUE(rv.sign(controller).ok());
  EXPECT_TRUE(rv.verify(controller));
  std::vector<std::uint8_t> out(rv.buffer_len());
  writer w(out);
  rv.emit(w);
  ASSERT_TRUE(w.ok());
  reader r(out);
  auto back = revocation::parse(r);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(*back, rv);
  for (std::size_t n = 0; n < out.size(); ++n) {
    reader rr(std::span<const std::uint8_t>(out.data(), n));
    EXPECT_FALSE(revocation::parse(rr).ok()) << n;
  }
  // Signature type other than 1 is rejected.
  auto bad = out;
  bad[4 + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1] = 2;
  reader rb(bad);
  EXPECT_FALSE(revocation::parse(rb).ok());
}

}  // namespace
