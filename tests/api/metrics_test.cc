// Node::metrics() and the Prometheus endpoint (NodeOptions::metrics_listen) end to end in one
// process over real UDP on 127.0.0.1: a root + controller Node and two members that ping and
// move TCP data; the counters grow where they should (verbs, direct path, TCP bytes, RTT
// samples, loop time), and /metrics, scraped twice over HTTP, parses as exposition format
// 0.0.4 with counters that never go back. Then what a user gets wrong: a metrics port in use,
// a malformed address, metrics with the endpoint off, metrics after stop().
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/api/prometheus_parse.h"
#include "tests/support/process.h"
#include "ztkit/metrics.h"
#include "ztkit/node.h"
#include "ztkit/tcp.h"

namespace ztkit {
namespace {

using namespace std::chrono_literals;
using test::free_udp_port;
using test::temp_dir;

NodeOptions root_options(const temp_dir& tmp) {
  NodeOptions ro;
  ro.state_dir = (tmp.path / "root").string();
  ro.listen = "127.0.0.1:" + std::to_string(free_udp_port());
  ro.root_endpoint = SocketAddress::parse(ro.listen);
  ro.controller = true;
  ro.allow_loopback = true;
  return ro;
}

struct metrics_world : ::testing::Test {
  temp_dir tmp{"ztkit-metrics"};
  std::unique_ptr<Node> root, a, b;
  std::uint64_t nwid = 0;
  IpAddress ip_b;

  void SetUp() override {
    auto r = Node::start(root_options(tmp));
    ASSERT_TRUE(r) << r.error().message;
    root = std::move(*r);
    ControllerNetwork cn;
    cn.suffix = 0x00c3;
    cn.pool_first = IpAddress::v4(10, 147, 33, 1);
    cn.pool_last = IpAddress::v4(10, 147, 33, 100);
    auto n = root->create_network(cn);
    ASSERT_TRUE(n) << n.error().message;
    nwid = *n;
    for (auto [name, node] : {std::pair{"a", &a}, std::pair{"b", &b}}) {
      NodeOptions mo;
      mo.state_dir = (tmp.path / name).string();
      mo.listen = "127.0.0.1:0";
      mo.planet_file = root->planet_file();
      mo.allow_loopback = true;
      if (node == &a) mo.metrics_listen = "127.0.0.1:0";
      auto m = Node::start(mo);
      ASSERT_TRUE(m) << m.error().message;
      *node = std::move(*m);
      ASSERT_TRUE(root->authorize(nwid, (*node)->address()));
      ASSERT_TRUE((*node)->join(nwid));
    }
    for (auto* node : {a.get(), b.get()}) {
      auto info = node->wait_network_ready(nwid, 20s);
      ASSERT_TRUE(info) << info.error().message;
      if (node == b.get()) ip_b = info->addresses.at(0).ip;
    }
  }

