// ctrl/network/network_port.h: Ethernet over ZeroTier for one network (zerotier-protocol.md §3
// FRAME/EXT_FRAME/MULTICAST_*, §5.5 gate, §6 sending/receiving/multicast), with recorded verbs.
#include "ctrl/network/network_port.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/wire/bytes.h"
#include "tests/ctrl/network_test_util.h"

namespace ztkit::ctrl {
namespace {

using testing::fake_io;
using testing::load_identity;
using wire::mac_address;
using wire::multicast_group;

constexpr std::int64_t ctmd = 7200000;

struct port_fixture : ::testing::Test {
  crypto::identity ctl = load_identity("ctl");
  crypto::identity a = load_identity("tap-a");
  crypto::identity b = load_identity("tap-b");
  std::uint64_t nwid = (ctl.address().value() << 24) | 0x0000a1;
  zt_address root{0x1111111111ULL};

  fake_io io_a, io_b;
  std::vector<std::vector<std::uint8_t>> got_a, got_b;
  std::unique_ptr<network_port> pa, pb;

  void SetUp() override {
    for (auto* io : {&io_a, &io_b}) {
      io->know(ctl);
      io->know(a);
      io->know(b);
    }
    pa = std::make_unique<network_port>(
        nwid, a.address(), io_a,
        [this](std::span<const std::uint8_t> f) { got_a.emplace_back(f.begin(), f.end()); });
    pb = std::make_unique<network_port>(
        nwid, b.address(), io_b,
        [this](std::span<const std::uint8_t> f) { got_b.emplace_back(f.begin(), f.end()); });
    pa->set_upstreams(0, {root});
    pb->set_upstreams(0, {root});
  }

  std::shared_ptr<wire::network_config> config_for(const crypto::identity& who, bool is_private,
                                                   std::uint8_t host) {
    auto c = std::make_shared<wire::network_config>();
    c->network_id = nwid;
    c->type = is_private ? wire::network_config::type_private : wire::network_config::type_public;
    c->flags = wire::network_config::flag_enable_broadcast;
    c->multicast_limit = 32;
    c->issued_to = who.address();
    c->rules.push_back(wire::rule::action(wire::rule_type::action_accept));
    c->timestamp = 1000;
    c->credential_time_max_delta = ctmd;
    wire::inet_address ip = wire::inet_address::v4({10, 9, 0, host}, 24);
    c->static_ips.push_back(ip);
    auto com = wire::certificate_of_membership::issue(1000, ctmd, nwid, who);
    EXPECT_TRUE(com.sign(ctl).ok());
    c->com = com;
    return c;
  }

  // Hands every verb `from` sent to `to_port` (when addressed to it), as the node would.
  void pump(fake_io& from_io, zt_address from, network_port& to_port, std::int64_t now) {
    for (auto& s : from_io.take()) {
      if (s.to != to_port_address(to_port)) continue;
      wire::reader r(s.payload);
      switch (s.v) {
        case wire::verb::frame: {
          auto f = wire::frame_payload::parse(r);
          ASSERT_TRUE(f.ok());
          to_port.on_frame(now, from, 77, *f);
          break;
        }
        case wire::verb::multicast_frame: {
          auto f = wire::multicast_frame_payload::parse(r);
          ASSERT_TRUE(f.ok());
          to_port.on_multicast_frame(now, from, 78, *f);
          break;
        }
        case wire::verb::network_credentials: {
          auto p = wire::network_credentials_payload::parse(r);
          ASSERT_TRUE(p.ok());
          to_port.on_credentials(now, from, *p);
          break;
        }
        case wire::verb::multicast_like: {
          auto p = wire::multicast_like_payload::parse(r);
          ASSERT_TRUE(p.ok());
          for (const auto& e : p->entries)
            if (e.network_id == nwid) to_port.on_multicast_like(now, from, e.group);
          break;
        }
        case wire::verb::error: {
          auto e = wire::error_payload::parse(r);
          ASSERT_TRUE(e.ok());
          if (e->error() == wire::error_code::need_membership_certificate)
            to_port.on_need_certificate(now, from);
          break;
        }
        default: break;
      }
    }
  }
  zt_address to_port_address(network_port& p) { return &p == pa.get() ? a.address() : b.address(); }

