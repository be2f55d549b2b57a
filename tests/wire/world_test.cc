// Worlds (planets and moons) against world.json (ZeroTierOne 1.14.1 World.hpp, Topology.cpp).
#include "engine/wire/world.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

crypto::c25519_public public_key(const nlohmann::json& j) {
  crypto::c25519_public k;
  const auto b = test::hex_bytes(j);
  EXPECT_EQ(b.size(), 64u);
  std::memcpy(k.bytes.data(), b.data(), std::min<std::size_t>(b.size(), 64));
  return k;
}

void expect_matches(const world& w, const nlohmann::json& c) {
  EXPECT_EQ(static_cast<int>(w.kind), c["type"].get<int>());
  EXPECT_EQ(w.id, c["id"].get<std::uint64_t>());
  EXPECT_EQ(w.timestamp, c["timestamp"].get<std::uint64_t>());
  EXPECT_EQ(w.update_key, public_key(c["updates_must_be_signed_by"]));
  const auto sig = test::hex_bytes(c["signature"]);
  EXPECT_TRUE(std::equal(sig.begin(), sig.end(), w.signature.begin()));
  ASSERT_EQ(w.roots.size(), c["roots"].size());
  for (std::size_t i = 0; i < w.roots.size(); ++i) {
    const auto& jr = c["roots"][i];
    EXPECT_EQ(w.roots[i].identity.to_string(false), jr["identity"].get<std::string>());
    ASSERT_EQ(w.roots[i].stable_endpoints.size(), jr["stable_endpoints"].size());
    for (std::size_t k = 0; k < w.roots[i].stable_endpoints.size(); ++k) {
      EXPECT_EQ(w.roots[i].stable_endpoints[k].to_string(),
                jr["stable_endpoints"][k].get<std::string>());
    }
  }
}

TEST(World, PlanetAndMoonParseEmitAndVerify) {
  ZTKIT_LOAD_VECTORS(v, "world.json");
  const auto key = public_key(v["signing_public_key"]);
  for (const char* name : {"planet", "moon"}) {
    SCOPED_TRACE(name);
    const auto& c = v[name];
    const auto bytes = test::hex_bytes(c["serialized"]);
    const auto w = world::parse(bytes);
    ASSERT_TRUE(w.ok()) << w.message();
    expect_matches(*w, c);
    EXPECT_EQ(w->buffer_len(), bytes.size());
    EXPECT_EQ(w->serialize(), bytes);
    EXPECT_EQ(w->signing_message(),
              test::hex_bytes(v[std::string(name) + "_signing_message"]));
    EXPECT_TRUE(w->signed_by(key));
    EXPECT_EQ(w->signed_by(key), v[std::string(name) + "_signature_verifies"].get<bool>());
  }
  EXPECT_EQ(test::hex_bytes(v["planet"]["serialized"]).size(),
            v["planet_serialized_length"].get<std::size_t>());
}

TEST(World, MakeReproducesTheSignedPlanet) {
  ZTKIT_LOAD_VECTORS(v, "world.json");
  const auto planet = world::parse(test::hex_bytes(v["planet"]["serialized"]));
  ASSERT_TRUE(planet.ok());
  crypto::c25519_pair pair;
  pair.pub = public_key(v["signing_public_key"]);
  const auto priv = test::hex_bytes(v["signing_private_key"]);
  ASSERT_EQ(priv.size(), 64u);
  std::memcpy(pair.priv.data(), priv.data(), 64);
  const world made = world::make(world::type::planet, planet->id, planet->timestamp,
                                 planet->update_key, planet->roots, pair);
  EXPECT_EQ(made, *planet);  // C25519 signatures are deterministic
}

