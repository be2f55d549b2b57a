// tcp_socket_set: demultiplexing by 4-tuple, listeners with a SYN backlog and SYN cookies
// (RFC 4987 §3.6), RSTs for segments that match nothing (RFC 9293 §3.10.7.1), the accept
// queue, ephemeral ports and the freeing of closed sockets. Two sets talk through a lossless
// in-memory wire that serializes every segment.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "netstack/tcp/tcp_socket_set.h"

namespace ztkit::netstack {
namespace {

using wire::tcp_repr;
namespace F = wire::tcp_flags;

const inet_address client_ip = inet_address::v4({10, 0, 0, 1}, 0);
const inet_address server_ip = inet_address::v4({10, 0, 0, 2}, 0);

inet_address with_port(inet_address a, std::uint16_t p) {
  a.port = p;
  return a;
}

tcp_socket_set::config set_config(std::uint8_t k) {
  tcp_socket_set::config c;
  c.max_sockets = 8;
  c.socket.rx_buffer = c.socket.tx_buffer = 4096;
  c.socket.time_wait_ms = 1000;
  c.secret[0] = k;
  return c;
}

struct wire_seg {
  std::vector<std::uint8_t> bytes;
  inet_address src, dst;
};

// Everything a set sends, serialized and parsed back.
std::vector<wire_seg> drain(tcp_socket_set& s, std::uint64_t now) {
  std::vector<wire_seg> out;
  tcp_segment seg;
  while (s.poll(now, seg)) {
    wire_seg w{std::vector<std::uint8_t>(seg.len()), with_port(seg.local, seg.repr.src_port),
               with_port(seg.remote, seg.repr.dst_port)};
    seg.emit(w.bytes);
    out.push_back(std::move(w));
  }
  return out;
}

tcp_repr parse(const wire_seg& w) {
  tcp_repr r;
  auto p = wire::tcp_packet::new_checked(w.bytes);
  EXPECT_TRUE(p);
  EXPECT_EQ(tcp_repr::parse(*p, wire::ipv4_address::from_inet(w.src),
                            wire::ipv4_address::from_inet(w.dst), r),
            wire::tcp_error::ok);
  return r;
}

void deliver(tcp_socket_set& to, std::uint64_t now, const wire_seg& w) {
  auto p = wire::tcp_packet::new_checked(w.bytes);
  to.process(now, w.src, w.dst, parse(w), p->payload());
}

// Runs both sets until neither has anything to send now.
void pump(tcp_socket_set& a, tcp_socket_set& b, std::uint64_t now) {
  for (int i = 0; i < 100; ++i) {
    auto x = drain(a, now);
    for (auto& w : x) deliver(b, now, w);
    auto y = drain(b, now);
    for (auto& w : y) deliver(a, now, w);
    if (x.empty() && y.empty()) return;
  }
}

std::string read_all(tcp_socket& s) {
  std::string r;
  std::uint8_t b[512];
  while (std::size_t n = s.recv(b)) r.append(reinterpret_cast<char*>(b), n);
  return r;
}

TEST(TcpSocketSet, ConnectAcceptExchangeCloseAndFree) {
  tcp_socket_set client(set_config(1)), server(set_config(2));
  std::uint64_t now = 1000;
  auto l = server.listen(with_port(server_ip, 80));
  ASSERT_TRUE(l);
  auto c = client.connect(now, client_ip, with_port(server_ip, 80));
  ASSERT_TRUE(c);
  EXPECT_GE(client.get(*c).local().port, 49152);  // ephemeral (RFC 6335 §6)
  pump(client, server, now);
  auto a = server.accept(*l);
  ASSERT_TRUE(a);
  EXPECT_FALSE(server.accept(*l));
  tcp_socket& cs = client.get(*c);
  tcp_socket& ss = server.get(*a);
  EXPECT_EQ(cs.state(), tcp_state::established);
  EXPECT_EQ(ss.state(), tcp_state::established);
  std::string msg = "GET / HTTP/1.0\r\n\r\n";
  cs.send({reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()});
  pump(client, server, now);
  EXPECT_EQ(read_all(ss), msg);
  // Both close; the client passes through TIME-WAIT, then both sockets are freed.
  client.release(*c);
  pump(client, server, now);
  EXPECT_EQ(ss.state(), tcp_state::close_wait);
  server.release(*a);
  pump(client, server, now);
  EXPECT_EQ(server.open_sockets(), 0u);
  EXPECT_EQ(client.open_sockets(), 1u);  // TIME-WAIT
  now += 1000;
  drain(client, now);
  EXPECT_EQ(client.open_sockets(), 0u);
  EXPECT_EQ(client.counters().sockets_freed, 1u);
}

TEST(TcpSocketSet, NoSocketAnswersReset) {
  tcp_socket_set s(set_config(1));
  tcp_repr syn;
  syn.src_port = 5000;
  syn.dst_port = 81;
  syn.seq = 42;
  syn.flags = F::syn;
  s.process(0, with_port(client_ip, 5000), with_port(server_ip, 81), syn, {});
  auto out = drain(s, 0);
  ASSERT_EQ(out.size(), 1u);
  auto r = parse(out[0]);
  EXPECT_EQ(r.flags, F::rst | F::ack);
  EXPECT_EQ(r.ack, 43u);
  EXPECT_EQ(r.dst_port, 5000);
  EXPECT_EQ(s.counters().rx_no_socket, 1u);
  // An RST is never answered.
  syn.flags = F::rst;
  s.process(0, with_port(client_ip, 5000), with_port(server_ip, 81), syn, {});
  EXPECT_TRUE(drain(s, 0).empty());
}

TEST(TcpSocketSet, ConnectionRefusedByReset) {
  tcp_socket_set client(set_config(1)), server(set_config(2));
  auto c = client.connect(0, client_ip, with_port(server_ip, 81));
  pump(client, server, 0);
  EXPECT_EQ(client.get(*c).state(), tcp_state::closed);
  EXPECT_EQ(client.get(*c).error(), tcp_socket_error::refused);
}

TEST(TcpSocketSet, BacklogFullUsesSynCookies) {
  tcp_socket_set client(set_config(1)), server(set_config(2));
  tcp_listener_config lc;
  lc.backlog = 0;  // every SYN gets a cookie
  auto l = server.listen(with_port(server_ip, 80), lc);
  auto c = client.connect(5000, client_ip, with_port(server_ip, 80));
  // SYN -> cookie SYN-ACK (no state kept on the server).
  for (auto& w : drain(client, 5000)) deliver(server, 5000, w);
  EXPECT_EQ(server.open_sockets(), 0u);
  auto sa = drain(server, 5000);
  ASSERT_EQ(sa.size(), 1u);
  auto r = parse(sa[0]);
  EXPECT_EQ(r.flags, F::syn | F::ack);
  EXPECT_EQ(r.mss, 2760);  // MTU 2800 - 40, one of the cookie MSS values
  EXPECT_FALSE(r.window_scale);
  EXPECT_FALSE(r.ts);
  EXPECT_EQ(server.listener(*l).counters().cookies_sent, 1u);
  deliver(client, 5010, sa[0]);
  tcp_socket& cs = client.get(*c);
  ASSERT_EQ(cs.state(), tcp_state::established);
  EXPECT_FALSE(cs.timestamps_enabled());
  cs.send({reinterpret_cast<const std::uint8_t*>("hi"), 2});
  pump(client, server, 5020);
  auto a = server.accept(*l);
  ASSERT_TRUE(a);
  EXPECT_EQ(server.listener(*l).counters().cookies_accepted, 1u);
  EXPECT_EQ(read_all(server.get(*a)), "hi");
  EXPECT_EQ(server.get(*a).mss(), 2760u);
}

TEST(TcpSocketSet, BadCookieIsReset) {
  tcp_socket_set server(set_config(2));
  auto l = server.listen(with_port(server_ip, 80));
  tcp_repr a;
  a.src_port = 5000;
  a.dst_port = 80;
  a.seq = 100;
  a.ack = 12345;
  a.flags = F::ack;
  server.process(0, with_port(client_ip, 5000), with_port(server_ip, 80), a, {});
  auto out = drain(server, 0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(parse(out[0]).flags, F::rst);
  EXPECT_EQ(parse(out[0]).seq, 12345u);
  EXPECT_EQ(server.listener(*l).counters().cookies_rejected, 1u);
  EXPECT_EQ(server.open_sockets(), 0u);
}

TEST(TcpSynCookie, EncodesMssAndExpires) {
  siphash_key k{9};
  auto l = with_port(server_ip, 80), r = with_port(client_ip, 5555);
  for (std::uint16_t mss : {536, 1220, 1460, 2760, 8960}) {
    auto iss = syn_cookie::make(k, l, r, 777, syn_cookie::mss_index(mss), 100000);
    auto got = syn_cookie::check(k, l, r, 777, iss, 100000 + 64000);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, mss);
    EXPECT_FALSE(syn_cookie::check(k, l, r, 778, iss, 100000));      // other peer ISN
    EXPECT_FALSE(syn_cookie::check(k, l, r, 777, iss + 1, 100000));  // tampered
    EXPECT_FALSE(syn_cookie::check(k, l, r, 777, iss, 100000 + 3 * 64000));  // stale
  }
  EXPECT_EQ(syn_cookie::mss_value(syn_cookie::mss_index(1400)), 1360);
  EXPECT_EQ(syn_cookie::mss_value(syn_cookie::mss_index(100)), 536);
}

TEST(TcpSocketSet, BacklogBoundsHalfOpenSockets) {
  tcp_socket_set server(set_config(2));
  tcp_listener_config lc;
  lc.backlog = 2;
  lc.syn_cookies = false;
  auto l = server.listen(with_port(server_ip, 80), lc);
  for (std::uint16_t p = 1; p <= 5; ++p) {
    tcp_repr syn;
    syn.src_port = static_cast<std::uint16_t>(6000 + p);
    syn.dst_port = 80;
    syn.seq = p;
    syn.flags = F::syn;
    server.process(0, with_port(client_ip, syn.src_port), with_port(server_ip, 80), syn, {});
  }
  EXPECT_EQ(server.open_sockets(), 2u);
  EXPECT_EQ(server.listener(*l).half_open(), 2u);
  EXPECT_EQ(server.listener(*l).counters().syn_dropped, 3u);
  EXPECT_EQ(drain(server, 0).size(), 2u);  // two SYN-ACKs
  // Half-open sockets time out (SYN-ACK retries) and are freed.
  std::uint64_t now = 0;
  for (int i = 0; i < 20 && server.open_sockets(); ++i) {
    now = server.poll_at();
    drain(server, now);
  }
  EXPECT_EQ(server.open_sockets(), 0u);
  EXPECT_EQ(server.listener(*l).half_open(), 0u);
}

TEST(TcpSocketSet, CloseListenerResetsPending) {
  tcp_socket_set client(set_config(1)), server(set_config(2));
  auto l = server.listen(with_port(server_ip, 80));
  auto c = client.connect(0, client_ip, with_port(server_ip, 80));
  pump(client, server, 0);
  EXPECT_EQ(server.listener(*l).pending(), 1u);
  server.close_listener(*l);
  pump(client, server, 0);
  EXPECT_EQ(client.get(*c).state(), tcp_state::closed);
  EXPECT_EQ(client.get(*c).error(), tcp_socket_error::reset);
  EXPECT_EQ(server.open_sockets(), 0u);
}

TEST(TcpSocketSet, ListenerConflictsAndWildcards) {
  tcp_socket_set s(set_config(1));
  EXPECT_TRUE(s.listen(with_port(server_ip, 80)));
  EXPECT_FALSE(s.listen(with_port(server_ip, 80)));
  EXPECT_FALSE(s.listen(inet_address::v4({0, 0, 0, 0}, 80)));  // any overlaps the exact one
  EXPECT_TRUE(s.listen(inet_address::v4({10, 0, 0, 3}, 80)));
  inet_address any6;
  any6.fam = inet_address::family::ipv6;
  any6.port = 80;
  EXPECT_TRUE(s.listen(any6));
  EXPECT_FALSE(s.listen(with_port(client_ip, 0)));
}

TEST(TcpSocketSet, FourTupleInUseRefused) {
  tcp_socket_set s(set_config(1));
  auto a = s.connect(0, with_port(client_ip, 4000), with_port(server_ip, 80));
  ASSERT_TRUE(a);
  EXPECT_FALSE(s.connect(0, with_port(client_ip, 4000), with_port(server_ip, 80)));
  EXPECT_TRUE(s.connect(0, with_port(client_ip, 4000), with_port(server_ip, 81)));
  EXPECT_EQ(s.find(with_port(client_ip, 4000), with_port(server_ip, 80)), a);
}

TEST(TcpSocketSet, NewSynReusesTimeWaitTuple) {
  // RFC 6191: the server closed first and holds TIME-WAIT; the client's next SYN from the same
  // port (a newer timestamp) opens a new connection at once.
  tcp_socket_set client(set_config(1)), server(set_config(2));
  auto l = server.listen(with_port(server_ip, 80));
  std::uint64_t now = 0;
  auto c = client.connect(now, with_port(client_ip, 4000), with_port(server_ip, 80));
  pump(client, server, now);
  auto a = server.accept(*l);
  ASSERT_TRUE(a);
  server.release(*a);
  pump(client, server, now);
  client.release(*c);
  pump(client, server, now);
  ASSERT_EQ(server.open_sockets(), 1u);  // TIME-WAIT
  ASSERT_EQ(client.open_sockets(), 0u);
  now += 100;
  auto c2 = client.connect(now, with_port(client_ip, 4000), with_port(server_ip, 80));
  ASSERT_TRUE(c2);
  pump(client, server, now);
  EXPECT_EQ(client.get(*c2).state(), tcp_state::established);
  auto a2 = server.accept(*l);
  ASSERT_TRUE(a2);
  EXPECT_EQ(server.get(*a2).state(), tcp_state::established);
  EXPECT_EQ(server.open_sockets(), 1u);
}

TEST(TcpSocketSet, ManyConnectionsReuseSlots) {
  tcp_socket_set client(set_config(1)), server(set_config(2));
  auto l = server.listen(with_port(server_ip, 80));
  std::uint64_t now = 0;
  for (int round = 0; round < 30; ++round) {
    auto c = client.connect(now, client_ip, with_port(server_ip, 80));
    ASSERT_TRUE(c) << round;
    pump(client, server, now);
    auto a = server.accept(*l);
    ASSERT_TRUE(a) << round;
    // The server closes first, so its side takes TIME-WAIT; the client frees at once.
    server.release(*a);
    pump(client, server, now);
    client.release(*c);
    pump(client, server, now);
    now += 1000;
    drain(server, now);
    drain(client, now);
    EXPECT_EQ(server.open_sockets(), 0u) << round;
    EXPECT_EQ(client.open_sockets(), 0u) << round;
  }
}

}  // namespace
}  // namespace ztkit::netstack

