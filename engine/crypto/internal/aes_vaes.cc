// AES-256 CTR, GHASH and AES-GMAC-SIV on VAES + VPCLMULQDQ with 512-bit registers: 4 blocks per
// ZMM, 16 blocks in flight (compiled with -mvaes -mvpclmulqdq -mavx512f -mavx512bw -mavx512vl
// plus -maes -mpclmul for single blocks; see ../aes_gmac_siv.cmake). Reached only through
// vaes_aes_ops, after aes_variant_supported(vaes) said yes.
//
// Same math as aes_aesni.cc (aggregated GHASH over byte-reversed blocks, Gueron & Kounavis
// Algorithm 5), widened: 16 blocks are multiplied by H^16..H^1 lane by lane, the four lanes
// of the unreduced products are XOR-folded, and one reduction is done per 16 blocks. Tails use
// AVX-512BW byte masks instead of a scalar loop.
#include <immintrin.h>

#include <cstring>

#include "engine/crypto/internal/aes_ops.h"

namespace ztkit::crypto::internal {
namespace {

// Broadcast / extract through the zero-masking forms: g++ 12's plain forms start from
// _mm512_undefined_*(), which it then (falsely) reports as used uninitialized (GCC PR 105593).
__m512i broadcast(__m128i x) { return _mm512_maskz_broadcast_i32x4(0xffff, x); }
__m256i half(__m512i v, int upper) {
  return upper ? _mm512_maskz_extracti64x4_epi64(0xff, v, 1)
               : _mm512_maskz_extracti64x4_epi64(0xff, v, 0);
}

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

void encrypt_block(const aes256_schedule& k, const std::uint8_t in[16], std::uint8_t out[16]) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                   aes_encrypt(k, _mm_loadu_si128(reinterpret_cast<const __m128i*>(in))));
}
void decrypt_block(const aes256_schedule& k, const std::uint8_t in[16], std::uint8_t out[16]) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                   aes_decrypt(k, _mm_loadu_si128(reinterpret_cast<const __m128i*>(in))));
}

// All 15 round keys broadcast to every lane; AVX-512 has 32 registers, so they stay resident.
struct zmm_keys {
  __m512i k[15];
  explicit zmm_keys(const aes256_schedule& s) {
    for (int i = 0; i < 15; ++i) k[i] = broadcast(round_key(s.enc, i));
  }
};

// N ZMMs (4N blocks) through the rounds together.
template <int N>
void aes_encrypt_zmm(const zmm_keys& k, __m512i b[N]) {
#pragma GCC unroll 4
  for (int j = 0; j < N; ++j) b[j] = _mm512_xor_si512(b[j], k.k[0]);
  for (int i = 1; i < 14; ++i) {
#pragma GCC unroll 4
    for (int j = 0; j < N; ++j) b[j] = _mm512_aesenc_epi128(b[j], k.k[i]);
  }
#pragma GCC unroll 4
  for (int j = 0; j < N; ++j) b[j] = _mm512_aesenclast_epi128(b[j], k.k[14]);
}

// ---- CTR with ZeroTier's 32-bit big-endian counter in bytes 12..15 of each block ----

__m512i ctr_swap_mask() {
  return broadcast(
      _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
}

// Four consecutive counter blocks per ZMM; `native` has each lane's counter dword byte-swapped
// so that VPADDD steps it (mod 2^32, as ZeroTier's AES::CTR).
struct ctr_state {
  __m512i native;
  explicit ctr_state(__m128i counter_block) {
    const __m128i n = _mm_shuffle_epi8(
        counter_block, _mm_set_epi8(12, 13, 14, 15, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    native = _mm512_add_epi32(broadcast(n),
                              _mm512_set_epi32(3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0));
  }
  __m512i next() {
    const __m512i b = _mm512_shuffle_epi8(native, ctr_swap_mask());
    native = _mm512_add_epi32(native,
                              _mm512_set_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0));
    return b;
  }
};

// 256 bytes at p: XOR 16 keystream blocks, return the results for a following GHASH.
void ctr_group16(const zmm_keys& k, ctr_state& c, std::uint8_t* p, __m512i out[4]) {
  __m512i b[4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) b[j] = c.next();
  aes_encrypt_zmm<4>(k, b);
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    out[j] = _mm512_xor_si512(_mm512_loadu_si512(p + 64 * j), b[j]);
    _mm512_storeu_si512(p + 64 * j, out[j]);
  }
}

// Under 256 bytes: 64 at a time, the last (partial) ZMM with a byte mask.
void ctr_tail(const zmm_keys& k, ctr_state& c, std::uint8_t* p, std::size_t len) {
  while (len) {
    __m512i b[1] = {c.next()};
    aes_encrypt_zmm<1>(k, b);
    if (len >= 64) {
      _mm512_storeu_si512(p, _mm512_xor_si512(_mm512_loadu_si512(p), b[0]));
      p += 64;
      len -= 64;
    } else {
      const __mmask64 m = (__mmask64{1} << len) - 1;
      _mm512_mask_storeu_epi8(p, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, p), b[0]));
      len = 0;
    }
  }
}

