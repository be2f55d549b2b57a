// Fuzzes the whole input path of a netstack interface: a sequence of frames (and timer ticks and
// socket sends) into interface::process/poll. To get past the checksums, a control bit asks the
// harness to fix the IPv4 header, ICMP, ICMPv6 and UDP checksums of a frame before it goes in.
//
// Input: records of [ctl][len hi][len lo][len bytes].
//   ctl bits 0-2: time advance: 0, 0, 1, 10, 100, 1000, 5000, 40000 ms
//   ctl bit 3   : fix checksums
//   ctl bit 4   : poll() after the frame
//   ctl bit 5   : a socket sends the bytes (as a UDP payload) instead of processing a frame;
//                 bit 6 picks IPv6, bit 7 a broadcast/off-link destination
// Invariants: every frame we emit is a well-formed Ethernet frame from our MAC no longer than
// the MTU, IPv4 headers we emit verify; the neighbor table, pending queue and reassembly slots
// stay within their bounds; after the interface is gone every pool buffer is back.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "netstack/iface/interface.h"
#include "netstack/wire/checksum.h"
#include "netstack/wire/ethernet.h"
#include "netstack/wire/ipv4.h"
#include "netstack/wire/ipv6.h"

using namespace ztkit;
using namespace ztkit::netstack;
using namespace ztkit::netstack::wire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void store16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

void fix_transport(std::uint8_t proto, std::uint8_t* p, std::size_t n, std::uint64_t pseudo,
                   bool v6) {
  std::size_t off;
  if (proto == ip_protocol::udp && n >= 8) off = 6;
  else if ((proto == ip_protocol::icmp || proto == ip_protocol::icmpv6) && n >= 4) off = 2;
  else return;
  if (proto == ip_protocol::icmp) pseudo = 0;
  store16(p + off, 0);
  auto c = static_cast<std::uint16_t>(~checksum::fold(checksum::accumulate({p, n}, pseudo)));
  if (proto == ip_protocol::udp && c == 0) c = 0xffff;
  store16(p + off, c);
  (void)v6;
}

void fix_checksums(std::vector<std::uint8_t>& f) {
  if (f.size() < 14) return;
  std::uint16_t type = static_cast<std::uint16_t>((f[12] << 8) | f[13]);
  std::span<std::uint8_t> ip(f.data() + 14, f.size() - 14);
  if (type == ethertype::ipv4) {
    auto p = ipv4_packet::new_checked(ip);
    if (!p) return;
    std::size_t hl = p->header_len();
    store16(ip.data() + 10, 0);
    store16(ip.data() + 10, checksum::compute(ip.first(hl)));
    if (p->is_fragment()) return;
    std::size_t n = p->total_len() - hl;
    fix_transport(p->protocol(), ip.data() + hl, n,
                  checksum::pseudo_v4(p->src(), p->dst(), p->protocol(),
                                      static_cast<std::uint32_t>(n)),
                  false);
  } else if (type == ethertype::ipv6) {
    auto p = ipv6_packet::new_checked(ip);
    if (!p) return;
    std::size_t n = p->payload_len();
    fix_transport(p->next_header(), ip.data() + 40, n,
                  checksum::pseudo_v6(p->src(), p->dst(), p->next_header(),
                                      static_cast<std::uint32_t>(n)),
                  true);
  }
}

interface_config make_config() {
  interface_config c;
  c.mac = mac_address{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01}};
  c.mtu = 1500;
  c.ipv4.push_back({ipv4_address{{10, 99, 0, 2}}, 24});
  ipv6_address a;
  a.b[0] = 0xfd;
  a.b[1] = 0x99;
  a.b[15] = 2;
  c.ipv6.push_back({a, 64});
  route r;
  r.target = inet_address::v4({0, 0, 0, 0}, 0);
  r.via = inet_address::v4({10, 99, 0, 1}, 0);
  c.routes.push_back(r);
  c.neighbors.entries = 8;
  c.neighbors.pending_packets = 16;
  c.reassembly.slots = 3;
  c.reassembly.max_datagram = 16384;
  c.reassembly.max_ranges = 8;
  c.max_tx_frames = 64;
  return c;
}

void check_out(const interface& ifc, std::span<buf::packet_buffer> out) {
  for (auto& f : out) {
    check(static_cast<bool>(f));
    auto e = ethernet_frame::new_checked(f.bytes());
    check(e.has_value());
    check(f.size() <= 14 + ifc.config().mtu);
    check(e->src() == ifc.config().mac);
    if (e->ethertype() == ethertype::ipv4) {
      auto p = ipv4_packet::new_checked(e->payload());
      check(p && p->verify_checksum());
    } else if (e->ethertype() == ethertype::ipv6) {
      check(ipv6_packet::new_checked(e->payload()).has_value());
    }
    f = buf::packet_buffer{};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static buf::buffer_pool pool({2048, 256, 128});
  static const std::uint64_t steps[8] = {0, 0, 1, 10, 100, 1000, 5000, 40000};
  {
    auto cfg = make_config();
    interface ifc(cfg, pool);
    auto sock = ifc.udp().open({4096, 8, 8192, 8});
    inet_address any;
    any.port = 5353;
    check(ifc.udp().bind(*sock, any) == udp_error::ok);
    ifc.udp().get(*sock).set_broadcast(true);
    std::uint64_t now = 1'000'000;
    std::size_t pos = 0;
    std::vector<std::uint8_t> frame;
    std::uint8_t rx[2048];
    while (pos + 3 <= size) {
      std::uint8_t ctl = data[pos];
      std::size_t len = (std::size_t{data[pos + 1]} << 8) | data[pos + 2];
      pos += 3;
      if (len > size - pos) len = size - pos;
      frame.assign(data + pos, data + pos + len);
      pos += len;
      now += steps[ctl & 7];
      if (ctl & 0x20) {
        inet_address dst;
        if (ctl & 0x40) {
          std::array<std::uint8_t, 16> a{0xfd, 0x99};
          a[15] = (ctl & 0x80) ? 0x77 : 1;
          if (ctl & 0x80) a[1] = 0x55;  // off-link, no IPv6 route
          dst = inet_address::v6(a, 9);
        } else {
          dst = inet_address::v4((ctl & 0x80) ? std::array<std::uint8_t, 4>{255, 255, 255, 255}
                                              : std::array<std::uint8_t, 4>{10, 99, 0, 1},
                                 9);
        }
        (void)ifc.udp().get(*sock).send_to(frame, dst);
        check_out(ifc, ifc.poll(now));
        continue;
      }
      if (ctl & 0x08) fix_checksums(frame);
      check_out(ifc, ifc.process(now, frame));
      if (ctl & 0x10) check_out(ifc, ifc.poll(now));
      while (ifc.udp().get(*sock).recv_from(rx)) {}
      check(ifc.neighbors().size() <= cfg.neighbors.entries);
      check(ifc.neighbors().pending() <= cfg.neighbors.pending_packets);
      check(ifc.reassembly().in_progress() <= cfg.reassembly.slots);
    }
  }
  check(pool.available() == pool.capacity());
  return 0;
}
