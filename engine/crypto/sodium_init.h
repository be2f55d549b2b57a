// libsodium must be initialised once before use: sodium_init() picks its SIMD Poly1305 and
// Salsa20 code and seeds its RNG. Each translation unit that calls libsodium holds one of these
// at namespace scope, so initialisation happens before main() however the library is linked.
#pragma once

namespace ztkit::crypto::internal {

struct sodium_initializer {
  sodium_initializer();  // aborts with a message if libsodium cannot initialise
};

}  // namespace ztkit::crypto::internal
