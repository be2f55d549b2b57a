// Salsa20/12 (every ZeroTier packet, cipher suites 0 and 1) and Salsa20/20 (the identity
// address hash), with a 256-bit key, 64-bit nonce and 64-bit block counter, as ZeroTierOne
// 1.14 Salsa20::crypt12/crypt20 and libsodium crypto_stream_salsa2012_xor / _salsa20_xor_ic.
//
// Several implementations sit behind this one interface: portable C++, SSE2, AVX2 (8 blocks
// at once) and AVX-512 (16 blocks at once). The widest that the CPU supports is picked once,
// on first use; the environment variable ZTKIT_SALSA_VARIANT (portable|sse2|avx2|avx512)
// forces one (an unsupported or unknown name is reported on stderr once and ignored).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ztkit {
struct cpu_features;
}

namespace ztkit::crypto {

enum class salsa_variant { portable, sse2, avx2, avx512 };

inline constexpr std::size_t salsa_key_bytes = 32;
inline constexpr std::size_t salsa_nonce_bytes = 8;
inline constexpr std::size_t salsa_block_bytes = 64;

std::string_view to_string(salsa_variant v);
std::optional<salsa_variant> parse_salsa_variant(std::string_view name);

// True if this CPU (and OS) can run `v`. portable is always supported.
bool salsa_variant_supported(salsa_variant v);

// The widest supported variant.
salsa_variant best_salsa_variant();

// Pure selection rule, testable with plain values: `forced` (the environment variable's value,
// or empty) wins when it names a supported variant, otherwise the widest supported one.
salsa_variant choose_salsa_variant(std::string_view forced);

// The same three rules for a given feature set instead of this CPU's, so that selection can
// be tested with plain values (e.g. "avx512 forced on a CPU with only AVX2"). On a non-x86
// build only portable is ever supported.
bool salsa_variant_supported(salsa_variant v, const cpu_features& f);
salsa_variant best_salsa_variant(const cpu_features& f);
salsa_variant choose_salsa_variant(std::string_view forced, const cpu_features& f);

// The variant in use by salsa2012_xor()/salsa20_xor() (chosen on first call, then fixed).
salsa_variant active_salsa_variant();

// out[i] = in[i] ^ keystream[64*counter + i] for i < len; out == in (in place) is allowed,
// other overlap is not. `rounds` is 12 or 20 (other values: std::abort, a programming error).
void salsa_xor(salsa_variant v, int rounds, std::uint8_t* out, const std::uint8_t* in,
               std::size_t len, const std::uint8_t key[32], const std::uint8_t nonce[8],
               std::uint64_t counter = 0);

// The same on the active variant. These are the calls the dataplane uses.
void salsa2012_xor(std::uint8_t* out, const std::uint8_t* in, std::size_t len,
                   const std::uint8_t key[32], const std::uint8_t nonce[8],
                   std::uint64_t counter = 0);
void salsa20_xor(std::uint8_t* out, const std::uint8_t* in, std::size_t len,
                 const std::uint8_t key[32], const std::uint8_t nonce[8],
                 std::uint64_t counter = 0);

}  // namespace ztkit::crypto
