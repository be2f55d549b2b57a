// AES-256, CTR, GHASH and AES-GMAC-SIV on AES-NI + PCLMULQDQ (compiled with -maes -mpclmul
// -msse4.1 only; see ../aes_gmac_siv.cmake). Reached only through aesni_aes_ops, after
// aes_variant_supported(aesni) said yes.
//
// CTR keeps 8 independent blocks in flight to cover AESENC latency. GHASH multiplies 8 blocks
// by H^8..H^1 and reduces once per group (aggregated reduction, Gueron & Kounavis, Intel
// white paper "Carry-Less Multiplication and its Usage for Computing the GCM Mode", §4 and
// Algorithm 5), on byte-reversed blocks as in that paper. SIV decryption runs CTR and GHASH
// over the same 8-block group back to back, so the AES and carry-less-multiply units overlap;
// encryption cannot (the tag that keys CTR needs the whole GHASH first, §2.3).
#include <immintrin.h>

#include <cstring>

#include "engine/crypto/internal/aes_ops.h"

namespace ztkit::crypto::internal {
namespace {

// ---- AES-256 ----

__m128i round_key(const std::uint8_t (*rk)[16], int i) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(rk[i]));
}

__m128i aes_encrypt(const aes256_schedule& k, __m128i b) {
  b = _mm_xor_si128(b, round_key(k.enc, 0));
  for (int i = 1; i < 14; ++i) b = _mm_aesenc_si128(b, round_key(k.enc, i));
  return _mm_aesenclast_si128(b, round_key(k.enc, 14));
}

__m128i aes_decrypt(const aes256_schedule& k, __m128i b) {
  b = _mm_xor_si128(b, round_key(k.dec, 0));
  for (int i = 1; i < 14; ++i) b = _mm_aesdec_si128(b, round_key(k.dec, i));
  return _mm_aesdeclast_si128(b, round_key(k.dec, 14));
}

// 8 blocks through the rounds together: one AESENC per block per round keeps the pipeline full.
void aes_encrypt8(const aes256_schedule& k, __m128i b[8]) {
  const __m128i k0 = round_key(k.enc, 0);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) b[j] = _mm_xor_si128(b[j], k0);
  for (int i = 1; i < 14; ++i) {
    const __m128i ki = round_key(k.enc, i);
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) b[j] = _mm_aesenc_si128(b[j], ki);
  }
  const __m128i kl = round_key(k.enc, 14);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) b[j] = _mm_aesenclast_si128(b[j], kl);
}

void encrypt_block(const aes256_schedule& k, const std::uint8_t in[16], std::uint8_t out[16]) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                   aes_encrypt(k, _mm_loadu_si128(reinterpret_cast<const __m128i*>(in))));
}
void decrypt_block(const aes256_schedule& k, const std::uint8_t in[16], std::uint8_t out[16]) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                   aes_decrypt(k, _mm_loadu_si128(reinterpret_cast<const __m128i*>(in))));
}

// ---- CTR with ZeroTier's 32-bit big-endian counter in bytes 12..15 ----

// Swaps bytes 12..15 only: the counter dword becomes native so PADDD can step it.
__m128i ctr_swap_mask() { return _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0); }

// Counter state: the counter block with its last dword in native order.
struct ctr_state {
  __m128i native;
  __m128i next() {
    const __m128i b = _mm_shuffle_epi8(native, ctr_swap_mask());
    native = _mm_add_epi32(native, _mm_set_epi32(1, 0, 0, 0));
    return b;
  }
};

// XORs 8 keystream blocks into 128 bytes at p and returns the results (ciphertext on encrypt,
// plaintext on decrypt) for a following GHASH.
void ctr_group8(const aes256_schedule& k, ctr_state& c, std::uint8_t* p, __m128i out[8]) {
  __m128i b[8];
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) b[j] = c.next();
  aes_encrypt8(k, b);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    __m128i* q = reinterpret_cast<__m128i*>(p + 16 * j);
    out[j] = _mm_xor_si128(_mm_loadu_si128(q), b[j]);
    _mm_storeu_si128(q, out[j]);
  }
}