TEST(World, UpdateRuleMatchesShouldBeReplacedBy) {
  ZTKIT_LOAD_VECTORS(v, "world.json");
  const auto current = world::parse(test::hex_bytes(v["planet"]["serialized"]));
  ASSERT_TRUE(current.ok());
  ASSERT_GE(v["updates"].size(), 4u);
  for (const auto& u : v["updates"]) {
    SCOPED_TRACE(u["case"].get<std::string>());
    const auto update = world::parse(test::hex_bytes(u["serialized"]));
    ASSERT_TRUE(update.ok()) << update.message();
    EXPECT_EQ(update->timestamp, u["timestamp"].get<std::uint64_t>());
    EXPECT_EQ(update->id, u["id"].get<std::uint64_t>());
    EXPECT_EQ(current->should_be_replaced_by(*update), u["shouldBeReplacedBy"].get<bool>());
  }
  // Same world again (not newer) is not a replacement; anything replaces a null world.
  EXPECT_FALSE(current->should_be_replaced_by(*current));
  EXPECT_TRUE(world{}.should_be_replaced_by(*current));
  // A moon with the planet's id and a newer timestamp is not a replacement (type differs).
  world moon_like = *current;
  moon_like.kind = world::type::moon;
  moon_like.timestamp += 1;
  EXPECT_FALSE(current->should_be_replaced_by(moon_like));
}

TEST(World, BuiltInEarthIsTheStockPlanet) {
  ZTKIT_LOAD_VECTORS(v, "world.json");
  const auto expected = test::hex_bytes(v["earth"]["serialized"]);
  const auto bytes = earth_planet_bytes();
  ASSERT_EQ(bytes.size(), 570u);
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), expected.begin(), expected.end()));
  const world& earth = earth_planet();
  expect_matches(earth, v["earth"]);
  EXPECT_EQ(earth.id, world::earth_id);
  EXPECT_EQ(earth.kind, world::type::planet);
  EXPECT_EQ(earth.roots.size(), 4u);
  EXPECT_EQ(earth.serialize(), expected);
  EXPECT_EQ(earth.signed_by(earth.update_key),
            v["earth_signature_verifies_with_its_own_update_key"].get<bool>());
}

TEST(World, TruncationAtEveryLengthFailsCleanly) {
  ZTKIT_LOAD_VECTORS(v, "world.json");
  for (const char* name : {"planet", "moon"}) {
    const auto bytes = test::hex_bytes(v[name]["serialized"]);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(world::parse(std::span(bytes.data(), n)).ok()) << name << " " << n;
    }
  }
  const auto earth = earth_planet_bytes();
  for (std::size_t n = 0; n < earth.size(); ++n) {
    EXPECT_FALSE(world::parse(earth.first(n)).ok()) << n;
  }
}

TEST(World, ReportsLeftOverBytesAndParsesFromAStream) {
  auto bytes = std::vector<std::uint8_t>(earth_planet_bytes().begin(), earth_planet_bytes().end());
  bytes.push_back(0x42);
  const auto whole = world::parse(bytes);
  ASSERT_FALSE(whole.ok());
  EXPECT_NE(whole.message().find("left over"), std::string::npos) << whole.message();
  reader r(bytes);
  const auto w = world::parse(r);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(r.position(), 570u);
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(World, RejectsBadTypesAndOverLimits) {
  auto bytes = std::vector<std::uint8_t>(earth_planet_bytes().begin(), earth_planet_bytes().end());
  auto bad = bytes;
  bad[0] = 2;
  EXPECT_FALSE(world::parse(bad).ok());
  // Root count lives after type, id, timestamp, key and signature.
  constexpr std::size_t root_count_at = 1 + 8 + 8 + 64 + 96;
  ASSERT_EQ(bytes[root_count_at], 4);
  bad = bytes;
  bad[root_count_at] = 5;
  EXPECT_FALSE(world::parse(bad).ok());
  // First root's endpoint count follows its 71-byte identity.
  bad = bytes;
  ASSERT_EQ(bad[root_count_at + 1 + 71], 2);
  bad[root_count_at + 1 + 71] = 33;
  const auto r = world::parse(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("at most 32"), std::string::npos) << r.message();
  // A root identity carrying a private key.
  bad = bytes;
  bad[root_count_at + 1 + 70] = 64;
  EXPECT_FALSE(world::parse(bad).ok());
}

TEST(World, MoonExtensionRoundTripsButIsNotSigned) {
  ZTKIT_LOAD_VECTORS(v, "world.json");
  auto moon = world::parse(test::hex_bytes(v["moon"]["serialized"]));
  ASSERT_TRUE(moon.ok());
  const auto msg = moon->signing_message();
  moon->moon_extension = {1, 2, 3};
  EXPECT_EQ(moon->signing_message(), msg);
  const auto again = world::parse(moon->serialize());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *moon);
}

}  // namespace
}  // namespace ztkit::wire
