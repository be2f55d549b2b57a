// The data path (ctrl/node/data_path.h): FRAME/EXT_FRAME in and out over a peer_directory, the
// hand-over of everything else to the control side, and the notes the control side absorbs.
// Checked against real zerotier-one 1.14.1 traffic (ztlab-fragments.pcap: AES-GMAC-SIV,
// fragmented FRAMEs) and against node_core, which must read what the data path sends.
#include <gtest/gtest.h>

#include <random>

#include "ctrl/node/data_path.h"
#include "ctrl/node/node_core.h"
#include "engine/wire/fragment.h"
#include "tests/ctrl/node_test_util.h"
#ifdef ZTKIT_HAVE_CAPTURE
#include "tools/ztdump/capture.h"
#endif

namespace ztkit::ctrl {
namespace {

using namespace ztkit::ctrl::testing;
using wire::cipher_suite;
using wire::inet_address;
using wire::verb;

struct recording_data_sink : data_path_sink {
  struct frame {
    zt_address from;
    std::uint8_t verb;
    std::vector<std::uint8_t> payload;
  };
  std::vector<frame> frames;
  std::vector<sent_datagram> sent;
  void on_data_packet(std::int64_t, zt_address from, wire::const_packet_view p) override {
    frames.push_back({from, p.verb_value(), {p.payload().begin(), p.payload().end()}});
  }
  void send(socket_id local, const inet_address& to, std::span<const std::uint8_t> d) override {
    sent.push_back({local, to, {d.begin(), d.end()}, 0});
  }
};

// A directory for `self` naming `peers` (each routed directly at its address).
std::shared_ptr<peer_directory> directory_for(
    const crypto::identity& self,
    std::vector<std::pair<crypto::identity, inet_address>> peers,
    cipher_suite suite = cipher_suite::aes_gmac_siv) {
  auto d = std::make_shared<peer_directory>();
  d->self = self.address();
  for (auto& [id, at] : peers) {
    auto p = peer::make(self, id).value();
    peer_route r;
    r.address = id.address();
    r.keys = p->shared_keys();
    r.cipher = suite;
    r.routable = true;
    r.to = at;
    d->peers.emplace(id.address().value(), r);
  }
  return d;
}

// A FRAME payload: network ID, ethertype, then `len` bytes (random or compressible).
std::vector<std::uint8_t> frame_payload(std::uint64_t nwid, std::size_t len, bool compressible,
                                        std::uint32_t seed = 1) {
  std::vector<std::uint8_t> p(10 + len);
  wire::store_be64(p.data(), nwid);
  p[8] = 0x08;
  p[9] = 0x00;
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < len; ++i)
    p[10 + i] = compressible ? static_cast<std::uint8_t>(i / 64) : static_cast<std::uint8_t>(rng());
  return p;
}

struct pair_fixture : ::testing::Test {
  // The capture identities (generating fresh ones costs the hashcash every time).
  crypto::identity a = load_identity("tap-a");
  crypto::identity b = load_identity("tap-b");
  inet_address a_at = v4(10, 0, 0, 1, 9993);
  inet_address b_at = v4(10, 0, 0, 2, 9993);
  data_path da{data_path_config{.random_seed = 1}};
  data_path db{data_path_config{.random_seed = 2}};
  recording_data_sink sa, sb;

