// Lane types for salsa20_lanes.h on x86: 4 blocks in __m128i, 8 in __m256i, 16 in __m512i.
// Each is defined only when the including file is compiled with that ISA, and rotations use
// the AVX-512VL vprold when available (one instruction instead of shift, shift, or).
// File-local (anonymous namespace) for the same reason as salsa20_lanes.h.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "engine/crypto/internal/salsa20_lanes.h"

namespace ztkit::crypto::internal {
namespace {

#if defined(__SSE2__)
struct xmm_lanes {
  using vec = __m128i;
  static constexpr int lanes = 4;

  static ZTKIT_SALSA_INLINE vec splat(std::uint32_t v) {
    return _mm_set1_epi32(static_cast<int>(v));
  }
  static ZTKIT_SALSA_INLINE vec load_lanes(const std::uint32_t* p) {
    return _mm_load_si128(reinterpret_cast<const __m128i*>(p));
  }
  static ZTKIT_SALSA_INLINE vec loadu(const std::uint8_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  static ZTKIT_SALSA_INLINE void storeu(std::uint8_t* p, vec v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
  }
  static ZTKIT_SALSA_INLINE vec add(vec a, vec b) { return _mm_add_epi32(a, b); }
  static ZTKIT_SALSA_INLINE vec bxor(vec a, vec b) { return _mm_xor_si128(a, b); }
  template <int R>
  static ZTKIT_SALSA_INLINE vec rotl(vec v) {
#if defined(__AVX512VL__)
    return _mm_rol_epi32(v, R);
#else
    return _mm_or_si128(_mm_slli_epi32(v, R), _mm_srli_epi32(v, 32 - R));
#endif
  }

  // Per group of four words, a 4x4 transpose of 32-bit elements: afterwards vector
  // 4 * b + g holds words 4g..4g+3 of block b.
  static ZTKIT_SALSA_INLINE void transpose(vec x[16]) {
    vec y[16];
    for (int g = 0; g < 4; ++g) {
      const vec t0 = _mm_unpacklo_epi32(x[4 * g + 0], x[4 * g + 1]);
      const vec t1 = _mm_unpacklo_epi32(x[4 * g + 2], x[4 * g + 3]);
      const vec t2 = _mm_unpackhi_epi32(x[4 * g + 0], x[4 * g + 1]);
      const vec t3 = _mm_unpackhi_epi32(x[4 * g + 2], x[4 * g + 3]);
      y[0 + g] = _mm_unpacklo_epi64(t0, t1);
      y[4 + g] = _mm_unpackhi_epi64(t0, t1);
      y[8 + g] = _mm_unpacklo_epi64(t2, t3);
      y[12 + g] = _mm_unpackhi_epi64(t2, t3);
    }
    for (int i = 0; i < 16; ++i) x[i] = y[i];
  }
};
#endif

#if defined(__AVX2__)
struct ymm_lanes {
  using vec = __m256i;
  static constexpr int lanes = 8;

  static ZTKIT_SALSA_INLINE vec splat(std::uint32_t v) {
    return _mm256_set1_epi32(static_cast<int>(v));
  }
  static ZTKIT_SALSA_INLINE vec load_lanes(const std::uint32_t* p) {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
  }
  static ZTKIT_SALSA_INLINE vec loadu(const std::uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static ZTKIT_SALSA_INLINE void storeu(std::uint8_t* p, vec v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
  }
  static ZTKIT_SALSA_INLINE vec add(vec a, vec b) { return _mm256_add_epi32(a, b); }
  static ZTKIT_SALSA_INLINE vec bxor(vec a, vec b) { return _mm256_xor_si256(a, b); }
  template <int R>
  static ZTKIT_SALSA_INLINE vec rotl(vec v) {
#if defined(__AVX512VL__)
    return _mm256_rol_epi32(v, R);
#else
    return _mm256_or_si256(_mm256_slli_epi32(v, R), _mm256_srli_epi32(v, 32 - R));
#endif
  }

  // 8x8 transpose: unpacks give, per 128-bit half L and word group g, words 4g..4g+3 of
  // block 4L+k; the 128-bit permutes then join groups 0,1 (bytes 0..31) and 2,3 (32..63).
  // Afterwards vector 2 * b + p holds bytes 32p..32p+31 of block b.
  static ZTKIT_SALSA_INLINE void transpose(vec x[16]) {
    vec u[4][4];
    for (int g = 0; g < 4; ++g) {
      const vec t0 = _mm256_unpacklo_epi32(x[4 * g + 0], x[4 * g + 1]);
      const vec t1 = _mm256_unpacklo_epi32(x[4 * g + 2], x[4 * g + 3]);
      const vec t2 = _mm256_unpackhi_epi32(x[4 * g + 0], x[4 * g + 1]);
      const vec t3 = _mm256_unpackhi_epi32(x[4 * g + 2], x[4 * g + 3]);
      u[g][0] = _mm256_unpacklo_epi64(t0, t1);
      u[g][1] = _mm256_unpackhi_epi64(t0, t1);
      u[g][2] = _mm256_unpacklo_epi64(t2, t3);
      u[g][3] = _mm256_unpackhi_epi64(t2, t3);
    }
    for (int k = 0; k < 4; ++k) {
      x[2 * k + 0] = _mm256_permute2x128_si256(u[0][k], u[1][k], 0x20);
      x[2 * k + 1] = _mm256_permute2x128_si256(u[2][k], u[3][k], 0x20);
      x[2 * (k + 4) + 0] = _mm256_permute2x128_si256(u[0][k], u[1][k], 0x31);
      x[2 * (k + 4) + 1] = _mm256_permute2x128_si256(u[2][k], u[3][k], 0x31);
    }
  }
};
#endif

#if defined(__AVX512F__)
struct zmm_lanes {
  using vec = __m512i;
  static constexpr int lanes = 16;