void ctr_run(const aes256_schedule& s, __m128i counter_block, std::uint8_t* data,
             std::size_t len) {
  const zmm_keys k(s);
  ctr_state c(counter_block);
  __m512i unused[4];
  for (; len >= 256; len -= 256, data += 256) ctr_group16(k, c, data, unused);
  ctr_tail(k, c, data, len);
}

void ctr32_xor(const aes256_schedule& k, const std::uint8_t counter_block[16],
               std::uint8_t* data, std::size_t len) {
  ctr_run(k, _mm_loadu_si128(reinterpret_cast<const __m128i*>(counter_block)), data, len);
}

// ---- GHASH ----

__m128i bswap_mask128() {
  return _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
__m512i bswap_mask() { return broadcast(bswap_mask128()); }

__m128i fold_lanes(__m512i v) {
  const __m256i a = _mm256_xor_si256(half(v, 0), half(v, 1));
  return _mm_xor_si128(_mm256_extracti128_si256(a, 0), _mm256_extracti128_si256(a, 1));
}

// Unreduced products, four lanes wide; folded to one lane before the single reduction.
// Schoolbook (4 multiplies per block): Karatsuba measured no faster here, the carry-less
// multiplier is not the bottleneck at 4 blocks per instruction.
struct clmul_acc {
  __m512i lo = _mm512_setzero_si512(), mid = _mm512_setzero_si512(),
          hi = _mm512_setzero_si512();
  void add(__m512i x, __m512i h) {
    lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(x, h, 0x00));
    hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128(x, h, 0x11));
    mid = _mm512_ternarylogic_epi64(mid, _mm512_clmulepi64_epi128(x, h, 0x01),
                                    _mm512_clmulepi64_epi128(x, h, 0x10), 0x96);  // a^b^c
  }
  // As aes_aesni.cc: shift left by one (bit-reflected operands), then Algorithm 5.
  __m128i reduce() const {
    const __m128i m = fold_lanes(mid);
    __m128i l = _mm_xor_si128(fold_lanes(lo), _mm_slli_si128(m, 8));
    __m128i h = _mm_xor_si128(fold_lanes(hi), _mm_srli_si128(m, 8));
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

// One GHASH group of n (1..16) blocks read from memory (zero lanes past n must be readable and
// zero: callers pass a padded buffer): (y ^ x0)·H^n ^ ... ^ x_{n-1}·H.
__m128i ghash_group(const ghash_powers& h, __m128i y, const std::uint8_t* blocks,
                    std::size_t n) {
  const std::size_t first = ghash_powers::count - n;
  clmul_acc acc;
  for (std::size_t i = 0; 4 * i < n; ++i) {
    __m512i x = _mm512_shuffle_epi8(_mm512_loadu_si512(blocks + 64 * i), bswap_mask());
    if (i == 0) x = _mm512_xor_si512(x, _mm512_zextsi128_si512(y));
    acc.add(x, _mm512_loadu_si512(h.rev[first + 4 * i]));
  }
  return acc.reduce();
}

// 16 blocks in registers (memory byte order), multiplied by H^16..H^1.
__m128i ghash_group16(const ghash_powers& h, __m128i y, const __m512i b[4]) {
  clmul_acc acc;
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    __m512i x = _mm512_shuffle_epi8(b[i], bswap_mask());
    if (i == 0) x = _mm512_xor_si512(x, _mm512_zextsi128_si512(y));
    acc.add(x, _mm512_load_si512(h.rev[4 * i]));
  }
  return acc.reduce();
}

