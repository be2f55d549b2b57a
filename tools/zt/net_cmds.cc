// The everyday `zt` commands, on the public API only (include/ztkit): each starts a node from
// --state (the networks it joined before come back by themselves), does one thing and stops.
//   zt info | join NWID | leave NWID | networks | ping HOST | listen PORT | call HOST:PORT|URL |
//   udp-listen PORT | udp-send HOST:PORT MESSAGE
// Formats follow zerotier-cli where it has the command ("200 info ...", "200 listnetworks ...");
// --json prints machine-readable output. Progress lines go to stderr only on a terminal.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tools/zt/commands.h"
#include "tools/zt/http_call.h"
#include "tools/zt/http_message.h"
#include "ztkit/node.h"
#include "ztkit/tcp.h"
#include "ztkit/udp.h"

namespace ztkit::tools {

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

struct common_options {
  std::string state;
  std::string planet;
  std::string listen;  // empty: 0.0.0.0 on the port this state folder used last time
  bool allow_loopback = false;
  std::string network;
  int timeout_ms = 30000;
  bool json_out = false;
};

std::string default_state() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.ztkit";
}

void add_common(CLI::App* cmd, common_options& o, bool needs_network) {
  cmd->add_option("--state", o.state, "State folder (default ~/.ztkit)");
  cmd->add_option("--planet", o.planet, "Planet file (default: the state folder's, else Earth)");
  cmd->add_option("--listen", o.listen,
                  "The node's UDP address (default 0.0.0.0 on the state folder's last port, "
                  "kept in <state>/zt.port, like zerotier-one's fixed 9993)");
  cmd->add_flag("--allow-loopback", o.allow_loopback, "Accept loopback paths (one-machine tests)");
  auto* net = cmd->add_option("--network,-n", o.network, "Network ID (16 hex digits)");
  if (needs_network) net->required();
  net->check([](const std::string& s) {
    return s.size() == 16 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos
               ? std::string()
               : "a network ID is 16 hex digits: " + s;
  });
  cmd->add_option("--timeout-ms", o.timeout_ms, "How long to wait for the network / answers")
      ->check(CLI::Range(1, 3'600'000));
  cmd->add_flag("--json", o.json_out, "Machine-readable output");
}

void progress(const std::string& s) {
  if (::isatty(2)) std::fprintf(stderr, "%s\n", s.c_str());
}

int failed(const std::string& cmd, const std::string& why) {
  std::fprintf(stderr, "zt %s: %s\n", cmd.c_str(), why.c_str());
  return 1;
}

// Every command is a new process: keeping the UDP port between runs (as zerotier-one keeps
// 9993) lets roots and peers keep using the path they know instead of an old, dead one for as
// long as 1.14 still calls it alive (19 s).
Expected<std::unique_ptr<Node>> start_node(const common_options& o) {
  NodeOptions no;
  no.state_dir = o.state.empty() ? default_state() : o.state;
  no.planet_file = o.planet;
  no.allow_loopback = o.allow_loopback;
  const std::string port_file = no.state_dir + "/zt.port";
  no.listen = o.listen;
  if (no.listen.empty()) {
    int port = 0;
    if (FILE* f = std::fopen(port_file.c_str(), "r")) {
      if (std::fscanf(f, "%d", &port) != 1 || port < 0 || port > 65535) port = 0;
      std::fclose(f);
    }
    no.listen = "0.0.0.0:" + std::to_string(port);
    auto n = Node::start(no);
    if (!n && port != 0) {  // the port is taken now: any port
      no.listen = "0.0.0.0:0";
      n = Node::start(no);
    }
    if (n)
      if (FILE* f = std::fopen(port_file.c_str(), "w")) {
        std::fprintf(f, "%u\n", static_cast<unsigned>((*n)->local_endpoint().port));
        std::fclose(f);
      }
    return n;
  }
  return Node::start(std::move(no));
}

std::uint64_t nwid_of(const std::string& s) { return std::stoull(s, nullptr, 16); }

// Starts the node, joins --network and waits for an address.
struct on_network {
  std::unique_ptr<Node> node;
  std::uint64_t nwid = 0;
  NetworkInfo info;
};
Expected<on_network> join_network(const common_options& o) {
  auto n = start_node(o);
  if (!n) return n.error();
  on_network out;
  out.node = std::move(*n);
  out.nwid = nwid_of(o.network);
  progress(fmt::format("joining {:016x} as {} ...", out.nwid, out.node->address()));
  if (auto j = out.node->join(out.nwid); !j) return j.error();
  auto info = out.node->wait_network_ready(out.nwid, std::chrono::milliseconds(o.timeout_ms));
  if (!info) return info.error();
  out.info = *info;
  progress(fmt::format("joined: {}", info->addresses.empty() ? "" : info->addresses[0].to_string()));
  return out;
}

