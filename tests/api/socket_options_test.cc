// Socket options of the C++ API, shown effective: default read/write/receive timeouts fire
// with timed_out within bounds, non-blocking mode returns would_block at once, SO_LINGER 0
// resets the connection, a lingering close() waits for the acknowledgement (and times out
// when the peer does not read), NODELAY removes Nagle's wait behind a delayed ACK, and
// keepalive with a short interval finds a peer that went away.
#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/api/api_world.h"
#include "ztkit/tcp.h"
#include "ztkit/udp.h"

namespace ztkit {
namespace {

using namespace std::chrono_literals;
using test::bytes_of;
using clock_type = std::chrono::steady_clock;

long long ms_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
}

struct options_world : test::api_world {
  // A connected pair on `port`: c on a (with `co`), s accepted on b (with `so`).
  void pair(std::uint16_t port, TcpOptions co, TcpOptions so, std::optional<TcpStream>& c,
            std::optional<TcpStream>& s) {
    auto l = TcpListener::listen(*b, nwid, {{}, port}, 16, so);
    ASSERT_TRUE(l) << l.error().message;
    auto cc = TcpStream::connect(*a, nwid, {ip_b.v4, port}, 10s, co);
    ASSERT_TRUE(cc) << cc.error().message;
    auto ss = l->accept(10s);
    ASSERT_TRUE(ss) << ss.error().message;
    c.emplace(std::move(*cc));
    s.emplace(std::move(*ss));
  }
};

TEST_F(options_world, ReadWriteTimeoutsAndNonBlocking) {
  TcpOptions co;
  co.read_timeout = 100ms;
  co.write_timeout = 150ms;
  co.send_buffer = 4096;
  TcpOptions so;
  so.read_timeout = 80ms;  // accepted streams take the listener's options
  std::optional<TcpStream> c, s;
  pair(7400, co, so, c, s);
  std::array<std::byte, 64> buf;
  auto t0 = clock_type::now();
  auto r = c->read(buf);  // no timeout given: the option's
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::timed_out)) << r.error().message;
  EXPECT_GE(ms_since(t0), 95);
  EXPECT_LT(ms_since(t0), 2000);
  t0 = clock_type::now();
  r = s->read(buf);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::timed_out)) << r.error().message;
  EXPECT_GE(ms_since(t0), 75);
  EXPECT_LT(ms_since(t0), 2000);
  // An explicit timeout still wins; the setter changes the default.
  EXPECT_TRUE(c->read(buf, 0ms).error().is(Errc::would_block));
  ASSERT_TRUE(c->set_read_timeout(30ms));
  t0 = clock_type::now();
  EXPECT_TRUE(c->read(buf).error().is(Errc::timed_out));
  EXPECT_GE(ms_since(t0), 25);
  EXPECT_LT(ms_since(t0), 1000);
  // Non-blocking: would_block at once.
  ASSERT_TRUE(c->set_nonblocking(true));
  t0 = clock_type::now();
  EXPECT_TRUE(c->read(buf).error().is(Errc::would_block));
  EXPECT_LT(ms_since(t0), 50);
  ASSERT_TRUE(c->set_nonblocking(false));
  // The write timeout: s never reads, so 4 MiB cannot all be queued.
  std::vector<std::byte> big(4 << 20, std::byte{'w'});
  t0 = clock_type::now();
  auto w = c->write_all(big);
  ASSERT_FALSE(w);
  EXPECT_TRUE(w.error().is(Errc::timed_out)) << w.error().message;
  EXPECT_GE(ms_since(t0), 145);
  EXPECT_LT(ms_since(t0), 3000);
  ASSERT_TRUE(c->set_nonblocking(true));
  t0 = clock_type::now();
  auto w2 = c->write_all(big);
  ASSERT_FALSE(w2);
  EXPECT_TRUE(w2.error().is(Errc::would_block)) << w2.error().message;
  EXPECT_LT(ms_since(t0), 50);
  c->abort();  // what is queued need not be delivered (a node's stop would wait for it)

  // UDP: the receive timeout and non-blocking mode.
  UdpOptions uo;
  uo.recv_timeout = 70ms;
  auto u = UdpSocket::bind(*a, nwid, {{}, 7401}, uo);
  ASSERT_TRUE(u);
  SocketAddress from;
  t0 = clock_type::now();
  auto d = u->recv_from(buf, &from);
  ASSERT_FALSE(d);
  EXPECT_TRUE(d.error().is(Errc::timed_out)) << d.error().message;
  EXPECT_GE(ms_since(t0), 65);
  EXPECT_LT(ms_since(t0), 2000);
  ASSERT_TRUE(u->set_nonblocking(true));
  t0 = clock_type::now();
  EXPECT_TRUE(u->recv_from(buf, &from).error().is(Errc::would_block));
  EXPECT_LT(ms_since(t0), 50);
}

TEST_F(options_world, LingerZeroSendsReset) {
  TcpOptions co;
  co.linger = 0ms;
  std::optional<TcpStream> c, s;
  pair(7500, co, {}, c, s);
  ASSERT_TRUE(c->write_all(bytes_of("unread"), 5s));
  ASSERT_TRUE(c->close());
  EXPECT_FALSE(c->is_open());
  // The peer sees a reset, not an orderly end (it may read the data that arrived first).
  std::array<std::byte, 64> buf;
  for (int i = 0; i < 10; ++i) {
    auto r = s->read(buf, 5s);
    if (r && *r > 0) continue;
    ASSERT_FALSE(r) << "an orderly EOF instead of a reset";
    EXPECT_TRUE(r.error().is(Errc::connection_reset)) << r.error().message;
    break;
  }
  // The setter does the same on a stream opened without it.
  std::optional<TcpStream> c2, s2;
  pair(7501, {}, {}, c2, s2);
  ASSERT_TRUE(c2->set_linger(0ms));
  ASSERT_TRUE(c2->close());
  auto r = s2->read(buf, 5s);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::connection_reset)) << r.error().message;
}

