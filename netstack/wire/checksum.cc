#include "netstack/wire/checksum.h"

#include <bit>
#include <cstring>

namespace ztkit::netstack::wire::checksum {

std::uint64_t accumulate(std::span<const std::uint8_t> data, std::uint64_t acc) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  // Four independent 32-bit adds per iteration; a 64-bit accumulator cannot overflow for any
  // buffer under 2^32 words.
  while (n >= 16) {
    std::uint32_t w[4];
    std::memcpy(w, p, 16);
    acc += std::uint64_t{w[0]} + w[1] + w[2] + w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // The odd byte is the high byte of a zero-padded big-endian word.
    std::uint8_t pad[2] = {p[0], 0};
    std::uint16_t w;
    std::memcpy(&w, pad, 2);
    acc += w;
  }
  return acc;
}

std::uint16_t fold(std::uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  auto v = static_cast<std::uint16_t>(acc);
  if constexpr (std::endian::native == std::endian::little) {
    v = static_cast<std::uint16_t>((v >> 8) | (v << 8));
  }
  return v;
}

std::uint64_t pseudo_v4(const ipv4_address& src, const ipv4_address& dst, std::uint8_t protocol,
                        std::uint32_t length) {
  std::uint8_t ph[12];
  std::memcpy(ph, src.b.data(), 4);
  std::memcpy(ph + 4, dst.b.data(), 4);
  ph[8] = 0;
  ph[9] = protocol;
  ph[10] = static_cast<std::uint8_t>(length >> 8);
  ph[11] = static_cast<std::uint8_t>(length);
  return accumulate(ph);
}

std::uint64_t pseudo_v6(const ipv6_address& src, const ipv6_address& dst,
                        std::uint8_t next_header, std::uint32_t length) {
  std::uint8_t ph[40];
  std::memcpy(ph, src.b.data(), 16);
  std::memcpy(ph + 16, dst.b.data(), 16);
  ph[32] = static_cast<std::uint8_t>(length >> 24);
  ph[33] = static_cast<std::uint8_t>(length >> 16);
  ph[34] = static_cast<std::uint8_t>(length >> 8);
  ph[35] = static_cast<std::uint8_t>(length);
  ph[36] = ph[37] = ph[38] = 0;
  ph[39] = next_header;
  return accumulate(ph);
}

}  // namespace ztkit::netstack::wire::checksum
