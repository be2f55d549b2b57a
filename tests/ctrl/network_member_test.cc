// The member side of a network (ctrl/network/network_member.h): plain-value tests per 1.14
// behaviour (zerotier-protocol.md §5.1-§5.3), the request compared with the captured 1.14 one,
// and a simulation (root, controller node, two members) on engine/io/sim measuring the join.
#include "ctrl/network/network_member.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ctrl/network/controller.h"
#include "engine/io/sim/sim_network.h"
#include "engine/wire/compress.h"
#include "tests/ctrl/network_test_util.h"

namespace ztkit::ctrl {
namespace {

using namespace ztkit::ctrl::testing;

constexpr std::int64_t t0 = 1'700'000'000'000;

struct MemberTest : ::testing::Test {
  crypto::identity ctl = load_identity("ctl");
  crypto::identity a = load_identity("tap-a");
  fake_io cio, mio;
  controller c{ctl, cio, 3};
  std::uint64_t nwid = 0;
  std::vector<network_status> statuses;
  int configs = 0;
  network_member_events ev() {
    network_member_events e;
    e.on_status = [this](std::uint64_t, network_status s) { statuses.push_back(s); };
    e.on_config = [this](std::uint64_t, std::shared_ptr<const wire::network_config>, bool) { ++configs; };
    return e;
  }
  void SetUp() override {
    controller_network_settings s;
    s.v4_pool = ipv4_pool{{10, 147, 17, 1}, {10, 147, 17, 254}, 24};
    nwid = c.create_network(0xc0ffee, s).value();
    mio.know(ctl);
  }
  // Hands the member's requests to the controller and its answers back.
  void exchange(network_member& m, std::int64_t now) {
    for (auto& s : mio.take())
      if (s.v == wire::verb::network_config_request) c.on_config_request(now, public_only(a), 42, s.payload);
    for (auto& s : cio.take()) {
      if (s.v == wire::verb::ok)
        m.on_config_ok(now, ctl.address(), 43, std::span<const std::uint8_t>(s.payload).subspan(9));
      else if (s.v == wire::verb::network_config)
        m.on_network_config(now, ctl.address(), 44, s.payload);
      else if (s.v == wire::verb::error)
        m.on_error(now, ctl.address(), wire::parse_payload<wire::error_payload>(s.payload).value().value);
    }
  }
};

TEST_F(MemberTest, JoinSendsTheRequestAtOnce) {
  network_member m(nwid, a.address(), mio, ev());
  m.join(t0);
  ASSERT_EQ(mio.out.size(), 1u);
  EXPECT_EQ(mio.out[0].to, ctl.address());
  EXPECT_EQ(mio.out[0].v, wire::verb::network_config_request);
  auto req = wire::config_request::parse(mio.out[0].payload).value();
  EXPECT_EQ(req.network_id, nwid);
  EXPECT_EQ(req.metadata, wire::config_request::default_metadata("linux/x86_64"));
  EXPECT_EQ(req.revision, 0u);
  EXPECT_EQ(m.status(), network_status::requesting_configuration);
}

TEST_F(MemberTest, OkChunksApplyTheConfigAndTheNextRequestCarriesItsRevision) {
  ASSERT_TRUE(c.authorize(t0, nwid, a.address(), true).ok());
  network_member m(nwid, a.address(), mio, ev());
  m.join(t0);
  exchange(m, t0 + 10);
  ASSERT_EQ(m.status(), network_status::ok);
  ASSERT_TRUE(m.config());
  ASSERT_EQ(m.config()->static_ips.size(), 1u);
  EXPECT_EQ(m.config()->static_ips[0], c.network(nwid)->members.at(a.address()).ip_assignments[0]);
  EXPECT_EQ(statuses, std::vector<network_status>{network_status::ok});
  auto req = wire::config_request::parse(m.request_payload()).value();
  EXPECT_EQ(req.revision, m.config()->revision);
  EXPECT_EQ(req.timestamp, static_cast<std::uint64_t>(t0 + 10));
}

TEST_F(MemberTest, ErrorsFromTheControllerSetTheStatusOthersAreIgnored) {
  network_member m(nwid, a.address(), mio, ev());
  m.join(t0);
  exchange(m, t0 + 10);  // a is new: unauthorized
  EXPECT_EQ(m.status(), network_status::access_denied);
  wire::error_payload e;
  e.in_re_verb = 0x0b;
  e.code = static_cast<std::uint8_t>(wire::error_code::obj_not_found);
  e.network_id = nwid;
  m.on_error(t0, zt_address(0x1122334455), e);  // not the controller
  EXPECT_EQ(m.status(), network_status::access_denied);
  EXPECT_EQ(m.counters().errors_ignored, 1u);
  m.on_error(t0, ctl.address(), e);
  EXPECT_EQ(m.status(), network_status::not_found);
  e.code = static_cast<std::uint8_t>(wire::error_code::unsupported_operation);
  m.on_error(t0, ctl.address(), e);
  EXPECT_EQ(m.status(), network_status::not_found);
  m.set_port_error(0);
  EXPECT_STREQ(to_string(m.status()), "NOT_FOUND");
}

TEST_F(MemberTest, UnknownNetworkIsNotFound) {
  network_member m(nwid + 1, a.address(), mio, ev());
  m.join(t0);
  exchange(m, t0 + 10);
  EXPECT_EQ(m.status(), network_status::not_found);
}

TEST_F(MemberTest, PushedConfigIsAckedWithOkInReEcho) {
  network_member m(nwid, a.address(), mio, ev());
  m.join(t0);
  exchange(m, t0 + 10);
  ASSERT_EQ(m.status(), network_status::access_denied);
  ASSERT_TRUE(c.authorize(t0 + 20, nwid, a.address(), true).ok());
  exchange(m, t0 + 30);
  EXPECT_EQ(m.status(), network_status::ok);
  auto out = mio.take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].v, wire::verb::ok);
  ASSERT_EQ(out[0].payload.size(), 25u);
  EXPECT_EQ(out[0].payload[0], 0x08);
  EXPECT_EQ(wire::load_be64(out[0].payload.data() + 1), 44u);
  EXPECT_EQ(wire::load_be64(out[0].payload.data() + 9), nwid);
  EXPECT_NE(wire::load_be64(out[0].payload.data() + 17), 0u);
}

