// `zt root` and `zt node`: a self-hosted root and a node joining its planet, on real UDP.
// They use ctrl/runtime (node_runner, root_planet) directly: the public node API (issue 10,
// include/ztkit/) does not exist yet; once it does, these commands move onto it.
#include <csignal>
#include <chrono>
#include <condition_variable>
#include <array>
#include <cstdio>
#include <algorithm>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "api/internal/metrics_server.h"
#include "ctrl/runtime/node_runner.h"
#include "ctrl/runtime/root_planet.h"
#include "ctrl/state/state_dir.h"
#include "tools/zt/commands.h"

namespace ztkit::tools {

namespace {

volatile std::sig_atomic_t g_signalled = 0;
extern "C" void on_signal(int) { g_signalled = 1; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// "1.2.3.4:9993", "[::1]:9993", or the "IP/port" form.
std::optional<wire::inet_address> parse_endpoint(const std::string& s) {
  if (s.find('/') != std::string::npos) return wire::inet_address::from_string(s);
  std::string ip, port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') return {};
    ip = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || s.find(':') != colon) return {};
    ip = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return {};
  const unsigned long p = std::stoul(port);
  if (p > 65535) return {};
  return wire::inet_address::from_string(ip + "/" + port);
}

CLI::Validator endpoint_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return parse_endpoint(s) ? std::string() : "not ADDR:PORT (e.g. 127.0.0.1:9993): " + s;
      },
      "ADDR:PORT");
}

CLI::Validator address_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return zt_address::parse(s) ? std::string() : "not a 10-hex-digit ZeroTier address: " + s;
      },
      "ADDR");
}

// Exactly `digits` hex digits (or 1..digits when !exact).
std::optional<std::uint64_t> parse_hex(const std::string& s, std::size_t digits, bool exact) {
  if (s.empty() || s.size() > digits || (exact && s.size() != digits) ||
      s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return std::nullopt;
  return std::stoull(s, nullptr, 16);
}

CLI::Validator network_id_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return parse_hex(s, 16, true) ? std::string()
                                      : "not a 16-hex-digit network ID (e.g. 8056c2e21c000001): " + s;
      },
      "NWID");
}

CLI::Validator suffix_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return parse_hex(s, 6, false) ? std::string()
                                      : "not a network ID suffix of 1 to 6 hex digits: " + s;
      },
      "SUFFIX");
}

// "10.147.17.1-10.147.17.254" or "...-.../bits" (default /24).
std::optional<ctrl::ipv4_pool> parse_pool(const std::string& s) {
  std::string range = s;
  unsigned bits = 24;
  if (const auto slash = s.find('/'); slash != std::string::npos) {
    const std::string b = s.substr(slash + 1);
    if (b.empty() || b.size() > 2 || b.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    bits = static_cast<unsigned>(std::stoul(b));
    if (bits < 1 || bits > 32) return std::nullopt;
    range = s.substr(0, slash);
  }
  const auto dash = range.find('-');
  if (dash == std::string::npos) return std::nullopt;
  auto first = wire::inet_address::from_string(range.substr(0, dash));
  auto last = wire::inet_address::from_string(range.substr(dash + 1));
  if (!first || !last || first->fam != wire::inet_address::family::ipv4 ||
      last->fam != wire::inet_address::family::ipv4)
    return std::nullopt;
  ctrl::ipv4_pool pool;
  std::copy_n(first->ip.begin(), 4, pool.first.begin());
  std::copy_n(last->ip.begin(), 4, pool.last.begin());
  if (pool.last < pool.first) return std::nullopt;
  pool.prefix_bits = static_cast<std::uint8_t>(bits);
  return pool;
}

CLI::Validator pool_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return parse_pool(s) ? std::string()
                             : "not an IPv4 range FIRST-LAST[/BITS] (e.g. 10.147.17.1-10.147.17.254): " + s;
      },
      "FIRST-LAST[/BITS]");
}

// The embedded controller's options (`zt root` and `zt node`).
struct controller_options {
  std::string suffix;  // empty: no controller
  std::string pool = "10.147.17.1-10.147.17.254/24";
  std::vector<std::string> authorize;
  bool is_public = false;
};

