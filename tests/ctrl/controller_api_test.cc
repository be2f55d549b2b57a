// The controller HTTP API (ctrl/controller_api/controller_http.h) over real HTTP on 127.0.0.1
// with cpp-httplib's client: zerotier-one 1.14's endpoints, its merge rules, the token, clear
// 4xx errors; the JSON codec's rules against the wire layout; and, as processes, `zt controller
// --root` bringing up a world that `zt node --join` joins with an address made through the API.
#include "ctrl/controller_api/controller_http.h"

#include <filesystem>
#include <mutex>

#include <gtest/gtest.h>
#include <httplib.h>

#include "ctrl/controller_api/json_codec.h"
#include "engine/wire/config_chunks.h"
#include "tests/ctrl/network_test_util.h"
#include "tests/support/process.h"

#ifndef ZTKIT_ZT_BINARY
#define ZTKIT_ZT_BINARY ""
#endif

namespace ztkit::ctrl::api {
namespace {

namespace fs = std::filesystem;
using test::line_after;
using namespace ztkit::ctrl::testing;

constexpr std::int64_t t0 = 1'700'000'000'000;
const std::string token = "abcdefghijklmnopqrstuvwx";

std::vector<std::uint8_t> request_for(std::uint64_t nwid) {
  wire::config_request r;
  r.network_id = nwid;
  r.metadata = wire::config_request::default_metadata("linux/x86_64");
  return r.to_bytes();
}

// ---- the codec -------------------------------------------------------------------------

wire::rule rule_of(const json& j) {
  auto r = rule_from_json(j);
  EXPECT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE(r.ok() && r->has_value());
  return r.ok() && r->has_value() ? **r : wire::rule{};
}

TEST(ControllerJson, RulesHaveCapabilitySerializeRulesLayouts) {
  auto et = rule_of({{"type", "MATCH_ETHERTYPE"}, {"etherType", 2048}, {"not", true}});
  EXPECT_EQ(et, wire::rule::ethertype(0x0800, true));
  auto tag = rule_of({{"type", "MATCH_TAGS_EQUAL"}, {"id", 7}, {"value", 9}, {"or", true}});
  EXPECT_EQ(tag.t, 48 | wire::rule::or_bit);
  EXPECT_EQ(tag.tag_id(), 7u);
  EXPECT_EQ(tag.tag_value(), 9u);
  auto port = rule_of({{"type", "MATCH_IP_DEST_PORT_RANGE"}, {"start", 80}});
  EXPECT_EQ(port, wire::rule::port_range(wire::rule_type::match_ip_dest_port_range, 80, 80));
  auto v4 = rule_of({{"type", "MATCH_IPV4_SOURCE"}, {"ip", "10.1.2.0/24"}});
  EXPECT_EQ(v4.field, (std::vector<std::uint8_t>{10, 1, 2, 0, 24}));
  auto v6 = rule_of({{"type", "MATCH_IPV6_DEST"}, {"ip", "fd00::1/200"}});  // mask clamped
  ASSERT_EQ(v6.field.size(), 17u);
  EXPECT_EQ(v6.field[0], 0xfd);
  EXPECT_EQ(v6.field[15], 1);
  EXPECT_EQ(v6.field[16], 128);
  auto mac = rule_of({{"type", "MATCH_MAC_SOURCE"}, {"mac", "aa:BB:cc:00:11:22"}});
  EXPECT_EQ(mac.field, (std::vector<std::uint8_t>{0xaa, 0xbb, 0xcc, 0, 0x11, 0x22}));
  auto zt = rule_of({{"type", "MATCH_DEST_ZEROTIER_ADDRESS"}, {"zt", "8056c2e21c"}});
  EXPECT_EQ(zt.zt_address_value(), 0x8056c2e21cULL);
  auto proto = rule_of({{"type", "MATCH_IP_PROTOCOL"}, {"ipProtocol", 6}});
  EXPECT_EQ(proto, wire::rule::ip_protocol_match(6));
  auto icmp = rule_of({{"type", "MATCH_ICMP"}, {"icmpType", 8}, {"icmpCode", nullptr}});
  EXPECT_EQ(icmp.field, (std::vector<std::uint8_t>{8, 0, 0}));
  auto tee = rule_of({{"type", "ACTION_TEE"}, {"address", "8056c2e21c"}, {"flags", 1}, {"length", 64}});
  EXPECT_EQ(tee.field, (std::vector<std::uint8_t>{0, 0, 0, 0x80, 0x56, 0xc2, 0xe2, 0x1c, 0, 0, 0, 1, 0, 64}));
  EXPECT_EQ(rule_of({{"type", "ACTION_DROP"}}), wire::rule::action(wire::rule_type::action_drop));

  // Each renders back to what parses to the same rule (1.14's _renderRule forms).
  for (const auto& r : {et, tag, port, v4, v6, mac, zt, proto, icmp, tee}) {
    const json j = rule_to_json(r);
    ASSERT_FALSE(j.is_null());
    EXPECT_EQ(rule_of(j), r) << j.dump();
  }
  EXPECT_EQ(rule_to_json(v4)["ip"], "10.1.2.0/24");
  EXPECT_EQ(rule_to_json(mac)["mac"], "aa:bb:cc:00:11:22");
  EXPECT_EQ(rule_to_json(et)["not"], true);

  // Unknown types are dropped as 1.14 drops them; bad fields are errors naming the field.
  auto unknown = rule_from_json({{"type", "MATCH_SOMETHING_NEW"}});
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  auto bad = rule_from_json({{"type", "MATCH_ETHERTYPE"}, {"etherType", 70000}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("etherType"), std::string::npos) << bad.message();
  EXPECT_FALSE(rule_from_json({{"type", "MATCH_IPV4_SOURCE"}, {"ip", "fd00::1"}}).ok());
  EXPECT_FALSE(rule_from_json({{"type", "MATCH_MAC_DEST"}, {"mac", "aa:bb"}}).ok());
  EXPECT_FALSE(rule_from_json({{"type", 5}}).ok());
}

TEST(ControllerJson, NetworkPostMergesLike114) {
  controller_network_settings s = api_network_defaults();
  ASSERT_TRUE(apply_network_json({{"name", "x"}, {"mtu", 100000}, {"unknownField", {1, 2}},
                                  {"v6AssignMode", "rfc4193,6plane"}, {"v4AssignMode", "zt"}},
                                 s)
                  .ok());
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.mtu, 10000u);  // clamped to ZT_MAX_MTU
  EXPECT_TRUE(s.v6_rfc4193 && s.v6_6plane && !s.v6_assign_zt && s.v4_assign_zt);
  EXPECT_EQ(s.rules.size(), 1u);  // untouched
  // A failed update changes nothing.
  auto before = s;
  auto st = apply_network_json({{"name", "y"}, {"routes", {{{"target", "10.0.0.0/40"}}}}}, s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("routes[0].target"), std::string::npos) << st.message();
  EXPECT_EQ(s, before);
  EXPECT_FALSE(apply_network_json({{"ipAssignmentPools", {{{"ipRangeStart", "10.0.0.1"}, {"ipRangeEnd", "fd00::1"}}}}}, s).ok());
  EXPECT_FALSE(apply_network_json({{"multicastLimit", -1}}, s).ok());
  EXPECT_FALSE(apply_network_json(json::array(), s).ok());
}

// ---- 1.14's address assignment, as configured through the JSON ------------------------------

TEST(ControllerAssignment, PoolsRoutesAndV6ModesFollow114) {
  const crypto::identity ctl = load_identity("ctl"), a = load_identity("tap-a");
  fake_io io;
  controller c(ctl, io, 3);
  controller_network_settings s = api_network_defaults();
  ASSERT_TRUE(apply_network_json(json::parse(R"({
      "v4AssignMode": {"zt": true}, "v6AssignMode": {"zt": true, "6plane": true},
      "ipAssignmentPools": [{"ipRangeStart": "10.20.0.1", "ipRangeEnd": "10.20.0.100"},
                            {"ipRangeStart": "fd12::", "ipRangeEnd": "fd12::ffff:ffff:ffff:ffff"}],
      "routes": [{"target": "10.20.0.0/22"}, {"target": "fd12::/64"}]})"),
                                 s)
                  .ok());
  const auto nwid = c.create_network(9, s, t0).value();
  ASSERT_TRUE(c.authorize(t0, nwid, a.address(), true).ok());
  auto cfg = c.config_for(t0, nwid, public_only(a));
  ASSERT_TRUE(cfg.has_value());
  ASSERT_EQ(cfg->static_ips.size(), 3u);
  // 6plane first (NDP emulated, /40), then the v6 pool: the member's address in the low bits.
  EXPECT_EQ(cfg->static_ips[0].port, 40);
  EXPECT_EQ(cfg->static_ips[0].ip[0], 0xfc);
  EXPECT_TRUE(cfg->flags & wire::network_config::flag_ipv6_ndp_emulation);
  std::array<std::uint8_t, 16> v6{0xfd, 0x12};
  a.address().to_bytes(v6.data() + 11);
  EXPECT_EQ(cfg->static_ips[1], wire::inet_address::v6(v6, 64));
  // The v4 walk starts at the address's low 32 bits modulo the range length.
  const std::uint32_t first = (10u << 24) | (20u << 16) | 1u;
  std::uint32_t v = first + static_cast<std::uint32_t>(a.address().value() & 0xffffffff) % 99;
  if ((v & 0xff) == 0xff) v = first + (static_cast<std::uint32_t>(a.address().value() & 0xffffffff) + 1) % 99;
  const std::array<std::uint8_t, 4> b{static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                                      static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  EXPECT_EQ(cfg->static_ips[2], wire::inet_address::v4(b, 22));
  // Both are kept as the member's ipAssignments (IPs only), and the member's 6plane is not.
  const auto& m = c.network(nwid)->members.at(a.address());
  ASSERT_EQ(m.ip_assignments.size(), 2u);
  EXPECT_EQ(member_to_json(nwid, m)["ipAssignments"].size(), 2u);
  // noAutoAssignIps: neither pools nor 6plane.
  controller_member_update u;
  u.no_auto_assign_ips = true;
  u.ip_assignments = std::vector<wire::inet_address>{};
  ASSERT_TRUE(c.update_member(t0, nwid, a.address(), u).ok());
  cfg = c.config_for(t0, nwid, public_only(a));
  ASSERT_TRUE(cfg.has_value());
  EXPECT_TRUE(cfg->static_ips.empty());
}

// ---- the HTTP API ------------------------------------------------------------------------

struct ControllerApiTest : ::testing::Test {
  crypto::identity ctl = load_identity("ctl");
  crypto::identity a = load_identity("tap-a");
  test::temp_dir tmp{"ztkit-ctlapi"};
  fake_io io;
  std::mutex mu;  // the "runner thread": requests run one at a time under it
  std::int64_t now = t0;
  std::unique_ptr<controller> c = std::make_unique<controller>(ctl, io, 7);
  std::unique_ptr<controller_store> store;
  std::unique_ptr<controller_http> http;
  std::unique_ptr<httplib::Client> cli;
  httplib::Headers auth{{"X-ZT1-Auth", token}};

