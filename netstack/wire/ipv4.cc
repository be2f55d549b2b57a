#include "netstack/wire/ipv4.h"

#include <cstring>

#include "netstack/wire/checksum.h"

namespace ztkit::netstack::wire {

std::optional<ipv4_packet> ipv4_packet::new_checked(std::span<const std::uint8_t> b) {
  if (b.size() < min_header_len) return std::nullopt;
  if ((b[0] >> 4) != 4) return std::nullopt;
  std::size_t hl = std::size_t{b[0] & 0x0fu} * 4;
  if (hl < min_header_len || hl > b.size()) return std::nullopt;
  std::size_t total = ztkit::wire::load_be16(b.data() + 2);
  if (total < hl || total > b.size()) return std::nullopt;
  return ipv4_packet(b);
}

bool ipv4_packet::verify_checksum() const { return checksum::compute(header()) == 0; }

std::optional<ipv4_repr> ipv4_repr::parse(const ipv4_packet& p) {
  if (!p.verify_checksum()) return std::nullopt;
  ipv4_repr r;
  r.src = p.src();
  r.dst = p.dst();
  r.protocol = p.protocol();
  r.payload_len = static_cast<std::uint16_t>(p.total_len() - p.header_len());
  r.ttl = p.ttl();
  r.ident = p.ident();
  r.dont_fragment = p.dont_fragment();
  r.more_fragments = p.more_fragments();
  r.frag_offset = p.frag_offset();
  return r;
}

void ipv4_repr::emit(std::span<std::uint8_t> out) const {
  using ztkit::wire::store_be16;
  std::uint8_t* p = out.data();
  p[0] = 0x45;
  p[1] = 0;
  store_be16(p + 2, static_cast<std::uint16_t>(buffer_len() + payload_len));
  store_be16(p + 4, ident);
  std::uint16_t ff = static_cast<std::uint16_t>((frag_offset / 8) & 0x1fffu);
  if (dont_fragment) ff |= 0x4000;
  if (more_fragments) ff |= 0x2000;
  store_be16(p + 6, ff);
  p[8] = ttl;
  p[9] = protocol;
  store_be16(p + 10, 0);
  std::memcpy(p + 12, src.b.data(), 4);
  std::memcpy(p + 16, dst.b.data(), 4);
  store_be16(p + 10, checksum::compute({p, buffer_len()}));
}

}  // namespace ztkit::netstack::wire
