# Salsa20/12 and Salsa20/20 (engine/crypto/salsa20.h): a portable core plus SSE2, AVX2 and
# AVX-512 variants picked at run time. Included from engine/crypto/CMakeLists.txt in the
# scope of target ztkit_crypto. Each SIMD file gets only its own ISA flags, so no generic
# code is ever built for a wider ISA than the CPU it runs on.
target_sources(ztkit_crypto PRIVATE
  salsa20.cc
  internal/salsa20_portable.cc
)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  target_sources(ztkit_crypto PRIVATE
    internal/salsa20_sse2.cc
    internal/salsa20_avx2.cc
    internal/salsa20_avx512.cc
  )
  set_source_files_properties(internal/salsa20_sse2.cc PROPERTIES
    COMPILE_OPTIONS "-msse2")
  set_source_files_properties(internal/salsa20_avx2.cc PROPERTIES
    COMPILE_OPTIONS "-mavx2")
  set_source_files_properties(internal/salsa20_avx512.cc PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl")
  # Tells salsa20.cc that the SIMD entry points exist.
  set_source_files_properties(salsa20.cc PROPERTIES
    COMPILE_DEFINITIONS "ZTKIT_SALSA_X86=1")
endif()
