// `zt expose` and `zt proxy` as processes in a private world on 127.0.0.1 (a `zt root` that is
// also the controller of a public network): a kernel HTTP server on this machine is exposed by
// node b and fetched from node a through a's SOCKS5 and HTTP proxies with the real curl (skipped
// with a message when curl is absent); uploads through expose with half-close both ways,
// checked by hash; concurrent downloads; SIGINT counters; SOCKS5 UDP ASSOCIATE to a UDP
// responder on another node; and the proxies' error replies, spoken byte by byte. Every wait is
// bounded; children are killed by PID.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.h"

#ifndef ZTKIT_ZT_BINARY
#define ZTKIT_ZT_BINARY ""
#endif
#ifndef ZTKIT_EXAMPLES_DIR
#define ZTKIT_EXAMPLES_DIR ""
#endif
#ifndef ZTKIT_CURL_BINARY
#define ZTKIT_CURL_BINARY ""
#endif

namespace ztkit {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::children;
using test::line_after;
using test::read_all;
using test::temp_dir;
using test::wait_until;
using bytes = std::vector<std::uint8_t>;

constexpr std::size_t big_size = 4 * 1024 * 1024;

std::string curl_binary() {
  for (const std::string c : {std::string(ZTKIT_CURL_BINARY), std::string("/usr/bin/curl"), std::string("/bin/curl")})
    if (!c.empty() && ::access(c.c_str(), X_OK) == 0) return c;
  return {};
}

// The large body: deterministic bytes, so a download can be compared without a copy.
std::string big_body() {
  std::string s(big_size, '\0');
  std::uint32_t x = 0x12345678;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// A TCP server on 127.0.0.1 (kernel sockets), a thread per connection running `handler`.
class kernel_server {
 public:
  explicit kernel_server(std::function<void(int)> handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        const timeval tv{20, 0};  // a stuck peer cannot hold the test past its deadline
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        accepted_.fetch_add(1);
        std::lock_guard lock(mu_);
        workers_.emplace_back([this, c] {
          handler_(c);
          ::close(c);
        });
      }
    });
  }
  ~kernel_server() {
    ::shutdown(fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    ::close(fd_);
    for (auto& w : workers_) w.join();
  }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  std::function<void(int)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

bool send_str(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// GET /index -> a short text; GET /big -> big_body(); else 404. One request per connection.
void http_handler(int fd) {
  std::string req;
  char buf[4096];
  while (req.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    req.append(buf, static_cast<std::size_t>(n));
  }
  static const std::string big = big_body();
  std::string body = "not found\n", status = "404 Not Found";
  if (req.rfind("GET /index ", 0) == 0) body = "hello from b\n", status = "200 OK";
  if (req.rfind("GET /big ", 0) == 0) body = big, status = "200 OK";
  (void)send_str(fd, "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n");
  (void)send_str(fd, body);
  ::shutdown(fd, SHUT_WR);
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
}

// Reads until EOF, then answers "got N HASH" and closes: needs half-close to reach it, and its
// answer after the EOF needs half-close back.
void sink_handler(int fd) {
  std::string all;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) return;
    if (n == 0) break;
    all.append(buf, static_cast<std::size_t>(n));
  }
  (void)send_str(fd, "got " + std::to_string(all.size()) + " " + std::to_string(fnv1a(all)) + "\n");
}

// A private world: the root/controller, and helpers to start `zt` commands on named nodes.
struct world {
  std::string zt = ZTKIT_ZT_BINARY;
  temp_dir tmp{"ztkit-proxy"};
  children procs;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + 90s;
  std::string nwid, planet;
  int n = 0;

