// The peers.d cache in the node (issue 6; zerotier-protocol.md §7; 1.14
// Peer::deserializeFromCache): a node given a cached peer talks to it without WHOIS and tries
// its remembered paths; then node_runner's load at start / save when learned, and its moons.d
// handling (orbit / deorbit), on 127.0.0.1 with a state folder in a temporary directory.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "ctrl/node/node_core.h"
#include "ctrl/runtime/node_runner.h"
#include "ctrl/state/state_dir.h"
#include "tests/ctrl/node_test_util.h"

namespace ztkit::ctrl {
namespace {

using namespace ztkit::ctrl::testing;
using wire::cipher_suite;
using wire::inet_address;
using wire::verb;
namespace fs = std::filesystem;

class PeerCache : public ::testing::Test {
 protected:
  crypto::identity a = load_identity("tap-a");
  crypto::identity root = load_identity("root");
  crypto::identity b = load_identity("tap-b");
  crypto::identity c = load_identity("ctl");
  inet_address root_ep = v4(10, 0, 0, 1, 9993);
  inet_address a_ep = v4(10, 0, 0, 2, 9993);
  inet_address b_ep = v4(10, 0, 7, 3, 9993);
  test_planet tp{{wire::world_root{public_only(root), {v4(10, 0, 0, 1, 9993)}}}};
  recording_sink sink;
  std::unique_ptr<node_core> node;
  std::int64_t now = 1'000'000;
  std::uint64_t next_id = 0x3000000000000000ULL;

  void SetUp() override {
    node_config cfg;
    cfg.random_seed = 11;
    node = std::make_unique<node_core>(a, sink, cfg, tp.planet);
  }
  std::uint64_t id() { return next_id += 0x0100000000000001ULL; }
  void feed(const inet_address& from, std::span<const std::uint8_t> bytes) {
    node->on_datagram(now, 0, from, bytes);
  }
  std::vector<opened> sent_to(const inet_address& to, const crypto::identity& as) {
    std::vector<opened> out;
    for (auto& d : sink.sent)
      if (d.to == to && d.bytes.size() >= 28) {
        auto o = open_packet(as, a, d.bytes);
        if (o.ok) out.push_back(std::move(o));
      }
    return out;
  }
  void join_root() {
    node->on_tick(now);
    auto hellos = sent_to(root_ep, root);
    ASSERT_EQ(hellos.size(), 1u);
    auto h = wire::parse_payload<wire::hello_payload>(hellos[0].payload());
    ASSERT_TRUE(h.ok());
    sink.take();
    now += 20;
    wire::ok_hello ok{.timestamp = h->value.timestamp, .protocol_version = 12, .major = 1,
                      .minor = 14, .revision = 1, .external_address = a_ep,
                      .world_updates = wire::bytes_ref{}};
    feed(root_ep, make_ok(root, a, verb::hello, hellos[0].wire_id, ok,
                          cipher_suite::poly1305_salsa2012, id()));
  }
};

TEST_F(PeerCache, CachedPeerNeedsNoWhoisAndItsPathsAreTried) {
  join_root();
  sink.take();
  cached_peer cb{.identity = public_only(b), .protocol_version = 12, .major = 1, .minor = 14,
                 .revision = 1, .paths = {b_ep, v4(127, 0, 0, 1, 9993)}};
  EXPECT_EQ(node->add_cached_peers(now, std::span<const cached_peer>(&cb, 1)), 1u);
  const peer* pb = node->topo().get(b.address());
  ASSERT_NE(pb, nullptr);
  EXPECT_EQ(pb->protocol_version, 12);
  EXPECT_TRUE(pb->paths().empty());  // hints, not paths
  // A full HELLO to the remembered path (the loopback one is not allowed by the path rules).
  auto hellos = sent_to(b_ep, b);
  ASSERT_EQ(hellos.size(), 1u);
  EXPECT_EQ(hellos[0].header.verb, static_cast<std::uint8_t>(verb::hello));
  EXPECT_EQ(sink.sent.size(), 1u);
  // A message to it leaves at once (relayed by the root: no path yet), without WHOIS, with the
  // cipher its cached version allows (AES-GMAC-SIV for protocol 12).
  sink.take();
  EXPECT_TRUE(node->send_user_message(now, b.address(), 0x42, {}));
  EXPECT_EQ(node->counters().whois_sent, 0u);
  EXPECT_EQ(node->pending_whois(), 0u);
  auto relayed = sent_to(root_ep, b);
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].header.verb, static_cast<std::uint8_t>(verb::user_message));
  EXPECT_EQ(relayed[0].header.cipher, static_cast<std::uint8_t>(cipher_suite::aes_gmac_siv));
  // Its OK(HELLO) from the remembered address makes it a path; messages then go direct.
  wire::ok_hello ok{.timestamp = static_cast<std::uint64_t>(now), .protocol_version = 12,
                    .major = 1, .minor = 14, .revision = 1, .external_address = a_ep,
                    .world_updates = wire::bytes_ref{}};
  now += 10;
  feed(b_ep, make_ok(b, a, verb::hello, hellos[0].wire_id, ok, cipher_suite::aes_gmac_siv, id()));
  ASSERT_NE(pb->best_path(now), nullptr);
  EXPECT_EQ(pb->best_path(now)->remote, b_ep);
  sink.take();
  EXPECT_TRUE(node->send_user_message(now, b.address(), 0x43, {}));
  EXPECT_EQ(sent_to(b_ep, b).size(), 1u);
  EXPECT_EQ(node->counters().whois_sent, 0u);
}

