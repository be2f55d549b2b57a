#include "netstack/wire/arp.h"

#include <cstring>

namespace ztkit::netstack::wire {

std::optional<arp_repr> arp_repr::parse(const arp_packet& p) {
  std::uint16_t op = p.operation();
  if (op != request && op != reply) return std::nullopt;
  return arp_repr{op, p.sender_hw(), p.sender_ip(), p.target_hw(), p.target_ip()};
}

void arp_repr::emit(std::span<std::uint8_t> out) const {
  using ztkit::wire::store_be16;
  std::uint8_t* p = out.data();
  store_be16(p, 1);
  store_be16(p + 2, 0x0800);
  p[4] = 6;
  p[5] = 4;
  store_be16(p + 6, operation);
  std::memcpy(p + 8, sender_hw.bytes.data(), 6);
  std::memcpy(p + 14, sender_ip.b.data(), 4);
  std::memcpy(p + 18, target_hw.bytes.data(), 6);
  std::memcpy(p + 24, target_ip.b.data(), 4);
}

}  // namespace ztkit::netstack::wire
