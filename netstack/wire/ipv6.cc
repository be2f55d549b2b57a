#include "netstack/wire/ipv6.h"

#include <cstring>

namespace ztkit::netstack::wire {

void ipv6_repr::emit(std::span<std::uint8_t> out) const {
  std::uint8_t* p = out.data();
  p[0] = 0x60;
  p[1] = p[2] = p[3] = 0;
  ztkit::wire::store_be16(p + 4, payload_len);
  p[6] = next_header;
  p[7] = hop_limit;
  std::memcpy(p + 8, src.b.data(), 16);
  std::memcpy(p + 24, dst.b.data(), 16);
}

std::optional<ipv6_fragment_repr> ipv6_fragment_repr::parse(std::span<const std::uint8_t> b) {
  if (b.size() < len) return std::nullopt;
  ipv6_fragment_repr r;
  r.next_header = b[0];
  std::uint16_t om = ztkit::wire::load_be16(b.data() + 2);
  r.frag_offset = std::uint32_t{om & 0xfff8u};
  r.more_fragments = (om & 1) != 0;
  r.ident = ztkit::wire::load_be32(b.data() + 4);
  return r;
}

void ipv6_fragment_repr::emit(std::span<std::uint8_t> out) const {
  std::uint8_t* p = out.data();
  p[0] = next_header;
  p[1] = 0;
  ztkit::wire::store_be16(
      p + 2, static_cast<std::uint16_t>((frag_offset & 0xfff8u) | (more_fragments ? 1 : 0)));
  ztkit::wire::store_be32(p + 4, ident);
}

std::optional<ipv6_chain> walk_extension_headers(std::uint8_t first,
                                                 std::span<const std::uint8_t> payload,
                                                 bool allow_hop_by_hop) {
  ipv6_chain c;
  std::uint8_t nh = first;
  std::size_t off = 0;
  for (unsigned i = 0; i <= max_ext_headers; ++i) {
    switch (nh) {
      case ip_protocol::hop_by_hop:
        if (i != 0 || !allow_hop_by_hop) return std::nullopt;
        [[fallthrough]];
      case ip_protocol::ipv6_opts:
      case ip_protocol::ipv6_route: {
        if (payload.size() - off < 8) return std::nullopt;
        std::size_t hlen = (std::size_t{payload[off + 1]} + 1) * 8;
        if (hlen > payload.size() - off) return std::nullopt;
        // Routing header: [next][len][type][segments left]. Segments left != 0 means the
        // packet is to be forwarded, which a host does not do.
        if (nh == ip_protocol::ipv6_route && payload[off + 3] != 0) return std::nullopt;
        nh = payload[off];
        off += hlen;
        break;
      }
      case ip_protocol::ipv6_frag: {
        auto f = ipv6_fragment_repr::parse(payload.subspan(off));
        if (!f) return std::nullopt;
        c.fragment = f;
        c.fragment_offset = off;
        c.upper_protocol = f->next_header;
        c.upper_offset = off + ipv6_fragment_repr::len;
        return c;
      }
      default:
        c.upper_protocol = nh;
        c.upper_offset = off;
        return c;
    }
  }
  return std::nullopt;  // too many extension headers
}

std::optional<ipv6_chain> walk_extension_headers(const ipv6_packet& p) {
  return walk_extension_headers(p.next_header(), p.payload(), true);
}

}  // namespace ztkit::netstack::wire
