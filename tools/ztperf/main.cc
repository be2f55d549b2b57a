// ztperf: an iperf3-like tool for ztkit. Throughput (TCP, several streams, reverse and both
// ways), UDP at a target bitrate with loss and jitter, and TCP request/response latency between
// two ztkit nodes on a ZeroTier network, through ztkit's public API only (include/ztkit). The
// same workloads over kernel sockets (--kernel ADDR) measure baselines such as kernel loopback.
//
//   ztperf -s --state DIR --network NWID [--planet FILE] [--listen ADDR:PORT] [--port N] [-1]
//   ztperf -c 10.147.17.2 --state DIR --network NWID [-t 10] [-P 4] [-R | --bidir] [-l BYTES]
//   ztperf -c 10.147.17.2 ... -u -b 100M          UDP, paced to 100 Mbit/s
//   ztperf -c 10.147.17.2 ... --latency 10000     10000 exchanges of -l bytes (default 64)
//   ztperf --local [-t 3 ...]                      root + controller + server + client in one
//                                                  process, over 127.0.0.1
//   ztperf --kernel 127.0.0.1 -s / -c 127.0.0.1    kernel sockets bound to that address
//   ztperf --local --kernel 127.0.0.1              the same in one process
//
// The control protocol (like iperf3's): the client opens a TCP connection to --port and sends
// one JSON line {"type":"params", kind, reverse, bidir, seconds, parallel, length, rate_bps,
// count, idle, cookie, udp_port}; the server answers {"type":"ok"} (or {"type":"error","message"}).
// The client opens `idle` idle connections, then its data connections to the same port, each
// starting with a 16-byte header (magic, cookie, stream index, role: 0 client sends, 1 server
// sends, 2 echo, 3 idle: held open and silent until the test ends); UDP goes to the
// server's --port and back to the client's udp_port. The server says {"type":"start"}; both
// run for `seconds` (senders then half-close; UDP senders send FIN datagrams). The client sends
// {"type":"done", udp: [...]} and the server answers {"type":"results", streams, udp, cpu_s}.
// Each UDP datagram carries a sequence number (u64), its send time (u64 ns, steady clock) and
// a magic (u32): loss = sent - received, jitter as RFC 3550 (J += (|D| - J) / 16).
//
// --json prints one object (numbers in bytes, seconds, Mbit/s = 10^6 bit/s, microseconds):
//   {
//     "version": 1,
//     "transport": "ztkit" | "kernel",
//     "server": "10.147.77.2:5201",
//     "test": {"kind": "tcp"|"udp"|"latency", "reverse", "bidir", "seconds", "parallel",
//              "length", "rate_bps", "count", "idle"},
//     "intervals": [{"start", "end", "sent_bytes", "sent_mbps",            (client -> server)
//                    "received_bytes", "received_mbps"}],                   (server -> client)
//     "tcp": {"client_to_server" | "server_to_client": {                   (kind "tcp")
//               "bytes", "seconds", "mbps",          goodput counted by the receiver
//               "retransmits",                       the sender's TcpStats, all streams
//               "streams": [{"index", "bytes", "seconds", "mbps", "retransmits", "srtt_ms",
//                            "cwnd", "mss", "error"?}]}},
//     "udp": {"client_to_server" | "server_to_client": {                   (kind "udp")
//               "datagrams_sent", "datagrams_received", "lost", "loss_pct", "out_of_order",
//               "jitter_ms", "bytes", "seconds", "mbps", "sent_mbps", "send_errors",
//               "receive_drops", "error"?}},
//     "latency": {"count", "length", "min_us", "mean_us", "p50_us", "p90_us", "p99_us",
//                 "p999_us", "max_us", "histogram": [{"lo_us", "hi_us", "count"}]},
//     "cpu": {"client_s", "server_s", "same_process",   getrusage of each process over the test
//             "s_per_gbit"}                              CPU seconds per Gbit of goodput (both
//   }                                                    processes; once with same_process)
//   "local": {"join_ms", "nodes", "shards"} is added by --local (ztkit).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tools/ztperf/perf.h"
#include "tools/ztperf/transport.h"
#include "ztkit/node.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