  std::vector<std::uint8_t> ethernet(const mac_address& dst, const mac_address& src,
                                     std::uint16_t et, std::vector<std::uint8_t> payload) {
    std::vector<std::uint8_t> f(dst.bytes.begin(), dst.bytes.end());
    f.insert(f.end(), src.bytes.begin(), src.bytes.end());
    f.push_back(static_cast<std::uint8_t>(et >> 8));
    f.push_back(static_cast<std::uint8_t>(et));
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
  }
  // An ARP request from `sender_ip` for `target_ip` (RFC 826), 28 bytes.
  std::vector<std::uint8_t> arp_request(const mac_address& sha, std::array<std::uint8_t, 4> spa,
                                        std::array<std::uint8_t, 4> tpa) {
    std::vector<std::uint8_t> p = {0, 1, 8, 0, 6, 4, 0, 1};
    p.insert(p.end(), sha.bytes.begin(), sha.bytes.end());
    p.insert(p.end(), spa.begin(), spa.end());
    p.insert(p.end(), 6, 0);
    p.insert(p.end(), tpa.begin(), tpa.end());
    return p;
  }
  static std::size_t count(const std::vector<fake_io::sent>& v, wire::verb verb) {
    return static_cast<std::size_t>(
        std::count_if(v.begin(), v.end(), [&](const auto& s) { return s.v == verb; }));
  }
};

// §6.4: on a config with addresses, LIKEs for broadcast and the ARP group of each IPv4 go to
// the controller and the roots at once (fast join), not at the next 60 s announcement.
TEST_F(port_fixture, ConfigAnnouncesGroupsToControllerAndRootsAtOnce) {
  pa->set_config(1000, config_for(a, false, 1));
  const auto sent = io_a.take();
  ASSERT_EQ(count(sent, wire::verb::multicast_like), 2u);
  std::set<zt_address> to;
  for (const auto& s : sent) {
    to.insert(s.to);
    wire::reader r(s.payload);
    auto p = wire::multicast_like_payload::parse(r);
    ASSERT_TRUE(p.ok());
    std::vector<multicast_group> groups;
    for (const auto& e : p->entries) {
      EXPECT_EQ(e.network_id, nwid);
      groups.push_back(e.group);
    }
    std::vector<multicast_group> want = {multicast_group::broadcast(),
                                         multicast_group::for_arp({10, 9, 0, 1})};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(groups, want);
  }
  EXPECT_EQ(to, (std::set<zt_address>{ctl.address(), root}));
  // Same addresses again: nothing new to say.
  pa->set_config(2000, config_for(a, false, 1));
  EXPECT_EQ(count(io_a.take(), wire::verb::multicast_like), 0u);
  // 60 s later: announced again.
  pa->on_tick(1000 + 60000);
  EXPECT_EQ(count(io_a.take(), wire::verb::multicast_like), 2u);
}

// §6.2: an ARP request goes to (broadcast, ADI = target IPv4); with no known subscriber a
// GATHER goes to the best root and the controller and the frame waits for the answer.
TEST_F(port_fixture, ArpRequestGathersThenReachesTheSubscriber) {
  pa->set_config(1000, config_for(a, false, 1));
  pb->set_config(1000, config_for(b, false, 2));
  io_a.take();
  io_b.take();
  const auto req = arp_request(pa->mac(), {10, 9, 0, 1}, {10, 9, 0, 2});
  pa->send_ethernet(1100, ethernet(mac_address::broadcast(), pa->mac(), 0x0806, req));
  auto sent = io_a.take();
  ASSERT_EQ(count(sent, wire::verb::multicast_gather), 2u);
  for (const auto& s : sent) {
    wire::reader r(s.payload);
    auto g = wire::multicast_gather_payload::parse(r);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->group, multicast_group::for_arp({10, 9, 0, 2}));
    EXPECT_EQ(g->gather_limit, 33u);  // ml - known + 1
    EXPECT_EQ(g->flags, wire::multicast_gather_payload::flag_com);  // COM attached
  }
  EXPECT_EQ(pa->counters().tx_multicast_copies, 0u);
  // The root answers with b: the pending frame goes to b (our COM first), b is gated and asks.
  const zt_address members[] = {b.address()};
  pa->on_gather_results(1150, root, multicast_group::for_arp({10, 9, 0, 2}), members);
  EXPECT_EQ(pa->counters().tx_multicast_copies, 1u);
  pump(io_a, a.address(), *pb, 1160);
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(got_b[0], ethernet(mac_address::broadcast(), pa->mac(), 0x0806, req));
  EXPECT_EQ(pb->counters().rx_multicast, 1u);
  EXPECT_EQ(pb->counters().need_certificate_sent, 0u);  // a's COM came before the frame
  // After the 5 s multicast timeout the frame is forgotten.
  pa->on_tick(1100 + 5000);
  const zt_address late[] = {zt_address(0x2222222222ULL)};
  pa->on_gather_results(6200, root, multicast_group::for_arp({10, 9, 0, 2}), late);
  EXPECT_EQ(pa->counters().tx_multicast_copies, 1u);
}

// §3 FRAME: [8 nwid][2 ethertype][payload], implicit MACs; a private network's gate parks
// frames from a peer without a COM, answers NEED_MEMBERSHIP_CERTIFICATE, and delivers the
// frame once the COM arrives.
TEST_F(port_fixture, GatedFrameIsParkedUntilTheComArrives) {
  pa->set_config(1000, config_for(a, true, 1));
  pb->set_config(1000, config_for(b, true, 2));
  io_a.take();
  io_b.take();
  const std::vector<std::uint8_t> ip = {0x45, 0, 0, 20, 1, 2, 3, 4};
  pa->send_ethernet(2000, ethernet(pb->mac(), pa->mac(), 0x0800, ip));
  auto sent = io_a.take();
  // Our COM is pushed before the first FRAME, then a LIKE (new member), then the FRAME.
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent.front().v, wire::verb::network_credentials);
  EXPECT_EQ(sent.back().v, wire::verb::frame);
  wire::reader r(sent.back().payload);
  auto f = wire::frame_payload::parse(r);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->network_id, nwid);
  EXPECT_EQ(f->ethertype, 0x0800);
  EXPECT_TRUE(std::ranges::equal(f->data.bytes, ip));

  // Deliver the FRAME alone first: gated, parked, ERROR(NEED_MEMBERSHIP_CERTIFICATE) sent.
  pb->on_frame(2010, a.address(), 99, *f);
  EXPECT_TRUE(got_b.empty());
  EXPECT_EQ(pb->counters().rx_gated, 1u);
  auto err = io_b.take();
  ASSERT_EQ(err.size(), 1u);
  EXPECT_EQ(err[0].v, wire::verb::error);
  wire::reader er(err[0].payload);
  auto e = wire::error_payload::parse(er);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->error(), wire::error_code::need_membership_certificate);
  EXPECT_EQ(e->in_re_verb, static_cast<std::uint8_t>(wire::verb::frame));
  EXPECT_EQ(e->in_re_packet_id, 99u);
  EXPECT_EQ(e->network_id, nwid);
  // A second gated frame within a second gets no second ERROR.
  pb->on_frame(2020, a.address(), 100, *f);
  EXPECT_TRUE(io_b.take().empty());

  // Now the credentials: both parked frames are delivered.
  wire::reader cr(sent.front().payload);
  auto creds = wire::network_credentials_payload::parse(cr);
  ASSERT_TRUE(creds.ok());
  pb->on_credentials(2030, a.address(), *creds);
  ASSERT_EQ(got_b.size(), 2u);
  EXPECT_EQ(got_b[0], ethernet(pb->mac(), pa->mac(), 0x0800, ip));
  EXPECT_EQ(pb->counters().rx_parked_delivered, 2u);
  EXPECT_TRUE(pb->gate(a.address()));
}

