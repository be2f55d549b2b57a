// Poly1305 one-time authenticator (RFC 8439 §2.5), as ZeroTier's Poly1305::compute.
// ZeroTier packets of cipher suites 0 and 1 carry only the first 8 bytes of the 16-byte tag
// (Packet::armor: "MAC = Poly1305(key, P)[0..8)", ../shared/docs/zerotier-protocol.md §2.2).
//
// Two variants, picked once at run time (poly1305_variant below): libsodium's
// crypto_onetimeauth_poly1305 (its own SSE2/AVX2 code), the portable fallback, and ours,
// AVX-512 IFMA in radix 2^44 with eight blocks per step (internal/poly1305_ifma.cc), active
// wherever the CPU has it because it measures faster at every ZeroTier packet size:
// bench/poly1305_bench.cc, medians of 5 interleaved repetitions, BM_poly1305/{ifma,libsodium}:
//   64 B: 32.8 vs 45.4 ns (1.38x)   1400 B: 161 vs 331 ns (2.06x)
//   2800 B: 260 vs 618 ns (2.38x)   9000 B: 710 vs 1924 ns (2.71x)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ztkit::crypto {

inline constexpr std::size_t poly1305_key_bytes = 32;
inline constexpr std::size_t poly1305_tag_bytes = 16;
inline constexpr std::size_t zerotier_mac_bytes = 8;

// libsodium: crypto_onetimeauth_poly1305, on every CPU. ifma: ours, AVX-512 IFMA
// (internal/poly1305_ifma.cc), on x86-64 CPUs with AVX-512F/VL and IFMA.
enum class poly1305_variant { libsodium, ifma };

std::string_view to_string(poly1305_variant v);
std::optional<poly1305_variant> parse_poly1305_variant(std::string_view name);  // exact names
bool poly1305_variant_supported(poly1305_variant v);  // on this CPU; libsodium always

// The variant poly1305()/poly1305_mac8()/poly1305_verify_mac8() use, chosen on first call:
// ZTKIT_POLY1305_VARIANT=libsodium|ifma forces one (an unknown or unsupported name prints one
// line on stderr and is ignored); otherwise ifma where supported, else libsodium.
poly1305_variant active_poly1305_variant();

// An explicit variant (for tests and benchmarks); `v` must be supported (else std::abort).
void poly1305(poly1305_variant v, std::uint8_t tag[16], const std::uint8_t* msg,
              std::size_t len, const std::uint8_t key[32]);

void poly1305(std::uint8_t tag[16], const std::uint8_t* msg, std::size_t len,
              const std::uint8_t key[32]);

// The 8-byte MAC that ZeroTier puts in header bytes 19..26.
void poly1305_mac8(std::uint8_t mac[8], const std::uint8_t* msg, std::size_t len,
                   const std::uint8_t key[32]);

// Recomputes the 8-byte MAC and compares in constant time.
bool poly1305_verify_mac8(const std::uint8_t mac[8], const std::uint8_t* msg, std::size_t len,
                          const std::uint8_t key[32]);

}  // namespace ztkit::crypto