// The bytes under 128 that ctr_group8 leaves: whole blocks, then a partial one via a buffer.
void ctr_tail(const aes256_schedule& k, ctr_state& c, std::uint8_t* p, std::size_t len) {
  for (; len >= 16; len -= 16, p += 16) {
    __m128i* q = reinterpret_cast<__m128i*>(p);
    _mm_storeu_si128(q, _mm_xor_si128(_mm_loadu_si128(q), aes_encrypt(k, c.next())));
  }
  if (len) {
    alignas(16) std::uint8_t ks[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(ks), aes_encrypt(k, c.next()));
    for (std::size_t i = 0; i < len; ++i) p[i] ^= ks[i];
  }
}

void ctr_run(const aes256_schedule& k, __m128i counter_block, std::uint8_t* data,
             std::size_t len) {
  ctr_state c{_mm_shuffle_epi8(counter_block, ctr_swap_mask())};
  __m128i unused[8];
  for (; len >= 128; len -= 128, data += 128) ctr_group8(k, c, data, unused);
  ctr_tail(k, c, data, len);
}

void ctr32_xor(const aes256_schedule& k, const std::uint8_t counter_block[16],
               std::uint8_t* data, std::size_t len) {
  ctr_run(k, _mm_loadu_si128(reinterpret_cast<const __m128i*>(counter_block)), data, len);
}

// ---- GHASH ----

__m128i bswap_mask() { return _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }

__m128i power(const ghash_powers& h, std::size_t j) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(h.rev[j]));
}

// Unreduced 256-bit product accumulators. Karatsuba: 3 carry-less multiplies per block, the
// middle term (x.lo^x.hi)(h.lo^h.hi) ^ lo ^ hi; the ^ lo ^ hi is linear, so it is applied once
// to the sums in reduce().
struct clmul_acc {
  __m128i lo = _mm_setzero_si128(), mid = _mm_setzero_si128(), hi = _mm_setzero_si128();
  void add(__m128i x, __m128i h) {
    lo = _mm_xor_si128(lo, _mm_clmulepi64_si128(x, h, 0x00));
    hi = _mm_xor_si128(hi, _mm_clmulepi64_si128(x, h, 0x11));
    const __m128i xs = _mm_xor_si128(x, _mm_shuffle_epi32(x, 0x4e));
    const __m128i hs = _mm_xor_si128(h, _mm_shuffle_epi32(h, 0x4e));
    mid = _mm_xor_si128(mid, _mm_clmulepi64_si128(xs, hs, 0x00));
  }
  // Shift the bit-reflected product left by one, then reduce modulo x^128+x^7+x^2+x+1
  // (Algorithm 5 on 64-bit lanes: [D:X0] with D = X1 ^ X0<<63 ^ X0<<62 ^ X0<<57, then
  // result = [X3:X2] ^ [D:X0] ^ [D:X0]>>1 ^ >>2 ^ >>7).
  __m128i reduce() const {
    const __m128i m = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
    __m128i l = _mm_xor_si128(lo, _mm_slli_si128(m, 8));
    __m128i h = _mm_xor_si128(hi, _mm_srli_si128(m, 8));
    const __m128i cl = _mm_srli_epi64(l, 63), ch = _mm_srli_epi64(h, 63);
    l = _mm_or_si128(_mm_slli_epi64(l, 1), _mm_slli_si128(cl, 8));
    h = _mm_or_si128(_mm_or_si128(_mm_slli_epi64(h, 1), _mm_slli_si128(ch, 8)),
                     _mm_srli_si128(cl, 8));
    const __m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(l, 63), _mm_slli_epi64(l, 62)),
                                    _mm_slli_epi64(l, 57));
    const __m128i d = _mm_xor_si128(l, _mm_slli_si128(t, 8));
    const __m128i s = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(d, 63), _mm_slli_epi64(d, 62)),
                                    _mm_slli_epi64(d, 57));
    __m128i r = _mm_xor_si128(h, d);
    r = _mm_xor_si128(r, _mm_xor_si128(_mm_srli_epi64(d, 1), _mm_srli_epi64(d, 2)));
    r = _mm_xor_si128(r, _mm_xor_si128(_mm_srli_epi64(d, 7), _mm_srli_si128(s, 8)));
    return r;
  }
};

