// The embedded controller (ctrl/network/controller.h) with plain values: EmbeddedNetworkController
// behaviour of 1.14 (zerotier-protocol.md §5.2, §5.3, §5.6).
#include "ctrl/network/controller.h"

#include <gtest/gtest.h>

#include "engine/wire/config_chunks.h"
#include "tests/ctrl/network_test_util.h"

namespace ztkit::ctrl {
namespace {

using namespace ztkit::ctrl::testing;

constexpr std::int64_t t0 = 1'700'000'000'000;

struct ControllerTest : ::testing::Test {
  crypto::identity ctl = load_identity("ctl");
  crypto::identity a = load_identity("tap-a");
  crypto::identity b = load_identity("tap-b");
  fake_io io;
  controller c{ctl, io, 7};
  std::uint64_t nwid = 0;

  void SetUp() override {
    controller_network_settings s;
    s.name = "lab";
    s.v4_pool = ipv4_pool{{10, 147, 17, 1}, {10, 147, 17, 254}, 24};
    nwid = c.create_network(0xc0ffee, s).value();
  }
  std::vector<std::uint8_t> request(std::uint64_t id) {
    wire::config_request r;
    r.network_id = id;
    r.metadata = wire::config_request::default_metadata("linux/x86_64");
    return r.to_bytes();
  }
  wire::error_payload error_of(const fake_io::sent& s) {
    EXPECT_EQ(s.v, wire::verb::error);
    return wire::parse_payload<wire::error_payload>(s.payload).value().value;
  }
  // Reassembles the OK chunks into the config.
  wire::network_config config_of(const std::vector<fake_io::sent>& sent, bool ok_form = true) {
    wire::config_assembler as(nwid, public_only(ctl));
    for (const auto& s : sent) {
      EXPECT_EQ(s.v, ok_form ? wire::verb::ok : wire::verb::network_config);
      std::span<const std::uint8_t> body(s.payload);
      if (ok_form) {
        EXPECT_EQ(s.payload[0], 0x0b);
        body = body.subspan(9);
      }
      auto chunk = wire::config_chunk::parse(body);
      EXPECT_TRUE(chunk.ok());
      auto done = as.add(*chunk, ctl.address(), 1);
      EXPECT_TRUE(done.ok());
      if (done.ok() && done->has_value()) return wire::network_config::parse((*done)->dictionary).value();
    }
    ADD_FAILURE() << "config incomplete";
    return {};
  }
};

TEST_F(ControllerTest, NetworkIdIsAddressAndSuffix) {
  EXPECT_EQ(nwid, 0x47017ef593c0ffeeULL);  // ../shared/captures/network-id.txt
  EXPECT_FALSE(c.create_network(0xc0ffee).ok());
  EXPECT_FALSE(c.create_network(0x1000000).ok());
}

TEST_F(ControllerTest, UnknownNetworkIsObjNotFound) {
  c.on_config_request(t0, public_only(a), 0x1234, request(nwid + 1));
  auto out = io.take();
  ASSERT_EQ(out.size(), 1u);
  auto e = error_of(out[0]);
  EXPECT_EQ(e.error(), wire::error_code::obj_not_found);
  EXPECT_EQ(e.in_re_verb, 0x0b);
  EXPECT_EQ(e.in_re_packet_id, 0x1234u);
  EXPECT_EQ(e.network_id, nwid + 1);
}

TEST_F(ControllerTest, NewMemberOfPrivateNetworkIsDeniedThenAuthorizedAndPushed) {
  c.on_config_request(t0, public_only(a), 1, request(nwid));
  auto out = io.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_of(out[0]).error(), wire::error_code::network_access_denied);
  EXPECT_FALSE(c.network(nwid)->members.at(a.address()).authorized);
  ASSERT_TRUE(c.authorize(t0 + 10, nwid, a.address(), true).ok());
  auto pushed = io.take();
  ASSERT_FALSE(pushed.empty());
  EXPECT_EQ(pushed[0].to, a.address());
  auto cfg = config_of(pushed, false);
  EXPECT_EQ(cfg.issued_to, a.address());
  // Deauthorizing pushes nothing: the member learns at its next refresh.
  ASSERT_TRUE(c.authorize(t0 + 20, nwid, a.address(), false).ok());
  EXPECT_TRUE(io.take().empty());
  c.on_config_request(t0 + 5000, public_only(a), 2, request(nwid));
  out = io.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(error_of(out[0]).error(), wire::error_code::network_access_denied);
}

TEST_F(ControllerTest, AuthorizedMemberGetsSignedChunkedConfigWithCom) {
  ASSERT_TRUE(c.authorize(t0, nwid, a.address(), true).ok());
  c.on_config_request(t0 + 100, public_only(a), 0x77, request(nwid));
  auto out = io.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(wire::load_be64(out[0].payload.data() + 1), 0x77u);
  auto cfg = config_of(out);
  EXPECT_EQ(cfg.network_id, nwid);
  EXPECT_EQ(cfg.timestamp, t0 + 100);
  EXPECT_EQ(cfg.credential_time_max_delta, 30 * 60 * 1000);
  EXPECT_EQ(cfg.multicast_limit, 32u);
  EXPECT_EQ(cfg.mtu, 2800u);
  EXPECT_TRUE(cfg.enable_broadcast());
  EXPECT_TRUE(cfg.is_private());
  EXPECT_EQ(cfg.name, "lab");
  ASSERT_EQ(cfg.static_ips.size(), 1u);
  EXPECT_EQ(cfg.static_ips[0].to_string(), "10.147.17.1/24");
  ASSERT_EQ(cfg.rules.size(), 1u);
  EXPECT_EQ(cfg.rules[0].type(), static_cast<std::uint8_t>(wire::rule_type::action_accept));
  ASSERT_TRUE(cfg.com.has_value());
  EXPECT_EQ(cfg.com->qualifiers.size(), 7u);
  EXPECT_TRUE(cfg.com->verify(public_only(ctl)));
  EXPECT_EQ(cfg.com->issued_to(), a.address());
  // The COM is bound to a's identity: it agrees with another COM for a.
  auto mine = wire::certificate_of_membership::issue(t0, 30 * 60 * 1000, nwid, b);
  EXPECT_TRUE(mine.agrees_with(*cfg.com, public_only(a)));
  EXPECT_FALSE(mine.agrees_with(*cfg.com, public_only(b)));
}

TEST_F(ControllerTest, RequestsLessThanOneSecondApartAreDropped) {
  ASSERT_TRUE(c.authorize(t0, nwid, a.address(), true).ok());
  c.on_config_request(t0, public_only(a), 1, request(nwid));
  c.on_config_request(t0 + 999, public_only(a), 2, request(nwid));
  EXPECT_EQ(c.counters().rate_limited, 1u);
  c.on_config_request(t0 + 1000, public_only(a), 3, request(nwid));
  EXPECT_EQ(c.counters().configs_sent, 2u);
}

TEST_F(ControllerTest, PoolGivesDistinctAddressesAndPublicNetworkAdmitsAll) {
  controller_network_settings s;
  s.is_private = false;
  s.v4_pool = ipv4_pool{{10, 0, 0, 1}, {10, 0, 0, 2}, 8};
  auto pub = c.create_network(1, s).value();
  auto ca = c.config_for(t0, pub, a);
  EXPECT_FALSE(ca.has_value());  // not a member yet
  c.on_config_request(t0, public_only(a), 1, request(pub));
  c.on_config_request(t0, public_only(b), 2, request(pub));
  auto ia = c.config_for(t0, pub, a)->static_ips;
  auto ib = c.config_for(t0, pub, b)->static_ips;
  ASSERT_EQ(ia.size(), 1u);
  ASSERT_EQ(ib.size(), 1u);
  EXPECT_NE(ia[0], ib[0]);
  EXPECT_EQ(c.config_for(t0, pub, a)->type, wire::network_config::type_public);
}

TEST_F(ControllerTest, MalformedRequestIsCounted) {
  std::vector<std::uint8_t> junk{1, 2, 3};
  c.on_config_request(t0, public_only(a), 1, junk);
  EXPECT_EQ(c.counters().malformed, 1u);
  EXPECT_TRUE(io.take().empty());
}

}  // namespace
}  // namespace ztkit::ctrl