TEST_F(port_fixture, ParkedFramesExpire) {
  pb->set_config(1000, config_for(b, true, 2));
  wire::frame_payload f;
  f.network_id = nwid;
  f.ethertype = 0x0800;
  const std::vector<std::uint8_t> data = {1, 2, 3};
  f.data = data;
  pb->on_frame(2000, a.address(), 1, f);
  pb->on_tick(2000 + 5000);
  EXPECT_EQ(pb->counters().rx_parked_dropped, 1u);
  auto com = wire::certificate_of_membership::issue(1000, ctmd, nwid, a);
  ASSERT_TRUE(com.sign(ctl).ok());
  const auto bytes = membership_table::credentials_payload(com);
  wire::reader r(bytes);
  auto creds = wire::network_credentials_payload::parse(r);
  ASSERT_TRUE(creds.ok());
  pb->on_credentials(7100, a.address(), *creds);
  EXPECT_TRUE(got_b.empty());
}

// A peer asking for our certificate gets it (at most once a second).
TEST_F(port_fixture, NeedCertificateIsAnsweredWithOurCredentials) {
  pa->set_config(1000, config_for(a, true, 1));
  io_a.take();
  pa->on_need_certificate(2000, b.address());
  pa->on_need_certificate(2100, b.address());
  auto sent = io_a.take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].v, wire::verb::network_credentials);
  EXPECT_EQ(sent[0].to, b.address());
}