// y = GHASH step over n (<= 16) byte-reversed blocks x: (y ^ x0)·H^n ^ x1·H^(n-1) ^ ... ^ x_{n-1}·H.
__m128i ghash_group(const ghash_powers& h, __m128i y, const __m128i* x, std::size_t n) {
  clmul_acc acc;
  const std::size_t first = ghash_powers::count - n;
  acc.add(_mm_xor_si128(y, x[0]), power(h, first));
  for (std::size_t j = 1; j < n; ++j) acc.add(x[j], power(h, first + j));
  return acc.reduce();
}

// 8 blocks already in registers (in memory byte order).
__m128i ghash_group8(const ghash_powers& h, __m128i y, const __m128i b[8]) {
  __m128i x[8];
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) x[j] = _mm_shuffle_epi8(b[j], bswap_mask());
  clmul_acc acc;
  acc.add(_mm_xor_si128(y, x[0]), power(h, 8));
#pragma GCC unroll 7
  for (int j = 1; j < 8; ++j) acc.add(x[j], power(h, 8 + j));
  return acc.reduce();
}

__m128i ghash_group8(const ghash_powers& h, __m128i y, const std::uint8_t* p) {
  __m128i b[8];
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) b[j] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * j));
  return ghash_group8(h, y, b);
}

// The last group of a GHASH stream: optional 16-byte head, len < 128 data bytes zero-padded,
// then the GCM length block (bit length of all additional data, 0 for the empty ciphertext).
__m128i ghash_final(const ghash_powers& h, __m128i y, const std::uint8_t* head,
                    const std::uint8_t* data, std::size_t len, std::uint64_t aad_bytes) {
  alignas(16) std::uint8_t buf[10 * 16] = {};
  std::size_t pos = 0;
  if (head) {
    std::memcpy(buf, head, 16);
    pos = 16;
  }
  if (len) std::memcpy(buf + pos, data, len);  // data may be null when len == 0
  pos += (len + 15) & ~std::size_t{15};
  const std::uint64_t bits = aad_bytes * 8;
  for (int i = 0; i < 8; ++i) buf[pos + i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
  const std::size_t n = pos / 16 + 1;
  __m128i x[10];
  for (std::size_t j = 0; j < n; ++j)
    x[j] = _mm_shuffle_epi8(_mm_load_si128(reinterpret_cast<const __m128i*>(buf + 16 * j)),
                            bswap_mask());
  return ghash_group(h, y, x, n);
}

__m128i ghash_head(const ghash_powers& h, const std::uint8_t head[16]) {
  const __m128i x =
      _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(head)), bswap_mask());
  return ghash_group(h, _mm_setzero_si128(), &x, 1);
}

// GHASH(head ‖ data ‖ length block); head (16 bytes) may be null.
__m128i ghash(const ghash_powers& h, const std::uint8_t* head, const std::uint8_t* data,
              std::size_t len) {
  const std::uint64_t aad_bytes = len + (head ? 16 : 0);
  __m128i y = _mm_setzero_si128();
  if (head && len >= 128) {
    y = ghash_head(h, head);
    head = nullptr;
  }
  for (; len >= 128; len -= 128, data += 128) y = ghash_group8(h, y, data);
  return ghash_final(h, y, head, data, len, aad_bytes);
}

