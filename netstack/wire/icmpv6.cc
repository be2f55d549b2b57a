#include "netstack/wire/icmpv6.h"

#include <cstring>

#include "netstack/wire/checksum.h"

namespace ztkit::netstack::wire {

using ztkit::wire::load_be16;
using ztkit::wire::load_be32;
using ztkit::wire::store_be16;
using ztkit::wire::store_be32;

namespace {
constexpr std::uint8_t opt_source_ll = 1, opt_target_ll = 2, opt_prefix = 3, opt_mtu = 5;

mac_address mac_at(const std::uint8_t* p) {
  mac_address m;
  std::memcpy(m.bytes.data(), p, 6);
  return m;
}

// Fixed body bytes (after the 4-byte header) before any options or data.
std::size_t fixed_body(std::uint8_t type) {
  switch (type) {
    case icmpv6_repr::router_advert: return 12;
    case icmpv6_repr::neighbor_solicit:
    case icmpv6_repr::neighbor_advert: return 20;
    default: return 4;
  }
}
}  // namespace

bool icmpv6_packet::verify_checksum(const ipv6_address& src, const ipv6_address& dst) const {
  auto acc = checksum::pseudo_v6(src, dst, ip_protocol::icmpv6,
                                 static_cast<std::uint32_t>(b_.size()));
  return checksum::fold(checksum::accumulate(b_, acc)) == 0xffff;
}

std::optional<ndp_options> ndp_options::parse(std::span<const std::uint8_t> b) {
  ndp_options o;
  std::size_t off = 0;
  while (off < b.size()) {
    if (b.size() - off < 2) return std::nullopt;
    std::size_t len = std::size_t{b[off + 1]} * 8;
    if (len == 0 || len > b.size() - off) return std::nullopt;
    const std::uint8_t* p = b.data() + off;
    switch (p[0]) {
      case opt_source_ll:
        o.source_ll = mac_at(p + 2);
        break;
      case opt_target_ll:
        o.target_ll = mac_at(p + 2);
        break;
      case opt_mtu:
        o.mtu = load_be32(p + 4);
        break;
      case opt_prefix:
        if (len < 32) return std::nullopt;
        if (!o.prefix) {
          ndp_prefix_info pi;
          pi.prefix_len = p[2];
          pi.on_link = (p[3] & 0x80) != 0;
          pi.autonomous = (p[3] & 0x40) != 0;
          pi.valid_lifetime = load_be32(p + 4);
          pi.preferred_lifetime = load_be32(p + 8);
          pi.prefix = ipv6_address::from_bytes(p + 16);
          o.prefix = pi;
        }
        break;
      default:
        break;  // unknown options are skipped (RFC 4861 §4.6)
    }
    off += len;
  }
  return o;
}

std::size_t ndp_options::buffer_len() const {
  return (source_ll ? 8 : 0) + (target_ll ? 8 : 0) + (mtu ? 8 : 0) + (prefix ? 32 : 0);
}

void ndp_options::emit(std::uint8_t* p) const {
  if (source_ll) {
    p[0] = opt_source_ll;
    p[1] = 1;
    std::memcpy(p + 2, source_ll->bytes.data(), 6);
    p += 8;
  }
  if (target_ll) {
    p[0] = opt_target_ll;
    p[1] = 1;
    std::memcpy(p + 2, target_ll->bytes.data(), 6);
    p += 8;
  }
  if (mtu) {
    p[0] = opt_mtu;
    p[1] = 1;
    store_be16(p + 2, 0);
    store_be32(p + 4, *mtu);
    p += 8;
  }
  if (prefix) {
    p[0] = opt_prefix;
    p[1] = 4;
    p[2] = prefix->prefix_len;
    p[3] = static_cast<std::uint8_t>((prefix->on_link ? 0x80 : 0) | (prefix->autonomous ? 0x40 : 0));
    store_be32(p + 4, prefix->valid_lifetime);
    store_be32(p + 8, prefix->preferred_lifetime);
    store_be32(p + 12, 0);
    std::memcpy(p + 16, prefix->prefix.b.data(), 16);
  }
}

std::optional<icmpv6_repr> icmpv6_repr::parse(const icmpv6_packet& p, const ipv6_address& src,
                                              const ipv6_address& dst) {
  if (!p.verify_checksum(src, dst)) return std::nullopt;
  icmpv6_repr r;
  r.type = p.type();
  r.code = p.code();
  auto body = p.body();
  std::size_t fixed = fixed_body(r.type);
  if (body.size() < fixed) return std::nullopt;
  const std::uint8_t* b = body.data();
  switch (r.type) {
    case dst_unreachable:
    case time_exceeded:
      r.data = body.subspan(4);
      return r;
    case packet_too_big:
      r.mtu = load_be32(b);
      r.data = body.subspan(4);
      return r;
    case echo_request:
    case echo_reply:
      if (r.code != 0) return std::nullopt;
      r.ident = load_be16(b);
      r.seq = load_be16(b + 2);
      r.data = body.subspan(4);
      return r;
    case router_solicit:
    case router_advert:
    case neighbor_solicit:
    case neighbor_advert: {
      if (r.code != 0) return std::nullopt;  // RFC 4861 §6.1.1, §7.1.1
      if (r.type == router_advert) {
        r.cur_hop_limit = b[0];
        r.ra_flags = b[1];
        r.router_lifetime = load_be16(b + 2);
        r.reachable_time = load_be32(b + 4);
        r.retrans_timer = load_be32(b + 8);
      } else if (r.type == neighbor_solicit || r.type == neighbor_advert) {
        if (r.type == neighbor_advert) {
          r.router = (b[0] & 0x80) != 0;
          r.solicited = (b[0] & 0x40) != 0;
          r.override_ = (b[0] & 0x20) != 0;
        }
        r.target = ipv6_address::from_bytes(b + 4);
        if (r.target.is_multicast()) return std::nullopt;
      }
      auto o = ndp_options::parse(body.subspan(fixed));
      if (!o) return std::nullopt;
      r.options = *o;
      return r;
    }
    default:
      return std::nullopt;
  }
}

std::size_t icmpv6_repr::buffer_len() const {
  return icmpv6_packet::header_len + fixed_body(type) +
         (is_ndp(type) ? options.buffer_len() : data.size());
}

void icmpv6_repr::emit(std::span<std::uint8_t> out, const ipv6_address& src,
                       const ipv6_address& dst) const {
  std::uint8_t* p = out.data();
  std::size_t total = buffer_len();
  std::size_t fixed = fixed_body(type);
  // The data may already sit at its place in `out` (an echo answered in place): move it first.
  if (!is_ndp(type) && !data.empty()) std::memmove(p + 4 + fixed, data.data(), data.size());
  p[0] = type;
  p[1] = code;
  store_be16(p + 2, 0);
  std::uint8_t* b = p + 4;
  std::memset(b, 0, fixed);
  switch (type) {
    case packet_too_big:
      store_be32(b, mtu);
      break;
    case echo_request:
    case echo_reply:
      store_be16(b, ident);
      store_be16(b + 2, seq);
      break;
    case router_advert:
      b[0] = cur_hop_limit;
      b[1] = ra_flags;
      store_be16(b + 2, router_lifetime);
      store_be32(b + 4, reachable_time);
      store_be32(b + 8, retrans_timer);
      break;
    case neighbor_advert:
      b[0] = static_cast<std::uint8_t>((router ? 0x80 : 0) | (solicited ? 0x40 : 0) |
                                       (override_ ? 0x20 : 0));
      [[fallthrough]];
    case neighbor_solicit:
      std::memcpy(b + 4, target.b.data(), 16);
      break;
    default:
      break;
  }
  if (is_ndp(type)) options.emit(b + fixed);
  auto acc = checksum::pseudo_v6(src, dst, ip_protocol::icmpv6, static_cast<std::uint32_t>(total));
  store_be16(p + 2, static_cast<std::uint16_t>(~checksum::fold(checksum::accumulate({p, total}, acc))));
}

}  // namespace ztkit::netstack::wire
