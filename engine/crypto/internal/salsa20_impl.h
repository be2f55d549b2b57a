// Private to engine/crypto: one entry point per Salsa20 implementation, all with the same
// contract as ztkit::crypto::salsa_xor() (rounds already checked to be 12 or 20). salsa20.cc
// picks one of these once and calls it through a function pointer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ztkit::crypto::internal {

using salsa_xor_fn = void (*)(int rounds, std::uint8_t* out, const std::uint8_t* in,
                              std::size_t len, const std::uint8_t* key,
                              const std::uint8_t* nonce, std::uint64_t counter);

// The 16-word input block (DJB, "Salsa20 specification" §9/§10) with the counter words 8/9
// left zero: every variant fills those per block itself. Lives in the portable file so that
// no SIMD file's ISA flags ever reach it.
void salsa_init_state(std::uint32_t state[16], const std::uint8_t* key,
                      const std::uint8_t* nonce);

void salsa_xor_portable(int rounds, std::uint8_t* out, const std::uint8_t* in,
                        std::size_t len, const std::uint8_t* key, const std::uint8_t* nonce,
                        std::uint64_t counter);

// Only compiled on x86-64 (ZTKIT_SALSA_X86 set by salsa20.cmake); callers check the CPU.
void salsa_xor_sse2(int rounds, std::uint8_t* out, const std::uint8_t* in, std::size_t len,
                    const std::uint8_t* key, const std::uint8_t* nonce,
                    std::uint64_t counter);
void salsa_xor_avx2(int rounds, std::uint8_t* out, const std::uint8_t* in, std::size_t len,
                    const std::uint8_t* key, const std::uint8_t* nonce,
                    std::uint64_t counter);
void salsa_xor_avx512(int rounds, std::uint8_t* out, const std::uint8_t* in,
                      std::size_t len, const std::uint8_t* key, const std::uint8_t* nonce,
                      std::uint64_t counter);

}  // namespace ztkit::crypto::internal