  void SetUp() override {
    ASSERT_FALSE(tmp.path.empty());
    auto s = controller_store::open(tmp.path);
    ASSERT_TRUE(s.ok()) << s.message();
    store = std::make_unique<controller_store>(std::move(*s));
    store->attach(*c);
    controller_http_options o;
    o.token = token;
    auto h = controller_http::start(
        o,
        [this](std::function<void(controller&, std::int64_t)> fn) {
          std::lock_guard lock(mu);
          fn(*c, ++now);
        },
        store.get());
    ASSERT_TRUE(h.ok()) << h.message();
    http = std::move(*h);
    cli = std::make_unique<httplib::Client>("127.0.0.1", http->port());
    cli->set_connection_timeout(5);
    cli->set_read_timeout(10);
  }
  void TearDown() override {
    if (http) http->stop();
  }

  struct reply {
    int status = 0;
    json body;
  };
  reply send(const std::string& method, const std::string& path, const std::string& body = "",
             const httplib::Headers& headers = {}) {
    const httplib::Headers& h = headers.empty() ? auth : headers;
    httplib::Result r{nullptr, httplib::Error::Unknown};
    if (method == "GET") r = cli->Get(path, h);
    else if (method == "POST") r = cli->Post(path, h, body, "application/json");
    else if (method == "PUT") r = cli->Put(path, h, body, "application/json");
    else if (method == "DELETE") r = cli->Delete(path, h);
    else if (method == "PATCH") r = cli->Patch(path, h, body, "application/json");
    if (!r) {
      ADD_FAILURE() << method << " " << path << ": no answer: " << httplib::to_string(r.error());
      return {};
    }
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << method << " " << path << ": not JSON: " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    return {r->status, j};
  }
  std::string net_path(std::uint64_t nwid) { return "/controller/network/" + nwid_string(nwid); }
  std::string member_path(std::uint64_t nwid, zt_address m) {
    return net_path(nwid) + "/member/" + m.to_string();
  }
};

TEST_F(ControllerApiTest, StatusAndToken) {
  auto r = send("GET", "/controller");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["controller"], true);
  EXPECT_EQ(r.body["apiVersion"], 4);
  EXPECT_TRUE(r.body["clock"].is_number_integer());

