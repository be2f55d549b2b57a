// Unit tests of the node core (ctrl/node), one verb or rule at a time, with plain values:
// packets are built with the wire reprs and armor as the remote side would, fed to a node_core,
// and what it handed its sink is opened and checked (zerotier-protocol.md §3, §4, §8).
#include <gtest/gtest.h>

#include <random>

#include "ctrl/node/hello.h"
#include "ctrl/node/ip_scope.h"
#include "ctrl/node/node_core.h"
#include "tests/ctrl/node_test_util.h"

namespace ztkit::ctrl {
namespace {

using namespace ztkit::ctrl::testing;
using wire::cipher_suite;
using wire::inet_address;
using wire::verb;

// ---- path rules --------------------------------------------------------------------------------

TEST(IpScope, ClassifiesAsOneFourteen) {
  EXPECT_EQ(scope_of(v4(10, 1, 2, 3, 1)), ip_scope::private_);
  EXPECT_EQ(scope_of(v4(192, 168, 1, 1, 1)), ip_scope::private_);
  EXPECT_EQ(scope_of(v4(172, 20, 0, 1, 1)), ip_scope::private_);
  EXPECT_EQ(scope_of(v4(172, 32, 0, 1, 1)), ip_scope::global);
  EXPECT_EQ(scope_of(v4(100, 64, 0, 1, 1)), ip_scope::shared);
  EXPECT_EQ(scope_of(v4(127, 0, 0, 1, 1)), ip_scope::loopback);
  EXPECT_EQ(scope_of(v4(169, 254, 3, 4, 1)), ip_scope::link_local);
  EXPECT_EQ(scope_of(v4(224, 0, 0, 1, 1)), ip_scope::multicast);
  EXPECT_EQ(scope_of(v4(8, 8, 8, 8, 1)), ip_scope::global);
  EXPECT_EQ(scope_of(v4(28, 1, 1, 1, 1)), ip_scope::pseudo_private);
  EXPECT_EQ(scope_of(*inet_address::from_string("fe80::1/9993")), ip_scope::link_local);
  EXPECT_EQ(scope_of(*inet_address::from_string("fd00::1/9993")), ip_scope::private_);
  EXPECT_EQ(scope_of(*inet_address::from_string("::1/9993")), ip_scope::loopback);
  EXPECT_EQ(scope_of(*inet_address::from_string("2600::1/9993")), ip_scope::global);
}

TEST(PathRules, NeverLoopbackOrLinkLocalUnlessLoopbackAllowed) {
  path_rules strict, demo{.allow_loopback = true};
  EXPECT_TRUE(address_valid_for_path(v4(10, 0, 0, 1, 9993), strict));
  EXPECT_TRUE(address_valid_for_path(v4(8, 8, 8, 8, 9993), strict));
  EXPECT_FALSE(address_valid_for_path(v4(10, 0, 0, 1, 0), strict));  // no port
  EXPECT_FALSE(address_valid_for_path(v4(127, 0, 0, 1, 9993), strict));
  EXPECT_TRUE(address_valid_for_path(v4(127, 0, 0, 1, 9993), demo));
  EXPECT_FALSE(address_valid_for_path(v4(169, 254, 1, 1, 9993), strict));
  EXPECT_FALSE(address_valid_for_path(v4(169, 254, 1, 1, 9993), demo));
  EXPECT_FALSE(address_valid_for_path(v4(224, 0, 0, 1, 9993), demo));
  EXPECT_FALSE(address_valid_for_path(*inet_address::from_string("fe80::1/9993"), demo));
  EXPECT_FALSE(address_valid_for_path(*inet_address::from_string("2001:470::1/9993"), strict));
  EXPECT_TRUE(address_valid_for_path(*inet_address::from_string("2001:471::1/9993"), strict));
  EXPECT_FALSE(address_valid_for_path(inet_address{}, demo));
}

TEST(Path, AliveExpiredHeartbeatAndQuality) {
  path p;
  p.remote = v4(10, 0, 0, 1, 9993);
  p.last_receive = 1000;
  p.last_send = 1000;
  EXPECT_TRUE(p.alive(1000 + 18999));
  EXPECT_FALSE(p.alive(1000 + 19000));
  EXPECT_FALSE(p.expired(1000 + 242999));
  EXPECT_TRUE(p.expired(1000 + 243000));
  EXPECT_FALSE(p.needs_heartbeat(1000 + 13999));
  EXPECT_TRUE(p.needs_heartbeat(1000 + 14000));
  p.update_latency(40);
  EXPECT_EQ(p.latency, 40u);
  p.update_latency(20);
  EXPECT_EQ(p.latency, 30u);
  path g = p;
  g.remote = v4(8, 8, 8, 8, 9993);
  EXPECT_LT(p.quality(2000), g.quality(2000));  // same latency: the LAN path wins
  path dead = p;
  dead.last_receive = 0;
  EXPECT_GT(dead.quality(30000), p.quality(30000));
}

// ---- peer ----------------------------------------------------------------------------------------

TEST(Peer, KeysAgreedOnceAndCipherFollowsVersion) {
  auto a = load_identity("tap-a"), b = load_identity("tap-b");
  auto p = peer::make(a, public_only(b));
  ASSERT_TRUE(p.ok());
  auto q = peer::make(b, public_only(a));
  EXPECT_EQ(p.value()->keys().salsa_key.bytes, q.value()->keys().salsa_key.bytes);
  EXPECT_EQ(p.value()->cipher(), cipher_suite::poly1305_salsa2012);  // version unknown
  p.value()->protocol_version = 11;
  EXPECT_EQ(p.value()->cipher(), cipher_suite::poly1305_salsa2012);
  p.value()->protocol_version = 12;
  EXPECT_EQ(p.value()->cipher(), cipher_suite::aes_gmac_siv);
  EXPECT_FALSE(peer::make(public_only(a), b).ok());  // no private key
}

TEST(Peer, PathsLearnReplaceBestAndExpire) {
  auto p = std::move(peer::make(load_identity("tap-a"), public_only(load_identity("tap-b")), 2).value());
  const auto x = v4(10, 0, 0, 5, 1000), y = v4(8, 8, 8, 8, 1000), z = v4(9, 9, 9, 9, 1000);
  p->learn_path(0, x, 100);
  p->learn_path(0, y, 200);
  EXPECT_EQ(p->paths().size(), 2u);
  EXPECT_EQ(p->best_path(300)->remote, x);  // private scope wins at equal latency
  // An alive same-IP path on the same socket blocks re-learning (other port).
  EXPECT_TRUE(p->has_path_for(0, v4(10, 0, 0, 5, 2000), 300));
  EXPECT_FALSE(p->has_path_for(1, v4(10, 0, 0, 5, 2000), 300));
  // Full: the oldest is replaced.
  p->learn_path(0, z, 400);
  EXPECT_EQ(p->paths().size(), 2u);
  EXPECT_EQ(p->find_path(0, x), nullptr);
  auto gone = p->expire_paths(200 + timing::path_expiration);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].remote, y);
  EXPECT_EQ(p->best_path(400 + timing::path_expiration), nullptr);
}

TEST(Peer, RateGates) {
  auto p = std::move(peer::make(load_identity("tap-a"), public_only(load_identity("tap-b"))).value());
  // PUSH_DIRECT_PATHS: more than 8 within 30 s are cut off.
  int passed = 0;
  for (int i = 0; i < 20; ++i) passed += p->rate_gate_push_direct_paths(1000 + i * 100);
  EXPECT_EQ(passed, 8);
  EXPECT_TRUE(p->rate_gate_push_direct_paths(1000 + 20 * 100 + 30001));
  EXPECT_TRUE(p->rate_gate_whois(5000));
  EXPECT_FALSE(p->rate_gate_whois(5099));
  EXPECT_TRUE(p->rate_gate_whois(5100));
  const auto x = v4(10, 0, 0, 5, 1000);
  EXPECT_TRUE(p->rate_gate_probe(0, x, 100));
  EXPECT_FALSE(p->rate_gate_probe(0, x, 1100));
  EXPECT_TRUE(p->rate_gate_probe(0, x, 1101));
}

// ---- topology ------------------------------------------------------------------------------------