// Public network: no gate, frames flow both ways; LIKEs from members fill the directory, so a
// later multicast goes straight to them.
TEST_F(port_fixture, PublicNetworkUnicastAndLikes) {
  pa->set_config(1000, config_for(a, false, 1));
  pb->set_config(1000, config_for(b, false, 2));
  io_a.take();
  io_b.take();
  pa->send_ethernet(1100, ethernet(pb->mac(), pa->mac(), 0x86dd, {9, 9}));
  pump(io_a, a.address(), *pb, 1101);  // FRAME (+ a's LIKE to b: b learns a's groups)
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(got_b[0], ethernet(pb->mac(), pa->mac(), 0x86dd, {9, 9}));
  EXPECT_TRUE(pb->directory().contains(1101, nwid, multicast_group::broadcast(), a.address()));
  pump(io_b, b.address(), *pa, 1102);  // b announced back to a
  EXPECT_TRUE(pa->directory().contains(1102, nwid, multicast_group::broadcast(), b.address()));
  // A broadcast (not ARP) now reaches b without a gather first... and a gather is still sent
  // since fewer than ml (32) are known, at most once per 60 s.
  pa->send_ethernet(1200, ethernet(mac_address::broadcast(), pa->mac(), 0x0800, {1}));
  auto sent = io_a.take();
  EXPECT_EQ(count(sent, wire::verb::multicast_frame), 1u);
  EXPECT_EQ(count(sent, wire::verb::multicast_gather), 2u);
  pa->send_ethernet(1300, ethernet(mac_address::broadcast(), pa->mac(), 0x0800, {2}));
  EXPECT_EQ(count(io_a.take(), wire::verb::multicast_gather), 0u);
}

TEST_F(port_fixture, OutboundPolicyDrops) {
  auto c = config_for(a, false, 1);
  c->flags = 0;  // broadcast disabled
  pa->set_config(1000, c);
  io_a.take();
  // Non-ARP broadcast: dropped. ARP request: still goes (to its ADI group).
  pa->send_ethernet(1100, ethernet(mac_address::broadcast(), pa->mac(), 0x0800, {1}));
  EXPECT_EQ(pa->counters().tx_dropped, 1u);
  pa->send_ethernet(1100, ethernet(mac_address::broadcast(), pa->mac(), 0x0806,
                                   arp_request(pa->mac(), {10, 9, 0, 1}, {10, 9, 0, 3})));
  EXPECT_EQ(count(io_a.take(), wire::verb::multicast_gather), 2u);
  // Foreign source MAC (bridging): dropped. Too short: malformed.
  pa->send_ethernet(1100, ethernet(pb->mac(), pb->mac(), 0x0800, {1}));
  EXPECT_EQ(pa->counters().tx_dropped, 2u);
  pa->send_ethernet(1100, std::vector<std::uint8_t>(13, 0));
  EXPECT_EQ(pa->counters().tx_malformed, 1u);
  // A filter saying no.
  pa->set_filter([](bool, zt_address, const mac_address&, const mac_address&, std::uint16_t,
                    std::span<const std::uint8_t>) { return false; });
  pa->send_ethernet(1100, ethernet(pb->mac(), pa->mac(), 0x0800, {1}));
  EXPECT_EQ(pa->counters().tx_dropped, 3u);
  EXPECT_EQ(count(io_a.take(), wire::verb::frame), 0u);
}

