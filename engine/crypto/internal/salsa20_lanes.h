// The Salsa20 core written once for any "lane" type V, so that portable (1 lane of
// uint32_t), SSE2 (4 blocks in __m128i), AVX2 (8 in __m256i) and AVX-512 (16 in __m512i)
// share one round function and one tail handling, and differ only in their vector ops.
//
// Layout: x[w] holds state word w of V::lanes consecutive blocks (lane j = block counter+j),
// so a round is plain element-wise add/rotate/xor with no shuffles; V::transpose() turns
// that into block order just before the XOR with the input.
//
// Everything here is in an anonymous namespace on purpose: each file that includes it is
// compiled with different ISA flags, and a shared (inline, external-linkage) copy could let
// the linker keep an AVX-512 build of a helper for the portable code. V types must be
// file-local too.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string.h>  // explicit_bzero

namespace ztkit::crypto::internal {
namespace {

#define ZTKIT_SALSA_INLINE inline __attribute__((always_inline))

// DJB's quarterround with the argument order that makes both the column and the row round
// calls below read straight from the spec (Salsa20 specification §3, §4, §5).
template <class V>
ZTKIT_SALSA_INLINE void salsa_quarter(typename V::vec& a, typename V::vec& b,
                                      typename V::vec& c, typename V::vec& d) {
  b = V::bxor(b, V::template rotl<7>(V::add(a, d)));
  c = V::bxor(c, V::template rotl<9>(V::add(b, a)));
  d = V::bxor(d, V::template rotl<13>(V::add(c, b)));
  a = V::bxor(a, V::template rotl<18>(V::add(d, c)));
}

template <class V, int Rounds>
ZTKIT_SALSA_INLINE void salsa_rounds(typename V::vec x[16]) {
  static_assert(Rounds % 2 == 0);
  for (int i = 0; i < Rounds; i += 2) {
    // Column round.
    salsa_quarter<V>(x[0], x[4], x[8], x[12]);
    salsa_quarter<V>(x[5], x[9], x[13], x[1]);
    salsa_quarter<V>(x[10], x[14], x[2], x[6]);
    salsa_quarter<V>(x[15], x[3], x[7], x[11]);
    // Row round.
    salsa_quarter<V>(x[0], x[1], x[2], x[3]);
    salsa_quarter<V>(x[5], x[6], x[7], x[4]);
    salsa_quarter<V>(x[10], x[11], x[8], x[9]);
    salsa_quarter<V>(x[15], x[12], x[13], x[14]);
  }
}

// Words 8/9 of V::lanes consecutive blocks. The 64-bit block counter is split into word 8
// (low) and 9 (high) per lane; doing the +j in 64 bits here is what carries a low word of
// 0xffffffff into word 9.
template <class V>
ZTKIT_SALSA_INLINE void salsa_counter_lanes(std::uint64_t counter, typename V::vec& c8,
                                            typename V::vec& c9) {
  alignas(64) std::uint32_t lo[V::lanes];
  alignas(64) std::uint32_t hi[V::lanes];
  for (int j = 0; j < V::lanes; ++j) {
    const std::uint64_t c = counter + static_cast<std::uint64_t>(j);
    lo[j] = static_cast<std::uint32_t>(c);
    hi[j] = static_cast<std::uint32_t>(c >> 32);
  }
  c8 = V::load_lanes(lo);
  c9 = V::load_lanes(hi);
}

template <class V>
ZTKIT_SALSA_INLINE void salsa_load_state(typename V::vec x[16], const std::uint32_t s[16],
                                         typename V::vec c8, typename V::vec c9) {
  for (int w = 0; w < 16; ++w) x[w] = V::splat(s[w]);
  x[8] = c8;
  x[9] = c9;
}

// Feed-forward (add the input block), transpose to block order, XOR into out[0..len),
// 0 < len <= 64 * V::lanes. A constant len of 64 * V::lanes folds to the full-batch path.
template <class V>
ZTKIT_SALSA_INLINE void salsa_finish(typename V::vec x[16], std::uint8_t* out,
                                     const std::uint8_t* in, std::size_t len,
                                     const std::uint32_t s[16], typename V::vec c8,
                                     typename V::vec c9) {
  constexpr int lanes = V::lanes;
  constexpr int pieces = 16 / lanes;          // vectors per 64-byte block after transpose
  constexpr int piece_bytes = 64 / pieces;
  for (int w = 0; w < 16; ++w) {
    x[w] = V::add(x[w], w == 8 ? c8 : w == 9 ? c9 : V::splat(s[w]));
  }
  V::transpose(x);  // now x[b * pieces + p] is piece p of block b

  for (int b = 0; b < lanes; ++b) {
    const std::size_t off = static_cast<std::size_t>(b) * 64;
    if (off >= len) break;
    const std::size_t n = std::min<std::size_t>(64, len - off);
    if (n == 64) {
      for (int p = 0; p < pieces; ++p) {
        const std::size_t at = off + static_cast<std::size_t>(p) * piece_bytes;
        V::storeu(out + at, V::bxor(V::loadu(in + at), x[b * pieces + p]));
      }
    } else {
      // Last, partial block: go through a stack copy so that no vector load or store
      // touches bytes past the caller's buffers. Happens at most once per call.
      alignas(64) std::uint8_t tmp[64] = {};
      std::memcpy(tmp, in + off, n);
      for (int p = 0; p < pieces; ++p) {
        std::uint8_t* t = tmp + p * piece_bytes;
        V::storeu(t, V::bxor(V::loadu(t), x[b * pieces + p]));
      }
      std::memcpy(out + off, tmp, n);
      explicit_bzero(tmp, sizeof tmp);
    }
  }
}

// XORs up to V::lanes blocks of keystream (blocks counter .. counter+lanes-1) into
// out[0..len), 0 < len <= 64 * V::lanes.
template <class V, int Rounds>
ZTKIT_SALSA_INLINE void salsa_xor_lanes(std::uint8_t* out, const std::uint8_t* in,
                                        std::size_t len, const std::uint32_t s[16],
                                        std::uint64_t counter) {
  typename V::vec c8, c9, x[16];
  salsa_counter_lanes<V>(counter, c8, c9);
  salsa_load_state<V>(x, s, c8, c9);
  salsa_rounds<V, Rounds>(x);
  salsa_finish<V>(x, out, in, len, s, c8, c9);
}

// Two batches (up to 2 * V::lanes blocks, 64 * V::lanes < len <= 128 * V::lanes) with their
// rounds interleaved: each quarter-round is a chain of 12 dependent instructions, and two
// independent batches keep the vector pipes busy where one alone leaves them waiting on
// latency (AVX-512 on Zen 5: about 1.3x the time of one batch for twice the blocks).
template <class V, int Rounds>
ZTKIT_SALSA_INLINE void salsa_xor_lanes_x2(std::uint8_t* out, const std::uint8_t* in,
                                           std::size_t len, const std::uint32_t s[16],
                                           std::uint64_t counter) {
  using vec = typename V::vec;
  constexpr std::size_t batch = 64 * V::lanes;
  vec c8a, c9a, c8b, c9b, x[16], y[16];
  salsa_counter_lanes<V>(counter, c8a, c9a);
  salsa_counter_lanes<V>(counter + V::lanes, c8b, c9b);
  salsa_load_state<V>(x, s, c8a, c9a);
  salsa_load_state<V>(y, s, c8b, c9b);
  for (int i = 0; i < Rounds; i += 2) {
    salsa_quarter<V>(x[0], x[4], x[8], x[12]);
    salsa_quarter<V>(y[0], y[4], y[8], y[12]);
    salsa_quarter<V>(x[5], x[9], x[13], x[1]);
    salsa_quarter<V>(y[5], y[9], y[13], y[1]);
    salsa_quarter<V>(x[10], x[14], x[2], x[6]);
    salsa_quarter<V>(y[10], y[14], y[2], y[6]);
    salsa_quarter<V>(x[15], x[3], x[7], x[11]);
    salsa_quarter<V>(y[15], y[3], y[7], y[11]);
    salsa_quarter<V>(x[0], x[1], x[2], x[3]);
    salsa_quarter<V>(y[0], y[1], y[2], y[3]);
    salsa_quarter<V>(x[5], x[6], x[7], x[4]);
    salsa_quarter<V>(y[5], y[6], y[7], y[4]);
    salsa_quarter<V>(x[10], x[11], x[8], x[9]);
    salsa_quarter<V>(y[10], y[11], y[8], y[9]);
    salsa_quarter<V>(x[15], x[12], x[13], x[14]);
    salsa_quarter<V>(y[15], y[12], y[13], y[14]);
  }
  salsa_finish<V>(x, out, in, batch, s, c8a, c9a);
  salsa_finish<V>(y, out + batch, in + batch, len - batch, s, c8b, c9b);
}

// One block per "vector", for the portable variant and for the last block of a short
// message in the SIMD ones (one block on four lanes costs more than one block on scalar
// registers). Piece p of a block is its little-endian word p; the byte-wise load and store
// compile to plain moves on little-endian hosts.
struct scalar_lanes {
  using vec = std::uint32_t;
  static constexpr int lanes = 1;