TEST(Topology, RootsPinnedCollisionsCountedIdleEvicted) {
  auto a = load_identity("tap-a"), root = load_identity("root"), b = load_identity("tap-b"),
       c = load_identity("ctl");
  test_planet tp({wire::world_root{public_only(root), {v4(10, 0, 0, 1, 9993)}}});
  topology t(a, tp.planet, topology_config{.max_peers = 1});
  EXPECT_FALSE(t.am_root());
  EXPECT_TRUE(t.is_upstream(root.address()));
  ASSERT_NE(t.get(root.address()), nullptr);
  EXPECT_EQ(t.stable_endpoints(root.address()).size(), 1u);
  EXPECT_EQ(t.best_upstream(0), t.get(root.address()));

  EXPECT_EQ(t.add(public_only(b), 10).status, topology::add_status::added);
  EXPECT_EQ(t.add(public_only(b), 11).status, topology::add_status::existing);
  // Same address, another key: rejected and counted.
  auto fake = crypto::identity::from_string(b.address().to_string() + ":0:" +
                                            c.to_string(false).substr(13));
  ASSERT_TRUE(fake.ok());
  EXPECT_EQ(t.add(*fake, 12).status, topology::add_status::collision);
  EXPECT_EQ(t.counters().identity_collisions, 1u);
  EXPECT_TRUE(t.get(b.address())->identity() == public_only(b));
  // Bounded: a second non-upstream peer evicts the idlest; roots are never evicted.
  EXPECT_EQ(t.add(public_only(c), 20).status, topology::add_status::added);
  EXPECT_EQ(t.get(b.address()), nullptr);
  EXPECT_EQ(t.counters().peers_evicted, 1u);
  EXPECT_NE(t.get(root.address()), nullptr);
  // Idle for 500 s: forgotten, except upstreams.
  auto gone = t.expire_peers(20 + timing::peer_activity_timeout);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], c.address());
  EXPECT_NE(t.get(root.address()), nullptr);
  EXPECT_FALSE(t.remove(root.address()));
}

TEST(Topology, PlanetUpdatesOnlyWhenSignedAndNewer) {
  auto a = load_identity("tap-a"), root = load_identity("root"), b = load_identity("tap-b");
  test_planet tp({wire::world_root{public_only(root), {v4(10, 0, 0, 1, 9993)}}});
  topology t(a, tp.planet);
  auto newer = tp.update(2000, {wire::world_root{public_only(b), {v4(10, 0, 0, 9, 9993)}}});
  auto stale = tp.update(500, {wire::world_root{public_only(b), {v4(10, 0, 0, 9, 9993)}}});
  test_planet other({wire::world_root{public_only(b), {}}}, tp.planet.id, 3000);  // wrong key
  EXPECT_FALSE(t.update_planet(stale));
  EXPECT_FALSE(t.update_planet(other.planet));
  EXPECT_TRUE(t.update_planet(newer));
  EXPECT_TRUE(t.is_upstream(b.address()));
  EXPECT_FALSE(t.is_upstream(root.address()));
  EXPECT_EQ(t.counters().planet_updates_rejected, 2u);
}

TEST(Topology, StockEarthByDefaultAndRootRole) {
  auto a = load_identity("tap-a"), root = load_identity("root");
  topology t(a);
  EXPECT_EQ(t.planet().id, wire::world::earth_id);
  EXPECT_EQ(t.upstreams().size(), 4u);
  test_planet tp({wire::world_root{public_only(root), {v4(10, 0, 0, 1, 9993)}}});
  topology r(root, tp.planet);
  EXPECT_TRUE(r.am_root());
  EXPECT_TRUE(r.upstreams().empty());
}

// ---- node core -----------------------------------------------------------------------------------

class NodeCore : public ::testing::Test {
 protected:
  crypto::identity a = load_identity("tap-a");
  crypto::identity root = load_identity("root");
  crypto::identity b = load_identity("tap-b");
  crypto::identity c = load_identity("ctl");
  inet_address root_ep = v4(10, 0, 0, 1, 9993);
  inet_address a_ep = v4(10, 0, 0, 2, 9993);
  inet_address b_ep = v4(10, 0, 0, 3, 9993);
  test_planet tp{{wire::world_root{public_only(root), {v4(10, 0, 0, 1, 9993)}}}};
  recording_sink sink;
  std::unique_ptr<node_core> node;
  std::int64_t now = 1'000'000;
  std::uint64_t next_id = 0x1000000000000000ULL;

  void SetUp() override { node = make(a); }
  std::unique_ptr<node_core> make(const crypto::identity& self, node_config cfg = {}) {
    cfg.random_seed = 42;
    return std::make_unique<node_core>(self, sink, cfg, tp.planet);
  }
  std::uint64_t id() { return next_id += 0x0100000000000001ULL; }
  void feed(const inet_address& from, std::span<const std::uint8_t> bytes) {
    node->on_datagram(now, 0, from, bytes);
  }
  // The sent datagrams to `to`, opened by `as` (sender = our node).
  std::vector<opened> sent_to(const inet_address& to, const crypto::identity& as) {
    std::vector<opened> out;
    for (auto& s : sink.sent)
      if (s.to == to && s.bytes.size() >= 28) out.push_back(open_packet(as, a, s.bytes));
    return out;
  }
  // tick -> HELLO to the root's endpoint -> OK(HELLO) from it (cipher 1, as 1.14's first reply).
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
  }
  // `x` says HELLO to our node from `ep`.
  std::vector<std::uint8_t> hello_from(const crypto::identity& x, const inet_address& ep,
                                       std::uint8_t proto = 12) {
    auto k = keys_between(x, a);
    hello_fields f{.destination = a.address(), .packet_id = id(), .timestamp = now,
                   .sent_to = a_ep, .planet_id = tp.planet.id, .planet_timestamp = tp.planet.timestamp};
    auto pkt = make_hello(x, k->keys(), f);
    if (proto != 12) {  // patch the version and re-MAC
      pkt[wire::packet_idx_payload] = proto;
      EXPECT_EQ(wire::armor(pkt, k->keys(), cipher_suite::poly1305_none), wire::armor_result::ok);
    }
    (void)ep;
    return pkt;
  }
  // Our node learns `x` by a HELLO from it and answers; returns what it sent.
  std::vector<sent_datagram> meet(const crypto::identity& x, const inet_address& ep) {
    feed(ep, hello_from(x, ep));
    return sink.take();
  }
};

TEST_F(NodeCore, FirstTickHellosRootAtItsStableEndpointWithPlanetFields) {
  node->on_tick(now);
  ASSERT_EQ(sink.sent.size(), 1u);
  EXPECT_EQ(sink.sent[0].to, root_ep);
  auto o = open_packet(root, a, sink.sent[0].bytes);
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.header.cipher, 0);
  EXPECT_EQ(o.header.verb, static_cast<std::uint8_t>(verb::hello));
  EXPECT_EQ(o.header.destination, root.address());
  EXPECT_EQ(o.header.source, a.address());
  auto h = wire::parse_payload<wire::hello_payload>(o.payload());
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->exact());
  EXPECT_EQ(h->value.protocol_version, 12);
  EXPECT_EQ(h->value.major, 1);
  EXPECT_EQ(h->value.minor, 14);
  EXPECT_EQ(h->value.revision, 1);
  EXPECT_EQ(h->value.timestamp, static_cast<std::uint64_t>(now));
  EXPECT_TRUE(h->value.identity == public_only(a));
  EXPECT_EQ(h->value.destination, root_ep);
  ASSERT_TRUE(h->value.planet);
  EXPECT_EQ(h->value.planet->id, tp.planet.id);
  EXPECT_EQ(h->value.planet->timestamp, tp.planet.timestamp);
  ASSERT_TRUE(h->value.moons);
  EXPECT_EQ(h->value.moons->size(), 0u);
  EXPECT_TRUE(node->expecting_reply_to(o.wire_id));
  // No path yet: the next ping check (5 s) says HELLO again; not before.
  sink.take();
  now += 4999;
  node->on_tick(now);
  EXPECT_TRUE(sink.sent.empty());
  now += 1;
  node->on_tick(now);
  EXPECT_EQ(sink.sent.size(), 1u);
}