// The end of a GHASH stream: optional 16-byte head, len < 256 data bytes zero-padded, then the
// GCM length block; in groups of at most 16 blocks (any split gives the same GHASH).
__m128i ghash_final(const ghash_powers& h, __m128i y, const std::uint8_t* head,
                    const std::uint8_t* data, std::size_t len, std::uint64_t aad_bytes) {
  alignas(64) std::uint8_t buf[20 * 16];  // head + 16 data + length block, rounded up to 4
  for (int i = 0; i < 5; ++i) _mm512_store_si512(buf + 64 * i, _mm512_setzero_si512());
  std::size_t pos = 0;
  if (head) {
    std::memcpy(buf, head, 16);
    pos = 16;
  }
  if (len) std::memcpy(buf + pos, data, len);  // data may be null when len == 0
  pos += (len + 15) & ~std::size_t{15};
  const std::uint64_t bits = aad_bytes * 8;
  for (int i = 0; i < 8; ++i) buf[pos + i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
  std::size_t n = pos / 16 + 1;
  const std::uint8_t* p = buf;
  while (n) {
    const std::size_t m = n < 16 ? n : 16;
    y = ghash_group(h, y, p, m);
    p += 16 * m;
    n -= m;
  }
  return y;
}

__m128i ghash_head(const ghash_powers& h, const std::uint8_t head[16]) {
  alignas(64) std::uint8_t buf[64] = {};
  std::memcpy(buf, head, 16);
  return ghash_group(h, _mm_setzero_si128(), buf, 1);
}

__m128i ghash(const ghash_powers& h, const std::uint8_t* head, const std::uint8_t* data,
              std::size_t len) {
  const std::uint64_t aad_bytes = len + (head ? 16 : 0);
  __m128i y = _mm_setzero_si128();
  if (head && len >= 256) {
    y = ghash_head(h, head);
    head = nullptr;
  }
  for (; len >= 256; len -= 256, data += 256) {
    __m512i b[4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) b[i] = _mm512_loadu_si512(data + 64 * i);
    y = ghash_group16(h, y, b);
  }
  return ghash_final(h, y, head, data, len, aad_bytes);
}

__m128i j0_of(__m128i iv_lo) {
  return _mm_unpacklo_epi64(iv_lo, _mm_set_epi64x(0, 0x0100000000000000LL));
}

__m128i gcm_tag(const aes256_schedule& k, __m128i j0, __m128i y) {
  return _mm_xor_si128(aes_encrypt(k, j0), _mm_shuffle_epi8(y, bswap_mask128()));
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

__m128i ctr_from_tag(__m128i s) {
  return _mm_and_si128(s, _mm_set_epi32(static_cast<int>(0xffffff7f), -1, -1, -1));
}
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
  const zmm_keys k(k1);
  ctr_state c(ctr_from_tag(s));
  // CTR and GHASH of each 16-block group back to back, GHASH reading plaintext from registers.
  __m128i y = _mm_setzero_si128();
  const std::uint8_t* head = aad16;
  const std::size_t total = len + 16;
  if (len >= 256) {
    y = ghash_head(h0, aad16);
    head = nullptr;
  }
  for (; len >= 256; len -= 256, payload += 256) {
    __m512i plain[4];
    ctr_group16(k, c, payload, plain);
    y = ghash_group16(h0, y, plain);
  }
  ctr_tail(k, c, payload, len);
  y = ghash_final(h0, y, head, payload, len, total);
  const __m128i t = fold_tag(gcm_tag(k0, j0_of(nt), y));
  const __m128i diff = _mm_xor_si128(t, _mm_srli_si128(nt, 8));  // constant time
  return _mm_cvtsi128_si64(diff) == 0;
}

}  // namespace

const aes_ops vaes_aes_ops = {encrypt_block, decrypt_block, ctr32_xor,
                              gmac,          siv_encrypt,   siv_decrypt};

}  // namespace ztkit::crypto::internal
