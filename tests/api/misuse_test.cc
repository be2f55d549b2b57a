// Misuse of the API gives errors, never a crash: calls on closed and moved-from sockets,
// double close, close from another thread while a call is blocked (and calls after it from
// yet another thread), invalid addresses and arguments, sockets that outlive their node.
#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/api/api_world.h"
#include "ztkit/poll.h"
#include "ztkit/tcp.h"
#include "ztkit/udp.h"

namespace ztkit {
namespace {

using namespace std::chrono_literals;
using test::bytes_of;
using clock_type = std::chrono::steady_clock;

using misuse_world = test::api_world;

TEST_F(misuse_world, ClosedMovedFromAndDoubleClosed) {
  auto l = TcpListener::listen(*b, nwid, {{}, 7900});
  ASSERT_TRUE(l);
  auto c = TcpStream::connect(*a, nwid, {ip_b.v4, 7900}, 10s);
  ASSERT_TRUE(c) << c.error().message;
  auto s = l->accept(10s);
  ASSERT_TRUE(s);
  std::array<std::byte, 16> buf;
  // Moved from: every call is an error (or a no-op for close), and fd() is -1.
  TcpStream moved = std::move(*c);
  EXPECT_FALSE(c->is_open());
  EXPECT_TRUE(c->read(buf, 0ms).error().is(Errc::closed));
  EXPECT_TRUE(c->write(bytes_of("x")).error().is(Errc::closed));
  EXPECT_TRUE(c->write_all(bytes_of("x")).error().is(Errc::closed));
  EXPECT_TRUE(c->shutdown_write().error().is(Errc::closed));
  EXPECT_TRUE(c->set_nodelay(true).error().is(Errc::closed));
  EXPECT_TRUE(c->set_linger(1s).error().is(Errc::closed));
  EXPECT_EQ(c->fd(), -1);
  EXPECT_TRUE(c->close());
  c->abort();
  // Closed twice, aborted after close: no effect, errors after.
  EXPECT_TRUE(moved.is_open());
  EXPECT_TRUE(moved.close());
  EXPECT_TRUE(moved.close());
  moved.abort();
  EXPECT_FALSE(moved.is_open());
  EXPECT_EQ(moved.fd(), -1);
  EXPECT_TRUE(moved.read(buf, 0ms).error().is(Errc::closed));
  EXPECT_TRUE(moved.write(bytes_of("x"), 0ms).error().is(Errc::closed));
  EXPECT_TRUE(moved.set_read_timeout(1s).error().is(Errc::closed));
  EXPECT_TRUE(moved.set_nonblocking(true).error().is(Errc::closed));
  // The peer sees an orderly end.
  auto eof = s->read(buf, 5s);
  ASSERT_TRUE(eof) << eof.error().message;
  EXPECT_EQ(*eof, 0u);
  s->abort();
  s->abort();
  EXPECT_TRUE(s->close());
  // Listener and UDP socket: double close, calls after close.
  l->close();
  l->close();
  EXPECT_EQ(l->fd(), -1);
  EXPECT_TRUE(l->accept(0ms).error().is(Errc::closed));
  TcpListener lm = std::move(*l);
  EXPECT_TRUE(l->accept(0ms).error().is(Errc::closed));
  auto u = UdpSocket::bind(*a, nwid, {{}, 7901});
  ASSERT_TRUE(u);
  u->close();
  u->close();
  EXPECT_FALSE(u->is_open());
  EXPECT_TRUE(u->send_to(bytes_of("x"), {ip_b.v4, 9}).error().is(Errc::closed));
  EXPECT_TRUE(u->recv_from(buf, nullptr, 0ms).error().is(Errc::closed));
  EXPECT_TRUE(u->set_recv_timeout(1s).error().is(Errc::closed));
  // The port is free again once the node's side has closed the old socket.
  const auto deadline = clock_type::now() + 5s;
  Expected<UdpSocket> again = Error(Errc::internal, "not tried");
  while (!(again = UdpSocket::bind(*a, nwid, {{}, 7901})) && clock_type::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(again) << again.error().message;
  // poll on closed and moved-from objects: invalid, at once.
  std::array items{PollItem(moved, PollItem::readable), PollItem(lm, PollItem::readable),
                   PollItem(*u, PollItem::readable)};
  auto n = poll(items, 1s);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3u);
  for (const auto& it : items) EXPECT_EQ(it.revents, PollItem::invalid);
}

TEST_F(misuse_world, CloseFromAnotherThreadWhileBlocked) {
  auto l = TcpListener::listen(*b, nwid, {{}, 8000});
  ASSERT_TRUE(l);
  auto c = TcpStream::connect(*a, nwid, {ip_b.v4, 8000}, 10s);
  ASSERT_TRUE(c);
  auto s = l->accept(10s);
  ASSERT_TRUE(s);
  auto u = UdpSocket::bind(*a, nwid, {{}, 8001});
  ASSERT_TRUE(u);
  // Blocked forever in read / accept / recv_from; another thread closes each object.
  Expected<std::size_t> r = std::size_t{99}, d = std::size_t{99};
  Expected<TcpStream> acc = Error(Errc::internal, "not run");
  std::thread reader([&] {
    std::array<std::byte, 16> buf;
    r = c->read(buf);
  });
  std::thread acceptor([&] { acc = l->accept(); });
  std::thread receiver([&] {
    std::array<std::byte, 16> buf;
    d = u->recv_from(buf, nullptr);
  });
  std::this_thread::sleep_for(100ms);  // let them block
  const auto t0 = clock_type::now();
  std::thread closer([&] {
    EXPECT_TRUE(c->close());
    l->close();
    u->close();
  });
  closer.join();
  reader.join();
  acceptor.join();
  receiver.join();
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count(), 3000);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::closed)) << r.error().message;
  ASSERT_FALSE(acc);
  EXPECT_TRUE(acc.error().is(Errc::closed)) << acc.error().message;
  ASSERT_FALSE(d);
  EXPECT_TRUE(d.error().is(Errc::closed)) << d.error().message;
  // Yet another thread uses them after the close: errors.
  std::thread later([&] {
    std::array<std::byte, 16> buf;
    EXPECT_TRUE(c->write(bytes_of("x")).error().is(Errc::closed));
    EXPECT_TRUE(c->read(buf).error().is(Errc::closed));
    EXPECT_TRUE(l->accept().error().is(Errc::closed));
    EXPECT_TRUE(u->recv_from(buf, nullptr).error().is(Errc::closed));
    EXPECT_TRUE(c->close());
  });
  later.join();
  // A writer blocked on a full send buffer, and a concurrent shutdown_write from another thread.
  auto c2 = TcpStream::connect(*a, nwid, {ip_b.v4, 8000}, 2s);
  EXPECT_FALSE(c2);  // the listener is closed: refused
  auto l2 = TcpListener::listen(*b, nwid, {{}, 8002});
  ASSERT_TRUE(l2);
  TcpOptions small;
  small.send_buffer = 4096;
  auto w = TcpStream::connect(*a, nwid, {ip_b.v4, 8002}, 10s, small);
  ASSERT_TRUE(w);
  auto peer = l2->accept(10s);
  ASSERT_TRUE(peer);
  Expected<void> wr;
  std::thread writer([&] {
    std::vector<std::byte> big(8 << 20, std::byte{'z'});
    wr = w->write_all(big);  // never fits: the peer does not read
  });
  std::this_thread::sleep_for(200ms);
  std::thread other([&] {
    EXPECT_TRUE(w->shutdown_write());
    w->abort();
  });
  other.join();
  writer.join();
  ASSERT_FALSE(wr);
  EXPECT_TRUE(wr.error().is(Errc::closed)) << wr.error().message;
}

