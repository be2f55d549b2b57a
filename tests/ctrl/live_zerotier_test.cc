// Live interop with the real ZeroTierOne 1.14 (issue 6, "Node"): skipped unless
// ZTKIT_ZEROTIER_ONE names a zerotier-one binary (1.14.x, built by hand outside the repo; see
// shared/interop/README.md), and skipped without root or `ip netns`.
//
// The test makes its own network namespace with a veth pair, one end holding three private
// addresses (1.14 ignores loopback paths, so everything runs on 172.30.99.0/24, never 127.x):
//   172.30.99.1:29990  zerotier-one as the captured planet's root 9f5c568a3f (captured identity)
//   172.30.99.3:29993  zerotier-one as a plain member (the captured tap-a identity, b0860caa65)
//   172.30.99.2:29996  `zt node` (a fresh identity), with the captured planet
// Our node must get OK(HELLO) from the real root (`online`, `peer-online 9f5c568a3f`), then ECHO
// the member: the member does not know us, so it asks the root (WHOIS) for our identity before
// it can answer; the first replies come relayed through the root, then over the direct path the
// root's RENDEZVOUS sets up. Finally both real nodes must list us in their `peers` (local JSON
// API, through `zerotier-one -q`) with a direct path at 172.30.99.2/29996.
//
// Every wait is bounded; every child is stopped by its PID and reaped, and the namespace and
// the temporary folder deleted, whatever happens.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
using clock_type = std::chrono::steady_clock;
using test::children;
using test::read_all;
using test::temp_dir;
using test::wait_until;

constexpr const char* kRootAddr = "9f5c568a3f";
constexpr const char* kMemberAddr = "b0860caa65";
constexpr const char* kRootIp = "172.30.99.1";
constexpr const char* kNodeIp = "172.30.99.2";
constexpr const char* kMemberIp = "172.30.99.3";
constexpr int kRootPort = 29990;
constexpr int kMemberPort = 29993;
constexpr int kNodePort = 29996;


std::string find_ip_tool() {
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (::access(p, X_OK) == 0) return p;
  return {};
}

// Runs a short command (no shell) to completion, output into `log`; its exit status.
int run_quiet(const std::vector<std::string>& args, const fs::path& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "a");
    if (f != nullptr) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) return -1;
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// A network namespace of our own, deleted again on destruction.
class netns {
 public:
  netns(std::string ip_tool, std::string name, fs::path log)
      : ip_(std::move(ip_tool)), name_(std::move(name)), log_(std::move(log)) {}
  ~netns() {
    if (created_) run_quiet({ip_, "netns", "delete", name_}, log_);
  }
  bool create() {
    created_ = run_quiet({ip_, "netns", "add", name_}, log_) == 0;
    return created_;
  }
  bool ip(std::vector<std::string> args) {
    args.insert(args.begin(), {ip_, "-n", name_});
    return run_quiet(args, log_) == 0;
  }
  std::string path() const { return "/run/netns/" + name_; }
  const std::string& name() const { return name_; }

 private:
  std::string ip_, name_;
  fs::path log_;
  bool created_ = false;
};

// The child enters the test's network namespace before exec.
std::function<bool()> in_netns(const std::string& ns_path) {
  return [ns_path] {
    const int fd = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      std::perror("setns");
      return false;
    }
    return true;
  };
}



// The lab's settings (shared/interop/lib.sh), plus "bind": all three addresses live in one
// namespace, and without it each zerotier-one would also send from the others' addresses.
void write_local_conf(const fs::path& home, int port, const std::string& ip) {
  std::ofstream(home / "local.conf") << "{\"settings\":{\"primaryPort\":" << port
                                     << ",\"allowSecondaryPort\":false,"
                                        "\"portMappingEnabled\":false,"
                                        "\"allowTcpFallbackRelay\":false,"
                                        "\"bind\":[\"" << ip << "\"]}}\n";
}

// The peer `addr` in a `zerotier-cli -j peers` answer, or null.
nlohmann::json find_peer(const std::string& peers_json, const std::string& addr) {
  const auto j = nlohmann::json::parse(peers_json, nullptr, false);
  if (!j.is_array()) return nullptr;
  for (const auto& p : j)
    if (p.is_object() && p.value("address", "") == addr) return p;
  return nullptr;
}

