// ztkit::poll over TcpListener, TcpStream and UdpSocket items: each event (readable,
// writable, error, hangup, invalid) shows when it should and only then; a blocked poll wakes
// when another thread's data arrives, within bounds, and sleeps without burning CPU.
#include <sys/resource.h>

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

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long long ms_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
}

using poll_world = test::api_world;

TEST_F(poll_world, ListenerStreamAndUdpTogether) {
  auto l = TcpListener::listen(*b, nwid, {{}, 7100});
  ASSERT_TRUE(l) << l.error().message;
  auto ub = UdpSocket::bind(*b, nwid, {{}, 7101});
  ASSERT_TRUE(ub) << ub.error().message;
  std::vector<PollItem> items{PollItem(*l, PollItem::readable), PollItem(*ub, PollItem::readable)};
  // Nothing yet: a zero timeout returns at once, a short one after about that long.
  auto n = poll(items, 0ms);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  auto t0 = clock_type::now();
  n = poll(items, 60ms);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_GE(ms_since(t0), 55);
  EXPECT_LT(ms_since(t0), 1000);
  EXPECT_EQ(items[0].revents | items[1].revents, 0u);

  // A connection from another thread wakes a poll that waits for up to 10 s.
  std::optional<Expected<TcpStream>> c;
  std::thread connector([&] { c.emplace(TcpStream::connect(*a, nwid, {ip_b.v4, 7100}, 10s)); });
  t0 = clock_type::now();
  n = poll(items, 10s);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_LT(ms_since(t0), 5000);
  EXPECT_EQ(items[0].revents, PollItem::readable);
  EXPECT_EQ(items[1].revents, 0u);
  connector.join();
  ASSERT_TRUE(*c) << (*c).error().message;
  TcpStream& client = **c;
  auto s = l->accept(0ms);
  ASSERT_TRUE(s) << s.error().message;
  // The listener is no longer readable; the new stream is writable, not readable.
  items.push_back(PollItem(*s, PollItem::readable | PollItem::writable));
  n = poll(items, 0ms);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(items[0].revents, 0u);
  EXPECT_EQ(items[2].revents, PollItem::writable);
  items[2].events = PollItem::readable;

  // A datagram: only the UDP item.
  auto ua = UdpSocket::bind(*a, nwid, {});
  ASSERT_TRUE(ua);
  std::thread sender([&] {
    std::this_thread::sleep_for(50ms);  // let poll block first
    EXPECT_TRUE(ua->send_to(bytes_of("dgram"), {ip_b.v4, 7101}));
  });
  n = poll(items, 10s);
  sender.join();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(items[1].revents, PollItem::readable);
  std::array<std::byte, 64> buf;
  ASSERT_TRUE(ub->recv_from(buf, nullptr, 0ms));
  // Stream data: only the stream.
  ASSERT_TRUE(client.write_all(bytes_of("data"), 5s));
  n = poll(items, 10s);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(items[2].revents, PollItem::readable);
  auto got = s->read(buf, 0ms);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 4u);
  n = poll(items, 0ms);
  EXPECT_EQ(*n, 0u);  // drained: not readable any more (level-triggered)

  // The peer closes: readable (EOF) and hangup.
  ASSERT_TRUE(client.close());
  n = poll(items, 10s);
  ASSERT_TRUE(n);
  EXPECT_EQ(items[2].revents, PollItem::readable | PollItem::hangup);
  // Closed objects are invalid.
  s->close();
  ub->close();
  n = poll(items, 0ms);
  ASSERT_TRUE(n);
  EXPECT_EQ(items[1].revents, PollItem::invalid);
  EXPECT_EQ(items[2].revents, PollItem::invalid);
}

TEST_F(poll_world, WritableOnlyWithRoomAndErrorOnReset) {
  auto l = TcpListener::listen(*b, nwid, {{}, 7200});
  ASSERT_TRUE(l);
  TcpOptions small;
  small.send_buffer = 4096;
  auto c = TcpStream::connect(*a, nwid, {ip_b.v4, 7200}, 10s, small);
  ASSERT_TRUE(c) << c.error().message;
  auto s = l->accept(10s);
  ASSERT_TRUE(s);
  // Fill everything between the writer and the reader that does not read (pipes, socket
  // buffers, the window): writable turns false and stays so.
  std::vector<std::byte> chunk(16384, std::byte{'x'});
  std::array<PollItem, 1> w{PollItem(*c, PollItem::writable)};
  const auto deadline = clock_type::now() + 10s;
  std::size_t written = 0;
  for (;;) {
    ASSERT_LT(clock_type::now(), deadline) << "the send side never filled up";
    auto n = c->write(chunk, 0ms);
    if (n) {
      written += *n;
      continue;
    }
    ASSERT_TRUE(n.error().is(Errc::would_block)) << n.error().message;
    auto p = poll(w, 300ms);
    ASSERT_TRUE(p);
    if (*p == 0) break;  // no room for 300 ms: full
    EXPECT_EQ(w[0].revents, PollItem::writable);
  }
  EXPECT_GT(written, 256u * 1024);
  EXPECT_EQ(w[0].revents, 0u);
  // The reader drains in another thread: a poll for writable wakes.
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    std::array<std::byte, 65536> buf;
    while (!stop.load())
      if (auto n = s->read(buf, 50ms); n && *n == 0) break;
  });
  auto t0 = clock_type::now();
  auto p = poll(w, 10s);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 1u);
  EXPECT_EQ(w[0].revents, PollItem::writable);
  EXPECT_LT(ms_since(t0), 5000);
  stop = true;
  reader.join();
  // The peer resets: error and hangup (and readable/writable, since I/O will not block).
  s->abort();
  std::array<PollItem, 1> r{PollItem(*c, PollItem::readable)};
  p = poll(r, 10s);
  ASSERT_TRUE(p);
  EXPECT_EQ(r[0].revents, PollItem::readable | PollItem::error | PollItem::hangup);
}

TEST_F(poll_world, BlockedPollUsesNoCpu) {
  auto u = UdpSocket::bind(*b, nwid, {{}, 7300});
  ASSERT_TRUE(u);
  auto l = TcpListener::listen(*b, nwid, {{}, 7301});
  ASSERT_TRUE(l);
  std::array items{PollItem(*u, PollItem::readable), PollItem(*l, PollItem::readable)};
  const double cpu0 = cpu_seconds();
  const auto t0 = clock_type::now();
  auto n = poll(items, 400ms);
  const double cpu = cpu_seconds() - cpu0;
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  EXPECT_GE(ms_since(t0), 390);
  // Three node threads also run in this process: allow them their idle timers.
  EXPECT_LT(cpu, 0.15) << "a 400 ms poll used " << cpu * 1000 << " ms of CPU";
}

}  // namespace
}  // namespace ztkit