struct Options {
  bool server = false;
  std::string client_host;
  bool local = false;
  std::string kernel;
  std::string state, planet, network, listen = "0.0.0.0:0";
  bool allow_loopback = false;
  bool no_offload = false;
  int shards = 1;
  std::string backend = "auto";
  int port = 5201;
  bool port_given = false;
  int join_timeout = 60;
  bool one_off = false;
  int seconds = 10;
  int parallel = 1;
  bool reverse = false, bidir = false, udp = false;
  std::string length, rate;
  int latency = 0;
  int idle = 0;
  bool json = false;
};

ztkit::NodeOptions::Backend backend_of(const std::string& name) {
  if (name == "io_uring") return ztkit::NodeOptions::Backend::io_uring;
  if (name == "epoll") return ztkit::NodeOptions::Backend::epoll;
  return ztkit::NodeOptions::Backend::automatic;
}

int runtime_error(const std::string& msg) {
  std::fflush(stdout);
  std::fprintf(stderr, "ztperf: %s\n", msg.c_str());
  return 1;
}

// "100M" -> 100000000 (K, M, G: powers of 1000; a trailing "bit"/"b" is allowed).
std::optional<std::uint64_t> parse_rate(std::string s) {
  if (s.empty()) return std::nullopt;
  for (const char* suffix : {"bit/s", "bps", "bit"})
    if (s.size() > std::strlen(suffix) && s.ends_with(suffix)) s.resize(s.size() - std::strlen(suffix));
  std::uint64_t mul = 1;
  switch (s.back()) {
    case 'k': case 'K': mul = 1000; break;
    case 'm': case 'M': mul = 1000'000; break;
    case 'g': case 'G': mul = 1000'000'000; break;
    default: break;
  }
  if (mul != 1) s.pop_back();
  if (s.empty()) return std::nullopt;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (used != s.size() || v < 0 || v * mul > 1e13) return std::nullopt;
  return static_cast<std::uint64_t>(v * mul);
}

