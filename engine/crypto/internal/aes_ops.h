// The interface every AES variant implements (internal/aes_portable.cc, aes_aesni.cc,
// aes_vaes.cc): one table of plain function pointers per variant, picked once at start-up by
// aes_gmac_siv.cc. Only this table crosses between files compiled with different ISA flags;
// no inline function is shared, so no instruction of one ISA can leak into another's caller.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/crypto/internal/aes_key_state.h"

namespace ztkit::crypto::internal {

struct aes_ops {
  void (*encrypt_block)(const aes256_schedule& k, const std::uint8_t in[16],
                        std::uint8_t out[16]);
  void (*decrypt_block)(const aes256_schedule& k, const std::uint8_t in[16],
                        std::uint8_t out[16]);
  void (*ctr32_xor)(const aes256_schedule& k, const std::uint8_t counter_block[16],
                    std::uint8_t* data, std::size_t len);
  void (*gmac)(const aes256_schedule& k, const ghash_powers& h, const std::uint8_t iv12[12],
               const std::uint8_t* aad, std::size_t aad_len, std::uint8_t tag_out[16]);
  void (*siv_encrypt)(const aes256_schedule& k0, const ghash_powers& h0,
                      const aes256_schedule& k1, const std::uint8_t iv[8],
                      const std::uint8_t aad16[16], std::uint8_t* payload, std::size_t len,
                      std::uint8_t tag_out[16]);
  bool (*siv_decrypt)(const aes256_schedule& k0, const ghash_powers& h0,
                      const aes256_schedule& k1, const std::uint8_t tag[16],
                      const std::uint8_t aad16[16], std::uint8_t* payload, std::size_t len);
};

extern const aes_ops portable_aes_ops;
#if defined(__x86_64__)
extern const aes_ops aesni_aes_ops;  // needs AES-NI + PCLMULQDQ + SSE4.1
extern const aes_ops vaes_aes_ops;   // needs VAES + VPCLMULQDQ + AVX-512 F/BW/VL
#endif

// Key setup, portable (once per peer): FIPS-197 key expansion into `s`, and the GHASH powers
// of H = AES(K, 0) into `h`.
void expand_aes256_key(const std::uint8_t key[32], aes256_schedule& s);
void compute_ghash_powers(const aes256_schedule& k, ghash_powers& h);

}  // namespace ztkit::crypto::internal