// §6.5: the config's rules decide both ways (filterOutgoingPacket / filterIncomingPacket); an
// empty list drops everything; a TEE rule sends an EXT_FRAME copy with 1.14's flags.
TEST_F(port_fixture, RulesDecideBothWaysAndTeeCopies) {
  auto ca = config_for(a, false, 1);
  // Drop IPv6 (ethertype 0x86dd), TEE IPv4 to the controller, accept the rest.
  ca->rules = {wire::rule::ethertype(0x86dd), wire::rule::action(wire::rule_type::action_drop)};
  wire::rule tee;
  tee.t = static_cast<std::uint8_t>(wire::rule_type::action_tee);
  tee.field.resize(14);
  wire::store_be64(tee.field.data(), ctl.address().value());  // [8 address][4 flags][2 length]
  wire::store_be16(tee.field.data() + 12, 64);
  ca->rules.push_back(wire::rule::ethertype(0x0800));
  ca->rules.push_back(tee);
  ca->rules.push_back(wire::rule::action(wire::rule_type::action_accept));
  pa->set_config(1000, ca);
  pb->set_config(1000, config_for(b, false, 2));
  io_a.take();
  io_b.take();
  pa->send_ethernet(1100, ethernet(pb->mac(), pa->mac(), 0x86dd, {1, 2}));
  EXPECT_EQ(count(io_a.take(), wire::verb::frame), 0u);
  EXPECT_EQ(pa->counters().tx_dropped, 1u);
  pa->send_ethernet(1100, ethernet(pb->mac(), pa->mac(), 0x0800, {3, 4}));
  auto sent = io_a.take();
  EXPECT_EQ(count(sent, wire::verb::frame), 1u);
  ASSERT_EQ(count(sent, wire::verb::ext_frame), 1u);
  for (const auto& s : sent) {
    if (s.v != wire::verb::ext_frame) continue;
    EXPECT_EQ(s.to, ctl.address());
    wire::reader r(s.payload);
    auto x = wire::ext_frame_payload::parse(r);
    ASSERT_TRUE(x.ok());
    EXPECT_EQ(x->flags, 0x02);  // TEE outbound
    EXPECT_EQ(x->dest, pb->mac());
    EXPECT_EQ(x->source, pa->mac());
    EXPECT_EQ(x->ethertype, 0x0800);
  }
  EXPECT_EQ(pa->counters().rule_copies_sent, 1u);
  // Inbound: a's rules drop IPv6 from b too.
  wire::frame_payload f;
  f.network_id = nwid;
  f.ethertype = 0x86dd;
  const std::vector<std::uint8_t> data = {9};
  f.data = data;
  pa->on_frame(1200, b.address(), 1, f);
  EXPECT_TRUE(got_a.empty());
  EXPECT_EQ(pa->counters().rx_filtered, 1u);
  // An empty rule list drops everything (1.14: falling off the end is a drop).
  auto empty = config_for(b, false, 2);
  empty->rules.clear();
  pb->set_config(1300, empty);
  f.ethertype = 0x0800;
  pb->on_frame(1300, a.address(), 2, f);
  EXPECT_TRUE(got_b.empty());
  EXPECT_EQ(pb->counters().rx_filtered, 1u);
}

