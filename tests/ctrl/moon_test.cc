// Moons in the node core (issue 6; zerotier-protocol.md §7, §3 HELLO / OK(HELLO); 1.14
// Topology::addMoon/addWorld/removeMoon, Peer::sendHELLO, IncomingPacket::_doHELLO/_doOK):
// orbit by seed (HELLO with the moon wanted, the world in OK(HELLO)), the World update rule for
// moons, moon roots as upstreams, deorbit; then the same in a deterministic simulation where the
// seed is a real moon root reached through the planet's root.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>

#include "ctrl/node/hello.h"
#include "ctrl/node/node_core.h"
#include "engine/io/sim/sim_network.h"
#include "tests/ctrl/node_test_util.h"

namespace ztkit::ctrl {
namespace {

using namespace ztkit::ctrl::testing;
using wire::cipher_suite;
using wire::inet_address;
using wire::verb;
using moon_ref = wire::hello_payload::moon_ref;

constexpr auto moon_type = static_cast<std::uint8_t>(wire::world::type::moon);

// A moon signed by a fresh world key (as `zerotier-idtool genmoon` makes them).
struct test_moon {
  crypto::c25519_pair key = crypto::c25519_generate();
  std::uint64_t id;
  explicit test_moon(std::uint64_t moon_id) : id(moon_id) {}
  wire::world make(std::uint64_t ts, std::vector<wire::world_root> roots) const {
    return wire::world::make(wire::world::type::moon, id, ts, key.pub, std::move(roots), key);
  }
};

struct world_sink : recording_sink {
  std::vector<wire::world> worlds;
  void on_world_updated(const wire::world& w) override { worlds.push_back(w); }
};

std::vector<moon_ref> moons_of(const opened& o) {
  std::vector<moon_ref> out;
  auto h = wire::parse_payload<wire::hello_payload>(o.payload());
  EXPECT_TRUE(h.ok());
  if (h.ok() && h->value.moons)
    for (const auto& m : *h->value.moons) out.push_back(m);
  return out;
}

class Moon : public ::testing::Test {
 protected:
  crypto::identity a = load_identity("tap-a");
  crypto::identity root = load_identity("root");
  crypto::identity s = load_identity("ctl");  // the moon's root (the seed)
  crypto::identity b = load_identity("tap-b");
  inet_address root_ep = v4(10, 0, 0, 1, 9993);
  inet_address a_ep = v4(10, 0, 0, 2, 9993);
  inet_address s_ep = v4(10, 0, 0, 9, 9993);
  inet_address b_ep = v4(10, 0, 0, 3, 9993);
  test_planet tp{{wire::world_root{public_only(root), {v4(10, 0, 0, 1, 9993)}}}};
  test_moon tm{0xc0ffee0001ULL};
  wire::world moon1 = tm.make(1000, {wire::world_root{public_only(s), {v4(10, 0, 0, 9, 9993)}}});
  world_sink sink;
  std::unique_ptr<node_core> node;
  std::int64_t now = 1'000'000;
  std::uint64_t next_id = 0x2000000000000000ULL;

