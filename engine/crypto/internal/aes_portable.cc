// Portable AES-256, GHASH and AES-GMAC-SIV in plain C++ (no ISA flags), and the key setup that
// every variant shares. Used where AES-NI is absent; all variants must agree with it.
//
// AES is the classic 32-bit T-table form (Daemen & Rijmen, rijndael-alg-fst.c): fast, but its
// table look-ups depend on the data, like ZeroTierOne's own software AES (AES.cpp, _encryptSW).
// GHASH is constant-time: carry-less products from integer multiplies on bit-masked operands
// (the "holes" trick of BearSSL ghash_ctmul), then the reflected reduction of Gueron &
// Kounavis (Intel white paper, Algorithm 5) done on 64-bit words.
#include <array>
#include <cstring>

#include "engine/crypto/internal/aes_ops.h"

namespace ztkit::crypto::internal {
namespace {

// ---- GF(2^8) and tables, built at compile time (FIPS-197 §4, §5.1.1) ----

constexpr std::uint8_t xtime(std::uint8_t x) {
  return static_cast<std::uint8_t>((x << 1) ^ ((x >> 7) * 0x1b));
}
constexpr std::uint8_t gf8_mul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t p = 0;
  for (int i = 0; i < 8; ++i) {
    if (b & 1) p ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return p;
}
constexpr std::uint8_t rotl8(std::uint8_t x, int n) {
  return static_cast<std::uint8_t>((x << n) | (x >> (8 - n)));
}
constexpr std::array<std::uint8_t, 256> make_sbox() {
  std::array<std::uint8_t, 256> s{};
  for (int x = 0; x < 256; ++x) {
    // Multiplicative inverse as x^254 (0 maps to 0), then the affine map (§5.1.1).
    std::uint8_t inv = 1, base = static_cast<std::uint8_t>(x);
    for (int e = 254; e; e >>= 1) {
      if (e & 1) inv = gf8_mul(inv, base);
      base = gf8_mul(base, base);
    }
    if (x == 0) inv = 0;
    s[x] = static_cast<std::uint8_t>(inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^
                                     rotl8(inv, 4) ^ 0x63);
  }
  return s;
}
constexpr std::array<std::uint8_t, 256> sbox = make_sbox();
constexpr std::array<std::uint8_t, 256> make_inv_sbox() {
  std::array<std::uint8_t, 256> si{};
  for (int x = 0; x < 256; ++x) si[sbox[x]] = static_cast<std::uint8_t>(x);
  return si;
}
constexpr std::array<std::uint8_t, 256> inv_sbox = make_inv_sbox();

constexpr std::uint32_t ror32(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// te[0][x] = (2s, s, s, 3s) big-endian; te[k] = te[0] rotated right by 8k (rijndael-alg-fst).
constexpr std::array<std::array<std::uint32_t, 256>, 4> make_te() {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  for (int x = 0; x < 256; ++x) {
    const std::uint8_t s = sbox[x];
    const std::uint32_t w = (std::uint32_t{gf8_mul(s, 2)} << 24) | (std::uint32_t{s} << 16) |
                            (std::uint32_t{s} << 8) | gf8_mul(s, 3);
    for (int k = 0; k < 4; ++k) t[k][x] = k ? ror32(w, 8 * k) : w;
  }
  return t;
}
// td[0][x] = (14si, 9si, 13si, 11si) big-endian.
constexpr std::array<std::array<std::uint32_t, 256>, 4> make_td() {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  for (int x = 0; x < 256; ++x) {
    const std::uint8_t s = inv_sbox[x];
    const std::uint32_t w = (std::uint32_t{gf8_mul(s, 14)} << 24) |
                            (std::uint32_t{gf8_mul(s, 9)} << 16) |
                            (std::uint32_t{gf8_mul(s, 13)} << 8) | gf8_mul(s, 11);
    for (int k = 0; k < 4; ++k) t[k][x] = k ? ror32(w, 8 * k) : w;
  }
  return t;
}
constexpr auto te = make_te();
constexpr auto td = make_td();

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}
void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
std::uint64_t load_be64(const std::uint8_t* p) {
  return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
void store_be64(std::uint8_t* p, std::uint64_t v) {
  store_be32(p, static_cast<std::uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<std::uint32_t>(v));
}

// ---- AES-256 block (FIPS-197 §5.1, §5.3.5) ----

void encrypt_block(const aes256_schedule& k, const std::uint8_t in[16], std::uint8_t out[16]) {
  std::uint32_t s0 = load_be32(in) ^ load_be32(k.enc[0]);
  std::uint32_t s1 = load_be32(in + 4) ^ load_be32(k.enc[0] + 4);
  std::uint32_t s2 = load_be32(in + 8) ^ load_be32(k.enc[0] + 8);
  std::uint32_t s3 = load_be32(in + 12) ^ load_be32(k.enc[0] + 12);
  for (std::size_t r = 1; r < aes256_rounds; ++r) {
    const std::uint8_t* rk = k.enc[r];
    const std::uint32_t t0 = te[0][s0 >> 24] ^ te[1][(s1 >> 16) & 0xff] ^
                             te[2][(s2 >> 8) & 0xff] ^ te[3][s3 & 0xff] ^ load_be32(rk);
    const std::uint32_t t1 = te[0][s1 >> 24] ^ te[1][(s2 >> 16) & 0xff] ^
                             te[2][(s3 >> 8) & 0xff] ^ te[3][s0 & 0xff] ^ load_be32(rk + 4);
    const std::uint32_t t2 = te[0][s2 >> 24] ^ te[1][(s3 >> 16) & 0xff] ^
                             te[2][(s0 >> 8) & 0xff] ^ te[3][s1 & 0xff] ^ load_be32(rk + 8);
    const std::uint32_t t3 = te[0][s3 >> 24] ^ te[1][(s0 >> 16) & 0xff] ^
                             te[2][(s1 >> 8) & 0xff] ^ te[3][s2 & 0xff] ^ load_be32(rk + 12);
    s0 = t0, s1 = t1, s2 = t2, s3 = t3;
  }
  const std::uint8_t* rk = k.enc[aes256_rounds];
  auto last = [](std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
    return (std::uint32_t{sbox[a >> 24]} << 24) | (std::uint32_t{sbox[(b >> 16) & 0xff]} << 16) |
           (std::uint32_t{sbox[(c >> 8) & 0xff]} << 8) | sbox[d & 0xff];
  };
  store_be32(out, last(s0, s1, s2, s3) ^ load_be32(rk));
  store_be32(out + 4, last(s1, s2, s3, s0) ^ load_be32(rk + 4));
  store_be32(out + 8, last(s2, s3, s0, s1) ^ load_be32(rk + 8));
  store_be32(out + 12, last(s3, s0, s1, s2) ^ load_be32(rk + 12));
}

void decrypt_block(const aes256_schedule& k, const std::uint8_t in[16], std::uint8_t out[16]) {
  std::uint32_t s0 = load_be32(in) ^ load_be32(k.dec[0]);
  std::uint32_t s1 = load_be32(in + 4) ^ load_be32(k.dec[0] + 4);
  std::uint32_t s2 = load_be32(in + 8) ^ load_be32(k.dec[0] + 8);
  std::uint32_t s3 = load_be32(in + 12) ^ load_be32(k.dec[0] + 12);
  for (std::size_t r = 1; r < aes256_rounds; ++r) {
    const std::uint8_t* rk = k.dec[r];
    const std::uint32_t t0 = td[0][s0 >> 24] ^ td[1][(s3 >> 16) & 0xff] ^
                             td[2][(s2 >> 8) & 0xff] ^ td[3][s1 & 0xff] ^ load_be32(rk);
    const std::uint32_t t1 = td[0][s1 >> 24] ^ td[1][(s0 >> 16) & 0xff] ^
                             td[2][(s3 >> 8) & 0xff] ^ td[3][s2 & 0xff] ^ load_be32(rk + 4);
    const std::uint32_t t2 = td[0][s2 >> 24] ^ td[1][(s1 >> 16) & 0xff] ^
                             td[2][(s0 >> 8) & 0xff] ^ td[3][s3 & 0xff] ^ load_be32(rk + 8);
    const std::uint32_t t3 = td[0][s3 >> 24] ^ td[1][(s2 >> 16) & 0xff] ^
                             td[2][(s1 >> 8) & 0xff] ^ td[3][s0 & 0xff] ^ load_be32(rk + 12);
    s0 = t0, s1 = t1, s2 = t2, s3 = t3;
  }
  const std::uint8_t* rk = k.dec[aes256_rounds];
  auto last = [](std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
    return (std::uint32_t{inv_sbox[a >> 24]} << 24) |
           (std::uint32_t{inv_sbox[(b >> 16) & 0xff]} << 16) |
           (std::uint32_t{inv_sbox[(c >> 8) & 0xff]} << 8) | inv_sbox[d & 0xff];
  };
  store_be32(out, last(s0, s3, s2, s1) ^ load_be32(rk));
  store_be32(out + 4, last(s1, s0, s3, s2) ^ load_be32(rk + 4));
  store_be32(out + 8, last(s2, s1, s0, s3) ^ load_be32(rk + 8));
  store_be32(out + 12, last(s3, s2, s1, s0) ^ load_be32(rk + 12));
}

// ---- CTR with ZeroTier's 32-bit big-endian counter (AES::CTR) ----

void ctr32_xor(const aes256_schedule& k, const std::uint8_t counter_block[16],
               std::uint8_t* data, std::size_t len) {
  std::uint8_t ctr[16], ks[16];
  std::memcpy(ctr, counter_block, 16);
  std::uint32_t n = load_be32(ctr + 12);
  while (len) {
    store_be32(ctr + 12, n++);
    encrypt_block(k, ctr, ks);
    const std::size_t take = len < 16 ? len : 16;
    for (std::size_t i = 0; i < take; ++i) data[i] ^= ks[i];
    data += take;
    len -= take;
  }
}

// ---- GHASH (NIST SP 800-38D §6.4) ----

// A field element as the byte-reversed block: hi = bytes 0..7 big-endian, lo = bytes 8..15.
struct u128 {
  std::uint64_t hi, lo;
};

// Carry-less 32x32 -> 64 product. Operands are split into four interleaved bit classes so that
// no column sum of an integer product reaches 16: the carries never land on a kept bit.
std::uint64_t clmul32(std::uint32_t x, std::uint32_t y) {
  constexpr std::uint64_t m0 = 0x1111111111111111, m1 = m0 << 1, m2 = m0 << 2, m3 = m0 << 3;
  const std::uint64_t x0 = x & m0, x1 = x & m1, x2 = x & m2, x3 = x & m3;
  const std::uint64_t y0 = y & m0, y1 = y & m1, y2 = y & m2, y3 = y & m3;
  const std::uint64_t z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1);
  const std::uint64_t z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2);
  const std::uint64_t z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3);
  const std::uint64_t z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0);
  return (z0 & m0) | (z1 & m1) | (z2 & m2) | (z3 & m3);
}

