// `zt call URL` and `zt ping` of IPv6 addresses as processes: this test runs a root +
// controller node (a public network with an IPv4 pool and rfc4193 + 6plane IPv6 addresses) and
// an HTTP/1.1 server on a second node through the public API, and `zt call` answers to it over
// IPv4, rfc4193 and 6plane: Content-Length, chunked and close-delimited bodies, -i, POST with -d
// and -H, a 404 (exit 22), and clear errors for what it cannot do. Every wait is bounded.
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.h"
#include "ztkit/node.h"
#include "ztkit/tcp.h"

#ifndef ZTKIT_ZT_BINARY
#define ZTKIT_ZT_BINARY ""
#endif

namespace ztkit {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::children;
using test::read_all;
using test::temp_dir;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One request per connection: the head, then Content-Length bytes of body.
void serve_one(TcpStream& s) {
  std::string in;
  std::array<std::byte, 4096> buf;
  std::size_t head_end = std::string::npos;
  std::size_t want = 0;
  for (;;) {
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      head_end += 4;
      const std::string head = lower(in.substr(0, head_end));
      if (const auto cl = head.find("content-length:"); cl != std::string::npos)
        want = std::stoul(head.substr(cl + 15));
    }
    if (head_end != std::string::npos && in.size() >= head_end + want) break;
    auto n = s.read(buf, 5s);
    if (!n || *n == 0) return;
    in.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  const std::string path = in.substr(in.find(' ') + 1, in.find(' ', in.find(' ') + 1) - in.find(' ') - 1);
  std::string out;
  if (path == "/hello") {
    out = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX-Server: ztkit-test\r\n\r\nhello world\n";
  } else if (path == "/chunked") {
    out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nchunks\r\n7;ext=1\r\n arrive\r\n1\r\n\n\r\n0\r\n\r\n";
  } else if (path == "/close") {
    out = "HTTP/1.0 200 OK\r\n\r\nuntil the close\n";
  } else if (path == "/echo") {
    out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(in.size()) + "\r\n\r\n" + in;
  } else {
    out = "HTTP/1.1 404 Not Found\r\nContent-Length: 14\r\n\r\nno such thing\n";
  }
  (void)s.write_all(std::as_bytes(std::span(out.data(), out.size())), 5s);
  s.close();
}

TEST(ZtCallHttp, AgainstAnHttpServerOnANode) {
  const std::string zt = ZTKIT_ZT_BINARY;
  if (zt.empty() || !fs::exists(zt)) GTEST_SKIP() << "zt binary not built";
  temp_dir tmp("ztkit-call");
  // The world: root + controller, and the server node, in this process.
  const int port = test::free_udp_port();
  ASSERT_GT(port, 0);
  NodeOptions ro;
  ro.state_dir = (tmp.path / "root").string();
  ro.listen = "127.0.0.1:" + std::to_string(port);
  ro.root_endpoint = SocketAddress::parse(ro.listen);
  ro.controller = true;
  ro.allow_loopback = true;
  auto root = Node::start(ro);
  ASSERT_TRUE(root) << root.error().message;
  ControllerNetwork cn;
  cn.suffix = 0x00c0a1;
  cn.is_private = false;
  cn.pool_first = IpAddress::v4(10, 147, 62, 1);
  cn.pool_last = IpAddress::v4(10, 147, 62, 100);
  cn.v6_rfc4193 = true;
  cn.v6_6plane = true;
  auto nw = (*root)->create_network(cn);
  ASSERT_TRUE(nw) << nw.error().message;
  NodeOptions so;
  so.state_dir = (tmp.path / "srv").string();
  so.listen = "127.0.0.1:0";
  so.planet_file = (*root)->planet_file();
  so.allow_loopback = true;
  auto srv = Node::start(so);
  ASSERT_TRUE(srv) << srv.error().message;
  ASSERT_TRUE((*srv)->join(*nw));
  auto info = (*srv)->wait_network_ready(*nw, 20s);
  ASSERT_TRUE(info) << info.error().message;
  std::string v4, rfc4193, sixplane;
  for (const auto& a : info->addresses) {
    const std::string ip = a.ip.to_string();
    if (a.ip.family == IpAddress::Family::v4) v4 = ip;
    else if (ip.rfind("fd", 0) == 0) rfc4193 = ip;
    else if (ip.rfind("fc", 0) == 0) sixplane = ip;
  }
  ASSERT_FALSE(v4.empty());
  ASSERT_FALSE(rfc4193.empty()) << "no rfc4193 address assigned";
  ASSERT_FALSE(sixplane.empty()) << "no 6plane address assigned";

  auto listener = TcpListener::listen(**srv, *nw, {{}, 8080});
  ASSERT_TRUE(listener) << listener.error().message;
  std::atomic<bool> stop{false};
  std::thread server([&] {
    while (!stop.load()) {
      auto s = listener->accept(100ms);
      if (s) serve_one(*s);
    }
  });

  children procs;
  char nwid[17];
  std::snprintf(nwid, sizeof nwid, "%016llx", static_cast<unsigned long long>(*nw));
  // A fresh state folder (identity) per run: a controller ignores a member's config requests
  // less than 1 s apart (ZeroTierOne's ZT_NETCONF_MIN_REQUEST_PERIOD), and each run is a new
  // process that asks again at once; the same member would wait for its 5 s retry.
  int n = 0;
  const auto zt_run = [&](std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), zt);
    for (const std::string& a : {std::string("-n"), std::string(nwid), std::string("--state"),
                                 (tmp.path / ("cli" + std::to_string(n))).string(), std::string("--planet"),
                                 (*root)->planet_file(), std::string("--allow-loopback"),
                                 std::string("--timeout-ms"), std::string("15000")})
      args.push_back(a);
    const fs::path log = tmp.path / ("zt" + std::to_string(n++) + ".log");
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = procs.spawn(args, log);
    const int rc = procs.wait_exit(pid, 30000);
    *out = read_all(log);
    std::printf("zt %s %s: exit %d in %lld ms\n", args[1].c_str(), args[2].c_str(), rc,
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - t0)
                                           .count()));
    return rc;
  };

  std::string out;
  // A Content-Length body, over IPv4: printed as is, nothing else.
  ASSERT_EQ(zt_run({"call", "http://" + v4 + ":8080/hello"}, &out), 0) << out;
  EXPECT_EQ(out, "hello world\n");
  // -i: the head first. Over the rfc4193 address.
  ASSERT_EQ(zt_run({"call", "-i", "http://[" + rfc4193 + "]:8080/hello"}, &out), 0) << out;
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("X-Server: ztkit-test\r\n\r\nhello world\n"), std::string::npos) << out;
  // Chunked, over the 6plane address.
  ASSERT_EQ(zt_run({"call", "http://[" + sixplane + "]:8080/chunked"}, &out), 0) << out;
  EXPECT_EQ(out, "chunks arrive\n");
  // A body that runs until the server closes.
  ASSERT_EQ(zt_run({"call", "http://" + v4 + ":8080/close"}, &out), 0) << out;
  EXPECT_EQ(out, "until the close\n");
  // POST with -d and -H: the server echoes the request it got.
  ASSERT_EQ(zt_run({"call", "http://" + v4 + ":8080/echo", "-d", "a=1&b=2", "-H", "X-Test: yes", "-H",
                    "Content-Type: text/plain"},
                   &out),
            0)
      << out;
  EXPECT_EQ(out.rfind("POST /echo HTTP/1.1\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Host: " + v4 + ":8080\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Content-Length: 7\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Test: yes\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Content-Type: text/plain\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("x-www-form-urlencoded"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\na=1&b=2"), std::string::npos) << out;
  // Not 2xx: the body, then a one-line error and exit status 22 (curl -f's).
  EXPECT_EQ(zt_run({"call", "http://" + v4 + ":8080/nothing"}, &out), 22) << out;
  EXPECT_NE(out.find("no such thing\n"), std::string::npos) << out;
  EXPECT_NE(out.find("zt call: HTTP 404 Not Found"), std::string::npos) << out;
  // Nobody listens on 8081: refused, a one-line error.
  EXPECT_EQ(zt_run({"call", "http://" + v4 + ":8081/"}, &out), 1) << out;
  EXPECT_NE(out.find("zt call: connection refused"), std::string::npos) << out;
  // What it cannot do: clear errors before any network work.
  EXPECT_EQ(zt_run({"call", "https://" + v4 + "/"}, &out), 1) << out;
  EXPECT_NE(out.find("https is not supported"), std::string::npos) << out;
  EXPECT_EQ(zt_run({"call", "http://example.com/"}, &out), 1) << out;
  EXPECT_NE(out.find("IP address"), std::string::npos) << out;
  EXPECT_EQ(zt_run({"call", v4 + ":8080", "-d", "x"}, &out), 1) << out;
  EXPECT_NE(out.find("need an http:// URL"), std::string::npos) << out;
  EXPECT_EQ(zt_run({"call", "http://" + v4 + "/", "-H", "no colon"}, &out), 1) << out;
  EXPECT_NE(out.find("not a header"), std::string::npos) << out;

  // zt ping of the server's IPv6 addresses (ICMPv6 echo through ztkit's stack).
  ASSERT_EQ(zt_run({"ping", rfc4193, "-c", "2"}, &out), 0) << out;
  EXPECT_NE(out.find("2 sent, 2 received"), std::string::npos) << out;
  EXPECT_NE(out.find("reply from " + rfc4193), std::string::npos) << out;
  ASSERT_EQ(zt_run({"ping", sixplane, "-c", "1"}, &out), 0) << out;
  EXPECT_NE(out.find("1 sent, 1 received"), std::string::npos) << out;

  stop = true;
  server.join();
  procs.kill_all();
}

}  // namespace
}  // namespace ztkit
