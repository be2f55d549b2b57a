// Deterministic simulation of ztkit nodes around an embedded root (engine/io/sim): one root
// (a custom planet naming it, signed by a test world key) and three nodes. They HELLO the root,
// resolve each other by WHOIS, their first packets are relayed by the root, RENDEZVOUS makes a
// direct path that is then used; with 20% loss and reordering they still converge within a
// bounded virtual time; a root restart is survived; an address collision is rejected and
// counted (issue 6, "Tests").
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "ctrl/node/node_core.h"
#include "engine/io/sim/sim_network.h"
#include "tests/ctrl/node_test_util.h"

namespace ztkit::ctrl {
namespace {

using namespace ztkit::ctrl::testing;
using wire::inet_address;

constexpr std::int64_t ms = 1'000'000;          // sim clock is in ns
constexpr std::int64_t epoch = 1'700'000'000'000;  // node clock: ms since the epoch

struct sim_node : node_sink {
  std::string name;
  crypto::identity id;
  inet_address at;
  buf::buffer_pool pool{{.slab_size = 2048, .count = 512}};
  std::unique_ptr<io::sim::sim_endpoint> ep;
  std::unique_ptr<node_core> core;
  std::map<zt_address, std::set<std::uint64_t>> got;  // messages received: from -> type ids
  std::vector<zt_address> fatal;
  std::vector<zt_address> collisions;
  std::uint64_t datagrams_sent = 0;

  void send(socket_id, const inet_address& to, std::span<const std::uint8_t> bytes, unsigned) override {
    buf::packet_buffer b = pool.get();
    if (!b) return;
    b.reset(0, 0);
    std::memcpy(b.append(bytes.size()), bytes.data(), bytes.size());
    ep->send(io::tx_datagram{std::move(b), to, 0});
    ++datagrams_sent;
  }
  void on_user_message(zt_address from, std::uint64_t type, std::span<const std::uint8_t>) override {
    got[from].insert(type);
  }
  void on_fatal_identity_collision(zt_address up) override { fatal.push_back(up); }
  void on_identity_collision(zt_address a) override { collisions.push_back(a); }
};

class NodeSim : public ::testing::Test {
 protected:
  crypto::identity root_id = load_identity("root");
  inet_address root_at = v4(10, 0, 0, 1, 9993);
  test_planet tp{{wire::world_root{public_only(root_id), {v4(10, 0, 0, 1, 9993)}}}};
  std::unique_ptr<io::sim::sim_network> net;
  std::vector<std::unique_ptr<sim_node>> nodes;  // nodes[0] is the root
  std::uint64_t seed = 1;

  void start(io::sim::link_config link = {.delay_ns = 5 * ms, .jitter_ns = 1 * ms}) {
    io::sim::sim_network::config cfg;
    cfg.seed = seed;
    cfg.default_link = link;
    net = std::make_unique<io::sim::sim_network>(cfg);
    add("root", root_id, root_at);
    add("a", load_identity("tap-a"), v4(10, 0, 1, 2, 9993));
    add("b", load_identity("tap-b"), v4(10, 0, 2, 3, 9993));
    add("c", load_identity("ctl"), v4(10, 0, 3, 4, 9993));
  }
  sim_node& add(std::string name, crypto::identity id, inet_address at) {
    auto n = std::make_unique<sim_node>();
    n->name = std::move(name);
    n->id = std::move(id);
    n->at = at;
    n->ep = net->make_endpoint(n->pool);
    io::socket_options o;
    o.bind = at;
    EXPECT_TRUE(n->ep->open(o).ok());
    restart(*n);
    nodes.push_back(std::move(n));
    return *nodes.back();
  }
  void restart(sim_node& n) {
    node_config cfg;
    cfg.random_seed = seed * 1000 + nodes.size() + 1;
    n.core = std::make_unique<node_core>(n.id, n, cfg, tp.planet);
  }
  sim_node& root() { return *nodes[0]; }
  sim_node& a() { return *nodes[1]; }
  sim_node& b() { return *nodes[2]; }
  sim_node& c() { return *nodes[3]; }
  std::int64_t now() const { return epoch + net->now() / ms; }