  for (const auto& h : {httplib::Headers{{"X-Other", "1"}}, httplib::Headers{{"X-ZT1-Auth", "wrong"}},
                        httplib::Headers{{"X-ZT1-Auth", token + "x"}}}) {
    auto denied = send("GET", "/controller/network", "", h);
    EXPECT_EQ(denied.status, 401);
    EXPECT_TRUE(denied.body["error"].is_string());
  }
  EXPECT_EQ(send("GET", "/controller", "", {{"Authorization", "Bearer " + token}}).status, 200);
  // Denied requests change nothing.
  EXPECT_EQ(send("POST", net_path((ctl.address().value() << 24) | 5), "{}", {{"X-ZT1-Auth", "no"}}).status, 401);
  EXPECT_TRUE(c->networks().empty());
}

TEST_F(ControllerApiTest, NetworkLifecycle) {
  // Create with a random suffix (1.14's "<address>______").
  auto made = send("POST", "/controller/network/" + ctl.address().to_string() + "______",
                   R"({"name": "lab", "private": true, "v4AssignMode": {"zt": true},
                       "ipAssignmentPools": [{"ipRangeStart": "10.7.0.1", "ipRangeEnd": "10.7.0.254"}],
                       "routes": [{"target": "10.7.0.0/24", "via": null}],
                       "rules": [{"type": "MATCH_ETHERTYPE", "etherType": 2048, "not": true},
                                 {"type": "ACTION_DROP"}, {"type": "ACTION_ACCEPT"}]})");
  ASSERT_EQ(made.status, 200) << made.body.dump();
  const std::string id = made.body["id"];
  ASSERT_EQ(id.size(), 16u);
  EXPECT_EQ(id.substr(0, 10), ctl.address().to_string());
  EXPECT_EQ(made.body["nwid"], id);
  EXPECT_EQ(made.body["objtype"], "network");
  EXPECT_EQ(made.body["name"], "lab");
  EXPECT_EQ(made.body["v4AssignMode"]["zt"], true);
  EXPECT_EQ(made.body["routes"][0]["target"], "10.7.0.0/24");
  EXPECT_EQ(made.body["rules"].size(), 3u);
  EXPECT_EQ(made.body["rules"][0]["type"], "MATCH_ETHERTYPE");
  EXPECT_EQ(made.body["rules"][0]["etherType"], 2048);
  EXPECT_EQ(made.body["rules"][0]["not"], true);
  EXPECT_EQ(made.body["revision"], 1);
  const std::uint64_t nwid = *parse_nwid(id);
  ASSERT_NE(c->network(nwid), nullptr);
  EXPECT_EQ(c->network(nwid)->settings.rules[0], wire::rule::ethertype(0x0800, true));