json network_json(const NetworkInfo& n) {
  json ips = json::array();
  for (const auto& a : n.addresses) ips.push_back(a.to_string());
  return {{"nwid", fmt::format("{:016x}", n.id)},
          {"name", n.name},
          {"status", to_string(n.status)},
          {"type", n.is_private ? "PRIVATE" : "PUBLIC"},
          {"mtu", n.mtu},
          {"assignedAddresses", ips}};
}

std::string ips_text(const NetworkInfo& n) {
  std::string s;
  for (const auto& a : n.addresses) s += (s.empty() ? "" : ",") + a.to_string();
  return s.empty() ? "-" : s;
}

std::optional<SocketAddress> host_port(const std::string& s) { return SocketAddress::parse(s); }

}  // namespace

void add_net_commands(CLI::App& app, int& exit_code) {
  // zt info
  {
    auto o = std::make_shared<common_options>();
    CLI::App* cmd = app.add_subcommand("info", "This node's address and whether it reaches its roots");
    add_common(cmd, *o, false);
    cmd->callback([o, &exit_code] {
      auto n = start_node(*o);
      if (!n) {
        exit_code = failed("info", n.error().message);
        return;
      }
      const bool online = (*n)->wait_online(std::chrono::milliseconds(std::min(o->timeout_ms, 10000)));
      if (o->json_out) {
        std::printf("%s\n", json{{"address", (*n)->address()},
                                 {"online", online},
                                 {"version", "ztkit 0.1.0"},
                                 {"planet", (*n)->planet_file()}}
                                .dump(2)
                                .c_str());
      } else {
        std::printf("200 info %s ztkit-0.1.0 %s\n", (*n)->address().c_str(), online ? "ONLINE" : "OFFLINE");
      }
    });
  }
  // zt join NWID
  {
    auto o = std::make_shared<common_options>();
    auto nw = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("join", "Join a network, wait for its address, remember it in the state folder");
    cmd->add_option("network", *nw, "Network ID (16 hex digits)")->required();
    add_common(cmd, *o, false);
    cmd->callback([o, nw, &exit_code] {
      common_options c = *o;
      c.network = *nw;
      if (nw->size() != 16 || nw->find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        exit_code = failed("join", "a network ID is 16 hex digits: " + *nw);
        return;
      }
      auto j = join_network(c);
      if (!j) {
        exit_code = failed("join", j.error().message);
        return;
      }
      if (o->json_out) std::printf("%s\n", network_json(j->info).dump(2).c_str());
      else std::printf("200 join OK %016llx %s\n", static_cast<unsigned long long>(j->nwid), ips_text(j->info).c_str());
    });
  }
  // zt leave NWID
  {
    auto o = std::make_shared<common_options>();
    auto nw = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("leave", "Leave a network and forget its cached config");
    cmd->add_option("network", *nw, "Network ID (16 hex digits)")->required();
    add_common(cmd, *o, false);
    cmd->callback([o, nw, &exit_code] {
      auto n = start_node(*o);
      if (!n) {
        exit_code = failed("leave", n.error().message);
        return;
      }
      std::uint64_t id = 0;
      try {
        id = nwid_of(*nw);
      } catch (...) {
        exit_code = failed("leave", "a network ID is 16 hex digits: " + *nw);
        return;
      }
      if (auto l = (*n)->leave(id); !l) {
        exit_code = failed("leave", l.error().message);
        return;
      }
      std::printf("200 leave OK\n");
    });
  }
  // zt networks
  {
    auto o = std::make_shared<common_options>();
    CLI::App* cmd = app.add_subcommand("networks", "The joined networks with status and addresses");
    add_common(cmd, *o, false);
    cmd->callback([o, &exit_code] {
      auto n = start_node(*o);
      if (!n) {
        exit_code = failed("networks", n.error().message);
        return;
      }
      // Give each network the time to hear from its controller (or to show its cached config).
      for (const auto& net : (*n)->networks())
        (void)(*n)->wait_network_ready(net.id, std::chrono::milliseconds(std::min(o->timeout_ms, 5000)));
      json arr = json::array();
      if (!o->json_out) std::printf("200 listnetworks <nwid> <name> <status> <type> <ZT assigned ips>\n");
      for (const auto& net : (*n)->networks()) {
        if (o->json_out) arr.push_back(network_json(net));
        else
          std::printf("200 listnetworks %016llx %s %s %s %s\n", static_cast<unsigned long long>(net.id),
                      net.name.empty() ? "-" : net.name.c_str(), to_string(net.status),
                      net.is_private ? "PRIVATE" : "PUBLIC", ips_text(net).c_str());
      }
      if (o->json_out) std::printf("%s\n", arr.dump(2).c_str());
    });
  }
  // zt peers
  {
    auto o = std::make_shared<common_options>();
    CLI::App* cmd = app.add_subcommand(
        "peers", "The peers this node knows (roots, moons, leaves): paths, latency, version");
    add_common(cmd, *o, false);
    cmd->callback([o, &exit_code] {
      auto n = start_node(*o);
      if (!n) {
        exit_code = failed("peers", n.error().message);
        return;
      }
      (void)(*n)->wait_online(std::chrono::milliseconds(std::min(o->timeout_ms, 10000)));
      // A moment for the roots' latency and for peers of the joined networks to show up.
      for (const auto& net : (*n)->networks())
        (void)(*n)->wait_network_ready(net.id, std::chrono::milliseconds(std::min(o->timeout_ms, 5000)));
      const auto peers = (*n)->peers();
      if (o->json_out) {
        json arr = json::array();
        for (const auto& p : peers) {
          json paths = json::array();
          for (const auto& a : p.paths) paths.push_back(a.to_string());
          arr.push_back({{"address", p.address}, {"role", p.role}, {"latency", p.latency_ms},
                         {"version", p.version}, {"paths", paths}});
        }
        std::printf("%s\n", arr.dump(2).c_str());
        return;
      }
      std::printf("200 listpeers <ztaddr> <path> <latency> <version> <role>\n");
      for (const auto& p : peers) {
        std::string paths;
        for (const auto& a : p.paths) paths += (paths.empty() ? "" : ",") + a.to_string();
        std::printf("200 listpeers %s %s %d %s %s\n", p.address.c_str(),
                    paths.empty() ? "-" : paths.c_str(), p.latency_ms, p.version.c_str(), p.role.c_str());
      }
    });
  }
  // zt ping HOST
  {
    auto o = std::make_shared<common_options>();
    auto host = std::make_shared<std::string>();
    auto count = std::make_shared<int>(4);
    CLI::App* cmd = app.add_subcommand("ping", "ICMP/ICMPv6 echo through ztkit's IP stack");
    cmd->add_option("host", *host, "An IPv4/IPv6 address on the network")->required();
    cmd->add_option("-c,--count", *count, "Echo requests to send")->check(CLI::Range(1, 100000));
    add_common(cmd, *o, true);
    cmd->callback([o, host, count, &exit_code] {
      auto ip = IpAddress::parse(*host);
      if (!ip) {
        exit_code = failed("ping", "not an IP address: " + *host);
        return;
      }
      auto j = join_network(*o);
      if (!j) {
        exit_code = failed("ping", j.error().message);
        return;
      }
      int got = 0;
      double sum = 0, mn = 1e18, mx = 0;
      for (int i = 0; i < *count; ++i) {
        auto r = j->node->ping(j->nwid, *ip, std::chrono::milliseconds(std::min(o->timeout_ms, 5000)));
        if (r) {
          const double msv = r->count() / 1000.0;
          ++got;
          sum += msv;
          mn = std::min(mn, msv);
          mx = std::max(mx, msv);
          std::printf("reply from %s: seq=%d time=%.3f ms\n", host->c_str(), i + 1, msv);
        } else {
          std::printf("no reply from %s: seq=%d (%s)\n", host->c_str(), i + 1, r.error().message.c_str());
        }
        std::fflush(stdout);
        if (i + 1 < *count) std::this_thread::sleep_for(200ms);  // pacing of a CLI, not the data path
      }
      std::printf("%d sent, %d received, %.0f%% loss", *count, got, 100.0 * (*count - got) / *count);
      if (got > 0) std::printf(", rtt min/avg/max %.3f/%.3f/%.3f ms", mn, sum / got, mx);
      std::printf("\n");
      if (got == 0) exit_code = 1;
    });
  }
  // zt listen PORT
  {
    auto o = std::make_shared<common_options>();
    auto port = std::make_shared<int>(0);
    auto echo = std::make_shared<bool>(false);
    auto once = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand("listen", "Accept TCP connections and print (or echo) what arrives");
    cmd->add_option("port", *port, "TCP port")->required()->check(CLI::Range(1, 65535));
    cmd->add_flag("--echo", *echo, "Send back what arrives");
    cmd->add_flag("--once", *once, "Exit after the first connection ends");
    add_common(cmd, *o, true);
    cmd->callback([o, port, echo, once, &exit_code] {
      auto j = join_network(*o);
      if (!j) {
        exit_code = failed("listen", j.error().message);
        return;
      }
      auto l = TcpListener::listen(*j->node, j->nwid, {{}, static_cast<std::uint16_t>(*port)});
      if (!l) {
        exit_code = failed("listen", l.error().message);
        return;
      }
      std::printf("listening on %s:%d\n", ips_text(j->info).c_str(), *port);
      std::fflush(stdout);
      for (;;) {
        auto s = l->accept();
        if (!s) {
          exit_code = failed("listen", s.error().message);
          return;
        }
        std::fprintf(stderr, "connection from %s\n", s->peer_address().to_string().c_str());
        std::array<std::byte, 16384> buf;
        for (;;) {
          auto n = s->read(buf);
          if (!n || *n == 0) break;
          if (*echo) (void)s->write_all(std::span(buf.data(), *n));
          else std::fwrite(buf.data(), 1, *n, stdout);
          std::fflush(stdout);
        }
        s->close();
        if (*once) return;
      }
    });
  }
  // zt call HOST:PORT | URL
  {
    auto o = std::make_shared<common_options>();
    auto target = std::make_shared<std::string>();
    auto data = std::make_shared<std::string>();
    auto headers = std::make_shared<std::vector<std::string>>();
    auto include = std::make_shared<bool>(false);
    auto method = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "call",
        "HOST:PORT: a raw TCP connection (stdin to the stream, the stream to stdout). "
        "http://IP[:PORT]/PATH: one HTTP/1.1 request, the body printed like curl "
        "(exit 22 with a one-line error for a non-2xx status)");
    cmd->add_option("target", *target, "HOST:PORT, or http://IP[:PORT]/PATH ([IPv6] in brackets)")->required();
    auto* d = cmd->add_option("-d,--data", *data, "HTTP: POST this body (@FILE: a file's contents, @-: stdin)");
    auto* h = cmd->add_option("-H,--header", *headers, "HTTP: an extra header 'Name: value' (repeatable)");
    auto* i = cmd->add_flag("-i,--include", *include, "HTTP: print the status line and header fields first");
    auto* x = cmd->add_option("-X,--request", *method, "HTTP: the method (default GET, or POST with -d)");
    add_common(cmd, *o, true);
    cmd->callback([o, target, data, headers, include, method, d, h, i, x, &exit_code] {
      if (http::looks_like_url(*target)) {
        std::string why;
        auto u = http::parse_url(*target, &why);
        if (!u) {
          exit_code = failed("call", why);
          return;
        }
        http::request req;
        req.to = *u;
        for (const auto& line : *headers) {
          http::header hd;
          if (!http::valid_header_line(line, &hd)) {
            exit_code = failed("call", "not a header 'Name: value': " + line);
            return;
          }
          req.headers.push_back(std::move(hd));
        }
        if (d->count() > 0) {
          req.method = "POST";
          if (!data->empty() && data->front() == '@') {
            const std::string file = data->substr(1);
            FILE* f = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
            if (f == nullptr) {
              exit_code = failed("call", "cannot read " + file);
              return;
            }
            std::array<char, 16384> b;
            for (std::size_t n; (n = std::fread(b.data(), 1, b.size(), f)) > 0;) req.body.append(b.data(), n);
            if (f != stdin) std::fclose(f);
          } else {
            req.body = *data;
          }
        }
        if (x->count() > 0) {
          if (method->empty() || !std::all_of(method->begin(), method->end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
            exit_code = failed("call", "not an HTTP method: " + *method);
            return;
          }
          req.method = *method;
        }
        auto ip = IpAddress::parse(u->ip);
        if (!ip) {
          exit_code = failed("call", "not an IP address: " + u->ip);
          return;
        }
        auto j = join_network(*o);
        if (!j) {
          exit_code = failed("call", j.error().message);
          return;
        }
        const std::chrono::milliseconds timeout(o->timeout_ms);
        auto s = TcpStream::connect(*j->node, j->nwid, {*ip, u->port}, timeout);
        if (!s) {
          exit_code = failed("call", s.error().message);
          return;
        }
        const auto r = http_call(*s, req, *include, timeout, stdout);
        if (r.exit_code != 0) {
          std::fprintf(stderr, "zt call: %s\n", r.error.c_str());
          exit_code = r.exit_code;
        }
        return;
      }
      if (d->count() + h->count() + i->count() + x->count() > 0) {
        exit_code = failed("call", "-d, -H, -i and -X need an http:// URL, not HOST:PORT");
        return;
      }
      auto to = host_port(*target);
      if (!to || to->ip.is_any()) {
        exit_code = failed("call", "not HOST:PORT or http://IP[:PORT]/PATH: " + *target);
        return;
      }
      auto j = join_network(*o);
      if (!j) {
        exit_code = failed("call", j.error().message);
        return;
      }
      auto s = TcpStream::connect(*j->node, j->nwid, *to, std::chrono::milliseconds(o->timeout_ms));
      if (!s) {
        exit_code = failed("call", s.error().message);
        return;
      }
      std::thread in([&] {
        std::array<char, 16384> buf;
        for (;;) {
          const ssize_t n = ::read(0, buf.data(), buf.size());
          if (n <= 0) break;
          if (!s->write_all(std::as_bytes(std::span(buf.data(), static_cast<std::size_t>(n))))) break;
        }
        (void)s->shutdown_write();
      });
      std::array<std::byte, 16384> buf;
      for (;;) {
        auto n = s->read(buf);
        if (!n) {
          exit_code = failed("call", n.error().message);
          break;
        }
        if (*n == 0) break;
        std::fwrite(buf.data(), 1, *n, stdout);
        std::fflush(stdout);
      }
      in.detach();  // stdin may stay open: the process ends with the stream
      std::fflush(stdout);
      std::_Exit(exit_code);
    });
  }
  // zt udp-listen PORT
  {
    auto o = std::make_shared<common_options>();
    auto port = std::make_shared<int>(0);
    auto count = std::make_shared<int>(0);
    CLI::App* cmd = app.add_subcommand("udp-listen", "Print UDP datagrams sent to a port");
    cmd->add_option("port", *port, "UDP port")->required()->check(CLI::Range(1, 65535));
    cmd->add_option("--count", *count, "Exit after this many datagrams (0: never)");
    add_common(cmd, *o, true);
    cmd->callback([o, port, count, &exit_code] {
      auto j = join_network(*o);
      if (!j) {
        exit_code = failed("udp-listen", j.error().message);
        return;
      }
      auto u = UdpSocket::bind(*j->node, j->nwid, {{}, static_cast<std::uint16_t>(*port)});
      if (!u) {
        exit_code = failed("udp-listen", u.error().message);
        return;
      }
      std::printf("listening on %s:%d/udp\n", ips_text(j->info).c_str(), *port);
      std::fflush(stdout);
      std::array<std::byte, 65536> buf;
      for (int i = 0; *count == 0 || i < *count; ++i) {
        SocketAddress from;
        auto n = u->recv_from(buf, &from);
        if (!n) {
          exit_code = failed("udp-listen", n.error().message);
          return;
        }
        std::printf("%s: %.*s\n", from.to_string().c_str(), static_cast<int>(std::min<std::size_t>(*n, buf.size())),
                    reinterpret_cast<const char*>(buf.data()));
        std::fflush(stdout);
      }
    });
  }
  // zt udp-send HOST:PORT MESSAGE
  {
    auto o = std::make_shared<common_options>();
    auto target = std::make_shared<std::string>();
    auto message = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("udp-send", "Send one UDP datagram");
    cmd->add_option("target", *target, "HOST:PORT on the network")->required();
    cmd->add_option("message", *message, "The datagram's text")->required();
    add_common(cmd, *o, true);
    cmd->callback([o, target, message, &exit_code] {
      auto to = host_port(*target);
      if (!to || to->ip.is_any()) {
        exit_code = failed("udp-send", "not HOST:PORT: " + *target);
        return;
      }
      auto j = join_network(*o);
      if (!j) {
        exit_code = failed("udp-send", j.error().message);
        return;
      }
      auto u = UdpSocket::bind(*j->node, j->nwid, {});
      if (!u) {
        exit_code = failed("udp-send", u.error().message);
        return;
      }
      auto s = u->send_to(std::as_bytes(std::span(message->data(), message->size())), *to);
      if (!s) {
        exit_code = failed("udp-send", s.error().message);
        return;
      }
      // The datagram leaves on the node's next pass; ARP may need a moment first.
      std::this_thread::sleep_for(500ms);
      std::printf("sent %zu bytes to %s\n", *s, to->to_string().c_str());
    });
  }
}

}  // namespace ztkit::tools