TEST_F(options_world, LingeringCloseWaitsForTheAcknowledgement) {
  // The peer reads everything: close() returns ok once all of it, and the FIN, are acked.
  TcpOptions co;
  co.linger = 10s;
  std::optional<TcpStream> c, s;
  pair(7600, co, {}, c, s);
  constexpr std::size_t total = 600 * 1024;  // more than the windows hold
  std::vector<std::byte> data(total, std::byte{'d'});
  std::size_t got = 0;
  bool eof = false;
  std::thread reader([&] {
    std::array<std::byte, 65536> buf;
    for (;;) {
      auto n = s->read(buf, 10s);
      if (!n || *n == 0) {
        eof = n.has_value();
        return;
      }
      got += *n;
    }
  });
  ASSERT_TRUE(c->write_all(data, 10s));
  const auto t0 = clock_type::now();
  auto closed = c->close();
  EXPECT_TRUE(closed) << closed.error().message;
  EXPECT_LT(ms_since(t0), 10000);
  reader.join();
  EXPECT_EQ(got, total);
  EXPECT_TRUE(eof);

  // The peer does not read: close() waits for the linger time, then says so.
  std::optional<TcpStream> c2, s2;
  TcpOptions quick;
  quick.linger = 300ms;
  pair(7601, quick, {}, c2, s2);
  std::size_t queued = 0;
  const auto deadline = clock_type::now() + 10s;
  while (queued < total && clock_type::now() < deadline) {
    auto n = c2->write(std::span(data).subspan(0, 65536), 100ms);
    if (n) queued += *n;
  }
  ASSERT_GE(queued, total);
  const auto t1 = clock_type::now();
  auto late = c2->close();
  ASSERT_FALSE(late);
  EXPECT_TRUE(late.error().is(Errc::timed_out)) << late.error().message;
  EXPECT_GE(ms_since(t1), 290);
  EXPECT_LT(ms_since(t1), 3000);
  s2->abort();  // the unread rest need not be delivered before the nodes stop
}

// Write-write-read (RFC 896): with Nagle, the second small write waits for the ACK of the
// first, which the peer delays (40 ms, RFC 1122 §4.2.3.2) because it has nothing to send until
// it has both; with NODELAY it leaves at once.
TEST_F(options_world, NodelayRemovesTheNagleWait) {
  std::optional<TcpStream> c, s;
  pair(7700, {}, {}, c, s);
  std::thread echo([&] {
    std::array<std::byte, 16> buf;
    std::size_t have = 0;
    for (;;) {
      auto n = s->read(buf, 10s);
      if (!n || *n == 0) return;
      have += *n;
      for (; have >= 2; have -= 2)
        if (!s->write_all(bytes_of("r"), 5s)) return;
    }
  });
  std::array<std::byte, 16> buf;
  const auto round = [&] {
    const auto t0 = clock_type::now();
    EXPECT_TRUE(c->write(bytes_of("a"), 5s));
    std::this_thread::sleep_for(3ms);  // the first byte is on its way before the second
    EXPECT_TRUE(c->write(bytes_of("b"), 5s));
    auto n = c->read(buf, 5s);
    EXPECT_TRUE(n && *n == 1);
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
  };
  for (int i = 0; i < 20; ++i) round();  // past the peer's quick-ACK start
  double nagle = 0, nodelay = 0;
  for (int i = 0; i < 5; ++i) nagle += round() / 5;
  ASSERT_TRUE(c->set_nodelay(true));
  round();
  for (int i = 0; i < 5; ++i) nodelay += round() / 5;
  std::printf("write-write-read: %.1f ms with Nagle, %.1f ms with NODELAY\n", nagle, nodelay);
  EXPECT_GT(nagle, 25.0);
  EXPECT_LT(nodelay, 20.0);
  EXPECT_GT(nagle, nodelay + 15.0);
  c->close();
  echo.join();
}

TEST_F(options_world, KeepaliveFindsAPeerThatWentAway) {
  TcpOptions co;
  co.keepalive_idle = 200ms;
  co.keepalive_interval = 100ms;
  co.keepalive_count = 3;
  std::optional<TcpStream> c, s;
  pair(7800, co, {}, c, s);
  b->stop();  // no FIN, no RST: b is simply gone
  const auto t0 = clock_type::now();
  std::array<std::byte, 16> buf;
  auto r = c->read(buf, 20s);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::timed_out)) << r.error().message;
  // idle 200 ms + 3 probes 100 ms apart (+ RTO rounding): well under the 20 s read timeout.
  EXPECT_LT(ms_since(t0), 8000);
}

// The same on the accepting side: a listener's keepalive interval and count reach the
// streams it accepts (they were left at 75 s / 9 probes before).
TEST_F(options_world, AcceptedStreamKeepaliveUsesTheListenersTiming) {
  TcpOptions so;
  so.keepalive_idle = 200ms;
  so.keepalive_interval = 100ms;
  so.keepalive_count = 3;
  std::optional<TcpStream> c, s;
  pair(7801, {}, so, c, s);
  a->stop();  // the connecting side is simply gone
  const auto t0 = clock_type::now();
  std::array<std::byte, 16> buf;
  auto r = s->read(buf, 20s);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::timed_out)) << r.error().message;
  EXPECT_LT(ms_since(t0), 8000);
}

}  // namespace
}  // namespace ztkit