// GCM J0 for a 12-byte IV whose first 8 bytes are the low lane of `iv`, last 4 zero (§2.3):
// N ‖ 00000000 ‖ 00000001.
__m128i j0_of(__m128i iv_lo) {
  return _mm_unpacklo_epi64(iv_lo, _mm_set_epi64x(0, 0x0100000000000000LL));
}

// T = E(K, J0) ^ GHASH (y byte-reversed back to memory order).
__m128i gcm_tag(const aes256_schedule& k, __m128i j0, __m128i y) {
  return _mm_xor_si128(aes_encrypt(k, j0), _mm_shuffle_epi8(y, bswap_mask()));
}

void gmac(const aes256_schedule& k, const ghash_powers& h, const std::uint8_t iv12[12],
          const std::uint8_t* aad, std::size_t aad_len, std::uint8_t tag_out[16]) {
  alignas(16) std::uint8_t j0[16] = {};
  std::memcpy(j0, iv12, 12);
  j0[15] = 1;
  const __m128i t = gcm_tag(k, _mm_load_si128(reinterpret_cast<const __m128i*>(j0)),
                            ghash(h, nullptr, aad, aad_len));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(tag_out), t);
}

// ---- AES-GMAC-SIV (§2.3) ----

// S[12] &= 0x7f: byte 12 is the low byte of dword 3.
__m128i ctr_from_tag(__m128i s) {
  return _mm_and_si128(s, _mm_set_epi32(static_cast<int>(0xffffff7f), -1, -1, -1));
}

// t = T[0..8) ^ T[8..16), in the low lane.
__m128i fold_tag(__m128i t) { return _mm_xor_si128(t, _mm_srli_si128(t, 8)); }

void siv_encrypt(const aes256_schedule& k0, const ghash_powers& h0, const aes256_schedule& k1,
                 const std::uint8_t iv[8], const std::uint8_t aad16[16], std::uint8_t* payload,
                 std::size_t len, std::uint8_t tag_out[16]) {
  const __m128i n = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(iv));
  const __m128i t = fold_tag(gcm_tag(k0, j0_of(n), ghash(h0, aad16, payload, len)));
  const __m128i s = aes_encrypt(k1, _mm_unpacklo_epi64(n, t));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(tag_out), s);
  ctr_run(k1, ctr_from_tag(s), payload, len);
}

bool siv_decrypt(const aes256_schedule& k0, const ghash_powers& h0, const aes256_schedule& k1,
                 const std::uint8_t tag[16], const std::uint8_t aad16[16],
                 std::uint8_t* payload, std::size_t len) {
  const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tag));
  const __m128i nt = aes_decrypt(k1, s);  // N ‖ t
  ctr_state c{_mm_shuffle_epi8(ctr_from_tag(s), ctr_swap_mask())};
  // CTR and GHASH of each 8-block group back to back: GHASH reads the plaintext from registers.
  __m128i y = _mm_setzero_si128();
  const std::uint8_t* head = aad16;
  const std::size_t total = len + 16;
  if (len >= 128) {
    y = ghash_head(h0, aad16);
    head = nullptr;
  }
  for (; len >= 128; len -= 128, payload += 128) {
    __m128i plain[8];
    ctr_group8(k1, c, payload, plain);
    y = ghash_group8(h0, y, plain);
  }
  ctr_tail(k1, c, payload, len);
  y = ghash_final(h0, y, head, payload, len, total);
  const __m128i t = fold_tag(gcm_tag(k0, j0_of(nt), y));
  // Constant time: one 64-bit compare of the XOR, no early exit.
  const __m128i diff = _mm_xor_si128(t, _mm_srli_si128(nt, 8));
  return _mm_cvtsi128_si64(diff) == 0;
}

}  // namespace

const aes_ops aesni_aes_ops = {encrypt_block, decrypt_block, ctr32_xor,
                               gmac,          siv_encrypt,   siv_decrypt};

}  // namespace ztkit::crypto::internal