void add_controller_options(CLI::App* cmd, controller_options& o) {
  auto* net = cmd->add_option("--controller-network", o.suffix,
                              "Be the controller of network (our address << 24) | SUFFIX "
                              "(1-6 hex digits); prints `controller network NWID`")
                  ->check(suffix_validator());
  cmd->add_option("--pool", o.pool, "With --controller-network: IPv4 addresses to assign")
      ->check(pool_validator())
      ->needs(net);
  cmd->add_option("--authorize", o.authorize,
                  "With --controller-network: admit this member (repeatable)")
      ->check(address_validator())
      ->needs(net);
  cmd->add_flag("--public", o.is_public, "With --controller-network: admit anyone")->needs(net);
}

// Creates the network and authorizes the listed members on the runner thread.
result<std::uint64_t> setup_controller(ctrl::node_runner& r, const controller_options& o) {
  ctrl::controller_network_settings settings;
  settings.is_private = !o.is_public;
  settings.v4_pool = parse_pool(o.pool);
  const auto suffix = static_cast<std::uint32_t>(*parse_hex(o.suffix, 6, false));
  std::vector<zt_address> members;
  for (const auto& a : o.authorize) members.push_back(*zt_address::parse(a));
  auto done = std::make_shared<std::promise<result<std::uint64_t>>>();
  auto answer = done->get_future();
  r.post_controller([done, settings, suffix, members](ctrl::controller& c, std::int64_t now) {
    auto nwid = c.create_network(suffix, settings);
    if (nwid.ok())
      for (zt_address m : members)
        if (status st = c.authorize(now, *nwid, m, true); !st.ok()) {
          done->set_value(error{st.code(), st.message()});
          return;
        }
    done->set_value(std::move(nwid));
  });
  if (answer.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
    return error{errc::failed_precondition, "the controller did not answer"};
  return answer.get();
}

std::string endpoint_string(const wire::inet_address& a) {
  std::string s = a.to_string();  // "IP/port"
  const auto slash = s.rfind('/');
  if (slash == std::string::npos) return s;
  std::string ip = s.substr(0, slash);
  if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
  return ip + ":" + s.substr(slash + 1);
}

void say(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string printable(std::span<const std::uint8_t> data) {
  std::string out;
  for (std::uint8_t c : data) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  return out;
}

std::string describe(const ctrl::runner_event& e) {
  using k = ctrl::runner_event::kind;
  switch (e.what) {
    case k::online: return e.flag ? "online" : "offline";
    case k::peer_online: return "peer-online " + e.peer.to_string();
    case k::peer_offline: return "peer-offline " + e.peer.to_string();
    case k::path_learned:
      return fmt::format("path-learned {} {}", e.peer.to_string(), endpoint_string(e.address));
    case k::path_lost:
      return fmt::format("path-lost {} {}", e.peer.to_string(), endpoint_string(e.address));
    case k::user_message:
      return fmt::format("user-message from {} type {}: {}", e.peer.to_string(), e.type,
                         printable(e.data));
    case k::echo_reply:
      return fmt::format("echo {} rtt {} ms path {}", e.peer.to_string(), e.rtt_ms,
                         e.direct ? "direct" : "relayed");
    case k::external_address:
      return fmt::format("external-address {} (reported by {}{})", endpoint_string(e.address),
                         e.peer.to_string(), e.flag ? ", upstream" : "");
    case k::identity_collision: return "identity-collision " + e.peer.to_string();
    case k::fatal_identity_collision:
      return "fatal: upstream " + e.peer.to_string() +
             " says our address is taken; make a new identity";
    case k::error_received: return fmt::format("error from {} code {}", e.peer.to_string(), e.type);
    case k::network_status:
      return fmt::format("network {:016x} status {}", e.network_id, ctrl::to_string(e.status));
    case k::network_config: {
      std::string out;
      for (const auto& ip : e.ips)
        out += fmt::format("{}network {:016x} address {}{}", out.empty() ? "" : "\n", e.network_id,
                           ip.to_string(), e.flag ? " (cached)" : "");
      if (out.empty())
        out = fmt::format("network {:016x} config (no addresses){}", e.network_id,
                          e.flag ? " (cached)" : "");
      return out;
    }
    case k::network_problem:
      return fmt::format("network {:016x} problem: {}", e.network_id, printable(e.data));
  }
  return "event";
}

// Events from the runner thread, consumed by the main thread.
struct event_queue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<ctrl::runner_event> q;
  void push(const ctrl::runner_event& e) {
    {
      std::lock_guard lock(mu);
      q.push_back(e);
    }
    cv.notify_one();
  }
  // Waits up to `ms` for an event.
  std::optional<ctrl::runner_event> pop(std::int64_t ms) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return !q.empty(); });
    if (q.empty()) return std::nullopt;
    auto e = std::move(q.front());
    q.pop_front();
    return e;
  }
};