  static ZTKIT_SALSA_INLINE vec splat(std::uint32_t v) {
    return _mm512_set1_epi32(static_cast<int>(v));
  }
  static ZTKIT_SALSA_INLINE vec load_lanes(const std::uint32_t* p) {
    return _mm512_load_si512(p);
  }
  static ZTKIT_SALSA_INLINE vec loadu(const std::uint8_t* p) { return _mm512_loadu_si512(p); }
  static ZTKIT_SALSA_INLINE void storeu(std::uint8_t* p, vec v) { _mm512_storeu_si512(p, v); }
  static ZTKIT_SALSA_INLINE vec add(vec a, vec b) { return _mm512_add_epi32(a, b); }
  static ZTKIT_SALSA_INLINE vec bxor(vec a, vec b) { return _mm512_xor_si512(a, b); }
  template <int R>
  static ZTKIT_SALSA_INLINE vec rotl(vec v) {
    return _mm512_rol_epi32(v, R);
  }

  // 16x16 transpose: unpacks give, per 128-bit lane L and word group g, words 4g..4g+3 of
  // block 4L+k (u[g][k]); two rounds of vshufi32x4 then transpose the 4x4 grid of 128-bit
  // lanes. Afterwards vector b holds all 64 bytes of block b.
  static ZTKIT_SALSA_INLINE void transpose(vec x[16]) {
    vec u[4][4];
    for (int g = 0; g < 4; ++g) {
      const vec t0 = _mm512_unpacklo_epi32(x[4 * g + 0], x[4 * g + 1]);
      const vec t1 = _mm512_unpacklo_epi32(x[4 * g + 2], x[4 * g + 3]);
      const vec t2 = _mm512_unpackhi_epi32(x[4 * g + 0], x[4 * g + 1]);
      const vec t3 = _mm512_unpackhi_epi32(x[4 * g + 2], x[4 * g + 3]);
      u[g][0] = _mm512_unpacklo_epi64(t0, t1);
      u[g][1] = _mm512_unpackhi_epi64(t0, t1);
      u[g][2] = _mm512_unpacklo_epi64(t2, t3);
      u[g][3] = _mm512_unpackhi_epi64(t2, t3);
    }
    for (int k = 0; k < 4; ++k) {
      const vec a = _mm512_shuffle_i32x4(u[0][k], u[1][k], 0x44);  // g0.L0 g0.L1 g1.L0 g1.L1
      const vec b = _mm512_shuffle_i32x4(u[2][k], u[3][k], 0x44);  // g2.L0 g2.L1 g3.L0 g3.L1
      const vec c = _mm512_shuffle_i32x4(u[0][k], u[1][k], 0xee);  // g0.L2 g0.L3 g1.L2 g1.L3
      const vec d = _mm512_shuffle_i32x4(u[2][k], u[3][k], 0xee);  // g2.L2 g2.L3 g3.L2 g3.L3
      x[0 + k] = _mm512_shuffle_i32x4(a, b, 0x88);   // block k
      x[4 + k] = _mm512_shuffle_i32x4(a, b, 0xdd);   // block 4+k
      x[8 + k] = _mm512_shuffle_i32x4(c, d, 0x88);   // block 8+k
      x[12 + k] = _mm512_shuffle_i32x4(c, d, 0xdd);  // block 12+k
    }
  }
};
#endif

}  // namespace
}  // namespace ztkit::crypto::internal
