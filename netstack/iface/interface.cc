#include "netstack/iface/interface.h"

#include <algorithm>
#include <cstring>

#include "netstack/wire/arp.h"
#include "netstack/wire/checksum.h"
#include "netstack/wire/ethernet.h"
#include "netstack/wire/icmpv4.h"
#include "netstack/wire/ipv4.h"
#include "netstack/wire/ipv6.h"
#include "netstack/wire/udp.h"

namespace ztkit::netstack {

using namespace wire;
namespace ethertype = wire::ethertype;
namespace proto = wire::ip_protocol;

struct interface::ip_meta {
  bool v6 = false;
  ipv4_address src4, dst4;
  ipv6_address src6, dst6;
  std::uint8_t hop_limit = 0;
  bool dst_group = false;  // broadcast or multicast destination
  std::span<const std::uint8_t> header;   // the IP header as received (ICMP error quoting)
  std::span<const std::uint8_t> payload;  // the upper-layer bytes (reassembled if fragmented)
};

interface::interface(const interface_config& cfg, buf::buffer_pool& pool)
    : cfg_(cfg),
      pool_(pool),
      neighbors_(cfg.neighbors),
      reasm_(cfg.reassembly),
      udp_(cfg.max_udp_sockets),
      tcp_([&] {
        auto t = cfg.tcp;
        t.socket.mtu = cfg.mtu;
        return t;
      }()) {
  if (cfg_.max_tx_frames == 0) cfg_.max_tx_frames = 1;
  // A frame must fit in one slab after the pool's headroom: the MTU we use is at most that.
  const std::size_t room = pool.slab_size() > pool.default_headroom() + ethernet_frame::header_len
                               ? pool.slab_size() - pool.default_headroom() -
                                     ethernet_frame::header_len
                               : 0;
  cfg_.mtu = std::min(cfg_.mtu, room);
  if (cfg_.mtu < 1280) cfg_.mtu = 1280;  // IPv6 minimum link MTU (RFC 8200 §5)
  tx_.reserve(cfg_.max_tx_frames);
  icmp_tokens_ = std::uint64_t{cfg_.icmp_error_burst} * 1000;
}

// ---- output plumbing ----------------------------------------------------------------------

void interface::begin_call() { tx_.clear(); }

std::uint8_t* interface::new_frame(buf::packet_buffer& out, std::uint16_t type,
                                   std::size_t ip_len) {
  out = pool_.get();
  std::uint8_t* p = out ? out.append(ethernet_frame::header_len + ip_len) : nullptr;
  if (!p) {
    ++counters_.tx_no_buffer;
    out = buf::packet_buffer{};
    return nullptr;
  }
  ethernet_repr{cfg_.mac, mac_address{}, type}.emit({p, ethernet_frame::header_len});
  return p + ethernet_frame::header_len;
}

void interface::push_tx(buf::packet_buffer frame) {
  if (tx_.size() >= cfg_.max_tx_frames) {
    ++counters_.tx_overflow;
    return;
  }
  ++counters_.tx_frames;
  tx_.push_back(std::move(frame));
}

void interface::send_to_mac(buf::packet_buffer frame, const mac_address& dst) {
  std::memcpy(frame.data(), dst.bytes.data(), 6);
  push_tx(std::move(frame));
}

void interface::release_pending(const neighbor_key& k, const mac_address& mac) {
  neighbors_.release(k, mac, [this](buf::packet_buffer&& f) { push_tx(std::move(f)); });
}

void interface::dispatch_v4(std::uint64_t now, const ipv4_address& next_hop,
                            buf::packet_buffer frame) {
  if (next_hop.is_broadcast()) return send_to_mac(std::move(frame), mac_address::broadcast());
  for (const auto& a : cfg_.ipv4)
    if (a.prefix_len < 31 && next_hop == a.addr.subnet_broadcast(a.prefix_len))
      return send_to_mac(std::move(frame), mac_address::broadcast());
  if (next_hop.is_multicast()) return send_to_mac(std::move(frame), next_hop.multicast_mac());
  auto k = neighbor_key::of(next_hop);
  if (auto mac = neighbors_.lookup(now, k)) return send_to_mac(std::move(frame), *mac);
  bool ask = neighbors_.want_solicit(now, k);
  neighbors_.enqueue(now, k, std::move(frame));
  if (ask) solicit(now, k);
}

void interface::dispatch_v6(std::uint64_t now, const ipv6_address& next_hop,
                            buf::packet_buffer frame) {
  if (next_hop.is_multicast()) return send_to_mac(std::move(frame), next_hop.multicast_mac());
  auto k = neighbor_key::of(next_hop);
  if (auto mac = neighbors_.lookup(now, k)) return send_to_mac(std::move(frame), *mac);
  bool ask = neighbors_.want_solicit(now, k);
  neighbors_.enqueue(now, k, std::move(frame));
  if (ask) solicit(now, k);
}

std::optional<inet_address> interface::source_for(const inet_address& dst) const {
  if (dst.fam == inet_address::family::ipv4) {
    ipv4_address next_hop, src;
    if (!route_v4(ipv4_address::from_bytes(dst.ip.data()), next_hop, src)) return std::nullopt;
    return src.to_inet(0);
  }
  if (dst.fam == inet_address::family::ipv6) {
    ipv6_address next_hop, src;
    if (!route_v6(ipv6_address::from_bytes(dst.ip.data()), next_hop, src)) return std::nullopt;
    return src.to_inet(0);
  }
  return std::nullopt;
}

bool interface::is_our_ipv4(const ipv4_address& a) const {
  for (const auto& c : cfg_.ipv4)
    if (c.addr == a) return true;
  return false;
}

bool interface::is_our_ipv6(const ipv6_address& a) const {
  for (const auto& c : cfg_.ipv6)
    if (c.addr == a) return true;
  return false;
}

namespace {

// Routing shared by both families: special destinations (broadcast/multicast, and IPv6
// link-local) and our own prefixes are on-link; otherwise the most specific route, through its
// gateway if it names one of this family. The source, unless given, is our address on the next
// hop's prefix, else our first address (special destinations: `special_src_by_prefix` picks
// between those two rules and "first address").
template <typename Addr, typename Cidr>
bool route_common(const std::vector<Cidr>& ours, const std::vector<route>& routes,
                  inet_address::family fam, const Addr& dst, bool special,
                  bool special_src_by_prefix, Addr& next_hop, Addr& src) {
  if (ours.empty()) return false;
  auto pick_src = [&](const Addr& hop) {
    for (const auto& a : ours)
      if (a.addr.same_prefix(hop, a.prefix_len)) return a.addr;
    return ours.front().addr;
  };
  if (special) {
    next_hop = dst;
    if (src.is_unspecified()) src = special_src_by_prefix ? pick_src(dst) : ours.front().addr;
    return true;
  }
  for (const auto& a : ours) {
    if (a.addr.same_prefix(dst, a.prefix_len)) {
      next_hop = dst;
      if (src.is_unspecified()) src = a.addr;
      return true;
    }
  }
  const route* best = nullptr;
  for (const auto& r : routes) {
    if (r.target.fam != fam) continue;
    if (!dst.same_prefix(Addr::from_inet(r.target), r.target.port)) continue;
    if (!best || r.target.port > best->target.port) best = &r;
  }
  if (!best) return false;
  next_hop = best->via.fam == fam ? Addr::from_inet(best->via) : dst;
  if (src.is_unspecified()) src = pick_src(next_hop);
  return true;
}

}  // namespace

bool interface::route_v4(const ipv4_address& dst, ipv4_address& next_hop,
                         ipv4_address& src) const {
  return route_common(cfg_.ipv4, cfg_.routes, inet_address::family::ipv4, dst,
                      dst.is_broadcast() || dst.is_multicast(), false, next_hop, src);
}

bool interface::route_v6(const ipv6_address& dst, ipv6_address& next_hop,
                         ipv6_address& src) const {
  return route_common(cfg_.ipv6, cfg_.routes, inet_address::family::ipv6, dst,
                      dst.is_multicast() || dst.is_link_local(), true, next_hop, src);
}

namespace {
// Copies [off, off + n) of the concatenation a ++ b into out.
void copy_concat(std::uint8_t* out, std::span<const std::uint8_t> a,
                 std::span<const std::uint8_t> b, std::size_t off, std::size_t n) {
  if (off < a.size()) {
    std::size_t k = std::min(n, a.size() - off);
    std::memcpy(out, a.data() + off, k);
    out += k;
    n -= k;
    off = a.size();
  }
  if (n) std::memcpy(out, b.data() + (off - a.size()), n);
}
}  // namespace

void interface::send_ipv4(std::uint64_t now, const ipv4_address& src_in, const ipv4_address& dst,
                          std::uint8_t protocol, std::span<const std::uint8_t> part1,
                          std::span<const std::uint8_t> part2) {
  ipv4_address next_hop, src = src_in;
  if (!route_v4(dst, next_hop, src)) {
    ++counters_.tx_no_route;
    return;
  }
  const std::size_t total = part1.size() + part2.size();
  const std::size_t max_payload = cfg_.mtu - ipv4_repr::buffer_len();
  // RFC 791 §2.3: fragment payloads are multiples of 8 bytes, except the last.
  const std::size_t chunk = total <= max_payload ? total : max_payload & ~std::size_t{7};
  ipv4_repr ip{src, dst, protocol, 0, cfg_.hop_limit, ipv4_ident_++, false, false, 0};
  std::size_t off = 0;
  do {
    std::size_t n = std::min(chunk, total - off);
    buf::packet_buffer f;
    std::uint8_t* p = new_frame(f, ethertype::ipv4, ipv4_repr::buffer_len() + n);
    if (!p) return;
    ip.payload_len = static_cast<std::uint16_t>(n);
    ip.frag_offset = static_cast<std::uint32_t>(off);
    ip.more_fragments = off + n < total;
    ip.emit({p, ipv4_repr::buffer_len()});
    copy_concat(p + ipv4_repr::buffer_len(), part1, part2, off, n);
    dispatch_v4(now, next_hop, std::move(f));
    off += n;
  } while (off < total);
}

void interface::send_ipv6(std::uint64_t now, const ipv6_address& src_in, const ipv6_address& dst,
                          std::uint8_t next_header, std::span<const std::uint8_t> part1,
                          std::span<const std::uint8_t> part2, std::uint8_t hop_limit) {
  ipv6_address next_hop, src = src_in;
  if (!route_v6(dst, next_hop, src)) {
    ++counters_.tx_no_route;
    return;
  }
  const std::size_t total = part1.size() + part2.size();
  const std::size_t hl = ipv6_repr::buffer_len();
  ipv6_repr ip{src, dst, next_header, 0, hop_limit};
  if (hl + total <= cfg_.mtu) {
    buf::packet_buffer f;
    std::uint8_t* p = new_frame(f, ethertype::ipv6, hl + total);
    if (!p) return;
    ip.payload_len = static_cast<std::uint16_t>(total);
    ip.emit({p, hl});
    copy_concat(p + hl, part1, part2, 0, total);
    return dispatch_v6(now, next_hop, std::move(f));
  }
  // RFC 8200 §4.5: a fragment header after the fixed header; no extension headers of ours.
  const std::size_t chunk = (cfg_.mtu - hl - ipv6_fragment_repr::len) & ~std::size_t{7};
  ipv6_fragment_repr fh{next_header, 0, false, ipv6_ident_++};
  ip.next_header = proto::ipv6_frag;
  for (std::size_t off = 0; off < total; off += chunk) {
    std::size_t n = std::min(chunk, total - off);
    buf::packet_buffer f;
    std::uint8_t* p = new_frame(f, ethertype::ipv6, hl + ipv6_fragment_repr::len + n);
    if (!p) return;
    ip.payload_len = static_cast<std::uint16_t>(ipv6_fragment_repr::len + n);
    ip.emit({p, hl});
    fh.frag_offset = static_cast<std::uint32_t>(off);
    fh.more_fragments = off + n < total;
    fh.emit({p + hl, ipv6_fragment_repr::len});
    copy_concat(p + hl + ipv6_fragment_repr::len, part1, part2, off, n);
    dispatch_v6(now, next_hop, std::move(f));
  }
}

void interface::send_icmpv6(std::uint64_t now, const ipv6_address& src, const ipv6_address& dst,
                            const icmpv6_repr& msg, std::uint8_t hop_limit) {
  std::uint8_t buf[1280];
  std::size_t n = msg.buffer_len();
  if (n > sizeof buf) return;
  ipv6_address s = src, hop;
  if (s.is_unspecified() && !route_v6(dst, hop, s)) {
    ++counters_.tx_no_route;
    return;
  }
  msg.emit({buf, n}, s, dst);
  send_ipv6(now, s, dst, proto::icmpv6, {buf, n}, {}, hop_limit);
}

void interface::solicit(std::uint64_t now, const neighbor_key& k) {
  if (!k.v6) {
    if (cfg_.ipv4.empty()) return;
    ipv4_address target = ipv4_address::from_bytes(k.ip.data()), src = cfg_.ipv4.front().addr;
    for (const auto& a : cfg_.ipv4)
      if (a.addr.same_prefix(target, a.prefix_len)) src = a.addr;
    buf::packet_buffer f;
    std::uint8_t* p = new_frame(f, ethertype::arp, arp_repr::buffer_len());
    if (!p) return;
    arp_repr{arp_repr::request, cfg_.mac, src, mac_address{}, target}.emit(
        {p, arp_repr::buffer_len()});
    send_to_mac(std::move(f), mac_address::broadcast());
    return;
  }
  ipv6_address target{k.ip};
  icmpv6_repr ns;
  ns.type = icmpv6_repr::neighbor_solicit;
  ns.target = target;
  ns.options.source_ll = cfg_.mac;
  ipv6_address src;
  for (const auto& a : cfg_.ipv6)
    if (a.addr.same_prefix(target, a.prefix_len)) src = a.addr;
  if (src.is_unspecified() && !cfg_.ipv6.empty()) src = cfg_.ipv6.front().addr;
  if (src.is_unspecified()) return;
  send_icmpv6(now, src, target.solicited_node(), ns, 255);
}

// ---- input --------------------------------------------------------------------------------

std::span<buf::packet_buffer> interface::process(std::uint64_t now,
                                                 std::span<const std::uint8_t> frame) {
  begin_call();
  ++counters_.rx_frames;
  auto eth = ethernet_frame::new_checked(frame);
  if (!eth) {
    ++counters_.rx_malformed;
    return tx_;
  }
  mac_address dst = eth->dst();
  if (dst != cfg_.mac && !dst.is_multicast()) {
    ++counters_.rx_not_for_us;
    return tx_;
  }
  if (eth->src().is_multicast()) {
    ++counters_.rx_bad_source;
    return tx_;
  }
  switch (eth->ethertype()) {
    case ethertype::arp: rx_arp(now, eth->payload()); break;
    case ethertype::ipv4: rx_ipv4(now, eth->payload()); break;
    case ethertype::ipv6: rx_ipv6(now, eth->payload()); break;
    case ethertype::vlan:
    case ethertype::qinq: ++counters_.rx_vlan; break;
    default: ++counters_.rx_unknown; break;
  }
  return tx_;
}

void interface::rx_arp(std::uint64_t now, std::span<const std::uint8_t> bytes) {
  auto pkt = arp_packet::new_checked(bytes);
  auto arp = pkt ? arp_repr::parse(*pkt) : std::nullopt;
  if (!arp) {
    ++counters_.rx_malformed;
    return;
  }
  if (arp->sender_hw.is_multicast() || arp->sender_ip.is_broadcast() ||
      arp->sender_ip.is_multicast()) {
    ++counters_.rx_bad_source;
    return;
  }
  bool for_us = is_our_ipv4(arp->target_ip);
  // RFC 826 "packet reception": merge the sender if we know it; add it if the packet is for
  // us. An ARP probe (sender 0.0.0.0) teaches nothing.
  if (!arp->sender_ip.is_unspecified() && !is_our_ipv4(arp->sender_ip)) {
    auto k = neighbor_key::of(arp->sender_ip);
    if (neighbors_.fill(now, k, arp->sender_hw, for_us)) release_pending(k, arp->sender_hw);
  }
  if (!for_us) {
    ++counters_.rx_not_for_us;
    return;
  }
  if (arp->operation != arp_repr::request) return;
  buf::packet_buffer f;
  std::uint8_t* p = new_frame(f, ethertype::arp, arp_repr::buffer_len());
  if (!p) return;
  arp_repr{arp_repr::reply, cfg_.mac, arp->target_ip, arp->sender_hw, arp->sender_ip}.emit(
      {p, arp_repr::buffer_len()});
  ++counters_.arp_replied;
  send_to_mac(std::move(f), arp->sender_hw);
}

void interface::rx_ipv4(std::uint64_t now, std::span<const std::uint8_t> bytes) {
  auto pkt = ipv4_packet::new_checked(bytes);
  if (!pkt) {
    ++counters_.rx_malformed;
    return;
  }
  if (!pkt->verify_checksum()) {
    ++counters_.rx_bad_checksum;
    return;
  }
  ip_meta m;
  m.src4 = pkt->src();
  m.dst4 = pkt->dst();
  m.hop_limit = pkt->ttl();
  m.header = pkt->header();
  if (m.src4.is_broadcast() || m.src4.is_multicast()) {
    ++counters_.rx_bad_source;
    return;
  }
  if (!is_our_ipv4(m.dst4)) {
    bool bcast = m.dst4.is_broadcast();
    for (const auto& a : cfg_.ipv4)
      bcast |= a.prefix_len < 31 && m.dst4 == a.addr.subnet_broadcast(a.prefix_len);
    if (!bcast) {
      ++counters_.rx_not_for_us;
      return;
    }
    m.dst_group = true;
  }
  if (!pkt->is_fragment()) {
    m.payload = pkt->payload();
    return rx_ipv4_upper(now, m, m.payload);
  }
  reassembler::key k;
  k.protocol = pkt->protocol();
  k.ident = pkt->ident();
  std::memcpy(k.src.data(), m.src4.b.data(), 4);
  std::memcpy(k.dst.data(), m.dst4.b.data(), 4);
  auto d = reasm_.add(now, k, pkt->frag_offset(), pkt->more_fragments(), pkt->payload(),
                      pkt->protocol());
  if (!d) return;
  m.payload = d->payload;
  rx_ipv4_upper(now, m, d->payload);
}

void interface::rx_ipv4_upper(std::uint64_t now, const ip_meta& m,
                              std::span<const std::uint8_t> payload) {
  std::uint8_t protocol = m.header[9];
  switch (protocol) {
    case proto::icmp: return rx_icmpv4(now, m, payload);
    case proto::udp: return rx_udp(now, m, payload);
    case proto::tcp: return rx_tcp(now, m, payload);
    default:
      ++counters_.rx_unknown;
      if (!m.dst_group) send_icmpv4_unreachable(now, m, icmpv4_repr::code_protocol);
  }
}

void interface::rx_icmpv4(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> p) {
  auto pkt = icmpv4_packet::new_checked(p);
  if (!pkt) {
    ++counters_.rx_malformed;
    return;
  }
  auto icmp = icmpv4_repr::parse(*pkt);
  if (!icmp) {
    if (!pkt->verify_checksum()) ++counters_.rx_bad_checksum;
    else ++counters_.rx_unknown;
    return;
  }
  switch (icmp->type) {
    case icmpv4_repr::echo_request: {
      if (m.dst_group) return;  // like Linux icmp_echo_ignore_broadcasts
      icmpv4_repr reply = *icmp;
      reply.type = icmpv4_repr::echo_reply;
      std::uint8_t hdr[icmpv4_packet::header_len];
      reply.data = {};
      reply.emit(hdr);
      // Patch the checksum for the data (RFC 1071: the sum of parts).
      ztkit::wire::store_be16(hdr + 2, 0);
      auto acc = checksum::accumulate(hdr);
      acc = checksum::accumulate(icmp->data, acc);
      ztkit::wire::store_be16(hdr + 2, static_cast<std::uint16_t>(~checksum::fold(acc)));
      ++counters_.echo_replied;
      return send_ipv4(now, m.dst4, m.src4, proto::icmp, hdr, icmp->data);
    }
    case icmpv4_repr::echo_reply: {
      ++counters_.echo_replies_received;
      auto& e = echo_ring_[(echo_head_ + echo_count_) % 16];
      e = echo_reply{m.src4.to_inet(), icmp->ident, icmp->seq, icmp->data.size()};
      if (echo_count_ < 16) ++echo_count_;
      else echo_head_ = (echo_head_ + 1) % 16;
      return;
    }
    default:
      ++counters_.icmp_errors_received;
      return;
  }
}

void interface::rx_ipv6(std::uint64_t now, std::span<const std::uint8_t> bytes) {
  auto pkt = ipv6_packet::new_checked(bytes);
  if (!pkt) {
    ++counters_.rx_malformed;
    return;
  }
  ip_meta m;
  m.v6 = true;
  m.src6 = pkt->src();
  m.dst6 = pkt->dst();
  m.hop_limit = pkt->hop_limit();
  m.header = pkt->datagram().first(ipv6_packet::header_len);
  if (m.src6.is_multicast()) {
    ++counters_.rx_bad_source;
    return;
  }
  if (!is_our_ipv6(m.dst6)) {
    bool group = m.dst6 == ipv6_address::all_nodes();
    for (const auto& a : cfg_.ipv6) group |= m.dst6.is_solicited_node_of(a.addr);
    if (!group) {
      ++counters_.rx_not_for_us;
      return;
    }
    m.dst_group = true;
  }
  auto chain = walk_extension_headers(*pkt);
  if (!chain) {
    ++counters_.rx_malformed;
    return;
  }
  if (!chain->fragment) {
    m.payload = pkt->payload().subspan(chain->upper_offset);
    m.header = pkt->datagram().first(ipv6_packet::header_len + chain->upper_offset);
    switch (chain->upper_protocol) {
      case proto::icmpv6: return rx_icmpv6(now, m, m.payload);
      case proto::udp: return rx_udp(now, m, m.payload);
      case proto::tcp: return rx_tcp(now, m, m.payload);
      case proto::ipv6_no_next: return;
      default:
        ++counters_.rx_unknown;
        return;
    }
  }
  reassembler::key k;
  k.v6 = true;
  k.ident = chain->fragment->ident;
  k.src = m.src6.b;
  k.dst = m.dst6.b;
  auto d = reasm_.add(now, k, chain->fragment->frag_offset, chain->fragment->more_fragments,
                      pkt->payload().subspan(chain->upper_offset), chain->upper_protocol);
  if (!d) return;
  // The fragmentable part may start with more extension headers (destination options).
  auto inner = walk_extension_headers(d->protocol, d->payload, false);
  if (!inner || inner->fragment) {
    ++counters_.rx_malformed;
    return;
  }
  m.payload = d->payload.subspan(inner->upper_offset);
  switch (inner->upper_protocol) {
    case proto::icmpv6: return rx_icmpv6(now, m, m.payload);
    case proto::udp: return rx_udp(now, m, m.payload);
    case proto::tcp: return rx_tcp(now, m, m.payload);
    default:
      ++counters_.rx_unknown;
      return;
  }
}

void interface::rx_icmpv6(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> p) {
  auto pkt = icmpv6_packet::new_checked(p);
  if (!pkt) {
    ++counters_.rx_malformed;
    return;
  }
  auto msg = icmpv6_repr::parse(*pkt, m.src6, m.dst6);
  if (!msg) {
    if (!pkt->verify_checksum(m.src6, m.dst6)) ++counters_.rx_bad_checksum;
    else ++counters_.rx_unknown;
    return;
  }
  if (icmpv6_repr::is_ndp(msg->type) && m.hop_limit != 255) {
    ++counters_.rx_bad_source;  // RFC 4861 §7.1.1: not from this link
    return;
  }
  switch (msg->type) {
    case icmpv6_repr::neighbor_solicit: {
      if (!is_our_ipv6(msg->target)) {
        ++counters_.rx_not_for_us;
        return;
      }
      bool dad = m.src6.is_unspecified();
      if (dad && (msg->options.source_ll || !m.dst6.is_multicast())) {
        ++counters_.rx_malformed;  // RFC 4861 §7.1.1
        return;
      }
      if (!dad && msg->options.source_ll) {
        if (msg->options.source_ll->is_multicast()) {
          ++counters_.rx_bad_source;
          return;
        }
        auto k = neighbor_key::of(m.src6);
        if (neighbors_.fill(now, k, *msg->options.source_ll, true))
          release_pending(k, *msg->options.source_ll);
      }
      icmpv6_repr na;
      na.type = icmpv6_repr::neighbor_advert;
      na.target = msg->target;
      na.solicited = !dad;
      na.override_ = true;
      na.options.target_ll = cfg_.mac;
      ++counters_.ndp_replied;
      // RFC 4861 §7.2.4: to the soliciting address, or all-nodes for DAD.
      return send_icmpv6(now, msg->target, dad ? ipv6_address::all_nodes() : m.src6, na, 255);
    }
    case icmpv6_repr::neighbor_advert: {
      if (is_our_ipv6(msg->target)) return;  // a duplicate of ours: nothing to do but ignore
      if (msg->options.target_ll && !msg->options.target_ll->is_multicast()) {
        auto k = neighbor_key::of(msg->target);
        if (neighbors_.fill(now, k, *msg->options.target_ll, false))
          release_pending(k, *msg->options.target_ll);
      }
      return;
    }
    case icmpv6_repr::router_solicit:
    case icmpv6_repr::router_advert:
      ++counters_.rx_unknown;  // addresses and routes come from the network config
      return;
    case icmpv6_repr::echo_request: {
      if (m.dst_group) return;
      icmpv6_repr reply = *msg;
      reply.type = icmpv6_repr::echo_reply;
      ++counters_.echo_replied;
      // The reply is built in a stack buffer by send_icmpv6 only up to 1280 bytes; larger
      // echoes are answered through the general path with the data as a second part.
      std::uint8_t hdr[8];
      reply.data = {};
      reply.emit(hdr, m.dst6, m.src6);
      ztkit::wire::store_be16(hdr + 2, 0);
      auto len = static_cast<std::uint32_t>(8 + msg->data.size());
      auto acc = checksum::pseudo_v6(m.dst6, m.src6, proto::icmpv6, len);
      acc = checksum::accumulate(hdr, acc);
      acc = checksum::accumulate(msg->data, acc);
      ztkit::wire::store_be16(hdr + 2, static_cast<std::uint16_t>(~checksum::fold(acc)));
      return send_ipv6(now, m.dst6, m.src6, proto::icmpv6, hdr, msg->data, cfg_.hop_limit);
    }
    case icmpv6_repr::echo_reply: {
      ++counters_.echo_replies_received;
      auto& e = echo_ring_[(echo_head_ + echo_count_) % 16];
      e = echo_reply{m.src6.to_inet(), msg->ident, msg->seq, msg->data.size()};
      if (echo_count_ < 16) ++echo_count_;
      else echo_head_ = (echo_head_ + 1) % 16;
      return;
    }
    default:
      ++counters_.icmp_errors_received;
      return;
  }
}

void interface::rx_udp(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> p) {
  auto pkt = udp_packet::new_checked(p);
  if (!pkt) {
    ++counters_.rx_malformed;
    return;
  }
  bool ok = m.v6 ? pkt->verify_checksum(m.src6, m.dst6) : pkt->verify_checksum(m.src4, m.dst4);
  if (!ok) {
    ++counters_.rx_bad_checksum;
    return;
  }
  inet_address src = m.v6 ? m.src6.to_inet(pkt->src_port()) : m.src4.to_inet(pkt->src_port());
  inet_address dst = m.v6 ? m.dst6.to_inet(pkt->dst_port()) : m.dst4.to_inet(pkt->dst_port());
  if (udp_socket* s = udp_.find(dst)) {
    if (s->deliver(src, dst, pkt->payload())) ++counters_.udp_delivered;
    else ++counters_.udp_socket_full;
    return;
  }
  ++counters_.udp_no_socket;
  if (m.dst_group) return;  // RFC 1122 §3.2.2: no ICMP errors for broadcast/multicast
  if (m.v6) send_icmpv6_error(now, m, 1, icmpv6_repr::code_port_unreachable);
  else send_icmpv4_unreachable(now, m, icmpv4_repr::code_port);
}

// ---- ICMP errors ----------------------------------------------------------------------------

bool interface::icmp_error_allowed(std::uint64_t now) {
  // Token bucket in thousandths of a token (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)).
  const std::uint64_t cap = std::uint64_t{cfg_.icmp_error_burst} * 1000;
  if (now > icmp_refill_at_) {
    icmp_tokens_ = std::min(cap, icmp_tokens_ + (now - icmp_refill_at_) * cfg_.icmp_errors_per_s);
  }
  icmp_refill_at_ = now;
  if (icmp_tokens_ < 1000) {
    ++counters_.icmp_rate_limited;
    return false;
  }
  icmp_tokens_ -= 1000;
  return true;
}

void interface::send_icmpv4_unreachable(std::uint64_t now, const ip_meta& m, std::uint8_t code) {
  if (!icmp_error_allowed(now)) return;
  // The offending header and as much payload as keeps the error within 576 bytes (RFC 1812
  // §4.3.2.3).
  std::uint8_t buf[576 - 20];
  std::size_t quote = std::min(sizeof buf - 8, m.header.size() + m.payload.size());
  std::size_t hq = std::min(quote, m.header.size());
  if (hq) std::memcpy(buf + 8, m.header.data(), hq);
  if (quote > hq) std::memcpy(buf + 8 + hq, m.payload.data(), quote - hq);
  icmpv4_repr e{icmpv4_repr::dst_unreachable, code, 0, 0, {buf + 8, quote}};
  e.emit({buf, 8 + quote});
  ++counters_.icmp_errors_sent;
  send_ipv4(now, m.dst4, m.src4, proto::icmp, {buf, 8 + quote}, {});
}

void interface::send_icmpv6_error(std::uint64_t now, const ip_meta& m, std::uint8_t type,
                                  std::uint8_t code) {
  if (!icmp_error_allowed(now)) return;
  // RFC 4443 §2.4(c): as much of the invoking packet as fits in the minimum MTU.
  std::uint8_t buf[1280 - 40 - 8];
  std::size_t quote = std::min(sizeof buf, m.header.size() + m.payload.size());
  std::size_t hq = std::min(quote, m.header.size());
  if (hq) std::memcpy(buf, m.header.data(), hq);
  if (quote > hq) std::memcpy(buf + hq, m.payload.data(), quote - hq);
  icmpv6_repr e;
  e.type = type;
  e.code = code;
  e.data = {buf, quote};
  ++counters_.icmp_errors_sent;
  send_icmpv6(now, m.dst6, m.src6, e, cfg_.hop_limit);
}

// ---- timers, sockets, API ------------------------------------------------------------------

void interface::flush_sockets(std::uint64_t now) {
  udp_.for_each_open([&](udp_socket& s) {
    auto& ring = s.tx_ring();
    while (!ring.empty()) {
      udp_socket::tx_meta meta;
      auto payload = ring.front(&meta);
      std::size_t frames = (payload.size() + 48) / (cfg_.mtu - 48) + 1;
      if (tx_.size() + frames > cfg_.max_tx_frames) return;  // next poll
      std::uint8_t hdr[8];
      udp_repr u{s.local().port, meta.dst.port};
      if (meta.dst.fam == inet_address::family::ipv4) {
        ipv4_address dst = ipv4_address::from_inet(meta.dst), src, hop;
        if (s.local().fam == inet_address::family::ipv4) src = ipv4_address::from_inet(s.local());
        bool bcast = dst.is_broadcast();
        for (const auto& a : cfg_.ipv4)
          bcast |= a.prefix_len < 31 && dst == a.addr.subnet_broadcast(a.prefix_len);
        if (bcast && !(s.broadcast() && cfg_.allow_broadcast)) {
          ++counters_.tx_no_route;
        } else if (route_v4(dst, hop, src)) {
          u.emit_header(hdr, payload, src, dst);
          send_ipv4(now, src, dst, proto::udp, hdr, payload);
        } else {
          ++counters_.tx_no_route;
        }
      } else {
        ipv6_address dst = ipv6_address::from_inet(meta.dst), src, hop;
        if (s.local().fam == inet_address::family::ipv6) src = ipv6_address::from_inet(s.local());
        if (route_v6(dst, hop, src)) {
          u.emit_header(hdr, payload, src, dst);
          send_ipv6(now, src, dst, proto::udp, hdr, payload, cfg_.hop_limit);
        } else {
          ++counters_.tx_no_route;
        }
      }
      ring.pop();
    }
  });
}

std::span<buf::packet_buffer> interface::poll(std::uint64_t now) {
  begin_call();
  neighbors_.poll(now, [&](const neighbor_key& k) { solicit(now, k); });
  reasm_.poll(now);
  flush_sockets(now);
  send_tcp(now);
  return tx_;
}

std::span<buf::packet_buffer> interface::flush_tcp(std::uint64_t now) {
  begin_call();
  send_tcp(now);
  return tx_;
}

// RFC 9293 §3.10.7: one segment to the socket set, which finds its socket (4-tuple) or
// listener, or answers RST. Segments to broadcast/multicast destinations are dropped (§3.9.2:
// TCP is unicast only).
void interface::rx_tcp(std::uint64_t now, const ip_meta& m, std::span<const std::uint8_t> p) {
  if (m.dst_group) {
    ++counters_.rx_not_for_us;
    return;
  }
  auto pkt = wire::tcp_packet::new_checked(p);
  if (!pkt) {
    ++counters_.tcp_bad_segment;
    return;
  }
  wire::tcp_repr seg;
  const auto err = m.v6 ? wire::tcp_repr::parse(*pkt, m.src6, m.dst6, seg)
                        : wire::tcp_repr::parse(*pkt, m.src4, m.dst4, seg);
  if (err != wire::tcp_error::ok) {
    ++counters_.tcp_bad_segment;
    return;
  }
  const inet_address src = m.v6 ? m.src6.to_inet(seg.src_port) : m.src4.to_inet(seg.src_port);
  const inet_address dst = m.v6 ? m.dst6.to_inet(seg.dst_port) : m.dst4.to_inet(seg.dst_port);
  tcp_.process(now, src, dst, seg, pkt->payload());
  send_tcp(now);
}

// Builds each segment the sockets want to send straight into a pool buffer (IP header, then
// tcp_segment::emit writes the TCP header and copies the payload from the socket's send ring:
// one copy), routed and resolved like any IP datagram. Segments are sized by the MSS, which is
// clamped to the MTU, so they never need IP fragmentation.
void interface::send_tcp(std::uint64_t now) {
  tcp_segment seg;
  while (tcp_.poll(now, seg)) {
    const bool v6 = seg.local.fam == inet_address::family::ipv6;
    const std::size_t hl = v6 ? ipv6_repr::buffer_len() : ipv4_repr::buffer_len();
    const std::size_t len = seg.len();
    if (hl + len > cfg_.mtu) {
      ++counters_.tcp_too_large;
      continue;
    }
    if (v6) {
      ipv6_address next_hop, src = ipv6_address::from_bytes(seg.local.ip.data());
      const ipv6_address dst = ipv6_address::from_bytes(seg.remote.ip.data());
      if (!route_v6(dst, next_hop, src)) {
        ++counters_.tx_no_route;
        continue;
      }
      buf::packet_buffer f;
      std::uint8_t* p = new_frame(f, ethertype::ipv6, hl + len);
      if (!p) return;
      ipv6_repr ip{src, dst, proto::tcp, static_cast<std::uint16_t>(len), cfg_.hop_limit};
      ip.emit({p, hl});
      seg.emit({p + hl, len});
      dispatch_v6(now, next_hop, std::move(f));
    } else {
      ipv4_address next_hop, src = ipv4_address::from_bytes(seg.local.ip.data());
      const ipv4_address dst = ipv4_address::from_bytes(seg.remote.ip.data());
      if (!route_v4(dst, next_hop, src)) {
        ++counters_.tx_no_route;
        continue;
      }
      buf::packet_buffer f;
      std::uint8_t* p = new_frame(f, ethertype::ipv4, hl + len);
      if (!p) return;
      // DF set: TCP segments are sized for the path (RFC 9293 §3.7.1 with RFC 1191).
      ipv4_repr ip{src, dst, proto::tcp, static_cast<std::uint16_t>(len), cfg_.hop_limit,
                   ipv4_ident_++, true, false, 0};
      ip.emit({p, hl});
      seg.emit({p + hl, len});
      dispatch_v4(now, next_hop, std::move(f));
    }
  }
}

void interface::announce(std::uint64_t now) {
  for (const auto& a : cfg_.ipv4) {
    // Gratuitous ARP (RFC 5227 §3): a request with sender = target = our address.
    buf::packet_buffer f;
    std::uint8_t* p = new_frame(f, ethertype::arp, arp_repr::buffer_len());
    if (!p) return;
    arp_repr{arp_repr::request, cfg_.mac, a.addr, mac_address{}, a.addr}.emit(
        {p, arp_repr::buffer_len()});
    send_to_mac(std::move(f), mac_address::broadcast());
  }
  for (const auto& a : cfg_.ipv6) {
    // Unsolicited NA (RFC 4861 §7.2.6) to all-nodes, override set.
    icmpv6_repr na;
    na.type = icmpv6_repr::neighbor_advert;
    na.target = a.addr;
    na.override_ = true;
    na.options.target_ll = cfg_.mac;
    send_icmpv6(now, a.addr, ipv6_address::all_nodes(), na, 255);
  }
}

std::span<buf::packet_buffer> interface::set_addresses(std::uint64_t now,
                                                       std::span<const ipv4_cidr> v4,
                                                       std::span<const ipv6_cidr> v6) {
  begin_call();
  cfg_.ipv4.assign(v4.begin(), v4.end());
  cfg_.ipv6.assign(v6.begin(), v6.end());
  announce(now);
  return tx_;
}

std::span<buf::packet_buffer> interface::send_ping(std::uint64_t now, const inet_address& dst,
                                                   std::uint16_t ident, std::uint16_t seq,
                                                   std::span<const std::uint8_t> data) {
  begin_call();
  std::uint8_t hdr[8];
  if (dst.fam == inet_address::family::ipv4) {
    icmpv4_repr e{icmpv4_repr::echo_request, 0, ident, seq, {}};
    e.emit(hdr);
    ztkit::wire::store_be16(hdr + 2, 0);
    auto acc = checksum::accumulate(data, checksum::accumulate(hdr));
    ztkit::wire::store_be16(hdr + 2, static_cast<std::uint16_t>(~checksum::fold(acc)));
    send_ipv4(now, {}, ipv4_address::from_inet(dst), proto::icmp, hdr, data);
  } else if (dst.fam == inet_address::family::ipv6) {
    ipv6_address d = ipv6_address::from_inet(dst), src, hop;
    if (!route_v6(d, hop, src)) {
      ++counters_.tx_no_route;
      return tx_;
    }
    icmpv6_repr e;
    e.type = icmpv6_repr::echo_request;
    e.ident = ident;
    e.seq = seq;
    e.emit(hdr, src, d);
    ztkit::wire::store_be16(hdr + 2, 0);
    auto acc = checksum::pseudo_v6(src, d, proto::icmpv6,
                                   static_cast<std::uint32_t>(8 + data.size()));
    acc = checksum::accumulate(data, checksum::accumulate(hdr, acc));
    ztkit::wire::store_be16(hdr + 2, static_cast<std::uint16_t>(~checksum::fold(acc)));
    send_ipv6(now, src, d, proto::icmpv6, hdr, data, cfg_.hop_limit);
  }
  return tx_;
}

std::optional<echo_reply> interface::take_echo_reply() {
  if (echo_count_ == 0) return std::nullopt;
  echo_reply r = echo_ring_[echo_head_];
  echo_head_ = (echo_head_ + 1) % 16;
  --echo_count_;
  return r;
}

}  // namespace ztkit::netstack