// "1200", "64K", "1M" (K, M: powers of 1024).
std::optional<std::size_t> parse_length(std::string s) {
  if (s.empty()) return std::nullopt;
  std::size_t mul = 1;
  if (s.back() == 'k' || s.back() == 'K') mul = 1024;
  else if (s.back() == 'm' || s.back() == 'M') mul = 1024 * 1024;
  if (mul != 1) s.pop_back();
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9)
    return std::nullopt;
  const std::size_t v = std::stoull(s) * mul;
  if (v == 0 || v > (16u << 20)) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> parse_nwid(const std::string& s) {
  if (s.size() != 16 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return std::nullopt;
  return std::stoull(s, nullptr, 16);
}

ztperf::TestParams test_params(const Options& o) {
  ztperf::TestParams p;
  p.kind = o.latency > 0 ? "latency" : (o.udp ? "udp" : "tcp");
  p.reverse = o.reverse;
  p.bidir = o.bidir;
  p.seconds = o.seconds;
  p.parallel = o.parallel;
  p.count = o.latency;
  p.idle = o.idle;
  p.length = !o.length.empty() ? *parse_length(o.length)
             : p.kind == "udp"     ? 1200
             : p.kind == "latency" ? 64
                                   : 128 * 1024;
  p.rate_bps = p.kind == "udp" ? (o.rate.empty() ? 1'000'000 : *parse_rate(o.rate)) : 0;
  return p;
}

std::string describe(const ztperf::TestParams& p) {
  if (p.kind == "latency") return fmt::format("latency, {} exchanges of {} bytes", p.count, p.length);
  const char* dir = p.bidir ? "both ways" : (p.reverse ? "server -> client" : "client -> server");
  if (p.kind == "udp")
    return fmt::format("udp, {} bytes at {:.1f} Mbit/s, {} s, {}", p.length, p.rate_bps / 1e6,
                       p.seconds, dir);
  return fmt::format("tcp, {} stream{}, {} s, {}", p.parallel, p.parallel == 1 ? "" : "s",
                     p.seconds, dir);
}

// Runs the client and prints its results; the exit status.
int client(ztperf::Transport& t, const Options& o, const ztperf::SocketAddress& server,
           bool same_process, const json& extra) {
  ztperf::ClientSettings cs;
  cs.params = test_params(o);
  cs.server = server;
  cs.intervals = !o.json;
  cs.same_process = same_process;
  if (!o.json)
    std::printf("ztperf: connecting to %s over %s (%s)\n", server.to_string().c_str(), t.name(),
                describe(cs.params).c_str());
  std::fflush(stdout);
  auto r = ztperf::run_client(t, cs);
  if (!r) return runtime_error(r.error().message);
  for (const auto& [k, v] : extra.items()) (*r)[k] = v;
  if (o.json) std::printf("%s\n", r->dump(2).c_str());
  else ztperf::print_summary(*r);
  std::fflush(stdout);
  return 0;
}

ztperf::IpAddress parse_host(const std::string& host, bool& ok) {
  auto ip = ztperf::IpAddress::parse(host);
  if (!ip && host == "localhost") ip = ztperf::IpAddress::v4(127, 0, 0, 1);
  ok = ip.has_value();
  return ip.value_or(ztperf::IpAddress{});
}

// --local: root + controller, a private network, a server node and a client node in this
// process (like `zt demo`), then the client's test against the server.
int run_local(const Options& o) {
  if (!o.kernel.empty()) {
    bool ok = false;
    const auto ip = parse_host(o.kernel, ok);
    auto t = ztperf::make_kernel_transport(ip);
    auto l = t->listen(o.port_given ? static_cast<std::uint16_t>(o.port) : 0);
    if (!l) return runtime_error("listen: " + l.error().message);
    int server_rc = 0;
    std::thread srv([&] { server_rc = ztperf::serve(*t, **l, true, false); });
    const int rc = client(*t, o, {ip, (*l)->port()}, true, json::object());
    if (rc != 0) {
      std::fflush(nullptr);
      std::_Exit(rc);  // the server thread may wait on a connection that never comes
    }
    srv.join();
    return server_rc;
  }
  fs::path dir;
  bool remove = false;
  if (!o.state.empty()) {
    dir = o.state;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return runtime_error("cannot create " + dir.string() + ": " + ec.message());
  } else {
    char templ[] = "/tmp/ztperf-local-XXXXXX";
    if (::mkdtemp(templ) == nullptr) return runtime_error("cannot make a temporary folder");
    dir = templ;
    remove = true;
  }
  struct cleanup {
    fs::path d;
    bool on;
    ~cleanup() {
      std::error_code ec;
      if (on) fs::remove_all(d, ec);
    }
  } cleanup{dir, remove};
  auto fail = [&](const std::string& m) { return runtime_error(m); };
  auto say = [&](const std::string& m) {
    if (!o.json) std::printf("ztperf --local: %s\n", m.c_str());
    std::fflush(stdout);
  };

  ztkit::NodeOptions ro;
  ro.state_dir = (dir / "root").string();
  ro.listen = "127.0.0.1:0";
  ro.allow_loopback = true;
  ro.udp_offload = !o.no_offload;
  ro.controller = true;
  std::uint16_t root_port = 0;
  {
    auto probe = ztkit::Node::start(ro);
    if (!probe) return fail("root node: " + probe.error().message);
    root_port = (*probe)->local_endpoint().port;
  }
  ro.listen = "127.0.0.1:" + std::to_string(root_port);
  ro.root_endpoint = ztkit::SocketAddress::parse(ro.listen);
  auto root = ztkit::Node::start(ro);
  if (!root) return fail("root node: " + root.error().message);
  ztkit::ControllerNetwork cn;
  cn.suffix = 0x5201;
  cn.name = "ztperf-local";
  cn.pool_first = ztkit::IpAddress::v4(10, 147, 52, 1);
  cn.pool_last = ztkit::IpAddress::v4(10, 147, 52, 254);
  auto nwid = (*root)->create_network(cn);
  if (!nwid) return fail("create network: " + nwid.error().message);
  say(fmt::format("root + controller {} at {}, network {:016x}", (*root)->address(), ro.listen, *nwid));

  // The members start at once (a new identity costs a second or more of CPU each).
  std::unique_ptr<ztkit::Node> m[2];
  const char* names[2] = {"server", "client"};
  std::optional<ztkit::Expected<std::unique_ptr<ztkit::Node>>> started[2];
  {
    std::thread th[2];
    for (int i = 0; i < 2; ++i)
      th[i] = std::thread([&, i] {
        ztkit::NodeOptions mo;
        mo.state_dir = (dir / names[i]).string();
        mo.listen = "127.0.0.1:0";
        mo.planet_file = (*root)->planet_file();
        mo.allow_loopback = true;
        mo.udp_offload = !o.no_offload;
        mo.shards = static_cast<unsigned>(o.shards);
        mo.backend = backend_of(o.backend);
        started[i].emplace(ztkit::Node::start(mo));
      });
    for (auto& t : th) t.join();
  }
  for (int i = 0; i < 2; ++i) {
    auto& n = *started[i];
    if (!n) return fail(std::string(names[i]) + " node: " + n.error().message);
    m[i] = std::move(*n);
    if (auto a = (*root)->authorize(*nwid, m[i]->address()); !a) return fail(a.error().message);
  }
  const auto t_join = clock_type::now();
  for (auto& n : m)
    if (auto j = n->join(*nwid); !j) return fail(j.error().message);
  ztkit::IpAddress ip[2];
  for (int i = 0; i < 2; ++i) {
    auto info = m[i]->wait_network_ready(*nwid, std::chrono::seconds(o.join_timeout));
    if (!info) return fail(fmt::format("{} node did not join: {}", names[i], info.error().message));
    ip[i] = info->addresses.at(0).ip;
  }
  const double join_ms = std::chrono::duration<double, std::milli>(clock_type::now() - t_join).count();
  say(fmt::format("server node {} at {}, client node {} at {}, joined in {:.1f} ms", m[0]->address(),
                  ip[0].to_string(), m[1]->address(), ip[1].to_string(), join_ms));

  int server_rc = 0;
  {
    auto st = ztperf::make_ztkit_transport(*m[0], *nwid);
    auto ct = ztperf::make_ztkit_transport(*m[1], *nwid);
    auto l = st->listen(static_cast<std::uint16_t>(o.port));
    if (!l) return fail("listen: " + l.error().message);
    std::thread srv([&] { server_rc = ztperf::serve(*st, **l, true, false); });
    const json extra = {{"local", {{"join_ms", join_ms},
                                   {"shards", o.shards},
                                   {"nodes", {{"root", (*root)->address()},
                                              {"server", m[0]->address()},
                                              {"client", m[1]->address()}}}}}};
    const int rc = client(*ct, o, {ip[0], static_cast<std::uint16_t>(o.port)}, true, extra);
    if (rc != 0) {
      std::fflush(nullptr);
      std::error_code ec;
      if (remove) fs::remove_all(dir, ec);
      std::_Exit(rc);  // the server thread may wait on a connection that never comes
    }
    srv.join();
  }
  for (auto& n : m) n->stop();
  (*root)->stop();
  return server_rc;
}

int run_node(const Options& o) {
  const auto nwid = *parse_nwid(o.network);
  bool ok = true;
  ztperf::IpAddress host;
  if (!o.server) {
    host = parse_host(o.client_host, ok);
    if (!ok) return runtime_error("unknown host '" + o.client_host +
                                  "': give the server's managed IP address on the network");
  }
  ztkit::NodeOptions no;
  no.state_dir = o.state;
  no.planet_file = o.planet;
  no.listen = o.listen;
  no.allow_loopback = o.allow_loopback;
  no.udp_offload = !o.no_offload;
  no.shards = static_cast<unsigned>(o.shards);
  no.backend = backend_of(o.backend);
  auto node = ztkit::Node::start(no);
  if (!node) return runtime_error("cannot start the node: " + node.error().message);
  if (auto j = (*node)->join(nwid); !j) return runtime_error("join: " + j.error().message);
  if (!o.json)
    std::printf("ztperf: node %s (UDP %s) joining network %016llx\n", (*node)->address().c_str(),
                (*node)->local_endpoint().to_string().c_str(), static_cast<unsigned long long>(nwid));
  std::fflush(stdout);
  auto info = (*node)->wait_network_ready(nwid, std::chrono::seconds(o.join_timeout));
  if (!info) {
    std::string status;
    if (auto n = (*node)->network(nwid)) status = std::string(" (status ") + ztkit::to_string(n->status) + ")";
    return runtime_error(fmt::format("network {:016x} not ready after {} s: {}{}", nwid,
                                     o.join_timeout, info.error().message, status));
  }
  auto t = ztperf::make_ztkit_transport(**node, nwid);
  int rc = 0;
  if (o.server) {
    auto l = t->listen(static_cast<std::uint16_t>(o.port));
    if (!l) return runtime_error("listen: " + l.error().message);
    std::string addrs;
    for (const auto& a : info->addresses) addrs += (addrs.empty() ? "" : ", ") + a.ip.to_string();
    std::printf("ztperf server listening on port %d (node %s, network %016llx, %s)\n", o.port,
                (*node)->address().c_str(), static_cast<unsigned long long>(nwid), addrs.c_str());
    std::fflush(stdout);
    rc = ztperf::serve(*t, **l, o.one_off, true);
  } else {
    rc = client(*t, o, {host, static_cast<std::uint16_t>(o.port)}, false, json::object());
  }
  (*node)->stop();
  return rc;
}

int run_kernel(const Options& o) {
  bool ok = false;
  const auto local = parse_host(o.kernel, ok);
  auto t = ztperf::make_kernel_transport(local);
  if (o.server) {
    auto l = t->listen(static_cast<std::uint16_t>(o.port));
    if (!l) return runtime_error("listen: " + l.error().message);
    std::printf("ztperf server listening on %s:%d (kernel sockets)\n", local.to_string().c_str(),
                (*l)->port());
    std::fflush(stdout);
    return ztperf::serve(*t, **l, o.one_off, true);
  }
  const auto host = parse_host(o.client_host, ok);
  if (!ok) return runtime_error("unknown host '" + o.client_host + "': give an IP address");
  return client(*t, o, {host, static_cast<std::uint16_t>(o.port)}, false, json::object());
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options o;
  CLI::App app{"ztperf: iperf3-like throughput, loss and latency tests between ztkit nodes"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  auto* s = app.add_flag("-s,--server", o.server, "Run as a server");
  auto* c = app.add_option("-c,--client", o.client_host, "Run as a client of the server at HOST (a managed IP)");
  auto* local = app.add_flag("--local", o.local,
                             "Self-contained: root + controller + server + client nodes in this process");
  auto* kernel = app.add_option("--kernel", o.kernel, "Use kernel sockets bound to this local address (no node)")
                     ->check([](const std::string& v) {
                       return ztperf::IpAddress::parse(v) || v == "localhost" ? std::string()
                                                                              : "not an IP address: " + v;
                     });
  auto* state = app.add_option("--state", o.state, "The node's state folder");
  auto* planet = app.add_option("--planet", o.planet, "A planet file (default: Earth, or <state>/planet)");
  auto* network = app.add_option("--network", o.network, "Network ID to join (16 hex digits)")
                      ->check([](const std::string& v) {
                        return parse_nwid(v) ? std::string() : "not a network ID (16 hex digits): " + v;
                      });
  auto* listen = app.add_option("--listen", o.listen, "The node's UDP address")->capture_default_str()
                     ->check([](const std::string& v) {
                       return ztkit::SocketAddress::parse(v) ? std::string() : "not ADDR:PORT: " + v;
                     });
  auto* loop = app.add_flag("--allow-loopback", o.allow_loopback, "Accept loopback paths (tests on one machine)");
  app.add_flag("--no-offload", o.no_offload,
               "Nodes send and receive one UDP datagram per system call (no GSO/GRO, 1.14's "
               "fragment split), as zerotier-one does: the baseline for the offload");
  auto* shards = app.add_option("--shards", o.shards,
                                "Data shards per ztkit node (NodeOptions::shards): TCP connections "
                                "are spread over them by their addresses and ports")
                     ->capture_default_str()
                     ->check(CLI::Range(1, 64));
  app.add_option("--backend", o.backend, "The ztkit nodes' I/O backend (NodeOptions::backend)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "io_uring", "epoll"}));
  auto* port = app.add_option("-p,--port", o.port, "The server's TCP/UDP port")->capture_default_str()->check(CLI::Range(1, 65535));
  auto* jt = app.add_option("--join-timeout", o.join_timeout, "Seconds to wait for the network")->capture_default_str()
                 ->check(CLI::Range(1, 3600));
  app.add_flag("-1,--one-off", o.one_off, "Server: serve one test, then exit");
  app.add_option("-t,--time", o.seconds, "Seconds to transmit")->capture_default_str()->check(CLI::Range(1, 86400));
  auto* par = app.add_option("-P,--parallel", o.parallel, "Parallel TCP streams")->capture_default_str()->check(CLI::Range(1, 128));
  app.add_option("--idle", o.idle,
                 "Idle TCP connections the client opens first and holds open, silent, during the "
                 "test (how the node scales with connections; kernel sockets need ulimit -n)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  auto* rev = app.add_flag("-R,--reverse", o.reverse, "The server sends");
  auto* bid = app.add_flag("--bidir", o.bidir, "Both send");
  app.add_option("-l,--length", o.length, "Bytes per write / datagram / request (K, M suffixes)")
      ->check([](const std::string& v) {
        return parse_length(v) ? std::string() : "not a length (1 to 16M bytes): " + v;
      });
  auto* u = app.add_flag("-u,--udp", o.udp, "UDP instead of TCP");
  auto* b = app.add_option("-b,--bitrate", o.rate, "UDP target bitrate, bit/s (K, M, G suffixes; 0: unlimited; default 1M)")
                ->check([](const std::string& v) {
                  return parse_rate(v) ? std::string() : "not a bitrate: " + v;
                });
  auto* lat = app.add_option("--latency", o.latency, "TCP request/response exchanges (NODELAY) instead of bulk")
                  ->check(CLI::Range(1, 10'000'000));
  app.add_flag("--json", o.json, "Print the results as one JSON object");
  s->excludes(c)->excludes(local);
  c->excludes(local);
  rev->excludes(bid);
  lat->excludes(u)->excludes(rev)->excludes(bid)->excludes(par);
  b->needs(u);
  (void)planet; (void)loop; (void)jt; (void)listen; (void)kernel;
  try {
    app.parse(argc, argv);
    if (!o.server && o.client_host.empty() && !o.local)
      throw CLI::ValidationError("one of -s, -c HOST or --local is required");
    if (!o.local && o.kernel.empty()) {
      if (state->count() == 0) throw CLI::ValidationError("--state DIR is required (except with --local or --kernel)");
      if (network->count() == 0) throw CLI::ValidationError("--network NWID is required (except with --local or --kernel)");
    }
    if (o.udp && o.parallel > 1) throw CLI::ValidationError("-P applies to TCP only (use one UDP flow)");
    if (shards->count() > 0 && !o.kernel.empty())
      throw CLI::ValidationError("--shards applies to ztkit nodes, not to --kernel");
    if (o.udp && !o.length.empty() && (*parse_length(o.length) < 20 || *parse_length(o.length) > 65507))
      throw CLI::ValidationError("-l with -u must be 20 to 65507 bytes");
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "ztperf: %s\n", e.what());
    return 2;
  }
  o.port_given = port->count() > 0;
  if (o.local) return run_local(o);
  if (!o.kernel.empty()) return run_kernel(o);
  return run_node(o);
}
