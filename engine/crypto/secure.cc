#include "engine/crypto/secure.h"

#include <sodium.h>

namespace ztkit::crypto {

void secure_wipe(void* p, std::size_t len) { sodium_memzero(p, len); }

bool constant_time_equal(const void* a, const void* b, std::size_t len) {
  return sodium_memcmp(a, b, len) == 0;
}

}  // namespace ztkit::crypto

#include <cstdio>
#include <cstdlib>

#include "engine/crypto/sodium_init.h"

namespace ztkit::crypto::internal {

sodium_initializer::sodium_initializer() {
  if (sodium_init() < 0) {
    std::fputs("ztkit: libsodium failed to initialise (sodium_init() < 0)\n", stderr);
    std::abort();
  }
}

}  // namespace ztkit::crypto::internal