  std::string scrape(std::string* content_type = nullptr) {
    auto at = a->metrics_endpoint();
    if (!at) return {};
    httplib::Client c(at->ip.to_string(), at->port);
    c.set_connection_timeout(5);
    c.set_read_timeout(5);
    auto res = c.Get("/metrics");
    if (!res || res->status != 200) return {};
    if (content_type) *content_type = res->get_header_value("Content-Type");
    return res->body;
  }
};

// Pings until a has a direct path to b (loopback: RENDEZVOUS from the root, then HELLO).
bool wait_direct(Node& a, Node& b, std::uint64_t nwid, const IpAddress& ip_b) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    (void)a.ping(nwid, ip_b, 500ms);
    for (const auto& p : a.peers())
      if (p.address == b.address() && !p.paths.empty()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST_F(metrics_world, CountersGrowWithTrafficAndTheEndpointParses) {
  ASSERT_TRUE(wait_direct(*a, *b, nwid, ip_b));
  auto before_a = a->metrics();
  ASSERT_TRUE(before_a) << before_a.error().message;
  auto before_b = b->metrics();
  ASSERT_TRUE(before_b) << before_b.error().message;
  EXPECT_EQ(before_a->address, a->address());

  const std::string text1 = scrape();
  ASSERT_FALSE(text1.empty());

  // Traffic: 5 pings and 64 KiB over TCP from a to b.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->ping(nwid, ip_b, 2s));
  auto l = TcpListener::listen(*b, nwid, {{}, 8090});
  ASSERT_TRUE(l) << l.error().message;
  auto c = TcpStream::connect(*a, nwid, {ip_b, 8090}, 10s);
  ASSERT_TRUE(c) << c.error().message;
  auto s = l->accept(10s);
  ASSERT_TRUE(s) << s.error().message;
  // Random bytes: FRAMEs are LZ4-compressed, and a constant pattern would shrink to nothing.
  std::vector<std::byte> data(64 * 1024);
  std::uint32_t x = 0x9e3779b9;
  for (auto& d : data) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    d = static_cast<std::byte>(x);
  }
  ASSERT_TRUE(c->write_all(data, 10s));
  std::vector<std::byte> buf(16 * 1024);
  std::size_t got = 0;
  while (got < data.size()) {
    auto n = s->read(buf, 10s);
    ASSERT_TRUE(n) << n.error().message;
    ASSERT_GT(*n, 0u);
    got += *n;
  }
  // The sender counts bytes once they are acknowledged: wait for the ACKs.
  Metrics after_a, after_b;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    auto ma = a->metrics();
    auto mb = b->metrics();
    ASSERT_TRUE(ma && mb);
    after_a = *ma;
    after_b = *mb;
    if (after_a.tcp.bytes_sent >= data.size() || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(20ms);
  }

  // VL1: FRAMEs (or EXT_FRAMEs) went out and came in on the direct path: 64 KiB is at least
  // 23 segments at the network's MTU of 2800, and the pings add 5.
  const auto frames = [](const Metrics& m, bool sent, PathKind k) {
    const auto& t = sent ? m.sent : m.received;
    return t[static_cast<int>(k)][6].packets + t[static_cast<int>(k)][7].packets;
  };
  EXPECT_GT(frames(after_a, true, PathKind::direct), frames(*before_a, true, PathKind::direct) + 25);
  EXPECT_GT(frames(after_b, false, PathKind::direct), frames(*before_b, false, PathKind::direct) + 25);
  EXPECT_GT(after_a.sent_by_path(PathKind::direct).bytes,
            before_a->sent_by_path(PathKind::direct).bytes + data.size());
  EXPECT_GT(after_b.received_by_path(PathKind::direct).bytes,
            before_b->received_by_path(PathKind::direct).bytes + data.size());
  // HELLO went out (to the root at least) and OKs came back; the datagram counters cover them.
  EXPECT_GT(after_a.sent_by_verb("HELLO").packets, 0u);
  EXPECT_GT(after_a.received_by_verb("OK").packets, 0u);
  EXPECT_GE(after_a.datagrams_sent, after_a.sent_by_path(PathKind::direct).packets +
                                        after_a.sent_by_path(PathKind::relayed).packets);
  EXPECT_GT(after_a.datagrams_received, before_a->datagrams_received);

  // Peers and paths: the root and b, b directly.
  EXPECT_GE(after_a.peers, 2u);
  EXPECT_EQ(after_a.roots, 1u);
  EXPECT_GE(after_a.paths_direct, 2u);  // the root's and b's
  EXPECT_GE(after_a.paths_learned, 1u);
  EXPECT_EQ(after_a.networks, 1u);
  EXPECT_TRUE(after_a.online);

  // TCP.
  EXPECT_GE(after_a.tcp.bytes_sent, data.size());
  EXPECT_GE(after_b.tcp.bytes_received, data.size());
  EXPECT_GE(after_a.tcp.connections_opened, before_a->tcp.connections_opened + 1);
  EXPECT_GE(after_b.tcp.connections_opened, before_b->tcp.connections_opened + 1);
  EXPECT_GE(after_a.tcp.connections, 1u);
  EXPECT_GT(after_a.tcp.segments_sent, before_a->tcp.segments_sent);

  // RTT samples (OK(HELLO) from the root and b), consistent histogram.
  const auto& h = after_a.peer_rtt_seconds;
  EXPECT_GT(h.count, 0u);
  ASSERT_EQ(h.buckets.size(), h.upper_bounds.size() + 1);
  std::uint64_t sum = 0;
  for (auto n : h.buckets) sum += n;
  EXPECT_EQ(sum, h.count);

  // The loop: shard 0 worked and waited.
  ASSERT_EQ(after_a.shards.size(), 1u);
  EXPECT_EQ(after_a.shards[0].index, 0u);
  EXPECT_GT(after_a.shards[0].busy_seconds, 0.0);
  EXPECT_GT(after_a.shards[0].idle_seconds, 0.0);
  EXPECT_GT(after_a.shards[0].iterations, before_a->shards[0].iterations);
  // The TCP data went through the data path (not the control side), and HELLO, OK and the
  // network config through the control side.
  EXPECT_GT(after_a.shards[0].data_packets_received, before_a->shards[0].data_packets_received);
  EXPECT_GT(after_a.shards[0].data_packets_sent, before_a->shards[0].data_packets_sent);
  EXPECT_GT(after_a.shards[0].control_handoffs, 0u);

  // No drops of authenticated traffic on a clean loopback.
  EXPECT_EQ(after_a.dropped("node", "bad_mac"), 0u);
  EXPECT_EQ(after_b.dropped("node", "bad_mac"), 0u);

  // The endpoint: parses, counters monotonic between two scrapes, the traffic shows.
  std::string type;
  const std::string text2 = scrape(&type);
  ASSERT_FALSE(text2.empty());
  EXPECT_EQ(type.rfind("text/plain; version=0.0.4", 0), 0u) << type;
  auto e1 = test::parse_exposition(text1);
  auto e2 = test::parse_exposition(text2);
  ASSERT_TRUE(e1.ok()) << test::join_errors(e1);
  ASSERT_TRUE(e2.ok()) << test::join_errors(e2);
  for (const auto& [key, v1] : e1.samples) {
    ASSERT_TRUE(e2.samples.count(key)) << key << " vanished";
    const std::string name = key.substr(0, key.find('{'));
    const std::string fam = e2.family_of(name);
    const std::string& t = e2.types.at(fam);
    if (t == "counter" || (t == "histogram" && name != fam + "_sum")) {
      EXPECT_GE(e2.samples.at(key), v1) << key << " went back";
    }
  }
  EXPECT_EQ(e2.get("ztkit_info", {{"address", a->address()}}), 1);
  const double frames_sent = e2.get("ztkit_sent_packets_total", {{"verb", "FRAME"}, {"path", "direct"}}) +
                             e2.get("ztkit_sent_packets_total", {{"verb", "EXT_FRAME"}, {"path", "direct"}});
  EXPECT_GE(frames_sent, static_cast<double>(frames(after_a, true, PathKind::direct)));
  EXPECT_GE(e2.get("ztkit_tcp_sent_bytes_total"), static_cast<double>(data.size()));
  EXPECT_GT(e2.get("ztkit_peer_rtt_seconds_count"), 0);
  EXPECT_EQ(e2.get("ztkit_paths", {{"path", "relayed"}}), 0);
  EXPECT_FALSE(std::isnan(e2.get("ztkit_drops_total", {{"layer", "node"}, {"reason", "bad_mac"}})));
  EXPECT_FALSE(std::isnan(e2.get("ztkit_drops_total", {{"layer", "network"}, {"reason", "no_certificate"}})));

  // Other paths are not served.
  auto at = a->metrics_endpoint();
  httplib::Client client(at->ip.to_string(), at->port);
  auto res = client.Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);