  void SetUp() override { node = make(); }
  std::unique_ptr<node_core> make(node_config cfg = {}) {
    cfg.random_seed = 7;
    return std::make_unique<node_core>(a, sink, cfg, tp.planet);
  }
  std::uint64_t id() { return next_id += 0x0100000000000001ULL; }
  void feed(const inet_address& from, std::span<const std::uint8_t> bytes) {
    node->on_datagram(now, 0, from, bytes);
  }
  std::vector<opened> sent_to(const inet_address& to, const crypto::identity& as) {
    std::vector<opened> out;
    for (auto& d : sink.sent)
      if (d.to == to && d.bytes.size() >= 28) {
        auto o = open_packet(as, a, d.bytes);
        if (o.ok) out.push_back(std::move(o));
      }
    return out;
  }
  void join_root() {
    node->on_tick(now);
    auto hellos = sent_to(root_ep, root);
    ASSERT_EQ(hellos.size(), 1u);
    auto h = wire::parse_payload<wire::hello_payload>(hellos[0].payload());
    ASSERT_TRUE(h.ok());
    sink.take();
    now += 20;
    wire::ok_hello ok{.timestamp = h->value.timestamp, .protocol_version = 12, .major = 1,
                      .minor = 14, .revision = 1, .external_address = a_ep,
                      .world_updates = wire::bytes_ref{}};
    feed(root_ep, make_ok(root, a, verb::hello, hellos[0].wire_id, ok,
                          cipher_suite::poly1305_salsa2012, id()));
    ASSERT_NE(node->topo().get(root.address())->best_path(now), nullptr);
  }
  // An OK(HELLO) from `from` answering our HELLO `in_re`, carrying `worlds`.
  std::vector<std::uint8_t> ok_with_worlds(const crypto::identity& from, std::uint64_t in_re,
                                           const std::vector<wire::world>& worlds, unsigned hops) {
    std::vector<std::uint8_t> bytes;
    for (const auto& w : worlds) {
      auto one = w.serialize();
      bytes.insert(bytes.end(), one.begin(), one.end());
    }
    wire::ok_hello ok{.timestamp = static_cast<std::uint64_t>(now), .protocol_version = 12,
                      .major = 1, .minor = 14, .revision = 1, .external_address = a_ep,
                      .world_updates = wire::bytes_ref(bytes)};
    return make_ok(from, a, verb::hello, in_re, ok, cipher_suite::aes_gmac_siv, id(), hops);
  }
  // b says HELLO to our node listing `refs` as its moons.
  std::vector<std::uint8_t> hello_from_b_with_moons(std::vector<moon_ref> refs) {
    auto k = keys_between(b, a);
    hello_fields f{.destination = a.address(), .packet_id = id(), .timestamp = now,
                   .sent_to = a_ep, .planet_id = tp.planet.id,
                   .planet_timestamp = tp.planet.timestamp, .moons = refs};
    return make_hello(b, k->keys(), f);
  }
  // Orbit by seed `s` (known, no path): returns the HELLO that went to it via the root.
  opened orbit_by_seed() {
    join_root();
    EXPECT_EQ(node->topo().add(public_only(s), now).status, topology::add_status::added);
    sink.take();
    EXPECT_TRUE(node->orbit(now, tm.id, s.address()));
    auto hellos = sent_to(root_ep, s);  // relayed: the root's path, addressed to the seed
    EXPECT_EQ(hellos.size(), 1u);
    if (hellos.empty()) return {};
    EXPECT_EQ(hellos[0].header.verb, static_cast<std::uint8_t>(verb::hello));
    EXPECT_EQ(hellos[0].header.destination, s.address());
    EXPECT_TRUE(node->expecting_reply_to(hellos[0].wire_id));
    sink.take();
    return hellos[0];
  }
};

TEST_F(Moon, OrbitBySeedFetchesTheMoonAndMakesItsRootAnUpstream) {
  const opened hello = orbit_by_seed();
  // The moon is listed as wanted: (moon, id, timestamp 0).
  EXPECT_EQ(moons_of(hello), (std::vector<moon_ref>{{moon_type, tm.id, 0}}));
  EXPECT_EQ(node->topo().moons_wanted(), std::vector<std::uint64_t>{tm.id});
  EXPECT_FALSE(node->topo().is_upstream(s.address()));
  // The seed answers through the root (hops 1) with the moon.
  now += 30;
  feed(root_ep, ok_with_worlds(s, hello.wire_id, {moon1}, 1));
  ASSERT_NE(node->topo().moon(tm.id), nullptr);
  EXPECT_EQ(*node->topo().moon(tm.id), moon1);
  EXPECT_TRUE(node->topo().moon_seeds().empty());
  EXPECT_TRUE(node->topo().is_upstream(s.address()));
  EXPECT_FALSE(node->topo().is_planet_root(s.address()));
  EXPECT_EQ(node->topo().stable_endpoints(s.address()), std::vector<inet_address>{s_ep});
  EXPECT_EQ(node->topo().counters().moon_updates, 1u);
  ASSERT_EQ(sink.worlds.size(), 1u);
  EXPECT_EQ(sink.worlds[0], moon1);
  // The moon root is contacted like a planet root: HELLO at its stable endpoint while it has
  // no path, listing the moon we now orbit with its timestamp.
  sink.take();
  now += timing::ping_check_interval;
  node->on_tick(now);
  auto to_s = sent_to(s_ep, s);
  ASSERT_EQ(to_s.size(), 1u);
  EXPECT_EQ(moons_of(to_s[0]), (std::vector<moon_ref>{{moon_type, tm.id, 1000}}));
  // Its OK at hops 0 from that endpoint gives a path; it then counts for WHOIS fallback.
  feed(s_ep, ok_with_worlds(s, to_s[0].wire_id, {}, 0));
  EXPECT_NE(node->topo().get(s.address())->best_path(now), nullptr);
  auto ups = node->topo().upstreams();
  EXPECT_EQ(ups.size(), 2u);
  // Orbiting a moon already held needs nothing.
  sink.take();
  EXPECT_TRUE(node->orbit(now, tm.id, s.address()));
  EXPECT_TRUE(sink.sent.empty());
}

TEST_F(Moon, UnknownSeedIsLookedUpFirst) {
  join_root();
  sink.take();
  EXPECT_TRUE(node->orbit(now, tm.id, s.address()));
  auto to_root = sent_to(root_ep, root);
  ASSERT_EQ(to_root.size(), 1u);
  EXPECT_EQ(to_root[0].header.verb, static_cast<std::uint8_t>(verb::whois));
  EXPECT_EQ(node->counters().whois_sent, 1u);
  EXPECT_FALSE(node->orbit(now, tm.id, a.address()));         // ourselves
  EXPECT_FALSE(node->orbit(now, tm.id, zt_address(0xff00000001ULL)));  // reserved
}

TEST_F(Moon, BadSignatureOrForeignSeedIsRefusedAndCounted) {
  const opened hello = orbit_by_seed();
  wire::world forged = moon1;
  forged.signature[5] ^= 0x20;
  feed(root_ep, ok_with_worlds(s, hello.wire_id, {forged}, 1));
  EXPECT_EQ(node->topo().moon(tm.id), nullptr);
  EXPECT_EQ(node->topo().counters().moon_updates_rejected, 1u);
  // Validly signed, but the seed is not one of its roots: not what we asked for.
  auto elsewhere = tm.make(1000, {wire::world_root{public_only(b), {b_ep}}});
  feed(root_ep, ok_with_worlds(s, hello.wire_id, {elsewhere}, 1));
  EXPECT_EQ(node->topo().moon(tm.id), nullptr);
  EXPECT_EQ(node->topo().counters().moon_updates_rejected, 2u);
  // A moon nobody asked for.
  test_moon other(0xbadbadULL);
  feed(root_ep, ok_with_worlds(s, hello.wire_id, {other.make(5, {wire::world_root{public_only(s), {s_ep}}})}, 1));
  EXPECT_EQ(node->topo().moon(other.id), nullptr);
  EXPECT_EQ(node->topo().counters().moon_updates_rejected, 3u);
  EXPECT_FALSE(node->topo().is_upstream(s.address()));
  EXPECT_TRUE(sink.worlds.empty());
  EXPECT_FALSE(node->topo().moon_seeds().empty());  // still wanted
  // Worlds from a peer that is neither an upstream nor a seed are not even looked at.
  node->topo().add(public_only(b), now);
  feed(b_ep, hello_from_b_with_moons({}));  // b says HELLO; we answer (nothing to check)
  const auto not_up = node->counters().rx_not_upstream;
  feed(root_ep, ok_with_worlds(b, hello.wire_id, {moon1}, 1));
  EXPECT_EQ(node->counters().rx_not_upstream, not_up + 1);
  EXPECT_EQ(node->topo().moon(tm.id), nullptr);
  // The genuine one is then adopted.
  feed(root_ep, ok_with_worlds(s, hello.wire_id, {moon1}, 1));
  EXPECT_NE(node->topo().moon(tm.id), nullptr);
}

TEST_F(Moon, NewerVersionAdoptedOlderOrForeignKeyRefused) {
  node_config cfg;
  cfg.moons = {moon1};
  node = make(cfg);
  EXPECT_TRUE(node->topo().is_upstream(s.address()));
  EXPECT_TRUE(sink.worlds.empty());  // moons given at start are not reported
  node->on_tick(now);
  auto to_s = sent_to(s_ep, s);
  ASSERT_EQ(to_s.size(), 1u);
  EXPECT_EQ(moons_of(to_s[0]), (std::vector<moon_ref>{{moon_type, tm.id, 1000}}));
  const std::uint64_t in_re = to_s[0].wire_id;
  // Newer, signed by the moon's key (roots may change): adopted and reported.
  auto moon2 = tm.make(2000, {wire::world_root{public_only(s), {s_ep}},
                              wire::world_root{public_only(b), {b_ep}}});
  feed(s_ep, ok_with_worlds(s, in_re, {moon2}, 0));
  ASSERT_NE(node->topo().moon(tm.id), nullptr);
  EXPECT_EQ(node->topo().moon(tm.id)->timestamp, 2000u);
  EXPECT_TRUE(node->topo().is_upstream(b.address()));
  ASSERT_EQ(sink.worlds.size(), 1u);
  EXPECT_EQ(sink.worlds[0], moon2);
  // Older: refused.
  auto moon15 = tm.make(1500, {wire::world_root{public_only(s), {s_ep}}});
  feed(s_ep, ok_with_worlds(s, in_re, {moon15}, 0));
  EXPECT_EQ(node->topo().moon(tm.id)->timestamp, 2000u);
  EXPECT_EQ(node->topo().counters().moon_updates_rejected, 1u);
  // Newer but signed by another key: refused.
  test_moon thief(tm.id);
  feed(s_ep, ok_with_worlds(s, in_re, {thief.make(9000, {wire::world_root{public_only(s), {s_ep}}})}, 0));
  EXPECT_EQ(node->topo().moon(tm.id)->timestamp, 2000u);
  EXPECT_EQ(node->topo().counters().moon_updates_rejected, 2u);
  // The same version again: nothing changes, nothing counted.
  feed(s_ep, ok_with_worlds(s, in_re, {moon2}, 0));
  EXPECT_EQ(node->topo().counters().moon_updates_rejected, 2u);
  EXPECT_EQ(sink.worlds.size(), 1u);
  // A planet root may hand us the moon's update too (any upstream may).
  auto moon3 = tm.make(3000, {wire::world_root{public_only(s), {s_ep}}});
  node->on_tick(now + timing::ping_check_interval);
  auto to_root = sent_to(root_ep, root);
  ASSERT_FALSE(to_root.empty());
  feed(root_ep, ok_with_worlds(root, to_root.back().wire_id, {moon3}, 0));
  EXPECT_EQ(node->topo().moon(tm.id)->timestamp, 3000u);
  EXPECT_FALSE(node->topo().is_upstream(b.address()));  // no longer a root of the moon
  EXPECT_NE(node->topo().get(b.address()), nullptr);    // but still a peer
}

TEST_F(Moon, HelloListingAnOlderMoonGetsTheNewerOneInOkHello) {
  auto moon2 = tm.make(2000, {wire::world_root{public_only(s), {s_ep}}});
  node_config cfg;
  cfg.moons = {moon2};
  node = make(cfg);
  auto answer_worlds = [&](std::vector<moon_ref> refs) {
    sink.take();
    feed(b_ep, hello_from_b_with_moons(refs));
    auto oks = sent_to(b_ep, b);  // the OK(HELLO), and a HELLO probing the new path
    std::erase_if(oks, [](const opened& o) {
      return o.header.verb != static_cast<std::uint8_t>(verb::ok);
    });
    EXPECT_EQ(oks.size(), 1u);
    if (oks.empty()) return std::vector<wire::world>{};
    auto ok = wire::parse_payload<wire::ok_payload>(oks[0].payload());
    EXPECT_TRUE(ok.ok());
    const auto* h = std::get_if<wire::ok_hello>(&ok->value.body);
    EXPECT_NE(h, nullptr);
    auto ws = h->worlds();
    EXPECT_TRUE(ws.ok());
    return ws.ok() ? *ws : std::vector<wire::world>{};
  };
  EXPECT_EQ(answer_worlds({{moon_type, tm.id, 1000}}), std::vector<wire::world>{moon2});
  EXPECT_EQ(answer_worlds({{moon_type, tm.id, 0}}), std::vector<wire::world>{moon2});  // wanted
  EXPECT_TRUE(answer_worlds({{moon_type, tm.id, 2000}}).empty());  // same version
  EXPECT_TRUE(answer_worlds({{moon_type, 0x1234, 0}}).empty());    // a moon we do not hold
  EXPECT_TRUE(answer_worlds({}).empty());
}

TEST_F(Moon, DeorbitRemovesTheMoonAndItsRootsUpstreamStatus) {
  node_config cfg;
  cfg.moons = {moon1};
  node = make(cfg);
  ASSERT_TRUE(node->topo().is_upstream(s.address()));
  EXPECT_TRUE(node->deorbit(tm.id));
  EXPECT_EQ(node->topo().moon(tm.id), nullptr);
  EXPECT_FALSE(node->topo().is_upstream(s.address()));
  EXPECT_NE(node->topo().get(s.address()), nullptr);  // kept as an ordinary peer
  EXPECT_FALSE(node->deorbit(tm.id));
  // HELLOs list no moon any more; only the planet root is contacted as an upstream.
  node->on_tick(now);
  EXPECT_TRUE(sent_to(s_ep, s).empty());
  auto to_root = sent_to(root_ep, root);
  ASSERT_EQ(to_root.size(), 1u);
  EXPECT_TRUE(moons_of(to_root[0]).empty());
  // A pending request is dropped too.
  sink.take();
  EXPECT_TRUE(node->orbit(now, tm.id, s.address()));
  EXPECT_FALSE(node->topo().moon_seeds().empty());
  EXPECT_TRUE(node->deorbit(tm.id));
  EXPECT_TRUE(node->topo().moon_seeds().empty());
}

TEST_F(Moon, InvalidMoonsAtStartAreSkippedAndOwnMoonMakesUsARoot) {
  wire::world forged = moon1;
  forged.signature[0] ^= 1;
  node_config cfg;
  cfg.moons = {forged, tp.planet};
  node = make(cfg);
  EXPECT_TRUE(node->topo().moons().empty());
  EXPECT_EQ(node->topo().counters().moon_updates_rejected, 2u);
  EXPECT_FALSE(node->am_root());
  // A node named as a root by a moon it orbits acts as an upstream (Topology::_amUpstream).
  auto ours = tm.make(1000, {wire::world_root{public_only(a), {a_ep}}});
  EXPECT_TRUE(node->orbit(now, ours));
  EXPECT_TRUE(node->am_root());
  EXPECT_FALSE(node->topo().is_upstream(a.address()));
  ASSERT_EQ(sink.worlds.size(), 1u);
}

// ---- simulation -----------------------------------------------------------------------------

constexpr std::int64_t ms = 1'000'000;             // sim clock is in ns
constexpr std::int64_t epoch = 1'700'000'000'000;  // node clock: ms since the epoch

struct sim_node : node_sink {
  crypto::identity id;
  inet_address at;
  buf::buffer_pool pool{{.slab_size = 2048, .count = 512}};
  std::unique_ptr<io::sim::sim_endpoint> ep;
  std::unique_ptr<node_core> core;
  std::vector<wire::world> worlds;
  std::vector<std::uint64_t> got;