  // Create with a chosen ID, list both.
  const std::uint64_t second = (ctl.address().value() << 24) | 0x42;
  auto r2 = send("POST", net_path(second), "");
  ASSERT_EQ(r2.status, 200) << r2.body.dump();
  EXPECT_EQ(r2.body["rules"][0]["type"], "ACTION_ACCEPT");  // 1.14's default rule
  auto list = send("GET", "/controller/network");
  ASSERT_EQ(list.status, 200);
  ASSERT_TRUE(list.body.is_array());
  EXPECT_EQ(list.body.size(), 2u);
  EXPECT_NE(std::find(list.body.begin(), list.body.end(), json(id)), list.body.end());
  EXPECT_NE(std::find(list.body.begin(), list.body.end(), json(nwid_string(second))), list.body.end());

  // Update merges: only the fields given change; the same body again changes nothing.
  auto up = send("POST", net_path(nwid), R"({"name": "lab2", "somethingElse": 1})");
  ASSERT_EQ(up.status, 200);
  EXPECT_EQ(up.body["name"], "lab2");
  EXPECT_EQ(up.body["v4AssignMode"]["zt"], true);
  EXPECT_EQ(up.body["rules"].size(), 3u);
  EXPECT_EQ(up.body["revision"], 2);
  EXPECT_EQ(send("PUT", net_path(nwid), R"({"name": "lab2"})").body["revision"], 2);
  auto got = send("GET", net_path(nwid));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body["name"], "lab2");
  EXPECT_TRUE(fs::exists(store->network_path(nwid)));

  // Delete answers the object; then it is gone, on disk too.
  auto del = send("DELETE", net_path(second));
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(del.body["id"], nwid_string(second));
  EXPECT_EQ(send("GET", net_path(second)).status, 404);
  EXPECT_EQ(send("DELETE", net_path(second)).status, 404);
  EXPECT_FALSE(fs::exists(store->network_path(second)));
  EXPECT_EQ(send("GET", "/controller/network").body.size(), 1u);
}

