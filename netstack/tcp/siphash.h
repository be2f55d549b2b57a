// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit PRF over short inputs. The TCP
// code keys it with a per-node secret for initial sequence numbers (RFC 6528 §3), timestamp
// offsets and SYN cookies (RFC 4987 §3.6): the outputs must not be predictable off-path.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace ztkit::netstack {

using siphash_key = std::array<std::uint8_t, 16>;

std::uint64_t siphash24(const siphash_key& key, std::span<const std::uint8_t> data);

}  // namespace ztkit::netstack
