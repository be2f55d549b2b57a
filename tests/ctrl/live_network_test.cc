// Live interop of networks with the real ZeroTierOne 1.14 (issue 7): skipped unless
// ZTKIT_ZEROTIER_ONE names a zerotier-one binary (1.14.x, built by hand outside the repo), and
// skipped without root, `ip netns`, /dev/net/tun, or when the interop lab is already running.
//
// It brings up the project's interop lab (shared/interop: its run-only scripts, with a
// temporary $LAB holding links to the binary and the captured identities and planet): a
// zerotier-one root and controller in namespace ztlab and the member tap-a (a zerotier-one with
// a kernel tap) in ztlab-a. Then:
//   1. a ztkit member (`zt node`) joins zerotier-one's controller network 47017ef593c0ffee,
//      gets the address the controller assigns, and pings tap-a's kernel through its own stack
//      with 2400-byte payloads, so each ZeroTier packet is fragmented both ways: ours split
//      evenly (node_config::balanced_fragments), zerotier-one's as 1.14 splits;
//   2. zerotier-one's member tap-a joins a network of ztkit's embedded controller (`zt node
//      --controller-network`) and gets an address from its pool (zerotier-cli listnetworks OK).
// Everything is torn down by the lab's stop script (by PID) and the namespaces deleted.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/process.h"

#ifndef ZTKIT_ZT_BINARY
#define ZTKIT_ZT_BINARY ""
#endif
#ifndef ZTKIT_CAPTURES_DIR
#define ZTKIT_CAPTURES_DIR ""
#endif