// Carry-less 64x64 -> 128 (Karatsuba over 32-bit halves).
u128 clmul64(std::uint64_t a, std::uint64_t b) {
  const auto a0 = static_cast<std::uint32_t>(a), a1 = static_cast<std::uint32_t>(a >> 32);
  const auto b0 = static_cast<std::uint32_t>(b), b1 = static_cast<std::uint32_t>(b >> 32);
  const std::uint64_t lo = clmul32(a0, b0), hi = clmul32(a1, b1);
  const std::uint64_t mid = clmul32(a0 ^ a1, b0 ^ b1) ^ lo ^ hi;
  return {hi ^ (mid >> 32), lo ^ (mid << 32)};
}

// x·y in GF(2^128) on byte-reversed elements: 256-bit carry-less product, shifted left by one
// (the operands are bit-reflected), then reduced modulo x^128 + x^7 + x^2 + x + 1 (Algorithm 5).
u128 gf128_mul(u128 x, u128 y) {
  const u128 l = clmul64(x.lo, y.lo), h = clmul64(x.hi, y.hi);
  const u128 m = clmul64(x.lo ^ x.hi, y.lo ^ y.hi);
  const std::uint64_t mid_lo = m.lo ^ l.lo ^ h.lo, mid_hi = m.hi ^ l.hi ^ h.hi;
  std::uint64_t p0 = l.lo, p1 = l.hi ^ mid_lo, p2 = h.lo ^ mid_hi, p3 = h.hi;
  p3 = (p3 << 1) | (p2 >> 63);
  p2 = (p2 << 1) | (p1 >> 63);
  p1 = (p1 << 1) | (p0 >> 63);
  p0 <<= 1;
  const std::uint64_t d = p1 ^ (p0 << 63) ^ (p0 << 62) ^ (p0 << 57);
  const std::uint64_t h1 = d ^ (d >> 1) ^ (d >> 2) ^ (d >> 7);
  const std::uint64_t h0 = p0 ^ ((p0 >> 1) | (d << 63)) ^ ((p0 >> 2) | (d << 62)) ^
                           ((p0 >> 7) | (d << 57));
  return {p3 ^ h1, p2 ^ h0};
}