TEST_F(MemberTest, TamperedChunkIsRejected) {
  ASSERT_TRUE(c.authorize(t0, nwid, a.address(), true).ok());
  network_member m(nwid, a.address(), mio, ev());
  m.join(t0);
  for (auto& s : mio.take()) c.on_config_request(t0, public_only(a), 42, s.payload);
  auto out = cio.take();
  ASSERT_EQ(out.size(), 1u);
  auto bad = out[0].payload;
  bad[9 + 8 + 2 + 5] ^= 0x01;  // a byte of the dictionary
  m.on_config_ok(t0, ctl.address(), 43, std::span<const std::uint8_t>(bad).subspan(9));
  EXPECT_EQ(m.counters().chunks_rejected, 1u);
  EXPECT_EQ(m.status(), network_status::requesting_configuration);
  m.on_config_ok(t0, ctl.address(), 43, std::span<const std::uint8_t>(out[0].payload).subspan(9));
  EXPECT_EQ(m.status(), network_status::ok);
}

TEST_F(MemberTest, ChunkBeforeTheControllerIdentityIsKeptUntilKnown) {
  ASSERT_TRUE(c.authorize(t0, nwid, a.address(), true).ok());
  mio.known.clear();
  network_member m(nwid, a.address(), mio, ev());
  m.join(t0);
  exchange(m, t0 + 10);
  EXPECT_EQ(m.counters().chunks_pending, 1u);
  EXPECT_EQ(m.status(), network_status::requesting_configuration);
  mio.know(ctl);
  m.on_tick(t0 + 20);
  EXPECT_EQ(m.status(), network_status::ok);
}

TEST_F(MemberTest, RefreshEveryFiveSecondsWithoutConfigThenEverySixty) {
  network_member m(nwid, a.address(), mio, ev());
  m.join(t0);
  mio.take();
  m.on_tick(t0 + 4999);
  EXPECT_TRUE(mio.out.empty());
  m.on_tick(t0 + 5000);
  EXPECT_EQ(mio.take().size(), 1u);
  ASSERT_TRUE(c.authorize(t0, nwid, a.address(), true).ok());
  m.on_tick(t0 + 10000);
  exchange(m, t0 + 10000);
  ASSERT_EQ(m.status(), network_status::ok);
  m.on_tick(t0 + 15000);
  m.on_tick(t0 + 69999);
  EXPECT_TRUE(mio.out.empty());
  m.on_tick(t0 + 70000);
  EXPECT_EQ(mio.take().size(), 1u);
}