  bool start() {
    const int port = test::free_udp_port();
    const fs::path rlog = tmp.path / "root.log";
    if (procs.spawn({zt, "root", "--state", (tmp.path / "r").string(), "--listen", "127.0.0.1:" + std::to_string(port),
                     "--allow-loopback", "--controller-network", "00c12", "--pool", "10.147.62.1-10.147.62.100",
                     "--public"},
                    rlog) <= 0)
      return false;
    if (!wait_until(deadline, [&] { return read_all(rlog).find("listening") != std::string::npos; })) return false;
    nwid = line_after(read_all(rlog), "controller network ");
    planet = (tmp.path / "r" / "planet").string();
    ::setenv("ZTKIT_PLANET", planet.c_str(), 1);  // for the examples
    ::setenv("ZTKIT_ALLOW_LOOPBACK", "1", 1);
    return nwid.size() == 16;
  }
  std::vector<std::string> node(const std::string& who) const {
    return {"--state", (tmp.path / who).string(), "--planet", planet, "--allow-loopback", "-n", nwid};
  }
  // Starts `zt args... <node options>`; its log.
  fs::path spawn(std::vector<std::string> args, const std::string& who, pid_t* pid = nullptr) {
    args.insert(args.begin(), zt);
    for (auto& a : node(who)) args.push_back(a);
    const fs::path log = tmp.path / (who + "-" + std::to_string(n++) + ".log");
    const pid_t p = procs.spawn(args, log);
    if (pid) *pid = p;
    return log;
  }
  // Waits for `prefix` in `log`: the rest of that line.
  std::string wait_line(const fs::path& log, const std::string& prefix) {
    wait_until(deadline, [&] { return !line_after(read_all(log), prefix).empty(); });
    return line_after(read_all(log), prefix);
  }
  // Runs a program to completion (bounded): its exit status; its output in *out.
  int run(const std::vector<std::string>& args, std::string* out = nullptr, int ms = 30000) {
    const fs::path log = tmp.path / ("run" + std::to_string(n++) + ".log");
    const pid_t pid = procs.spawn(args, log);
    const int rc = procs.wait_exit(pid, ms);
    if (out) *out = read_all(log);
    return rc;
  }
};

// "10.147.62.3/24 port 8080 -> ..." -> "10.147.62.3"
std::string first_ip(const std::string& s) { return s.substr(0, s.find_first_of("/ ,")); }