u128 load_block(const std::uint8_t* p) { return {load_be64(p), load_be64(p + 8)}; }

u128 h_of(const ghash_powers& h) {
  // rev[count-1] holds H byte-reversed, i.e. as a little-endian 128-bit integer.
  const std::uint8_t* r = h.rev[ghash_powers::count - 1];
  std::uint64_t lo = 0, hi = 0;
  for (int i = 7; i >= 0; --i) lo = (lo << 8) | r[i];
  for (int i = 15; i >= 8; --i) hi = (hi << 8) | r[i];
  return {hi, lo};
}

// y = (y ^ block)·H over data zero-padded to whole blocks.
void ghash_update(u128& y, u128 h, const std::uint8_t* data, std::size_t len) {
  while (len) {
    std::uint8_t block[16] = {};
    const std::size_t take = len < 16 ? len : 16;
    std::memcpy(block, data, take);
    const u128 x = load_block(block);
    y = gf128_mul({y.hi ^ x.hi, y.lo ^ x.lo}, h);
    data += take;
    len -= take;
  }
}

// GCM tag with empty plaintext (§7.1): E(K, IV||1) ^ GHASH(A || len(A)·8 || 0).
void gcm_tag_finish(const aes256_schedule& k, u128 h, u128 y, std::uint64_t aad_len,
                    const std::uint8_t iv12[12], std::uint8_t tag_out[16]) {
  y = gf128_mul({y.hi ^ (aad_len * 8), y.lo}, h);
  std::uint8_t j0[16];
  std::memcpy(j0, iv12, 12);
  store_be32(j0 + 12, 1);
  std::uint8_t ek[16];
  encrypt_block(k, j0, ek);
  store_be64(tag_out, y.hi ^ load_be64(ek));
  store_be64(tag_out + 8, y.lo ^ load_be64(ek + 8));
}

