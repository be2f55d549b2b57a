// The examples (examples/) as processes: echo_server (a thread per connection) and asio_echo
// (an asio loop on ztkit's readiness fds) serve on a public network of a `zt root`; `zt call`
// sends a line through each and must get it back.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/process.h"

#ifndef ZTKIT_ZT_BINARY
#define ZTKIT_ZT_BINARY ""
#endif
#ifndef ZTKIT_EXAMPLES_DIR
#define ZTKIT_EXAMPLES_DIR ""
#endif

namespace ztkit {
namespace {

namespace fs = std::filesystem;
using test::line_after;


TEST(Examples, EchoServersAnswerThroughZtCall) {
  const std::string zt = ZTKIT_ZT_BINARY;
  const fs::path dir = ZTKIT_EXAMPLES_DIR;
  if (zt.empty() || !fs::exists(zt) || !fs::exists(dir / "example_echo_server"))
    GTEST_SKIP() << "zt or the examples not built";
  test::temp_dir tmp("ztkit-examples");
  test::children procs;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  const fs::path rlog = tmp.path / "root.log";
  ASSERT_GT(procs.spawn({zt, "root", "--state", (tmp.path / "r").string(), "--listen",
                         "127.0.0.1:" + std::to_string(test::free_udp_port()), "--allow-loopback",
                         "--controller-network", "00e12", "--pool", "10.147.64.1-10.147.64.100",
                         "--public"},
                        rlog),
            0);
  ASSERT_TRUE(test::wait_until(deadline, [&] { return test::read_all(rlog).find("listening") != std::string::npos; }));
  const std::string nwid = line_after(test::read_all(rlog), "controller network ");
  ASSERT_EQ(nwid.size(), 16u);
  const std::string planet = (tmp.path / "r" / "planet").string();
  ::setenv("ZTKIT_PLANET", planet.c_str(), 1);
  ::setenv("ZTKIT_ALLOW_LOOPBACK", "1", 1);
  std::vector<std::string> examples = {"example_echo_server"};
  if (fs::exists(dir / "example_asio_echo")) examples.push_back("example_asio_echo");
  int port = 7000;
  for (const auto& ex : examples) {
    const fs::path log = tmp.path / (ex + ".log");
    ASSERT_GT(procs.spawn({(dir / ex).string(), (tmp.path / ex).string(), nwid, std::to_string(port)}, log), 0);
    ASSERT_TRUE(test::wait_until(deadline, [&] { return test::read_all(log).find("echoing on port") != std::string::npos; }))
        << test::read_all(log);
    const std::string as = line_after(test::read_all(log), "node ");
    const std::string ip = as.substr(as.find(" as ") + 4, as.find('/') - as.find(" as ") - 4);
    const std::string cmd = "echo 'through " + ex + "' | " + zt + " call " + ip + ":" +
                            std::to_string(port) + " -n " + nwid + " --state " +
                            (tmp.path / "caller").string() + " --planet " + planet +
                            " --allow-loopback";
    const fs::path clog = tmp.path / (ex + ".call.log");
    const pid_t call = procs.spawn({"/bin/sh", "-c", cmd}, clog);
    ASSERT_EQ(procs.wait_exit(call, 30000), 0) << test::read_all(clog) << test::read_all(log);
    EXPECT_NE(test::read_all(clog).find("through " + ex), std::string::npos) << test::read_all(clog);
    ++port;
  }
  procs.kill_all();
}

}  // namespace
}  // namespace ztkit
