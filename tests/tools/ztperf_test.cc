// `ztperf` (tools/ztperf) as a process: the self-contained --local mode for TCP, JSON, UDP and
// latency; a --kernel server + client pair over loopback; argument and runtime errors.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"

#ifndef ZTKIT_ZTPERF_BINARY
#define ZTKIT_ZTPERF_BINARY ""
#endif

namespace ztkit {
namespace {

namespace fs = std::filesystem;
using test::children;
using test::read_all;
using test::temp_dir;

struct run_result {
  int rc = -1;
  std::string out;
};

// Runs ztperf with `args` to completion (bounded), stdout + stderr in one log.
run_result run_ztperf(const std::vector<std::string>& args, int timeout_ms = 120000) {
  temp_dir tmp("ztperf-test");
  children procs;
  std::vector<std::string> argv{ZTKIT_ZTPERF_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path log = tmp.path / "out.log";
  const pid_t pid = procs.spawn(argv, log);
  run_result r;
  if (pid <= 0) return r;
  r.rc = procs.wait_exit(pid, timeout_ms);
  r.out = read_all(log);
  return r;
}

void expect_clean(const std::string& out) {
  EXPECT_EQ(out.find("Sanitizer"), std::string::npos) << out;
  EXPECT_EQ(out.find("runtime error"), std::string::npos) << out;
}

#define REQUIRE_ZTPERF()                                                   \
  do {                                                                     \
    const std::string b = ZTKIT_ZTPERF_BINARY;                             \
    if (b.empty() || !fs::exists(b)) GTEST_SKIP() << "ztperf not built";   \
  } while (0)

TEST(ZtPerf, LocalTcpPrintsIntervalsAndSummary) {
  REQUIRE_ZTPERF();
  const auto r = run_ztperf({"--local", "-t", "1"});
  ASSERT_EQ(r.rc, 0) << r.out;
  for (const char* want : {"joined in", "[SUM]", "ztperf summary: tcp over ztkit",
                           "TCP client -> server:", "Mbit/s goodput", "retransmits", "CPU-s per Gbit"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  expect_clean(r.out);
}

TEST(ZtPerf, LocalJsonHasTheDocumentedKeys) {
  REQUIRE_ZTPERF();
  const auto r = run_ztperf({"--local", "-t", "1", "--json", "-R"});
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j.at("version"), 1);
  EXPECT_EQ(j.at("transport"), "ztkit");
  EXPECT_EQ(j.at("test").at("kind"), "tcp");
  EXPECT_EQ(j.at("test").at("reverse"), true);
  ASSERT_TRUE(j.at("tcp").contains("server_to_client")) << r.out;
  EXPECT_FALSE(j.at("tcp").contains("client_to_server")) << r.out;
  const auto& d = j.at("tcp").at("server_to_client");
  EXPECT_GT(d.at("bytes").get<std::uint64_t>(), 0u);
  EXPECT_GT(d.at("mbps").get<double>(), 0.0);
  EXPECT_GT(d.at("seconds").get<double>(), 0.5);
  EXPECT_TRUE(d.at("retransmits").is_number_unsigned());
  ASSERT_EQ(d.at("streams").size(), 1u);
  EXPECT_TRUE(d.at("streams").at(0).contains("srtt_ms"));
  EXPECT_TRUE(j.at("intervals").is_array());
  EXPECT_GE(j.at("intervals").size(), 1u);
  EXPECT_GT(j.at("cpu").at("s_per_gbit").get<double>(), 0.0);
  EXPECT_TRUE(j.at("cpu").at("same_process").get<bool>());
  EXPECT_TRUE(j.at("local").contains("join_ms"));
}

TEST(ZtPerf, LocalUdpReportsLossAndJitter) {
  REQUIRE_ZTPERF();
  const auto r = run_ztperf({"--local", "-u", "-b", "50M", "-t", "1"});
  ASSERT_EQ(r.rc, 0) << r.out;
  for (const char* want : {"ztperf summary: udp over ztkit", "UDP client -> server:",
                           "datagrams received", "% loss", "jitter", "Mbit/s goodput"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  expect_clean(r.out);
}

TEST(ZtPerf, LocalUdpJsonBothWays) {
  REQUIRE_ZTPERF();
  const auto r = run_ztperf({"--local", "-u", "-b", "20M", "-t", "1", "--bidir", "--json"});
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  for (const char* dir : {"client_to_server", "server_to_client"}) {
    ASSERT_TRUE(j.at("udp").contains(dir)) << r.out;
    const auto& d = j.at("udp").at(dir);
    EXPECT_GT(d.at("datagrams_sent").get<std::uint64_t>(), 100u) << dir;
    EXPECT_GT(d.at("datagrams_received").get<std::uint64_t>(), 0u) << dir;
    EXPECT_LE(d.at("loss_pct").get<double>(), 100.0);
    EXPECT_GE(d.at("jitter_ms").get<double>(), 0.0);
  }
}

TEST(ZtPerf, LocalLatencyPrintsPercentiles) {
  REQUIRE_ZTPERF();
  const auto r = run_ztperf({"--local", "--latency", "200"});
  ASSERT_EQ(r.rc, 0) << r.out;
  for (const char* want : {"200 exchanges of 64 bytes", " us ", "p50", "p90", "p99 ", "p99.9"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  expect_clean(r.out);
}

TEST(ZtPerf, KernelServerAndClientOverLoopback) {
  REQUIRE_ZTPERF();
  const std::string bin = ZTKIT_ZTPERF_BINARY;
  temp_dir tmp("ztperf-kernel");
  children procs;
  const int port = test::free_udp_port();
  ASSERT_GT(port, 0);
  const fs::path slog = tmp.path / "server.log", clog = tmp.path / "client.log";
  const pid_t srv = procs.spawn({bin, "--kernel", "127.0.0.1", "-s", "-1", "-p", std::to_string(port)}, slog);
  ASSERT_GT(srv, 0);
  ASSERT_TRUE(test::wait_until(test::clock_type::now() + std::chrono::seconds(10),
                               [&] { return read_all(slog).find("listening") != std::string::npos; }))
      << read_all(slog);
  const pid_t cl = procs.spawn({bin, "--kernel", "127.0.0.1", "-c", "127.0.0.1", "-p",
                                std::to_string(port), "-t", "1", "-P", "2", "--json"},
                               clog);
  ASSERT_GT(cl, 0);
  ASSERT_EQ(procs.wait_exit(cl, 60000), 0) << read_all(clog);
  EXPECT_EQ(procs.wait_exit(srv, 20000), 0) << read_all(slog);  // -1: one test, then exit
  const auto j = nlohmann::json::parse(read_all(clog), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << read_all(clog);
  EXPECT_EQ(j.at("transport"), "kernel");
  const auto& d = j.at("tcp").at("client_to_server");
  EXPECT_EQ(d.at("streams").size(), 2u);
  EXPECT_GT(d.at("mbps").get<double>(), 1.0);
  EXPECT_FALSE(j.at("cpu").at("same_process").get<bool>());
  EXPECT_NE(read_all(slog).find("tcp test from 127.0.0.1"), std::string::npos) << read_all(slog);
}

TEST(ZtPerf, KernelLocalUdpAndLatency) {
  REQUIRE_ZTPERF();
  auto r = run_ztperf({"--local", "--kernel", "127.0.0.1", "-u", "-b", "100M", "-t", "1", "-R"});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("UDP server -> client:"), std::string::npos) << r.out;
  r = run_ztperf({"--local", "--kernel", "127.0.0.1", "--latency", "500", "-l", "128"});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("500 exchanges of 128 bytes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("p99.9"), std::string::npos) << r.out;
}

// The real use: a root + controller (`zt root`), a `ztperf -s` node and a `ztperf -c` node, each
// its own process, joining the network by ID and measuring over it.
TEST(ZtPerf, ServerAndClientNodesOnANetworkOfAZtRoot) {
  REQUIRE_ZTPERF();
#ifndef ZTKIT_ZT_BINARY
  GTEST_SKIP() << "zt not built";
#else
  const std::string zt = ZTKIT_ZT_BINARY, bin = ZTKIT_ZTPERF_BINARY;
  if (!fs::exists(zt)) GTEST_SKIP() << "zt not built";
  temp_dir tmp("ztperf-nodes");
  children procs;
  const int root_port = test::free_udp_port();
  ASSERT_GT(root_port, 0);
  const fs::path rlog = tmp.path / "root.log", slog = tmp.path / "server.log",
                 clog = tmp.path / "client.log";
  ASSERT_GT(procs.spawn({zt, "root", "--state", (tmp.path / "root").string(), "--listen",
                         "127.0.0.1:" + std::to_string(root_port), "--allow-loopback",
                         "--controller-network", "5201", "--pool", "10.55.0.1-10.55.0.100/24",
                         "--public"},
                        rlog),
            0);
  std::string nwid;
  ASSERT_TRUE(test::wait_until(test::clock_type::now() + std::chrono::seconds(60), [&] {
    const std::string s = read_all(rlog);
    const auto at = s.find("controller network ");
    if (at == std::string::npos || s.find("listening") == std::string::npos) return false;
    nwid = s.substr(at + 19, 16);
    return true;
  })) << read_all(rlog);
  const std::string planet = (tmp.path / "root" / "planet").string();
  auto node_args = [&](const char* name) {
    return std::vector<std::string>{"--state", (tmp.path / name).string(), "--planet", planet,
                                    "--network", nwid, "--listen", "127.0.0.1:0",
                                    "--allow-loopback", "--join-timeout", "60"};
  };
  std::vector<std::string> sargs{bin, "-s", "-1"};
  for (auto& a : node_args("server")) sargs.push_back(a);
  const pid_t srv = procs.spawn(sargs, slog);
  ASSERT_GT(srv, 0);
  std::string server_ip;
  ASSERT_TRUE(test::wait_until(test::clock_type::now() + std::chrono::seconds(90), [&] {
    const std::string s = read_all(slog);
    const auto at = s.find("listening on port 5201 (node ");
    if (at == std::string::npos) return false;
    const auto comma = s.find(", ", s.find("network ", at));
    server_ip = s.substr(comma + 2, s.find(')', comma) - comma - 2);
    return true;
  })) << read_all(slog);
  std::vector<std::string> cargs{bin, "-c", server_ip, "-t", "1", "-R", "--json"};
  for (auto& a : node_args("client")) cargs.push_back(a);
  const pid_t cl = procs.spawn(cargs, clog);
  ASSERT_GT(cl, 0);
  ASSERT_EQ(procs.wait_exit(cl, 120000), 0) << read_all(clog);
  EXPECT_EQ(procs.wait_exit(srv, 20000), 0) << read_all(slog);
  const auto j = nlohmann::json::parse(read_all(clog), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << read_all(clog);
  EXPECT_EQ(j.at("transport"), "ztkit");
  EXPECT_EQ(j.at("server"), server_ip + ":5201");
  EXPECT_GT(j.at("tcp").at("server_to_client").at("bytes").get<std::uint64_t>(), 0u);
  EXPECT_FALSE(j.at("cpu").at("same_process").get<bool>());
  EXPECT_NE(read_all(slog).find("tcp test from 10.55.0."), std::string::npos) << read_all(slog);
#endif
}

TEST(ZtPerf, IdleConnectionsAreHeldOpenDuringTheTest) {
  REQUIRE_ZTPERF();
  // 200 silent connections established first; the bulk stream still runs, and the server saw
  // them all (it waits for every one before starting).
  const auto r = run_ztperf({"--local", "-t", "1", "--json", "--idle", "200"});
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j.at("test").at("idle"), 200);
  EXPECT_GT(j.at("tcp").at("client_to_server").at("bytes").get<std::uint64_t>(), 0u);
  const auto k = run_ztperf({"--local", "--kernel", "127.0.0.1", "-t", "1", "--idle", "20"});
  ASSERT_EQ(k.rc, 0) << k.out;
  EXPECT_NE(k.out.find("Mbit/s goodput"), std::string::npos) << k.out;
}

TEST(ZtPerf, ShardedNodesCarryParallelStreams) {
  REQUIRE_ZTPERF();
  // Two data shards per node: the client's two connections go one to each of its shards.
  const auto r = run_ztperf({"--local", "-t", "1", "-P", "2", "--shards", "2", "--json"});
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j.at("local").at("shards"), 2);
  const auto& streams = j.at("tcp").at("client_to_server").at("streams");
  ASSERT_EQ(streams.size(), 2u);
  for (const auto& s : streams) EXPECT_GT(s.at("bytes").get<std::uint64_t>(), 0u) << s.dump();
}

TEST(ZtPerf, ArgumentErrorsAreClear) {
  REQUIRE_ZTPERF();
  struct bad {
    std::vector<std::string> args;
    int rc;
    const char* message;
  };
  const std::vector<bad> cases = {
      {{}, 2, "one of -s, -c HOST or --local is required"},
      {{"-s"}, 2, "--state DIR is required"},
      {{"-s", "--state", "/tmp/ztperf-none", "--network", "12345"}, 2, "not a network ID"},
      {{"--local", "-t", "0"}, 2, "--time"},
      {{"-s", "-c", "10.0.0.1"}, 2, "--server excludes --client"},
      {{"--local", "-R", "--bidir"}, 2, "excludes"},
      {{"--local", "-u", "-b", "lots"}, 2, "not a bitrate"},
      {{"--local", "--idle", "-1"}, 2, "--idle"},
      {{"--local", "--shards", "0"}, 2, "--shards"},
      {{"--local", "--backend", "dpdk"}, 2, "--backend"},
      {{"--local", "--shards", "65"}, 2, "--shards"},
      {{"--local", "--kernel", "127.0.0.1", "--shards", "2"}, 2, "--shards applies to ztkit nodes"},
      {{"--kernel", "127.0.0.1", "-c", "no.such.host"}, 1, "unknown host 'no.such.host'"},
      {{"-c", "nohost", "--state", "/tmp/ztperf-none", "--network", "0123456789abcdef"}, 1,
       "unknown host 'nohost'"},
  };
  for (const auto& c : cases) {
    const auto r = run_ztperf(c.args, 20000);
    EXPECT_EQ(r.rc, c.rc) << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.message << "\n" << r.out;
    EXPECT_NE(r.out.find("ztperf: "), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;  // one line
  }
}

TEST(ZtPerf, RuntimeErrorsExitOne) {
  REQUIRE_ZTPERF();
  // Nobody listens on this port: connection refused.
  const int port = test::free_udp_port();
  auto r = run_ztperf({"--kernel", "127.0.0.1", "-c", "127.0.0.1", "-p", std::to_string(port), "-t", "1"});
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("cannot connect to the server at 127.0.0.1:" + std::to_string(port)),
            std::string::npos) << r.out;
  // A network that never becomes ready (no root reachable): a bounded wait and a clear error.
  temp_dir state("ztperf-state");
  r = run_ztperf({"-c", "10.1.2.3", "--state", state.path.string(), "--network", "0123456789abcdef",
                  "--listen", "127.0.0.1:0", "--join-timeout", "2"},
                 30000);
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("network 0123456789abcdef not ready after 2 s"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ztkit