void gmac(const aes256_schedule& k, const ghash_powers& hp, const std::uint8_t iv12[12],
          const std::uint8_t* aad, std::size_t aad_len, std::uint8_t tag_out[16]) {
  const u128 h = h_of(hp);
  u128 y{0, 0};
  ghash_update(y, h, aad, aad_len);
  gcm_tag_finish(k, h, y, aad_len, iv12, tag_out);
}

// t = T[0..8) ^ T[8..16) of T = GCM tag (K0, IV N||0, AAD aad16||payload) (§2.3 steps 3-4).
void siv_t(const aes256_schedule& k0, const ghash_powers& hp, const std::uint8_t iv[8],
           const std::uint8_t aad16[16], const std::uint8_t* payload, std::size_t len,
           std::uint8_t t_out[8]) {
  const u128 h = h_of(hp);
  u128 y{0, 0};
  ghash_update(y, h, aad16, 16);
  ghash_update(y, h, payload, len);
  std::uint8_t iv12[12] = {};
  std::memcpy(iv12, iv, 8);
  std::uint8_t tag[16];
  gcm_tag_finish(k0, h, y, 16 + len, iv12, tag);
  for (int i = 0; i < 8; ++i) t_out[i] = tag[i] ^ tag[i + 8];
}

void siv_encrypt(const aes256_schedule& k0, const ghash_powers& h0, const aes256_schedule& k1,
                 const std::uint8_t iv[8], const std::uint8_t aad16[16], std::uint8_t* payload,
                 std::size_t len, std::uint8_t tag_out[16]) {
  std::uint8_t nt[16];
  std::memcpy(nt, iv, 8);
  siv_t(k0, h0, iv, aad16, payload, len, nt + 8);
  std::uint8_t s[16];
  encrypt_block(k1, nt, s);
  std::memcpy(tag_out, s, 16);
  s[12] &= 0x7f;  // keeps the 32-bit counter from wrapping for any packet (§2.3 step 6)
  ctr32_xor(k1, s, payload, len);
}