TEST(ZtProxy, CurlThroughSocks5AndHttpToAnExposedServer) {
  world w;
  if (w.zt.empty() || !fs::exists(w.zt)) GTEST_SKIP() << "zt binary not built";
  const std::string curl = curl_binary();
  if (curl.empty()) GTEST_SKIP() << "curl is not installed (scripts/install-deps installs it): skipping the curl tests";
  ASSERT_TRUE(w.start());
  kernel_server http(http_handler);
  ASSERT_GT(http.port(), 0);
  pid_t expose_pid = -1;
  const fs::path elog =
      w.spawn({"expose", "8080", "--to", "127.0.0.1:" + std::to_string(http.port())}, "b", &expose_pid);
  const fs::path plog = w.spawn({"proxy", "--socks5", "127.0.0.1:0", "--http", "127.0.0.1:0"}, "a");
  const fs::path alog =
      w.spawn({"proxy", "--socks5", "127.0.0.1:0", "--http", "127.0.0.1:0", "--user", "zt", "--pass", "s3cret"}, "c");
  const std::string b_ip = first_ip(w.wait_line(elog, "exposing "));
  const std::string socks = w.wait_line(plog, "socks5 proxy on "), http_proxy = w.wait_line(plog, "http proxy on ");
  const std::string asocks = w.wait_line(alog, "socks5 proxy on "), ahttp = w.wait_line(alog, "http proxy on ");
  ASSERT_FALSE(b_ip.empty()) << read_all(elog);
  ASSERT_FALSE(w.wait_line(plog, "proxying to network ").empty()) << read_all(plog);
  ASSERT_FALSE(w.wait_line(alog, "proxying to network ").empty()) << read_all(alog);
  const std::string url = "http://" + b_ip + ":8080/";
  const std::vector<std::string> c{curl, "-sS", "--max-time", "20"};
  const auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  std::string out;
  // SOCKS5 CONNECT, IPv4 address type; then the same IP as a name (curl resolves nothing with
  // --socks5-hostname: the proxy gets ATYP 3).
  ASSERT_EQ(w.run(with(c, {"--socks5", socks, url + "index"}), &out), 0) << out << read_all(plog);
  EXPECT_EQ(out, "hello from b\n");
  ASSERT_EQ(w.run(with(c, {"--socks5-hostname", socks, url + "index"}), &out), 0) << out << read_all(plog);
  EXPECT_EQ(out, "hello from b\n");
  // HTTP CONNECT tunnel (-p), and plain absolute-form forwarding.
  ASSERT_EQ(w.run(with(c, {"-p", "-x", "http://" + http_proxy, url + "index"}), &out), 0) << out << read_all(plog);
  EXPECT_EQ(out, "hello from b\n");
  ASSERT_EQ(w.run(with(c, {"-x", "http://" + http_proxy, url + "index"}), &out), 0) << out << read_all(plog);
  EXPECT_EQ(out, "hello from b\n");
  // A large body through each, byte for byte.
  const std::string big = big_body();
  for (const auto& via : {std::vector<std::string>{"--socks5", socks}, std::vector<std::string>{"-p", "-x", "http://" + http_proxy}}) {
    const std::string file = (w.tmp.path / ("big" + std::to_string(w.n) + ".bin")).string();
    ASSERT_EQ(w.run(with(with(c, via), {"-o", file, url + "big"}), &out), 0) << out << read_all(plog);
    const std::string got = read_all(file);
    EXPECT_EQ(got.size(), big.size());
    EXPECT_EQ(fnv1a(got), fnv1a(big));
  }
  // Four downloads at once through the SOCKS5 proxy and the expose.
  {
    std::vector<pid_t> pids;
    std::vector<std::string> files;
    for (int i = 0; i < 4; ++i) {
      files.push_back((w.tmp.path / ("par" + std::to_string(i) + ".bin")).string());
      pids.push_back(w.procs.spawn(with(c, {"--socks5", socks, "-o", files.back(), url + "big"}),
                                   w.tmp.path / ("par" + std::to_string(i) + ".log")));
    }
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(w.procs.wait_exit(pids[i], 30000), 0) << read_all(w.tmp.path / ("par" + std::to_string(i) + ".log"));
      EXPECT_EQ(fnv1a(read_all(files[i])), fnv1a(big)) << i;
    }
  }
  // Authentication: RFC 1929 and HTTP Basic; refused without (or with wrong) credentials.
  ASSERT_EQ(w.run(with(c, {"--socks5", asocks, "--proxy-user", "zt:s3cret", url + "index"}), &out), 0)
      << out << read_all(alog);
  EXPECT_EQ(out, "hello from b\n");
  ASSERT_EQ(w.run(with(c, {"-p", "-x", "http://" + ahttp, "--proxy-user", "zt:s3cret", url + "index"}), &out), 0)
      << out << read_all(alog);
  EXPECT_EQ(out, "hello from b\n");
  EXPECT_NE(w.run(with(c, {"--socks5", asocks, url + "index"}), &out), 0) << out;
  EXPECT_NE(w.run(with(c, {"--socks5", asocks, "--proxy-user", "zt:wrong", url + "index"}), &out), 0) << out;
  EXPECT_NE(w.run(with(c, {"-f", "-p", "-x", "http://" + ahttp, url + "index"}), &out), 0) << out;
  EXPECT_NE(out.find("407"), std::string::npos) << out;
  // Nothing listens on b:8099: SOCKS5 reply 5 (connection refused), HTTP 502.
  EXPECT_NE(w.run(with(c, {"--socks5", socks, "http://" + b_ip + ":8099/"}), &out), 0);
  EXPECT_NE(out.find("(5)"), std::string::npos) << out;
  EXPECT_NE(w.run(with(c, {"-p", "-x", "http://" + http_proxy, "http://" + b_ip + ":8099/"}), &out), 0);
  EXPECT_NE(out.find("502"), std::string::npos) << out;

  // SIGINT: expose stops cleanly and prints its counters.
  ::kill(expose_pid, SIGINT);
  EXPECT_EQ(w.procs.wait_exit(expose_pid, 10000), 0) << read_all(elog);
  const std::string summary = line_after(read_all(elog), "zt expose: SIGINT: ");
  EXPECT_NE(summary.find("connections accepted=12 active=0 completed=12 failed=0"), std::string::npos) << read_all(elog);
  EXPECT_EQ(http.accepted(), 12);
  w.procs.kill_all();
}

