// End to end over real UDP on 127.0.0.1, as separate processes: `zt root` and two `zt node`s.
// Node A sends a USER_MESSAGE to node B and ECHOs until a reply comes over a direct path:
// B must print the message, A must print an echo RTT relayed through the root first, then one
// over the direct path the RENDEZVOUS set up. Every wait is bounded; every child is killed by
// its PID and reaped, and the temporary folder removed, whatever happens.
//
// Timing: the root verifies new identities at most once per 2 s per source /24 (1.14's
// rateGateIdentityVerification), and A and B both come from 127.0.0.1, so A's first HELLO is
// usually dropped and A comes online with its 5 s HELLO retry; the test takes ~8-15 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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
using test::read_all;
using test::temp_dir;
using test::wait_until;

TEST(LoopbackProcess, RootRelaysThenDirect) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built: " << zt;
  temp_dir tmp("ztkit-loopback");
  ASSERT_FALSE(tmp.path.empty());
  children procs;  // declared after tmp: children die before the folder goes
  // Identity generation takes a random number of memory-hard hashes (a second on average in
  // release, several times that under sanitizers on a loaded machine): bounds are generous.
  const auto deadline = clock_type::now() + std::chrono::seconds(90);

  const int root_port = free_udp_port();
  ASSERT_GT(root_port, 0);
  const fs::path root_dir = tmp.path / "root", a_dir = tmp.path / "a", b_dir = tmp.path / "b";
  const fs::path root_log = tmp.path / "root.log", a_log = tmp.path / "a.log",
                 b_log = tmp.path / "b.log";
  // Identity generation is memory-hard (a second or more, longer under sanitizers): make A's
  // and B's identities while the root makes its own. `zt node` loads the identity before it
  // reads the planet, so a run with a missing planet creates the identity and exits 1.
  std::vector<pid_t> preps;
  for (const auto& dir : {a_dir, b_dir}) {
    preps.push_back(procs.spawn({zt, "node", "--state", dir.string(), "--planet",
                                 (tmp.path / "no-planet-yet").string()},
                                tmp.path / (dir.filename().string() + "-prep.log")));
    ASSERT_GT(preps.back(), 0);
  }
  ASSERT_GT(procs.spawn({zt, "root", "--state", root_dir.string(), "--listen",
                         "127.0.0.1:" + std::to_string(root_port), "--allow-loopback"},
                        root_log),
            0);
  const auto t0 = clock_type::now();
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
  };
  for (pid_t pid : preps) EXPECT_EQ(procs.wait_exit(pid, 60000), 1);
  std::fprintf(stderr, "identities made: %lld ms\n", static_cast<long long>(elapsed()));
  ASSERT_TRUE(wait_until(deadline, [&] { return read_all(root_log).find("listening") != std::string::npos; }))
      << "root did not start:\n" << read_all(root_log);
  const fs::path planet = root_dir / "planet";
  ASSERT_TRUE(fs::exists(planet));

  ASSERT_GT(procs.spawn({zt, "node", "--state", b_dir.string(), "--planet", planet.string(),
                         "--listen", "127.0.0.1:0", "--allow-loopback", "--wait-ms", "25000"},
                        b_log),
            0);
  // B's address from its identity.public, once it is online with the root.
  ASSERT_TRUE(wait_until(deadline, [&] { return read_all(b_log).find("\nonline") != std::string::npos; }))
      << "B did not come online:\n" << read_all(b_log) << "\nroot:\n" << read_all(root_log);
  const std::string b_public = read_all(b_dir / "identity.public");
  ASSERT_GE(b_public.size(), 10u);
  const std::string b_addr = b_public.substr(0, 10);
  std::fprintf(stderr, "B online: %lld ms\n", static_cast<long long>(elapsed()));

  const pid_t a = procs.spawn(
      {zt, "node", "--state", a_dir.string(), "--planet", planet.string(), "--listen",
       "127.0.0.1:0", "--allow-loopback", "--send-to", b_addr, "--message", "hello from A",
       "--echo", b_addr, "--until-direct", "--echo-interval-ms", "200", "--wait-ms", "15000"},
      a_log);
  ASSERT_GT(a, 0);
  const int a_rc = procs.wait_exit(a, 18000);
  const std::string a_out = read_all(a_log);
  std::fprintf(stderr, "A done: %lld ms\n", static_cast<long long>(elapsed()));
  const std::string diag = "A:\n" + a_out + "\nB:\n" + read_all(b_log) + "\nroot:\n" + read_all(root_log);
  EXPECT_EQ(a_rc, 0) << diag;

  EXPECT_TRUE(wait_until(deadline, [&] {
    return read_all(b_log).find("user-message from ") != std::string::npos;
  })) << diag;
  const std::string b_out = read_all(b_log);
  EXPECT_NE(b_out.find("type 1: hello from A"), std::string::npos) << diag;

  const auto relayed = a_out.find("echo " + b_addr + " rtt ");
  ASSERT_NE(relayed, std::string::npos) << diag;
  EXPECT_NE(a_out.find("path relayed"), std::string::npos) << diag;
  const auto direct = a_out.find("ms path direct");
  ASSERT_NE(direct, std::string::npos) << diag;
  EXPECT_LT(a_out.find("path relayed"), direct) << diag;
  EXPECT_NE(a_out.find("path-learned " + b_addr + " 127.0.0.1:"), std::string::npos) << diag;

  procs.kill_all();
  EXPECT_NE(read_all(root_log).find("stopped"), std::string::npos) << "root did not stop cleanly";
  // Under sanitizers the children report to their logs (also at exit, for leaks).
  for (const auto& log : {root_log, a_log, b_log}) {
    const std::string out = read_all(log);
    EXPECT_EQ(out.find("Sanitizer"), std::string::npos) << log << ":\n" << out;
    EXPECT_EQ(out.find("runtime error"), std::string::npos) << log << ":\n" << out;
  }
}

