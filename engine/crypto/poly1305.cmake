# Poly1305 (engine/crypto/poly1305.h): libsodium everywhere, plus an AVX-512 IFMA variant on
# x86-64 picked at run time. Included from engine/crypto/CMakeLists.txt in the scope of
# ztkit_crypto; the IFMA file alone gets the AVX-512 flags.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  target_sources(ztkit_crypto PRIVATE internal/poly1305_ifma.cc)
  set_source_files_properties(internal/poly1305_ifma.cc PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512vl;-mavx512ifma")
  # Tells poly1305.cc that the IFMA entry point exists.
  set_source_files_properties(poly1305.cc PROPERTIES
    COMPILE_DEFINITIONS "ZTKIT_POLY1305_X86=1")
endif()
