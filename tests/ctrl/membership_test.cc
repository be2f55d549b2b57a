// ctrl/network/membership.h: COM storage, the private-network gate, credential push timing.
#include "ctrl/network/membership.h"

#include <gtest/gtest.h>

#include "engine/wire/credentials.h"
#include "tests/ctrl/node_test_util.h"

namespace ztkit::ctrl {
namespace {

using testing::load_identity;
using testing::public_only;
using wire::certificate_of_membership;

constexpr std::uint64_t nwid = 0x47017ef593c0ffeeULL;
constexpr std::int64_t ctmd = 7200000;

struct fixture : ::testing::Test {
  crypto::identity ctl = load_identity("ctl");
  crypto::identity tap_a = load_identity("tap-a");
  crypto::identity tap_b = load_identity("tap-b");
  crypto::identity ctl_pub = public_only(ctl);
  crypto::identity a_pub = public_only(tap_a);
  crypto::identity b_pub = public_only(tap_b);

  certificate_of_membership com_for(const crypto::identity& to, std::int64_t ts,
                                    std::uint64_t network = nwid) {
    auto c = certificate_of_membership::issue(ts, ctmd, network, to);
    EXPECT_TRUE(c.sign(ctl).ok());
    return c;
  }
  wire::network_config config_with(const certificate_of_membership& mine) {
    wire::network_config c;
    c.network_id = nwid;
    c.type = wire::network_config::type_private;
    c.com = mine;
    return c;
  }
  // Parses a payload built by credentials_payload() and hands it to the table.
  credentials_result deliver(membership_table& t, std::int64_t now, const crypto::identity& from,
                             const std::vector<std::uint8_t>& payload,
                             const crypto::identity* controller) {
    wire::reader r(payload);
    auto p = wire::network_credentials_payload::parse(r);
    EXPECT_TRUE(p.ok()) << p.message();
    return t.on_credentials(now, from, *p, controller);
  }
  credentials_result deliver(membership_table& t, std::int64_t now, const crypto::identity& from,
                             const certificate_of_membership& c) {
    return deliver(t, now, from, membership_table::credentials_payload(c), &ctl_pub);
  }
};

TEST_F(fixture, ValidComFromThePeerLetsItPass) {
  membership_table t(nwid, ctl.address());
  auto cfg = config_with(com_for(tap_a, 1000));
  EXPECT_FALSE(t.allowed(b_pub, &cfg));  // nothing shown yet
  auto r = deliver(t, 5000, b_pub, com_for(tap_b, 1200));
  EXPECT_FALSE(r.rate_limited);
  ASSERT_EQ(r.coms.size(), 1u);
  EXPECT_EQ(r.coms[0], com_verdict::accepted);
  EXPECT_TRUE(t.allowed(b_pub, &cfg));
  EXPECT_FALSE(t.allowed(a_pub, &cfg));
  EXPECT_FALSE(t.allowed(b_pub, nullptr));  // no config: nobody passes
  EXPECT_EQ(t.stats().coms_accepted, 1u);
}

TEST_F(fixture, TimestampsTooFarApartDoNotAgree) {
  membership_table t(nwid, ctl.address());
  auto cfg = config_with(com_for(tap_a, 1000));
  deliver(t, 0, b_pub, com_for(tap_b, 1000 + ctmd + 1));
  ASSERT_NE(t.com_of(tap_b.address()), nullptr);
  EXPECT_FALSE(t.allowed(b_pub, &cfg));
}

TEST_F(fixture, StolenComDoesNotHelp) {
  membership_table t(nwid, ctl.address());
  auto cfg = config_with(com_for(tap_a, 1000));
  // tap-b shows tap-a's COM: it is filed under tap-a (as 1.14 does), not under tap-b.
  auto r = deliver(t, 0, b_pub, com_for(tap_a, 1000));
  EXPECT_EQ(r.coms.at(0), com_verdict::accepted);
  EXPECT_EQ(t.com_of(tap_b.address()), nullptr);
  EXPECT_FALSE(t.allowed(b_pub, &cfg));
  // A controller-signed COM naming tap-b but carrying tap-a's identity hash fails agreement.
  auto forged = certificate_of_membership::issue(1000, ctmd, nwid, tap_a);
  for (auto& q : forged.qualifiers)
    if (q.id == certificate_of_membership::issued_to_id) q.value = tap_b.address().value();
  ASSERT_TRUE(forged.sign(ctl).ok());
  EXPECT_EQ(deliver(t, 2000, b_pub, forged).coms.at(0), com_verdict::accepted);
  ASSERT_NE(t.com_of(tap_b.address()), nullptr);
  EXPECT_FALSE(t.allowed(b_pub, &cfg));
  // tap-b's real COM then lets tap-b pass; tap-a's, relayed by tap-b, is genuine and counts for
  // tap-a (1.14 files relayed COMs under their issued-to address too).
  deliver(t, 4000, b_pub, com_for(tap_b, 1000));
  EXPECT_TRUE(t.allowed(b_pub, &cfg));
  EXPECT_TRUE(t.allowed(a_pub, &cfg));
}

TEST_F(fixture, OlderComDoesNotReplaceNewerOrEqualDoes) {
  membership_table t(nwid, ctl.address());
  EXPECT_EQ(deliver(t, 0, b_pub, com_for(tap_b, 2000)).coms.at(0), com_verdict::accepted);
  EXPECT_EQ(deliver(t, 1000, b_pub, com_for(tap_b, 1999)).coms.at(0), com_verdict::old);
  EXPECT_EQ(t.com_of(tap_b.address())->timestamp(), 2000);
  EXPECT_EQ(deliver(t, 2000, b_pub, com_for(tap_b, 2000)).coms.at(0), com_verdict::redundant);
  // Equal timestamp, different content: replaces.
  auto other = certificate_of_membership::issue(2000, ctmd + 1, nwid, tap_b);
  ASSERT_TRUE(other.sign(ctl).ok());
  EXPECT_EQ(deliver(t, 3000, b_pub, other).coms.at(0), com_verdict::accepted);
  EXPECT_EQ(*t.com_of(tap_b.address()), other);
  EXPECT_EQ(deliver(t, 4000, b_pub, com_for(tap_b, 2500)).coms.at(0), com_verdict::accepted);
  EXPECT_EQ(t.com_of(tap_b.address())->timestamp(), 2500);
  EXPECT_EQ(t.stats().coms_rejected, 1u);
}

TEST_F(fixture, WrongSignerWrongNetworkAndUnknownControllerAreRejected) {
  membership_table t(nwid, ctl.address());
  auto cfg = config_with(com_for(tap_a, 1000));
  // Signed by tap-a, not the controller.
  auto by_a = certificate_of_membership::issue(1000, ctmd, nwid, tap_b);
  ASSERT_TRUE(by_a.sign(tap_a).ok());
  EXPECT_EQ(deliver(t, 0, b_pub, by_a).coms.at(0), com_verdict::invalid);
  // Claims the controller but the signature is tap-a's.
  by_a.signed_by = ctl.address();
  EXPECT_EQ(deliver(t, 1000, b_pub, by_a).coms.at(0), com_verdict::invalid);
  // Tampered after signing.
  auto tampered = com_for(tap_b, 1000);
  tampered.qualifiers[0].value += 1;
  EXPECT_EQ(deliver(t, 2000, b_pub, tampered).coms.at(0), com_verdict::invalid);
  // Unsigned.
  auto unsigned_com = certificate_of_membership::issue(1000, ctmd, nwid, tap_b);
  EXPECT_EQ(deliver(t, 3000, b_pub, unsigned_com).coms.at(0), com_verdict::invalid);
  // Another network.
  EXPECT_EQ(deliver(t, 4000, b_pub, com_for(tap_b, 1000, 0x47017ef593000001ULL)).coms.at(0),
            com_verdict::wrong_network);
  // Controller identity not known yet: reported, nothing stored.
  auto r = deliver(t, 5000, b_pub, membership_table::credentials_payload(com_for(tap_b, 1000)),
                   nullptr);
  EXPECT_TRUE(r.need_controller_identity());
  EXPECT_EQ(t.com_of(tap_b.address()), nullptr);
  EXPECT_FALSE(t.allowed(b_pub, &cfg));
  // A controller identity with the wrong address is no controller.
  r = deliver(t, 6000, b_pub, membership_table::credentials_payload(com_for(tap_b, 1000)), &a_pub);
  EXPECT_EQ(r.coms.at(0), com_verdict::invalid);
  EXPECT_EQ(t.com_of(tap_b.address()), nullptr);
}

TEST_F(fixture, MalformedComInAPayloadIsCounted) {
  membership_table t(nwid, ctl.address());
  auto bytes = com_for(tap_b, 1000).to_bytes();
  const std::vector<std::uint8_t> junk{0x01, 0x00, 0x01, 0x00};  // too short to be a COM
  // Built directly (a parse of such bytes would fail before reaching the table).
  std::vector<wire::bytes_ref> coms{wire::bytes_ref(junk), wire::bytes_ref(bytes)};
  wire::network_credentials_payload p;
  p.coms = coms;
  auto r = t.on_credentials(0, b_pub, p, &ctl_pub);
  ASSERT_EQ(r.coms.size(), 2u);
  EXPECT_EQ(r.coms[0], com_verdict::malformed);
  EXPECT_EQ(r.coms[1], com_verdict::accepted);
}

TEST_F(fixture, PublicNetworkLetsEveryonePass) {
  membership_table t(nwid, ctl.address());
  wire::network_config cfg;
  cfg.network_id = nwid;
  cfg.type = wire::network_config::type_public;
  EXPECT_TRUE(t.allowed(b_pub, &cfg));
  cfg.type = wire::network_config::type_private;
  EXPECT_FALSE(t.allowed(b_pub, &cfg));  // private, and we hold no COM of our own
}

TEST_F(fixture, CredentialsAreRateLimitedPerSender) {
  membership_table t(nwid, ctl.address());
  auto cfg = config_with(com_for(tap_a, 1000));
  EXPECT_EQ(deliver(t, 10000, b_pub, com_for(tap_b, 1000)).coms.at(0), com_verdict::accepted);
  auto r = deliver(t, 10999, b_pub, com_for(tap_b, 1100));
  EXPECT_TRUE(r.rate_limited);
  EXPECT_TRUE(r.coms.empty());
  EXPECT_EQ(t.com_of(tap_b.address())->timestamp(), 1000);
  EXPECT_EQ(t.stats().credentials_rate_limited, 1u);
  // Another sender is not limited by tap-b's.
  EXPECT_FALSE(deliver(t, 10999, a_pub, com_for(tap_a, 1000)).rate_limited);
  // A second later tap-b is heard again.
  r = deliver(t, 11000, b_pub, com_for(tap_b, 1100));
  EXPECT_FALSE(r.rate_limited);
  EXPECT_EQ(t.com_of(tap_b.address())->timestamp(), 1100);
  EXPECT_TRUE(t.allowed(b_pub, &cfg));
}

TEST_F(fixture, PushTimingFollows114) {
  membership_table t(nwid, ctl.address());
  auto cfg = config_with(com_for(tap_a, 1000));
  const zt_address b = tap_b.address();
  EXPECT_TRUE(t.credentials_to_push(100000, b, cfg).has_value());  // never pushed
  EXPECT_FALSE(t.credentials_to_push(100001, b, cfg).has_value());
  EXPECT_FALSE(t.credentials_to_push(100000 + 500000, b, cfg).has_value());
  EXPECT_TRUE(t.credentials_to_push(100000 + 500001, b, cfg).has_value());  // > activity timeout
  // Another peer has its own clock.
  EXPECT_TRUE(t.credentials_to_push(600001, tap_a.address(), cfg).has_value());
  // A new config: push again to everyone.
  t.on_config_update(600002);
  EXPECT_TRUE(t.credentials_to_push(600003, b, cfg).has_value());
  EXPECT_FALSE(t.credentials_to_push(600004, b, cfg).has_value());
  // ERROR(NEED_MEMBERSHIP_CERTIFICATE): at most one push a second.
  EXPECT_FALSE(t.on_need_certificate(601003, b, cfg).has_value());
  EXPECT_TRUE(t.on_need_certificate(601004, b, cfg).has_value());
  EXPECT_FALSE(t.on_need_certificate(601500, b, cfg).has_value());
  EXPECT_FALSE(t.on_need_certificate(602004, b, cfg).has_value());
  EXPECT_TRUE(t.on_need_certificate(602005, b, cfg).has_value());
  // Without a COM of our own there is nothing to push.
  wire::network_config none;
  none.network_id = nwid;
  EXPECT_FALSE(t.credentials_to_push(0, zt_address(0x1122334455ULL), none).has_value());
  EXPECT_FALSE(t.on_need_certificate(0, zt_address(0x1122334455ULL), none).has_value());
}

TEST_F(fixture, PushedPayloadParsesAndRoundTrips) {
  membership_table t(nwid, ctl.address());
  auto mine = com_for(tap_a, 1000);
  auto cfg = config_with(mine);
  auto bytes = t.credentials_to_push(0, tap_b.address(), cfg);
  ASSERT_TRUE(bytes.has_value());
  const auto com_bytes = mine.to_bytes();
  ASSERT_EQ(bytes->size(), com_bytes.size() + 1 + 4 * 2);
  EXPECT_TRUE(std::equal(com_bytes.begin(), com_bytes.end(), bytes->begin()));
  EXPECT_EQ((*bytes)[com_bytes.size()], 0);
  for (std::size_t i = com_bytes.size(); i < bytes->size(); ++i) EXPECT_EQ((*bytes)[i], 0);
  wire::reader r(*bytes);
  auto p = wire::network_credentials_payload::parse(r);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(r.remaining(), 0u);
  ASSERT_EQ(p->coms.size(), 1u);
  EXPECT_TRUE(p->com_list_terminated);
  ASSERT_TRUE(p->capabilities && p->tags && p->revocations && p->certificates_of_ownership);
  EXPECT_EQ(p->capabilities->size(), 0u);
  EXPECT_EQ(p->tags->size(), 0u);
  EXPECT_EQ(p->revocations->size(), 0u);
  EXPECT_EQ(p->certificates_of_ownership->size(), 0u);
  EXPECT_EQ(wire::emit_payload(*p), *bytes);
  EXPECT_EQ(certificate_of_membership::parse(p->coms[0].bytes).value(), mine);
  // tap-b's table, holding tap-b's own COM, accepts it and lets tap-a pass.
  membership_table theirs(nwid, ctl.address());
  auto their_cfg = config_with(com_for(tap_b, 1500));
  EXPECT_EQ(theirs.on_credentials(0, a_pub, *p, &ctl_pub).coms.at(0), com_verdict::accepted);
  EXPECT_TRUE(theirs.allowed(a_pub, &their_cfg));
}

TEST_F(fixture, TableIsBoundedAndEvictsTheOldest) {
  membership_limits lim;
  lim.max_peers = 2;
  membership_table t(nwid, ctl.address(), lim);
  deliver(t, 1000, a_pub, com_for(tap_a, 1000));  // entry tap-a
  deliver(t, 2000, b_pub, com_for(tap_b, 1000));  // entry tap-b
  EXPECT_EQ(t.size(), 2u);
  auto cfg = config_with(com_for(tap_a, 1000));
  (void)t.credentials_to_push(3000, zt_address(0x1122334455ULL), cfg);  // evicts tap-a
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.com_of(tap_a.address()), nullptr);
  EXPECT_NE(t.com_of(tap_b.address()), nullptr);
  EXPECT_EQ(t.stats().evictions, 1u);
}

}  // namespace
}  // namespace ztkit::ctrl