// §6.5 tags: b accepts frames only from senders holding tag 7 = 42 (MATCH_TAG_SENDER). a's
// config carries that tag (signed by the controller) and pushes it with its COM before the
// first frame; b checks it and lets the frame in. A forged tag (bad signature) or one outside
// the credential time window is refused and counted; without the tag the frame is dropped.
TEST_F(port_fixture, PeerTagsFromItsCredentialsDecideTheRules) {
  auto ca = config_for(a, true, 1);
  wire::tag_credential tag;
  tag.network_id = nwid;
  tag.timestamp = 1000;
  tag.id = 7;
  tag.value = 42;
  tag.issued_to = a.address();
  ASSERT_TRUE(tag.sign(ctl).ok());
  ca->tags.push_back(tag);
  auto cb = config_for(b, true, 2);
  cb->rules = {wire::rule::tag_match(wire::rule_type::match_tag_sender, 7, 42),
               wire::rule::action(wire::rule_type::action_accept)};
  pa->set_config(1000, ca);
  pb->set_config(1000, cb);
  io_a.take();
  io_b.take();
  pa->send_ethernet(2000, ethernet(pb->mac(), pa->mac(), 0x0800, {1, 2, 3}));
  pump(io_a, a.address(), *pb, 2001);
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(pb->memberships().tags_of(a.address()).size(), 1u);
  EXPECT_EQ(pb->memberships().stats().credentials_accepted, 1u);

  // c-less variant: a's tag with another value is not enough.
  auto ca2 = config_for(a, true, 1);
  tag.value = 41;
  tag.timestamp = 1500;
  ASSERT_TRUE(tag.sign(ctl).ok());
  ca2->tags = {tag};
  pa->set_config(3000, ca2);  // a new config: credentials are pushed again
  io_a.take();
  pa->send_ethernet(5000, ethernet(pb->mac(), pa->mac(), 0x0800, {4}));
  pump(io_a, a.address(), *pb, 5001);
  EXPECT_EQ(got_b.size(), 1u);
  EXPECT_EQ(pb->counters().rx_filtered, 1u);

  // A forged tag (signature broken) and one far outside the time window are refused.
  wire::tag_credential forged = tag;
  forged.value = 42;  // changed after signing
  wire::tag_credential stale = tag;
  stale.timestamp = 1000 + 2 * ctmd;
  ASSERT_TRUE(stale.sign(ctl).ok());
  const auto fb = [](const wire::tag_credential& t) {
    std::vector<std::uint8_t> out(t.buffer_len());
    wire::writer w(out);
    t.emit(w);
    out.resize(w.size());
    return out;
  };
  const auto b1 = fb(forged), b2 = fb(stale);
  const wire::bytes_ref tag_refs[2] = {b1, b2};
  const std::vector<wire::bytes_ref> none;
  wire::network_credentials_payload p;
  p.tags.emplace(std::span<const wire::bytes_ref>(tag_refs));
  pb->on_credentials(9000, a.address(), p);
  EXPECT_EQ(pb->memberships().stats().credentials_rejected, 2u);
}

TEST_F(port_fixture, InboundMacChecks) {
  pb->set_config(1000, config_for(b, false, 2));
  wire::multicast_frame_payload m;
  m.network_id = nwid;
  m.dest = multicast_group::broadcast();
  m.ethertype = 0x0800;
  const std::vector<std::uint8_t> data = {1};
  m.data = data;
  m.flags = wire::multicast_frame_payload::flag_source_mac;
  m.source = pb->mac();  // our own MAC as source
  pb->on_multicast_frame(1100, a.address(), 1, m);
  m.source = wire::mac_from_address(zt_address(0x3333333333ULL), nwid);  // foreign: bridging
  pb->on_multicast_frame(1100, a.address(), 2, m);
  m.flags = 0;
  m.dest = {pb->mac(), 0};  // a unicast "group"
  pb->on_multicast_frame(1100, a.address(), 3, m);
  EXPECT_EQ(pb->counters().rx_bad_mac, 3u);
  EXPECT_TRUE(got_b.empty());
  // Before any config nothing is delivered.
  network_port fresh(nwid, b.address(), io_b, [](std::span<const std::uint8_t>) { FAIL(); });
  wire::frame_payload f;
  f.network_id = nwid;
  f.data = data;
  fresh.on_frame(1, a.address(), 1, f);
  EXPECT_EQ(fresh.counters().rx_no_config, 1u);
}

// A GATHER from a member is answered with known subscribers (never the asker; ourselves if
// subscribed).
TEST_F(port_fixture, GatherIsAnsweredFromTheDirectory) {
  pb->set_config(1000, config_for(b, false, 2));
  io_b.take();
  const auto g = multicast_group::broadcast();
  pb->on_multicast_like(1100, zt_address(0x4444444444ULL), g);
  io_b.take();
  wire::multicast_gather_payload q;
  q.network_id = nwid;
  q.group = g;
  q.gather_limit = 10;
  pb->on_multicast_gather(1200, a.address(), 5, q);
  auto sent = io_b.take();
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].v, wire::verb::ok);
  wire::reader r(sent[0].payload);
  auto ok = wire::ok_payload::parse(r);
  ASSERT_TRUE(ok.ok());
  const auto* body = std::get_if<wire::ok_multicast_gather>(&ok->body);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(ok->in_re_packet_id, 5u);
  EXPECT_EQ(body->total_known, 2u);
  std::vector<zt_address> got(body->members.begin(), body->members.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<zt_address>{zt_address(0x4444444444ULL), b.address()}));
}

}  // namespace
}  // namespace ztkit::ctrl
