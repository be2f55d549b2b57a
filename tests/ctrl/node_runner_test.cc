// node_runner's two threads (ctrl/runtime/node_runner.h): the shard hands what the data path
// cannot finish to the control thread in its receive slab, the control thread gives the slabs
// back, and nothing is lost on the way, a flood included. Real sockets on 127.0.0.1.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "ctrl/runtime/node_runner.h"
#include "tests/ctrl/node_test_util.h"
#include "tests/support/process.h"

namespace ztkit::ctrl {
namespace {

using namespace ztkit::ctrl::testing;
using namespace std::chrono_literals;

bool wait_for(const std::function<bool()>& f, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}

// Runs fn on the shard thread (post_shard) or, with the core, on the control thread (post), and
// waits for it.
template <typename F>
void on_shard(node_runner& r, F&& fn) {
  std::atomic<bool> done{false};
  r.post_shard([&](std::int64_t) {
    fn();
    done.store(true);
  });
  ASSERT_TRUE(wait_for([&] { return done.load(); }));
}
template <typename F>
void on_control(node_runner& r, F&& fn) {
  std::atomic<bool> done{false};
  r.post([&](node_core& core, std::int64_t) {
    fn(core);
    done.store(true);
  });
  ASSERT_TRUE(wait_for([&] { return done.load(); }));
}

struct two_nodes : ::testing::Test {
  // Waits until the control thread has given every receive slab back to the root's shard;
  // the root's loop counters then.
  bool slabs_all_back(runner_counters& rcs) {
    std::size_t held = 1;
    return wait_for([&] {
      on_shard(*r, [&] {
        rcs = r->counters();
        held = r->slabs_with_core();
      });
      return held == 0;
    });
  }

  crypto::identity root = load_identity("root");
  crypto::identity a = load_identity("tap-a");
  int root_port = test::free_udp_port();
  std::unique_ptr<node_runner> r, n;
  std::mutex mu;
  std::vector<std::uint64_t> messages;  // USER_MESSAGE types the root got
  std::atomic<bool> online{false};

  void SetUp() override {
    ASSERT_GT(root_port, 0);
    test_planet tp({wire::world_root{public_only(root), {v4(127, 0, 0, 1, static_cast<std::uint16_t>(root_port))}}});
    node_runner_config rc;
    rc.socket.bind = v4(127, 0, 0, 1, static_cast<std::uint16_t>(root_port));
    rc.node.paths.allow_loopback = true;
    rc.planet = tp.planet;
    rc.tick_interval_ms = 20;
    rc.on_event = [&](const runner_event& e) {
      if (e.what == runner_event::kind::user_message) {
        std::lock_guard l(mu);
        messages.push_back(e.type);
      }
    };
    auto rr = node_runner::start(root, rc);
    ASSERT_TRUE(rr.ok()) << rr.message();
    r = std::move(rr).value();
    node_runner_config nc;
    nc.socket.bind = v4(127, 0, 0, 1, 0);
    nc.node.paths.allow_loopback = true;
    nc.planet = tp.planet;
    nc.tick_interval_ms = 20;
    nc.on_event = [&](const runner_event& e) {
      if (e.what == runner_event::kind::online && e.flag) online.store(true);
    };
    auto nn = node_runner::start(a, nc);
    ASSERT_TRUE(nn.ok()) << nn.message();
    n = std::move(nn).value();
  }
};

TEST_F(two_nodes, ControlPacketsCrossInTheirSlabAndTheSlabsComeBack) {
  // HELLO (cipher 0: unread) reaches the root's core, OK(HELLO) (dearmored) the node's.
  ASSERT_TRUE(wait_for([&] { return online.load(); }));
  for (std::uint64_t t = 1; t <= 20; ++t) n->send_user_message(root.address(), t, {1, 2, 3});
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard l(mu);
    return messages.size() == 20;
  }));
  {
    std::lock_guard l(mu);
    for (std::uint64_t t = 1; t <= 20; ++t) EXPECT_EQ(messages[t - 1], t);  // in order, all there
  }
  runner_counters rcs;
  ASSERT_TRUE(slabs_all_back(rcs));
  EXPECT_GE(rcs.handoffs_in_slab, 21u);  // the HELLO and 20 USER_MESSAGEs
  EXPECT_EQ(rcs.handoffs_copied, 0u);
}

TEST_F(two_nodes, AFloodOfUnreadablePacketsIsCountedAndNeverDrainsTheReceivePool) {
  // 300 datagrams the data path cannot read (cipher 0 claiming ECHO from an unknown sender):
  // each reaches the root's core and is counted there; at most max_held_slabs receive slabs
  // are with the control thread at any time (the rest are copied), and all come back.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<std::uint16_t>(root_port));
  std::vector<std::uint8_t> junk(40, 0);
  auto v = wire::packet_view::checked(junk).value();
  v.set_destination(root.address());
  v.set_source(zt_address(0x1234567890ULL));
  v.set_verb(wire::verb::echo);
  std::uint64_t before = 0;
  on_control(*r, [&](node_core& core) { before = core.counters().rx_bad_cipher; });
  constexpr int flood = 300;
  for (int i = 0; i < flood; ++i) {
    v.set_packet_id(static_cast<std::uint64_t>(i + 1));
    ASSERT_EQ(::sendto(fd, junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(junk.size()));
    if (i % 32 == 31) std::this_thread::sleep_for(1ms);  // within the socket's buffer
  }
  ::close(fd);
  std::uint64_t counted = 0;
  ASSERT_TRUE(wait_for([&] {
    on_control(*r, [&](node_core& core) { counted = core.counters().rx_bad_cipher - before; });
    return counted == flood;
  })) << counted;
  runner_counters rcs;
  ASSERT_TRUE(slabs_all_back(rcs));
  EXPECT_GE(rcs.handoffs_in_slab + rcs.handoffs_copied, static_cast<std::uint64_t>(flood));
}

}  // namespace
}  // namespace ztkit::ctrl