#ifdef ZTKIT_HAVE_CAPTURE
#include "engine/wire/armor.h"
#include "engine/wire/compress.h"
#include "engine/wire/packet.h"
#include "tools/ztdump/capture.h"
namespace ztkit::ctrl {
namespace {

// Frame 43 of ztlab-join-tap-a.pcap: tap-b's (1.14.1) NETWORK_CREDENTIALS to tap-a.
TEST_F(fixture, CapturedCredentialsFromTapBAreAccepted) {
  auto cap = capture::read_udp_capture(std::string(ZTKIT_CAPTURES_DIR) + "/ztlab-join-tap-a.pcap");
  ASSERT_TRUE(cap.ok()) << cap.message();
  const capture::udp_datagram* d = nullptr;
  for (const auto& x : cap->datagrams)
    if (x.frame == 43) d = &x;
  ASSERT_NE(d, nullptr);
  std::vector<std::uint8_t> pkt(wire::packet_max_length, 0);
  std::copy(d->payload.begin(), d->payload.end(), pkt.begin());
  std::span<std::uint8_t> clear(pkt.data(), d->payload.size());
  auto k = testing::keys_between(tap_a, b_pub);
  ASSERT_EQ(wire::dearmor(clear, k->keys(), 0), wire::armor_result::ok);
  auto view = wire::packet_view::checked(clear).value();
  ASSERT_EQ(view.verb(), wire::verb::network_credentials);
  std::size_t len = clear.size();
  if (view.compressed()) {
    auto u = wire::uncompress(pkt, clear.size());
    ASSERT_TRUE(u.ok());
    len = u.size;
  }
  auto payload = std::span<const std::uint8_t>(pkt).subspan(28, len - 28);
  wire::reader r(payload);
  auto p = wire::network_credentials_payload::parse(r);
  ASSERT_TRUE(p.ok()) << p.message();
  ASSERT_EQ(p->coms.size(), 1u);
  auto theirs = certificate_of_membership::parse(p->coms[0].bytes).value();
  EXPECT_EQ(theirs.issued_to(), tap_b.address());
  EXPECT_EQ(theirs.network_id(), nwid);
  // tap-a's own COM from the same controller and time (its config's COM).
  auto mine = certificate_of_membership::issue(theirs.timestamp(), theirs.qualifiers[0].max_delta,
                                               nwid, tap_a);
  ASSERT_TRUE(mine.sign(ctl).ok());
  auto cfg = config_with(mine);
  membership_table t(nwid, ctl.address());
  auto res = t.on_credentials(1000, b_pub, *p, &ctl_pub);
  EXPECT_FALSE(res.rate_limited);
  EXPECT_EQ(res.coms.at(0), com_verdict::accepted);
  EXPECT_TRUE(t.allowed(b_pub, &cfg));
  EXPECT_FALSE(t.allowed(a_pub, &cfg));
  // What tap-b's table would push for tap-b's config (its COM and the controller's COO) is what
  // 1.14 sent, byte for byte.
  ASSERT_TRUE(p->capabilities && p->tags && p->revocations && p->certificates_of_ownership);
  EXPECT_EQ(p->capabilities->size(), 0u);
  EXPECT_EQ(p->tags->size(), 0u);
  EXPECT_EQ(p->revocations->size(), 0u);
  ASSERT_EQ(p->certificates_of_ownership->size(), 1u);
  wire::network_config b_cfg = config_with(theirs);
  wire::reader coo_r((*p->certificates_of_ownership)[0].bytes);
  auto coo = wire::certificate_of_ownership::parse(coo_r);
  ASSERT_TRUE(coo.ok()) << coo.message();
  b_cfg.certificates_of_ownership.push_back(*coo);
  membership_table tb(nwid, ctl.address());
  auto ours = tb.credentials_to_push(0, tap_a.address(), b_cfg);
  ASSERT_TRUE(ours.has_value());
  EXPECT_EQ(*ours, std::vector<std::uint8_t>(payload.begin(), payload.end()));
}

}  // namespace
}  // namespace ztkit::ctrl
#endif