result<crypto::identity> open_identity(const std::string& dir, std::optional<ctrl::state_dir>& sd) {
  auto opened = ctrl::state_dir::open(dir);
  if (!opened.ok()) return error{opened.code(), opened.message()};
  sd.emplace(std::move(*opened));
  return sd->load_or_create_identity();
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::optional<io::backend_kind> parse_backend(const std::string& s) {
  if (s == "auto") return io::backend_kind::automatic;
  if (s == "epoll") return io::backend_kind::epoll;
  if (s == "io_uring") return io::backend_kind::io_uring;
  return std::nullopt;
}

}  // namespace

void add_root_command(CLI::App& app, int& exit_code) {
  struct options {
    std::string state;
    std::string listen;
    std::string endpoint;
    std::string backend = "auto";
    bool allow_loopback = false;
    controller_options ctl;
  };
  auto o = std::make_shared<options>();
  CLI::App* cmd = app.add_subcommand(
      "root", "Run a self-hosted root: write a planet naming this node as its single root, "
              "then serve (relay, RENDEZVOUS) until SIGINT/SIGTERM");
  cmd->add_option("--state", o->state, "State folder (identity, root.world.secret, planet)")
      ->required();
  cmd->add_option("--listen", o->listen, "UDP address to listen on")
      ->required()
      ->check(endpoint_validator());
  cmd->add_option("--endpoint", o->endpoint,
                  "Stable endpoint written in the planet (default: the --listen address)")
      ->check(endpoint_validator());
  cmd->add_flag("--allow-loopback", o->allow_loopback,
                "Accept loopback paths (tests and demos on one machine)");
  cmd->add_option("--backend", o->backend, "I/O backend")
      ->check(CLI::IsMember({"auto", "epoll", "io_uring"}));
  add_controller_options(cmd, o->ctl);
  cmd->callback([o, &exit_code] {
    const auto listen = *parse_endpoint(o->listen);
    const auto endpoint = o->endpoint.empty() ? listen : *parse_endpoint(o->endpoint);
    if (endpoint.port == 0 || endpoint.ip == std::array<std::uint8_t, 16>{}) {
      std::fprintf(stderr,
                   "zt root: the planet's endpoint %s must name a concrete address and port "
                   "(give --endpoint)\n",
                   endpoint_string(endpoint).c_str());
      exit_code = 1;
      return;
    }
    std::optional<ctrl::state_dir> sd;
    auto id = open_identity(o->state, sd);
    if (!id.ok()) {
      std::fprintf(stderr, "zt root: %s\n", id.message().c_str());
      exit_code = 1;
      return;
    }
    auto planet = ctrl::make_root_planet(*sd, *id, {endpoint}, static_cast<std::uint64_t>(wall_ms()));
    if (!planet.ok()) {
      std::fprintf(stderr, "zt root: %s\n", planet.message().c_str());
      exit_code = 1;
      return;
    }
    install_signal_handlers();
    event_queue events;
    ctrl::node_runner_config cfg;
    cfg.socket.bind = listen;
    cfg.backend = *parse_backend(o->backend);
    cfg.node.paths.allow_loopback = o->allow_loopback;
    cfg.planet = *planet;
    cfg.state = &*sd;
    cfg.controller = !o->ctl.suffix.empty();
    cfg.on_event = [&events](const ctrl::runner_event& e) { events.push(e); };
    auto runner = ctrl::node_runner::start(*id, std::move(cfg));
    if (!runner.ok()) {
      std::fprintf(stderr, "zt root: %s\n", runner.message().c_str());
      exit_code = 1;
      return;
    }
    if (!o->ctl.suffix.empty()) {
      auto nwid = setup_controller(**runner, o->ctl);
      if (!nwid.ok()) {
        std::fprintf(stderr, "zt root: controller: %s\n", nwid.message().c_str());
        (*runner)->stop();
        exit_code = 1;
        return;
      }
      say(fmt::format("controller network {:016x}", *nwid));
    }
    say("planet " + sd->planet_path().string());
    say("root " + (*runner)->address().to_string() + " at " + endpoint_string(endpoint));
    say("listening " + endpoint_string((*runner)->local_address()) + " (" +
        std::string((*runner)->backend_name()) + ")");
    while (!g_signalled && (*runner)->running()) {
      if (auto e = events.pop(200)) say(describe(*e));
    }
    (*runner)->stop();
    say("stopped");
  });
}