TEST_F(PeerCache, KnownOwnReservedAndCollidingEntriesAreSkipped) {
  auto fake = crypto::identity::from_string(b.address().to_string() +
                                            c.to_string(false).substr(10));
  ASSERT_TRUE(fake.ok());
  std::vector<cached_peer> list{
      {.identity = public_only(b)},
      {.identity = *fake},           // b's address with another key: the first one stays
      {.identity = public_only(a)},  // ourselves
      {.identity = public_only(root), .paths = {v4(10, 9, 9, 9, 9993)}},  // an upstream
  };
  EXPECT_EQ(node->add_cached_peers(now, list), 1u);
  EXPECT_TRUE(node->topo().get(b.address())->identity() == public_only(b));
  EXPECT_TRUE(sink.sent.empty());  // no paths to try (the root's endpoint is the planet's)
}

// ---- node_runner: peers.d and moons.d ----------------------------------------------------------

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "ztkit-peercache-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

template <typename F>
bool wait_for(F&& f, int ms = 5000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

// Runs `fn` on the runner thread and waits for it.
template <typename F>
void on_runner(node_runner& r, F&& fn) {
  std::atomic<bool> done{false};
  r.post([&](node_core& core, std::int64_t now) {
    fn(core, now);
    done.store(true);
  });
  ASSERT_TRUE(wait_for([&] { return done.load(); }));
}

TEST(PeerCacheRunner, LoadsAtStartSavesWhenLearnedAndKeepsMoonsD) {
  temp_dir tmp;
  auto sd_or = state_dir::open(tmp.path / "a");
  ASSERT_TRUE(sd_or.ok()) << sd_or.message();
  state_dir sd = std::move(sd_or).value();
  const crypto::identity a = load_identity("tap-a"), b = load_identity("tap-b"),
                         root = load_identity("root"), c = load_identity("ctl");
  // A planet whose root never answers (a closed port): nothing can be learned by WHOIS.
  test_planet tp({wire::world_root{public_only(root), {v4(127, 0, 0, 1, 9)}}});

  std::mutex mu;
  std::vector<std::uint64_t> b_got;
  node_runner_config bc;
  bc.socket.bind = v4(127, 0, 0, 1, 0);
  bc.node.paths.allow_loopback = true;
  bc.planet = tp.planet;
  bc.tick_interval_ms = 20;
  bc.on_event = [&](const runner_event& e) {
    if (e.what == runner_event::kind::user_message) {
      std::lock_guard l(mu);
      b_got.push_back(e.type);
    }
  };
  auto rb = node_runner::start(b, bc);
  ASSERT_TRUE(rb.ok()) << rb.message();

  // a's peers.d already knows b at its address; one corrupt entry; moons.d holds a moon.
  peer_cache_entry eb;
  eb.identity = public_only(b);
  eb.proto = 12;
  eb.major = 1;
  eb.minor = 14;
  eb.revision = 1;
  eb.paths = {(*rb)->local_address()};
  ASSERT_TRUE(sd.save_peer(eb).ok());
  {
    std::ofstream bad(sd.peer_path(c.address()), std::ios::binary);
    bad << "not a peer";
  }
  auto key = crypto::c25519_generate();
  auto moon = wire::world::make(wire::world::type::moon, 0xabcdef01ULL, 1000, key.pub,
                                {wire::world_root{public_only(c), {v4(127, 0, 0, 1, 7)}}}, key);
  ASSERT_TRUE(sd.save_moon(moon).ok());

  node_runner_config ac;
  ac.socket.bind = v4(127, 0, 0, 1, 0);
  ac.node.paths.allow_loopback = true;
  ac.planet = tp.planet;
  ac.tick_interval_ms = 20;
  ac.state = &sd;
  ac.peer_save_interval_ms = 100;  // short here; 60 s by default
  const fs::path b_file = sd.peer_path(b.address());
  const auto b_written = fs::last_write_time(b_file);
  auto ra = node_runner::start(a, ac);
  ASSERT_TRUE(ra.ok()) << ra.message();

  // The moon from moons.d is orbited: its root is an upstream.
  bool moon_held = false, c_upstream = false;
  on_runner(**ra, [&](node_core& core, std::int64_t) {
    moon_held = core.topo().moon(moon.id) != nullptr;
    c_upstream = core.topo().is_upstream(c.address());
  });
  EXPECT_TRUE(moon_held);
  EXPECT_TRUE(c_upstream);

  // b is reached from the cache: the path answers, the message arrives, no WHOIS at all.
  bool direct = wait_for([&] {
    bool d = false;
    on_runner(**ra, [&](node_core& core, std::int64_t now) {
      const peer* p = core.topo().get(b.address());
      d = p != nullptr && p->best_path(now) != nullptr;
    });
    return d;
  });
  EXPECT_TRUE(direct);
  (*ra)->send_user_message(b.address(), 0x99, {});
  EXPECT_TRUE(wait_for([&] {
    std::lock_guard l(mu);
    return !b_got.empty();
  }));
  std::uint64_t whois = 1;
  on_runner(**ra, [&](node_core& core, std::int64_t) { whois = core.counters().whois_sent; });
  EXPECT_EQ(whois, 0u);

  // b is saved again (its path learned) from the runner thread; read the file directly.
  auto read_entry = [&]() -> std::optional<peer_cache_entry> {
    std::ifstream in(b_file, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    auto e = peer_cache_entry::parse(bytes);
    if (!e.ok()) return std::nullopt;
    return *e;
  };
  EXPECT_TRUE(wait_for([&] {
    std::error_code ec;
    auto e = read_entry();
    return fs::last_write_time(b_file, ec) != b_written && e && !e->paths.empty();
  }));
  // Deorbit removes the moons.d file; an orbit with a stored copy adopts it again.
  (*ra)->deorbit(moon.id);
  on_runner(**ra, [&](node_core& core, std::int64_t) {
    moon_held = core.topo().moon(moon.id) != nullptr;
  });
  EXPECT_FALSE(moon_held);
  (*ra)->stop();
  EXPECT_FALSE(fs::exists(sd.moon_path(moon.id)));
  (*rb)->stop();
  EXPECT_GE(sd.corrupt_files(), 1u);  // the corrupt entry was reported (and skipped) at start

  auto saved = sd.load_peer(b.address());
  ASSERT_TRUE(saved.ok()) << saved.message();
  EXPECT_TRUE(saved->identity == public_only(b));
  EXPECT_EQ(saved->proto, 12);
  ASSERT_FALSE(saved->paths.empty());
  EXPECT_EQ(saved->paths[0], (*rb)->local_address());
}

TEST(PeerCacheRunner, OrbitAdoptsTheStoredCopyAndMoonUpdatesAreSaved) {
  temp_dir tmp;
  auto sd = std::move(state_dir::open(tmp.path / "a")).value();
  const crypto::identity a = load_identity("tap-a"), root = load_identity("root"),
                         c = load_identity("ctl");
  test_planet tp({wire::world_root{public_only(root), {v4(127, 0, 0, 1, 9)}}});
  auto key = crypto::c25519_generate();
  auto moon = wire::world::make(wire::world::type::moon, 0x1234567ULL, 1000, key.pub,
                                {wire::world_root{public_only(c), {v4(127, 0, 0, 1, 7)}}}, key);
  node_runner_config ac;
  ac.socket.bind = v4(127, 0, 0, 1, 0);
  ac.planet = tp.planet;
  ac.tick_interval_ms = 20;
  ac.state = &sd;
  auto ra = node_runner::start(a, ac);
  ASSERT_TRUE(ra.ok()) << ra.message();
  // Not stored: a seed request (pending).
  (*ra)->orbit(moon.id, c.address());
  std::size_t wanted = 0;
  on_runner(**ra, [&](node_core& core, std::int64_t) { wanted = core.topo().moons_wanted().size(); });
  EXPECT_EQ(wanted, 1u);
  // A moon adopted at run time (here: handed to the core) is written to moons.d.
  on_runner(**ra, [&](node_core& core, std::int64_t now) { EXPECT_TRUE(core.orbit(now, moon)); });
  (*ra)->stop();
  auto stored = sd.load_moon(moon.id);
  ASSERT_TRUE(stored.ok()) << stored.message();
  EXPECT_EQ(*stored, moon);
  // Restarted: the stored copy is orbited from the start, and an orbit command adopts it
  // directly even after a deorbit in memory.
  auto ra2 = node_runner::start(a, ac);
  ASSERT_TRUE(ra2.ok());
  bool held = false;
  on_runner(**ra2, [&](node_core& core, std::int64_t) {
    held = core.topo().moon(moon.id) != nullptr;
    core.deorbit(moon.id);
  });
  EXPECT_TRUE(held);
  (*ra2)->orbit(moon.id, c.address());
  on_runner(**ra2, [&](node_core& core, std::int64_t) {
    held = core.topo().moon(moon.id) != nullptr;
    wanted = core.topo().moons_wanted().size();
  });
  EXPECT_TRUE(held);
  EXPECT_EQ(wanted, 0u);
  (*ra2)->stop();
}

}  // namespace
}  // namespace ztkit::ctrl
