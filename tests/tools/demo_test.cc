// `zt demo` (the README's main job) as a process: it must bring up its world, measure, print
// the summary table and exit 0; and bad arguments give a clear error and a non-zero status.
#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/process.h"

#ifndef ZTKIT_ZT_BINARY
#define ZTKIT_ZT_BINARY ""
#endif

namespace ztkit {
namespace {

namespace fs = std::filesystem;
using test::children;
using test::read_all;
using test::temp_dir;

TEST(ZtDemo, RunsEndToEndAndPrintsTheSummary) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built";
  temp_dir tmp("ztkit-demo-test");
  children procs;
  const fs::path log = tmp.path / "demo.log";
  const pid_t pid = procs.spawn({zt, "demo", "--seconds", "1", "--udp-count", "2000",
                                 "--latency-rounds", "200"},
                                log);
  ASSERT_GT(pid, 0);
  const int rc = procs.wait_exit(pid, 120000);
  const std::string out = read_all(log);
  ASSERT_EQ(rc, 0) << out;
  for (const char* want : {"both joined in", "first TCP connection alice -> bob", "reply from 10.147.77.", "TCP goodput, 1 stream",
                           "TCP 64 B req/resp p50/p99", "UDP loss", "ztkit demo summary"})
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  EXPECT_EQ(out.find("Sanitizer"), std::string::npos) << out;
  EXPECT_EQ(out.find("runtime error"), std::string::npos) << out;
}

TEST(ZtDemo, BadArgumentsAreClearErrors) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built";
  temp_dir tmp("ztkit-demo-args");
  children procs;
  const fs::path log = tmp.path / "args.log";
  const pid_t pid = procs.spawn({zt, "demo", "--seconds", "0"}, log);
  ASSERT_GT(pid, 0);
  EXPECT_NE(procs.wait_exit(pid, 20000), 0);
  EXPECT_NE(read_all(log).find("--seconds"), std::string::npos) << read_all(log);
}

}  // namespace
}  // namespace ztkit