TEST(ZtExpose, UploadWithHalfCloseAndAClosedLocalPort) {
  world w;
  if (w.zt.empty() || !fs::exists(w.zt)) GTEST_SKIP() << "zt binary not built";
  ASSERT_TRUE(w.start());
  kernel_server sink(sink_handler);
  ASSERT_GT(sink.port(), 0);
  // A local port with nothing behind it: bind, then close.
  int closed_port = 0;
  {
    kernel_server gone([](int) {});
    closed_port = gone.port();
  }
  const fs::path elog = w.spawn({"expose", "9000", "--to", "127.0.0.1:" + std::to_string(sink.port()),
                                 "--stats-interval", "1"}, "b");
  const fs::path e2log = w.spawn({"expose", "9001", "--to", "127.0.0.1:" + std::to_string(closed_port)}, "c");
  const std::string b_ip = first_ip(w.wait_line(elog, "exposing "));
  const std::string c_ip = first_ip(w.wait_line(e2log, "exposing "));
  ASSERT_FALSE(b_ip.empty()) << read_all(elog);
  ASSERT_FALSE(c_ip.empty()) << read_all(e2log);

  // `zt call` sends the file and shuts down its writing at EOF of stdin; the sink sees the EOF
  // only if expose passes the FIN on, and answers after it.
  std::string data = big_body().substr(0, 2 * 1024 * 1024);
  const fs::path in = w.tmp.path / "upload.bin";
  std::ofstream(in, std::ios::binary) << data;
  std::string cmd = w.zt + " call " + b_ip + ":9000";
  for (const auto& a : w.node("d")) cmd += " " + a;
  std::string out;
  ASSERT_EQ(w.run({"/bin/sh", "-c", cmd + " < " + in.string()}, &out), 0) << out << read_all(elog);
  EXPECT_NE(out.find("got " + std::to_string(data.size()) + " " + std::to_string(fnv1a(data))), std::string::npos)
      << out;
  // The stats line comes by itself (--stats-interval 1).
  EXPECT_TRUE(wait_until(w.deadline, [&] {
    return read_all(elog).find("completed=1 failed=0 rejected=0 bytes to_zt=") != std::string::npos;
  })) << read_all(elog);

  // The local service is down: the caller's connection is reset, expose counts a failure.
  // A fresh state folder: a node that rejoins from a cached config waits longer for it.
  cmd = "echo hi | " + w.zt + " call " + c_ip + ":9001";
  for (const auto& a : w.node("e")) cmd += " " + a;
  EXPECT_NE(w.run({"/bin/sh", "-c", cmd}, &out), 0) << out;
  EXPECT_TRUE(wait_until(w.deadline, [&] { return read_all(e2log).find("Connection refused") != std::string::npos; }))
      << read_all(e2log);
  w.procs.kill_all();  // SIGTERM: a clean stop with counters
  EXPECT_NE(read_all(e2log).find("zt expose: SIGTERM: connections accepted=1 active=0 completed=0 failed=1"),
            std::string::npos)
      << read_all(e2log);
}

// Resident memory of process `pid` in KiB (0 if unknown).
long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

