// Runs the C program tests/api/c_abi_test.c (built as C, linked with ztkit) against a root +
// controller node made here with the C++ API: the program prints its two node addresses, the
// harness authorizes them and says "go", the program joins and checks the C ABI.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/process.h"
#include "ztkit/node.h"

#ifndef ZTKIT_C_ABI_TEST_BINARY
#define ZTKIT_C_ABI_TEST_BINARY ""
#endif

namespace ztkit {
namespace {

using namespace std::chrono_literals;

TEST(CAbi, CProgramUsesTheSocketFamily) {
  const std::string bin = ZTKIT_C_ABI_TEST_BINARY;
  if (bin.empty() || !std::filesystem::exists(bin)) GTEST_SKIP() << "C ABI test program not built";
  test::temp_dir tmp("ztkit-cabi");
  const int port = test::free_udp_port();
  NodeOptions ro;
  ro.state_dir = (tmp.path / "root").string();
  ro.listen = "127.0.0.1:" + std::to_string(port);
  ro.root_endpoint = SocketAddress::parse(ro.listen);
  ro.controller = true;
  ro.allow_loopback = true;
  auto root = Node::start(ro);
  ASSERT_TRUE(root) << root.error().message;
  ControllerNetwork cn;
  cn.suffix = 0xc0;
  cn.pool_first = IpAddress::v4(10, 147, 50, 1);
  cn.pool_last = IpAddress::v4(10, 147, 50, 50);
  auto nwid = (*root)->create_network(cn);
  ASSERT_TRUE(nwid);

  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  const std::string out_log = (tmp.path / "c.log").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(to_child[0], 0);
    ::dup2(from_child[1], 1);
    FILE* err = std::fopen(out_log.c_str(), "w");
    if (err) ::dup2(fileno(err), 2);
    ::close(to_child[1]);
    ::close(from_child[0]);
    const std::string nw = fmt::format("{:016x}", *nwid);
    const std::string prefix = (tmp.path / "n").string();
    ::execl(bin.c_str(), bin.c_str(), (*root)->planet_file().c_str(), nw.c_str(), prefix.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  ::close(to_child[0]);
  ::close(from_child[1]);
  FILE* in = ::fdopen(from_child[0], "r");
  char line[256] = {0};
  ASSERT_NE(std::fgets(line, sizeof line, in), nullptr) << test::read_all(out_log);
  char a[16] = {0}, b[16] = {0};
  ASSERT_EQ(std::sscanf(line, "%10s %10s", a, b), 2) << line;
  EXPECT_TRUE((*root)->authorize(*nwid, a));
  EXPECT_TRUE((*root)->authorize(*nwid, b));
  ASSERT_EQ(::write(to_child[1], "go\n", 3), 3);
  std::string rest;
  while (std::fgets(line, sizeof line, in)) rest += line;
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  std::fclose(in);
  ::close(to_child[1]);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
      << rest << "\nstderr:\n" << test::read_all(out_log);
  EXPECT_NE(rest.find("all checks passed"), std::string::npos) << rest;
}

}  // namespace
}  // namespace ztkit
