// The extent of a serialized CertificateOfMembership inside a larger payload (EXT_FRAME,
// MULTICAST_GATHER, MULTICAST_FRAME, NETWORK_CREDENTIALS), without interpreting it
// (ZeroTierOne 1.14 CertificateOfMembership::deserialize; zerotier-protocol.md §5.5):
//   [1 = 0x01][2 qualifier count q][q x 24][5 signer][96 signature if signer != 0]
// Verb parsers use this to cut the COM out as bytes; com.h interprets them.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "engine/wire/bytes.h"

namespace ztkit::wire {

// 1.14 accepts at most 8 qualifiers (ZT_NETWORK_COM_MAX_QUALIFIERS).
inline constexpr std::size_t com_max_qualifiers = 8;

// Reads a whole COM from `r` and returns its bytes (empty span and !r.ok() if it is truncated,
// starts with another byte than 0x01, or has more than 8 qualifiers).
inline std::span<const std::uint8_t> read_com_bytes(reader& r) {
  reader probe = r;
  const std::size_t start = probe.position();
  if (probe.u8() != 0x01) probe.fail();
  const std::size_t q = probe.be16();
  if (q > com_max_qualifiers) probe.fail();
  probe.skip(q * 24);
  const std::uint64_t signer = probe.be40();
  if (signer != 0) probe.skip(96);
  if (!probe.ok()) {
    r.fail();
    return {};
  }
  return r.bytes(probe.position() - start);
}

}  // namespace ztkit::wire