TEST_F(ControllerApiTest, MembersAuthorizeAssignAndDelete) {
  const std::uint64_t nwid = (ctl.address().value() << 24) | 1;
  ASSERT_EQ(send("POST", net_path(nwid),
                 R"({"ipAssignmentPools": [{"ipRangeStart": "10.8.0.1", "ipRangeEnd": "10.8.0.254"}],
                     "routes": [{"target": "10.8.0.0/16"}], "v4AssignMode": {"zt": true}})")
                .status,
            200);
  EXPECT_TRUE(send("GET", net_path(nwid) + "/member").body.empty());
  EXPECT_EQ(send("GET", member_path(nwid, a.address())).status, 404);

  // A request before authorization: ACCESS_DENIED, and the member (with its identity) is known.
  {
    std::lock_guard lock(mu);
    c->on_config_request(++now, public_only(a), 11, request_for(nwid));
  }
  auto seen = send("GET", member_path(nwid, a.address()));
  ASSERT_EQ(seen.status, 200);
  EXPECT_EQ(seen.body["authorized"], false);
  EXPECT_EQ(seen.body["identity"], public_only(a).to_string(false));

  // Authorize with a static address.
  auto up = send("POST", member_path(nwid, a.address()),
                 R"({"authorized": true, "ipAssignments": ["10.8.3.4"], "name": "a"})");
  ASSERT_EQ(up.status, 200) << up.body.dump();
  EXPECT_EQ(up.body["authorized"], true);
  EXPECT_EQ(up.body["ipAssignments"], json::array({"10.8.3.4"}));
  EXPECT_EQ(up.body["id"], a.address().to_string());
  EXPECT_EQ(up.body["nwid"], nwid_string(nwid));
  EXPECT_GT(up.body["lastAuthorizedTime"].get<std::int64_t>(), t0);
  const auto rev = up.body["revision"].get<std::uint64_t>();
  auto list = send("GET", net_path(nwid) + "/member");
  EXPECT_EQ(list.body, json({{a.address().to_string(), rev}}));
  EXPECT_TRUE(fs::exists(store->member_path(nwid, a.address())));

  // The config it gets now carries the address with the route's prefix.
  {
    std::lock_guard lock(mu);
    auto cfg = c->config_for(++now, nwid, public_only(a));
    ASSERT_TRUE(cfg.has_value());
    ASSERT_EQ(cfg->static_ips.size(), 1u);
    EXPECT_EQ(cfg->static_ips[0], *wire::inet_address::from_string("10.8.3.4/16"));
  }
  // Dropping the static address: the next config assigns one from the pool (v4AssignMode zt).
  ASSERT_EQ(send("POST", member_path(nwid, a.address()), R"({"ipAssignments": []})").status, 200);
  {
    std::lock_guard lock(mu);
    auto cfg = c->config_for(++now, nwid, public_only(a));
    ASSERT_TRUE(cfg.has_value());
    ASSERT_EQ(cfg->static_ips.size(), 1u);
    EXPECT_EQ(cfg->static_ips[0].port, 16);
  }
  auto assigned = send("GET", member_path(nwid, a.address()));
  ASSERT_EQ(assigned.body["ipAssignments"].size(), 1u);
  EXPECT_EQ(assigned.body["ipAssignments"][0].get<std::string>().rfind("10.8.0.", 0), 0u);

  // Delete.
  auto del = send("DELETE", member_path(nwid, a.address()));
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(del.body["authorized"], true);
  EXPECT_EQ(send("GET", member_path(nwid, a.address())).status, 404);
  EXPECT_FALSE(fs::exists(store->member_path(nwid, a.address())));
}