TEST_F(NodeCore, OkHelloFromRootLearnsPathLatencyVersionAndExternalAddress) {
  join_root();
  peer* r = node->topo().get(root.address());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->protocol_version, 12);
  EXPECT_EQ(r->latency, 20u);
  ASSERT_EQ(r->paths().size(), 1u);
  EXPECT_EQ(r->paths()[0].remote, root_ep);
  ASSERT_EQ(sink.paths_learned.size(), 1u);
  ASSERT_EQ(sink.external.size(), 1u);
  EXPECT_EQ(sink.external[0].second, a_ep);
  EXPECT_EQ(node->external_addresses(now), std::vector<inet_address>{a_ep});
  EXPECT_TRUE(node->online());
  ASSERT_EQ(sink.online.size(), 1u);
  // Version 12 known: everything encrypted to the root is now AES-GMAC-SIV.
  EXPECT_TRUE(node->send_user_message(now, b.address(), 1, {}));  // unknown -> WHOIS to root
  auto whois = sent_to(root_ep, root);
  ASSERT_EQ(whois.size(), 1u);
  EXPECT_EQ(whois[0].header.verb, static_cast<std::uint8_t>(verb::whois));
  EXPECT_EQ(whois[0].header.cipher, 3);
  // With a path, the root is HELLOed again only after 224 s.
  sink.take();
  now += timing::upstream_hello_period - 1000;
  node->on_tick(now);
  EXPECT_TRUE(sent_to(root_ep, root).empty() ||
              sent_to(root_ep, root)[0].header.verb != static_cast<std::uint8_t>(verb::hello));
  sink.take();
  now += 6000;
  node->on_tick(now);
  auto again = sent_to(root_ep, root);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again[0].header.verb, static_cast<std::uint8_t>(verb::hello));
}

TEST_F(NodeCore, OkNotMatchingASentPacketIsIgnored) {
  node->on_tick(now);
  sink.take();
  wire::ok_hello ok{.timestamp = static_cast<std::uint64_t>(now), .protocol_version = 12};
  feed(root_ep, make_ok(root, a, verb::hello, 0x0123456789abcdefULL, ok,
                        cipher_suite::poly1305_salsa2012, id()));
  EXPECT_EQ(node->counters().rx_unexpected_ok, 1u);
  EXPECT_TRUE(node->topo().get(root.address())->paths().empty());
  EXPECT_TRUE(sink.paths_learned.empty());
}

TEST_F(NodeCore, WorldUpdateInOkHelloAcceptedOnlyFromUpstreamAndSigned) {
  node->on_tick(now);
  auto hello = sent_to(root_ep, root)[0];
  auto newer = tp.update(5000, {wire::world_root{public_only(root), {root_ep}},
                                wire::world_root{public_only(c), {v4(10, 0, 0, 7, 9993)}}});
  auto bytes = newer.serialize();
  wire::ok_hello ok{.timestamp = static_cast<std::uint64_t>(now), .protocol_version = 12,
                    .external_address = a_ep, .world_updates = wire::bytes_ref(bytes)};
  feed(root_ep, make_ok(root, a, verb::hello, hello.wire_id, ok, cipher_suite::poly1305_salsa2012, id()));
  EXPECT_EQ(node->topo().planet().timestamp, 5000u);
  EXPECT_TRUE(node->topo().is_upstream(c.address()));
}

TEST_F(NodeCore, HelloFromNewPeerGetsOkHelloCipherOneThenThree) {
  auto out = meet(b, b_ep);
  // OK(HELLO) back to where the HELLO came from, cipher 1 (version not yet recorded), plus a
  // full HELLO to confirm the new path (its OK will add the path).
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].to, b_ep);
  auto ok = open_packet(b, a, out[0].bytes);
  ASSERT_TRUE(ok.ok);
  EXPECT_EQ(ok.header.cipher, 1);
  EXPECT_EQ(ok.header.verb, static_cast<std::uint8_t>(verb::ok));
  auto body = wire::parse_payload<wire::ok_payload>(ok.payload());
  ASSERT_TRUE(body.ok());
  const auto& oh = std::get<wire::ok_hello>(body->value.body);
  EXPECT_EQ(oh.timestamp, static_cast<std::uint64_t>(now));
  EXPECT_EQ(oh.protocol_version, 12);
  EXPECT_EQ(oh.external_address, b_ep);
  ASSERT_TRUE(oh.world_updates);
  EXPECT_TRUE(oh.world_updates->empty());
  auto probe = open_packet(b, a, out[1].bytes);
  EXPECT_EQ(probe.header.verb, static_cast<std::uint8_t>(verb::hello));
  EXPECT_EQ(node->topo().get(b.address())->protocol_version, 12);
  ASSERT_EQ(sink.online_peers.size(), 1u);
  // Second HELLO: the version is known now, so cipher 3.
  now += 2000;
  out = meet(b, b_ep);
  ASSERT_GE(out.size(), 1u);
  EXPECT_EQ(open_packet(b, a, out[0].bytes).header.cipher, 3);
  // A HELLO naming our planet with an older timestamp gets the planet in OK(HELLO).
  now += 2000;
  auto k = keys_between(c, a);
  hello_fields f{.destination = a.address(), .packet_id = id(), .timestamp = now, .sent_to = a_ep,
                 .planet_id = tp.planet.id, .planet_timestamp = 1};
  feed(v4(10, 0, 0, 4, 9993), make_hello(c, k->keys(), f));
  auto o = open_packet(c, a, sink.sent.at(0).bytes);
  auto w = wire::parse_payload<wire::ok_payload>(o.payload());
  ASSERT_TRUE(w.ok());
  auto worlds = std::get<wire::ok_hello>(w->value.body).worlds();
  ASSERT_TRUE(worlds.ok());
  ASSERT_EQ(worlds->size(), 1u);
  EXPECT_EQ((*worlds)[0], tp.planet);
}

TEST_F(NodeCore, HelloChecks) {
  // Header source differs from the identity's address.
  auto pkt = hello_from(b, b_ep);
  wire::packet_view::checked(pkt)->set_source(c.address());
  feed(b_ep, pkt);
  EXPECT_EQ(node->counters().rx_bad_identity, 1u);
  // Tampered: MAC fails.
  pkt = hello_from(b, b_ep);
  pkt.back() ^= 1;
  feed(b_ep, pkt);
  EXPECT_EQ(node->counters().rx_bad_mac, 1u);
  // Protocol below 4.
  now += 5000;
  feed(b_ep, hello_from(b, b_ep, 3));
  EXPECT_EQ(node->counters().rx_old_protocol, 1u);
  // Identity verification is rate-gated per source prefix: 1 per 2 s.
  now += 5000;
  feed(b_ep, hello_from(b, b_ep));
  feed(v4(10, 0, 0, 77, 1), hello_from(c, b_ep));
  EXPECT_EQ(node->counters().rx_rate_limited, 1u);
  EXPECT_NE(node->topo().get(b.address()), nullptr);
  EXPECT_EQ(node->topo().get(c.address()), nullptr);
  now += 2000;
  feed(v4(10, 0, 0, 77, 1), hello_from(c, b_ep));
  EXPECT_NE(node->topo().get(c.address()), nullptr);
  EXPECT_TRUE(sink.collisions.empty());
}

TEST_F(NodeCore, IdentityCollisionRejectedCountedAndAnswered) {
  meet(b, b_ep);
  // Same address as b, ctl's key (and private key, so it can MAC its HELLO).
  auto c_secret = c.to_string(true);
  auto fake = crypto::identity::from_string(b.address().to_string() + c_secret.substr(10));
  ASSERT_TRUE(fake.ok());
  now += 3000;
  auto k = keys_between(*fake, a);
  hello_fields f{.destination = a.address(), .packet_id = id(), .timestamp = now, .sent_to = a_ep,
                 .planet_id = tp.planet.id, .planet_timestamp = tp.planet.timestamp};
  feed(v4(10, 0, 0, 66, 9993), make_hello(*fake, k->keys(), f));
  EXPECT_EQ(node->topo().counters().identity_collisions, 1u);
  ASSERT_EQ(sink.collisions.size(), 1u);
  EXPECT_EQ(sink.collisions[0], b.address());
  EXPECT_TRUE(node->topo().get(b.address())->identity() == public_only(b));
  ASSERT_EQ(sink.sent.size(), 1u);
  auto err = open_packet(*fake, a, sink.sent[0].bytes);
  ASSERT_TRUE(err.ok);
  EXPECT_EQ(err.header.verb, static_cast<std::uint8_t>(verb::error));
  auto e = wire::parse_payload<wire::error_payload>(err.payload());
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->value.error(), wire::error_code::identity_collision);
  EXPECT_EQ(e->value.in_re_verb, static_cast<std::uint8_t>(verb::hello));
}

TEST_F(NodeCore, CipherZeroOnlyForHello) {
  meet(b, b_ep);
  wire::user_message_payload m{.type_id = 7};
  feed(b_ep, make_verb(b, a, verb::user_message, m, cipher_suite::poly1305_none, id()));
  EXPECT_EQ(node->counters().rx_bad_cipher, 1u);
  EXPECT_TRUE(sink.messages.empty());
  feed(b_ep, make_verb(b, a, verb::user_message, m, cipher_suite::poly1305_salsa2012, id()));
  feed(b_ep, make_verb(b, a, verb::user_message, m, cipher_suite::aes_gmac_siv, id()));
  EXPECT_EQ(sink.messages.size(), 2u);  // 1 and 3 accepted from anyone known
}

