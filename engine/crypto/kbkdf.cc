// KBKDF-HMAC-SHA384 (NIST SP 800-108 counter mode, one iteration), as ZeroTierOne 1.14
// KBKDFHMACSHA384 (node/SHA512.cpp) used by Peer::Peer to derive the AES-GMAC-SIV keys K0/K1
// from the 48-byte agreed key (../shared/docs/zerotier-protocol.md §2.1, agree.json).
// Once per peer, so OpenSSL's one-shot HMAC is fine here.
#include <cstdlib>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "engine/crypto/aes_gmac_siv.h"

namespace ztkit::crypto {

void kbkdf_hmac_sha384(const std::uint8_t key48[48], char label, char context,
                       std::uint8_t out48[48]) {
  // BE32(iter = 0) 'Z' 'T' label 0x00 context BE32(L = 384 bits) — 13 bytes (agree.json
  // kbkdf_message_13).
  const std::uint8_t msg[13] = {0,    0,    0,    0,    'Z',  'T',
                                static_cast<std::uint8_t>(label),
                                0,    static_cast<std::uint8_t>(context),
                                0,    0,    0x01, 0x80};
  unsigned int out_len = 0;
  if (HMAC(EVP_sha384(), key48, 48, msg, sizeof msg, out48, &out_len) == nullptr ||
      out_len != 48) {
    std::abort();  // libcrypto without SHA-384 cannot run ZeroTier at all
  }
}

}  // namespace ztkit::crypto