namespace ztkit::netstack {
namespace {

std::vector<std::uint32_t> candidates(tcp_socket_set& s) {
  std::vector<std::uint32_t> out;
  s.take_app_candidates(out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// What the API's streams are visited by (api/tcp.cc, ctrl/runtime/stack_lane.h): quiet
// sockets are not listed; a segment, an application call or a due timer lists a socket again.
TEST(TcpSocketSet, AppCandidatesListOnlySocketsThatMoved) {
  tcp_socket_set client(set_config(1)), server(set_config(2));
  std::uint64_t now = 1000;
  auto l = server.listen(with_port(server_ip, 80));
  std::vector<tcp_handle> c, a;
  for (int i = 0; i < 3; ++i) {
    c.push_back(*client.connect(now, client_ip, with_port(server_ip, 80)));
    pump(client, server, now);
    a.push_back(*server.accept(*l));
  }
  EXPECT_EQ(candidates(server).size(), 3u) << "new sockets are listed";
  pump(client, server, now);
  EXPECT_TRUE(candidates(server).empty()) << "established and quiet: nothing to look at";
  EXPECT_TRUE(candidates(server).empty());
  (void)candidates(client);
  EXPECT_TRUE(candidates(client).empty());

  // A segment for one connection lists that one only.
  const std::string msg = "hello";
  client.get(c[1]).send({reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()});
  EXPECT_EQ(candidates(client), std::vector<std::uint32_t>{c[1].index}) << "an application call";
  pump(client, server, now);
  EXPECT_EQ(candidates(server), std::vector<std::uint32_t>{a[1].index});
  EXPECT_EQ(read_all(server.get(a[1])), msg);
  pump(client, server, now);
  (void)candidates(server);
  (void)candidates(client);
  EXPECT_TRUE(candidates(server).empty());

  // A due timer lists its socket: keepalive probes on connection 2 until it times out.
  server.get(a[2]).set_keepalive_timing(100, 1);
  server.get(a[2]).set_keepalive(200);
  pump(client, server, now);
  (void)candidates(server);
  bool listed = false;
  for (int step = 0; step < 20 && !listed; ++step) {
    now += 100;
    drain(server, now);  // the probes are lost: the client never answers
    for (std::uint32_t i : candidates(server)) listed |= i == a[2].index;
  }
  EXPECT_TRUE(listed);

  // A freed and reused slot is listed at most once, and nothing grows without a taker.
  for (int i = 0; i < 100; ++i) {
    server.get(a[0]).set_nodelay(i % 2 == 0);
    drain(server, now);
  }
  EXPECT_LE(candidates(server).size(), 3u);
}

}  // namespace
}  // namespace ztkit::netstack