  // After stop(): metrics() says so, and the endpoint is gone.
  a->stop();
  auto m = a->metrics();
  ASSERT_FALSE(m);
  EXPECT_TRUE(m.error().is(Errc::stopped)) << m.error().message;
  client.set_connection_timeout(1);
  EXPECT_FALSE(client.Get("/metrics"));
}

// A listening TCP socket on 127.0.0.1 (port chosen by the kernel), closed on destruction.
struct tcp_blocker {
  int fd = -1;
  int port = 0;
  tcp_blocker() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 1) != 0) return;
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  ~tcp_blocker() { ::close(fd); }
};

TEST(Metrics, PortInUseFailsStartClearly) {
  temp_dir tmp("ztkit-metrics-bad");
  tcp_blocker busy;
  ASSERT_GT(busy.port, 0);
  NodeOptions o = root_options(tmp);
  o.metrics_listen = "127.0.0.1:" + std::to_string(busy.port);
  auto n = Node::start(o);
  ASSERT_FALSE(n);
  EXPECT_TRUE(n.error().is(Errc::address_in_use)) << n.error().message;
  EXPECT_NE(n.error().message.find(std::to_string(busy.port)), std::string::npos) << n.error().message;
  EXPECT_NE(n.error().message.find("metrics"), std::string::npos) << n.error().message;

  // A second node asking for the port of a first node's endpoint fails the same way.
  o.metrics_listen = "127.0.0.1:0";
  auto first = Node::start(o);
  ASSERT_TRUE(first) << first.error().message;
  NodeOptions o2 = root_options(tmp);
  o2.state_dir = (tmp.path / "second").string();
  o2.metrics_listen = (*first)->metrics_endpoint()->to_string();
  auto second = Node::start(o2);
  ASSERT_FALSE(second);
  EXPECT_TRUE(second.error().is(Errc::address_in_use)) << second.error().message;
}

TEST(Metrics, MalformedAddressIsAnInvalidArgument) {
  temp_dir tmp("ztkit-metrics-bad");
  for (const char* bad : {"9464", "localhost:9464", "127.0.0.1", "127.0.0.1:99999"}) {
    NodeOptions o = root_options(tmp);
    o.metrics_listen = bad;
    auto n = Node::start(o);
    ASSERT_FALSE(n) << bad;
    EXPECT_TRUE(n.error().is(Errc::invalid_argument)) << bad << ": " << n.error().message;
    EXPECT_NE(n.error().message.find("metrics_listen"), std::string::npos) << n.error().message;
  }
}

TEST(Metrics, WithTheEndpointOffMetricsStillWork) {
  temp_dir tmp("ztkit-metrics-off");
  auto n = Node::start(root_options(tmp));
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_FALSE((*n)->metrics_endpoint());
  auto m = (*n)->metrics(2s);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->address, (*n)->address());
  ASSERT_EQ(m->shards.size(), 1u);
  EXPECT_EQ(m->networks, 0u);
  EXPECT_EQ(m->tcp.connections, 0u);
  // The text form of a fresh node is valid too.
  auto e = test::parse_exposition(to_prometheus(*m));
  EXPECT_TRUE(e.ok()) << test::join_errors(e);
  (*n)->stop();
  auto after = (*n)->metrics();
  ASSERT_FALSE(after);
  EXPECT_TRUE(after.error().is(Errc::stopped));
}

}  // namespace
}  // namespace ztkit