// The last "from_zt=N" in an expose log (-1 if none yet).
long long last_from_zt(const std::string& log) {
  const auto at = log.rfind("from_zt=");
  return at == std::string::npos ? -1 : std::stoll(log.substr(at + 8));
}

TEST(ZtExpose, BackPressureBoundsMemory) {
  world w;
  if (w.zt.empty() || !fs::exists(w.zt)) GTEST_SKIP() << "zt binary not built";
  ASSERT_TRUE(w.start());
  // A local service that accepts and never reads: the kernel socket's buffers fill, then
  // expose must stop reading from the network, and the sender must stall.
  std::atomic<bool> release{false};
  kernel_server stall([&](int fd) {
    pollfd p{fd, 0, 0};
    while (!release.load()) ::poll(&p, 1, 20);
  });
  pid_t expose_pid = -1;
  const fs::path elog = w.spawn({"expose", "9002", "--to", "127.0.0.1:" + std::to_string(stall.port()),
                                 "--stats-interval", "1"}, "b", &expose_pid);
  const std::string b_ip = first_ip(w.wait_line(elog, "exposing "));
  ASSERT_FALSE(b_ip.empty()) << read_all(elog);
  const long rss_before = rss_kib(expose_pid);
  constexpr long long offered = 256ll << 20;
  std::string cmd = "head -c " + std::to_string(offered) + " /dev/zero | " + w.zt + " call " + b_ip + ":9002";
  for (const auto& a : w.node("d")) cmd += " " + a;
  const pid_t call = w.procs.spawn({"/bin/sh", "-c", cmd}, w.tmp.path / "call.log");
  // Wait until the bytes delivered to the service stop growing (two equal stats lines).
  long long prev = -2;
  const bool stalled = wait_until(w.deadline, [&] {
    const long long now = last_from_zt(read_all(elog));
    const bool same = now > 0 && now == prev;
    prev = now;
    return same;
  }, 1100ms);
  release.store(true);
  ASSERT_TRUE(stalled) << read_all(elog);
  EXPECT_LT(prev, 64ll << 20) << "bytes handed to the stalled service";
  EXPECT_EQ(w.procs.wait_exit(call, 0), -1) << "the sender finished: nothing held it back";
  const long grown = rss_kib(expose_pid) - rss_before;
  EXPECT_LT(grown, 48 * 1024) << "zt expose grew by " << grown << " KiB while " << offered << " bytes were offered";
  w.procs.kill_all();
}

