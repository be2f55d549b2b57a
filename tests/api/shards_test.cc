// NodeOptions::shards end to end: members on several data shards (a: 2, b: 3), TCP over IPv4
// and IPv6 in both directions, every stream checked byte for byte, and the metrics showing
// that the flows really ran on shards 1..n-1 (ctrl/runtime/flow_steer.h decides which).
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/api/api_world.h"
#include "ztkit/metrics.h"
#include "ztkit/tcp.h"

namespace ztkit::test {
namespace {

using namespace std::chrono_literals;

struct shards_world : api_world {
  shards_world() {
    shards_a = 2;
    shards_b = 3;
  }
};

// Bytes unique to stream `i`, so a stream crossed with another one fails the comparison.
std::string payload(std::size_t i, std::size_t len) {
  std::string s(len, '\0');
  for (std::size_t j = 0; j < len; ++j) s[j] = static_cast<char>((i * 131 + j * 7 + j / 251) & 0xff);
  return s;
}

Expected<std::string> read_n(TcpStream& s, std::size_t n) {
  std::string got;
  std::vector<std::byte> buf(65536);
  while (got.size() < n) {
    auto r = s.read(buf, 10s);
    if (!r) return r.error();
    if (*r == 0) break;
    got.append(reinterpret_cast<const char*>(buf.data()), *r);
  }
  return got;
}

// Echoes `count` accepted connections, each until EOF, on a thread per connection.
std::thread echo_server(TcpListener& l, int count) {
  return std::thread([&l, count] {
    std::vector<std::thread> conns;
    for (int i = 0; i < count; ++i) {
      auto s = l.accept(10s);
      if (!s) break;
      conns.emplace_back([s = std::make_shared<TcpStream>(std::move(*s))] {
        std::vector<std::byte> buf(65536);
        for (;;) {
          auto r = s->read(buf, 10s);
          if (!r || *r == 0) break;
          if (!s->write_all(std::span(buf.data(), *r), 10s)) break;
        }
        (void)s->shutdown_write();
        std::vector<std::byte> rest(16);
        (void)s->read(rest, 2s);
      });
    }
    for (auto& t : conns) t.join();
  });
}

std::uint64_t lane_frames(const Metrics& m, unsigned shard) {
  for (const auto& s : m.shards)
    if (s.index == shard) return s.lane_frames_received + s.lane_frames_sent;
  return 0;
}

TEST_F(shards_world, StreamsOverEveryShardEchoByteExact) {
  constexpr int streams = 12;
  constexpr std::size_t len = 200 * 1024;
  auto l = TcpListener::listen(*b, nwid, {{}, 7100});
  ASSERT_TRUE(l) << l.error().message;
  std::thread srv = echo_server(*l, streams);
  std::vector<std::thread> clients;
  std::vector<std::string> results(streams);
  std::vector<std::string> errors(streams);
  for (int i = 0; i < streams; ++i)
    clients.emplace_back([&, i] {
      auto c = TcpStream::connect(*a, nwid, {ip_b.v4, 7100}, 10s);
      if (!c) {
        errors[i] = "connect: " + c.error().message;
        return;
      }
      const std::string want = payload(static_cast<std::size_t>(i), len);
      std::thread w([&] { (void)c->write_all(bytes_of(want), 20s); });
      auto got = read_n(*c, len);
      w.join();
      if (!got) errors[i] = "read: " + got.error().message;
      else results[i] = std::move(*got);
    });
  for (auto& t : clients) t.join();
  l->close();
  srv.join();
  for (int i = 0; i < streams; ++i) {
    EXPECT_EQ(errors[i], "") << "stream " << i;
    EXPECT_TRUE(results[i] == payload(static_cast<std::size_t>(i), len)) << "stream " << i << " differs";
  }

  auto ma = a->metrics();
  auto mb = b->metrics();
  ASSERT_TRUE(ma && mb);
  ASSERT_EQ(ma->shards.size(), 2u);
  ASSERT_EQ(mb->shards.size(), 3u);
  // Connections alternate over a's shards; b's hash spreads the 12 flows over its three.
  EXPECT_GT(lane_frames(*ma, 1), 0u);
  EXPECT_GT(lane_frames(*mb, 1), 0u);
  EXPECT_GT(lane_frames(*mb, 2), 0u);
  // The TCP totals add every shard's lanes.
  EXPECT_GE(ma->tcp.connections_opened, static_cast<std::uint64_t>(streams));
  EXPECT_GE(mb->tcp.connections_opened, static_cast<std::uint64_t>(streams));
  EXPECT_GE(mb->tcp.bytes_received, streams * len);
  EXPECT_EQ(ma->dropped("network", "shard_ring_full"), 0u);
  EXPECT_EQ(mb->dropped("network", "shard_ring_full"), 0u);
}

TEST_F(shards_world, Ipv6ServerOnTheTwoShardNodeSendsToEveryStream) {
  constexpr int streams = 6;
  constexpr std::size_t len = 1 << 20;
  auto l = TcpListener::listen(*a, nwid, {ip_a.rfc4193, 7200});
  ASSERT_TRUE(l) << l.error().message;
  std::thread srv([&] {
    std::vector<std::thread> conns;
    for (int i = 0; i < streams; ++i) {
      auto s = l->accept(10s);
      ASSERT_TRUE(s) << s.error().message;
      conns.emplace_back([s = std::make_shared<TcpStream>(std::move(*s))] {
        // The client names its stream first (one byte), then reads its bytes.
        std::byte id{};
        auto r = s->read(std::span(&id, 1), 10s);
        if (!r || *r != 1) return;
        (void)s->write_all(bytes_of(payload(static_cast<std::size_t>(id), len)), 20s);
        (void)s->close();
      });
    }
    for (auto& t : conns) t.join();
  });
  std::vector<std::thread> clients;
  std::vector<int> ok(streams, 0);  // not vector<bool>: each thread writes its own element
  for (int i = 0; i < streams; ++i)
    clients.emplace_back([&, i] {
      auto c = TcpStream::connect(*b, nwid, {ip_a.rfc4193, 7200}, 10s);
      if (!c) return;
      const std::byte id{static_cast<unsigned char>(i)};
      if (!c->write_all(std::span(&id, 1), 5s)) return;
      auto got = read_n(*c, len + 1);  // reads to EOF
      ok[i] = got && *got == payload(static_cast<std::size_t>(i), len) ? 1 : 0;
    });
  for (auto& t : clients) t.join();
  srv.join();
  for (int i = 0; i < streams; ++i) EXPECT_EQ(ok[i], 1) << "stream " << i;
  auto ma = a->metrics();
  ASSERT_TRUE(ma);
  EXPECT_GT(lane_frames(*ma, 1), 0u) << "no IPv6 flow landed on a's shard 1";
}

TEST_F(shards_world, ClosedListenerRefusesOnEveryShard) {
  auto l = TcpListener::listen(*b, nwid, {{}, 7300});
  ASSERT_TRUE(l) << l.error().message;
  // Taken on whichever shard its flow hashes to.
  for (int i = 0; i < 6; ++i) {
    auto c = TcpStream::connect(*a, nwid, {ip_b.v4, 7300}, 5s);
    ASSERT_TRUE(c) << c.error().message;
    auto s = l->accept(5s);
    ASSERT_TRUE(s) << s.error().message;
  }
  l->close();
  // Every shard drops its listener at its next pass; then no connection gets through.
  int refused = 0;
  for (int i = 0; i < 6; ++i) {
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    for (;;) {
      auto c = TcpStream::connect(*a, nwid, {ip_b.v4, 7300}, 2s);
      if (!c && c.error().code == Errc::connection_refused) {
        ++refused;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_EQ(refused, 6);
  // The port is free on every shard again.
  auto again = TcpListener::listen(*b, nwid, {{}, 7300});
  EXPECT_TRUE(again) << again.error().message;
}

TEST(shards_options, StartRejectsAShardCountOutOfRange) {
  temp_dir tmp{"ztkit-shards"};
  for (unsigned n : {0u, 65u}) {
    NodeOptions o;
    o.state_dir = tmp.path.string();
    o.listen = "127.0.0.1:0";
    o.shards = n;
    auto r = Node::start(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("shards"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace ztkit::test
