// MAC(address, nwid), its inverse, multicast groups and managed IPv6 addresses against
// mac_multicast.json (ZeroTierOne 1.14.1 MAC.hpp, MulticastGroup.hpp, InetAddress.cpp).
#include "engine/wire/mac.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

std::uint64_t hex_u64(const nlohmann::json& j) {
  return std::strtoull(j.get<std::string>().c_str(), nullptr, 16);
}

zt_address addr(const nlohmann::json& j) {
  auto a = zt_address::parse(j.get<std::string>());
  EXPECT_TRUE(a.has_value());
  return a.value_or(zt_address{});
}

TEST(Mac, FromAddressAndBackMatchZeroTier) {
  ZTKIT_LOAD_VECTORS(v, "mac_multicast.json");
  ASSERT_GE(v["macs"].size(), 10u);
  for (const auto& c : v["macs"]) {
    const std::uint64_t nwid = hex_u64(c["network_id"]);
    const zt_address a = addr(c["address"]);
    const mac_address m = mac_from_address(a, nwid);
    const auto expected = test::hex_bytes(c["mac_hex"]);
    EXPECT_EQ(std::vector<std::uint8_t>(m.bytes.begin(), m.bytes.end()), expected)
        << c["network_id"] << " " << c["address"];
    EXPECT_EQ(m.to_string(), c["mac"].get<std::string>());
    EXPECT_EQ(network_mac_first_octet(nwid), test::hex_bytes(c["first_octet_for_network"])[0]);
    EXPECT_EQ(address_from_mac(m, nwid), addr(c["address_from_mac"]));
    ASSERT_TRUE(member_address(m, nwid).has_value());
    EXPECT_EQ(*member_address(m, nwid), a);
    const auto ll = ipv6_link_local(m);
    EXPECT_EQ(ll.to_string(), c["ipv6_link_local_from_mac"].get<std::string>());
  }
}

TEST(Mac, FirstOctetAvoidsVirtualBoxPrefix) {
  EXPECT_EQ(network_mac_first_octet(0x52), 0x32);
  EXPECT_EQ(network_mac_first_octet(0x53), 0x32);
  EXPECT_EQ(network_mac_first_octet(0x01), 0x02);
  EXPECT_EQ(network_mac_first_octet(0xff), 0xfe);
}

TEST(Mac, ForeignFirstOctetIsABridgedDestination) {
  const std::uint64_t nwid = 0x8056c2e21c000001ULL;
  mac_address m = mac_from_address(zt_address(0x3d55811c5eULL), nwid);
  m.bytes[0] ^= 0x10;
  EXPECT_FALSE(member_address(m, nwid).has_value());
}

TEST(Mac, TextAndWireForms) {
  const auto m = mac_address::from_string("02:3D:55:9d:fe:9c");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->to_string(), "02:3d:55:9d:fe:9c");
  EXPECT_EQ(mac_address::from_string("023d559dfe9c"), m);
  EXPECT_EQ(mac_address::from_string("02-3d-55-9d-fe-9c"), m);
  EXPECT_FALSE(mac_address::from_string("02:3d:55:9d:fe").has_value());
  EXPECT_FALSE(mac_address::from_string("02:3d:55:9d:fe:9g").has_value());
  EXPECT_FALSE(mac_address::from_string("02:3d:55:9d:fe;9c").has_value());
  EXPECT_EQ(mac_address::from_u64(m->to_u64()), *m);
  EXPECT_FALSE(m->is_multicast());
  EXPECT_TRUE(mac_address::broadcast().is_broadcast());
  EXPECT_TRUE(mac_address::broadcast().is_multicast());

  const std::uint8_t short_mac[] = {1, 2, 3, 4, 5};
  reader r(short_mac);
  mac_address::parse(r);
  EXPECT_FALSE(r.ok());
}

TEST(MulticastGroup, ArpAndNdpGroupsMatchZeroTier) {
  ZTKIT_LOAD_VECTORS(v, "mac_multicast.json");
  ASSERT_GE(v["multicast_groups"].size(), 4u);
  for (const auto& c : v["multicast_groups"]) {
    const auto ip = inet_address::from_string(c["ip"].get<std::string>());
    ASSERT_TRUE(ip.has_value()) << c["ip"];
    const auto g = multicast_group::for_address_resolution(*ip);
    ASSERT_TRUE(g.has_value());
    EXPECT_EQ(g->mac.to_string(), c["mac"].get<std::string>()) << c["ip"];
    EXPECT_EQ(g->adi, c["adi_decimal"].get<std::uint32_t>()) << c["ip"];

    std::uint8_t buf[10];
    writer w(buf);
    g->emit(w);
    ASSERT_TRUE(w.ok());
    const auto mac_hex = test::hex_bytes(c["mac_hex"]);
    const auto adi_hex = test::hex_bytes(c["adi"]);
    EXPECT_TRUE(std::equal(mac_hex.begin(), mac_hex.end(), buf));
    EXPECT_TRUE(std::equal(adi_hex.begin(), adi_hex.end(), buf + 6));
    reader r(buf);
    EXPECT_EQ(multicast_group::parse(r), *g);
    EXPECT_TRUE(r.at_end());
  }
  EXPECT_FALSE(multicast_group::for_address_resolution(inet_address{}).has_value());
  EXPECT_EQ(multicast_group::broadcast().to_string(), "ff:ff:ff:ff:ff:ff/00000000");
}

TEST(MulticastGroup, TruncatedGroupFailsAtEveryLength) {
  const std::uint8_t buf[10] = {0x33, 0x33, 0xff, 1, 2, 3, 0, 0, 0, 9};
  for (std::size_t n = 0; n < sizeof buf; ++n) {
    reader r(std::span(buf, n));
    multicast_group::parse(r);
    EXPECT_FALSE(r.ok()) << n;
  }
}

TEST(ManagedIpv6, Rfc4193AndSixPlaneMatchZeroTier) {
  ZTKIT_LOAD_VECTORS(v, "mac_multicast.json");
  ASSERT_GE(v["ipv6"].size(), 4u);
  for (const auto& c : v["ipv6"]) {
    const std::uint64_t nwid = hex_u64(c["network_id"]);
    const zt_address a = addr(c["address"]);
    const inet_address r = rfc4193_address(nwid, a);
    const inet_address s = sixplane_address(nwid, a);
    const auto rh = test::hex_bytes(c["rfc4193_hex"]);
    const auto sh = test::hex_bytes(c["sixplane_hex"]);
    EXPECT_EQ(std::vector<std::uint8_t>(r.ip.begin(), r.ip.end()), rh) << c["network_id"];
    EXPECT_EQ(std::vector<std::uint8_t>(s.ip.begin(), s.ip.end()), sh) << c["network_id"];
    EXPECT_EQ(r.port, 88);
    EXPECT_EQ(s.port, 40);
    EXPECT_EQ(r.to_string(), c["rfc4193"].get<std::string>());
    EXPECT_EQ(s.to_string(), c["sixplane"].get<std::string>());
  }
}

}  // namespace
}  // namespace ztkit::wire