TEST_F(NodeCore, UserMessageToUnknownWaitsForWhoisThenGoesViaRoot) {
  join_root();
  sink.take();
  const std::vector<std::uint8_t> data{1, 2, 3};
  ASSERT_TRUE(node->send_user_message(now, b.address(), 0x10000, data));
  EXPECT_EQ(node->queued_tx(), 1u);
  auto w = sent_to(root_ep, root);
  ASSERT_EQ(w.size(), 1u);
  auto wp = wire::parse_payload<wire::whois_payload>(w[0].payload());
  ASSERT_TRUE(wp.ok());
  EXPECT_EQ(wp->value.addresses.size(), 1u);
  EXPECT_EQ(wp->value.addresses[0], b.address());
  sink.take();
  // Retried every 500 ms while the packet waits.
  now += 499;
  node->on_tick(now);
  now += 1;
  node->on_tick(now);
  EXPECT_EQ(sent_to(root_ep, root).size(), 1u);
  EXPECT_EQ(node->counters().whois_sent, 2u);
  sink.take();
  // OK(WHOIS) from a non-upstream is ignored; from the root it releases the message, which goes
  // to the root's path (relayed), armored for b.
  std::array<crypto::identity, 1> ids{public_only(b)};
  wire::ok_whois body;
  body.identities = ids;
  meet(c, v4(10, 0, 0, 4, 9993));
  feed(v4(10, 0, 0, 4, 9993), make_ok(c, a, verb::whois, w[0].wire_id, body, cipher_suite::aes_gmac_siv, id()));
  EXPECT_EQ(node->counters().rx_not_upstream, 1u);
  EXPECT_EQ(node->topo().get(b.address()), nullptr);
  sink.take();
  feed(root_ep, make_ok(root, a, verb::whois, w[0].wire_id, body, cipher_suite::aes_gmac_siv, id()));
  ASSERT_NE(node->topo().get(b.address()), nullptr);
  EXPECT_EQ(node->queued_tx(), 0u);
  ASSERT_EQ(sink.sent.size(), 1u);
  EXPECT_EQ(sink.sent[0].to, root_ep);
  auto msg = open_packet(b, a, sink.sent[0].bytes);
  ASSERT_TRUE(msg.ok);
  EXPECT_EQ(msg.header.destination, b.address());
  EXPECT_EQ(msg.header.cipher, 1);  // b's version unknown
  auto um = wire::parse_payload<wire::user_message_payload>(msg.payload());
  ASSERT_TRUE(um.ok());
  EXPECT_EQ(um->value.type_id, 0x10000u);
  EXPECT_EQ(std::vector<std::uint8_t>(um->value.data.bytes.begin(), um->value.data.bytes.end()), data);
}

TEST_F(NodeCore, PacketFromUnknownIsParkedAndDeliveredAfterWhois) {
  join_root();
  sink.take();
  wire::user_message_payload m{.type_id = 99};
  feed(root_ep, make_verb(b, a, verb::user_message, m, cipher_suite::poly1305_salsa2012, id(), 1));
  EXPECT_EQ(node->queued_rx(), 1u);
  EXPECT_TRUE(sink.messages.empty());
  auto w = sent_to(root_ep, root);
  ASSERT_EQ(w.size(), 1u);
  std::array<crypto::identity, 1> ids{public_only(b)};
  wire::ok_whois body;
  body.identities = ids;
  feed(root_ep, make_ok(root, a, verb::whois, w[0].wire_id, body, cipher_suite::aes_gmac_siv, id()));
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].first, b.address());
  EXPECT_EQ(node->queued_rx(), 0u);
  // Relayed (hops 1): no path learned, no probe.
  EXPECT_TRUE(node->topo().get(b.address())->paths().empty());
}

TEST_F(NodeCore, WaitingPacketsTimeOutAfterFiveSeconds) {
  join_root();
  ASSERT_TRUE(node->send_user_message(now, b.address(), 1, {}));
  wire::user_message_payload m{.type_id = 99};
  feed(root_ep, make_verb(c, a, verb::user_message, m, cipher_suite::poly1305_salsa2012, id(), 1));
  EXPECT_EQ(node->queued_tx(), 1u);
  EXPECT_EQ(node->queued_rx(), 1u);
  for (int i = 0; i < 11; ++i) {
    now += 500;
    node->on_tick(now);
  }
  EXPECT_EQ(node->queued_tx(), 0u);
  EXPECT_EQ(node->queued_rx(), 0u);
  EXPECT_EQ(node->pending_whois(), 0u);
  EXPECT_EQ(node->counters().tx_queue_dropped, 1u);
  EXPECT_EQ(node->counters().rx_queue_dropped, 1u);
}

TEST_F(NodeCore, WhoisAnsweredWithIdentityAndRateLimitedForNonRoots) {
  meet(b, b_ep);
  now += 2500;  // identity verification gate (same /24)
  meet(c, v4(10, 0, 0, 4, 9993));
  now += 1000;
  std::array<zt_address, 1> q{c.address()};
  wire::whois_payload w;
  w.addresses = q;
  node->topo().get(b.address())->learn_path(0, b_ep, now);  // (no probe HELLO in the way)
  auto wpkt = make_verb(b, a, verb::whois, w, cipher_suite::aes_gmac_siv, id());
  const std::uint64_t wid = wire::load_be64(wpkt.data());  // cipher 3: the SIV half (§8.2)
  feed(b_ep, wpkt);
  ASSERT_EQ(sink.sent.size(), 1u);
  auto o = open_packet(b, a, sink.sent[0].bytes);
  auto ok = wire::parse_payload<wire::ok_payload>(o.payload());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->value.in_re_packet_id, wid);
  const auto& ids = std::get<wire::ok_whois>(ok->value.body).identities;
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_TRUE(ids[0] == public_only(c));
  EXPECT_FALSE(ids[0].has_private());
  sink.take();
  now += 50;
  feed(b_ep, make_verb(b, a, verb::whois, w, cipher_suite::aes_gmac_siv, id()));
  EXPECT_TRUE(sink.sent.empty());
  EXPECT_EQ(node->counters().rx_rate_limited, 1u);
}

TEST_F(NodeCore, EchoAnsweredRateLimitedAndEchoReplyGivesRtt) {
  meet(b, b_ep);
  now += 1000;
  const std::vector<std::uint8_t> data{9, 8, 7};
  wire::echo_payload e{.data = data};
  feed(b_ep, make_verb(b, a, verb::echo, e, cipher_suite::aes_gmac_siv, id()));
  ASSERT_EQ(sink.sent.size(), 1u);
  auto o = open_packet(b, a, sink.sent[0].bytes);
  auto ok = wire::parse_payload<wire::ok_payload>(o.payload());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(std::get<wire::ok_echo>(ok->value.body).data, wire::bytes_ref(data));
  sink.take();
  now += 100;  // < 166 ms
  feed(b_ep, make_verb(b, a, verb::echo, e, cipher_suite::aes_gmac_siv, id()));
  for (const auto& s : sink.take())  // (a path probe HELLO may go out; no OK)
    EXPECT_NE(open_packet(b, a, s.bytes).header.verb, static_cast<std::uint8_t>(verb::ok));
  EXPECT_EQ(node->counters().rx_rate_limited, 1u);
  // Our ECHO: b has no path yet (the OK of our probe HELLO never came), so it goes nowhere
  // without a root path; give b a path first.
  node->topo().get(b.address())->learn_path(0, b_ep, now);
  ASSERT_TRUE(node->send_echo(now, b.address()));
  ASSERT_EQ(sink.sent.size(), 1u);
  auto echo = open_packet(b, a, sink.sent[0].bytes);
  ASSERT_EQ(echo.header.verb, static_cast<std::uint8_t>(verb::echo));
  now += 35;
  wire::ok_echo back{.data = wire::bytes_ref(echo.payload())};
  feed(b_ep, make_ok(b, a, verb::echo, echo.wire_id, back, cipher_suite::aes_gmac_siv, id()));
  ASSERT_EQ(sink.echo_replies.size(), 1u);
  EXPECT_EQ(sink.echo_replies[0].second, 35);
}