TEST(LiveZeroTier, RootSaysOkToHelloAndMemberFindsUsByWhois) {
  const char* zt_one_env = std::getenv("ZTKIT_ZEROTIER_ONE");
  if (zt_one_env == nullptr || *zt_one_env == '\0')
    GTEST_SKIP() << "ZTKIT_ZEROTIER_ONE not set: path to a zerotier-one 1.14 binary built by "
                    "hand outside the repository (shared/interop/README.md)";
  const std::string zt_one = zt_one_env;
  if (::access(zt_one.c_str(), X_OK) != 0) GTEST_SKIP() << "not executable: " << zt_one;
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built: " << zt;
  const fs::path captures = ZTKIT_CAPTURES_DIR;
  for (const char* f : {"planet", "root.identity.secret", "tap-a.identity.secret"})
    if (!fs::exists(captures / f)) GTEST_SKIP() << "missing capture " << (captures / f);
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  const std::string ip_tool = find_ip_tool();
  if (ip_tool.empty()) GTEST_SKIP() << "no `ip` tool";

  temp_dir tmp("ztkit-live");
  ASSERT_FALSE(tmp.path.empty());
  netns ns(ip_tool, "ztkit-live-" + std::to_string(::getpid()), tmp.path / "ip.log");
  if (!ns.create()) GTEST_SKIP() << "cannot create a network namespace:\n" << read_all(tmp.path / "ip.log");
  ASSERT_TRUE(ns.ip({"link", "set", "lo", "up"}));
  // A veth pair with both ends inside (the dummy link type is not always available); v0 holds
  // the addresses, and traffic between them stays inside the namespace.
  ASSERT_TRUE(ns.ip({"link", "add", "v0", "type", "veth", "peer", "name", "v1"}))
      << read_all(tmp.path / "ip.log");
  for (const char* a : {kRootIp, kNodeIp, kMemberIp})
    ASSERT_TRUE(ns.ip({"addr", "add", std::string(a) + "/24", "dev", "v0"}));
  ASSERT_TRUE(ns.ip({"link", "set", "v0", "up"}));
  ASSERT_TRUE(ns.ip({"link", "set", "v1", "up"}));
  children procs;  // declared after ns and tmp: children die before those go

  const auto t0 = clock_type::now();
  const auto deadline = t0 + std::chrono::seconds(60);
  auto elapsed = [&] {
    return static_cast<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count());
  };

  // Homes for the two real nodes: captured identity and planet, lab-style local.conf.
  const fs::path root_home = tmp.path / "root", member_home = tmp.path / "member";
  const fs::path node_dir = tmp.path / "node";
  for (const auto& [home, id, port, ip] :
       {std::tuple{root_home, "root.identity.secret", kRootPort, kRootIp},
        std::tuple{member_home, "tap-a.identity.secret", kMemberPort, kMemberIp}}) {
    fs::create_directories(home);
    fs::copy_file(captures / id, home / "identity.secret");
    fs::permissions(home / "identity.secret", fs::perms::owner_read | fs::perms::owner_write);
    fs::copy_file(captures / "planet", home / "planet");
    write_local_conf(home, port, ip);
  }
  const fs::path root_log = tmp.path / "root.log", member_log = tmp.path / "member.log",
                 node_log = tmp.path / "node.log";
  // Our identity is made while the real nodes start (a missing planet: exits 1 after that).
  const pid_t prep = procs.spawn({zt, "node", "--state", node_dir.string(), "--planet",
                                      (tmp.path / "no-planet").string()},
                                 tmp.path / "prep.log", in_netns(ns.path()));
  ASSERT_GT(prep, 0);
  ASSERT_GT(procs.spawn({zt_one, "-U", "-p" + std::to_string(kRootPort), root_home.string()},
                        root_log, in_netns(ns.path())),
            0);
  ASSERT_GT(procs.spawn({zt_one, "-U", "-p" + std::to_string(kMemberPort), member_home.string()},
                        member_log, in_netns(ns.path())),
            0);

  // `zerotier-one -q` is zerotier-cli; its output into a file, its exit status back.
  auto cli = [&](const fs::path& home, int port, const std::string& cmd, const fs::path& out) {
    std::error_code ec;
    fs::remove(out, ec);
    const pid_t pid =
        procs.spawn({zt_one, "-q", "-D" + home.string(), "-p" + std::to_string(port), "-j", cmd},
                    out, in_netns(ns.path()));
    if (pid <= 0) return -1;
    const int rc = procs.wait_exit(pid, 5000);
    if (rc < 0) ::kill(pid, SIGKILL);
    return rc;
  };
  const fs::path info_out = tmp.path / "info.json";
  auto diag = [&] {
    return "node:\n" + read_all(node_log) + "\nroot:\n" + read_all(root_log) + "\nmember:\n" +
           read_all(member_log);
  };
  ASSERT_TRUE(wait_until(deadline, [&] { return cli(root_home, kRootPort, "info", info_out) == 0; }))
      << "root's API did not answer:\n" << read_all(info_out) << diag();
  const auto root_info = nlohmann::json::parse(read_all(info_out), nullptr, false);
  ASSERT_TRUE(root_info.is_object()) << read_all(info_out);
  EXPECT_EQ(root_info.value("address", ""), kRootAddr);
  std::fprintf(stderr, "[%6lld ms] real root %s version %s\n", elapsed(),
               root_info.value("address", "").c_str(), root_info.value("version", "").c_str());
  // The member is online once the root answered its HELLO.
  ASSERT_TRUE(wait_until(deadline, [&] {
    if (cli(member_home, kMemberPort, "info", info_out) != 0) return false;
    const auto j = nlohmann::json::parse(read_all(info_out), nullptr, false);
    return j.is_object() && j.value("online", false);
  })) << "member did not come online:\n" << read_all(info_out) << diag();
  std::fprintf(stderr, "[%6lld ms] real member %s online\n", elapsed(), kMemberAddr);

  EXPECT_EQ(procs.wait_exit(prep, 20000), 1) << read_all(tmp.path / "prep.log");
  const std::string node_public = read_all(node_dir / "identity.public");
  ASSERT_GE(node_public.size(), 10u) << read_all(tmp.path / "prep.log");
  const std::string node_addr = node_public.substr(0, 10);

  const pid_t node = procs.spawn({zt, "node", "--state", node_dir.string(), "--planet", (captures / "planet").string(),
       "--listen", std::string(kNodeIp) + ":" + std::to_string(kNodePort), "--echo", kMemberAddr,
       "--until-direct", "--echo-interval-ms", "500", "--wait-ms", "30000"},
      node_log, in_netns(ns.path()));
  ASSERT_GT(node, 0);
  const int node_rc = procs.wait_exit(node, 35000);
  std::fprintf(stderr, "[%6lld ms] zt node %s exited %d:\n%s", elapsed(), node_addr.c_str(),
               node_rc, read_all(node_log).c_str());
  EXPECT_EQ(node_rc, 0) << diag();
  const std::string out = read_all(node_log);
  // OK(HELLO) from the real root.
  EXPECT_NE(out.find("\nonline"), std::string::npos) << diag();
  EXPECT_NE(out.find("peer-online " + std::string(kRootAddr)), std::string::npos) << diag();
  // The member answered our ECHO, which needs our identity: it got it by WHOIS from the root.
  EXPECT_NE(out.find("echo " + std::string(kMemberAddr) + " rtt "), std::string::npos) << diag();
  EXPECT_NE(out.find("path direct"), std::string::npos) << diag();
  EXPECT_NE(out.find("path-learned " + std::string(kMemberAddr) + " " + kMemberIp + ":" +
                     std::to_string(kMemberPort)),
            std::string::npos)
      << diag();

  // Both real nodes list us with a direct path to 172.30.99.2/29996.
  const std::string our_path = std::string(kNodeIp) + "/" + std::to_string(kNodePort);
  for (const auto& [who, home, port] :
       {std::tuple{"root", root_home, kRootPort}, std::tuple{"member", member_home, kMemberPort}}) {
    const fs::path peers_out = tmp.path / (std::string(who) + "-peers.json");
    ASSERT_EQ(cli(home, port, "peers", peers_out), 0) << read_all(peers_out);
    const auto peer = find_peer(read_all(peers_out), node_addr);
    ASSERT_FALSE(peer.is_null()) << who << " does not list " << node_addr << ":\n"
                                 << read_all(peers_out);
    std::fprintf(stderr, "[%6lld ms] %s sees us as: %s\n", elapsed(), who, peer.dump().c_str());
    EXPECT_EQ(peer.value("role", ""), "LEAF") << peer.dump();
    EXPECT_GE(peer.value("latency", -1), 0) << peer.dump();
    bool direct = false;
    for (const auto& p : peer.value("paths", nlohmann::json::array()))
      if (p.value("address", "") == our_path) direct = true;
    EXPECT_TRUE(direct) << who << ": no path " << our_path << " in " << peer.dump();
  }

  procs.kill_all();
  for (const auto& log : {node_log}) {
    const std::string o = read_all(log);
    EXPECT_EQ(o.find("Sanitizer"), std::string::npos) << o;
    EXPECT_EQ(o.find("runtime error"), std::string::npos) << o;
  }
}

}  // namespace
}  // namespace ztkit
