// The everyday `zt` commands as processes against a `zt root` that is also the controller of
// a public network on 127.0.0.1: join / networks / info / leave, listen + call (TCP echo),
// udp-listen + udp-send, ping; and clear errors for bad arguments. Every wait is bounded;
// children are killed by PID.
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/process.h"

#ifndef ZTKIT_ZT_BINARY
#define ZTKIT_ZT_BINARY ""
#endif

namespace ztkit {
namespace {

namespace fs = std::filesystem;
using test::children;
using test::line_after;
using test::read_all;
using test::temp_dir;
using test::wait_until;


TEST(ZtCli, EverydayCommands) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built";
  temp_dir tmp("ztkit-cli");
  children procs;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  const int port = test::free_udp_port();
  const fs::path rlog = tmp.path / "root.log";
  ASSERT_GT(procs.spawn({zt, "root", "--state", (tmp.path / "r").string(), "--listen",
                         "127.0.0.1:" + std::to_string(port), "--allow-loopback",
                         "--controller-network", "00c11", "--pool", "10.147.61.1-10.147.61.100",
                         "--public"},
                        rlog),
            0);
  ASSERT_TRUE(wait_until(deadline, [&] { return read_all(rlog).find("listening") != std::string::npos; }));
  const std::string nwid = line_after(read_all(rlog), "controller network ");
  ASSERT_EQ(nwid.size(), 16u);
  const std::string planet = (tmp.path / "r" / "planet").string();
  const auto common = [&](const std::string& who) {
    return std::vector<std::string>{"--state", (tmp.path / who).string(), "--planet", planet,
                                    "--allow-loopback"};
  };
  // Runs `zt args...` to completion (bounded); its output and exit status.
  int n = 0;
  const auto run = [&](std::vector<std::string> args, std::string* out, int ms = 30000) {
    args.insert(args.begin(), zt);
    const fs::path log = tmp.path / ("run" + std::to_string(n++) + ".log");
    const pid_t pid = procs.spawn(args, log);
    const int rc = procs.wait_exit(pid, ms);
    if (out) *out = read_all(log);
    return rc;
  };
  const auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };

  std::string out;
  ASSERT_EQ(run(with({"join", nwid}, common("a")), &out), 0) << out;
  EXPECT_NE(out.find("200 join OK " + nwid + " 10.147.61."), std::string::npos) << out;
  ASSERT_EQ(run(with({"networks"}, common("a")), &out), 0) << out;
  EXPECT_NE(out.find("200 listnetworks " + nwid), std::string::npos) << out;
  EXPECT_NE(out.find(" OK PUBLIC 10.147.61."), std::string::npos) << out;
  ASSERT_EQ(run(with({"info"}, common("a")), &out), 0) << out;
  EXPECT_NE(out.find("200 info "), std::string::npos) << out;
  EXPECT_NE(out.find("ONLINE"), std::string::npos) << out;

  ASSERT_EQ(run(with({"peers"}, common("a")), &out), 0) << out;
  EXPECT_NE(out.find("200 listpeers <ztaddr> <path> <latency> <version> <role>"), std::string::npos) << out;
  EXPECT_NE(out.find(" PLANET"), std::string::npos) << out;  // the root
  EXPECT_NE(out.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << out;

  // b listens (TCP echo, one connection); a calls it with a line on stdin.
  const fs::path blog = tmp.path / "b.log";
  ASSERT_GT(procs.spawn(with({zt, "listen", "7000", "-n", nwid, "--echo", "--once"}, common("b")), blog), 0);
  ASSERT_TRUE(wait_until(deadline, [&] { return read_all(blog).find("listening on") != std::string::npos; }))
      << read_all(blog);
  std::string b_ip = line_after(read_all(blog), "listening on ");
  b_ip = b_ip.substr(0, b_ip.find('/'));
  std::string cmd = "echo 'hello over zt call' | " + zt + " call " + b_ip + ":7000 -n " + nwid;
  for (const auto& a : common("a")) cmd += " " + a;
  const fs::path clog = tmp.path / "call.log";
  const pid_t call = procs.spawn({"/bin/sh", "-c", cmd}, clog);
  ASSERT_EQ(procs.wait_exit(call, 30000), 0) << read_all(clog) << read_all(blog);
  EXPECT_NE(read_all(clog).find("hello over zt call"), std::string::npos) << read_all(clog);

  // UDP: b listens for one datagram (and stays up meanwhile, so a can also ping it).
  const fs::path ulog = tmp.path / "udp.log";
  ASSERT_GT(procs.spawn(with({zt, "udp-listen", "7001", "-n", nwid, "--count", "1"}, common("b")), ulog), 0);
  ASSERT_TRUE(wait_until(deadline, [&] { return read_all(ulog).find("listening on") != std::string::npos; }))
      << read_all(ulog);
  b_ip = line_after(read_all(ulog), "listening on ");
  b_ip = b_ip.substr(0, b_ip.find('/'));
  ASSERT_EQ(run(with({"ping", b_ip, "-c", "2", "-n", nwid}, common("a")), &out), 0) << out;
  EXPECT_NE(out.find("2 sent, 2 received"), std::string::npos) << out;
  ASSERT_EQ(run(with({"udp-send", b_ip + ":7001", "udp says hi", "-n", nwid}, common("a")), &out), 0) << out;
  EXPECT_TRUE(wait_until(deadline, [&] { return read_all(ulog).find("udp says hi") != std::string::npos; }))
      << read_all(ulog);

  // leave: the network is forgotten.
  ASSERT_EQ(run(with({"leave", nwid}, common("a")), &out), 0) << out;
  ASSERT_EQ(run(with({"networks"}, common("a")), &out), 0) << out;
  EXPECT_EQ(out.find("200 listnetworks " + nwid), std::string::npos) << out;

  // Bad arguments: clear messages, non-zero status.
  EXPECT_NE(run({"join", "123"}, &out), 0);
  EXPECT_NE(out.find("16 hex digits"), std::string::npos) << out;
  EXPECT_NE(run({"ping", "not-an-ip", "-n", nwid}, &out), 0);
  EXPECT_NE(run({"call", "10.1.2.3", "-n", nwid}, &out), 0);
  EXPECT_NE(run({"listen", "70000", "-n", nwid}, &out), 0);
  EXPECT_NE(run({"udp-send", "10.1.2.3:9"}, &out), 0);  // missing message and network
  procs.kill_all();
}

// `zt selfcheck` as a process: every primitive against the 1.14.1 known answers, exit 0, and a
// clear error with a non-zero status for a bad argument.
TEST(ZtCli, SelfcheckAsAProcess) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built";
  temp_dir tmp("ztkit-selfcheck");
  children procs;
  const fs::path log = tmp.path / "selfcheck.log";
  pid_t pid = procs.spawn({zt, "selfcheck", "--no-speed"}, log);
  ASSERT_EQ(procs.wait_exit(pid, 60000), 0) << read_all(log);
  EXPECT_NE(read_all(log).find("self-check passed"), std::string::npos) << read_all(log);
  const fs::path bad = tmp.path / "bad.log";
  pid = procs.spawn({zt, "selfcheck", "--bytes", "lots"}, bad);
  EXPECT_NE(procs.wait_exit(pid, 30000), 0) << read_all(bad);
  EXPECT_NE(read_all(bad).find("--bytes"), std::string::npos) << read_all(bad);
}

}  // namespace
}  // namespace ztkit