TEST_F(ControllerApiTest, ClearErrors) {
  const std::uint64_t nwid = (ctl.address().value() << 24) | 1;
  ASSERT_EQ(send("POST", net_path(nwid), "{}").status, 200);
  auto expect_error = [&](int status, const std::string& method, const std::string& path,
                          const std::string& body, const std::string& words) {
    auto r = send(method, path, body);
    EXPECT_EQ(r.status, status) << method << " " << path << " " << body << ": " << r.body.dump();
    ASSERT_TRUE(r.body.contains("error")) << r.body.dump();
    EXPECT_NE(r.body["error"].get<std::string>().find(words), std::string::npos) << r.body.dump();
  };
  expect_error(400, "POST", net_path(nwid), "{\"name\": ", "not valid JSON");
  expect_error(400, "POST", net_path(nwid), "[1, 2]", "JSON object");
  expect_error(400, "POST", net_path(nwid), R"({"private": "yes"})", "private");
  expect_error(400, "POST", net_path(nwid), R"({"rules": [{"type": "MATCH_ETHERTYPE", "etherType": "ip"}]})",
               "rules[0].etherType");
  expect_error(400, "POST", member_path(nwid, a.address()), R"({"authorized": 1})", "authorized");
  expect_error(400, "POST", member_path(nwid, a.address()), R"({"ipAssignments": ["10.0.0.300"]})",
               "ipAssignments[0]");
  expect_error(404, "GET", net_path(nwid + 1), "", "no network");
  expect_error(404, "POST", member_path(nwid + 1, a.address()), "{}", "no network");
  expect_error(404, "GET", net_path(nwid + 1) + "/member", "", "no network");
  expect_error(400, "GET", "/controller/network/12345", "", "16-hex-digit");
  expect_error(400, "GET", "/controller/network/zzzzzzzzzzzzzzzz", "", "16-hex-digit");
  expect_error(400, "GET", net_path(nwid) + "/member/123", "", "10-hex-digit");
  expect_error(400, "POST", net_path(nwid) + "/member/0000000000", "{}", "reserved");
  expect_error(400, "POST", net_path(0x1122334455000001ULL), "{}", "not this controller's");
  expect_error(400, "POST", "/controller/network/1122334455______", "{}", "not this controller's");
  expect_error(405, "DELETE", "/controller", "", "not allowed");
  expect_error(405, "PATCH", net_path(nwid), "{}", "not allowed");
  expect_error(404, "GET", "/controller/nothing", "", "no such path");
  expect_error(404, "GET", "/status", "", "no such path");
  // Nothing was made by the failed requests.
  EXPECT_EQ(c->networks().size(), 1u);
  EXPECT_TRUE(c->network(nwid)->members.empty());
}