bool siv_decrypt(const aes256_schedule& k0, const ghash_powers& h0, const aes256_schedule& k1,
                 const std::uint8_t tag[16], const std::uint8_t aad16[16],
                 std::uint8_t* payload, std::size_t len) {
  std::uint8_t ctr[16];
  std::memcpy(ctr, tag, 16);
  ctr[12] &= 0x7f;
  ctr32_xor(k1, ctr, payload, len);
  std::uint8_t nt[16];
  decrypt_block(k1, tag, nt);
  std::uint8_t t[8];
  siv_t(k0, h0, nt, aad16, payload, len, t);
  std::uint8_t diff = 0;  // constant time: no early exit on the first differing byte
  for (int i = 0; i < 8; ++i) diff |= static_cast<std::uint8_t>(t[i] ^ nt[8 + i]);
  return diff == 0;
}

std::uint8_t inv_mix_byte(const std::uint8_t* c, int row) {
  static constexpr std::uint8_t m[4] = {14, 11, 13, 9};
  std::uint8_t r = 0;
  for (int i = 0; i < 4; ++i) r ^= gf8_mul(c[i], m[(i - row + 4) % 4]);
  return r;
}

}  // namespace

// FIPS-197 §5.2 (Nk = 8, Nr = 14), byte-wise; then §5.3.5 for the decryption schedule.
void expand_aes256_key(const std::uint8_t key[32], aes256_schedule& s) {
  std::uint8_t* w = &s.enc[0][0];  // 60 words, 4 bytes each
  std::memcpy(w, key, 32);
  std::uint8_t rcon = 1;
  for (int i = 8; i < 60; ++i) {
    std::uint8_t t[4];
    std::memcpy(t, w + 4 * (i - 1), 4);
    if (i % 8 == 0) {
      const std::uint8_t t0 = t[0];
      t[0] = static_cast<std::uint8_t>(sbox[t[1]] ^ rcon);
      t[1] = sbox[t[2]];
      t[2] = sbox[t[3]];
      t[3] = sbox[t0];
      rcon = xtime(rcon);
    } else if (i % 8 == 4) {
      for (auto& b : t) b = sbox[b];
    }
    for (int j = 0; j < 4; ++j) w[4 * i + j] = w[4 * (i - 8) + j] ^ t[j];
  }
  std::memcpy(s.dec[0], s.enc[aes256_rounds], 16);
  std::memcpy(s.dec[aes256_rounds], s.enc[0], 16);
  for (std::size_t r = 1; r < aes256_rounds; ++r) {
    const std::uint8_t* src = s.enc[aes256_rounds - r];
    for (int c = 0; c < 4; ++c)
      for (int row = 0; row < 4; ++row) s.dec[r][4 * c + row] = inv_mix_byte(src + 4 * c, row);
  }
}

void compute_ghash_powers(const aes256_schedule& k, ghash_powers& h) {
  std::memset(&h, 0, sizeof h);
  const std::uint8_t zero[16] = {};
  std::uint8_t hb[16];
  encrypt_block(k, zero, hb);
  const u128 h1 = load_block(hb);
  u128 p = h1;
  for (std::size_t i = 1; i <= ghash_powers::count; ++i) {
    // Stored byte-reversed: the little-endian 128-bit integer (hi:lo).
    std::uint8_t* out = h.rev[ghash_powers::count - i];
    for (int b = 0; b < 8; ++b) out[b] = static_cast<std::uint8_t>(p.lo >> (8 * b));
    for (int b = 0; b < 8; ++b) out[8 + b] = static_cast<std::uint8_t>(p.hi >> (8 * b));
    p = gf128_mul(p, h1);
  }
  volatile std::uint8_t* wipe = hb;
  for (int i = 0; i < 16; ++i) wipe[i] = 0;
}

const aes_ops portable_aes_ops = {encrypt_block, decrypt_block, ctr32_xor,
                                  gmac,          siv_encrypt,   siv_decrypt};

}  // namespace ztkit::crypto::internal
