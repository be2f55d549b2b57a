#include "netstack/wire/tcp.h"

#include <cstring>

#include "netstack/wire/checksum.h"

namespace ztkit::netstack::wire {

using ztkit::wire::load_be16;
using ztkit::wire::load_be32;
using ztkit::wire::store_be16;
using ztkit::wire::store_be32;

const char* to_string(tcp_error e) {
  switch (e) {
    case tcp_error::ok: return "ok";
    case tcp_error::truncated: return "truncated";
    case tcp_error::bad_offset: return "data offset below 5";
    case tcp_error::bad_checksum: return "bad checksum";
    case tcp_error::bad_option: return "malformed option";
    case tcp_error::bad_flags: return "SYN with RST or FIN";
    case tcp_error::bad_port: return "port 0";
  }
  return "?";
}

std::optional<tcp_packet> tcp_packet::new_checked(std::span<const std::uint8_t> b,
                                                  tcp_error* why) {
  auto fail = [&](tcp_error e) -> std::optional<tcp_packet> {
    if (why) *why = e;
    return std::nullopt;
  };
  if (b.size() < header_len_min) return fail(tcp_error::truncated);
  std::size_t hl = static_cast<std::size_t>(b[12] >> 4) * 4;
  if (hl < header_len_min) return fail(tcp_error::bad_offset);
  if (hl > b.size()) return fail(tcp_error::truncated);
  if (why) *why = tcp_error::ok;
  return tcp_packet(b);
}

bool tcp_packet::verify_checksum(const ipv4_address& src, const ipv4_address& dst) const {
  auto acc = checksum::pseudo_v4(src, dst, ip_protocol::tcp, static_cast<std::uint32_t>(b_.size()));
  return checksum::fold(checksum::accumulate(b_, acc)) == 0xffff;
}

bool tcp_packet::verify_checksum(const ipv6_address& src, const ipv6_address& dst) const {
  auto acc = checksum::pseudo_v6(src, dst, ip_protocol::tcp, static_cast<std::uint32_t>(b_.size()));
  return checksum::fold(checksum::accumulate(b_, acc)) == 0xffff;
}

tcp_error tcp_repr::parse_header(const tcp_packet& p, tcp_repr& out) {
  tcp_repr r;
  r.src_port = p.src_port();
  r.dst_port = p.dst_port();
  if (r.src_port == 0 || r.dst_port == 0) return tcp_error::bad_port;
  r.seq = p.seq();
  r.ack = p.ack();
  r.flags = p.flags();
  if (r.has(tcp_flags::syn) && (r.flags & (tcp_flags::rst | tcp_flags::fin)))
    return tcp_error::bad_flags;
  r.window = p.window();
  r.urgent = p.urgent();
  auto o = p.options();
  std::size_t i = 0;
  while (i < o.size()) {
    std::uint8_t kind = o[i];
    if (kind == tcp_option::eol) break;  // RFC 9293 §3.2: the rest is padding
    if (kind == tcp_option::nop) {
      ++i;
      continue;
    }
    if (i + 1 >= o.size()) return tcp_error::bad_option;
    std::size_t len = o[i + 1];
    if (len < 2 || i + len > o.size()) return tcp_error::bad_option;
    const std::uint8_t* v = o.data() + i + 2;
    switch (kind) {
      case tcp_option::mss:
        if (len != 4) return tcp_error::bad_option;
        r.mss = load_be16(v);
        break;
      case tcp_option::window_scale:
        if (len != 3) return tcp_error::bad_option;
        r.window_scale = v[0];
        break;
      case tcp_option::sack_permitted:
        if (len != 2) return tcp_error::bad_option;
        r.sack_permitted = true;
        break;
      case tcp_option::sack: {
        std::size_t n = (len - 2) / 8;
        if ((len - 2) % 8 != 0 || n == 0 || n > max_sack_blocks) return tcp_error::bad_option;
        r.sack_count = static_cast<std::uint8_t>(n);
        for (std::size_t k = 0; k < n; ++k)
          r.sack[k] = {load_be32(v + 8 * k), load_be32(v + 8 * k + 4)};
        break;
      }
      case tcp_option::timestamps:
        if (len != 10) return tcp_error::bad_option;
        r.ts = timestamps{load_be32(v), load_be32(v + 4)};
        break;
      default:
        break;  // unknown: skipped by its length (RFC 9293 §3.2)
    }
    i += len;
  }
  out = r;
  return tcp_error::ok;
}

tcp_error tcp_repr::parse(const tcp_packet& p, const ipv4_address& src, const ipv4_address& dst,
                          tcp_repr& out) {
  if (!p.verify_checksum(src, dst)) return tcp_error::bad_checksum;
  return parse_header(p, out);
}

tcp_error tcp_repr::parse(const tcp_packet& p, const ipv6_address& src, const ipv6_address& dst,
                          tcp_repr& out) {
  if (!p.verify_checksum(src, dst)) return tcp_error::bad_checksum;
  return parse_header(p, out);
}

namespace {
// Option bytes before SACK blocks (kept 4-aligned like Linux: NOPs pad each option).
std::size_t fixed_options_len(const tcp_repr& r) {
  std::size_t n = 0;
  if (r.mss) n += 4;
  if (r.ts || r.sack_permitted) n += r.ts ? 12 : 4;  // [SACKOK|NOP NOP] TS, or NOP NOP SACKOK
  if (r.window_scale) n += 4;                         // NOP WS
  return n;
}
std::size_t sack_blocks_sent(const tcp_repr& r) {
  std::size_t room = 40 - fixed_options_len(r);
  if (room < 10) return 0;
  std::size_t fit = (room - 4) / 8;  // NOP NOP kind len + 8 per block
  return r.sack_count < fit ? r.sack_count : fit;
}
}  // namespace

std::size_t tcp_repr::header_len() const {
  std::size_t n = fixed_options_len(*this);
  std::size_t s = sack_blocks_sent(*this);
  if (s) n += 4 + 8 * s;
  return tcp_packet::header_len_min + n;
}

std::size_t tcp_repr::write_header(std::uint8_t* out) const {
  std::size_t hl = header_len();
  store_be16(out, src_port);
  store_be16(out + 2, dst_port);
  store_be32(out + 4, seq);
  store_be32(out + 8, ack);
  out[12] = static_cast<std::uint8_t>((hl / 4) << 4);
  out[13] = flags;
  store_be16(out + 14, window);
  store_be16(out + 16, 0);
  store_be16(out + 18, urgent);
  std::uint8_t* o = out + tcp_packet::header_len_min;
  if (mss) {
    o[0] = tcp_option::mss;
    o[1] = 4;
    store_be16(o + 2, *mss);
    o += 4;
  }
  if (ts) {
    if (sack_permitted) {
      o[0] = tcp_option::sack_permitted;
      o[1] = 2;
    } else {
      o[0] = o[1] = tcp_option::nop;
    }
    o[2] = tcp_option::timestamps;
    o[3] = 10;
    store_be32(o + 4, ts->val);
    store_be32(o + 8, ts->ecr);
    o += 12;
  } else if (sack_permitted) {
    o[0] = o[1] = tcp_option::nop;
    o[2] = tcp_option::sack_permitted;
    o[3] = 2;
    o += 4;
  }
  if (window_scale) {
    o[0] = tcp_option::nop;
    o[1] = tcp_option::window_scale;
    o[2] = 3;
    o[3] = *window_scale;
    o += 4;
  }
  if (std::size_t s = sack_blocks_sent(*this)) {
    o[0] = o[1] = tcp_option::nop;
    o[2] = tcp_option::sack;
    o[3] = static_cast<std::uint8_t>(2 + 8 * s);
    o += 4;
    for (std::size_t k = 0; k < s; ++k) {
      store_be32(o, sack[k].left);
      store_be32(o + 4, sack[k].right);
      o += 8;
    }
  }
  return hl;
}

namespace {
std::size_t finish(std::span<std::uint8_t> out, std::size_t hl,
                   std::span<const std::uint8_t> p1, std::span<const std::uint8_t> p2,
                   std::uint64_t pseudo) {
  if (!p1.empty()) std::memcpy(out.data() + hl, p1.data(), p1.size());
  if (!p2.empty()) std::memcpy(out.data() + hl + p1.size(), p2.data(), p2.size());
  std::size_t total = hl + p1.size() + p2.size();
  auto c = static_cast<std::uint16_t>(~checksum::fold(checksum::accumulate(out.first(total), pseudo)));
  store_be16(out.data() + 16, c);
  return total;
}
}  // namespace

std::size_t tcp_repr::emit(std::span<std::uint8_t> out, std::span<const std::uint8_t> p1,
                           std::span<const std::uint8_t> p2, const ipv4_address& src,
                           const ipv4_address& dst) const {
  std::size_t hl = write_header(out.data());
  auto len = static_cast<std::uint32_t>(hl + p1.size() + p2.size());
  return finish(out, hl, p1, p2, checksum::pseudo_v4(src, dst, ip_protocol::tcp, len));
}

std::size_t tcp_repr::emit(std::span<std::uint8_t> out, std::span<const std::uint8_t> p1,
                           std::span<const std::uint8_t> p2, const ipv6_address& src,
                           const ipv6_address& dst) const {
  std::size_t hl = write_header(out.data());
  auto len = static_cast<std::uint32_t>(hl + p1.size() + p2.size());
  return finish(out, hl, p1, p2, checksum::pseudo_v6(src, dst, ip_protocol::tcp, len));
}

}  // namespace ztkit::netstack::wire