TEST_F(ControllerApiTest, ChangesSurviveARestart) {
  const std::uint64_t nwid = (ctl.address().value() << 24) | 0x77;
  ASSERT_EQ(send("POST", net_path(nwid), R"({"name": "keep", "v6AssignMode": {"rfc4193": true}})").status, 200);
  ASSERT_EQ(send("POST", member_path(nwid, a.address()), R"({"authorized": true, "ipAssignments": ["fd00::7"]})").status,
            200);
  http->stop();
  auto s = controller_store::open(tmp.path);
  ASSERT_TRUE(s.ok());
  controller c2(ctl, io, 9);
  auto problems = s->load_into(c2);
  EXPECT_TRUE(problems.empty());
  ASSERT_NE(c2.network(nwid), nullptr);
  EXPECT_EQ(c2.network(nwid)->settings.name, "keep");
  EXPECT_TRUE(c2.network(nwid)->settings.v6_rfc4193);
  const auto& m = c2.network(nwid)->members.at(a.address());
  EXPECT_TRUE(m.authorized);
  ASSERT_EQ(m.ip_assignments.size(), 1u);
  EXPECT_EQ(ip_string(m.ip_assignments[0]), "fd00::7");
  // rfc4193: the member's address in the network's /88, with NDP emulation.
  auto cfg = c2.config_for(t0, nwid, public_only(a));
  ASSERT_TRUE(cfg.has_value());
  ASSERT_FALSE(cfg->static_ips.empty());
  EXPECT_EQ(cfg->static_ips[0].port, 88);
  EXPECT_EQ(cfg->static_ips[0].ip[0], 0xfd);
  EXPECT_EQ(cfg->static_ips[0].ip[9], 0x99);
  EXPECT_TRUE(cfg->flags & wire::network_config::flag_ipv6_ndp_emulation);
}