  void send(socket_id, const inet_address& to, std::span<const std::uint8_t> bytes, unsigned) override {
    buf::packet_buffer b = pool.get();
    if (!b) return;
    b.reset(0, 0);
    std::memcpy(b.append(bytes.size()), bytes.data(), bytes.size());
    ep->send(io::tx_datagram{std::move(b), to, 0});
  }
  void on_world_updated(const wire::world& w) override { worlds.push_back(w); }
  void on_user_message(zt_address, std::uint64_t type, std::span<const std::uint8_t>) override {
    got.push_back(type);
  }
};

class MoonSim : public ::testing::Test {
 protected:
  test_planet tp{{wire::world_root{public_only(load_identity("root")), {v4(10, 0, 0, 1, 9993)}}}};
  test_moon tm{0x5eed0000beefULL};
  std::unique_ptr<io::sim::sim_network> net;
  std::vector<std::unique_ptr<sim_node>> nodes;

  void SetUp() override {
    io::sim::sim_network::config cfg;
    cfg.seed = 3;
    cfg.default_link = {.delay_ns = 5 * ms, .jitter_ns = 1 * ms};
    net = std::make_unique<io::sim::sim_network>(cfg);
  }
  sim_node& add(crypto::identity id, inet_address at, std::vector<wire::world> moons = {}) {
    auto n = std::make_unique<sim_node>();
    n->id = std::move(id);
    n->at = at;
    n->ep = net->make_endpoint(n->pool);
    io::socket_options o;
    o.bind = at;
    EXPECT_TRUE(n->ep->open(o).ok());
    node_config cfg;
    cfg.random_seed = 100 + nodes.size();
    cfg.moons = std::move(moons);
    n->core = std::make_unique<node_core>(n->id, *n, cfg, tp.planet);
    nodes.push_back(std::move(n));
    return *nodes.back();
  }
  std::int64_t now() const { return epoch + net->now() / ms; }
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
};

TEST_F(MoonSim, OrbitThroughTheRootThenTheMoonRootServesAsUpstream) {
  const inet_address m_at = v4(10, 0, 5, 5, 9993);
  sim_node& root = add(load_identity("root"), v4(10, 0, 0, 1, 9993));
  auto moon1 = tm.make(1000, {wire::world_root{public_only(load_identity("ctl")), {m_at}}});
  sim_node& m = add(load_identity("ctl"), m_at, {moon1});  // the moon's root holds its moon
  sim_node& a = add(load_identity("tap-a"), v4(10, 0, 1, 2, 9993));
  sim_node& b = add(load_identity("tap-b"), v4(10, 0, 2, 3, 9993));
  run(2000);
  EXPECT_TRUE(m.core->am_root());
  EXPECT_TRUE(a.core->online());
  // a orbits by seed: WHOIS for the seed at the root, HELLO relayed by the root, the world in
  // the seed's OK(HELLO).
  ASSERT_TRUE(a.core->orbit(now(), tm.id, m.id.address()));
  run(15000, [&] { return a.core->topo().moon(tm.id) != nullptr; });
  ASSERT_NE(a.core->topo().moon(tm.id), nullptr);
  EXPECT_EQ(*a.core->topo().moon(tm.id), moon1);
  ASSERT_EQ(a.worlds.size(), 1u);
  EXPECT_TRUE(a.core->topo().is_upstream(m.id.address()));
  EXPECT_GE(root.core->counters().relayed, 1u);
  // The moon root is then reached directly at its stable endpoint.
  run(6000, [&] {
    const peer* p = a.core->topo().get(m.id.address());
    return p && p->best_path(now()) && p->best_path(now())->remote == m_at;
  });
  const peer* pm = a.core->topo().get(m.id.address());
  ASSERT_TRUE(pm && pm->best_path(now()));
  EXPECT_EQ(pm->best_path(now())->remote, m_at);
  // A newer moon at its root reaches a at a's next HELLO to it (224 s at most).
  auto moon2 = tm.make(2000, {wire::world_root{public_only(m.id), {m_at}}});
  ASSERT_TRUE(m.core->orbit(now(), moon2));
  run(timing::upstream_hello_period + 2 * timing::ping_check_interval,
      [&] { return a.core->topo().moon(tm.id)->timestamp == 2000; });
  EXPECT_EQ(a.core->topo().moon(tm.id)->timestamp, 2000u);
  EXPECT_EQ(a.worlds.size(), 2u);
  // With the planet root silent, WHOIS goes to the moon root (Topology::getUpstreamPeer), which
  // knows b only if b talks to it: b orbits too.
  ASSERT_TRUE(b.core->orbit(now(), moon2));
  run(6000);
  root.core.reset();  // the planet's root goes away
  nodes.erase(nodes.begin());
  run(timing::upstream_silence_limit + 10000);
  a.core->send_user_message(now(), b.id.address(), 0x77, {});
  run(3000, [&] { return !b.got.empty(); });
  ASSERT_EQ(b.got.size(), 1u);
  EXPECT_EQ(b.got[0], 0x77u);
  // Deorbit: m is no longer an upstream for a.
  EXPECT_GT(now() - epoch, timing::upstream_silence_limit);  // the root really is silent
  EXPECT_TRUE(a.core->deorbit(tm.id));
  EXPECT_FALSE(a.core->topo().is_upstream(m.id.address()));
}

}  // namespace
}  // namespace ztkit::ctrl
