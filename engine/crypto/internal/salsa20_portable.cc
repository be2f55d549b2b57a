// Portable Salsa20: the shared lane core with one 32-bit lane (scalar_lanes), i.e. one
// block at a time.
// Also holds salsa_init_state(), which every variant uses; being in this file means it is
// always compiled with the generic flags.
#include "engine/crypto/internal/salsa20_impl.h"
#include "engine/crypto/internal/salsa20_lanes.h"

namespace ztkit::crypto::internal {
namespace {

template <int Rounds>
void run(std::uint8_t* out, const std::uint8_t* in, std::size_t len,
         const std::uint32_t state[16], std::uint64_t counter) {
  for (; len >= 64; len -= 64, in += 64, out += 64, ++counter) {
    salsa_xor_lanes<scalar_lanes, Rounds>(out, in, 64, state, counter);
  }
  if (len > 0) salsa_xor_lanes<scalar_lanes, Rounds>(out, in, len, state, counter);
}

}  // namespace

void salsa_init_state(std::uint32_t state[16], const std::uint8_t* key,
                      const std::uint8_t* nonce) {
  // "expand 32-byte k" on the diagonal; key halves in words 1..4 and 11..14; nonce in 6, 7;
  // block counter (filled per block by the variants) in 8, 9.
  state[0] = 0x61707865;
  state[5] = 0x3320646e;
  state[10] = 0x79622d32;
  state[15] = 0x6b206574;
  for (int i = 0; i < 4; ++i) {
    state[1 + i] = scalar_lanes::loadu(key + 4 * i);
    state[11 + i] = scalar_lanes::loadu(key + 16 + 4 * i);
  }
  state[6] = scalar_lanes::loadu(nonce);
  state[7] = scalar_lanes::loadu(nonce + 4);
  state[8] = 0;
  state[9] = 0;
}

void salsa_xor_portable(int rounds, std::uint8_t* out, const std::uint8_t* in,
                        std::size_t len, const std::uint8_t* key, const std::uint8_t* nonce,
                        std::uint64_t counter) {
  std::uint32_t state[16];
  salsa_init_state(state, key, nonce);
  if (rounds == 20) {
    run<20>(out, in, len, state, counter);
  } else {
    run<12>(out, in, len, state, counter);
  }
  explicit_bzero(state, sizeof state);
}

}  // namespace ztkit::crypto::internal