TEST_F(NodeCore, ErrorsReportedAndCollisionFromUpstreamIsFatal) {
  join_root();
  meet(b, b_ep);
  wire::error_payload e{.in_re_verb = 1, .in_re_packet_id = 5, .code = 4};
  feed(b_ep, make_verb(b, a, verb::error, e, cipher_suite::aes_gmac_siv, id()));
  EXPECT_TRUE(sink.fatal.empty());
  feed(root_ep, make_verb(root, a, verb::error, e, cipher_suite::aes_gmac_siv, id()));
  ASSERT_EQ(sink.fatal.size(), 1u);
  EXPECT_EQ(sink.fatal[0], root.address());
  EXPECT_EQ(sink.errors.size(), 2u);
}

TEST_F(NodeCore, RendezvousFromRootPunchesAndContacts) {
  join_root();
  meet(b, b_ep);
  sink.take();
  const auto b_public = v4(8, 8, 4, 4, 40000);
  wire::rendezvous_payload r{.with = b.address(), .address = b_public};
  // From a non-upstream: ignored.
  feed(b_ep, make_verb(b, a, verb::rendezvous, r, cipher_suite::aes_gmac_siv, id()));
  EXPECT_EQ(node->counters().rx_not_upstream, 1u);
  EXPECT_TRUE(sink.sent.empty());
  feed(root_ep, make_verb(root, a, verb::rendezvous, r, cipher_suite::aes_gmac_siv, id()));
  ASSERT_EQ(sink.sent.size(), 2u);
  EXPECT_EQ(sink.sent[0].to, b_public);
  EXPECT_EQ(sink.sent[0].bytes.size(), 4u);
  EXPECT_EQ(sink.sent[0].ttl, 2u);
  EXPECT_EQ(sink.sent[1].to, b_public);
  EXPECT_EQ(open_packet(b, a, sink.sent[1].bytes).header.verb, static_cast<std::uint8_t>(verb::echo));
  // An address not allowed for paths (loopback) is not contacted.
  sink.take();
  r.address = v4(127, 0, 0, 1, 40000);
  feed(root_ep, make_verb(root, a, verb::rendezvous, r, cipher_suite::aes_gmac_siv, id()));
  EXPECT_TRUE(sink.sent.empty());
}

TEST_F(NodeCore, DirectPathLearnedOnlyFromOkAtHopsZero) {
  auto out = meet(b, b_ep);
  ASSERT_EQ(out.size(), 2u);  // OK(HELLO) + our probe HELLO
  auto probe = open_packet(b, a, out[1].bytes);
  EXPECT_TRUE(node->topo().get(b.address())->paths().empty());
  // Another direct packet within 1 s from the same address: no second probe.
  now += 300;
  wire::user_message_payload m{.type_id = 1};
  feed(b_ep, make_verb(b, a, verb::user_message, m, cipher_suite::aes_gmac_siv, id()));
  EXPECT_EQ(sink.take().size(), 0u);
  // The OK of the probe adds the path.
  wire::ok_hello ok{.timestamp = static_cast<std::uint64_t>(now - 300), .protocol_version = 12,
                    .external_address = a_ep};
  feed(b_ep, make_ok(b, a, verb::hello, probe.wire_id, ok, cipher_suite::aes_gmac_siv, id()));
  ASSERT_EQ(node->topo().get(b.address())->paths().size(), 1u);
  ASSERT_EQ(sink.paths_learned.size(), 1u);
  EXPECT_EQ(sink.paths_learned[0].second, b_ep);
  EXPECT_EQ(node->topo().get(b.address())->paths()[0].latency, 300u);
  // An OK relayed (hops 1) from elsewhere teaches nothing.
  node->send_echo(now, b.address());
  auto echo = open_packet(b, a, sink.take().at(0).bytes);
  wire::ok_echo e{.data = wire::bytes_ref(echo.payload())};
  feed(v4(10, 0, 0, 99, 9993), make_ok(b, a, verb::echo, echo.wire_id, e, cipher_suite::aes_gmac_siv, id(), 1));
  EXPECT_EQ(node->topo().get(b.address())->paths().size(), 1u);
}

TEST_F(NodeCore, LoopbackPathsOnlyWithTheOption) {
  const auto lo = v4(127, 0, 0, 1, 9993);
  meet(b, lo);
  auto out = meet(b, lo);
  (void)out;
  node->on_datagram(now, 0, lo, hello_from(b, lo));
  EXPECT_TRUE(sink.take().size() >= 1);  // OK(HELLO) still answered
  // No probe HELLO to a loopback address: it could never become a path.
  now += 5000;
  node->on_datagram(now, 0, lo, hello_from(b, lo));
  auto s = sink.take();
  ASSERT_EQ(s.size(), 1u);
  node_config cfg;
  cfg.paths.allow_loopback = true;
  node = make(a, cfg);
  now += 5000;
  node->on_datagram(now, 0, lo, hello_from(b, lo));
  EXPECT_EQ(sink.take().size(), 2u);  // OK(HELLO) + probe HELLO
}

TEST_F(NodeCore, PushDirectPathsSentAndHandled) {
  node_config cfg;
  cfg.direct_paths = {v4(192, 168, 1, 2, 9993)};
  node = make(a, cfg);
  join_root();
  meet(b, b_ep);
  node->topo().get(b.address())->learn_path(0, b_ep, now);
  sink.take();
  ASSERT_TRUE(node->send_push_direct_paths(now, b.address()));
  ASSERT_EQ(sink.sent.size(), 1u);
  auto o = open_packet(b, a, sink.sent[0].bytes);
  ASSERT_TRUE(o.ok);
  auto p = wire::parse_payload<wire::push_direct_paths_payload>(o.payload());
  ASSERT_TRUE(p.ok());
  std::vector<inet_address> got;
  for (const auto& rec : p->value.paths) got.push_back(*rec.endpoint());
  EXPECT_EQ(got, (std::vector<inet_address>{v4(192, 168, 1, 2, 9993), a_ep}));
  sink.take();
  // Receiving: each new allowed address is contacted; loopback and known ones are skipped.
  std::vector<wire::push_direct_paths_payload::path> recs{
      wire::push_direct_paths_payload::path::from_endpoint(v4(192, 168, 7, 7, 1234)),
      wire::push_direct_paths_payload::path::from_endpoint(v4(127, 0, 0, 1, 1234)),
      wire::push_direct_paths_payload::path::from_endpoint(b_ep),
      wire::push_direct_paths_payload::path::from_endpoint(v4(192, 168, 7, 8, 1234), 0x01)};
  wire::push_direct_paths_payload in;
  in.paths = recs;
  for (int i = 0; i < 10; ++i) {
    feed(b_ep, make_verb(b, a, verb::push_direct_paths, in, cipher_suite::aes_gmac_siv, id()));
    now += 10;
  }
  std::size_t to_new = 0;
  for (const auto& s : sink.sent) to_new += s.to == v4(192, 168, 7, 7, 1234);
  EXPECT_EQ(to_new, 8u);  // the 9th and 10th push within 30 s are cut off
  EXPECT_EQ(node->counters().rx_rate_limited, 2u);
  for (const auto& s : sink.sent) EXPECT_NE(s.to, v4(127, 0, 0, 1, 1234));
  // Trust established (network layer): pushes happen on their own, at most every 120 s direct.
  sink.take();
  node->note_trust_established(now, b.address());
  now += 200000;
  wire::user_message_payload m{.type_id = 1};
  feed(b_ep, make_verb(b, a, verb::user_message, m, cipher_suite::aes_gmac_siv, id()));
  bool pushed = false;
  for (const auto& s : sink.sent)
    pushed |= open_packet(b, a, s.bytes).header.verb == static_cast<std::uint8_t>(verb::push_direct_paths);
  EXPECT_TRUE(pushed);
}

TEST_F(NodeCore, TrustedPathCipherTwoOnlyFromConfiguredAddresses) {
  node_config cfg;
  cfg.trusted_paths = {{b_ep, 0x99}};
  node = make(a, cfg);
  meet(b, b_ep);
  node->topo().get(b.address())->learn_path(0, b_ep, now);
  auto trusted_packet = [&](std::uint64_t tid) {
    std::vector<std::uint8_t> pkt(wire::packet_min_length, 0);
    auto v = wire::packet_view::checked(pkt).value();
    v.set_packet_id(id());
    v.set_destination(a.address());
    v.set_source(b.address());
    v.set_verb(verb::user_message);
    auto pl = wire::emit_payload(wire::user_message_payload{.type_id = 4});
    append_bytes(pkt, pl);
    EXPECT_EQ(wire::armor_trusted_path(pkt, tid), wire::armor_result::ok);
    return pkt;
  };
  feed(b_ep, trusted_packet(0x99));
  EXPECT_EQ(sink.messages.size(), 1u);
  feed(b_ep, trusted_packet(0x98));                  // wrong ID
  feed(v4(10, 0, 0, 50, 9993), trusted_packet(0x99));  // not a trusted network
  EXPECT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(node->counters().rx_bad_cipher, 2u);
  // Sending to a trusted address uses cipher 2 with the ID.
  sink.take();
  ASSERT_TRUE(node->send_user_message(now, b.address(), 1, {}));
  ASSERT_EQ(sink.sent.size(), 1u);
  auto h = wire::packet_header::parse(std::span<const std::uint8_t>(sink.sent[0].bytes)).value();
  EXPECT_EQ(h.cipher, 2);
  EXPECT_EQ(h.mac, 0x99u);
}

