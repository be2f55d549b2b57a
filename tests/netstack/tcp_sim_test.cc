// Deterministic simulation: two tcp_sockets joined by an in-memory link with a virtual clock,
// 10% loss, reordering and duplication, all from a seeded PRNG. Each seed runs a 256 KiB bulk
// transfer followed by a close from both sides; every transfer must arrive byte-exact within
// a bounded virtual time, and both sockets must end CLOSED (the client through TIME-WAIT).
// ZTKIT_TCP_SIM_SEEDS sets the number of seeds (default 1000).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "netstack/tcp/tcp_socket.h"

namespace ztkit::netstack {
namespace {

using wire::tcp_packet;
using wire::tcp_repr;

struct link_params {
  double loss = 0.10;
  double duplicate = 0.02;
  double reorder = 0.10;         // probability of an extra delay
  std::uint64_t delay_ms = 10;   // one way
  std::uint64_t jitter_ms = 15;  // extra delay of a reordered packet: 1..jitter
  bool ipv6 = false;
  std::size_t reader_bytes = 0;  // per tick; 0 = the receiver reads everything at once
  std::uint64_t reader_tick_ms = 10;
};

struct packet {
  std::uint64_t at;
  std::uint64_t order;  // FIFO among packets due at the same time
  int to;               // 0 = client, 1 = server
  std::vector<std::uint8_t> bytes;
};

struct sim_result {
  bool ok = false;
  std::uint64_t finish_ms = 0;  // virtual time when the server read the last byte
  std::uint64_t closed_ms = 0;  // both sockets CLOSED
  std::string why;
  tcp_counters client, server;
};

siphash_key key_for(std::uint64_t seed, int who) {
  siphash_key k{};
  for (int i = 0; i < 8; ++i) k[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  k[8] = static_cast<std::uint8_t>(who);
  return k;
}

sim_result run_sim(std::uint64_t seed, std::size_t bytes, const link_params& lp,
                   tcp_config cfg) {
  static const bool trace = std::getenv("ZTKIT_TCP_SIM_TRACE") != nullptr;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  cfg.time_wait_ms = 2000;
  tcp_socket sock[2] = {tcp_socket(cfg, key_for(seed, 0)), tcp_socket(cfg, key_for(seed, 1))};
  inet_address ca = inet_address::v4({10, 0, 0, 1}, 40000), sa = inet_address::v4({10, 0, 0, 2}, 80);
  if (lp.ipv6) {
    std::array<std::uint8_t, 16> c6{0xfd, 0x80}, s6{0xfd, 0x80};
    c6[15] = 1;
    s6[15] = 2;
    ca = inet_address::v6(c6, 40000);
    sa = inet_address::v6(s6, 80);
  }
  // Parses with the pseudo-header of the right family.
  auto parse = [&](const tcp_packet& v, const inet_address& src, const inet_address& dst,
                   tcp_repr& r) {
    if (lp.ipv6)
      return tcp_repr::parse(v, wire::ipv6_address::from_inet(src), wire::ipv6_address::from_inet(dst), r);
    return tcp_repr::parse(v, wire::ipv4_address::from_inet(src), wire::ipv4_address::from_inet(dst), r);
  };
  std::uint64_t now = 1000 + (seed % 977);
  sim_result res;
  if (!sock[1].listen(sa) || !sock[0].connect(now, ca, sa)) {
    res.why = "open";
    return res;
  }
  std::vector<std::uint8_t> src(bytes), dst;
  for (std::size_t i = 0; i < bytes; ++i) src[i] = static_cast<std::uint8_t>(rng());
  dst.reserve(bytes);
  std::size_t sent = 0;
  std::uint64_t next_read = 0;
  bool client_closed = false, server_closed = false;
  std::vector<packet> net;
  std::uint64_t order = 0;
  std::vector<std::uint8_t> buf(65536);
  const std::uint64_t limit = now + 600'000;  // 10 virtual minutes

  std::function<void(int)> transmit = [&](int from) {
    tcp_segment seg;
    while (sock[from].poll(now, seg)) {
      std::vector<std::uint8_t> b(seg.len());
      seg.emit(b);
      if (trace)
        std::printf("%llu %s seq=%u ack=%u fl=%02x len=%zu win=%u sack=%u st=%s cwnd=%u rto=%llu srtt=%u\n",
                    static_cast<unsigned long long>(now), from ? "S>" : "C>", seg.repr.seq,
                    seg.repr.ack, seg.repr.flags, seg.payload_len(), seg.repr.window,
                    seg.repr.sack_count, to_string(sock[from].state()), sock[from].cwnd(),
                    static_cast<unsigned long long>(sock[from].rto_ms()), sock[from].srtt_ms());
      if (u(rng) < lp.loss) continue;
      int copies = u(rng) < lp.duplicate ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        std::uint64_t d = lp.delay_ms;
        if (u(rng) < lp.reorder) d += 1 + rng() % lp.jitter_ms;
        net.push_back({now + d, order++, 1 - from, b});
      }
    }
  };

  while (now < limit) {
    // Application: the client writes what fits, then closes; the server reads everything,
    // and closes once the client's FIN has arrived.
    if (sent < bytes) {
      sent += sock[0].send(std::span(src).subspan(sent));
    } else if (!client_closed) {
      sock[0].close();
      client_closed = true;
    }
    // A slow reader takes at most reader_bytes every reader_tick_ms.
    bool may_read = lp.reader_bytes == 0 || now >= next_read;
    std::size_t budget = lp.reader_bytes ? lp.reader_bytes : buf.size();
    while (may_read && budget > 0) {
      std::size_t n = sock[1].recv(std::span(buf).first(std::min(budget, buf.size())));
      if (!n) break;
      if (lp.reader_bytes) budget -= n;
      dst.insert(dst.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
      if (dst.size() == bytes) res.finish_ms = now;
    }
    if (lp.reader_bytes && may_read) next_read = now + lp.reader_tick_ms;
    if (!server_closed && sock[1].peer_closed() && sock[1].recv_queued() == 0) {
      sock[1].close();
      server_closed = true;
    }
    if (sock[0].state() == tcp_state::closed && sock[1].state() == tcp_state::closed) break;
    if (sock[0].error() != tcp_socket_error::none || sock[1].error() != tcp_socket_error::none) {
      res.why = std::string("error ") + to_string(sock[0].error()) + " / " +
                to_string(sock[1].error());
      return res;
    }
    transmit(0);
    transmit(1);
    // Next event.
    std::uint64_t next = std::min(sock[0].poll_at(), sock[1].poll_at());
    if (lp.reader_bytes && sock[1].recv_queued()) next = std::min(next, next_read);
    for (auto& p : net) next = std::min(next, p.at);
    if (next == ~std::uint64_t{0}) {
      res.why = std::string("stalled: nothing scheduled, states ") + to_string(sock[0].state()) +
                " / " + to_string(sock[1].state());
      break;
    }
    now = std::max(now, next);
    // Deliver everything due, in (time, order).
    std::vector<packet> due;
    for (std::size_t i = 0; i < net.size();) {
      if (net[i].at <= now) {
        due.push_back(std::move(net[i]));
        net[i] = std::move(net.back());
        net.pop_back();
      } else {
        ++i;
      }
    }
    std::sort(due.begin(), due.end(),
              [](const packet& a, const packet& b) { return a.at != b.at ? a.at < b.at : a.order < b.order; });
    for (auto& p : due) {
      auto v = tcp_packet::new_checked(p.bytes);
      tcp_repr r;
      inet_address from = p.to == 1 ? ca : sa, to = p.to == 1 ? sa : ca;
      if (!v || parse(*v, from, to, r) != wire::tcp_error::ok) {
        res.why = "bad segment on the wire";
        return res;
      }
      auto in = sock[p.to].process(now, r, v->payload(), from, to);
      if (trace)
        std::printf("%llu deliver to %d seq=%u fl=%02x len=%zu -> %d state %s\n",
                    static_cast<unsigned long long>(now), p.to, r.seq, r.flags,
                    v->payload().size(), static_cast<int>(in), to_string(sock[p.to].state()));
      if (in == tcp_input::send_reset) {
        auto rr = tcp_reset_for(r, v->payload().size());
        tcp_segment rs;
        rs.repr = rr;
        rs.local = to;
        rs.remote = from;
        std::vector<std::uint8_t> b(rs.len());
        rs.emit(b);
        net.push_back({now + lp.delay_ms, order++, 1 - p.to, b});
      }
      transmit(p.to);  // answer each segment as an interface would
    }
  }
  res.client = sock[0].counters();
  res.server = sock[1].counters();
  if (dst.size() != bytes || dst != src) {
    if (res.why.empty())
      res.why = "data: got " + std::to_string(dst.size()) + " of " + std::to_string(bytes) +
                " states " + to_string(sock[0].state()) + " / " + to_string(sock[1].state());
    return res;
  }
  if (sock[0].state() != tcp_state::closed || sock[1].state() != tcp_state::closed) {
    res.why = std::string("not closed: ") + to_string(sock[0].state()) + " / " +
              to_string(sock[1].state());
    return res;
  }
  res.closed_ms = now;
  res.ok = true;
  return res;
}

std::size_t seed_count() {
  if (const char* e = std::getenv("ZTKIT_TCP_SIM_SEEDS")) return std::strtoull(e, nullptr, 10);
  return 1000;
}

void run_many(const char* name, const tcp_config& cfg, const link_params& lp, std::size_t seeds) {
  std::vector<std::uint64_t> times;
  std::uint64_t rexmits = 0, rtos = 0, fast = 0, worst = 0, worst_seed = 0;
  std::uint64_t first = 1;
  if (const char* e = std::getenv("ZTKIT_TCP_SIM_FIRST")) first = std::strtoull(e, nullptr, 10);
  for (std::uint64_t s = first; s < first + seeds; ++s) {
    auto r = run_sim(s, 256 * 1024, lp, cfg);
    ASSERT_TRUE(r.ok) << name << " seed " << s << ": " << r.why;
    times.push_back(r.finish_ms);
    if (r.finish_ms > worst) {
      worst = r.finish_ms;
      worst_seed = s;
    }
    rexmits += r.client.retransmits;
    rtos += r.client.rto_expired;
    fast += r.client.fast_retransmits;
  }
  std::sort(times.begin(), times.end());
  auto pct = [&](double q) { return times[std::min(times.size() - 1, static_cast<std::size_t>(q * times.size()))]; };
  std::uint64_t sum = 0;
  for (auto t : times) sum += t;
  std::printf("[ sim %-16s] %zu seeds, 256 KiB each: virtual completion ms mean %.0f, p50 %llu, "
              "p90 %llu, p99 %llu, max %llu; per transfer %.1f retransmits, %.1f RTOs, %.1f "
              "fast recoveries; slowest seed %llu\n",
              name, times.size(), static_cast<double>(sum) / times.size(),
              static_cast<unsigned long long>(pct(0.5)), static_cast<unsigned long long>(pct(0.9)),
              static_cast<unsigned long long>(pct(0.99)), static_cast<unsigned long long>(times.back()),
              static_cast<double>(rexmits) / times.size(), static_cast<double>(rtos) / times.size(),
              static_cast<double>(fast) / times.size(), static_cast<unsigned long long>(worst_seed));
}

TEST(TcpSim, BulkTransferLossyLinkCubicSack) {
  tcp_config cfg;
  cfg.mtu = 1500;
  cfg.rx_buffer = cfg.tx_buffer = 64 * 1024;
  run_many("cubic+sack", cfg, link_params{}, seed_count());
}

TEST(TcpSim, BulkTransferLossyLinkNewRenoNoSackNoTimestamps) {
  tcp_config cfg;
  cfg.mtu = 1500;
  cfg.rx_buffer = cfg.tx_buffer = 64 * 1024;
  cfg.congestion = tcp_cc_algorithm::new_reno;
  cfg.sack = false;
  cfg.timestamps = false;
  run_many("newreno", cfg, link_params{}, std::max<std::size_t>(1, seed_count() / 4));
}

TEST(TcpSim, BulkTransferLossyLinkIpv6) {
  tcp_config cfg;
  cfg.mtu = 1280;
  cfg.rx_buffer = cfg.tx_buffer = 64 * 1024;
  link_params lp;
  lp.ipv6 = true;
  run_many("ipv6 mtu 1280", cfg, lp, std::max<std::size_t>(1, seed_count() / 10));
}

TEST(TcpSim, SlowReaderSmallWindowLossyLink) {
  // An 8 KiB receive ring drained at 4 KiB per 10 ms: the window closes and opens all the
  // time (zero-window probes, window updates, SWS avoidance), under the same loss.
  tcp_config cfg;
  cfg.mtu = 1500;
  cfg.rx_buffer = 8 * 1024;
  cfg.tx_buffer = 64 * 1024;
  link_params lp;
  lp.reader_bytes = 4096;
  run_many("slow reader", cfg, lp, std::max<std::size_t>(1, seed_count() / 10));
}

TEST(TcpSim, SlowReaderCleanLinkKeepsUp) {
  // Without loss the transfer is paced by the reader (4 KiB per 10 ms) and by the 8 KiB
  // window per 20 ms round trip: both 640 ms for 256 KiB; whole segments only (SWS
  // avoidance) make it somewhat slower, but it must never stall on a timer.
  tcp_config cfg;
  cfg.mtu = 1500;
  cfg.rx_buffer = 8 * 1024;
  link_params lp;
  lp.loss = lp.duplicate = lp.reorder = 0;
  lp.reader_bytes = 4096;
  auto r = run_sim(3, 256 * 1024, lp, cfg);
  ASSERT_TRUE(r.ok) << r.why;
  std::uint64_t took = r.finish_ms - 1003;
  std::printf("[ sim slow reader clean] 256 KiB in %llu virtual ms (bound: 640)\n",
              static_cast<unsigned long long>(took));
  EXPECT_LT(took, 1000u);
  EXPECT_EQ(r.client.retransmits, 0u);
  EXPECT_EQ(r.client.rto_expired, 0u);
}

TEST(TcpSim, CleanLinkIsFast) {
  tcp_config cfg;
  link_params lp;
  lp.loss = lp.duplicate = lp.reorder = 0;
  auto r = run_sim(7, 256 * 1024, lp, cfg);
  ASSERT_TRUE(r.ok) << r.why;
  EXPECT_EQ(r.client.retransmits, 0u);
  // 20 ms RTT, initial window 10 segments, slow start: a handful of round trips.
  EXPECT_LT(r.finish_ms - 1000 - 7, 300u);
  std::printf("[ sim clean            ] 256 KiB in %llu virtual ms\n",
              static_cast<unsigned long long>(r.finish_ms - 1007));
}

}  // namespace
}  // namespace ztkit::netstack