  static ZTKIT_SALSA_INLINE vec splat(std::uint32_t v) { return v; }
  static ZTKIT_SALSA_INLINE vec load_lanes(const std::uint32_t* p) { return *p; }
  static ZTKIT_SALSA_INLINE vec loadu(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
           static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
  }
  static ZTKIT_SALSA_INLINE void storeu(std::uint8_t* p, vec v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p[2] = static_cast<std::uint8_t>(v >> 16);
    p[3] = static_cast<std::uint8_t>(v >> 24);
  }
  static ZTKIT_SALSA_INLINE vec add(vec a, vec b) { return a + b; }
  static ZTKIT_SALSA_INLINE vec bxor(vec a, vec b) { return a ^ b; }
  template <int R>
  static ZTKIT_SALSA_INLINE vec rotl(vec v) {
    return (v << R) | (v >> (32 - R));
  }
  static ZTKIT_SALSA_INLINE void transpose(vec*) {}
};

// The last <= 64 bytes of a SIMD variant's input. Out of line so that a short message does
// not pay for the wide path's stack frame (realigned to 64 bytes, vector spills).
template <int Rounds>
[[gnu::noinline]] void salsa_xor_scalar_tail(std::uint8_t* out, const std::uint8_t* in,
                                             std::size_t len, const std::uint32_t s[16],
                                             std::uint64_t counter) {
  salsa_xor_lanes<scalar_lanes, Rounds>(out, in, len, s, counter);
}

}  // namespace
}  // namespace ztkit::crypto::internal