TEST_F(NodeCore, NetworkVerbsGoToTheHook) {
  meet(b, b_ep);
  wire::frame_payload f{.network_id = 0x1234, .ethertype = 0x0800};
  feed(b_ep, make_verb(b, a, verb::frame, f, cipher_suite::aes_gmac_siv, id()));
  ASSERT_EQ(sink.network_packets.size(), 1u);
  EXPECT_EQ(sink.network_packets[0].second, static_cast<std::uint8_t>(verb::frame));
  EXPECT_TRUE(node->topo().get(b.address())->active(now));
}

TEST_F(NodeCore, CompressedAndFragmentedPacketsAreReassembledAndUncompressed) {
  meet(b, b_ep);
  // A 5000-byte user message, LZ4-compressible: compressed by the sender.
  std::vector<std::uint8_t> data(5000, 0x61);
  wire::user_message_payload m{.type_id = 3, .data = data};
  auto payload = wire::emit_payload(m);
  std::vector<std::uint8_t> pkt(wire::packet_min_length, 0);
  auto v = wire::packet_view::checked(pkt).value();
  v.set_packet_id(id());
  v.set_destination(a.address());
  v.set_source(b.address());
  v.set_verb(verb::user_message);
  append_bytes(pkt, payload);
  pkt.resize(wire::compress(pkt));
  ASSERT_LT(pkt.size(), 1000u);
  auto k = keys_between(b, a);
  ASSERT_EQ(wire::armor(pkt, k->keys(), cipher_suite::aes_gmac_siv), wire::armor_result::ok);
  feed(b_ep, pkt);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].second.size(), 8u + 5000u);
  // Random (incompressible) 4000 bytes: 3 fragments, delivered in reverse order.
  std::mt19937 rng(1);
  for (auto& x : data) x = static_cast<std::uint8_t>(rng());
  m.data = std::span<const std::uint8_t>(data.data(), 4000);
  payload = wire::emit_payload(m);
  pkt.assign(wire::packet_min_length, 0);
  v = wire::packet_view::checked(pkt).value();
  v.set_packet_id(id());
  v.set_destination(a.address());
  v.set_source(b.address());
  v.set_verb(verb::user_message);
  v.set_fragmented(true);
  append_bytes(pkt, payload);
  ASSERT_EQ(wire::armor(pkt, k->keys(), cipher_suite::aes_gmac_siv), wire::armor_result::ok);
  std::vector<std::vector<std::uint8_t>> pieces;
  ASSERT_TRUE(wire::for_each_fragment_datagram(pkt, 1432, [&](std::span<const std::uint8_t> d, unsigned) {
                pieces.emplace_back(d.begin(), d.end());
              }).ok());
  ASSERT_EQ(pieces.size(), 3u);
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) feed(b_ep, *it);
  ASSERT_EQ(sink.messages.size(), 2u);
  EXPECT_EQ(sink.messages[1].second.size(), 8u + 4000u);
}

// 1.14 tries LZ4 on every FRAME; we back off on a peer whose packets do not compress (1, 2,
// 4 ... 64 packets untried after each failure) and try every packet again after a success.
TEST_F(NodeCore, CompressionBacksOffOnIncompressibleTrafficAndResumes) {
  join_root();
  meet(b, b_ep);  // b known; no direct path yet, so packets to b go via the root
  sink.take();
  std::mt19937 rng(7);
  std::vector<std::uint8_t> noise(1200), text(1200, 'z');
  for (auto& x : noise) x = static_cast<std::uint8_t>(rng());
  // Whether the packet for each payload went out compressed (1200 bytes of 'z' shrink to a
  // few dozen; uncompressed the datagram is over 1200 bytes).
  auto send = [&](const std::vector<std::uint8_t>& payload) {
    EXPECT_TRUE(node->send_verb(now, b.address(), verb::frame, payload, true));
    auto out = sink.take();
    EXPECT_EQ(out.size(), 1u);
    if (out.empty()) return false;
    EXPECT_TRUE(open_packet(b, a, out[0].bytes).ok);
    return out[0].bytes.size() < 600;
  };
  EXPECT_FALSE(send(noise));  // tried, failed: skip 1
  EXPECT_FALSE(send(text));   // skipped (would have compressed)
  EXPECT_TRUE(send(text));    // tried again, compressed: back-off reset
  EXPECT_TRUE(send(text));
  // 200 incompressible packets: tries at 1, 3, 6, 11, ... then one in 65.
  for (int i = 0; i < 200; ++i) EXPECT_FALSE(send(noise));
  int skipped = 0;
  while (!send(text)) ++skipped;  // compressible again: compressed within one back-off period
  EXPECT_LE(skipped, 64);
  EXPECT_TRUE(send(text));
}

TEST_F(NodeCore, RootRelaysWithHopsPlusOneAndIntroducesOncePer30s) {
  node = make(root);  // we are the root now
  ASSERT_TRUE(node->am_root());
  auto ok_hello_for = [&](const crypto::identity& x, const inet_address& ep) {
    auto k = keys_between(x, root);
    hello_fields f{.destination = root.address(), .packet_id = id(), .timestamp = now,
                   .sent_to = root_ep, .planet_id = tp.planet.id, .planet_timestamp = tp.planet.timestamp};
    node->on_datagram(now, 0, ep, make_hello(x, k->keys(), f));
    // Answer the root's probe HELLO so it learns the path.
    for (auto& s : sink.take()) {
      auto o = open_packet(x, root, s.bytes);
      if (o.ok && o.header.verb == static_cast<std::uint8_t>(verb::hello)) {
        wire::ok_hello ok{.timestamp = static_cast<std::uint64_t>(now), .protocol_version = 12};
        node->on_datagram(now, 0, ep, make_ok(x, root, verb::hello, o.wire_id, ok, cipher_suite::aes_gmac_siv, id()));
      }
    }
    now += 2500;  // identity verification gate
  };
  ok_hello_for(a, a_ep);
  ok_hello_for(b, b_ep);
  ASSERT_EQ(node->topo().get(a.address())->paths().size(), 1u);
  ASSERT_EQ(node->topo().get(b.address())->paths().size(), 1u);
  sink.take();
  wire::user_message_payload m{.type_id = 5};
  auto pkt = make_verb(a, b, verb::user_message, m, cipher_suite::aes_gmac_siv, id());
  node->on_datagram(now, 0, a_ep, pkt);
  ASSERT_EQ(sink.sent.size(), 3u);  // the relayed packet + RENDEZVOUS to each side
  EXPECT_EQ(sink.sent[0].to, b_ep);
  auto relayed = sink.sent[0].bytes;
  EXPECT_EQ(relayed[wire::packet_idx_flags] & 7, 1);
  relayed[wire::packet_idx_flags] &= ~7;
  EXPECT_EQ(relayed, pkt);
  auto ra = open_packet(a, root, sink.sent[1].bytes);
  auto rb = open_packet(b, root, sink.sent[2].bytes);
  ASSERT_EQ(ra.header.verb, static_cast<std::uint8_t>(verb::rendezvous));
  auto rap = wire::parse_payload<wire::rendezvous_payload>(ra.payload());
  auto rbp = wire::parse_payload<wire::rendezvous_payload>(rb.payload());
  EXPECT_EQ(rap->value.with, b.address());
  EXPECT_EQ(rap->value.address, b_ep);
  EXPECT_EQ(rbp->value.with, a.address());
  EXPECT_EQ(rbp->value.address, a_ep);
  sink.take();
  now += 1000;
  node->on_datagram(now, 0, a_ep, pkt);
  EXPECT_EQ(sink.take().size(), 1u);  // no second RENDEZVOUS within 30 s
  now += 30000;
  node->on_datagram(now, 0, a_ep, pkt);
  EXPECT_EQ(sink.take().size(), 3u);
  // Hops exhausted: dropped.
  wire::packet_view::checked(pkt)->set_hops(3);
  node->on_datagram(now, 0, a_ep, pkt);
  EXPECT_TRUE(sink.sent.empty());
  EXPECT_EQ(node->counters().relay_dropped, 1u);
}

