// Armor / dearmor against armor.json (ZeroTierOne 1.14.1 Packet::armor/dearmor/cryptField),
// plus round-trips and single-bit tampering at every position for both encrypting suites.
#include "engine/wire/armor.h"

// Counts every allocation through global operator new in this test binary, to show that the
// packet path allocates nothing (Armor.HotPathDoesNotAllocate). Included first after the header
// under test: it also silences GCC's -Wmismatched-new-delete for the rest of this file.
#include "tests/support/alloc_counter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/wire/compress.h"
#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

std::unique_ptr<peer_keys> keys_of(const nlohmann::json& c) {
  const bytes k = test::hex_bytes(c["key_48"]);
  EXPECT_EQ(k.size(), 48u);
  if (k.size() != 48) return nullptr;
  return std::make_unique<peer_keys>(k.data());
}

std::uint64_t hex_u64(const nlohmann::json& j) {
  return std::strtoull(j.get<std::string>().c_str(), nullptr, 16);
}

// A fixed peer key for the generated tests.
std::unique_ptr<peer_keys> fixed_keys(std::uint8_t seed = 1) {
  std::uint8_t k[48];
  for (int i = 0; i < 48; ++i) k[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
  return std::make_unique<peer_keys>(k);
}

bytes random_packet(std::mt19937_64& rng, std::size_t len) {
  bytes p(len);
  for (auto& b : p) b = static_cast<std::uint8_t>(rng());
  p[packet_idx_flags] = 0;  // as composed: flags 0 (armor sets the cipher)
  return p;
}

TEST(Armor, EveryVectorCaseArmorsAndDearmorsByteExactly) {
  ZTKIT_LOAD_VECTORS(v, "armor.json");
  ASSERT_GE(v["cases"].size(), 30u);
  for (const auto& c : v["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto keys = keys_of(c);
    ASSERT_TRUE(keys);

    bytes pkt = test::hex_bytes(c["plaintext_packet"]);
    ASSERT_GE(pkt.size(), packet_min_length);
    const auto view = packet_view::checked(pkt);
    ASSERT_TRUE(view);
    view->set_packet_id(hex_u64(c["packet_id_before_armor"]));
    EXPECT_EQ(view->verb_value(), test::hex_bytes(c["verb"])[0]);

    // The send rule: a peer with AES keys in 1.14 terms is one that announced >= 12.
    const std::uint8_t peer_version = c["aes_keys_given"].get<bool>() ? 12 : 11;
    const cipher_suite suite = choose_cipher(peer_version, c["encrypt_payload"].get<bool>());
    EXPECT_EQ(static_cast<int>(suite), c["cipher_after_armor"].get<int>());

    ASSERT_EQ(armor(pkt, *keys, suite), armor_result::ok);
    EXPECT_EQ(pkt, test::hex_bytes(c["armored_packet"]));

    // In transit: relays add hops, which the MAC/AAD exclude.
    bytes received = pkt;
    for (int i = 0; i < c["hops_added_in_transit"].get<int>(); ++i) {
      packet_view::checked(received)->increment_hops();
    }
    EXPECT_EQ(received, test::hex_bytes(c["received_packet"]));

    EXPECT_TRUE(c["dearmor_ok"].get<bool>());
    ASSERT_EQ(dearmor(received, *keys, 0), armor_result::ok);
    EXPECT_EQ(received, test::hex_bytes(c["dearmored_packet"]));
    const bytes plain = test::hex_bytes(c["plaintext_packet"]);
    EXPECT_EQ(bytes(received.begin() + packet_idx_verb, received.end()),
              bytes(plain.begin() + packet_idx_verb, plain.end()));
  }
}

TEST(Armor, HelloCryptFieldMasksTheMoonListWithTheUnmangledKey) {
  ZTKIT_LOAD_VECTORS(v, "armor.json");
  int hellos = 0;
  for (const auto& c : v["cases"]) {
    if (!c.contains("hello_detail")) continue;
    ++hellos;
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto& d = c["hello_detail"];
    const auto keys = keys_of(c);
    ASSERT_TRUE(keys);
    const bytes k48 = test::hex_bytes(c["key_48"]);
    EXPECT_EQ(bytes(k48.begin(), k48.begin() + 32), test::hex_bytes(d["cryptField_key_32"]));
    bytes iv = test::hex_bytes(c["plaintext_packet"]);
    iv.resize(8);
    iv[7] &= 0xf8;
    EXPECT_EQ(iv, test::hex_bytes(d["cryptField_iv_8"]));

    const std::size_t start = d["crypt_field_start"].get<std::size_t>();
    const std::size_t len = d["crypt_field_length"].get<std::size_t>();
    bytes hello = test::hex_bytes(d["hello_before_cryptField"]);
    ASSERT_EQ(start + len, hello.size());
    ASSERT_TRUE(crypt_field(hello, *keys, start, len));
    EXPECT_EQ(hello, test::hex_bytes(c["plaintext_packet"]));

    // The receiver: dearmor (MAC over the masked bytes), then unmask.
    bytes rx = test::hex_bytes(c["received_packet"]);
    ASSERT_EQ(dearmor(rx, *keys, 0), armor_result::ok);
    ASSERT_TRUE(crypt_field(rx, *keys, start, len));
    bytes expect = test::hex_bytes(d["hello_before_cryptField"]);
    EXPECT_EQ(bytes(rx.begin() + packet_idx_verb, rx.end()),
              bytes(expect.begin() + packet_idx_verb, expect.end()));
  }
  EXPECT_GE(hellos, 2);
}

TEST(Armor, EveryTamperedVectorFails) {
  ZTKIT_LOAD_VECTORS(v, "armor.json");
  ASSERT_GE(v["tampered"].size(), 10u);
  for (const auto& c : v["tampered"]) {
    SCOPED_TRACE(c["case"].get<std::string>());
    EXPECT_FALSE(c["dearmor_ok"].get<bool>());
    const auto keys = keys_of(c);
    ASSERT_TRUE(keys);
    bytes pkt = test::hex_bytes(c["tampered_packet"]);
    EXPECT_NE(dearmor(pkt, *keys, 0), armor_result::ok);
  }
}

TEST(Armor, ChooseCipherFollowsThePeerVersion) {
  EXPECT_EQ(choose_cipher(0, true), cipher_suite::poly1305_salsa2012);  // version unknown
  EXPECT_EQ(choose_cipher(4, true), cipher_suite::poly1305_salsa2012);
  EXPECT_EQ(choose_cipher(11, true), cipher_suite::poly1305_salsa2012);
  EXPECT_EQ(choose_cipher(12, true), cipher_suite::aes_gmac_siv);
  EXPECT_EQ(choose_cipher(13, true), cipher_suite::aes_gmac_siv);
  EXPECT_EQ(choose_cipher(255, true), cipher_suite::aes_gmac_siv);
  for (int ver : {0, 11, 12, 255}) {
    EXPECT_EQ(choose_cipher(static_cast<std::uint8_t>(ver), false), cipher_suite::poly1305_none);
  }
  static_assert(choose_cipher(protocol_version, true) == cipher_suite::aes_gmac_siv);
}

TEST(Armor, RandomRoundTripsAllSuitesAndLengths) {
  const auto keys = fixed_keys();
  std::mt19937_64 rng(12345);
  std::vector<std::size_t> lengths = {28, 29, 30, 43, 44, 91, 92, 93, 155, 156, 1400, 1432,
                                      2800, 9928, packet_max_length};
  for (int i = 0; i < 200; ++i) lengths.push_back(28 + rng() % (packet_max_length - 27));
  for (const std::size_t len : lengths) {
    for (const cipher_suite s : {cipher_suite::poly1305_none, cipher_suite::poly1305_salsa2012,
                                 cipher_suite::aes_gmac_siv}) {
      SCOPED_TRACE(std::to_string(len) + " suite " + std::to_string(static_cast<int>(s)));
      const bytes orig = random_packet(rng, len);
      bytes pkt = orig;
      if (rng() & 1) packet_view::checked(pkt)->set_fragmented(true);
      ASSERT_EQ(armor(pkt, *keys, s), armor_result::ok);
      const auto v = *const_packet_view::checked(pkt);
      EXPECT_EQ(v.cipher(), static_cast<std::uint8_t>(s));
      EXPECT_EQ((v.flags() & flag_encrypted_legacy) != 0, s == cipher_suite::poly1305_salsa2012);
      if (s != cipher_suite::poly1305_none && len > 40) {
        EXPECT_NE(bytes(pkt.begin() + 27, pkt.end()), bytes(orig.begin() + 27, orig.end()));
      }
      const std::uint8_t relays = static_cast<std::uint8_t>(rng() % 8);
      packet_view::checked(pkt)->set_hops(relays);
      const bytes armored = pkt;
      ASSERT_EQ(dearmor(pkt, *keys, 0), armor_result::ok);
      EXPECT_EQ(bytes(pkt.begin() + 27, pkt.end()), bytes(orig.begin() + 27, orig.end()));
      EXPECT_EQ(bytes(pkt.begin() + 8, pkt.begin() + 18), bytes(orig.begin() + 8, orig.begin() + 18));
      // Header bytes that dearmor does not touch: ID/tag and MAC stay as received.
      EXPECT_EQ(bytes(pkt.begin(), pkt.begin() + 27), bytes(armored.begin(), armored.begin() + 27));
    }
  }
}

// Every single-bit change of a 1400-byte armored packet fails, except in the hop bits.
void tamper_every_bit(cipher_suite s) {
  const auto keys = fixed_keys(2);
  std::mt19937_64 rng(static_cast<std::uint64_t>(s) + 99);
  bytes pkt = random_packet(rng, 1400);
  ASSERT_EQ(armor(pkt, *keys, s), armor_result::ok);
  int failures = 0, accepted = 0;
  for (std::size_t pos = 0; pos < pkt.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes t = pkt;
      t[pos] ^= static_cast<std::uint8_t>(1u << bit);
      const armor_result r = dearmor(t, *keys, 0);
      const bool hop_bit = pos == packet_idx_flags && bit < 3;
      if (hop_bit) {
        EXPECT_EQ(r, armor_result::ok) << "hop bit " << bit;
        ++accepted;
      } else if (pos == packet_idx_flags && bit >= 3 && bit <= 5) {
        // Changing the cipher bits selects another suite: fails one way or another.
        EXPECT_NE(r, armor_result::ok) << "cipher bit " << bit;
        ++failures;
      } else {
        EXPECT_EQ(r, armor_result::bad_mac) << "byte " << pos << " bit " << bit;
        ++failures;
      }
    }
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(failures, 1400 * 8 - 3);
  // And the untouched packet still verifies.
  EXPECT_EQ(dearmor(pkt, *keys, 0), armor_result::ok);
}

TEST(Armor, SingleBitTamperingFailsSalsa) { tamper_every_bit(cipher_suite::poly1305_salsa2012); }
TEST(Armor, SingleBitTamperingFailsAes) { tamper_every_bit(cipher_suite::aes_gmac_siv); }
TEST(Armor, SingleBitTamperingFailsNone) { tamper_every_bit(cipher_suite::poly1305_none); }

TEST(Armor, WrongKeyFails) {
  const auto a = fixed_keys(3), b = fixed_keys(4);
  std::mt19937_64 rng(5);
  for (const cipher_suite s : {cipher_suite::poly1305_none, cipher_suite::poly1305_salsa2012,
                               cipher_suite::aes_gmac_siv}) {
    bytes pkt = random_packet(rng, 200);
    ASSERT_EQ(armor(pkt, *a, s), armor_result::ok);
    EXPECT_EQ(dearmor(pkt, *b, 0), armor_result::bad_mac);
  }
}

TEST(Armor, LengthIsBoundIntoTheSalsaKey) {
  // Truncating or extending an armored packet (the length mangles the key) fails.
  const auto keys = fixed_keys();
  std::mt19937_64 rng(6);
  bytes pkt = random_packet(rng, 300);
  ASSERT_EQ(armor(pkt, *keys, cipher_suite::poly1305_salsa2012), armor_result::ok);
  bytes shorter(pkt.begin(), pkt.end() - 1);
  EXPECT_EQ(dearmor(shorter, *keys, 0), armor_result::bad_mac);
  bytes longer = pkt;
  longer.push_back(0);
  EXPECT_EQ(dearmor(longer, *keys, 0), armor_result::bad_mac);
}

TEST(Armor, TrustedPathNeedsTheSameIdFromTheCaller) {
  const auto keys = fixed_keys();
  std::mt19937_64 rng(7);
  const bytes orig = random_packet(rng, 100);
  bytes pkt = orig;
  ASSERT_EQ(armor_trusted_path(pkt, 0x0102030405060708ULL), armor_result::ok);
  const auto v = *const_packet_view::checked(pkt);
  EXPECT_EQ(v.cipher(), 2);
  EXPECT_EQ(v.flags() & flag_encrypted_legacy, 0);
  EXPECT_EQ(v.mac_be64(), 0x0102030405060708ULL);
  EXPECT_EQ(pkt[19], 0x01);  // big-endian on the wire
  EXPECT_EQ(bytes(pkt.begin() + 27, pkt.end()), bytes(orig.begin() + 27, orig.end()));

  bytes rx = pkt;
  EXPECT_EQ(dearmor(rx, *keys, 0), armor_result::untrusted_path);
  EXPECT_EQ(dearmor(rx, *keys, 0x0102030405060709ULL), armor_result::untrusted_path);
  EXPECT_EQ(dearmor(rx, *keys, 0x0102030405060708ULL), armor_result::ok);
  EXPECT_EQ(rx, pkt);

  // A zero ID never makes a path trusted.
  ASSERT_EQ(armor_trusted_path(rx, 0), armor_result::ok);
  EXPECT_EQ(dearmor(rx, *keys, 0), armor_result::untrusted_path);
  // armor() itself does not do suite 2 (it needs an ID).
  EXPECT_EQ(armor(rx, *keys, cipher_suite::trusted_path), armor_result::unknown_cipher);
}

TEST(Armor, UnknownSuitesAndBadLengthsAreRejected) {
  const auto keys = fixed_keys();
  std::mt19937_64 rng(8);
  for (std::uint8_t s = 4; s < 8; ++s) {
    bytes pkt = random_packet(rng, 64);
    packet_view::checked(pkt)->set_cipher(s);
    EXPECT_EQ(dearmor(pkt, *keys, 0), armor_result::unknown_cipher);
    EXPECT_EQ(armor(pkt, *keys, static_cast<cipher_suite>(s)), armor_result::unknown_cipher);
  }
  bytes small(27, 0);
  EXPECT_EQ(armor(small, *keys, cipher_suite::aes_gmac_siv), armor_result::too_short);
  EXPECT_EQ(dearmor(small, *keys, 0), armor_result::too_short);
  EXPECT_EQ(dearmor(std::span<std::uint8_t>(), *keys, 0), armor_result::too_short);
  bytes big(packet_max_length + 1, 0);
  EXPECT_EQ(armor(big, *keys, cipher_suite::poly1305_salsa2012), armor_result::too_long);
  EXPECT_EQ(dearmor(big, *keys, 0), armor_result::too_long);
  for (auto r : {armor_result::ok, armor_result::too_short, armor_result::too_long,
                 armor_result::bad_mac, armor_result::unknown_cipher,
                 armor_result::untrusted_path}) {
    EXPECT_FALSE(to_string(r).empty());
  }
}

TEST(Armor, CryptFieldIsItsOwnInverseAndBoundsChecked) {
  const auto keys = fixed_keys();
  std::mt19937_64 rng(9);
  const bytes orig = random_packet(rng, 200);
  bytes pkt = orig;
  ASSERT_TRUE(crypt_field(pkt, *keys, 150, 50));
  EXPECT_NE(pkt, orig);
  EXPECT_EQ(bytes(pkt.begin(), pkt.begin() + 150), bytes(orig.begin(), orig.begin() + 150));
  ASSERT_TRUE(crypt_field(pkt, *keys, 150, 50));
  EXPECT_EQ(pkt, orig);
  // The low 3 bits of byte 7 do not change the keystream.
  bytes other = orig;
  other[7] ^= 0x07;
  bytes a = orig;
  ASSERT_TRUE(crypt_field(a, *keys, 150, 50));
  ASSERT_TRUE(crypt_field(other, *keys, 150, 50));
  EXPECT_EQ(bytes(a.begin() + 150, a.end()), bytes(other.begin() + 150, other.end()));

  EXPECT_FALSE(crypt_field(pkt, *keys, 150, 51));
  EXPECT_FALSE(crypt_field(pkt, *keys, 201, 0));
  EXPECT_FALSE(crypt_field(pkt, *keys, 1, SIZE_MAX));
  EXPECT_TRUE(crypt_field(pkt, *keys, 200, 0));
  EXPECT_EQ(pkt, orig);
}

TEST(Armor, HotPathDoesNotAllocate) {
  const auto keys = fixed_keys();
  std::mt19937_64 rng(10);
  bytes pkt = random_packet(rng, 1400);
  pkt[packet_idx_verb] = 0x14;  // not flagged compressed
  for (std::size_t i = 100; i < 1400; ++i) pkt[i] = static_cast<std::uint8_t>(i % 3);
  bytes buf(packet_max_length);
  // Warm up: the SIMD variants are picked on first use.
  ASSERT_EQ(armor(pkt, *keys, cipher_suite::aes_gmac_siv), armor_result::ok);
  ASSERT_EQ(dearmor(pkt, *keys, 0), armor_result::ok);

  bytes tampered = pkt;
  ztkit::testing::allocation_scope hot_path;
  for (const cipher_suite s : {cipher_suite::poly1305_none, cipher_suite::poly1305_salsa2012,
                               cipher_suite::aes_gmac_siv}) {
    std::copy(pkt.begin(), pkt.end(), buf.begin());
    std::span<std::uint8_t> p(buf.data(), pkt.size());
    p = p.first(compress(p));
    EXPECT_TRUE(packet_view::checked(p)->compressed());
    EXPECT_EQ(armor(p, *keys, s), armor_result::ok);
    packet_view::checked(p)->increment_hops();
    EXPECT_EQ(dearmor(p, *keys, 0), armor_result::ok);
    const uncompressed u = uncompress(buf, p.size());
    EXPECT_TRUE(u.ok());
    EXPECT_EQ(u.size, pkt.size());
    EXPECT_TRUE(crypt_field(p, *keys, 30, 20));
    const auto v = *const_packet_view::checked(p);
    EXPECT_EQ(packet_header::parse(v).verb, v.verb_value());
  }
  tampered[100] ^= 1;
  EXPECT_EQ(dearmor(tampered, *keys, 0), armor_result::bad_mac);
  hot_path.stop();
  EXPECT_EQ(hot_path.count(), 0u);
}

}  // namespace
}  // namespace ztkit::wire