TEST_F(misuse_world, InvalidAddressesAndArguments) {
  std::array<std::byte, 16> buf;
  // Connect: no address, no port, an address of no network route, a network not joined.
  EXPECT_TRUE(TcpStream::connect(*a, nwid, {}, 1s).error().is(Errc::invalid_argument));
  EXPECT_TRUE(TcpStream::connect(*a, nwid, {ip_b.v4, 0}, 1s).error().is(Errc::invalid_argument));
  EXPECT_TRUE(TcpStream::connect(*a, nwid, {IpAddress::v4(203, 0, 113, 7), 80}, 1s).error().is(Errc::no_route));
  EXPECT_TRUE(TcpStream::connect(*a, 0xdeadbeef00000001ull, {ip_b.v4, 80}, 1s).error().is(Errc::not_joined));
  TcpOptions huge;
  huge.send_buffer = std::size_t{1} << 40;
  EXPECT_TRUE(TcpStream::connect(*a, nwid, {ip_b.v4, 80}, 1s, huge).error().is(Errc::invalid_argument));
  // Listen / bind: port 0 for a listener, someone else's address, a taken port, bad sizes.
  EXPECT_TRUE(TcpListener::listen(*a, nwid, {{}, 0}).error().is(Errc::invalid_argument));
  EXPECT_TRUE(TcpListener::listen(*a, nwid, {ip_b.v4, 80}).error().is(Errc::invalid_argument));
  EXPECT_TRUE(TcpListener::listen(*a, nwid, {{}, 80}, 0).error().is(Errc::invalid_argument));
  auto l = TcpListener::listen(*a, nwid, {{}, 8100});
  ASSERT_TRUE(l);
  EXPECT_TRUE(TcpListener::listen(*a, nwid, {ip_a.v4, 8100}).error().is(Errc::address_in_use));
  EXPECT_TRUE(UdpSocket::bind(*a, nwid, {ip_b.v4, 9}).error().is(Errc::invalid_argument));
  UdpOptions zero;
  zero.recv_queue = 0;
  EXPECT_TRUE(UdpSocket::bind(*a, nwid, {}, zero).error().is(Errc::invalid_argument));
  EXPECT_TRUE(UdpSocket::bind(*a, 0x1234, {}).error().is(Errc::not_joined));
  auto u = UdpSocket::bind(*a, nwid, {});
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->send_to(bytes_of("x"), {}).error().is(Errc::invalid_argument));
  EXPECT_TRUE(u->send_to(bytes_of("x"), {ip_b.v4, 0}).error().is(Errc::invalid_argument));
  std::vector<std::byte> jumbo(70000);
  EXPECT_TRUE(u->send_to(jumbo, {ip_b.v4, 9}).error().is(Errc::invalid_argument));
  // Setters with bad values.
  auto lb = TcpListener::listen(*b, nwid, {{}, 8100});
  ASSERT_TRUE(lb);
  auto c = TcpStream::connect(*a, nwid, {ip_b.v4, 8100}, 10s);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->set_linger(-5ms).error().is(Errc::invalid_argument));
  EXPECT_TRUE(c->set_keepalive(-1ms).error().is(Errc::invalid_argument));
  // Too many poll items.
  std::vector<PollItem> many(70000, PollItem(*u, PollItem::readable));
  EXPECT_TRUE(poll(many, 0ms).error().is(Errc::invalid_argument));
  EXPECT_TRUE(u->recv_from(buf, nullptr, 0ms).error().is(Errc::would_block));
}