namespace ztkit {
namespace {

namespace fs = std::filesystem;
using test::children;
using test::line_after;
using test::read_all;
using test::temp_dir;

// Runs `cmd` through bash (bounded by the `timeout` it carries), output appended to `log`.
int sh(const std::string& cmd, const fs::path& log) {
  const std::string full = "bash -c '" + cmd + "' >>" + log.string() + " 2>&1";
  const int st = std::system(full.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}


struct lab {
  fs::path dir, interop, log;
  bool up = false;
  ~lab() {
    if (up) sh("LAB=" + dir.string() + " timeout 60 bash " + (interop / "lab-stop.sh").string() + " --netns", log);
  }
};

TEST(LiveNetworks, JoinEachOthersControllersAndPing) {
  const char* zo = std::getenv("ZTKIT_ZEROTIER_ONE");
  if (zo == nullptr || !fs::exists(zo)) GTEST_SKIP() << "ZTKIT_ZEROTIER_ONE not set";
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built";
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, tun)";
  if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
  if (fs::exists("/run/netns/ztlab")) GTEST_SKIP() << "the interop lab is already running";
  const fs::path captures = ZTKIT_CAPTURES_DIR;
  const fs::path interop = captures.parent_path() / "interop";
  if (!fs::exists(interop / "lab-start.sh")) GTEST_SKIP() << "no interop lab at " << interop;

  temp_dir tmp("ztkit-livenet");
  lab l;
  l.dir = tmp.path / "lab";
  l.interop = interop;
  l.log = tmp.path / "lab.log";
  fs::create_directories(l.dir / "bin");
  fs::create_symlink(fs::absolute(zo), l.dir / "bin" / "zerotier-one");
  fs::create_symlink("zerotier-one", l.dir / "bin" / "zerotier-cli");
  fs::create_symlink("zerotier-one", l.dir / "bin" / "zerotier-idtool");
  for (const char* n : {"root", "ctl", "tap-a"}) {
    fs::create_directories(l.dir / "state" / n);
    fs::copy_file(captures / (std::string(n) + ".identity.secret"),
                  l.dir / "state" / n / "identity.secret");
    ::chmod((l.dir / "state" / n / "identity.secret").c_str(), 0600);
    ASSERT_EQ(sh((l.dir / "bin" / "zerotier-idtool").string() + " getpublic " +
                     (l.dir / "state" / n / "identity.secret").string() + " > " +
                     (l.dir / "state" / n / "identity.public").string(),
                 l.log),
              0);
  }
  fs::copy_file(captures / "planet", l.dir / "state" / "planet");
  const std::string env = "LAB=" + l.dir.string() + " ";
  const std::string planet = (l.dir / "state" / "planet").string();
  l.up = true;
  ASSERT_EQ(sh(env + "timeout 120 bash " + (interop / "lab-start.sh").string(), l.log), 0) << read_all(l.log);
  ASSERT_EQ(sh(env + "timeout 90 bash " + (interop / "lab-member.sh").string() + " tap-a", l.log), 0)
      << read_all(l.log);

  children procs;
  // 1. Our member on zerotier-one's controller: authorized with a fixed address.
  const fs::path us = tmp.path / "us";
  const pid_t prep = procs.spawn({zt, "node", "--state", us.string(), "--planet", "/nonexistent"},
                                 tmp.path / "prep.log");
  ASSERT_EQ(procs.wait_exit(prep, 60000), 1);
  const std::string us_addr = read_all(us / "identity.public").substr(0, 10);
  ASSERT_EQ(sh(env + "timeout 30 bash " + (interop / "lab-authorize.sh").string() + " " + us_addr +
                   " 10.147.17.40",
               l.log),
            0)
      << read_all(l.log);
  const fs::path us_log = tmp.path / "us.log";
  const pid_t member = procs.spawn({"/usr/bin/env", "ip", "netns", "exec", "ztlab", zt, "node", "--state",
                                    us.string(), "--planet", planet, "--listen",
                                    "172.30.99.1:29996", "--join", "47017ef593c0ffee", "--ping",
                                    "10.147.17.11", "--ping-count", "3", "--ping-size", "2400",
                                    "--echo-interval-ms",
                                    "300", "--wait-ms", "40000"},
                                   us_log);
  ASSERT_GT(member, 0);
  const int rc = procs.wait_exit(member, 50000);
  const std::string out = read_all(us_log);
  EXPECT_EQ(rc, 0) << out << "\nlab:\n" << read_all(l.log);
  EXPECT_NE(out.find("network 47017ef593c0ffee address 10.147.17.40/24"), std::string::npos) << out;
  EXPECT_NE(out.find("ping reply from 10.147.17.11 seq"), std::string::npos) << out;
  std::printf("ztkit on zerotier-one's controller: %s\n",
              line_after(out, "network 47017ef593c0ffee joined in ").c_str());

  // 2. zerotier-one's member on our controller (public network, pool 10.200.0.10-50).
  const fs::path ctl = tmp.path / "ctl";
  const fs::path ctl_log = tmp.path / "ctl.log";
  ASSERT_GT(procs.spawn({"/usr/bin/env", "ip", "netns", "exec", "ztlab", zt, "node", "--state", ctl.string(),
                         "--planet", planet, "--listen", "172.30.99.1:29997",
                         "--controller-network", "00beef", "--pool", "10.200.0.10-10.200.0.50",
                         "--authorize", "b0860caa65", "--wait-ms", "60000"},
                        ctl_log),
            0);
  std::string nwid;
  for (int i = 0; i < 200 && nwid.size() != 16; ++i) {
    nwid = line_after(read_all(ctl_log), "controller network ");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(nwid.size(), 16u) << read_all(ctl_log);
  const std::string cli = "ip netns exec ztlab-a " + (l.dir / "bin" / "zerotier-cli").string() +
                          " -D" + (l.dir / "state" / "tap-a").string() + " -p29992 ";
  ASSERT_EQ(sh("timeout 10 " + cli + "join " + nwid, l.log), 0) << read_all(l.log);
  const auto t0 = std::chrono::steady_clock::now();
  bool ok = false;
  const fs::path ln = tmp.path / "listnetworks.txt";
  for (int i = 0; i < 120 && !ok; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    fs::remove(ln);
    sh("timeout 10 " + cli + "listnetworks", ln);
    const std::string s = read_all(ln);
    ok = s.find(nwid) != std::string::npos && s.find(" OK ") != std::string::npos &&
         s.find("10.200.0.") != std::string::npos;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - t0)
                        .count();
  EXPECT_TRUE(ok) << read_all(ln) << "\ncontroller:\n" << read_all(ctl_log);
  std::printf("zerotier-one on ztkit's controller: OK with an address after %lld ms\n",
              static_cast<long long>(took));
  procs.kill_all();
}

}  // namespace
}  // namespace ztkit
