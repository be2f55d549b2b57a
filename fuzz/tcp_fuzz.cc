// Fuzzes the TCP header parser (netstack/wire/tcp.h) and the TCP state machine
// (netstack/tcp/): the first bytes pick the socket options and a state the socket is driven
// into (LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT,
// CLOSING, LAST-ACK, TIME-WAIT, or a socket set with a listener using SYN cookies); the rest
// is a sequence of records, each either an arbitrary segment (header bytes parsed without the
// checksum, sequence numbers optionally rebased onto the connection's so they land in the
// window) or an application call / clock step. After each record every segment the socket
// wants to send is emitted and parsed back. Invariants: no crash or sanitizer report, the
// rings never exceed their capacity, emitted segments are well-formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "netstack/tcp/tcp_socket_set.h"
#include "netstack/wire/tcp.h"

using namespace ztkit::netstack;
using wire::tcp_repr;
namespace F = wire::tcp_flags;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const inet_address local_ep = inet_address::v4({10, 0, 0, 1}, 80);
const inet_address remote_ep = inet_address::v4({10, 0, 0, 2}, 40000);
constexpr std::uint32_t remote_isn = 5000;

struct reader {
  std::span<const std::uint8_t> d;
  std::uint8_t u8() {
    if (d.empty()) return 0;
    std::uint8_t v = d[0];
    d = d.subspan(1);
    return v;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  std::span<const std::uint8_t> take(std::size_t n) {
    n = n < d.size() ? n : d.size();
    auto r = d.first(n);
    d = d.subspan(n);
    return r;
  }
};

void fuzz_wire(std::span<const std::uint8_t> d) {
  auto p = wire::tcp_packet::new_checked(d);
  if (!p) return;
  check(p->header_len() <= d.size() && p->payload().size() == d.size() - p->header_len());
  tcp_repr r;
  if (tcp_repr::parse_header(*p, r) != wire::tcp_error::ok) return;
  std::vector<std::uint8_t> out(r.header_len() + p->payload().size());
  wire::ipv4_address a{{1, 2, 3, 4}}, b{{5, 6, 7, 8}};
  r.emit(out, p->payload(), a, b);
  auto back = wire::tcp_packet::new_checked(out);
  check(back.has_value());
  tcp_repr r2;
  check(tcp_repr::parse(*back, a, b, r2) == wire::tcp_error::ok);
  // SACK blocks beyond the option space are dropped on emit; the rest must survive.
  r2.sack_count = r.sack_count;
  r2.sack = r.sack;
  check(r2 == r);
}

// Drains the socket's output, checking each segment serializes and parses back.
std::vector<tcp_repr> drain(tcp_socket& s, std::uint64_t now) {
  std::vector<tcp_repr> out;
  tcp_segment seg;
  for (int i = 0; i < 200 && s.poll(now, seg); ++i) {
    std::vector<std::uint8_t> b(seg.len());
    check(seg.emit(b) == b.size());
    auto p = wire::tcp_packet::new_checked(b);
    check(p.has_value());
    tcp_repr r;
    check(tcp_repr::parse(*p, wire::ipv4_address::from_inet(seg.local),
                          wire::ipv4_address::from_inet(seg.remote), r) == wire::tcp_error::ok);
    out.push_back(r);
  }
  check(s.send_queued() <= s.config().tx_buffer && s.recv_queued() <= s.config().rx_buffer);
  return out;
}

tcp_repr peer(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack) {
  tcp_repr r;
  r.src_port = remote_ep.port;
  r.dst_port = local_ep.port;
  r.flags = flags;
  r.seq = seq;
  r.ack = ack;
  r.window = 4096;
  return r;
}

// Drives `s` into state number `which`; returns the peer's next sequence number.
std::uint32_t drive(tcp_socket& s, int which, std::uint64_t& now, bool ts) {
  auto in = [&](tcp_repr r) {
    if (ts && s.timestamps_enabled()) r.ts = tcp_repr::timestamps{static_cast<std::uint32_t>(now), 0};
    s.process(now, r, {}, remote_ep, local_ep);
    drain(s, now);
  };
  if (which == 0) {
    s.listen(local_ep);
    return remote_isn;
  }
  if (which == 1) {
    s.connect(now, local_ep, remote_ep);
    drain(s, now);
    return remote_isn;
  }
  s.listen(local_ep);
  tcp_repr syn = peer(F::syn, remote_isn, 0);
  syn.mss = 1000;
  syn.window_scale = 3;
  syn.sack_permitted = true;
  if (ts) syn.ts = tcp_repr::timestamps{1, 0};
  s.process(now, syn, {}, remote_ep, local_ep);
  drain(s, now);
  if (which == 2) return remote_isn + 1;
  std::uint32_t us = s.iss() + 1;
  in(peer(F::ack, remote_isn + 1, us));
  std::uint32_t them = remote_isn + 1;
  switch (which) {
    case 3:  // ESTABLISHED
      break;
    case 4:  // FIN-WAIT-1
      s.close();
      drain(s, now);
      break;
    case 5:  // FIN-WAIT-2
      s.shutdown_write();
      drain(s, now);
      in(peer(F::ack, them, us + 1));
      break;
    case 6:  // CLOSE-WAIT
      in(peer(F::fin | F::ack, them, us));
      ++them;
      break;
    case 7:  // CLOSING
      s.close();
      drain(s, now);
      in(peer(F::fin | F::ack, them, us));
      ++them;
      break;
    case 8:  // LAST-ACK
      in(peer(F::fin | F::ack, them, us));
      ++them;
      s.close();
      drain(s, now);
      break;
    case 9:  // TIME-WAIT
      s.close();
      drain(s, now);
      in(peer(F::fin | F::ack, them, us + 1));
      ++them;
      break;
  }
  return them;
}

void fuzz_socket(reader& r) {
  std::uint8_t opts = r.u8();
  tcp_config cfg;
  cfg.rx_buffer = 256 + (opts & 3) * 1000;
  cfg.tx_buffer = 512;
  cfg.mtu = 600;
  cfg.sack = opts & 4;
  cfg.timestamps = opts & 8;
  cfg.window_scaling = opts & 16;
  cfg.nodelay = opts & 32;
  cfg.congestion = (opts & 64) ? tcp_cc_algorithm::new_reno : tcp_cc_algorithm::cubic;
  cfg.keepalive_idle_ms = (opts & 128) ? 1000 : 0;
  cfg.max_rx_ranges = 4;
  siphash_key key{};
  tcp_socket s(cfg, key);
  std::uint64_t now = 100000;
  std::uint32_t them = drive(s, r.u8() % 10, now, cfg.timestamps);
  std::vector<std::uint8_t> buf(4096);
  for (int n = 0; n < 64 && !r.d.empty(); ++n) {
    std::uint8_t op = r.u8();
    switch (op % 8) {
      case 0:
      case 1:
      case 2: {  // a segment
        std::size_t len = r.u8() + 20;
        auto bytes = r.take(len);
        auto p = wire::tcp_packet::new_checked(bytes);
        if (!p) break;
        tcp_repr seg;
        if (tcp_repr::parse_header(*p, seg) != wire::tcp_error::ok) break;
        if (op & 0x10) {  // rebase into the connection's sequence spaces
          seg.seq += them;
          seg.ack += s.iss();
          seg.src_port = remote_ep.port;
          seg.dst_port = local_ep.port;
          for (std::size_t i = 0; i < seg.sack_count; ++i) {
            seg.sack[i].left += s.iss();
            seg.sack[i].right += s.iss();
          }
        }
        s.process(now, seg, p->payload(), remote_ep, local_ep);
        break;
      }
      case 3: {
        std::size_t k = r.u16() % 2000;
        std::vector<std::uint8_t> d(k, op);
        s.send(d);
        break;
      }
      case 4:
        s.recv(std::span(buf).first(r.u8() * 16u));
        break;
      case 5:
        now += static_cast<std::uint64_t>(r.u16()) * ((op & 0x80) ? 100 : 1);
        break;
      case 6:
        switch (r.u8() % 8) {
          case 0: s.close(); break;
          case 1: s.shutdown_write(); break;
          case 2: s.abort(); break;
          default: break;
        }
        break;
      case 7: {
        std::uint64_t t = s.poll_at();
        if (t != ~std::uint64_t{0} && t > now && t - now < 10'000'000) now = t;
        break;
      }
    }
    drain(s, now);
  }
}

void fuzz_set(reader& r) {
  tcp_socket_set::config c;
  c.max_sockets = 4;
  c.max_replies = 8;
  c.socket.rx_buffer = c.socket.tx_buffer = 512;
  tcp_socket_set set(c);
  tcp_listener_config lc;
  lc.backlog = r.u8() % 3;
  lc.accept_queue = 2;
  auto l = set.listen(local_ep, lc);
  std::uint64_t now = 200000;
  for (int n = 0; n < 64 && !r.d.empty(); ++n) {
    std::uint8_t op = r.u8();
    if (op % 4 == 3) {
      if (auto h = set.accept(*l)) {
        if (op & 0x10) set.release(*h);
      }
      now += op;
    } else {
      auto bytes = r.take(r.u8() + 20u);
      auto p = wire::tcp_packet::new_checked(bytes);
      tcp_repr seg;
      if (!p || tcp_repr::parse_header(*p, seg) != wire::tcp_error::ok) continue;
      seg.dst_port = local_ep.port;
      auto src = remote_ep;
      src.port = seg.src_port;
      set.process(now, src, local_ep, seg, p->payload());
    }
    tcp_segment out;
    for (int i = 0; i < 200 && set.poll(now, out); ++i) {
      std::vector<std::uint8_t> b(out.len());
      check(out.emit(b) == b.size());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> d(data, size);
  fuzz_wire(d);
  if (size > 1) fuzz_wire(d.subspan(1));
  reader r{d};
  if (r.u8() & 1)
    fuzz_set(r);
  else
    fuzz_socket(r);
  return 0;
}