TEST(ControllerApiServer, ControllerThatDoesNotAnswerIs503) {
  controller_http_options o;
  o.token = token;
  o.answer_timeout = std::chrono::milliseconds(200);
  // A runner that is gone drops what is posted.
  auto h = controller_http::start(o, [](std::function<void(controller&, std::int64_t)>) {}, nullptr);
  ASSERT_TRUE(h.ok()) << h.message();
  httplib::Client cli("127.0.0.1", (*h)->port());
  auto r = cli.Get("/controller", {{"X-ZT1-Auth", token}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("error"), std::string::npos);
  (*h)->stop();
}

TEST(ControllerApiServer, AuthTokenIsCreatedOnceAndPrivate) {
  test::temp_dir tmp("ztkit-ctltoken");
  auto t1 = load_or_create_auth_token(tmp.path);
  ASSERT_TRUE(t1.ok()) << t1.message();
  EXPECT_EQ(t1->size(), 24u);
  EXPECT_EQ(t1->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789"), std::string::npos);
  EXPECT_EQ(fs::status(tmp.path / "authtoken.secret").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto t2 = load_or_create_auth_token(tmp.path);
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(*t1, *t2);
  std::ofstream(tmp.path / "authtoken.secret") << "  mytoken \n";
  EXPECT_EQ(*load_or_create_auth_token(tmp.path), "mytoken");
}

// ---- `zt controller --root` + `zt node --join`, as processes -------------------------------


TEST(ControllerProcess, OneCommandWorldJoinedThroughTheApi) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built: " << zt;
  test::temp_dir tmp("ztkit-ctlproc");
  ASSERT_FALSE(tmp.path.empty());
  test::children procs;
  const auto deadline = test::clock_type::now() + std::chrono::seconds(120);
  const int udp = test::free_udp_port();
  ASSERT_GT(udp, 0);
  const fs::path ctl_dir = tmp.path / "ctl", n_dir = tmp.path / "n";
  const fs::path ctl_log = tmp.path / "ctl.log", n_log = tmp.path / "n.log";

  // The member's identity first (fails on the missing planet, with 1).
  const pid_t prep = procs.spawn({zt, "node", "--state", n_dir.string(), "--planet",
                                  (tmp.path / "none").string()},
                                 tmp.path / "prep.log");
  ASSERT_EQ(procs.wait_exit(prep, 60000), 1) << test::read_all(tmp.path / "prep.log");
  const std::string n_addr = test::read_all(n_dir / "identity.public").substr(0, 10);
  ASSERT_EQ(n_addr.size(), 10u);

  auto start_controller = [&](const fs::path& log_path) {
    return procs.spawn({zt, "controller", "--state", ctl_dir.string(), "--listen",
                        "127.0.0.1:" + std::to_string(udp), "--api-port", "0", "--root",
                        "--allow-loopback"},
                       log_path);
  };
  pid_t ctl_pid = start_controller(ctl_log);
  ASSERT_GT(ctl_pid, 0);
  ASSERT_TRUE(test::wait_until(deadline, [&] { return !line_after(test::read_all(ctl_log), "api-port ").empty(); }))
      << test::read_all(ctl_log);
  std::string log = test::read_all(ctl_log);
  const int api_port = std::stoi(line_after(log, "api-port "));
  EXPECT_EQ(line_after(log, "authtoken "), (ctl_dir / "authtoken.secret").string());
  const std::string tok = test::read_all(ctl_dir / "authtoken.secret");
  const std::string ctl_addr = line_after(log, "controller ");
  ASSERT_EQ(ctl_addr.size(), 10u) << log;

  httplib::Client cli("127.0.0.1", api_port);
  cli.set_read_timeout(10);
  const httplib::Headers h{{"X-ZT1-Auth", tok}};
  auto made = cli.Post("/controller/network/" + ctl_addr + "______", h,
                       R"({"name": "world", "v4AssignMode": {"zt": true},
                           "ipAssignmentPools": [{"ipRangeStart": "10.147.20.1", "ipRangeEnd": "10.147.20.254"}],
                           "routes": [{"target": "10.147.20.0/24"}]})",
                       "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 200) << made->body;
  const std::string nwid = json::parse(made->body)["id"];
  auto auth = cli.Post("/controller/network/" + nwid + "/member/" + n_addr, h, R"({"authorized": true})",
                       "application/json");
  ASSERT_TRUE(auth);
  ASSERT_EQ(auth->status, 200) << auth->body;

  const pid_t n = procs.spawn({zt, "node", "--state", n_dir.string(), "--planet",
                               (ctl_dir / "planet").string(), "--listen", "127.0.0.1:0",
                               "--allow-loopback", "--join", nwid, "--until-joined", "--wait-ms", "30000"},
                              n_log);
  ASSERT_GT(n, 0);
  const int rc = procs.wait_exit(n, 40000);
  const std::string out = test::read_all(n_log);
  const std::string diag = "node:\n" + out + "\ncontroller:\n" + test::read_all(ctl_log);
  ASSERT_EQ(rc, 0) << diag;
  const std::string ip = line_after(out, "network " + nwid + " address ");
  EXPECT_EQ(ip.rfind("10.147.20.", 0), 0u) << diag;
  EXPECT_EQ(ip.substr(ip.find('/')), "/24") << diag;

  // The API shows what the controller did: identity learned, address assigned.
  auto member = cli.Get("/controller/network/" + nwid + "/member/" + n_addr, h);
  ASSERT_TRUE(member);
  const json m = json::parse(member->body);
  EXPECT_EQ(m["authorized"], true);
  ASSERT_EQ(m["ipAssignments"].size(), 1u) << m.dump();
  EXPECT_EQ(m["ipAssignments"][0], ip.substr(0, ip.find('/')));
  EXPECT_EQ(m["identity"].get<std::string>().substr(0, 10), n_addr);

  // SIGTERM: a clean stop. A restart serves the same state.
  ::kill(ctl_pid, SIGTERM);
  EXPECT_EQ(procs.wait_exit(ctl_pid, 10000), 0) << test::read_all(ctl_log);
  EXPECT_NE(test::read_all(ctl_log).find("stopped"), std::string::npos);
  const fs::path ctl2_log = tmp.path / "ctl2.log";
  ctl_pid = start_controller(ctl2_log);
  ASSERT_TRUE(test::wait_until(deadline, [&] { return !line_after(test::read_all(ctl2_log), "api-port ").empty(); }))
      << test::read_all(ctl2_log);
  log = test::read_all(ctl2_log);
  EXPECT_NE(log.find("networks 1 members 1"), std::string::npos) << log;
  httplib::Client cli2("127.0.0.1", std::stoi(line_after(log, "api-port ")));
  cli2.set_read_timeout(10);
  auto again = cli2.Get("/controller/network/" + nwid + "/member/" + n_addr, h);
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(again->body)["ipAssignments"], m["ipAssignments"]);
  EXPECT_EQ(json::parse(again->body)["authorized"], true);
  EXPECT_EQ(cli2.Get("/controller/network", {{"X-ZT1-Auth", "nope"}})->status, 401);

  procs.kill_all();
  for (const auto& p : {ctl_log, ctl2_log, n_log}) {
    const std::string o = test::read_all(p);
    EXPECT_EQ(o.find("Sanitizer"), std::string::npos) << p << ":\n" << o;
    EXPECT_EQ(o.find("runtime error"), std::string::npos) << p << ":\n" << o;
  }
}

}  // namespace
}  // namespace ztkit::ctrl::api