TEST_F(NodeCore, RootRelaysFragmentsWithTheirHopByte) {
  node = make(root);
  // Give the root a path to b directly (as if learned from an OK).
  node->topo().add(public_only(b), now);
  node->topo().get(b.address())->learn_path(0, b_ep, now);
  std::vector<std::uint8_t> frag(100, 0x55);
  wire::fragment_header fh{.packet_id = 1, .destination = b.address(), .total = 2, .number = 1, .hops = 0};
  ASSERT_TRUE(fh.emit(frag));
  node->on_datagram(now, 0, a_ep, frag);
  ASSERT_EQ(sink.sent.size(), 1u);
  EXPECT_EQ(sink.sent[0].to, b_ep);
  EXPECT_EQ(sink.sent[0].bytes[15], 1);
  sink.take();
  frag[15] = 3;
  node->on_datagram(now, 0, a_ep, frag);
  EXPECT_TRUE(sink.sent.empty());
}

TEST_F(NodeCore, OfflineWhenUpstreamSilentFor500s) {
  join_root();
  EXPECT_TRUE(node->online());
  for (int i = 0; i < 110; ++i) node->on_tick(now += 5000);
  EXPECT_FALSE(node->online());
  ASSERT_EQ(sink.online.size(), 2u);
  EXPECT_FALSE(sink.online.back());
}

TEST_F(NodeCore, WorldUpdateFromNonUpstreamIgnoredAndOldOkHelloDropped) {
  meet(b, b_ep);
  auto out = sink.sent;  // (meet took them)
  node->topo().get(b.address())->learn_path(0, b_ep, now);
  now += 1000;
  ASSERT_TRUE(node->send_echo(now, b.address()));
  auto echo = open_packet(b, a, sink.take().at(0).bytes);
  // An OK(HELLO) in reply to something we sent (reply matching passes), from b, carrying a
  // newer signed planet: b is not an upstream, so it is not applied.
  auto newer = tp.update(9000, {wire::world_root{public_only(b), {b_ep}}});
  auto bytes = newer.serialize();
  wire::ok_hello ok{.timestamp = static_cast<std::uint64_t>(now), .protocol_version = 12,
                    .world_updates = wire::bytes_ref(bytes)};
  feed(b_ep, make_ok(b, a, verb::hello, echo.wire_id, ok, cipher_suite::aes_gmac_siv, id()));
  EXPECT_EQ(node->counters().rx_not_upstream, 1u);
  EXPECT_EQ(node->topo().planet().timestamp, tp.planet.timestamp);
  // Protocol 3 in OK(HELLO): dropped.
  ok.protocol_version = 3;
  ok.world_updates.reset();
  feed(b_ep, make_ok(b, a, verb::hello, echo.wire_id, ok, cipher_suite::aes_gmac_siv, id()));
  EXPECT_EQ(node->counters().rx_old_protocol, 1u);
  EXPECT_EQ(node->topo().get(b.address())->protocol_version, 12);
}

TEST_F(NodeCore, PeerTableIsBoundedAgainstHelloFloods) {
  node_config cfg;
  cfg.topo.max_peers = 1;
  node = make(a, cfg);
  meet(b, b_ep);
  now += 3000;
  meet(c, v4(10, 0, 7, 4, 9993));
  EXPECT_EQ(node->topo().get(b.address()), nullptr);
  EXPECT_NE(node->topo().get(c.address()), nullptr);
  EXPECT_EQ(node->topo().counters().peers_evicted, 1u);
  EXPECT_NE(node->topo().get(root.address()), nullptr);
}

TEST_F(NodeCore, ActivePeersGetEchoHeartbeatsAndAFullHelloEveryMinute) {
  meet(b, b_ep);
  peer* p = node->topo().get(b.address());
  auto to_b = [&] {  // (the root, with no path, is HELLOed every 5 s meanwhile)
    std::vector<sent_datagram> out;
    for (auto& d : sink.take())
      if (d.to == b_ep) out.push_back(d);
    return out;
  };
  p->learn_path(0, b_ep, now);
  // Not active (nothing non-trivial received): no keepalives at all.
  now += 20000;
  node->on_tick(now);
  EXPECT_TRUE(to_b().empty());
  // A FRAME makes it active: ECHO on paths idle for 14 s, full HELLO once 60 s have passed.
  wire::frame_payload f{.network_id = 1, .ethertype = 0x0800};
  feed(b_ep, make_verb(b, a, verb::frame, f, cipher_suite::aes_gmac_siv, id()));
  sink.take();
  now += 15000;
  node->on_tick(now);
  auto s1 = to_b();
  ASSERT_EQ(s1.size(), 1u);
  EXPECT_EQ(open_packet(b, a, s1[0].bytes).header.verb, static_cast<std::uint8_t>(verb::echo));
  now += 30000;
  node->on_tick(now);  // 65 s since the last full HELLO (the path probe at meet())
  auto s2 = to_b();
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(open_packet(b, a, s2[0].bytes).header.verb, static_cast<std::uint8_t>(verb::hello));
}

TEST_F(NodeCore, LeafNeverRelays) {
  meet(b, b_ep);
  wire::user_message_payload m{.type_id = 5};
  feed(b_ep, make_verb(b, c, verb::user_message, m, cipher_suite::aes_gmac_siv, id()));
  EXPECT_TRUE(sink.sent.empty());
  EXPECT_EQ(node->counters().relay_dropped, 1u);
}

TEST_F(NodeCore, PathsAndPeersExpire) {
  meet(b, b_ep);
  node->topo().get(b.address())->learn_path(0, b_ep, now);
  now += timing::path_expiration + 5000;
  node->on_tick(now);
  EXPECT_TRUE(node->topo().get(b.address())->paths().empty());
  ASSERT_EQ(sink.paths_lost.size(), 1u);
  now += timing::peer_activity_timeout;
  node->on_tick(now);
  EXPECT_EQ(node->topo().get(b.address()), nullptr);
  ASSERT_EQ(sink.offline_peers.size(), 1u);
  EXPECT_NE(node->topo().get(root.address()), nullptr);  // upstreams never expire
}

TEST_F(NodeCore, HostileInputIsCountedNeverCrashes) {
  join_root();
  meet(b, b_ep);
  std::mt19937_64 rng(7);
  auto good = make_verb(b, a, verb::user_message, wire::user_message_payload{.type_id = 1},
                        cipher_suite::aes_gmac_siv, id());
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::uint8_t> d;
    switch (i % 4) {
      case 0: d.resize(rng() % 200); for (auto& x : d) x = static_cast<std::uint8_t>(rng()); break;
      case 1: d = good; d.resize(rng() % good.size()); break;
      case 2: d = good; d[rng() % d.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255); break;
      case 3: {  // a "packet" to us from a known or unknown source with random content
        d.resize(28 + rng() % 100);
        for (auto& x : d) x = static_cast<std::uint8_t>(rng());
        auto v = wire::packet_view::checked(d).value();
        v.set_destination(a.address());
        v.set_source(rng() % 2 ? b.address() : zt_address(rng()));
        break;
      }
    }
    node->on_datagram(now, 0, b_ep, d);
    if (i % 100 == 0) node->on_tick(now += 100);
  }
  EXPECT_GT(node->counters().rx_bad_mac + node->counters().rx_too_short + node->counters().rx_bad_cipher, 0u);
}

// ---- HELLO byte for byte against zerotier-one 1.14.1 (capture) ----------------------------------