TEST_F(misuse_world, SocketsOutliveTheirNode) {
  auto l = TcpListener::listen(*b, nwid, {{}, 8200});
  ASSERT_TRUE(l);
  auto c = TcpStream::connect(*a, nwid, {ip_b.v4, 8200}, 10s);
  ASSERT_TRUE(c);
  auto u = UdpSocket::bind(*a, nwid, {{}, 8201});
  ASSERT_TRUE(u);
  a->stop();
  a->stop();  // twice: fine
  std::array<std::byte, 16> buf;
  EXPECT_TRUE(c->read(buf, 100ms).error().is(Errc::stopped));
  EXPECT_TRUE(u->recv_from(buf, nullptr, 100ms).error().is(Errc::stopped));
  std::array items{PollItem(*c, PollItem::readable), PollItem(*u, PollItem::readable)};
  auto n = poll(items, 1s);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_TRUE(items[0].revents & PollItem::error);
  EXPECT_TRUE(items[1].revents & PollItem::error);
  EXPECT_TRUE(TcpStream::connect(*a, nwid, {ip_b.v4, 8200}, 1s).error().is(Errc::stopped));
  EXPECT_TRUE(UdpSocket::bind(*a, nwid, {}).error().is(Errc::stopped));
  c->close();
  u->close();
  a.reset();  // the node object itself goes first; the sockets after
  c->close();
  EXPECT_TRUE(c->read(buf, 0ms).error().is(Errc::closed));
}

}  // namespace
}  // namespace ztkit
