#include "engine/crypto/poly1305.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include "engine/base/cpu_features.h"
#include "engine/crypto/secure.h"
#include "engine/crypto/sodium_init.h"

namespace ztkit::crypto {

#if defined(ZTKIT_POLY1305_X86)
namespace internal {
void poly1305_ifma(std::uint8_t tag[16], const std::uint8_t* msg, std::size_t len,
                   const std::uint8_t key[32]);
}  // namespace internal
#endif

namespace {
const internal::sodium_initializer sodium_ready;

using poly1305_fn = void (*)(std::uint8_t*, const std::uint8_t*, std::size_t,
                             const std::uint8_t*);

void poly1305_libsodium(std::uint8_t tag[16], const std::uint8_t* msg, std::size_t len,
                        const std::uint8_t key[32]) {
  crypto_onetimeauth_poly1305(tag, msg, len, key);
}

poly1305_fn impl_of(poly1305_variant v) {
  switch (v) {
#if defined(ZTKIT_POLY1305_X86)
    case poly1305_variant::ifma: return internal::poly1305_ifma;
#endif
    default: return poly1305_libsodium;
  }
}

poly1305_variant best_variant() {
  return poly1305_variant_supported(poly1305_variant::ifma) ? poly1305_variant::ifma
                                                            : poly1305_variant::libsodium;
}

struct active_choice {
  poly1305_variant variant;
  poly1305_fn fn;
};

active_choice choose_from_environment() {
  poly1305_variant v = best_variant();
  if (const char* env = std::getenv("ZTKIT_POLY1305_VARIANT"); env && *env) {
    const std::string_view best = to_string(v);
    const auto parsed = parse_poly1305_variant(env);
    if (!parsed) {
      std::fprintf(stderr,
                   "ztkit: ZTKIT_POLY1305_VARIANT=%s is not one of libsodium|ifma; using %.*s\n",
                   env, static_cast<int>(best.size()), best.data());
    } else if (!poly1305_variant_supported(*parsed)) {
      std::fprintf(stderr,
                   "ztkit: ZTKIT_POLY1305_VARIANT=%s is not supported by this CPU; using %.*s\n",
                   env, static_cast<int>(best.size()), best.data());
    } else {
      v = *parsed;
    }
  }
  return {v, impl_of(v)};
}

// Function-local static: initialised once, thread-safe; the hot path does no CPUID or getenv.
const active_choice& active() {
  static const active_choice choice = choose_from_environment();
  return choice;
}

}  // namespace

std::string_view to_string(poly1305_variant v) {
  switch (v) {
    case poly1305_variant::libsodium: return "libsodium";
    case poly1305_variant::ifma: return "ifma";
  }
  return "unknown";
}

std::optional<poly1305_variant> parse_poly1305_variant(std::string_view name) {
  for (const poly1305_variant v : {poly1305_variant::libsodium, poly1305_variant::ifma}) {
    if (name == to_string(v)) return v;
  }
  return std::nullopt;
}

bool poly1305_variant_supported(poly1305_variant v) {
  switch (v) {
    case poly1305_variant::libsodium: return true;
    case poly1305_variant::ifma: {
#if defined(ZTKIT_POLY1305_X86)
      const cpu_features& f = host_cpu_features();
      return f.avx512f && f.avx512vl && f.avx512ifma;
#else
      return false;
#endif
    }
  }
  return false;
}

poly1305_variant active_poly1305_variant() { return active().variant; }

void poly1305(poly1305_variant v, std::uint8_t tag[16], const std::uint8_t* msg,
              std::size_t len, const std::uint8_t key[32]) {
  if (!poly1305_variant_supported(v)) std::abort();
  impl_of(v)(tag, msg, len, key);
}

void poly1305(std::uint8_t tag[16], const std::uint8_t* msg, std::size_t len,
              const std::uint8_t key[32]) {
  active().fn(tag, msg, len, key);
}

void poly1305_mac8(std::uint8_t mac[8], const std::uint8_t* msg, std::size_t len,
                   const std::uint8_t key[32]) {
  std::uint8_t tag[16];
  active().fn(tag, msg, len, key);
  std::memcpy(mac, tag, 8);
}

bool poly1305_verify_mac8(const std::uint8_t mac[8], const std::uint8_t* msg, std::size_t len,
                          const std::uint8_t key[32]) {
  std::uint8_t tag[16];
  active().fn(tag, msg, len, key);
  return constant_time_equal(tag, mac, 8);
}

}  // namespace ztkit::crypto
