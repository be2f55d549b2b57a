// `zt proxy --socks5 127.0.0.1:1080 [--http 127.0.0.1:8080] [--user U --pass P] -n NWID`: lets
// unmodified programs (curl, browsers, anything that honours ALL_PROXY / https_proxy) reach
// hosts on a ZeroTier network through this node, with no TUN device.
//   SOCKS5 (RFC 1928): CONNECT to IPv4 / IPv6 / domain-literal addresses through a ztkit
//   TcpStream, UDP ASSOCIATE through a ztkit UdpSocket; methods "no authentication" and
//   username/password (RFC 1929).
//   HTTP: CONNECT host:port (RFC 9110 §9.3.6) and absolute-form "GET http://ip/..." requests
//   (one request per connection), with Basic proxy authentication when --user is set.
// The byte relay, the connection threads and the accept loop are relay.h's, shared with
// `zt expose`; the message parsers are socks5_wire.h and http_proxy_wire.h. Public API only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tools/zt/commands.h"
#include "tools/zt/http_proxy_wire.h"
#include "tools/zt/join_node.h"
#include "tools/zt/relay.h"
#include "tools/zt/socks5_wire.h"
#include "ztkit/node.h"
#include "ztkit/tcp.h"
#include "ztkit/udp.h"

namespace ztkit::tools {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr auto handshake_timeout = 10s;  // for a client to send its greeting / request head

struct proxy_options {
  node_options node;
  std::string socks5, http;
  std::string user, pass;
  int max_connections = 256;
  int connect_timeout_ms = 10000;
  int stats_interval_s = 0;
};

struct proxy_context {
  const proxy_options& o;
  Node& node;
  std::uint64_t nwid;
  relay_counters counters;
};

// Reads from `fd` into `in` until parse(in) is no longer incomplete (or `cap` bytes, EOF, the
// deadline or a cancel): the parser's last answer, or nullopt when no message came.
template <typename Parse>
auto read_message(int fd, std::vector<std::uint8_t>& in, std::size_t cap, const cancel_token& cancel,
                  clock_type::time_point deadline, Parse parse) -> std::optional<decltype(parse(in))> {
  for (;;) {
    auto p = parse(in);
    if (!p.incomplete()) return p;
    if (in.size() >= cap) return p;
    std::uint8_t buf[4096];
    const long n = recv_some(fd, std::span(buf, std::min(sizeof buf, cap - in.size())), cancel, deadline);
    if (n <= 0) return std::nullopt;
    in.insert(in.end(), buf, buf + n);
  }
}

bool send_bytes(int fd, const std::vector<std::uint8_t>& b) { return send_all(fd, b); }
bool send_text(int fd, std::string_view s) {
  return send_all(fd, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

std::optional<SocketAddress> to_ztkit(const socks5::address& a) {
  SocketAddress out;
  out.port = a.port;
  switch (a.type) {
    case socks5::atyp::ipv4:
      out.ip.family = IpAddress::Family::v4;
      std::copy_n(a.ip.begin(), 4, out.ip.bytes.begin());
      return out;
    case socks5::atyp::ipv6:
      out.ip.family = IpAddress::Family::v6;
      out.ip.bytes = a.ip;
      return out;
    case socks5::atyp::domain: {
      // Names are not resolved (no DNS on the network); a literal written as a name is fine.
      std::string_view d = a.domain;
      if (d.size() > 2 && d.front() == '[' && d.back() == ']') d = d.substr(1, d.size() - 2);
      auto ip = IpAddress::parse(d);
      if (!ip) return std::nullopt;
      out.ip = *ip;
      return out;
    }
  }
  return std::nullopt;
}

socks5::address to_socks(const SocketAddress& s) {
  socks5::address a;
  a.port = s.port;
  if (s.ip.family == IpAddress::Family::v6) {
    a.type = socks5::atyp::ipv6;
    a.ip = s.ip.bytes;
  } else {
    a.type = socks5::atyp::ipv4;
    std::copy_n(s.ip.bytes.begin(), 4, a.ip.begin());
  }
  return a;
}

// RFC 1928 §6 for the ways a ztkit connect fails.
socks5::reply reply_for(const Error& e) {
  if (e.is(Errc::connection_refused) || e.is(Errc::connection_reset)) return socks5::reply::connection_refused;
  if (e.is(Errc::no_route) || e.is(Errc::network_not_ready) || e.is(Errc::not_joined))
    return socks5::reply::network_unreachable;
  if (e.is(Errc::timed_out)) return socks5::reply::host_unreachable;  // no SYN-ACK (nor ARP/NDP answer)
  return socks5::reply::general_failure;
}

// Adapters so read_message can ask any parser whether it needs more bytes.
struct socks_step {
  socks5::parsed p;
  bool incomplete() const { return p.st == socks5::status::incomplete; }
};
struct http_step {
  http_proxy::parsed p;
  bool incomplete() const { return p.st == http_proxy::status::incomplete; }
};

void log_error(const std::string& who, const std::string& what) {
  std::fprintf(stderr, "zt proxy: %s: %s\n", who.c_str(), what.c_str());
}

// SOCKS5 UDP ASSOCIATE (RFC 1928 §7): datagrams from the client's address to the kernel relay
// socket go out through a ztkit UdpSocket; answers come back with the header naming their
// source. The association lives as long as the TCP connection that asked for it.
void udp_associate(proxy_context& ctx, int kfd, const socks5::address& declared, cancel_token& cancel,
                   const std::string& who) {
  sockaddr_storage local{}, peer{};
  socklen_t llen = sizeof local, plen = sizeof peer;
  ::getsockname(kfd, reinterpret_cast<sockaddr*>(&local), &llen);
  ::getpeername(kfd, reinterpret_cast<sockaddr*>(&peer), &plen);
  const SocketAddress client_ctl = to_socket_address(&peer);
  const int ufd = ::socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (local.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&local)->sin_port = 0;
  else reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = 0;
  auto zu = UdpSocket::bind(ctx.node, ctx.nwid, {});
  if (ufd < 0 || ::bind(ufd, reinterpret_cast<sockaddr*>(&local), llen) != 0 || !zu) {
    log_error(who, zu ? std::string("udp relay socket: ") + std::strerror(errno) : zu.error().message);
    (void)send_bytes(kfd, socks5::reply_message(socks5::reply::general_failure, to_socks({})));
    if (ufd >= 0) ::close(ufd);
    return;
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  ::getsockname(ufd, reinterpret_cast<sockaddr*>(&bound), &blen);
  if (!send_bytes(kfd, socks5::reply_message(socks5::reply::succeeded, to_socks(to_socket_address(&bound))))) {
    ::close(ufd);
    return;
  }
  // Only the client's host may use the relay; a declared port pins it further (§7: "the
  // UDP relay server MUST drop datagrams from any other source").
  std::optional<sockaddr_storage> client_udp;
  socklen_t client_len = 0;
  std::vector<std::uint8_t> buf(65536 + 512);
  pollfd p[4] = {{kfd, POLLIN, 0}, {ufd, POLLIN, 0}, {zu->fd(), POLLIN, 0}, {cancel.fd(), POLLIN, 0}};
  for (;;) {
    if (::poll(p, 4, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[3].revents != 0) break;
    if (p[0].revents != 0) {  // the control connection: anything but bytes ends the association
      std::uint8_t junk[256];
      const ssize_t n = ::recv(kfd, junk, sizeof junk, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    }
    if (p[1].revents != 0) {
      for (;;) {
        sockaddr_storage from{};
        socklen_t flen = sizeof from;
        const ssize_t n = ::recvfrom(ufd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (n < 0) break;
        const SocketAddress src = to_socket_address(&from);
        if (src.ip != client_ctl.ip || (declared.port != 0 && src.port != declared.port)) continue;
        socks5::udp_header h;
        const auto parsed = socks5::parse_udp_header({buf.data(), static_cast<std::size_t>(n)}, h);
        if (!parsed.ok() || h.frag != 0) continue;  // fragments are not supported: dropped (§7)
        auto dst = to_ztkit(h.dst);
        if (!dst) continue;
        client_udp = from;
        client_len = flen;
        const auto payload = std::as_bytes(std::span(buf.data() + parsed.size, static_cast<std::size_t>(n) - parsed.size));
        if (zu->send_to(payload, *dst)) ctx.counters.datagrams_to_zt.fetch_add(1);
      }
    }
    if (p[2].revents != 0) {
      for (;;) {
        SocketAddress from;
        constexpr std::size_t room = 512;  // for the header in front of the datagram
        auto n = zu->recv_from(std::as_writable_bytes(std::span(buf.data() + room, buf.size() - room)), &from, 0ms);
        if (!n) break;
        if (!client_udp || *n > buf.size() - room) continue;
        const auto head = socks5::udp_header_bytes(to_socks(from));
        std::uint8_t* start = buf.data() + room - head.size();
        std::copy(head.begin(), head.end(), start);
        if (::sendto(ufd, start, head.size() + *n, 0, reinterpret_cast<const sockaddr*>(&*client_udp), client_len) >= 0)
          ctx.counters.datagrams_from_zt.fetch_add(1);
      }
    }
  }
  ::close(ufd);
}

// One SOCKS5 client on kernel socket `kfd` (closed here).
void socks5_session(proxy_context& ctx, int kfd, cancel_token& cancel, const std::string& who) {
  cancel.attach(kfd);
  const auto deadline = clock_type::now() + handshake_timeout;
  std::vector<std::uint8_t> in;
  const auto give_up = [&](const std::string& why) {
    if (!why.empty()) log_error(who, why);
    cancel.detach();
    ::close(kfd);
    ctx.counters.failed.fetch_add(1);
  };
  // §3: method negotiation.
  socks5::greeting g;
  auto step = read_message(kfd, in, 258, cancel, deadline,
                           [&](const auto& b) { return socks_step{socks5::parse_greeting(b, g)}; });
  if (!step || !step->p.ok()) return give_up(step ? socks5::to_string(step->p.st) : "no greeting");
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(step->p.size));
  const bool need_auth = !ctx.o.user.empty();
  const auto m = need_auth ? socks5::method::user_pass : socks5::method::no_auth;
  if (!g.offers(m)) {
    (void)send_bytes(kfd, socks5::method_selection(socks5::method::none_acceptable));
    return give_up(need_auth ? "client offers no username/password authentication" : "client offers no method we accept");
  }
  if (!send_bytes(kfd, socks5::method_selection(m))) return give_up("");
  // RFC 1929: username/password.
  if (need_auth) {
    socks5::credentials c;
    step = read_message(kfd, in, 513, cancel, deadline,
                        [&](const auto& b) { return socks_step{socks5::parse_credentials(b, c)}; });
    if (!step || !step->p.ok()) return give_up(step ? socks5::to_string(step->p.st) : "no credentials");
    in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(step->p.size));
    const bool good = c.user == ctx.o.user && c.pass == ctx.o.pass;
    (void)send_bytes(kfd, socks5::auth_status(good));
    if (!good) return give_up("wrong username or password");
  }
  // §4: the request.
  socks5::request req;
  step = read_message(kfd, in, 262, cancel, deadline,
                      [&](const auto& b) { return socks_step{socks5::parse_request(b, req)}; });
  if (!step) return give_up("no request");
  if (step->p.st == socks5::status::bad_command) {
    (void)send_bytes(kfd, socks5::reply_message(socks5::reply::command_not_supported, to_socks({})));
    return give_up(fmt::format("unsupported command {}", req.cmd));
  }
  if (step->p.st == socks5::status::bad_address_type) {
    (void)send_bytes(kfd, socks5::reply_message(socks5::reply::address_type_not_supported, to_socks({})));
    return give_up("unsupported address type");
  }
  if (!step->p.ok()) {
    (void)send_bytes(kfd, socks5::reply_message(socks5::reply::general_failure, to_socks({})));
    return give_up(socks5::to_string(step->p.st));
  }
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(step->p.size));
  if (req.cmd == static_cast<std::uint8_t>(socks5::command::bind)) {
    (void)send_bytes(kfd, socks5::reply_message(socks5::reply::command_not_supported, to_socks({})));
    return give_up("BIND is not supported");
  }
  if (req.cmd == static_cast<std::uint8_t>(socks5::command::udp_associate)) {
    udp_associate(ctx, kfd, req.dst, cancel, who);
    cancel.detach();
    ::close(kfd);
    ctx.counters.completed.fetch_add(1);
    return;
  }
  const auto dst = to_ztkit(req.dst);
  if (!dst) {
    (void)send_bytes(kfd, socks5::reply_message(socks5::reply::host_unreachable, to_socks({})));
    return give_up("cannot resolve " + socks5::to_string(req.dst) + " (names are not resolved; use an address)");
  }
  auto z = TcpStream::connect(ctx.node, ctx.nwid, *dst, std::chrono::milliseconds(ctx.o.connect_timeout_ms));
  if (!z) {
    (void)send_bytes(kfd, socks5::reply_message(reply_for(z.error()), to_socks({})));
    return give_up(dst->to_string() + ": " + z.error().message);
  }
  if (!send_bytes(kfd, socks5::reply_message(socks5::reply::succeeded, to_socks(z->local_address())))) {
    z->abort();
    return give_up("client went away");
  }
  cancel.detach();
  const relay_result r = relay(std::move(*z), kfd, cancel, ctx.counters, std::as_bytes(std::span(in)));
  (r.clean ? ctx.counters.completed : ctx.counters.failed).fetch_add(1);
  if (!r.clean) log_error(who, dst->to_string() + ": " + r.error);
}

std::string http_error(int code, std::string_view reason, std::string_view body, std::string_view extra = {}) {
  return fmt::format("HTTP/1.1 {} {}\r\n{}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}\n",
                     code, reason, extra, body.size() + 1, body);
}

// One HTTP proxy client on kernel socket `kfd` (closed here).
void http_session(proxy_context& ctx, int kfd, cancel_token& cancel, const std::string& who) {
  cancel.attach(kfd);
  const auto deadline = clock_type::now() + handshake_timeout;
  std::vector<std::uint8_t> in;
  const auto give_up = [&](int code, std::string_view reason, const std::string& why, std::string_view extra = {}) {
    if (code != 0) (void)send_text(kfd, http_error(code, reason, why, extra));
    log_error(who, why);
    cancel.detach();
    ::close(kfd);
    ctx.counters.failed.fetch_add(1);
  };
  http_proxy::request_head h;
  auto step = read_message(kfd, in, http_proxy::max_head, cancel, deadline,
                           [&](const auto& b) { return http_step{http_proxy::parse_request_head(b, h)}; });
  if (!step) return give_up(0, "", "no request head");
  if (!step->p.ok()) return give_up(400, "Bad Request", http_proxy::to_string(step->p.st));
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(h.size));
  if (!ctx.o.user.empty()) {
    bool good = false;
    if (auto a = h.header("Proxy-Authorization"); a && a->size() > 6 && a->substr(0, 6) == "Basic ")
      if (auto d = http_proxy::base64_decode(a->substr(6))) good = *d == ctx.o.user + ":" + ctx.o.pass;
    if (!good)
      return give_up(407, "Proxy Authentication Required", "proxy authentication required",
                     "Proxy-Authenticate: Basic realm=\"zt proxy\"\r\n");
  }
  auto ip = IpAddress::parse(h.host);
  if (!ip) return give_up(502, "Bad Gateway", "cannot resolve " + h.host + " (names are not resolved; use an address)");
  const SocketAddress dst{*ip, h.port};
  auto z = TcpStream::connect(ctx.node, ctx.nwid, dst, std::chrono::milliseconds(ctx.o.connect_timeout_ms));
  if (!z) {
    const bool timeout = z.error().is(Errc::timed_out);
    return give_up(timeout ? 504 : 502, timeout ? "Gateway Timeout" : "Bad Gateway",
                   dst.to_string() + ": " + z.error().message);
  }
  std::string first;
  if (h.method == "CONNECT") {
    if (!send_text(kfd, "HTTP/1.1 200 Connection established\r\n\r\n")) {
      z->abort();
      return give_up(0, "", "client went away");
    }
  } else {
    first = http_proxy::origin_head(h);  // then the body bytes that came with the head
  }
  first.append(reinterpret_cast<const char*>(in.data()), in.size());
  cancel.detach();
  const relay_result r = relay(std::move(*z), kfd, cancel, ctx.counters, std::as_bytes(std::span(first)));
  (r.clean ? ctx.counters.completed : ctx.counters.failed).fetch_add(1);
  if (!r.clean) log_error(who, dst.to_string() + ": " + r.error);
}

int run_proxy(const proxy_options& o) {
  if (o.socks5.empty() && o.http.empty()) {
    std::fprintf(stderr, "zt proxy: give --socks5 ADDR:PORT and/or --http ADDR:PORT\n");
    return 1;
  }
  if (o.user.empty() != o.pass.empty() || o.user.size() > 255 || o.pass.size() > 255) {
    std::fprintf(stderr, "zt proxy: --user and --pass go together (1..255 bytes each)\n");
    return 1;
  }
  struct listener {
    std::string kind;
    int fd = -1;
  };
  std::vector<listener> listeners;
  for (const auto& [kind, spec] : {std::pair{std::string("socks5"), o.socks5}, std::pair{std::string("http"), o.http}}) {
    if (spec.empty()) continue;
    const auto hp = parse_host_port(spec, true);
    if (!hp) {
      std::fprintf(stderr, "zt proxy: --%s needs ADDR:PORT (e.g. 127.0.0.1:1080), not %s\n", kind.c_str(), spec.c_str());
      return 1;
    }
    std::string error;
    std::uint16_t port = 0;
    const int fd = kernel_listen(hp->first, hp->second, &port, error);
    if (fd < 0) {
      std::fprintf(stderr, "zt proxy: %s\n", error.c_str());
      return 1;
    }
    listeners.push_back({kind, fd});
    std::printf("%s proxy on %s:%u\n", kind.c_str(),
                hp->first.find(':') != std::string::npos ? ("[" + hp->first + "]").c_str() : hp->first.c_str(), port);
  }
  block_stop_signals();
  auto j = start_and_join(o.node);
  if (!j) {
    std::fprintf(stderr, "zt proxy: %s\n", j.error().message.c_str());
    return 1;
  }
  proxy_context ctx{o, *j->node, j->nwid, {}};
  connection_pool pool(static_cast<std::size_t>(o.max_connections));
  std::printf("proxying to network %016llx from %s\n", static_cast<unsigned long long>(j->nwid),
              addresses_text(j->info).c_str());
  std::fflush(stdout);
  std::vector<serve_source> sources;
  for (const auto& l : listeners) {
    const bool socks = l.kind == "socks5";
    sources.push_back({l.fd, [&ctx, &pool, fd = l.fd, socks] {
                         for (;;) {
                           sockaddr_storage ss{};
                           socklen_t len = sizeof ss;
                           const int c = ::accept4(fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
                           if (c < 0) return;  // EAGAIN: nothing more waiting
                           ctx.counters.accepted.fetch_add(1);
                           const std::string who = (socks ? "socks5 " : "http ") + to_socket_address(&ss).to_string();
                           const bool started = pool.spawn([&ctx, c, socks, who](cancel_token& cancel) {
                             ctx.counters.active.fetch_add(1);
                             if (socks) socks5_session(ctx, c, cancel, who);
                             else http_session(ctx, c, cancel, who);
                             ctx.counters.active.fetch_sub(1);
                           });
                           if (!started) {
                             ctx.counters.rejected.fetch_add(1);
                             close_with_reset(c);
                           }
                         }
                       }});
  }
  const std::string why = serve(sources, pool, std::chrono::seconds(o.stats_interval_s),
                                [&] { return "zt proxy: " + ctx.counters.summary(); });
  for (const auto& l : listeners) ::close(l.fd);
  pool.stop();
  std::printf("zt proxy: %s: %s\n", why.c_str(), ctx.counters.summary().c_str());
  std::fflush(stdout);
  j->node->stop();
  return 0;
}

}  // namespace

void add_proxy_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<proxy_options>();
  CLI::App* cmd = app.add_subcommand(
      "proxy", "A SOCKS5 and/or HTTP CONNECT proxy into a ZeroTier network (for curl, browsers, ...)");
  cmd->add_option("--socks5", o->socks5, "SOCKS5 listen address, e.g. 127.0.0.1:1080 (port 0: any)");
  cmd->add_option("--http", o->http, "HTTP proxy listen address, e.g. 127.0.0.1:8080 (port 0: any)");
  cmd->add_option("--user", o->user, "Require this username (SOCKS5 RFC 1929, HTTP Basic)");
  cmd->add_option("--pass", o->pass, "... and this password");
  cmd->add_option("--max-connections", o->max_connections, "Client connections at once (more are reset)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--connect-timeout-ms", o->connect_timeout_ms, "How long a connect into the network may take")
      ->check(CLI::Range(1, 600000));
  cmd->add_option("--stats-interval", o->stats_interval_s, "Print the counters on stderr every N seconds")
      ->check(CLI::Range(0, 86400));
  add_node_options(cmd, o->node);
  cmd->callback([o, &exit_code] { exit_code = run_proxy(*o); });
}

}  // namespace ztkit::tools