// A raw SOCKS5 / HTTP client on kernel sockets.
int tcp_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const timeval tv{15, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}
bool send_bytes(int fd, const bytes& b) { return send_str(fd, {reinterpret_cast<const char*>(b.data()), b.size()}); }
bytes recv_exact(int fd, std::size_t n) {
  bytes out(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}
std::string recv_all(int fd) {
  std::string s;
  char buf[4096];
  for (ssize_t r; (r = ::recv(fd, buf, sizeof buf, 0)) > 0;) s.append(buf, static_cast<std::size_t>(r));
  return s;
}
bytes ipv4(const std::string& ip) {
  in_addr a{};
  ::inet_pton(AF_INET, ip.c_str(), &a);
  const auto* p = reinterpret_cast<const std::uint8_t*>(&a);
  return {p[0], p[1], p[2], p[3]};
}
// Greeting (no auth) + request; the 10-byte IPv4 reply (or what came).
bytes socks_request(int port, std::uint8_t cmd, std::uint8_t atyp, const bytes& addr, std::uint16_t dport, int* keep = nullptr) {
  const int fd = tcp_connect(port);
  if (fd < 0) return {};
  bytes out;
  if (send_bytes(fd, {5, 1, 0}) && recv_exact(fd, 2) == bytes{5, 0}) {
    bytes req{5, cmd, 0, atyp};
    req.insert(req.end(), addr.begin(), addr.end());
    req.push_back(static_cast<std::uint8_t>(dport >> 8));
    req.push_back(static_cast<std::uint8_t>(dport));
    if (send_bytes(fd, req)) out = recv_exact(fd, 10);
  }
  if (keep) *keep = fd;
  else ::close(fd);
  return out;
}

TEST(ZtProxy, Socks5AndHttpErrorReplies) {
  world w;
  if (w.zt.empty() || !fs::exists(w.zt)) GTEST_SKIP() << "zt binary not built";
  ASSERT_TRUE(w.start());
  const fs::path plog =
      w.spawn({"proxy", "--socks5", "127.0.0.1:0", "--http", "127.0.0.1:0", "--connect-timeout-ms", "1500"}, "a");
  const std::string socks = w.wait_line(plog, "socks5 proxy on "), http = w.wait_line(plog, "http proxy on ");
  const std::string a_ip = first_ip(w.wait_line(plog, "proxying to network " + w.nwid + " from "));
  ASSERT_FALSE(a_ip.empty()) << read_all(plog);
  const int sport = std::stoi(socks.substr(socks.rfind(':') + 1)), hport = std::stoi(http.substr(http.rfind(':') + 1));
  // Another member, b: its stack answers a port nobody listens on with RST.
  const fs::path blog = w.spawn({"listen", "7000"}, "b");
  const std::string b_ip = first_ip(w.wait_line(blog, "listening on "));
  ASSERT_FALSE(b_ip.empty()) << read_all(blog);
  const bytes here = ipv4(b_ip);
  const bytes absent = ipv4("10.147.62.250");  // no such member: no ARP answer, the connect times out

  bytes r = socks_request(sport, 1, 1, here, 9);
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ(r[1], 5) << "refused";
  r = socks_request(sport, 1, 1, absent, 80);
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ(r[1], 4) << "timed out: host unreachable";
  r = socks_request(sport, 2, 1, here, 80);  // BIND
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ(r[1], 7);
  r = socks_request(sport, 9, 1, here, 80);  // no such command
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ(r[1], 7);
  r = socks_request(sport, 1, 9, here, 80);  // no such address type
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ(r[1], 8);
  bytes name{11};
  for (char ch : std::string("example.com")) name.push_back(static_cast<std::uint8_t>(ch));
  r = socks_request(sport, 1, 3, name, 80);  // names are not resolved
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ(r[1], 4);
  {  // only user/password offered while none is configured: "no acceptable methods"
    const int fd = tcp_connect(sport);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_bytes(fd, {5, 1, 2}));
    EXPECT_EQ(recv_exact(fd, 2), (bytes{5, 0xff}));
    ::close(fd);
  }
  {  // not SOCKS5 at all: closed without an answer
    const int fd = tcp_connect(sport);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_bytes(fd, {4, 1, 0, 80, 10, 0, 0, 1, 0}));
    EXPECT_EQ(recv_all(fd), "");
    ::close(fd);
  }
  const auto http_status = [&](const std::string& req) {
    const int fd = tcp_connect(hport);
    if (fd < 0) return std::string("no connection");
    (void)send_str(fd, req);
    std::string s = recv_all(fd);
    ::close(fd);
    return s.substr(0, s.find("\r\n"));
  };
  EXPECT_EQ(http_status("CONNECT " + b_ip + ":9 HTTP/1.1\r\n\r\n"), "HTTP/1.1 502 Bad Gateway");
  EXPECT_EQ(http_status("CONNECT 10.147.62.250:80 HTTP/1.1\r\n\r\n"), "HTTP/1.1 504 Gateway Timeout");
  EXPECT_EQ(http_status("CONNECT example.com:80 HTTP/1.1\r\n\r\n"), "HTTP/1.1 502 Bad Gateway");
  EXPECT_EQ(http_status("CONNECT 10.0.0.1 HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(http_status("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(http_status("hello\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  w.procs.kill_all();
  EXPECT_NE(read_all(plog).find("zt proxy: SIGTERM: connections accepted=14 active=0 completed=0 failed=14"),
            std::string::npos)
      << read_all(plog);
}

TEST(ZtProxy, Socks5UdpAssociateRoundTrip) {
  world w;
  if (w.zt.empty() || !fs::exists(w.zt)) GTEST_SKIP() << "zt binary not built";
  const fs::path responder = fs::path(ZTKIT_EXAMPLES_DIR) / "example_udp_responder";
  if (!fs::exists(responder)) GTEST_SKIP() << "example_udp_responder not built";
  ASSERT_TRUE(w.start());
  const fs::path blog = w.tmp.path / "responder.log";
  ASSERT_GT(w.procs.spawn({responder.string(), (w.tmp.path / "b").string(), w.nwid, "9000"}, blog), 0);
  const fs::path plog = w.spawn({"proxy", "--socks5", "127.0.0.1:0"}, "a");
  const std::string socks = w.wait_line(plog, "socks5 proxy on ");
  ASSERT_FALSE(w.wait_line(plog, "proxying to network ").empty()) << read_all(plog);
  ASSERT_TRUE(wait_until(w.deadline, [&] { return read_all(blog).find("answering on") != std::string::npos; }))
      << read_all(blog);
  std::string b_line = read_all(blog);
  b_line = b_line.substr(b_line.find(" as ") + 4);
  const std::string b_ip = first_ip(b_line);
  const int sport = std::stoi(socks.substr(socks.rfind(':') + 1));

  int ctl = -1;
  const bytes r = socks_request(sport, 3, 1, {0, 0, 0, 0}, 0, &ctl);
  ASSERT_EQ(r.size(), 10u);
  ASSERT_EQ(r[1], 0) << read_all(plog);
  ASSERT_EQ(r[3], 1);
  sockaddr_in relay{};
  relay.sin_family = AF_INET;
  std::memcpy(&relay.sin_addr, &r[4], 4);
  std::memcpy(&relay.sin_port, &r[8], 2);
  const int u = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bytes dgram{0, 0, 0, 1};
  const bytes dst = ipv4(b_ip);
  dgram.insert(dgram.end(), dst.begin(), dst.end());
  dgram.insert(dgram.end(), {0x23, 0x28});  // 9000
  for (char ch : std::string("hello over socks5 udp")) dgram.push_back(static_cast<std::uint8_t>(ch));
  // UDP may lose the first datagram while ARP resolves: resend until the answer comes.
  bytes answer;
  while (answer.empty() && std::chrono::steady_clock::now() < w.deadline) {
    ::sendto(u, dgram.data(), dgram.size(), 0, reinterpret_cast<sockaddr*>(&relay), sizeof relay);
    pollfd p{u, POLLIN, 0};
    if (::poll(&p, 1, 500) == 1) {
      answer.resize(65536);
      const ssize_t n = ::recv(u, answer.data(), answer.size(), 0);
      answer.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    }
  }
  ASSERT_GE(answer.size(), 10u) << read_all(plog);
  // RSV RSV FRAG ATYP=1 b's address, port 9000, then the responder's upper-cased text.
  EXPECT_EQ(bytes(answer.begin(), answer.begin() + 4), (bytes{0, 0, 0, 1}));
  EXPECT_EQ(bytes(answer.begin() + 4, answer.begin() + 8), dst);
  EXPECT_EQ(answer[8], 0x23);
  EXPECT_EQ(answer[9], 0x28);
  EXPECT_EQ(std::string(answer.begin() + 10, answer.end()), "HELLO OVER SOCKS5 UDP");
  ::close(u);
  ::close(ctl);  // ends the association
  w.procs.kill_all();
  EXPECT_NE(read_all(plog).find("completed=1"), std::string::npos) << read_all(plog);
  EXPECT_NE(read_all(plog).find("datagrams to_zt="), std::string::npos) << read_all(plog);
}

}  // namespace
}  // namespace ztkit
