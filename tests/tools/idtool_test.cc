// `zt idtool` as a process: generate, validate (also a captured zerotier-one identity),
// getpublic, sign + verify, a tampered file and a corrupt identity fail with clear messages.
#include <filesystem>
#include <fstream>
#include <string>

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

TEST(ZtIdtool, GenerateValidateSignVerify) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built";
  test::temp_dir tmp("ztkit-idtool");
  test::children procs;
  int n = 0;
  const auto run = [&](std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), {zt, "idtool"});
    const fs::path log = tmp.path / ("run" + std::to_string(n++) + ".log");
    const int rc = procs.wait_exit(procs.spawn(args, log), 60000);
    *out = test::read_all(log);
    while (!out->empty() && out->back() == '\n') out->pop_back();
    return rc;
  };
  const std::string s = (tmp.path / "id.secret").string(), p = (tmp.path / "id.public").string();
  std::string out;
  ASSERT_EQ(run({"generate", s, p}, &out), 0) << out;
  EXPECT_EQ(fs::status(s).permissions() & fs::perms::others_read, fs::perms::none);
  ASSERT_EQ(run({"validate", s}, &out), 0) << out;
  EXPECT_EQ(out, s + " is a valid identity");
  ASSERT_EQ(run({"getpublic", s}, &out), 0) << out;
  EXPECT_EQ(out, test::read_all(p));
  EXPECT_EQ(out.substr(0, 10), test::read_all(s).substr(0, 10));
  const std::string f = (tmp.path / "msg").string();
  std::ofstream(f) << "hello";
  std::string sig;
  ASSERT_EQ(run({"sign", s, f}, &sig), 0) << sig;
  EXPECT_EQ(sig.size(), 192u);
  ASSERT_EQ(run({"verify", p, f, sig}, &out), 0) << out;
  EXPECT_EQ(out, f + " signature valid");
  std::ofstream(f) << "hellO";
  EXPECT_EQ(run({"verify", p, f, sig}, &out), 1);
  EXPECT_EQ(out, f + " signature check FAILED");
  EXPECT_EQ(run({"sign", p, f}, &out), 1);  // no secret
  EXPECT_NE(out.find("no secret"), std::string::npos) << out;
  // A captured zerotier-one identity is valid; a corrupt one is not.
  const fs::path cap = fs::path(ZTKIT_CAPTURES_DIR) / "tap-a.identity.secret";
  if (fs::exists(cap)) {
    ASSERT_EQ(run({"validate", cap.string()}, &out), 0) << out;
  }
  std::string text = test::read_all(p);
  text[20] = text[20] == '0' ? '1' : '0';  // a bit of the public key
  std::ofstream(tmp.path / "bad.public") << text;
  EXPECT_EQ(run({"validate", (tmp.path / "bad.public").string()}, &out), 1);
  EXPECT_NE(out.find("FAILED validation"), std::string::npos) << out;
  std::ofstream(tmp.path / "junk") << "not an identity";
  EXPECT_EQ(run({"validate", (tmp.path / "junk").string()}, &out), 1);
  EXPECT_EQ(run({"validate", (tmp.path / "missing").string()}, &out), 1);
  EXPECT_NE(out.find("cannot read"), std::string::npos) << out;
}

}  // namespace
}  // namespace ztkit