#ifdef ZTKIT_HAVE_CAPTURE
}  // namespace
}  // namespace ztkit::ctrl
#include "tools/ztdump/capture.h"
namespace ztkit::ctrl {
namespace {

TEST(HelloCapture, MatchesZeroTierOneHelloFieldByField) {
  auto cap = capture::read_udp_capture(std::string(ZTKIT_CAPTURES_DIR) + "/ztlab-join-tap-a.pcap");
  ASSERT_TRUE(cap.ok()) << cap.message();
  ASSERT_FALSE(cap->datagrams.empty());
  const auto& d = cap->datagrams[0];  // frame 1: tap-a -> root HELLO
  ASSERT_EQ(d.frame, 1u);
  const auto& real = d.payload;
  auto tap_a = load_identity("tap-a");
  auto root = load_identity("root");
  std::ifstream pf(std::string(ZTKIT_CAPTURES_DIR) + "/planet", std::ios::binary);
  std::vector<std::uint8_t> planet_bytes((std::istreambuf_iterator<char>(pf)), {});
  auto planet = wire::world::parse(planet_bytes);
  ASSERT_TRUE(planet.ok()) << planet.message();
  ASSERT_GE(real.size(), 28u);

  auto k = keys_between(tap_a, public_only(root));
  // What 1.14 sent, read with our reprs.
  std::vector<std::uint8_t> clear(real);
  ASSERT_EQ(wire::dearmor(clear, k->keys(), 0), wire::armor_result::ok);
  auto off = wire::hello_payload::masked_offset(std::span<const std::uint8_t>(clear).subspan(28));
  ASSERT_TRUE(off.ok());
  ASSERT_TRUE(wire::crypt_field(clear, k->keys(), 28 + *off, clear.size() - 28 - *off));
  auto theirs = wire::parse_payload<wire::hello_payload>(std::span<const std::uint8_t>(clear).subspan(28));
  ASSERT_TRUE(theirs.ok());
  EXPECT_TRUE(theirs->exact());

  // Ours, with the captured timestamp, destination and planet (and no moons, as the lab had).
  hello_fields f{.destination = root.address(), .packet_id = wire::load_be64(real.data()),
                 .timestamp = static_cast<std::int64_t>(theirs->value.timestamp), .sent_to = d.dst,
                 .planet_id = planet->id, .planet_timestamp = planet->timestamp};
  auto ours = make_hello(tap_a, k->keys(), f);
  ASSERT_EQ(ours.size(), real.size());
  // Field by field.
  auto ph = wire::packet_header::parse(std::span<const std::uint8_t>(ours)).value();
  auto rh = wire::packet_header::parse(std::span<const std::uint8_t>(real)).value();
  EXPECT_EQ(ph.destination, rh.destination);
  EXPECT_EQ(ph.source, rh.source);
  EXPECT_EQ(ph.cipher, rh.cipher);
  EXPECT_EQ(ph.hops, rh.hops);
  EXPECT_EQ(ph.fragmented, rh.fragmented);
  EXPECT_EQ(ph.verb, rh.verb);
  EXPECT_EQ(ph.compressed, rh.compressed);
  std::vector<std::uint8_t> ours_clear(ours);
  ASSERT_EQ(wire::dearmor(ours_clear, k->keys(), 0), wire::armor_result::ok);
  ASSERT_TRUE(wire::crypt_field(ours_clear, k->keys(), 28 + *off, ours_clear.size() - 28 - *off));
  auto mine = wire::parse_payload<wire::hello_payload>(std::span<const std::uint8_t>(ours_clear).subspan(28));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->value.protocol_version, theirs->value.protocol_version);
  EXPECT_EQ(mine->value.major, theirs->value.major);
  EXPECT_EQ(mine->value.minor, theirs->value.minor);
  EXPECT_EQ(mine->value.revision, theirs->value.revision);
  EXPECT_EQ(mine->value.timestamp, theirs->value.timestamp);
  EXPECT_TRUE(mine->value.identity == theirs->value.identity);
  EXPECT_EQ(mine->value.destination, theirs->value.destination);
  EXPECT_EQ(mine->value.planet, theirs->value.planet);
  EXPECT_EQ(mine->value.moons, theirs->value.moons);
  EXPECT_EQ(mine->value, theirs->value);
  // With the same packet ID (the IV) even the MAC and the masked moon count agree: the whole
  // datagram is byte-identical.
  EXPECT_EQ(ours, real);

  // With a fresh ID (as we really send), exactly these differ: the packet ID (bytes 0..7), the
  // MAC (19..26) and the cryptField-masked moon count (2 bytes after the planet fields).
  f.packet_id = 0x0123456789abcdefULL;
  auto fresh = make_hello(tap_a, k->keys(), f);
  ASSERT_EQ(fresh.size(), real.size());
  std::vector<std::size_t> differ;
  for (std::size_t i = 0; i < real.size(); ++i)
    if (fresh[i] != real[i]) differ.push_back(i);
  for (std::size_t i : differ) {
    const bool allowed = i < 8 || (i >= 19 && i < 27) || (i >= 28 + *off && i < 28 + *off + 2);
    EXPECT_TRUE(allowed) << "byte " << i << " differs";
  }
}

// The root's side of the same exchange: fed frame 1, a node_core holding the capture's root
// identity and planet answers as zerotier-one did in frames 2 (OK(HELLO), cipher 1) and 3 (a
// HELLO confirming the new path).
TEST(HelloCapture, RootAnswersLikeZeroTierOne) {
  auto cap = capture::read_udp_capture(std::string(ZTKIT_CAPTURES_DIR) + "/ztlab-join-tap-a.pcap");
  ASSERT_TRUE(cap.ok()) << cap.message();
  ASSERT_GE(cap->datagrams.size(), 3u);
  const auto& hello = cap->datagrams[0];
  const auto& real_ok = cap->datagrams[1];
  const auto& real_probe = cap->datagrams[2];
  ASSERT_EQ(real_ok.frame, 2u);
  ASSERT_EQ(real_probe.frame, 3u);
  auto tap_a = load_identity("tap-a");
  auto root = load_identity("root");
  std::ifstream pf(std::string(ZTKIT_CAPTURES_DIR) + "/planet", std::ios::binary);
  std::vector<std::uint8_t> planet_bytes((std::istreambuf_iterator<char>(pf)), {});
  auto planet = wire::world::parse(planet_bytes);
  ASSERT_TRUE(planet.ok());
  recording_sink sink;
  node_config cfg;
  cfg.random_seed = 1;
  node_core node(root, sink, cfg, *planet);
  ASSERT_TRUE(node.am_root());
  // Their HELLO's timestamp, to compute "now" as 15 ms later (frame 2 came 15 ms after).
  auto k = keys_between(tap_a, public_only(root));
  std::vector<std::uint8_t> clear(hello.payload);
  ASSERT_EQ(wire::dearmor(clear, k->keys(), 0), wire::armor_result::ok);
  const auto ts = static_cast<std::int64_t>(wire::load_be64(clear.data() + 28 + 5));
  node.on_datagram(ts + 15, 0, hello.src, hello.payload);
  ASSERT_EQ(sink.sent.size(), 2u);
  // Frame 2.
  EXPECT_EQ(sink.sent[0].to, real_ok.dst);
  auto ours = open_packet(tap_a, public_only(root), sink.sent[0].bytes);
  auto theirs = open_packet(tap_a, public_only(root), real_ok.payload);
  ASSERT_TRUE(ours.ok);
  ASSERT_TRUE(theirs.ok);
  EXPECT_EQ(ours.header.cipher, theirs.header.cipher);  // 1: the first OK(HELLO) to a new peer
  EXPECT_EQ(sink.sent[0].bytes[wire::packet_idx_flags], real_ok.payload[wire::packet_idx_flags]);
  EXPECT_EQ(ours.header.destination, theirs.header.destination);
  EXPECT_EQ(ours.header.source, theirs.header.source);
  EXPECT_EQ(ours.header.verb, theirs.header.verb);
  EXPECT_EQ(sink.sent[0].bytes.size(), real_ok.payload.size());
  auto op = wire::parse_payload<wire::ok_payload>(ours.payload());
  auto tp = wire::parse_payload<wire::ok_payload>(theirs.payload());
  ASSERT_TRUE(op.ok());
  ASSERT_TRUE(tp.ok());
  EXPECT_TRUE(tp->exact());
  EXPECT_EQ(op->value, tp->value);  // in-re verb and ID, echoed timestamp, versions, address, W
  // Frame 3: a full HELLO back to the new path; equal but for ID, MAC, timestamp, masked count.
  auto probe = open_packet(tap_a, public_only(root), sink.sent[1].bytes);
  auto real = open_packet(tap_a, public_only(root), real_probe.payload);
  ASSERT_TRUE(probe.ok);
  ASSERT_TRUE(real.ok);
  EXPECT_EQ(sink.sent[1].to, real_probe.dst);
  auto ph = wire::parse_payload<wire::hello_payload>(probe.payload());
  auto rh = wire::parse_payload<wire::hello_payload>(real.payload());
  ASSERT_TRUE(ph.ok());
  ASSERT_TRUE(rh.ok());
  ph->value.timestamp = rh->value.timestamp;
  EXPECT_EQ(ph->value, rh->value);
}
#endif

}  // namespace
}  // namespace ztkit::ctrl
