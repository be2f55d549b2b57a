#include "engine/crypto/poly1305.h"

#include <cstring>

#include <sodium.h>

#include "engine/crypto/secure.h"
#include "engine/crypto/sodium_init.h"

namespace ztkit::crypto {

namespace {
const internal::sodium_initializer sodium_ready;
}  // namespace

void poly1305(std::uint8_t tag[16], const std::uint8_t* msg, std::size_t len,
              const std::uint8_t key[32]) {
  crypto_onetimeauth_poly1305(tag, msg, len, key);
}

void poly1305_mac8(std::uint8_t mac[8], const std::uint8_t* msg, std::size_t len,
                   const std::uint8_t key[32]) {
  std::uint8_t tag[16];
  crypto_onetimeauth_poly1305(tag, msg, len, key);
  std::memcpy(mac, tag, 8);
}

bool poly1305_verify_mac8(const std::uint8_t mac[8], const std::uint8_t* msg, std::size_t len,
                          const std::uint8_t key[32]) {
  std::uint8_t tag[16];
  crypto_onetimeauth_poly1305(tag, msg, len, key);
  return constant_time_equal(tag, mac, 8);
}

}  // namespace ztkit::crypto
