// The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers (RFC 768, RFC 8200 §8.1).
//
// The ones'-complement sum does not depend on byte order (RFC 1071 §2(B)), so `accumulate` adds
// native-order 32-bit words into a 64-bit accumulator (no carry handling in the loop) and `fold`
// turns the total into the 16-bit big-endian-valued sum at the end. Parts summed one after the
// other must each have an even length except the last (every header is even; the payload is
// last), exactly as when the bytes were contiguous.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "netstack/wire/ip_address.h"

namespace ztkit::netstack::wire::checksum {

// Adds `data` to a running sum.
std::uint64_t accumulate(std::span<const std::uint8_t> data, std::uint64_t acc = 0);

// The 16-bit ones'-complement sum of everything accumulated, as a host-order number whose
// big-endian bytes are the sum on the wire. Not complemented.
std::uint16_t fold(std::uint64_t acc);

// ~fold(accumulate(data)): the value to store in a header checksum field; a received header
// whose checksum covers itself verifies when `compute(header) == 0`.
inline std::uint16_t compute(std::span<const std::uint8_t> data) {
  return static_cast<std::uint16_t>(~fold(accumulate(data)));
}

// The pseudo-header sums for a transport checksum.
std::uint64_t pseudo_v4(const ipv4_address& src, const ipv4_address& dst, std::uint8_t protocol,
                        std::uint32_t length);
std::uint64_t pseudo_v6(const ipv6_address& src, const ipv6_address& dst,
                        std::uint8_t next_header, std::uint32_t length);

}  // namespace ztkit::netstack::wire::checksum