TEST_F(MemberTest, PersistedConfigIsKnownAtJoinAndACorruptOneIsIgnored) {
  auto dir = std::filesystem::temp_directory_path() /
             ("ztkit-nm-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
              std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  std::filesystem::remove_all(dir);
  auto st = state_dir::open(dir).value();
  ASSERT_TRUE(c.authorize(t0, nwid, a.address(), true).ok());
  {
    network_member m(nwid, a.address(), mio, ev(), {.state = &st});
    m.join(t0);
    exchange(m, t0 + 10);
    ASSERT_EQ(m.status(), network_status::ok);
  }
  mio.take();
  std::vector<bool> cached;
  network_member_events e;
  e.on_config = [&](std::uint64_t, std::shared_ptr<const wire::network_config>, bool fc) { cached.push_back(fc); };
  network_member again(nwid, a.address(), mio, e, {.state = &st});
  again.join(t0 + 1000);
  ASSERT_TRUE(again.config());  // before the controller answered
  EXPECT_EQ(again.config()->static_ips.size(), 1u);
  EXPECT_EQ(cached, std::vector<bool>{true});
  EXPECT_EQ(mio.take().size(), 1u);  // and it still asks at once
  {
    std::ofstream f(st.network_path(nwid), std::ios::binary | std::ios::trunc);
    f << "v=0000000000000007\nnwid=garbage";
  }
  std::vector<std::string> problems;
  network_member_events pe;
  pe.on_problem = [&](std::uint64_t, const std::string& p) { problems.push_back(p); };
  network_member corrupt(nwid, a.address(), mio, pe, {.state = &st});
  corrupt.join(t0 + 2000);
  EXPECT_FALSE(corrupt.config());
  EXPECT_EQ(corrupt.counters().cache_corrupt, 1u);
  EXPECT_EQ(problems.size(), 1u);
  corrupt.leave();
  EXPECT_FALSE(std::filesystem::exists(st.network_path(nwid)));
  std::filesystem::remove_all(dir);
}

// ---- Simulation: root + controller node + two members on the sim network ------------------

constexpr std::int64_t ns_per_ms = 1'000'000;

struct net_node : node_sink {
  crypto::identity id;
  inet_address at;
  buf::buffer_pool pool{{.slab_size = 2048, .count = 512}};
  std::unique_ptr<io::sim::sim_endpoint> ep;
  std::unique_ptr<node_core> core;
  std::unique_ptr<node_core_io> nio;
  std::unique_ptr<controller> ctl;
  std::unique_ptr<network_member> member;
  std::int64_t now = 0;

  void send(socket_id, const inet_address& to, std::span<const std::uint8_t> bytes, unsigned) override {
    buf::packet_buffer b = pool.get();
    if (!b) return;
    b.reset(0, 0);
    std::memcpy(b.append(bytes.size()), bytes.data(), bytes.size());
    ep->send(io::tx_datagram{std::move(b), to, 0});
  }
  void on_network_packet(peer& from, wire::const_packet_view p, socket_id, const inet_address&) override {
    if (p.verb() == wire::verb::network_config_request && ctl)
      ctl->on_config_request(now, from.identity(), p.packet_id(), p.payload());
    else if (p.verb() == wire::verb::network_config && member)
      member->on_network_config(now, from.address(), p.packet_id(), p.payload());
    else if (p.verb() == wire::verb::ok && member && p.payload().size() >= 9 &&
             p.payload()[0] == static_cast<std::uint8_t>(wire::verb::network_config_request))
      // OK(NETWORK_CONFIG_REQUEST): [1 in-re verb][8 in-re packet id][chunk]
      member->on_config_ok(now, from.address(), wire::load_be64(p.payload().data() + 1),
                           p.payload().subspan(9));
  }
  void on_error_received(zt_address from, const wire::error_payload& e) override {
    if (member) member->on_error(now, from, e);
  }
};

class NetworkSim : public ::testing::Test {
 protected:
  crypto::identity root_id = load_identity("root");
  test_planet tp{{wire::world_root{public_only(root_id), {v4(10, 0, 0, 1, 9993)}}}};
  std::unique_ptr<io::sim::sim_network> net;
  std::vector<std::unique_ptr<net_node>> nodes;

  void SetUp() override {
    io::sim::sim_network::config cfg;
    cfg.seed = 5;
    cfg.default_link = {.delay_ns = 5 * ns_per_ms, .jitter_ns = 1 * ns_per_ms};
    net = std::make_unique<io::sim::sim_network>(cfg);
    add(root_id, v4(10, 0, 0, 1, 9993));
    add(load_identity("ctl"), v4(10, 0, 3, 4, 9993));
    add(load_identity("tap-a"), v4(10, 0, 1, 2, 9993));
    add(load_identity("tap-b"), v4(10, 0, 2, 3, 9993));
    ctl().ctl = std::make_unique<controller>(ctl().id, *ctl().nio, 9);
    // The controller answers requests with OK(NETWORK_CONFIG_REQUEST) chunks, as 1.14 does.
  }
  void add(crypto::identity id, inet_address at) {
    auto n = std::make_unique<net_node>();
    n->id = std::move(id);
    n->at = at;
    n->ep = net->make_endpoint(n->pool);
    io::socket_options o;
    o.bind = at;
    EXPECT_TRUE(n->ep->open(o).ok());
    node_config cfg;
    cfg.random_seed = 77 + nodes.size();
    n->core = std::make_unique<node_core>(n->id, *n, cfg, tp.planet);
    n->nio = std::make_unique<node_core_io>(*n->core);
    nodes.push_back(std::move(n));
  }
  net_node& ctl() { return *nodes[1]; }
  net_node& a() { return *nodes[2]; }
  net_node& b() { return *nodes[3]; }
  std::int64_t now() const { return t0 + net->now() / ns_per_ms; }
  void run(std::int64_t dur_ms, const std::function<bool()>& until = nullptr) {
    const std::int64_t end = net->now() + dur_ms * ns_per_ms;
    std::array<io::rx_datagram, 64> rx;
    while (net->now() < end) {
      net->advance_by(1 * ns_per_ms);
      const std::int64_t t = now();
      for (auto& n : nodes) {
        n->now = t;
        for (;;) {
          std::size_t k = n->ep->poll(rx, 0);
          for (std::size_t i = 0; i < k; ++i) {
            n->core->on_datagram(t, 0, rx[i].from, rx[i].buffer.bytes());
            rx[i].buffer = {};
          }
          if (k < rx.size()) break;
        }
        if ((net->now() / ns_per_ms) % 100 == 0) {
          n->core->on_tick(t);
          if (n->member) n->member->on_tick(t);
        }
        n->ep->flush();
      }
      if (until && until()) return;
    }
  }
  void join(net_node& n, std::uint64_t nwid) {
    n.member = std::make_unique<network_member>(nwid, n.id.address(), *n.nio);
    n.now = now();
    const auto sent_before = n.core->counters().tx_packets + n.core->counters().tx_queued_unknown;
    n.member->join(now());
    // The request leaves in the same call (sent, or queued behind the WHOIS for the controller).
    EXPECT_EQ(n.member->counters().requests_sent, 1u);
    EXPECT_GT(n.core->counters().tx_packets + n.core->counters().tx_queued_unknown, sent_before);
    n.ep->flush();
  }
};

TEST_F(NetworkSim, JoinAuthorizeDenyAndNotFound) {
  run(2000);
  for (auto& n : nodes) ASSERT_TRUE(n->core->online() || n->core->am_root());
  controller_network_settings s;
  s.v4_pool = ipv4_pool{{10, 147, 17, 1}, {10, 147, 17, 254}, 24};
  const std::uint64_t nwid = ctl().ctl->create_network(0xc0ffee, s).value();
  ASSERT_TRUE(ctl().ctl->authorize(now(), nwid, a().id.address(), true).ok());

  // a: authorized. Time from join to an address, in virtual time (links 5 ms +- 1 ms one way;
  // a does not know the controller yet: WHOIS via the root, then relayed, then direct).
  const std::int64_t start = now();
  join(a(), nwid);
  run(1000, [&] { return a().member->status() == network_status::ok; });
  const std::int64_t join_ms = now() - start;
  ASSERT_EQ(a().member->status(), network_status::ok);
  RecordProperty("join_to_address_ms", std::to_string(join_ms));
  std::printf("join -> address in %lld ms of virtual time\n", static_cast<long long>(join_ms));
  EXPECT_LE(join_ms, 100);  // a controller round trip (+ WHOIS) plus well under 100 ms
  ASSERT_EQ(a().member->config()->static_ips.size(), 1u);
  EXPECT_EQ(a().member->config()->static_ips[0],
            ctl().ctl->network(nwid)->members.at(a().id.address()).ip_assignments[0]);

  // b: not authorized -> ACCESS_DENIED; authorize -> pushed -> OK.
  join(b(), nwid);
  run(1000, [&] { return b().member->status() == network_status::access_denied; });
  ASSERT_EQ(b().member->status(), network_status::access_denied);
  ASSERT_TRUE(ctl().ctl->authorize(now(), nwid, b().id.address(), true).ok());
  ctl().ep->flush();
  const std::int64_t auth_at = now();
  run(1000, [&] { return b().member->status() == network_status::ok; });
  EXPECT_EQ(b().member->status(), network_status::ok);
  EXPECT_LE(now() - auth_at, 50);  // pushed, not waiting for b's 5 s re-request
  EXPECT_NE(b().member->config()->static_ips[0], a().member->config()->static_ips[0]);

  // Deauthorize a: it learns at its next refresh (60 s).
  ASSERT_TRUE(ctl().ctl->authorize(now(), nwid, a().id.address(), false).ok());
  run(65000, [&] { return a().member->status() == network_status::access_denied; });
  EXPECT_EQ(a().member->status(), network_status::access_denied);

  // Unknown network of the same controller -> NOT_FOUND.
  b().member = nullptr;
  join(b(), nwid + 1);
  run(1000, [&] { return b().member->status() == network_status::not_found; });
  EXPECT_EQ(b().member->status(), network_status::not_found);
}

#ifdef ZTKIT_HAVE_CAPTURE
}  // namespace
}  // namespace ztkit::ctrl
#include "tools/ztdump/capture.h"
namespace ztkit::ctrl {
namespace {

// Frame 12 of ztlab-join-tap-a.pcap: tap-a's (1.14.1) NETWORK_CONFIG_REQUEST to the controller.
TEST(MemberCapture, RequestMatchesTheCapturedOneKeyByKey) {
  auto cap = capture::read_udp_capture(std::string(ZTKIT_CAPTURES_DIR) + "/ztlab-join-tap-a.pcap");
  ASSERT_TRUE(cap.ok()) << cap.message();
  const capture::udp_datagram* d = nullptr;
  for (const auto& x : cap->datagrams)
    if (x.frame == 12) d = &x;
  ASSERT_NE(d, nullptr);
  auto tap_a = load_identity("tap-a");
  auto ctl = load_identity("ctl");
  std::vector<std::uint8_t> pkt(wire::packet_max_length, 0);
  std::copy(d->payload.begin(), d->payload.end(), pkt.begin());
  std::span<std::uint8_t> clear(pkt.data(), d->payload.size());
  auto k = keys_between(tap_a, public_only(ctl));
  ASSERT_EQ(wire::dearmor(clear, k->keys(), 0), wire::armor_result::ok);
  auto view = wire::packet_view::checked(clear).value();
  ASSERT_EQ(view.verb(), wire::verb::network_config_request);
  std::size_t len = clear.size();
  if (view.compressed()) {
    auto u = wire::uncompress(pkt, clear.size());
    ASSERT_TRUE(u.ok());
    len = u.size;
  }
  auto theirs = wire::config_request::parse(std::span<const std::uint8_t>(pkt).subspan(28, len - 28));
  ASSERT_TRUE(theirs.ok()) << theirs.message();
  fake_io io;
  network_member m(theirs->network_id, tap_a.address(), io);
  auto ours = wire::config_request::parse(m.request_payload()).value();
  EXPECT_EQ(ours.network_id, theirs->network_id);
  EXPECT_EQ(ours.revision, theirs->revision);
  EXPECT_EQ(ours.timestamp, theirs->timestamp);
  ASSERT_EQ(theirs->metadata.entries().size(), 13u);
  ASSERT_EQ(ours.metadata.entries().size(), 13u);
  for (std::size_t i = 0; i < 13; ++i) {
    const auto& t = theirs->metadata.entries()[i];
    const auto& o = ours.metadata.entries()[i];
    EXPECT_EQ(o.key, t.key);  // same keys in the same order
    if (t.key != "o") {
      EXPECT_EQ(o.value, t.value) << t.key;
    }
  }
}
#endif

}  // namespace
}  // namespace ztkit::ctrl
