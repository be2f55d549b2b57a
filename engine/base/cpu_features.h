// What the CPU we run on can do, read once with CPUID (and XGETBV, so that a feature the OS
// does not save registers for counts as absent). SIMD variants are picked from this.
#pragma once

namespace ztkit {

struct cpu_features {
  bool sse2 = false;
  bool ssse3 = false;
  bool avx2 = false;
  bool avx512f = false;   // AVX-512 Foundation, with OS support for ZMM state
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512ifma = false;  // 52-bit integer multiply-add (vpmadd52luq/huq), with ZMM state
  bool aesni = false;
  bool pclmulqdq = false;
  bool vaes = false;        // VEX/EVEX-encoded AES on YMM/ZMM
  bool vpclmulqdq = false;  // carry-less multiply on YMM/ZMM
};

// The features of this CPU (computed on first call, then cached; thread-safe).
const cpu_features& host_cpu_features();

}  // namespace ztkit
