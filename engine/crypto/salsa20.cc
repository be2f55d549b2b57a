// Salsa20 variant naming, selection and dispatch. The implementations live in internal/;
// this file only decides which one runs, once, and calls it through a function pointer, so
// the hot path does no CPUID and no getenv.
#include "engine/crypto/salsa20.h"

#include <cstdio>
#include <cstdlib>

#include "engine/base/cpu_features.h"
#include "engine/crypto/internal/salsa20_impl.h"

namespace ztkit::crypto {
namespace {

constexpr salsa_variant widest_first[] = {salsa_variant::avx512, salsa_variant::avx2,
                                          salsa_variant::sse2, salsa_variant::portable};

internal::salsa_xor_fn impl_of(salsa_variant v) {
  switch (v) {
#if defined(ZTKIT_SALSA_X86)
    case salsa_variant::sse2: return internal::salsa_xor_sse2;
    case salsa_variant::avx2: return internal::salsa_xor_avx2;
    case salsa_variant::avx512: return internal::salsa_xor_avx512;
#endif
    default: return internal::salsa_xor_portable;
  }
}

struct active_choice {
  salsa_variant variant;
  internal::salsa_xor_fn fn;
};

active_choice choose_from_environment() {
  const char* env = std::getenv("ZTKIT_SALSA_VARIANT");
  const std::string_view forced = env ? env : "";
  if (!forced.empty()) {
    const std::string_view best = to_string(best_salsa_variant());
    const auto parsed = parse_salsa_variant(forced);
    if (!parsed) {
      std::fprintf(stderr,
                   "ztkit: ZTKIT_SALSA_VARIANT=%s is not one of portable|sse2|avx2|avx512; "
                   "using %.*s\n",
                   env, static_cast<int>(best.size()), best.data());
    } else if (!salsa_variant_supported(*parsed)) {
      std::fprintf(stderr, "ztkit: ZTKIT_SALSA_VARIANT=%s is not supported by this CPU; "
                           "using %.*s\n",
                   env, static_cast<int>(best.size()), best.data());
    }
  }
  const salsa_variant v = choose_salsa_variant(forced);
  return {v, impl_of(v)};
}

// Function-local static: initialised once, thread-safe (C++11 magic statics).
const active_choice& active() {
  static const active_choice choice = choose_from_environment();
  return choice;
}

void check_rounds(int rounds) {
  // Anything else is a programming error, not a runtime condition.
  if (rounds != 12 && rounds != 20) std::abort();
}

}  // namespace

std::string_view to_string(salsa_variant v) {
  switch (v) {
    case salsa_variant::portable: return "portable";
    case salsa_variant::sse2: return "sse2";
    case salsa_variant::avx2: return "avx2";
    case salsa_variant::avx512: return "avx512";
  }
  return "unknown";
}

std::optional<salsa_variant> parse_salsa_variant(std::string_view name) {
  for (const salsa_variant v : widest_first) {
    if (name == to_string(v)) return v;
  }
  return std::nullopt;
}

bool salsa_variant_supported(salsa_variant v, const cpu_features& f) {
#if defined(ZTKIT_SALSA_X86)
  switch (v) {
    case salsa_variant::portable: return true;
    case salsa_variant::sse2: return f.sse2;
    case salsa_variant::avx2: return f.avx2;
    // The AVX-512 file uses BW/VL (byte-granular and 256/128-bit EVEX forms) besides F.
    case salsa_variant::avx512: return f.avx512f && f.avx512bw && f.avx512vl;
  }
  return false;
#else
  return v == salsa_variant::portable;
#endif
}

salsa_variant best_salsa_variant(const cpu_features& f) {
  for (const salsa_variant v : widest_first) {
    if (salsa_variant_supported(v, f)) return v;
  }
  return salsa_variant::portable;
}

salsa_variant choose_salsa_variant(std::string_view forced, const cpu_features& f) {
  if (const auto v = parse_salsa_variant(forced); v && salsa_variant_supported(*v, f)) {
    return *v;
  }
  return best_salsa_variant(f);
}

bool salsa_variant_supported(salsa_variant v) {
  return salsa_variant_supported(v, host_cpu_features());
}

salsa_variant best_salsa_variant() { return best_salsa_variant(host_cpu_features()); }

salsa_variant choose_salsa_variant(std::string_view forced) {
  return choose_salsa_variant(forced, host_cpu_features());
}

salsa_variant active_salsa_variant() { return active().variant; }

void salsa_xor(salsa_variant v, int rounds, std::uint8_t* out, const std::uint8_t* in,
               std::size_t len, const std::uint8_t key[32], const std::uint8_t nonce[8],
               std::uint64_t counter) {
  check_rounds(rounds);
  // Running a variant the CPU lacks would be SIGILL somewhere deep inside; fail here instead.
  if (!salsa_variant_supported(v)) std::abort();
  impl_of(v)(rounds, out, in, len, key, nonce, counter);
}

void salsa2012_xor(std::uint8_t* out, const std::uint8_t* in, std::size_t len,
                   const std::uint8_t key[32], const std::uint8_t nonce[8],
                   std::uint64_t counter) {
  active().fn(12, out, in, len, key, nonce, counter);
}

void salsa20_xor(std::uint8_t* out, const std::uint8_t* in, std::size_t len,
                 const std::uint8_t key[32], const std::uint8_t nonce[8],
                 std::uint64_t counter) {
  active().fn(20, out, in, len, key, nonce, counter);
}

}  // namespace ztkit::crypto