  // Runs the world for `dur_ms` of virtual time in 2 ms steps (ticks every 100 ms).
  void run(std::int64_t dur_ms, const std::function<bool()>& until = nullptr) {
    const std::int64_t end = net->now() + dur_ms * ms;
    std::array<io::rx_datagram, 64> rx;
    while (net->now() < end) {
      net->advance_by(2 * ms);
      const std::int64_t t = now();
      for (auto& n : nodes) {
        for (;;) {
          std::size_t k = n->ep->poll(rx, 0);
          for (std::size_t i = 0; i < k; ++i) {
            n->core->on_datagram(t, 0, rx[i].from, rx[i].buffer.bytes());
            rx[i].buffer = {};
          }
          if (k < rx.size()) break;
        }
        if ((net->now() / ms) % 100 == 0) n->core->on_tick(t);
        n->ep->flush();
      }
      if (until && until()) return;
    }
  }
  bool joined(sim_node& n) { return n.core->online(); }
  bool direct(sim_node& x, sim_node& y) {
    const peer* p = x.core->topo().get(y.id.address());
    return p && p->best_path(now()) && p->best_path(now())->remote == y.at;
  }
  void send(sim_node& from, sim_node& to, std::uint64_t type) {
    from.core->send_user_message(now(), to.id.address(), type, {});
  }
  bool has(sim_node& at, sim_node& from, std::uint64_t type) {
    auto it = at.got.find(from.id.address());
    return it != at.got.end() && it->second.count(type);
  }
};

TEST_F(NodeSim, JoinResolveRelayThenGoDirect) {
  start();
  run(2000);
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(joined(*nodes[i])) << nodes[i]->name;
  EXPECT_EQ(root().core->topo().size(), 3u);
  // a -> b: a does not know b yet (WHOIS), b does not know a (WHOIS); the root relays.
  send(a(), b(), 0x10001);
  run(200);
  ASSERT_TRUE(has(b(), a(), 0x10001));
  EXPECT_GE(root().core->counters().relayed, 1u);
  EXPECT_GE(a().core->counters().whois_sent, 1u);
  EXPECT_GE(b().core->counters().whois_sent, 1u);
  EXPECT_GE(root().core->counters().rendezvous_sent, 2u);
  // RENDEZVOUS -> hole punch -> HELLO/ECHO -> OK at hops 0 on both sides.
  run(1000);
  EXPECT_TRUE(direct(a(), b()));
  EXPECT_TRUE(direct(b(), a()));
  // Now used: nothing more goes through the root.
  const auto relayed = root().core->counters().relayed;
  send(a(), b(), 0x10002);
  send(b(), a(), 0x10003);
  run(100);
  EXPECT_TRUE(has(b(), a(), 0x10002));
  EXPECT_TRUE(has(a(), b(), 0x10003));
  EXPECT_EQ(root().core->counters().relayed, relayed);
  // ECHO works both ways too (latency known).
  EXPECT_GT(a().core->topo().get(b().id.address())->protocol_version, 0);
}

class NodeSimLoss : public NodeSim, public ::testing::WithParamInterface<std::uint64_t> {};

TEST_P(NodeSimLoss, ConvergesUnderLossAndReordering) {
  seed = GetParam();
  start({.loss = 0.2, .reorder = 0.1, .delay_ns = 10 * ms, .jitter_ns = 5 * ms});
  std::vector<std::pair<int, int>> pairs{{1, 2}, {2, 3}, {3, 1}};
  // The application sends a message a second on each pair (traffic keeps flowing, as it does
  // for any real application); relayed traffic makes the root introduce the pair every 30 s.
  std::int64_t t0 = net->now();
  auto all_done = [&] {
    for (auto [i, j] : pairs) {
      if (!has(*nodes[j], *nodes[i], 7) || !direct(*nodes[i], *nodes[j]) || !direct(*nodes[j], *nodes[i]))
        return false;
    }
    return true;
  };
  for (int sec = 0; sec < 600 && !all_done(); ++sec) {
    for (auto [i, j] : pairs) send(*nodes[i], *nodes[j], 7);
    run(1000, all_done);
  }
  for (auto [i, j] : pairs)
    EXPECT_TRUE(has(*nodes[j], *nodes[i], 7) && direct(*nodes[i], *nodes[j]) && direct(*nodes[j], *nodes[i]))
        << nodes[i]->name << "->" << nodes[j]->name << " delivered " << has(*nodes[j], *nodes[i], 7)
        << " direct " << direct(*nodes[i], *nodes[j]) << "/" << direct(*nodes[j], *nodes[i])
        << " rendezvous " << root().core->counters().rendezvous_sent << " relayed "
        << root().core->counters().relayed;
  // Bound: under 20% loss the root's confirming HELLO (or its OK) can be lost; a node with no
  // network sends the root nothing direct until its next HELLO, 224 s later (1.14 behaves the
  // same; with a network its MULTICAST_LIKEs every 60 s fill that gap). So: up to two such
  // rounds plus 30 s introduction rounds (ZT_MIN_UNITE_INTERVAL). Seeds 1..8 take 12..460 s.
  const std::int64_t took_ms = (net->now() - t0) / ms;
  EXPECT_LT(took_ms, 600000);
  RecordProperty("converged_ms", std::to_string(took_ms));
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(joined(*nodes[i]));
}

INSTANTIATE_TEST_SUITE_P(Seeds, NodeSimLoss, ::testing::Values(1, 2, 3, 4, 5, 6, 7, 8));

TEST_F(NodeSim, RootRestartIsSurvived) {
  start();
  run(2000);
  send(a(), b(), 1);
  run(1500);
  ASSERT_TRUE(has(b(), a(), 1));
  ASSERT_TRUE(direct(a(), b()));
  // The root restarts with an empty memory (same identity, same address).
  restart(root());
  EXPECT_EQ(root().core->topo().size(), 0u);
  // Direct paths do not need the root.
  send(b(), a(), 2);
  run(100);
  EXPECT_TRUE(has(a(), b(), 2));
  // c has never met a: it needs the root to know a again, which happens when a HELLOs it
  // (at most 224 s + one ping check later). The app retries every second.
  std::int64_t t0 = net->now();
  for (int sec = 0; sec < 300 && !has(a(), c(), 3); ++sec) {
    send(c(), a(), 3);
    run(1000, [&] { return has(a(), c(), 3); });
  }
  EXPECT_TRUE(has(a(), c(), 3));
  EXPECT_LE((net->now() - t0) / ms, (timing::upstream_hello_period + 2 * timing::ping_check_interval));
  EXPECT_EQ(root().core->topo().size(), 3u);
}

TEST_F(NodeSim, AddressCollisionIsRejectedAndCounted) {
  start();
  run(2000);
  // "evil" claims a's address with another key (ctl's), from elsewhere.
  auto c_secret = load_identity("ctl").to_string(true);
  auto fake = crypto::identity::from_string(a().id.address().to_string() + c_secret.substr(10));
  ASSERT_TRUE(fake.ok());
  sim_node& evil = add("evil", *fake, v4(10, 0, 9, 9, 9993));
  run(2000);
  EXPECT_GE(root().core->topo().counters().identity_collisions, 1u);
  EXPECT_FALSE(evil.fatal.empty());  // the root told it: ERROR(IDENTITY_COLLISION) -> fatal
  ASSERT_NE(root().core->topo().get(a().id.address()), nullptr);
  EXPECT_TRUE(root().core->topo().get(a().id.address())->identity() == public_only(a().id));
  // b still reaches the real a.
  send(b(), a(), 9);
  run(500);
  EXPECT_TRUE(has(a(), b(), 9));
  EXPECT_TRUE(evil.got.empty());
}

TEST_F(NodeSim, DeterministicForASeed) {
  auto once = [&] {
    nodes.clear();
    start({.loss = 0.1, .reorder = 0.1, .delay_ns = 5 * ms, .jitter_ns = 3 * ms});
    run(2000);
    send(a(), b(), 1);
    send(c(), a(), 2);
    run(3000);
    std::vector<std::uint64_t> v;
    for (auto& n : nodes) {
      v.push_back(n->datagrams_sent);
      v.push_back(n->core->counters().rx_datagrams);
    }
    return v;
  };
  auto first = once();
  auto second = once();
  EXPECT_EQ(first, second);
}

}  // namespace
}  // namespace ztkit::ctrl
