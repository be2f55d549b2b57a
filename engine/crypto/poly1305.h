// Poly1305 one-time authenticator (RFC 8439 §2.5), as ZeroTier's Poly1305::compute.
// ZeroTier packets of cipher suites 0 and 1 carry only the first 8 bytes of the 16-byte tag
// (Packet::armor: "MAC = Poly1305(key, P)[0..8)", ../shared/docs/zerotier-protocol.md §2.2).
//
// Backed by libsodium's crypto_onetimeauth_poly1305, which picks its own SSE2/AVX2 code at run
// time; bench/poly1305_bench.cc measures it (see perf/RESULTS.md). We keep libsodium unless a
// SIMD version of ours measures faster.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ztkit::crypto {

inline constexpr std::size_t poly1305_key_bytes = 32;
inline constexpr std::size_t poly1305_tag_bytes = 16;
inline constexpr std::size_t zerotier_mac_bytes = 8;

void poly1305(std::uint8_t tag[16], const std::uint8_t* msg, std::size_t len,
              const std::uint8_t key[32]);

// The 8-byte MAC that ZeroTier puts in header bytes 19..26.
void poly1305_mac8(std::uint8_t mac[8], const std::uint8_t* msg, std::size_t len,
                   const std::uint8_t key[32]);

// Recomputes the 8-byte MAC and compares in constant time.
bool poly1305_verify_mac8(const std::uint8_t mac[8], const std::uint8_t* msg, std::size_t len,
                          const std::uint8_t key[32]);

}  // namespace ztkit::crypto
