#include "netstack/wire/icmpv4.h"

#include <cstring>

#include "netstack/wire/checksum.h"

namespace ztkit::netstack::wire {

bool icmpv4_packet::verify_checksum() const { return checksum::compute(b_) == 0; }

std::optional<icmpv4_repr> icmpv4_repr::parse(const icmpv4_packet& p) {
  if (!p.verify_checksum()) return std::nullopt;
  icmpv4_repr r;
  r.type = p.type();
  r.code = p.code();
  r.data = p.data();
  switch (r.type) {
    case echo_request:
    case echo_reply:
      if (r.code != 0) return std::nullopt;
      r.ident = p.echo_ident();
      r.seq = p.echo_seq();
      return r;
    case dst_unreachable:
      return r;
    default:
      return std::nullopt;
  }
}

void icmpv4_repr::emit(std::span<std::uint8_t> out) const {
  std::uint8_t* p = out.data();
  p[0] = type;
  p[1] = code;
  ztkit::wire::store_be16(p + 2, 0);
  if (type == echo_request || type == echo_reply) {
    ztkit::wire::store_be16(p + 4, ident);
    ztkit::wire::store_be16(p + 6, seq);
  } else {
    ztkit::wire::store_be32(p + 4, 0);
  }
  if (!data.empty()) std::memmove(p + icmpv4_packet::header_len, data.data(), data.size());
  ztkit::wire::store_be16(p + 2, checksum::compute({p, buffer_len()}));
}

}  // namespace ztkit::netstack::wire