  void SetUp() override {
    da.set_directory(directory_for(a, {{public_only(b), b_at}}));
    db.set_directory(directory_for(b, {{public_only(a), a_at}}));
  }
  // Delivers what A's data path sent to B's; returns the results.
  std::vector<data_path::rx_result::kind> deliver_a_to_b() {
    std::vector<data_path::rx_result::kind> kinds;
    for (auto& d : std::exchange(sa.sent, {})) {
      EXPECT_EQ(d.to, b_at);
      kinds.push_back(db.on_datagram(100, 0, a_at, d.bytes, sb).what);
    }
    return kinds;
  }
};

TEST_F(pair_fixture, FrameGoesThroughArmoredAndComesOutWhole) {
  const auto payload = frame_payload(0x1234567890abcdefULL, 1300, false);
  ASSERT_TRUE(da.send(100, b.address(), verb::frame, payload, true, sa));
  ASSERT_EQ(sa.sent.size(), 1u);
  // On the wire: armored (AES-GMAC-SIV), so the payload is not there in the clear.
  auto wire_view = wire::packet_view::checked(sa.sent[0].bytes).value();
  EXPECT_EQ(wire_view.cipher(), static_cast<std::uint8_t>(cipher_suite::aes_gmac_siv));
  EXPECT_EQ(std::search(sa.sent[0].bytes.begin(), sa.sent[0].bytes.end(), payload.begin() + 10,
                        payload.begin() + 40),
            sa.sent[0].bytes.end());
  auto kinds = deliver_a_to_b();
  EXPECT_EQ(kinds, std::vector{data_path::rx_result::kind::consumed});
  ASSERT_EQ(sb.frames.size(), 1u);
  EXPECT_EQ(sb.frames[0].from, a.address());
  EXPECT_EQ(sb.frames[0].verb, static_cast<std::uint8_t>(verb::frame));
  EXPECT_EQ(sb.frames[0].payload, payload);
  // B's notes: heard A on its path at hops 0; one FRAME in; A's: one out.
  ASSERT_EQ(db.notes().received.size(), 1u);
  EXPECT_EQ(db.notes().received[0].peer, a.address());
  EXPECT_EQ(db.notes().received[0].from, a_at);
  EXPECT_EQ(db.notes().received[0].hops, 0);
  EXPECT_EQ(db.notes().rx_packets[0][static_cast<int>(verb::frame)], 1u);
  EXPECT_EQ(db.notes().rx_datagrams, 1u);
  ASSERT_EQ(da.notes().sent.size(), 1u);
  EXPECT_EQ(da.notes().sent[0].to, b_at);
  EXPECT_EQ(da.notes().tx_packets[0][static_cast<int>(verb::frame)], 1u);
  db.clear_notes();
  EXPECT_TRUE(db.notes().empty());
}

TEST_F(pair_fixture, BigFramesAreFragmentedEvenlyAndReassembled) {
  const auto payload = frame_payload(7, 2800, false);
  ASSERT_TRUE(da.send(100, b.address(), verb::ext_frame, payload, false, sa));
  // 2838 bytes over a 1432 MTU: a head and one fragment, equal datagrams (balanced: a run a
  // UDP GSO send can take).
  ASSERT_EQ(sa.sent.size(), 2u);
  EXPECT_TRUE(wire::packet_view::checked(sa.sent[0].bytes)->fragmented());
  EXPECT_TRUE(wire::is_fragment(sa.sent[1].bytes));
  EXPECT_LE(sa.sent[0].bytes.size(), wire::default_phys_mtu);
  EXPECT_EQ(sa.sent[0].bytes.size(), sa.sent[1].bytes.size());
  auto kinds = deliver_a_to_b();
  EXPECT_EQ(kinds.size(), 2u);
  ASSERT_EQ(sb.frames.size(), 1u);
  EXPECT_EQ(sb.frames[0].verb, static_cast<std::uint8_t>(verb::ext_frame));
  EXPECT_EQ(sb.frames[0].payload, payload);
  EXPECT_EQ(db.notes().rx_datagrams, 2u);
}

TEST_F(pair_fixture, CompressibleFramesAreCompressedAndRandomOnesBackOff) {
  const auto text = frame_payload(7, 1200, true);
  ASSERT_TRUE(da.send(100, b.address(), verb::frame, text, true, sa));
  ASSERT_EQ(sa.sent.size(), 1u);
  EXPECT_LT(sa.sent[0].bytes.size(), 600u);  // LZ4 paid
  deliver_a_to_b();
  ASSERT_EQ(sb.frames.size(), 1u);
  EXPECT_EQ(sb.frames[0].payload, text);
  // Random payloads: tried once, then skipped (the packets go out at full size every time).
  for (std::uint32_t i = 0; i < 4; ++i)
    ASSERT_TRUE(da.send(100, b.address(), verb::frame, frame_payload(7, 1200, false, i), true, sa));
  for (const auto& d : sa.sent) EXPECT_GT(d.bytes.size(), 1200u);
  deliver_a_to_b();
  EXPECT_EQ(sb.frames.size(), 5u);
}

TEST_F(pair_fixture, TamperedDatagramsAreDroppedAndCounted) {
  ASSERT_TRUE(da.send(100, b.address(), verb::frame, frame_payload(7, 100, false), false, sa));
  sa.sent[0].bytes.back() ^= 1;
  auto kinds = deliver_a_to_b();
  EXPECT_EQ(kinds, std::vector{data_path::rx_result::kind::consumed});
  EXPECT_TRUE(sb.frames.empty());
  EXPECT_EQ(db.notes().rx_bad_mac, 1u);
  EXPECT_TRUE(db.notes().received.empty());  // a forged packet does not keep a path alive
}

TEST_F(pair_fixture, WhatTheDataPathCannotReadGoesToTheControlSideUnchanged) {
  using kind = data_path::rx_result::kind;
  auto c = load_identity("ctl");  // not in B's directory
  auto unknown = make_packet(c, b, verb::frame, frame_payload(7, 50, false), cipher_suite::aes_gmac_siv, 5);
  auto copy = unknown;
  EXPECT_EQ(db.on_datagram(1, 0, a_at, unknown, sb).what, kind::raw);
  EXPECT_EQ(unknown, copy);
  // Not for us (relaying is the control side's).
  auto relay = make_packet(a, c, verb::frame, frame_payload(7, 50, false), cipher_suite::aes_gmac_siv, 6);
  copy = relay;
  EXPECT_EQ(db.on_datagram(1, 0, a_at, relay, sb).what, kind::raw);
  EXPECT_EQ(relay, copy);
  // Cipher 0 (only HELLO may use it).
  auto clear = make_packet(a, b, verb::hello, std::vector<std::uint8_t>(40, 1), cipher_suite::poly1305_none, 7);
  copy = clear;
  EXPECT_EQ(db.on_datagram(1, 0, a_at, clear, sb).what, kind::raw);
  EXPECT_EQ(clear, copy);
  // Runts.
  std::vector<std::uint8_t> runt(12, 0xff);
  EXPECT_EQ(db.on_datagram(1, 0, a_at, runt, sb).what, kind::raw);
  // A known peer's control verb: dearmored and handed over.
  auto echo = make_packet(a, b, verb::echo, std::vector<std::uint8_t>{1, 2, 3}, cipher_suite::aes_gmac_siv, 8);
  auto r = db.on_datagram(1, 0, a_at, echo, sb);
  ASSERT_EQ(r.what, kind::dearmored);
  auto v = wire::packet_view::checked(r.packet).value();
  EXPECT_EQ(v.verb(), verb::echo);
  EXPECT_EQ(std::vector<std::uint8_t>(v.payload().begin(), v.payload().end()), (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_TRUE(sb.frames.empty());
  // Without a directory everything is the control side's.
  data_path bare;
  auto frame = make_packet(a, b, verb::frame, frame_payload(7, 50, false), cipher_suite::aes_gmac_siv, 9);
  EXPECT_EQ(bare.on_datagram(1, 0, a_at, frame, sb).what, kind::raw);
}

TEST_F(pair_fixture, SendRefusesWhatItHasNoRouteForAndNonDataVerbs) {
  auto c = load_identity("ctl");
  EXPECT_FALSE(da.send(1, c.address(), verb::frame, frame_payload(7, 10, false), false, sa));
  EXPECT_FALSE(da.send(1, b.address(), verb::echo, {}, false, sa));
  auto d = directory_for(a, {{public_only(b), b_at}});
  d->peers.begin()->second.routable = false;  // known, no path yet (the control side waits)
  da.set_directory(d);
  EXPECT_FALSE(da.send(1, b.address(), verb::frame, frame_payload(7, 10, false), false, sa));
  EXPECT_TRUE(sa.sent.empty());
  EXPECT_EQ(da.counters().tx_not_routable, 3u);
}

TEST_F(pair_fixture, SalsaPeersAndRelayedRoutes) {
  // An old peer (protocol < 12): Salsa20/12-Poly1305; no direct path: via an upstream.
  auto d = directory_for(a, {{public_only(b), b_at}}, cipher_suite::poly1305_salsa2012);
  const inet_address root_at = v4(10, 9, 9, 9, 9993);
  d->peers.begin()->second.relayed = true;
  d->peers.begin()->second.to = root_at;
  da.set_directory(d);
  ASSERT_TRUE(da.send(1, b.address(), verb::frame, frame_payload(7, 300, false), false, sa));
  ASSERT_EQ(sa.sent.size(), 1u);
  EXPECT_EQ(sa.sent[0].to, root_at);
  EXPECT_EQ(wire::packet_view::checked(sa.sent[0].bytes)->cipher(),
            static_cast<std::uint8_t>(cipher_suite::poly1305_salsa2012));
  EXPECT_EQ(da.notes().tx_packets[1][static_cast<int>(verb::frame)], 1u);  // counted as relayed
  // The root bumps the hop count; B still reads it (hops are outside the MAC).
  wire::packet_view::checked(sa.sent[0].bytes)->set_hops(1);
  EXPECT_EQ(db.on_datagram(1, 0, root_at, sa.sent[0].bytes, sb).what,
            data_path::rx_result::kind::consumed);
  ASSERT_EQ(sb.frames.size(), 1u);
  EXPECT_EQ(db.notes().received[0].hops, 1);
  EXPECT_EQ(db.notes().rx_packets[1][static_cast<int>(verb::frame)], 1u);
}

// node_core reads what the data path sends, and the data path reads what a peer sends as
// node_core's tests build it (the remote side's armor).
TEST(DataPathWithCore, CoreReadsDataPathFramesAndNotesKeepThePeerAlive) {
  auto a = load_identity("tap-a");
  auto b = load_identity("tap-b");
  const inet_address a_at = v4(10, 0, 0, 1, 9993);
  recording_sink core_sink;
  node_config cfg;
  cfg.random_seed = 3;
  node_core core(b, core_sink, cfg, test_planet({}).planet);
  cached_peer cp;
  cp.identity = public_only(a);
  cp.protocol_version = 12;
  ASSERT_EQ(core.add_cached_peers(10, std::span<const cached_peer>(&cp, 1)), 1u);
  core_sink.take();

  data_path da(data_path_config{.random_seed = 4});
  da.set_directory(directory_for(a, {{public_only(b), v4(10, 0, 0, 2, 9993)}}));
  recording_data_sink sa;
  ASSERT_TRUE(da.send(20, b.address(), verb::frame, frame_payload(7, 2000, false), true, sa));
  for (const auto& d : sa.sent) core.on_datagram(20, 0, a_at, d.bytes);
  ASSERT_EQ(core_sink.network_packets.size(), 1u);
  EXPECT_EQ(core_sink.network_packets[0].first, a.address());
  EXPECT_EQ(core_sink.network_packets[0].second, static_cast<std::uint8_t>(verb::frame));

  // The core's directory routes nowhere yet (no path: the cached peer's paths are hints).
  auto dir = core.directory(30);
  ASSERT_NE(dir->find(a.address()), nullptr);
  EXPECT_FALSE(dir->find(a.address())->routable);
  EXPECT_FALSE(core.directory_stale());
  EXPECT_EQ(core.directory(31), dir);  // unchanged: the same snapshot

  // B's data path consumes A's frames; absorbing its notes makes A heard on that path (a
  // direct packet from a new address: the core probes it with a HELLO, as 1.14 does).
  data_path db(data_path_config{.random_seed = 5});
  db.set_directory(dir);
  recording_data_sink sb;
  sa.sent.clear();
  ASSERT_TRUE(da.send(40, b.address(), verb::frame, frame_payload(7, 100, false), false, sa));
  ASSERT_EQ(db.on_datagram(40, 0, a_at, sa.sent[0].bytes, sb).what, data_path::rx_result::kind::consumed);
  ASSERT_EQ(sb.frames.size(), 1u);
  const auto frames_before = core.counters().rx_verbs[0].packets[static_cast<int>(verb::frame)];
  core.absorb(40, db.notes());
  EXPECT_EQ(core.counters().rx_verbs[0].packets[static_cast<int>(verb::frame)], frames_before + 1);
  EXPECT_EQ(core.topo().get(a.address())->last_receive, 40);
  EXPECT_EQ(core.topo().get(a.address())->last_nontrivial_receive, 40);
  auto probes = core_sink.take();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].to, a_at);
  EXPECT_EQ(open_packet(b, a, probes[0].bytes).header.verb, static_cast<std::uint8_t>(verb::hello));

  dir = core.directory(50);
  // A tick marks it stale (routes follow paths); one that moved no route keeps the snapshot,
  // so the shard has nothing to adopt.
  core.on_tick(51);
  core_sink.take();
  EXPECT_TRUE(core.directory_stale());
  const auto kept = core.directories_kept();
  EXPECT_EQ(core.directory(51), dir);
  EXPECT_EQ(core.directories_kept(), kept + 1);
  // A new peer is a new snapshot.
  auto c = load_identity("ctl");
  cached_peer cc;
  cc.identity = public_only(c);
  cc.protocol_version = 12;
  ASSERT_EQ(core.add_cached_peers(52, std::span<const cached_peer>(&cc, 1)), 1u);
  core_sink.take();
  auto dir2 = core.directory(52);
  EXPECT_NE(dir2, dir);
  EXPECT_GT(dir2->version, dir->version);
  EXPECT_NE(dir2->find(c.address()), nullptr);
}

#ifdef ZTKIT_HAVE_CAPTURE
// Real zerotier-one 1.14.1 traffic: tap-b's data path reads tap-a's fragmented AES-GMAC-SIV
// FRAMEs (ICMP echo requests of 2000 bytes) and hands the rest over.
TEST(DataPathCapture, ReadsZeroTierOneFragmentedFrames) {
  auto cap = capture::read_udp_capture(std::string(ZTKIT_CAPTURES_DIR) + "/ztlab-fragments.pcap");
  ASSERT_TRUE(cap.ok()) << cap.message();
  auto tap_a = load_identity("tap-a");
  auto tap_b = load_identity("tap-b");
  const inet_address b_at = v4(172, 30, 99, 12, 29993);
  data_path db;
  db.set_directory(directory_for(tap_b, {{public_only(tap_a), v4(172, 30, 99, 11, 29992)}}));
  recording_data_sink sb;
  std::size_t dearmored = 0, raw = 0;
  for (auto& d : cap->datagrams) {
    if (d.dst != b_at) continue;
    auto bytes = d.payload;
    auto r = db.on_datagram(1000, 0, d.src, bytes, sb);
    if (r.what == data_path::rx_result::kind::dearmored) ++dearmored;
    if (r.what == data_path::rx_result::kind::raw) ++raw;
  }
  // decoded.txt: tap-a -> tap-b FRAMEs (echo requests seq 1 and 2), reassembled from 2 each.
  ASSERT_EQ(sb.frames.size(), 2u);
  for (const auto& f : sb.frames) {
    EXPECT_EQ(f.from, tap_a.address());
    EXPECT_EQ(f.verb, static_cast<std::uint8_t>(verb::frame));
    ASSERT_GE(f.payload.size(), 10u + 20u);
    EXPECT_EQ(wire::load_be64(f.payload.data()), 0x47017ef593c0ffeeULL);
    EXPECT_EQ(f.payload[8], 0x08);  // IPv4
    EXPECT_EQ(f.payload[10 + 9], 1);  // ICMP
  }
  EXPECT_GE(dearmored, 2u);  // OK(ECHO), NETWORK_CREDENTIALS: the control side's
  EXPECT_EQ(db.notes().rx_bad_mac, 0u);
  EXPECT_EQ(db.notes().rx_fragment_drops, 0u);
}
#endif

}  // namespace
}  // namespace ztkit::ctrl
