// Ethernet over ZeroTier end to end, as separate processes on 127.0.0.1: `zt root` is also the
// controller of a PRIVATE network with two members authorized; member B joins and stays; member
// A joins and pings B's managed IPv4 address through ztkit's own IP stack. That exercises the
// whole VL2 path of zerotier-protocol.md §6: MULTICAST_LIKE at config time, A's ARP request as
// MULTICAST_FRAME to (broadcast, ADI = B's IP) after a MULTICAST_GATHER answered by the root,
// the COM pushed before the first frame and checked by the receiver's gate, B's ARP reply and
// the ICMP echo as FRAMEs. The time from A's join to its first reply is printed and recorded
// (issue 7's goal: a first connection within 1 s of join). Every wait is bounded; children are
// killed by PID and reaped.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/process.h"

#ifndef ZTKIT_ZT_BINARY
#define ZTKIT_ZT_BINARY ""
#endif

namespace ztkit {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using test::children;
using test::free_udp_port;
using test::line_after;
using test::read_all;
using test::temp_dir;
using test::wait_until;


TEST(LoopbackPing, MembersOfAPrivateNetworkPingEachOther) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built: " << zt;
  temp_dir tmp("ztkit-ping");
  ASSERT_FALSE(tmp.path.empty());
  children procs;
  const auto deadline = clock_type::now() + std::chrono::seconds(120);
  const int root_port = free_udp_port();
  ASSERT_GT(root_port, 0);
  const fs::path root_dir = tmp.path / "root", a_dir = tmp.path / "a", b_dir = tmp.path / "b";
  const fs::path root_log = tmp.path / "root.log", a_log = tmp.path / "a.log",
                 b_log = tmp.path / "b.log";

  // Identities first (memory-hard; slow under sanitizers): `zt node` makes one, then fails on
  // the missing planet.
  std::string addr[2];
  const fs::path dirs[2] = {a_dir, b_dir};
  for (int i = 0; i < 2; ++i) {
    const pid_t prep = procs.spawn({zt, "node", "--state", dirs[i].string(), "--planet",
                                    (tmp.path / "no-planet-yet").string()},
                                   tmp.path / "prep.log");
    ASSERT_GT(prep, 0);
    ASSERT_EQ(procs.wait_exit(prep, 60000), 1) << read_all(tmp.path / "prep.log");
    addr[i] = read_all(dirs[i] / "identity.public").substr(0, 10);
    ASSERT_EQ(addr[i].size(), 10u);
  }

  ASSERT_GT(procs.spawn({zt, "root", "--state", root_dir.string(), "--listen",
                         "127.0.0.1:" + std::to_string(root_port), "--allow-loopback",
                         "--controller-network", "0000a1", "--pool", "10.147.20.1-10.147.20.254",
                         "--authorize", addr[0], "--authorize", addr[1]},
                        root_log),
            0);
  ASSERT_TRUE(wait_until(deadline, [&] { return read_all(root_log).find("listening") != std::string::npos; }))
      << read_all(root_log);
  const std::string nwid = line_after(read_all(root_log), "controller network ");
  ASSERT_EQ(nwid.size(), 16u) << read_all(root_log);
  const std::string planet = (root_dir / "planet").string();

  ASSERT_GT(procs.spawn({zt, "node", "--state", b_dir.string(), "--planet", planet, "--listen",
                         "127.0.0.1:0", "--allow-loopback", "--join", nwid, "--wait-ms", "100000"},
                        b_log),
            0);
  const std::string prefix = "network " + nwid + " address ";
  ASSERT_TRUE(wait_until(deadline, [&] { return read_all(b_log).find(prefix) != std::string::npos; }))
      << read_all(b_log) << "\nroot:\n" << read_all(root_log);
  std::string b_ip = line_after(read_all(b_log), prefix);
  b_ip = b_ip.substr(0, b_ip.find('/'));
  ASSERT_EQ(b_ip.rfind("10.147.20.", 0), 0u) << b_ip;

  const pid_t a = procs.spawn({zt, "node", "--state", a_dir.string(), "--planet", planet,
                               "--listen", "127.0.0.1:0", "--allow-loopback", "--join", nwid,
                               "--ping", b_ip, "--ping-count", "3", "--echo-interval-ms", "200",
                               "--wait-ms", "30000"},
                              a_log);
  ASSERT_GT(a, 0);
  const int rc = procs.wait_exit(a, 40000);
  const std::string out = read_all(a_log);
  const std::string diag =
      "a:\n" + out + "\nb:\n" + read_all(b_log) + "\nroot:\n" + read_all(root_log);
  ASSERT_EQ(rc, 0) << diag;
  EXPECT_NE(out.find("ping reply from " + b_ip + " seq 1 "), std::string::npos) << diag;
  EXPECT_NE(out.find("ping reply from " + b_ip + " seq 3 "), std::string::npos) << diag;
  const std::string joined = line_after(out, "network " + nwid + " joined in ");
  const std::string first = line_after(out, "ping reply from " + b_ip + " seq 1 time ");
  std::printf("join -> OK with address: %s; first ping (ARP via GATHER, WHOIS, COM): %s\n",
              joined.c_str(), first.c_str());
  ::testing::Test::RecordProperty("join_ms", joined);
  ::testing::Test::RecordProperty("first_ping_rtt", first);
  // Without the 1 s ARP retry or a 5 s HELLO/config retry the first reply comes in well under
  // a second on loopback (a lost first ARP would show as about 1000 ms).
  EXPECT_LT(std::stoi(first), 900) << diag;

  procs.kill_all();
  for (const auto& log : {root_log, a_log, b_log}) {
    const std::string o = read_all(log);
    EXPECT_EQ(o.find("Sanitizer"), std::string::npos) << log << ":\n" << o;
    EXPECT_EQ(o.find("runtime error"), std::string::npos) << log << ":\n" << o;
  }
}

}  // namespace
}  // namespace ztkit
