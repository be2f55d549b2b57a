// No polling: nodes with joined networks and an open, idle TCP connection sleep until a packet,
// a timer or the application wakes them (architecture.md: no fixed sleeps or polling intervals
// in the data path). Their CPU time over a second of idleness must stay near zero: a node
// thread that spins shows up as hundreds of milliseconds here. (A resource check, not a speed
// test: process CPU time does not depend on how loaded the machine is.)
#include <sys/resource.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "ztkit/node.h"
#include "ztkit/tcp.h"

namespace ztkit {
namespace {

using namespace std::chrono_literals;

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

TEST(Idle, NodesWithAnIdleConnectionDoNotSpin) {
  test::temp_dir tmp("ztkit-idle");
  NodeOptions ro;
  ro.state_dir = (tmp.path / "r").string();
  ro.listen = "127.0.0.1:" + std::to_string(test::free_udp_port());
  ro.root_endpoint = SocketAddress::parse(ro.listen);
  ro.controller = true;
  ro.allow_loopback = true;
  auto root = Node::start(ro);
  ASSERT_TRUE(root) << root.error().message;
  ControllerNetwork cn;
  cn.suffix = 1;
  cn.is_private = false;
  cn.pool_first = IpAddress::v4(10, 9, 9, 1);
  cn.pool_last = IpAddress::v4(10, 9, 9, 9);
  auto nw = (*root)->create_network(cn);
  ASSERT_TRUE(nw);
  std::unique_ptr<Node> n[2];
  for (int i = 0; i < 2; ++i) {
    NodeOptions o;
    o.state_dir = (tmp.path / std::to_string(i)).string();
    o.listen = "127.0.0.1:0";
    o.planet_file = (*root)->planet_file();
    o.allow_loopback = true;
    auto x = Node::start(o);
    ASSERT_TRUE(x) << x.error().message;
    n[i] = std::move(*x);
    ASSERT_TRUE(n[i]->join(*nw));
  }
  auto info = n[1]->wait_network_ready(*nw, 20s);
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_TRUE(n[0]->wait_network_ready(*nw, 20s));
  auto l = TcpListener::listen(*n[1], *nw, {{}, 80});
  ASSERT_TRUE(l);
  auto c = TcpStream::connect(*n[0], *nw, {info->addresses[0].ip, 80});
  ASSERT_TRUE(c) << c.error().message;
  auto s = l->accept(5s);
  ASSERT_TRUE(s);
  std::this_thread::sleep_for(300ms);  // let the handshake's ACKs settle
  const double before = cpu_seconds();
  std::this_thread::sleep_for(1s);
  const double used = cpu_seconds() - before;
  std::printf("CPU used by three idle nodes in 1 s: %.3f s\n", used);
  EXPECT_LT(used, 0.25);
  // Still alive afterwards.
  const std::string m = "hi";
  ASSERT_TRUE(c->write_all(std::as_bytes(std::span(m.data(), m.size())), 5s));
  std::array<std::byte, 8> b;
  auto r = s->read(b, 5s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, 2u);
}

}  // namespace
}  // namespace ztkit
