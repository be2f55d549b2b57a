// The controller's JSON store (ctrl/controller_api/controller_store.h): FileDB layout, atomic
// 0600 files, round trip of networks and members through a restart, corrupt files reported
// with their path and skipped.
#include "ctrl/controller_api/controller_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "ctrl/controller_api/json_codec.h"
#include "ctrl/state/atomic_file.h"
#include "engine/wire/config_chunks.h"
#include "tests/ctrl/network_test_util.h"
#include "tests/support/process.h"

namespace ztkit::ctrl::api {
namespace {

namespace fs = std::filesystem;
using namespace ztkit::ctrl::testing;

constexpr std::int64_t t0 = 1'700'000'000'000;

std::vector<std::uint8_t> request_for(std::uint64_t nwid) {
  wire::config_request r;
  r.network_id = nwid;
  r.metadata = wire::config_request::default_metadata("linux/x86_64");
  return r.to_bytes();
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

bool has_problem(const std::vector<std::string>& problems, const std::string& path, const std::string& what) {
  for (const auto& p : problems)
    if (p.find(path) != std::string::npos && p.find(what) != std::string::npos) return true;
  return false;
}

struct ControllerStoreTest : ::testing::Test {
  crypto::identity ctl = load_identity("ctl");
  crypto::identity a = load_identity("tap-a");
  crypto::identity b = load_identity("tap-b");
  test::temp_dir tmp{"ztkit-ctlstore"};
  fake_io io;
  std::unique_ptr<controller> c = std::make_unique<controller>(ctl, io, 7);
  std::optional<controller_store> store;

  void SetUp() override {
    ASSERT_FALSE(tmp.path.empty());
    auto s = controller_store::open(tmp.path);
    ASSERT_TRUE(s.ok()) << s.message();
    store.emplace(std::move(*s));
    store->attach(*c);
  }

  controller_network_settings lab_settings() {
    controller_network_settings s = api_network_defaults();
    s.name = "lab";
    s.v4_assign_zt = true;
    s.v6_rfc4193 = true;
    s.ip_pools.push_back({*wire::inet_address::from_string("10.9.0.1"), *wire::inet_address::from_string("10.9.0.254")});
    s.routes.push_back({*wire::inet_address::from_string("10.9.0.0/24"), {}, 0, 0});
    s.rules = {wire::rule::ethertype(0x0800, true), wire::rule::action(wire::rule_type::action_drop),
               wire::rule::tag_match(wire::rule_type::match_tags_equal, 7, 9),
               wire::rule::port_range(wire::rule_type::match_ip_dest_port_range, 80, 443),
               wire::rule::action(wire::rule_type::action_accept)};
    return s;
  }

  // A fresh controller (same identity) loading the store: what a restart sees.
  std::pair<std::unique_ptr<controller>, std::vector<std::string>> reload() {
    auto s = controller_store::open(tmp.path);
    EXPECT_TRUE(s.ok());
    auto c2 = std::make_unique<controller>(ctl, io, 8);
    auto problems = s->load_into(*c2);
    return {std::move(c2), problems};
  }
};

TEST_F(ControllerStoreTest, LayoutIsFileDbAndFilesAreAtomicAndPrivate) {
  const auto nwid = c->create_network(0xabc, lab_settings(), t0).value();
  ASSERT_TRUE(c->authorize(t0, nwid, a.address(), true).ok());
  const fs::path net = tmp.path / "controller.d" / "network" / (nwid_string(nwid) + ".json");
  const fs::path mem = tmp.path / "controller.d" / "network" / nwid_string(nwid) / "member" /
                       (a.address().to_string() + ".json");
  EXPECT_EQ(store->network_path(nwid), net);
  EXPECT_EQ(store->member_path(nwid, a.address()), mem);
  ASSERT_TRUE(fs::exists(net));
  ASSERT_TRUE(fs::exists(mem));
  struct stat st {};
  ASSERT_EQ(::stat(mem.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto j = json::parse(test::read_all(net));
  EXPECT_EQ(j["objtype"], "network");
  EXPECT_EQ(j["id"], nwid_string(nwid));
  EXPECT_EQ(j["nwid"], nwid_string(nwid));
  EXPECT_EQ(j["name"], "lab");
  EXPECT_EQ(j["creationTime"], t0);
  auto m = json::parse(test::read_all(mem));
  EXPECT_EQ(m["objtype"], "member");
  EXPECT_EQ(m["id"], a.address().to_string());
  EXPECT_EQ(m["address"], a.address().to_string());
  EXPECT_EQ(m["nwid"], nwid_string(nwid));
  EXPECT_EQ(m["authorized"], true);
  EXPECT_EQ(m["lastAuthorizedTime"], t0);
  // No temporary file is left beside them.
  for (const auto& dir : {net.parent_path(), mem.parent_path()})
    for (const auto& e : fs::directory_iterator(dir))
      EXPECT_FALSE(is_temp_file_name(e.path().filename().string())) << e.path();
  EXPECT_TRUE(store->take_write_errors().empty());
}

TEST_F(ControllerStoreTest, RestartKeepsSettingsAuthorizationAddressesAndIdentities) {
  const auto nwid = c->create_network(0xabc, lab_settings(), t0).value();
  ASSERT_TRUE(c->authorize(t0, nwid, a.address(), true).ok());
  controller_member_update u;
  u.authorized = true;
  u.ip_assignments = std::vector{*wire::inet_address::from_string("10.9.0.77")};
  u.name = "b's laptop";
  u.active_bridge = true;
  ASSERT_TRUE(c->update_member(t0 + 1, nwid, b.address(), u).ok());
  // a asks: its identity is learned and an address is assigned from the pool; both are saved.
  c->on_config_request(t0 + 2, public_only(a), 1, request_for(nwid));
  const auto& ma = c->network(nwid)->members.at(a.address());
  ASSERT_TRUE(ma.identity.has_value());
  ASSERT_EQ(ma.ip_assignments.size(), 1u);
  EXPECT_EQ(ma.ip_assignments[0].fam, wire::inet_address::family::ipv4);
  const auto before = c->networks();
  c.reset();

  auto [c2, problems] = reload();
  EXPECT_TRUE(problems.empty()) << problems.front();
  ASSERT_NE(c2->network(nwid), nullptr);
  const controller_network& n = *c2->network(nwid);
  const controller_network& was = before.at(nwid);
  EXPECT_EQ(n.settings, was.settings);
  EXPECT_EQ(n.revision, was.revision);
  EXPECT_EQ(n.creation_time, t0);
  ASSERT_EQ(n.members.size(), 2u);
  for (const auto& [addr, m] : was.members) {
    const controller_member& r = n.members.at(addr);
    EXPECT_EQ(r.authorized, m.authorized);
    EXPECT_EQ(r.ip_assignments, m.ip_assignments);
    EXPECT_EQ(r.revision, m.revision);
    EXPECT_EQ(r.name, m.name);
    EXPECT_EQ(r.active_bridge, m.active_bridge);
    EXPECT_EQ(r.creation_time, m.creation_time);
    EXPECT_EQ(r.last_authorized_time, m.last_authorized_time);
    EXPECT_EQ(r.identity.has_value(), m.identity.has_value());
    if (r.identity) EXPECT_EQ(*r.identity, *m.identity);
  }
  // The restored controller serves a at once, with the same address.
  io.take();
  const auto cfg = c2->config_for(t0 + 3, nwid, public_only(a));
  ASSERT_TRUE(cfg.has_value());
  ASSERT_FALSE(cfg->static_ips.empty());
  EXPECT_EQ(cfg->static_ips.back().ip, was.members.at(a.address()).ip_assignments[0].ip);
  EXPECT_EQ(cfg->static_ips.back().port, 24);
}

TEST_F(ControllerStoreTest, DeletesRemoveFiles) {
  const auto nwid = c->create_network(1, lab_settings(), t0).value();
  ASSERT_TRUE(c->authorize(t0, nwid, a.address(), true).ok());
  ASSERT_TRUE(c->authorize(t0, nwid, b.address(), true).ok());
  ASSERT_TRUE(c->delete_member(nwid, a.address()).ok());
  EXPECT_FALSE(fs::exists(store->member_path(nwid, a.address())));
  EXPECT_TRUE(fs::exists(store->member_path(nwid, b.address())));
  ASSERT_TRUE(c->delete_network(nwid).ok());
  EXPECT_FALSE(fs::exists(store->network_path(nwid)));
  EXPECT_FALSE(fs::exists(store->network_path(nwid).parent_path() / nwid_string(nwid)));
  auto [c2, problems] = reload();
  EXPECT_TRUE(c2->networks().empty());
}

TEST_F(ControllerStoreTest, CorruptFilesAreReportedWithPathAndSkipped) {
  const auto good = c->create_network(1, lab_settings(), t0).value();
  ASSERT_TRUE(c->authorize(t0, good, a.address(), true).ok());
  ASSERT_TRUE(c->authorize(t0, good, b.address(), true).ok());
  const auto other = c->create_network(2, lab_settings(), t0).value();
  const auto third = c->create_network(3, lab_settings(), t0).value();
  const auto fourth = c->create_network(4, lab_settings(), t0).value();
  c.reset();
  // Truncated JSON, a wrong field type, an ID not matching the file name, a bad identity.
  write_text(store->network_path(other), "{\"id\": \"" + nwid_string(other) + "\", \"name\": ");
  write_text(store->network_path(third), "{\"id\": \"" + nwid_string(third) + "\", \"private\": \"yes\"}");
  write_text(store->network_path(fourth), "{\"id\": \"" + nwid_string(good) + "\"}");
  write_text(store->member_path(good, b.address()),
             "{\"id\": \"" + b.address().to_string() + "\", \"identity\": \"not an identity\"}");
  // A network of another controller (another identity).
  const std::uint64_t foreign = 0x1122334455000001ULL;
  write_text(store->network_path(foreign), "{\"id\": \"" + nwid_string(foreign) + "\"}");
  // Not ours to read: other names are ignored.
  write_text(store->network_path(good).parent_path() / "README", "hello");

  auto [c2, problems] = reload();
  EXPECT_EQ(problems.size(), 5u);
  EXPECT_TRUE(has_problem(problems, store->network_path(other).string(), "not valid JSON"));
  EXPECT_TRUE(has_problem(problems, store->network_path(third).string(), "private: must be true or false"));
  EXPECT_TRUE(has_problem(problems, store->network_path(fourth).string(), "is not its file name"));
  EXPECT_TRUE(has_problem(problems, store->member_path(good, b.address()).string(), "identity"));
  EXPECT_TRUE(has_problem(problems, store->network_path(foreign).string(), "not one of this controller's"));
  ASSERT_NE(c2->network(good), nullptr);
  EXPECT_TRUE(c2->network(good)->members.count(a.address()));
  EXPECT_FALSE(c2->network(good)->members.count(b.address()));
  EXPECT_EQ(c2->networks().size(), 1u);
}

TEST_F(ControllerStoreTest, WriteFailuresAreCollected) {
  const auto nwid = c->create_network(1, lab_settings(), t0).value();
  // The member folder's place is taken by a file: the member cannot be written.
  write_text(store->network_path(nwid).parent_path() / nwid_string(nwid), "in the way");
  ASSERT_TRUE(c->authorize(t0, nwid, a.address(), true).ok());
  const auto errors = store->take_write_errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(nwid_string(nwid)), std::string::npos) << errors[0];
  EXPECT_TRUE(store->take_write_errors().empty());
}

}  // namespace
}  // namespace ztkit::ctrl::api
