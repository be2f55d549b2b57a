# AES-GMAC-SIV (cipher suite 3) and its AES-256 / CTR / GMAC primitives. Included from
# CMakeLists.txt in the scope of ztkit_crypto. Each ISA variant is compiled with only its own
# flags, so nothing outside it can pick up AES-NI or AVX-512 instructions; the variant is
# chosen at run time from CPUID (aes_gmac_siv.cc).
target_sources(ztkit_crypto PRIVATE
  aes_gmac_siv.cc
  kbkdf.cc
  internal/aes_portable.cc
)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  target_sources(ztkit_crypto PRIVATE internal/aes_aesni.cc internal/aes_vaes.cc)
  set_source_files_properties(internal/aes_aesni.cc PROPERTIES
    COMPILE_OPTIONS "-maes;-mpclmul;-msse4.1")
  set_source_files_properties(internal/aes_vaes.cc PROPERTIES
    COMPILE_OPTIONS "-mvaes;-mvpclmulqdq;-mavx512f;-mavx512bw;-mavx512vl;-maes;-mpclmul")
endif()
