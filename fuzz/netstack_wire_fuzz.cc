// Fuzzes every netstack header parser (netstack/wire/): Ethernet, ARP, IPv4, IPv6 and its
// extension-header walk, the IPv6 fragment header, ICMPv4, ICMPv6/NDP (options included) and
// UDP. The input is offered to each parser at a few offsets. Invariants: views never expose
// bytes outside the input, and every repr that parses emits bytes that parse back to it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "netstack/wire/arp.h"
#include "netstack/wire/checksum.h"
#include "netstack/wire/ethernet.h"
#include "netstack/wire/icmpv4.h"
#include "netstack/wire/icmpv6.h"
#include "netstack/wire/ipv4.h"
#include "netstack/wire/ipv6.h"
#include "netstack/wire/udp.h"

using namespace ztkit::netstack::wire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::span<const std::uint8_t> part, std::span<const std::uint8_t> whole) {
  return part.empty() || (part.data() >= whole.data() &&
                          part.data() + part.size() <= whole.data() + whole.size());
}

void fuzz_at(std::span<const std::uint8_t> d) {
  if (auto e = ethernet_frame::new_checked(d)) {
    check(inside(e->payload(), d));
    auto r = ethernet_repr::parse(*e);
    std::uint8_t out[14];
    r.emit(out);
    check(ethernet_repr::parse(*ethernet_frame::new_checked(out)) == r);
  }
  if (auto a = arp_packet::new_checked(d)) {
    if (auto r = arp_repr::parse(*a)) {
      std::uint8_t out[28];
      r->emit(out);
      check(arp_repr::parse(*arp_packet::new_checked(out)) == *r);
    }
  }
  if (auto p = ipv4_packet::new_checked(d)) {
    check(inside(p->payload(), d) && inside(p->options(), d) && inside(p->datagram(), d));
    check(p->header_len() + p->payload().size() == p->total_len());
    if (auto r = ipv4_repr::parse(*p)) {
      std::uint8_t out[20];
      r->emit(out);
      std::vector<std::uint8_t> full(out, out + 20);
      full.resize(20 + r->payload_len);
      auto back = ipv4_packet::new_checked(full);
      check(back && ipv4_repr::parse(*back) == *r);
    }
    ipv4_address s = p->src(), t = p->dst();
    if (auto u = udp_packet::new_checked(p->payload())) {
      check(inside(u->payload(), d));
      if (udp_repr::parse(*u, s, t) && u->checksum() != 0) {
        std::uint8_t hdr[8];
        udp_repr{u->src_port(), u->dst_port()}.emit_header(hdr, u->payload(), s, t);
        // A valid non-zero checksum is unique (0x0000 never appears in a sent one), so ours
        // reproduces the whole header.
        check(std::memcmp(hdr, u->bytes().data(), 8) == 0);
      }
    }
    if (auto i = icmpv4_packet::new_checked(p->payload())) {
      if (auto r = icmpv4_repr::parse(*i)) {
        check(inside(r->data, d));
        std::vector<std::uint8_t> out(r->buffer_len());
        r->emit(out);
        check(checksum::compute(out) == 0);
        auto back = icmpv4_repr::parse(*icmpv4_packet::new_checked(out));
        check(back && back->type == r->type && back->ident == r->ident && back->seq == r->seq &&
              back->data.size() == r->data.size());
      }
    }
  }
  if (auto p = ipv6_packet::new_checked(d)) {
    check(inside(p->payload(), d));
    auto r = ipv6_repr::parse(*p);
    std::uint8_t out[40];
    r.emit(out);
    if (auto c = walk_extension_headers(*p)) {
      check(c->upper_offset <= p->payload().size());
      auto upper = p->payload().subspan(c->upper_offset);
      ipv6_address s = p->src(), t = p->dst();
      if (auto u = udp_packet::new_checked(upper)) {
        check(inside(u->payload(), d));
        (void)udp_repr::parse(*u, s, t);
      }
      if (auto i = icmpv6_packet::new_checked(upper)) {
        if (auto m = icmpv6_repr::parse(*i, s, t)) {
          check(inside(m->data, d));
          std::vector<std::uint8_t> out6(m->buffer_len());
          m->emit(out6, s, t);
          auto back = icmpv6_repr::parse(*icmpv6_packet::new_checked(out6), s, t);
          check(back && back->type == m->type && back->target == m->target &&
                back->options == m->options && back->data.size() == m->data.size());
        }
      }
    }
  }
  if (auto f = ipv6_fragment_repr::parse(d)) {
    std::uint8_t out[8];
    f->emit(out);
    check(ipv6_fragment_repr::parse(out) == *f);
  }
  if (auto o = ndp_options::parse(d)) {
    std::vector<std::uint8_t> out(o->buffer_len());
    o->emit(out.data());
    check(ndp_options::parse(out) == *o);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A heap copy of exactly `size` bytes, so ASan catches any read past the end.
  std::vector<std::uint8_t> buf(data, data + size);
  std::span<const std::uint8_t> d(buf);
  for (std::size_t off : {0u, 14u}) {
    if (off <= d.size()) fuzz_at(d.subspan(off));
  }
  return 0;
}