void add_node_command(CLI::App& app, int& exit_code) {
  struct options {
    std::string state;
    std::string planet;
    std::string listen = "0.0.0.0:0";
    std::string backend = "auto";
    bool allow_loopback = false;
    std::string send_to;
    std::string message;
    std::uint64_t message_type = 1;
    std::string echo;
    bool until_direct = false;
    std::int64_t echo_interval_ms = 1000;
    bool exit_on_message = false;
    std::int64_t wait_ms = 0;
    std::vector<std::string> join;
    bool until_joined = false;
    std::string ping;
    int ping_count = 3;
    std::size_t ping_size = 32;
    int udp_echo = 0;
    bool stats = false;
    std::string metrics;
    controller_options ctl;
  };
  auto o = std::make_shared<options>();
  CLI::App* cmd = app.add_subcommand(
      "node", "Join a planet (e.g. one written by `zt root`), optionally send a USER_MESSAGE "
              "or ECHO, and print what arrives");
  cmd->add_option("--state", o->state, "State folder (identity)")->required();
  cmd->add_option("--planet", o->planet, "Planet file to join")->required();
  cmd->add_option("--listen", o->listen, "UDP address to listen on (port 0: any)")
      ->check(endpoint_validator());
  cmd->add_flag("--allow-loopback", o->allow_loopback,
                "Accept loopback paths (tests and demos on one machine)");
  cmd->add_option("--backend", o->backend, "I/O backend")
      ->check(CLI::IsMember({"auto", "epoll", "io_uring"}));
  auto* send_to = cmd->add_option("--send-to", o->send_to, "Send a USER_MESSAGE to this node")
                      ->check(address_validator());
  auto* message = cmd->add_option("--message", o->message, "The USER_MESSAGE text");
  send_to->needs(message);
  message->needs(send_to);
  cmd->add_option("--message-type", o->message_type, "The USER_MESSAGE type");
  auto* echo = cmd->add_option("--echo", o->echo, "Send ECHOs to this node and print the RTT")
                   ->check(address_validator());
  cmd->add_flag("--until-direct", o->until_direct,
                "With --echo: keep echoing until a reply over a direct path")
      ->needs(echo);
  cmd->add_option("--echo-interval-ms", o->echo_interval_ms, "Time between ECHOs")
      ->check(CLI::Range(std::int64_t{10}, std::int64_t{60000}));
  cmd->add_flag("--exit-on-message", o->exit_on_message, "Exit after the first USER_MESSAGE");
  auto* join = cmd->add_option("--join", o->join,
                               "Join this network (16 hex digits; repeatable) and print its "
                               "status and assigned addresses")
                   ->check(network_id_validator());
  cmd->add_flag("--until-joined", o->until_joined,
                "With --join: exit 0 once every joined network is OK with an address")
      ->needs(join);
  auto* ping = cmd->add_option("--ping", o->ping,
                               "Once the first --join network is up, send ICMP echo requests "
                               "to this IPv4/IPv6 address on it through ztkit's IP stack")
                   ->needs(join)
                   ->check([](const std::string& s) {
                     return wire::inet_address::from_string(s).has_value() ? std::string()
                                                                         : "not an IP address";
                   });
  cmd->add_option("--ping-count", o->ping_count, "With --ping: replies to wait for, then exit 0")
      ->needs(ping)
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--ping-size", o->ping_size,
                  "With --ping: ICMP payload bytes (default 32; above ~1380 the ZeroTier packet "
                  "is fragmented)")
      ->needs(ping)
      ->check(CLI::Range(0, 2700));
  cmd->add_option("--udp-echo", o->udp_echo,
                  "On the first --join network, echo UDP datagrams sent to this port back to "
                  "their sender (through ztkit's IP stack; no polling)")
      ->needs(join)
      ->check(CLI::Range(1, 65535));
  cmd->add_flag("--stats", o->stats, "At exit, print each joined network's port and IP counters");
  cmd->add_option("--metrics", o->metrics,
                  "Serve Prometheus metrics (GET /metrics) at this TCP ADDR:PORT, e.g. "
                  "127.0.0.1:9464 (docs/metrics.md)")
      ->check(endpoint_validator());
  add_controller_options(cmd, o->ctl);
  cmd->add_option("--wait-ms", o->wait_ms,
                  "Exit after this long (0: run until SIGINT/SIGTERM or the expected event)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{86'400'000}));
  cmd->callback([o, &exit_code] {
    std::optional<ctrl::state_dir> sd;
    auto id = open_identity(o->state, sd);
    if (!id.ok()) {
      std::fprintf(stderr, "zt node: %s\n", id.message().c_str());
      exit_code = 1;
      return;
    }
    auto planet = ctrl::read_planet_file(o->planet);
    if (!planet.ok()) {
      std::fprintf(stderr, "zt node: %s\n", planet.message().c_str());
      exit_code = 1;
      return;
    }
    install_signal_handlers();
    event_queue events;
    ctrl::node_runner_config cfg;
    cfg.socket.bind = *parse_endpoint(o->listen);
    cfg.backend = *parse_backend(o->backend);
    cfg.node.paths.allow_loopback = o->allow_loopback;
    cfg.planet = *planet;
    cfg.state = &*sd;
    cfg.controller = !o->ctl.suffix.empty();
    cfg.on_event = [&events](const ctrl::runner_event& e) { events.push(e); };
    auto started = ctrl::node_runner::start(*id, std::move(cfg));
    if (!started.ok()) {
      std::fprintf(stderr, "zt node: %s\n", started.message().c_str());
      exit_code = 1;
      return;
    }
    auto& runner = **started;
    say("node " + runner.address().to_string() + " listening " +
        endpoint_string(runner.local_address()) + " (" + std::string(runner.backend_name()) + ")");
    // --metrics: the library's endpoint over this runner (a non-owning link; stopped first).
    std::unique_ptr<Node::MetricsServer> metrics;
    if (!o->metrics.empty()) {
      auto link = std::make_shared<node_link>();
      link->runner = std::shared_ptr<ctrl::node_runner>(std::shared_ptr<void>(), &runner);
      auto at = SocketAddress::parse(o->metrics);
      auto server = at ? Node::MetricsServer::start(*at, link)
                       : Expected<std::unique_ptr<Node::MetricsServer>>(
                             Error(Errc::invalid_argument, "not ADDR:PORT: " + o->metrics));
      if (!server) {
        std::fprintf(stderr, "zt node: --metrics: %s\n", server.error().message.c_str());
        runner.stop();
        exit_code = 1;
        return;
      }
      metrics = std::move(*server);
      say("metrics http://" + metrics->endpoint().to_string() + "/metrics");
    }
    if (!o->ctl.suffix.empty()) {
      auto nwid = setup_controller(runner, o->ctl);
      if (!nwid.ok()) {
        std::fprintf(stderr, "zt node: controller: %s\n", nwid.message().c_str());
        runner.stop();
        exit_code = 1;
        return;
      }
      say(fmt::format("controller network {:016x}", *nwid));
    }
    // Per joined network: OK, and an address from the controller (not only from the cache).
    struct joined_state {
      bool ok = false;
      bool address = false;
      bool reported = false;
    };
    std::map<std::uint64_t, joined_state> networks;
    const std::int64_t join_at = steady_ms();
    for (const auto& n : o->join) {
      const std::uint64_t nwid = *parse_hex(n, 16, true);
      networks[nwid];
      runner.join(nwid);
    }

    const std::optional<zt_address> msg_to =
        o->send_to.empty() ? std::nullopt : zt_address::parse(o->send_to);
    const std::optional<zt_address> echo_to =
        o->echo.empty() ? std::nullopt : zt_address::parse(o->echo);
    // --ping: requests and replies cross to the runner thread through post_network; the
    // replies are collected there with the runner's clock for an honest RTT.
    struct ping_state {
      std::mutex mu;
      std::map<std::uint16_t, std::int64_t> sent;  // seq -> runner time
      std::vector<std::pair<std::uint16_t, std::int64_t>> replies;  // seq, rtt
    };
    auto pings = std::make_shared<ping_state>();
    std::optional<wire::inet_address> ping_to;
    if (!o->ping.empty()) ping_to = wire::inet_address::from_string(o->ping);
    const std::uint64_t ping_net = o->join.empty() ? 0 : *parse_hex(o->join.front(), 16, true);
    bool udp_echo_started = false;
    std::uint16_t ping_seq = 0;
    int ping_replies = 0;
    std::int64_t next_ping = 0;
    const auto drain_pings = [&runner, pings, ping_net] {
      runner.post_network(ping_net, [pings](ctrl::network_stack& st, std::int64_t now) {
        std::lock_guard lock(pings->mu);
        while (auto r = st.iface()->take_echo_reply()) {
          auto it = pings->sent.find(r->seq);
          if (it == pings->sent.end()) continue;
          pings->replies.emplace_back(r->seq, now - it->second);
          pings->sent.erase(it);
        }
      });
    };
    const bool expecting =
        echo_to.has_value() || o->exit_on_message || o->until_joined || ping_to.has_value();
    const std::int64_t start = steady_ms();
    bool online = false, sent_message = false, done = false;
    std::int64_t next_echo = 0;
    while (!g_signalled && runner.running() && !done) {
      const std::int64_t now = steady_ms();
      if (o->wait_ms > 0 && now - start >= o->wait_ms) break;
      if (online && msg_to && !sent_message) {
        runner.send_user_message(*msg_to, o->message_type,
                                 std::vector<std::uint8_t>(o->message.begin(), o->message.end()));
        sent_message = true;
        say("sent user-message to " + msg_to->to_string());
      }
      if (online && echo_to && now >= next_echo) {
        runner.send_echo(*echo_to);
        next_echo = now + o->echo_interval_ms;
      }
      if (o->udp_echo != 0 && !udp_echo_started && networks.count(ping_net) &&
          networks[ping_net].reported) {
        udp_echo_started = true;
        const auto port = static_cast<std::uint16_t>(o->udp_echo);
        runner.post_network(ping_net, [port](ctrl::network_stack& st, std::int64_t) {
          auto& socks = st.iface()->udp();
          auto h = socks.open();
          wire::inet_address any;
          any.port = port;
          if (!h || socks.bind(*h, any) != netstack::udp_error::ok) {
            say(fmt::format("udp-echo: cannot bind port {}", port));
            return;
          }
          say(fmt::format("udp-echo listening on port {}", port));
          st.set_on_input([h = *h](ctrl::network_stack& s, std::int64_t) {
            auto& sock = s.iface()->udp().get(h);
            std::array<std::uint8_t, 65536> buf;
            while (auto m = sock.recv_from(buf)) {
              const std::size_t n = std::min(m->len, buf.size());
              sock.send_to(std::span(buf.data(), n), m->src);
            }
          });
        });
      }
      const bool ping_ready = ping_to && networks.count(ping_net) && networks[ping_net].reported;
      if (ping_ready && now >= next_ping) {
        const std::uint16_t seq = ++ping_seq;
        const wire::inet_address dst = *ping_to;
        std::vector<std::uint8_t> data(o->ping_size);
        for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>("ztkit"[i % 5] + i / 5);
        runner.post_network(ping_net, [pings, seq, dst, data = std::move(data)](ctrl::network_stack& st,
                                                                                 std::int64_t now) {
          {
            std::lock_guard lock(pings->mu);
            pings->sent[seq] = now;
          }
          st.send_ping(now, dst, 0x7a74, seq, data);
        });
        next_ping = now + o->echo_interval_ms;
      }
      if (ping_ready) {
        drain_pings();
        std::lock_guard lock(pings->mu);
        for (const auto& [seq, rtt] : pings->replies) {
          say(fmt::format("ping reply from {} seq {} time {} ms", o->ping, seq, rtt));
          if (++ping_replies >= o->ping_count) done = true;
        }
        pings->replies.clear();
      }
      std::int64_t wait = ping_ready ? 5 : 100;
      if (o->wait_ms > 0) wait = std::min(wait, std::max<std::int64_t>(1, start + o->wait_ms - now));
      if (online && echo_to) wait = std::min(wait, std::max<std::int64_t>(1, next_echo - now));
      auto e = events.pop(wait);
      if (!e) continue;
      say(describe(*e));
      using k = ctrl::runner_event::kind;
      if (e->what == k::online) online = e->flag;
      if (e->what == k::fatal_identity_collision) exit_code = 3;
      if (e->what == k::user_message && o->exit_on_message) done = true;
      if (e->what == k::network_status || e->what == k::network_config) {
        auto it = networks.find(e->network_id);
        if (it != networks.end()) {
          auto& st = it->second;
          if (e->what == k::network_status) st.ok = e->status == ctrl::network_status::ok;
          if (e->what == k::network_config && !e->flag) st.address = !e->ips.empty();
          if (st.ok && st.address && !st.reported) {
            st.reported = true;
            say(fmt::format("network {:016x} joined in {} ms", e->network_id, steady_ms() - join_at));
          }
          if (o->until_joined && !ping_to &&
              std::all_of(networks.begin(), networks.end(),
                          [](const auto& n) { return n.second.ok && n.second.address; }))
            done = true;
        }
      }
      if (e->what == k::echo_reply && echo_to && e->peer == *echo_to &&
          (!o->until_direct || e->direct))
        done = true;
    }
    if (metrics) metrics->stop();
    runner.stop();
    if (o->stats) {
      for (const auto& [nwid, st] : networks) {
        const ctrl::network_stack* ns = runner.stack(nwid);
        if (ns == nullptr) continue;
        const auto& c = ns->port().counters();
        say(fmt::format(
            "stats {:016x} port: rx_frames {} rx_multicast {} rx_gated {} rx_parked_delivered {} "
            "rx_parked_dropped {} rx_bad_mac {} rx_filtered {} tx_frames {} tx_multicast_copies "
            "{} tx_gathers {} tx_dropped {} likes_sent {} likes_received {} credentials_pushed {} "
            "need_certificate_sent {}",
            nwid, c.rx_frames, c.rx_multicast, c.rx_gated, c.rx_parked_delivered,
            c.rx_parked_dropped, c.rx_bad_mac, c.rx_filtered, c.tx_frames, c.tx_multicast_copies,
            c.tx_gathers, c.tx_dropped, c.likes_sent, c.likes_received, c.credentials_pushed,
            c.need_certificate_sent));
        if (const auto* ifc = ns->iface()) {
          const auto& i = ifc->counters();
          say(fmt::format("stats {:016x} ip: rx_frames {} rx_not_for_us {} rx_unknown {} "
                          "arp_replied {} echo_replied {} udp_delivered {} tx_frames {} "
                          "tx_no_route {} tx_no_buffer {}",
                          nwid, i.rx_frames, i.rx_not_for_us, i.rx_unknown, i.arp_replied,
                          i.echo_replied, i.udp_delivered, i.tx_frames, i.tx_no_route,
                          i.tx_no_buffer));
        }
      }
    }
    if (expecting && !done && !g_signalled && exit_code == 0) {
      std::fprintf(stderr, "zt node: timed out before the expected %s\n",
                   echo_to ? "echo reply" : o->exit_on_message ? "user message"
                                          : ping_to ? "ping replies" : "network join");
      exit_code = 2;
    }
  });
}

}  // namespace ztkit::tools
