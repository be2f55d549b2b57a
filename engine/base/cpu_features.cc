#include "engine/base/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace ztkit {
namespace {

#if defined(__x86_64__) || defined(__i386__)
unsigned long long xgetbv0() {
  unsigned int eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

cpu_features detect() {
  cpu_features f;
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  f.sse2 = (edx >> 26) & 1;
  f.ssse3 = (ecx >> 9) & 1;
  f.aesni = (ecx >> 25) & 1;
  f.pclmulqdq = (ecx >> 1) & 1;
  const bool osxsave = (ecx >> 27) & 1;
  const bool avx = (ecx >> 28) & 1;
  // The OS must save YMM (XCR0 bits 1,2) and, for AVX-512, opmask and ZMM state (bits 5,6,7).
  const unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    f.avx2 = avx && os_ymm && ((ebx >> 5) & 1);
    f.avx512f = os_zmm && ((ebx >> 16) & 1);
    f.avx512bw = f.avx512f && ((ebx >> 30) & 1);
    f.avx512vl = f.avx512f && ((ebx >> 31) & 1);
    f.avx512ifma = f.avx512f && ((ebx >> 21) & 1);
    f.vaes = os_ymm && ((ecx >> 9) & 1);
    f.vpclmulqdq = os_ymm && ((ecx >> 10) & 1);
  }
  return f;
}
#else
cpu_features detect() { return {}; }
#endif

}  // namespace

const cpu_features& host_cpu_features() {
  static const cpu_features features = detect();
  return features;
}

}  // namespace ztkit
