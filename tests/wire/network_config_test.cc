// NetworkConfig <-> dictionary against netconf.json (`dictionary_hex`, `parsed`, `large_config`).
#include "engine/wire/network_config.h"

#include <gtest/gtest.h>

#include "engine/base/hex.h"
#include "tests/support/vectors.h"

namespace {

using namespace ztkit::wire;
using ztkit::test::hex_bytes;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inet_address addr(const nlohmann::json& j) {
  const std::string s = j;
  if (s.empty()) return inet_address{};
  auto a = inet_address::from_string(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(inet_address{});
}

TEST(NetworkConfig, ParsedVector) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const auto bytes = hex_bytes(v["dictionary_hex"]);
  ASSERT_EQ(bytes.size(), v["dictionary_length"].get<std::size_t>());
  auto c = network_config::parse(bytes);
  ASSERT_EQ(c.ok(), v["fromDictionary_ok"].get<bool>()) << c.message();
  const auto& p = v["parsed"];
  EXPECT_EQ(c->network_id, std::stoull(p["networkId"].get<std::string>(), nullptr, 16));
  EXPECT_EQ(c->timestamp, p["timestamp"].get<std::int64_t>());
  EXPECT_EQ(c->credential_time_max_delta, p["credentialTimeMaxDelta"].get<std::int64_t>());
  EXPECT_EQ(c->revision, p["revision"].get<std::uint64_t>());
  EXPECT_EQ(c->issued_to.to_string(), p["issuedTo"].get<std::string>());
  EXPECT_EQ(c->flags, std::stoull(p["flags"].get<std::string>(), nullptr, 16));
  EXPECT_EQ(c->enable_broadcast(), p["enableBroadcast"].get<bool>());
  EXPECT_EQ(c->ndp_emulation(), p["ndpEmulation"].get<bool>());
  EXPECT_EQ(c->mtu, p["mtu"].get<std::uint32_t>());
  EXPECT_EQ(c->multicast_limit, p["multicastLimit"].get<std::uint32_t>());
  EXPECT_EQ(c->type, p["type"].get<std::uint64_t>());
  EXPECT_EQ(c->name, p["name"].get<std::string>());
  EXPECT_EQ(c->remote_trace_target.to_string(), p["remoteTraceTarget"].get<std::string>());
  EXPECT_EQ(c->remote_trace_level, p["remoteTraceLevel"].get<std::uint64_t>());
  ASSERT_EQ(c->specialists.size(), p["specialists"].size());
  for (std::size_t i = 0; i < c->specialists.size(); ++i)
    EXPECT_EQ(c->specialists[i], std::stoull(p["specialists"][i].get<std::string>(), nullptr, 16));
  ASSERT_EQ(c->static_ips.size(), p["staticIps"].size());
  for (std::size_t i = 0; i < c->static_ips.size(); ++i)
    EXPECT_EQ(c->static_ips[i], addr(p["staticIps"][i])) << i;
  ASSERT_EQ(c->routes.size(), p["routes"].size());
  for (std::size_t i = 0; i < c->routes.size(); ++i) {
    EXPECT_EQ(c->routes[i].target, addr(p["routes"][i]["target"]));
    EXPECT_EQ(c->routes[i].via, addr(p["routes"][i]["via"]));
    EXPECT_EQ(c->routes[i].flags, p["routes"][i]["flags"].get<std::uint16_t>());
    EXPECT_EQ(c->routes[i].metric, p["routes"][i]["metric"].get<std::uint16_t>());
  }
  ASSERT_EQ(c->rules.size(), p["rules"].size());
  for (std::size_t i = 0; i < c->rules.size(); ++i) {
    const auto& pr = p["rules"][i];
    const rule& r = c->rules[i];
    EXPECT_EQ(r.t, pr["t"].get<int>());
    EXPECT_EQ(r.type(), pr["type"].get<int>());
    EXPECT_EQ(r.negated(), pr["not"].get<bool>());
    EXPECT_EQ(r.is_or(), pr["or"].get<bool>());
    if (pr.contains("etherType"))
      EXPECT_EQ(r.ether_type(), std::stoul(pr["etherType"].get<std::string>(), nullptr, 16));
    if (pr.contains("tagId")) {
      EXPECT_EQ(r.tag_id(), pr["tagId"].get<std::uint32_t>());
      EXPECT_EQ(r.tag_value(), pr["tagValue"].get<std::uint32_t>());
    }
  }
  ASSERT_EQ(c->capabilities.size(), p["capabilities"].size());
  EXPECT_EQ(c->capabilities[0].id, p["capabilities"][0]["id"].get<std::uint32_t>());
  ASSERT_EQ(c->tags.size(), p["tags"].size());
  EXPECT_EQ(c->tags[0].value, p["tags"][0]["value"].get<std::uint32_t>());
  EXPECT_EQ(c->certificates_of_ownership.size(), p["certificateOfOwnershipCount"].get<std::size_t>());
  EXPECT_EQ(c->dns.domain, p["dns"]["domain"].get<std::string>());
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(c->dns.servers[i], addr(p["dns"]["servers"][i]));
  ASSERT_TRUE(c->com.has_value());
  EXPECT_EQ(ztkit::to_hex(c->com->to_bytes()), p["com"]["serialized"].get<std::string>());
  EXPECT_EQ(c->sso_enabled, p["ssoEnabled"].get<bool>());
  EXPECT_EQ(c->sso_version, p["ssoVersion"].get<std::uint64_t>());
}

TEST(NetworkConfig, ToDictionaryByteExact) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  for (const auto* which : {&v, &v["large_config"]}) {
    const auto bytes = hex_bytes((*which)["dictionary_hex"]);
    auto c = network_config::parse(bytes);
    ASSERT_TRUE(c.ok()) << c.message();
    auto out = c->to_bytes();
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(ztkit::to_hex(*out), ztkit::to_hex(bytes));
    auto again = network_config::parse(*out);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *c);
  }
  auto large = network_config::parse(hex_bytes(v["large_config"]["dictionary_hex"]));
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(large->rules.size(), v["large_config"]["rule_count"].get<std::size_t>());
}

