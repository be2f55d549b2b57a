// Poly1305 (RFC 8439 §2.5) with AVX-512 IFMA, radix 2^44 (limbs of 44, 44 and 42 bits).
// Built with -mavx512f -mavx512vl -mavx512ifma only (engine/crypto/poly1305.cmake); called only
// when engine/base/cpu_features.h reports avx512f and avx512ifma.
//
// Messages of at least ifma_min_bytes run eight blocks at a time, one per 64-bit lane, as in
// OpenSSL's poly1305_blocks_vpmadd52 (Goll and Gueron, "Vectorization of Poly1305 message
// authentication code"): every lane keeps its own accumulator, multiplied by r^8 per step,
// and at the end lane j is multiplied by r^(8-j) and the lanes are summed. vpmadd52luq and
// vpmadd52huq give the low and high 52 bits of each 44x44-bit product. The block count is
// rounded up to a multiple of eight with leading zero blocks, so no scalar tail remains.
// Short messages go through the scalar radix-2^44 code (as poly1305-donna-64). No branch or
// memory address depends on the key or the message contents, only on the length.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string.h>  // explicit_bzero

namespace ztkit::crypto::internal {
namespace {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

constexpr u64 mask44 = (u64{1} << 44) - 1;
constexpr u64 mask42 = (u64{1} << 42) - 1;
constexpr std::size_t ifma_min_bytes = 256;

inline u64 load64(const std::uint8_t* p) {
  u64 v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian x86
}

inline void store64(std::uint8_t* p, u64 v) { std::memcpy(p, &v, 8); }

// A value mod 2^130-5 in limbs of 44, 44 and 42 bits (loosely reduced).
struct limbs {
  u64 v0, v1, v2;
};

// a*b mod 2^130-5, limbs loosely reduced (v0 < 2^44, v1 < 2^44 + 2^12, v2 < 2^42).
inline limbs mul(const limbs& a, const limbs& b) {
  const u64 s1 = b.v1 * 20, s2 = b.v2 * 20;
  u128 d0 = (u128)a.v0 * b.v0 + (u128)a.v1 * s2 + (u128)a.v2 * s1;
  u128 d1 = (u128)a.v0 * b.v1 + (u128)a.v1 * b.v0 + (u128)a.v2 * s2;
  u128 d2 = (u128)a.v0 * b.v2 + (u128)a.v1 * b.v1 + (u128)a.v2 * b.v0;
  limbs h;
  u64 c = (u64)(d0 >> 44);
  h.v0 = (u64)d0 & mask44;
  d1 += c;
  c = (u64)(d1 >> 44);
  h.v1 = (u64)d1 & mask44;
  d2 += c;
  c = (u64)(d2 >> 42);
  h.v2 = (u64)d2 & mask42;
  h.v0 += c * 5;
  c = h.v0 >> 44;
  h.v0 &= mask44;
  h.v1 += c;
  return h;
}

// h = (h + m) * r for each 16-byte block; hibit is 2^128 (as 1 << 40 in the top limb) for full
// blocks and 0 for the padded final one.
inline void scalar_blocks(limbs& h, const limbs& r, const std::uint8_t* m, std::size_t blocks,
                          u64 hibit) {
  for (std::size_t i = 0; i < blocks; ++i, m += 16) {
    const u64 t0 = load64(m), t1 = load64(m + 8);
    h.v0 += t0 & mask44;
    h.v1 += ((t0 >> 44) | (t1 << 20)) & mask44;
    h.v2 += ((t1 >> 24) & mask42) | hibit;
    h = mul(h, r);
  }
}

// Shifts and the lane sum through GCC/Clang vector extensions: GCC 12's _mm512_slli_epi64 and
// _mm512_reduce_add_epi64 expand _mm512_undefined_epi32(), which trips -Wuninitialized
// (GCC PR 105593); the generated instructions are the same.
using u64x8 = u64 __attribute__((vector_size(64)));

template <int n>
inline __m512i srli(__m512i x) {
  return reinterpret_cast<__m512i>(reinterpret_cast<u64x8>(x) >> n);
}

template <int n>
inline __m512i slli(__m512i x) {
  return reinterpret_cast<__m512i>(reinterpret_cast<u64x8>(x) << n);
}

inline u64 lane_sum(__m512i x) {
  alignas(64) u64 l[8];
  _mm512_store_si512(l, x);
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

struct vlimbs {
  __m512i v0, v1, v2;
};

// h*r (lane by lane) mod 2^130-5, with s = 20*r; inputs below 2^52, outputs loosely reduced.
inline vlimbs vmul(const vlimbs& h, const vlimbs& r, __m512i s1, __m512i s2) {
  const __m512i z = _mm512_setzero_si512();
  __m512i d0l = _mm512_madd52lo_epu64(z, h.v0, r.v0);
  __m512i d0h = _mm512_madd52hi_epu64(z, h.v0, r.v0);
  __m512i d1l = _mm512_madd52lo_epu64(z, h.v0, r.v1);
  __m512i d1h = _mm512_madd52hi_epu64(z, h.v0, r.v1);
  __m512i d2l = _mm512_madd52lo_epu64(z, h.v0, r.v2);
  __m512i d2h = _mm512_madd52hi_epu64(z, h.v0, r.v2);
  d0l = _mm512_madd52lo_epu64(d0l, h.v1, s2);
  d0h = _mm512_madd52hi_epu64(d0h, h.v1, s2);
  d1l = _mm512_madd52lo_epu64(d1l, h.v1, r.v0);
  d1h = _mm512_madd52hi_epu64(d1h, h.v1, r.v0);
  d2l = _mm512_madd52lo_epu64(d2l, h.v1, r.v1);
  d2h = _mm512_madd52hi_epu64(d2h, h.v1, r.v1);
  d0l = _mm512_madd52lo_epu64(d0l, h.v2, s1);
  d0h = _mm512_madd52hi_epu64(d0h, h.v2, s1);
  d1l = _mm512_madd52lo_epu64(d1l, h.v2, s2);
  d1h = _mm512_madd52hi_epu64(d1h, h.v2, s2);
  d2l = _mm512_madd52lo_epu64(d2l, h.v2, r.v0);
  d2h = _mm512_madd52hi_epu64(d2h, h.v2, r.v0);
  // A column is d_l + d_h * 2^52; carry the bits above each limb into the next one.
  const __m512i m44 = _mm512_set1_epi64(static_cast<long long>(mask44));
  const __m512i m42 = _mm512_set1_epi64(static_cast<long long>(mask42));
  vlimbs o;
  __m512i c = _mm512_add_epi64(srli<44>(d0l), slli<8>(d0h));
  o.v0 = _mm512_and_si512(d0l, m44);
  d1l = _mm512_add_epi64(d1l, c);
  c = _mm512_add_epi64(srli<44>(d1l), slli<8>(d1h));
  o.v1 = _mm512_and_si512(d1l, m44);
  d2l = _mm512_add_epi64(d2l, c);
  c = _mm512_add_epi64(srli<42>(d2l), slli<10>(d2h));
  o.v2 = _mm512_and_si512(d2l, m42);
  o.v0 = _mm512_add_epi64(o.v0, _mm512_add_epi64(c, slli<2>(c)));
  c = srli<44>(o.v0);
  o.v0 = _mm512_and_si512(o.v0, m44);
  o.v1 = _mm512_add_epi64(o.v1, c);
  return o;
}

// Eight blocks (128 bytes) split into limbs, block j in lane j, with the 2^128 bit set.
inline vlimbs load8(const std::uint8_t* m, __m512i idx_lo, __m512i idx_hi, __m512i hibit) {
  const __m512i a = _mm512_loadu_si512(m);
  const __m512i b = _mm512_loadu_si512(m + 64);
  const __m512i lo = _mm512_permutex2var_epi64(a, idx_lo, b);
  const __m512i hi = _mm512_permutex2var_epi64(a, idx_hi, b);
  const __m512i m44 = _mm512_set1_epi64(static_cast<long long>(mask44));
  vlimbs o;
  o.v0 = _mm512_and_si512(lo, m44);
  o.v1 = _mm512_and_si512(_mm512_or_si512(srli<44>(lo), slli<20>(hi)),
                          m44);
  o.v2 = _mm512_or_si512(srli<24>(hi), hibit);
  return o;
}

inline __m512i times20(__m512i x) {
  return _mm512_add_epi64(slli<4>(x), slli<2>(x));
}

// Absorbs the whole message (len >= ifma_min_bytes) into h, which is zero on entry. The
// message is seen as ceil(len/16) blocks, preceded by as many zero-valued blocks as make the
// count a multiple of eight (they leave a zero accumulator zero), so every step is a full
// eight-lane one and no block is left for scalar code. Only lengths decide the layout.
inline void vector_all(limbs& h, const limbs& r, const std::uint8_t* m, std::size_t len) {
  // Powers r^1..r^8, with a short dependency chain.
  limbs p[9];
  p[1] = r;
  p[2] = mul(r, r);
  p[3] = mul(p[2], r);
  p[4] = mul(p[2], p[2]);
  p[5] = mul(p[4], r);
  p[6] = mul(p[4], p[2]);
  p[7] = mul(p[4], p[3]);
  p[8] = mul(p[4], p[4]);

  const __m512i idx_lo = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
  const __m512i idx_hi = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
  const __m512i hib = _mm512_set1_epi64(1LL << 40);

  const std::size_t nblocks = (len + 15) / 16;  // >= 16
  const std::size_t lead = (8 - nblocks % 8) % 8;
  const std::size_t chunks = (nblocks + lead) / 8;  // >= 2
  const std::size_t tail = len % 16;                // bytes in a partial last block, or 0

  // First chunk: `lead` zero lanes, then the first 8 - lead blocks (all full).
  vlimbs acc;
  if (lead == 0) {
    acc = load8(m, idx_lo, idx_hi, hib);
    m += 128;
  } else {
    alignas(64) std::uint8_t buf[128] = {};
    std::memcpy(buf + 16 * lead, m, 16 * (8 - lead));
    acc = load8(buf, idx_lo, idx_hi,
                _mm512_maskz_mov_epi64(static_cast<__mmask8>(0xffu << lead), hib));
    m += 16 * (8 - lead);
  }

  const vlimbs r8{_mm512_set1_epi64(static_cast<long long>(p[8].v0)),
                  _mm512_set1_epi64(static_cast<long long>(p[8].v1)),
                  _mm512_set1_epi64(static_cast<long long>(p[8].v2))};
  const __m512i s1 = times20(r8.v1), s2 = times20(r8.v2);
  for (std::size_t i = 1; i + 1 < chunks; ++i, m += 128) {
    const vlimbs t = vmul(acc, r8, s1, s2);
    const vlimbs x = load8(m, idx_lo, idx_hi, hib);
    acc.v0 = _mm512_add_epi64(t.v0, x.v0);
    acc.v1 = _mm512_add_epi64(t.v1, x.v1);
    acc.v2 = _mm512_add_epi64(t.v2, x.v2);
  }
  // Last chunk: its eighth block may be partial (padded with 1, then zeros, no 2^128 bit).
  {
    const vlimbs t = vmul(acc, r8, s1, s2);
    vlimbs x;
    if (tail == 0) {
      x = load8(m, idx_lo, idx_hi, hib);
    } else {
      alignas(64) std::uint8_t buf[128] = {};
      std::memcpy(buf, m, 112 + tail);
      buf[112 + tail] = 1;
      x = load8(buf, idx_lo, idx_hi, _mm512_maskz_mov_epi64(static_cast<__mmask8>(0x7f), hib));
    }
    acc.v0 = _mm512_add_epi64(t.v0, x.v0);
    acc.v1 = _mm512_add_epi64(t.v1, x.v1);
    acc.v2 = _mm512_add_epi64(t.v2, x.v2);
  }
  // Lane j times r^(8-j), then the sum of the lanes.
  const vlimbs rp{
      _mm512_setr_epi64((long long)p[8].v0, (long long)p[7].v0, (long long)p[6].v0,
                        (long long)p[5].v0, (long long)p[4].v0, (long long)p[3].v0,
                        (long long)p[2].v0, (long long)p[1].v0),
      _mm512_setr_epi64((long long)p[8].v1, (long long)p[7].v1, (long long)p[6].v1,
                        (long long)p[5].v1, (long long)p[4].v1, (long long)p[3].v1,
                        (long long)p[2].v1, (long long)p[1].v1),
      _mm512_setr_epi64((long long)p[8].v2, (long long)p[7].v2, (long long)p[6].v2,
                        (long long)p[5].v2, (long long)p[4].v2, (long long)p[3].v2,
                        (long long)p[2].v2, (long long)p[1].v2)};
  const vlimbs t = vmul(acc, rp, times20(rp.v1), times20(rp.v2));
  u64 h0 = lane_sum(t.v0);
  u64 h1 = lane_sum(t.v1);
  u64 h2 = lane_sum(t.v2);
  // Each sum is below 2^48; carry back to loose limbs.
  u64 c = h0 >> 44;
  h0 &= mask44;
  h1 += c;
  c = h1 >> 44;
  h1 &= mask44;
  h2 += c;
  c = h2 >> 42;
  h2 &= mask42;
  h0 += c * 5;
  c = h0 >> 44;
  h0 &= mask44;
  h1 += c;
  h = limbs{h0, h1, h2};
  // The powers of r are key material (one-time, but libsodium wipes its state too).
  explicit_bzero(p, sizeof p);
}

}  // namespace

void poly1305_ifma(std::uint8_t tag[16], const std::uint8_t* msg, std::size_t len,
                   const std::uint8_t key[32]) {
  const u64 t0 = load64(key), t1 = load64(key + 8);
  const limbs r{t0 & 0xffc0fffffffULL, ((t0 >> 44) | (t1 << 20)) & 0xfffffc0ffffULL,
                (t1 >> 24) & 0x00ffffffc0fULL};
  limbs h{0, 0, 0};

  if (len >= ifma_min_bytes) {
    vector_all(h, r, msg, len);
    len = 0;
  }
  const std::size_t full = len / 16;
  scalar_blocks(h, r, msg, full, u64{1} << 40);
  msg += full * 16;
  len -= full * 16;
  if (len > 0) {
    std::uint8_t last[16] = {};
    std::memcpy(last, msg, len);
    last[len] = 1;
    scalar_blocks(h, r, last, 1, 0);
  }

  // Full carry, then h mod p = h or h - p (chosen without a branch), plus s mod 2^128.
  u64 h0 = h.v0, h1 = h.v1, h2 = h.v2, c;
  c = h1 >> 44; h1 &= mask44;
  h2 += c; c = h2 >> 42; h2 &= mask42;
  h0 += c * 5; c = h0 >> 44; h0 &= mask44;
  h1 += c; c = h1 >> 44; h1 &= mask44;
  h2 += c; c = h2 >> 42; h2 &= mask42;
  h0 += c * 5; c = h0 >> 44; h0 &= mask44;
  h1 += c;

  u64 g0 = h0 + 5; c = g0 >> 44; g0 &= mask44;
  u64 g1 = h1 + c; c = g1 >> 44; g1 &= mask44;
  u64 g2 = h2 + c - (u64{1} << 42);

  // g2's top bit is set when h < p: keep h then.
  c = (g2 >> 63) - 1;  // all ones when h >= p
  g0 &= c; g1 &= c; g2 &= c;
  c = ~c;
  h0 = (h0 & c) | g0;
  h1 = (h1 & c) | g1;
  h2 = (h2 & c) | g2;

  const u64 s0 = load64(key + 16), s1 = load64(key + 24);
  h0 += s0 & mask44;
  c = h0 >> 44; h0 &= mask44;
  h1 += (((s0 >> 44) | (s1 << 20)) & mask44) + c;
  c = h1 >> 44; h1 &= mask44;
  h2 += ((s1 >> 24)) + c;
  h2 &= mask42;

  store64(tag, h0 | (h1 << 44));
  store64(tag + 8, (h1 >> 20) | (h2 << 24));
}

}  // namespace ztkit::crypto::internal
