#include "netstack/wire/udp.h"

#include "netstack/wire/checksum.h"

namespace ztkit::netstack::wire {

bool udp_packet::verify_checksum(const ipv4_address& src, const ipv4_address& dst) const {
  if (checksum() == 0) return true;  // RFC 768: no checksum
  auto acc = checksum::pseudo_v4(src, dst, ip_protocol::udp, length());
  return checksum::fold(checksum::accumulate(b_, acc)) == 0xffff;
}

bool udp_packet::verify_checksum(const ipv6_address& src, const ipv6_address& dst) const {
  if (checksum() == 0) return false;  // RFC 8200 §8.1
  auto acc = checksum::pseudo_v6(src, dst, ip_protocol::udp, length());
  return checksum::fold(checksum::accumulate(b_, acc)) == 0xffff;
}

namespace {
void write_header(std::span<std::uint8_t> out, const udp_repr& r, std::size_t payload_len,
                  std::uint64_t pseudo, std::span<const std::uint8_t> payload) {
  using ztkit::wire::store_be16;
  auto len = static_cast<std::uint16_t>(udp_packet::header_len + payload_len);
  store_be16(out.data(), r.src_port);
  store_be16(out.data() + 2, r.dst_port);
  store_be16(out.data() + 4, len);
  store_be16(out.data() + 6, 0);
  auto acc = checksum::accumulate(out.first(udp_packet::header_len), pseudo);
  acc = checksum::accumulate(payload, acc);
  auto c = static_cast<std::uint16_t>(~checksum::fold(acc));
  store_be16(out.data() + 6, c == 0 ? 0xffff : c);
}
}  // namespace

void udp_repr::emit_header(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload,
                           const ipv4_address& src, const ipv4_address& dst) const {
  auto len = static_cast<std::uint32_t>(udp_packet::header_len + payload.size());
  write_header(out, *this, payload.size(), checksum::pseudo_v4(src, dst, ip_protocol::udp, len),
               payload);
}

void udp_repr::emit_header(std::span<std::uint8_t> out, std::span<const std::uint8_t> payload,
                           const ipv6_address& src, const ipv6_address& dst) const {
  auto len = static_cast<std::uint32_t>(udp_packet::header_len + payload.size());
  write_header(out, *this, payload.size(), checksum::pseudo_v6(src, dst, ip_protocol::udp, len),
               payload);
}

}  // namespace ztkit::netstack::wire