std::string replace_value(const std::string& text, const std::string& key, const std::string& value) {
  const auto at = text.find(key + "=");
  EXPECT_NE(at, std::string::npos);
  const auto end = text.find('\n', at);
  return text.substr(0, at) + key + "=" + value + (end == std::string::npos ? "" : text.substr(end));
}

std::string vector_text(const nlohmann::json& v) {
  const auto b = hex_bytes(v["dictionary_hex"]);
  return std::string(b.begin(), b.end());
}

TEST(NetworkConfig, RejectsOldVersionAndMissingIds) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const std::string text = vector_text(v);
  EXPECT_FALSE(network_config::parse(bytes_of(replace_value(text, "v", "5"))).ok());
  EXPECT_TRUE(network_config::parse(bytes_of(replace_value(text, "v", "6"))).ok());
  EXPECT_FALSE(network_config::parse(bytes_of(replace_value(text, "nwid", "0"))).ok());
  EXPECT_FALSE(network_config::parse(bytes_of(replace_value(text, "id", ""))).ok());
  auto e = network_config::parse(bytes_of(replace_value(text, "v", "0")));
  EXPECT_FALSE(e.ok());
  EXPECT_FALSE(e.message().empty());
}

TEST(NetworkConfig, MtuClampedAndDefaults) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const std::string text = vector_text(v);
  EXPECT_EQ(network_config::parse(bytes_of(replace_value(text, "mtu", "10"))).value().mtu, 1280u);
  EXPECT_EQ(network_config::parse(bytes_of(replace_value(text, "mtu", "ffffff"))).value().mtu, 10000u);
  auto minimal = network_config::parse(bytes_of("v=7\nnwid=8056c2e21c000001\nid=3d55811c5e"));
  ASSERT_TRUE(minimal.ok()) << minimal.message();
  EXPECT_EQ(minimal->mtu, 2800u);
  EXPECT_TRUE(minimal->is_private());
  EXPECT_FALSE(minimal->com.has_value());
  EXPECT_TRUE(minimal->rules.empty());
}

TEST(NetworkConfig, MalformedBlobs) {
  ZTKIT_LOAD_VECTORS(v, "netconf.json");
  const std::string text = vector_text(v);
  // Malformed COM, route, static IP, rule or DNS blob rejects the config.
  for (const char* key : {"C", "RT", "I", "R", "DNS", "COO"}) {
    SCOPED_TRACE(key);
    auto d = dictionary::parse(bytes_of(text));
    ASSERT_TRUE(d.ok());
    dictionary mod;
    for (const auto& e : d->entries()) {
      auto val = e.value;
      if (e.key == key) val.resize(val.size() - 1);
      ASSERT_TRUE(mod.add(e.key, val).ok());
    }
    EXPECT_FALSE(network_config::from_dictionary(mod).ok());
  }
  // A truncated capability or tag list keeps what was read (1.14 catches locally).
  for (const char* key : {"CAP", "TAG"}) {
    auto d = dictionary::parse(bytes_of(text));
    dictionary mod;
    for (const auto& e : d->entries()) {
      auto val = e.value;
      if (e.key == key) val.resize(val.size() - 1);
      ASSERT_TRUE(mod.add(e.key, val).ok());
    }
    auto c = network_config::from_dictionary(mod);
    ASSERT_TRUE(c.ok()) << key;
    EXPECT_TRUE(std::string(key) == "CAP" ? c->capabilities.empty() : c->tags.empty());
  }
}

TEST(NetworkConfig, BuiltConfigRoundTrips) {
  network_config c;
  c.network_id = 0x8056c2e21c000001ULL;
  c.timestamp = 1234;
  c.credential_time_max_delta = 300000;
  c.revision = 9;
  c.issued_to = ztkit::zt_address(0x3d55811c5eULL);
  c.flags = network_config::flag_enable_broadcast;
  c.multicast_limit = 32;
  c.type = network_config::type_public;
  c.name = "x=y\nz";
  c.specialists = {0x0000080000000000ULL | 0x1122334455ULL};
  c.static_ips = {*inet_address::from_string("10.0.0.1/8")};
  c.routes = {network_route{*inet_address::from_string("10.0.0.0/8"), {}, 0, 1}};
  c.rules = {rule::ethertype(0x0800, true), rule::action(rule_type::action_accept)};
  c.dns.domain = "example";
  c.sso_enabled = true;
  c.authentication_url = "https://a/b";
  c.authentication_expiry_time = 77;
  auto bytes = c.to_bytes();
  ASSERT_TRUE(bytes.ok());
  auto back = network_config::parse(*bytes);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(*back, c);
}

}  // namespace