TEST(LoopbackProcess, ClearErrors) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built: " << zt;
  temp_dir tmp("ztkit-loopback");
  ASSERT_FALSE(tmp.path.empty());
  children procs;
  const fs::path log = tmp.path / "out.log";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), zt);
    pid_t pid = procs.spawn(args, log);
    EXPECT_GT(pid, 0);
    return procs.wait_exit(pid, 60000);  // the first run makes an identity (random length)
  };
  // Bad listen address (CLI11 check).
  EXPECT_NE(run({"node", "--state", (tmp.path / "n").string(), "--planet", "x", "--listen", "nope"}), 0);
  EXPECT_NE(read_all(log).find("ADDR:PORT"), std::string::npos) << read_all(log);
  // Unreadable planet.
  EXPECT_EQ(run({"node", "--state", (tmp.path / "n").string(), "--planet",
                 (tmp.path / "missing").string()}),
            1);
  EXPECT_NE(read_all(log).find("missing"), std::string::npos) << read_all(log);
  // Corrupt identity: the state folder refuses it.
  fs::create_directories(tmp.path / "bad");
  std::ofstream(tmp.path / "bad" / "identity.secret") << "not an identity\n";
  std::ofstream(tmp.path / "p") << "junk";
  EXPECT_EQ(run({"node", "--state", (tmp.path / "bad").string(), "--planet", (tmp.path / "p").string()}), 1);
  EXPECT_NE(read_all(log).find("identity.secret"), std::string::npos) << read_all(log);
  // A planet file that is not a planet.
  EXPECT_EQ(run({"node", "--state", (tmp.path / "n").string(), "--planet", (tmp.path / "p").string()}), 1);
  EXPECT_NE(read_all(log).find("not a world"), std::string::npos) << read_all(log);
}

}  // namespace
}  // namespace ztkit
