// AES-GMAC-SIV (cipher suite 3, ../shared/docs/zerotier-protocol.md §2.1, §2.3) and its
// primitives, on every variant: KBKDF and armor vectors from ZeroTierOne 1.14, then OpenSSL's
// libcrypto as the reference for AES-256 ECB, CTR, GCM-tag-over-AAD and a SIV composed from
// those, on random keys, lengths 0..10240 and misaligned buffers; then round trips and tampering.
#include "engine/crypto/aes_gmac_siv.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "tests/support/vectors.h"

namespace ztkit::crypto {
namespace {

using bytes = std::vector<std::uint8_t>;
using ztkit::test::hex_bytes;

// ---- OpenSSL reference (independent of the code under test) ----

struct evp_ctx {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> p{EVP_CIPHER_CTX_new(),
                                                                     EVP_CIPHER_CTX_free};
  EVP_CIPHER_CTX* get() const { return p.get(); }
};

void ossl_ecb(bool enc, const std::uint8_t key[32], const std::uint8_t in[16],
              std::uint8_t out[16]) {
  evp_ctx c;
  int n = 0;
  ASSERT_EQ(EVP_CipherInit_ex(c.get(), EVP_aes_256_ecb(), nullptr, key, nullptr, enc ? 1 : 0), 1);
  EVP_CIPHER_CTX_set_padding(c.get(), 0);
  ASSERT_EQ(EVP_CipherUpdate(c.get(), out, &n, in, 16), 1);
  ASSERT_EQ(n, 16);
}

// OpenSSL's CTR steps all 128 bits; equal to the 32-bit counter while it does not wrap.
void ossl_ctr(const std::uint8_t key[32], const std::uint8_t ctr[16], std::uint8_t* data,
              std::size_t len) {
  evp_ctx c;
  int n = 0;
  ASSERT_EQ(EVP_EncryptInit_ex(c.get(), EVP_aes_256_ctr(), nullptr, key, ctr), 1);
  if (len) {
    ASSERT_EQ(EVP_EncryptUpdate(c.get(), data, &n, data, static_cast<int>(len)), 1);
  }
}

// GCM tag with empty plaintext; AAD given in pieces (nullptr/0 pieces skipped).
void ossl_gmac(const std::uint8_t key[32], const std::uint8_t iv12[12],
               std::initializer_list<std::pair<const std::uint8_t*, std::size_t>> aad,
               std::uint8_t tag[16]) {
  evp_ctx c;
  int n = 0;
  ASSERT_EQ(EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, key, iv12), 1);
  for (auto [p, l] : aad)
    if (l) {
      ASSERT_EQ(EVP_EncryptUpdate(c.get(), nullptr, &n, p, static_cast<int>(l)), 1);
    }
  std::uint8_t none[16];
  ASSERT_EQ(EVP_EncryptFinal_ex(c.get(), none, &n), 1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
}

// §2.3 steps 3..7 written with libcrypto calls only.
void ossl_siv_encrypt(const std::uint8_t k0[32], const std::uint8_t k1[32],
                      const std::uint8_t iv[8], const std::uint8_t aad16[16],
                      std::uint8_t* payload, std::size_t len, std::uint8_t tag[16]) {
  std::uint8_t iv12[12] = {}, t[16], nt[16];
  std::memcpy(iv12, iv, 8);
  ossl_gmac(k0, iv12, {{aad16, 16}, {payload, len}}, t);
  std::memcpy(nt, iv, 8);
  for (int i = 0; i < 8; ++i) nt[8 + i] = t[i] ^ t[8 + i];
  ossl_ecb(true, k1, nt, tag);
  std::uint8_t ctr[16];
  std::memcpy(ctr, tag, 16);
  ctr[12] &= 0x7f;
  ossl_ctr(k1, ctr, payload, len);
}

// ---- Fixture over every variant ----

class AesGmacSivTest : public ::testing::TestWithParam<aes_variant> {
 protected:
  void SetUp() override {
    if (!aes_variant_supported(GetParam()))
      GTEST_SKIP() << "this CPU lacks what AES variant " << to_string(GetParam()) << " needs";
  }
  aes_variant v() const { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(Variants, AesGmacSivTest,
                         ::testing::Values(aes_variant::portable, aes_variant::aesni,
                                           aes_variant::vaes),
                         [](const auto& info) { return std::string(to_string(info.param)); });

bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
  bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// ---- KBKDF (§2.1, agree.json) ----

TEST(AesGmacSivKbkdf, MatchesAgreeVectors) {
  ZTKIT_LOAD_VECTORS(v, "agree.json");
  ASSERT_FALSE(v["kbkdf"].empty());
  for (const auto& k : v["kbkdf"]) {
    const bytes key = hex_bytes(k["key_48"]);
    ASSERT_EQ(key.size(), 48u);
    const std::string label = k["label"];
    std::uint8_t out[48];
    kbkdf_hmac_sha384(key.data(), label.at(0), static_cast<char>(k["context"].get<int>()), out);
    EXPECT_EQ(bytes(out, out + 48), hex_bytes(k["kbkdf_output_48"])) << "label " << label;
  }
  ASSERT_FALSE(v["pairs"].empty());
  for (const auto& p : v["pairs"]) {
    const bytes key = hex_bytes(p["symmetric_key_48"]);
    std::uint8_t k0[48], k1[48];
    kbkdf_hmac_sha384(key.data(), '0', 0, k0);
    kbkdf_hmac_sha384(key.data(), '1', 0, k1);
    EXPECT_EQ(bytes(k0, k0 + 48), hex_bytes(p["aes_gmac_siv_k0_kbkdf_48"]));
    EXPECT_EQ(bytes(k1, k1 + 48), hex_bytes(p["aes_gmac_siv_k1_kbkdf_48"]));
    EXPECT_EQ(bytes(k0, k0 + 32), hex_bytes(p["aes_gmac_siv_k0_aes256_key"]));
    EXPECT_EQ(bytes(k1, k1 + 32), hex_bytes(p["aes_gmac_siv_k1_aes256_key"]));
  }
}

// ---- Variant selection ----

TEST(AesGmacSivSelect, ParsesNamesAndFallsBack) {
  for (auto x : {aes_variant::portable, aes_variant::aesni, aes_variant::vaes})
    EXPECT_EQ(parse_aes_variant(to_string(x)), x);
  EXPECT_FALSE(parse_aes_variant("avx9000").has_value());
  EXPECT_TRUE(aes_variant_supported(aes_variant::portable));
  EXPECT_TRUE(aes_variant_supported(best_aes_variant()));
  EXPECT_EQ(choose_aes_variant(""), best_aes_variant());
  EXPECT_EQ(choose_aes_variant("avx9000"), best_aes_variant());
  EXPECT_EQ(choose_aes_variant("portable"), aes_variant::portable);
  EXPECT_TRUE(aes_variant_supported(active_aes_variant()));
}

// ---- Armor vectors from ZeroTierOne 1.14.1 (armor.json) ----

// aad16 = dest ‖ source ‖ flags with hop bits cleared ‖ 5 zero bytes (§2.3 step 2).
void aad_of(const bytes& pkt, std::uint8_t aad16[16]) {
  std::memset(aad16, 0, 16);
  std::memcpy(aad16, pkt.data() + 8, 11);
  aad16[10] &= 0xf8;
}

TEST_P(AesGmacSivTest, ArmorVectorsEncryptAndDecrypt) {
  ZTKIT_LOAD_VECTORS(vec, "armor.json");
  int seen = 0;
  for (const auto& c : vec["cases"]) {
    if (c["cipher_after_armor"] != 3) continue;
    ++seen;
    SCOPED_TRACE(c["name"].get<std::string>());
    const bytes k0 = hex_bytes(c["aes_k0"]), k1 = hex_bytes(c["aes_k1"]);
    const aes_gmac_siv_key key(k0.data(), k1.data());
    const bytes armored = hex_bytes(c["armored_packet"]);
    bytes pkt = hex_bytes(c["plaintext_packet"]);
    ASSERT_GE(pkt.size(), 27u);
    pkt[18] = static_cast<std::uint8_t>((pkt[18] & 0xc0) | (3 << 3));  // cipher 3, hops 0
    EXPECT_EQ(pkt[18], armored[18]);
    std::uint8_t aad[16], tag[16];
    aad_of(pkt, aad);
    const bytes iv = hex_bytes(c["packet_id_before_armor"]);
    ASSERT_EQ(iv.size(), 8u);
    gmac_siv_encrypt(v(), key, iv.data(), aad, pkt.data() + 27, pkt.size() - 27, tag);
    std::memcpy(pkt.data(), tag, 8);
    std::memcpy(pkt.data() + 19, tag + 8, 8);
    EXPECT_EQ(pkt, armored);

    bytes rx = hex_bytes(c["received_packet"]);
    std::uint8_t rtag[16];
    std::memcpy(rtag, rx.data(), 8);
    std::memcpy(rtag + 8, rx.data() + 19, 8);
    aad_of(rx, aad);
    EXPECT_TRUE(gmac_siv_decrypt(v(), key, rtag, aad, rx.data() + 27, rx.size() - 27));
    EXPECT_EQ(rx, hex_bytes(c["dearmored_packet"]));
  }
  EXPECT_GE(seen, 10);
}

TEST_P(AesGmacSivTest, ArmorTamperedVectorsFail) {
  ZTKIT_LOAD_VECTORS(vec, "armor.json");
  int seen = 0;
  for (const auto& t : vec["tampered"]) {
    bytes pkt = hex_bytes(t["tampered_packet"]);
    if (pkt.size() < 27 || ((pkt[18] >> 3) & 7) != 3 || !t.contains("aes_k0")) continue;
    ++seen;
    SCOPED_TRACE(t["case"].get<std::string>());
    const bytes k0 = hex_bytes(t["aes_k0"]), k1 = hex_bytes(t["aes_k1"]);
    const aes_gmac_siv_key key(k0.data(), k1.data());
    std::uint8_t aad[16], tag[16];
    std::memcpy(tag, pkt.data(), 8);
    std::memcpy(tag + 8, pkt.data() + 19, 8);
    aad_of(pkt, aad);
    EXPECT_FALSE(gmac_siv_decrypt(v(), key, tag, aad, pkt.data() + 27, pkt.size() - 27));
  }
  EXPECT_GE(seen, 4);
}

TEST_P(AesGmacSivTest, KeyFromKey48MatchesExplicitKeys) {
  ZTKIT_LOAD_VECTORS(vec, "agree.json");
  const auto& p = vec["pairs"][0];
  const bytes k48 = hex_bytes(p["symmetric_key_48"]);
  const bytes k0 = hex_bytes(p["aes_gmac_siv_k0_aes256_key"]);
  const bytes k1 = hex_bytes(p["aes_gmac_siv_k1_aes256_key"]);
  const auto a = aes_gmac_siv_key::from_key48(k48.data());
  const aes_gmac_siv_key b(k0.data(), k1.data());
  std::uint8_t iv[8] = {1, 2, 3, 4, 5, 6, 7, 8}, aad[16] = {9}, ta[16], tb[16];
  bytes pa(100, 0x5a), pb = pa;
  gmac_siv_encrypt(v(), a, iv, aad, pa.data(), pa.size(), ta);
  gmac_siv_encrypt(v(), b, iv, aad, pb.data(), pb.size(), tb);
  EXPECT_EQ(pa, pb);
  EXPECT_EQ(bytes(ta, ta + 16), bytes(tb, tb + 16));
}

// ---- Against OpenSSL ----

TEST_P(AesGmacSivTest, BlockMatchesOpenSslEcb) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    const bytes key = random_bytes(rng, 32), in = random_bytes(rng, 16);
    const aes256_key k(key.data());
    std::uint8_t ours[16], ref[16], back[16];
    aes256_encrypt_block(v(), k, in.data(), ours);
    ossl_ecb(true, key.data(), in.data(), ref);
    ASSERT_EQ(bytes(ours, ours + 16), bytes(ref, ref + 16)) << "encrypt, iteration " << i;
    aes256_decrypt_block(v(), k, in.data(), ours);
    ossl_ecb(false, key.data(), in.data(), ref);
    ASSERT_EQ(bytes(ours, ours + 16), bytes(ref, ref + 16)) << "decrypt, iteration " << i;
    aes256_decrypt_block(v(), k, ours, back);
    aes256_encrypt_block(v(), k, ours, back);
    ASSERT_EQ(bytes(back, back + 16), in);
  }
}

// Random length in 0..10240, biased so that every tail size near the group widths shows up.
std::size_t random_len(std::mt19937_64& rng, int i) {
  if (i < 300) return static_cast<std::size_t>(i);  // 0..299 exhaustively
  return static_cast<std::size_t>(rng() % 10241);
}

TEST_P(AesGmacSivTest, CtrMatchesOpenSsl) {
  std::mt19937_64 rng(2);
  std::vector<std::uint8_t> buf(10240 + 64), ref;
  for (int i = 0; i < 400; ++i) {
    const std::size_t len = random_len(rng, i), off = rng() % 16;
    const bytes key = random_bytes(rng, 32);
    bytes ctr = random_bytes(rng, 16);
    ctr[12] &= 0x7f;  // OpenSSL carries into byte 11 on a 32-bit wrap; we must not
    std::uint8_t* p = buf.data() + off;
    for (std::size_t j = 0; j < len; ++j) p[j] = static_cast<std::uint8_t>(rng());
    ref.assign(p, p + len);
    aes256_ctr32_xor(v(), aes256_key(key.data()), ctr.data(), p, len);
    ossl_ctr(key.data(), ctr.data(), ref.data(), len);
    ASSERT_TRUE(std::equal(ref.begin(), ref.end(), p)) << "len " << len << " offset " << off;
  }
}

TEST_P(AesGmacSivTest, CtrWrapsAt32Bits) {
  // ZeroTier's counter is the last 4 bytes only: 0xffffffff is followed by 0, byte 11 unchanged.
  std::uint8_t key[32] = {7}, ctr[16] = {}, wrapped[16] = {};
  std::memset(ctr + 12, 0xff, 4);
  const aes256_key k(key);
  bytes data(48, 0);
  aes256_ctr32_xor(v(), k, ctr, data.data(), data.size());
  std::uint8_t ks[16];
  aes256_encrypt_block(v(), k, wrapped, ks);  // counter 0 = the second block
  EXPECT_TRUE(std::equal(ks, ks + 16, data.begin() + 16));
}

TEST_P(AesGmacSivTest, GmacMatchesOpenSslGcmTag) {
  std::mt19937_64 rng(3);
  std::vector<std::uint8_t> buf(10240 + 64);
  for (int i = 0; i < 400; ++i) {
    const std::size_t len = random_len(rng, i), off = rng() % 16;
    const bytes key = random_bytes(rng, 32), iv = random_bytes(rng, 12);
    std::uint8_t* p = buf.data() + off;
    for (std::size_t j = 0; j < len; ++j) p[j] = static_cast<std::uint8_t>(rng());
    std::uint8_t ours[16], ref[16];
    aes256_gmac(v(), aes_gmac_key(key.data()), iv.data(), p, len, ours);
    ossl_gmac(key.data(), iv.data(), {{p, len}}, ref);
    ASSERT_EQ(bytes(ours, ours + 16), bytes(ref, ref + 16)) << "len " << len;
  }
}

TEST_P(AesGmacSivTest, SivMatchesOpenSslComposition) {
  std::mt19937_64 rng(4);
  std::vector<std::uint8_t> buf(10240 + 64), ref;
  for (int i = 0; i < 400; ++i) {
    const std::size_t len = random_len(rng, i), off = rng() % 16;
    const bytes k0 = random_bytes(rng, 32), k1 = random_bytes(rng, 32);
    const bytes iv = random_bytes(rng, 8), aad = random_bytes(rng, 16);
    const aes_gmac_siv_key key(k0.data(), k1.data());
    std::uint8_t* p = buf.data() + off;
    for (std::size_t j = 0; j < len; ++j) p[j] = static_cast<std::uint8_t>(rng());
    const bytes plain(p, p + len);
    ref = plain;
    std::uint8_t tag[16], ref_tag[16];
    gmac_siv_encrypt(v(), key, iv.data(), aad.data(), p, len, tag);
    ossl_siv_encrypt(k0.data(), k1.data(), iv.data(), aad.data(), ref.data(), len, ref_tag);
    ASSERT_EQ(bytes(tag, tag + 16), bytes(ref_tag, ref_tag + 16)) << "len " << len;
    ASSERT_TRUE(std::equal(ref.begin(), ref.end(), p)) << "len " << len;
    ASSERT_TRUE(gmac_siv_decrypt(v(), key, tag, aad.data(), p, len)) << "len " << len;
    ASSERT_TRUE(std::equal(plain.begin(), plain.end(), p)) << "len " << len;
  }
}

TEST_P(AesGmacSivTest, VariantsAgreeWithActive) {
  std::mt19937_64 rng(5);
  const bytes k0 = random_bytes(rng, 32), k1 = random_bytes(rng, 32);
  const aes_gmac_siv_key key(k0.data(), k1.data());
  for (std::size_t len : {0u, 1u, 64u, 1400u, 2800u, 9000u}) {
    const bytes iv = random_bytes(rng, 8), aad = random_bytes(rng, 16);
    bytes a = random_bytes(rng, len), b = a;
    std::uint8_t ta[16], tb[16];
    gmac_siv_encrypt(v(), key, iv.data(), aad.data(), a.data(), len, ta);
    gmac_siv_encrypt(key, iv.data(), aad.data(), b.data(), len, tb);
    EXPECT_EQ(a, b);
    EXPECT_EQ(bytes(ta, ta + 16), bytes(tb, tb + 16));
  }
}

// ---- Round trip and tampering (§2.3 dearmor) ----

TEST_P(AesGmacSivTest, AnySingleBitFlipFailsDecrypt) {
  std::mt19937_64 rng(6);
  const bytes k0 = random_bytes(rng, 32), k1 = random_bytes(rng, 32);
  const aes_gmac_siv_key key(k0.data(), k1.data());
  for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 127u, 128u, 129u, 255u, 256u, 300u, 1400u}) {
    const bytes iv = random_bytes(rng, 8), aad = random_bytes(rng, 16);
    const bytes plain = random_bytes(rng, len);
    bytes ct = plain;
    std::uint8_t tag[16];
    gmac_siv_encrypt(v(), key, iv.data(), aad.data(), ct.data(), len, tag);
    if (len >= 16) {
      EXPECT_NE(ct, plain);
    }
    {
      bytes p = ct;
      ASSERT_TRUE(gmac_siv_decrypt(v(), key, tag, aad.data(), p.data(), len));
      EXPECT_EQ(p, plain);
    }
    // Every bit of tag and aad, and a sample of payload bits (all of them for short payloads).
    const std::size_t total_bits = (16 + 16 + len) * 8;
    for (std::size_t bit = 0; bit < total_bits; bit += (bit < 256 + 512 ? 1 : 61)) {
      bytes p = ct, a = aad;
      std::uint8_t t[16];
      std::memcpy(t, tag, 16);
      const std::size_t byte = bit / 8;
      const auto mask = static_cast<std::uint8_t>(1u << (bit % 8));
      if (byte < 16) t[byte] ^= mask;
      else if (byte < 32) a[byte - 16] ^= mask;
      else p[byte - 32] ^= mask;
      EXPECT_FALSE(gmac_siv_decrypt(v(), key, t, a.data(), p.data(), len))
          << "len " << len << " bit " << bit;
    }
  }
}

}  // namespace
}  // namespace ztkit::crypto
