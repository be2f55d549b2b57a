// `zt controller`: a node with an embedded network controller whose networks and members live
// in <state>/controller.d (ctrl/controller_api/controller_store.h) and are managed over
// zerotier-one's controller HTTP API on 127.0.0.1 (controller_http.h). With --root the node
// also writes a single-root planet naming itself and serves as that root, so one command
// brings up a whole private ZeroTier world: `zt node --planet <state>/planet --join NWID`.
// Uses ctrl/runtime directly until the public node API (issue 10) exists.
#include <csignal>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ctrl/controller_api/controller_http.h"
#include "ctrl/controller_api/controller_store.h"
#include "ctrl/runtime/node_runner.h"
#include "ctrl/runtime/root_planet.h"
#include "ctrl/state/state_dir.h"
#include "tools/zt/commands.h"

namespace ztkit::tools {

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_controller_signal(int) { g_stop = 1; }

void say(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// "1.2.3.4:9993" or "[::1]:9993" -> InetAddress with the port.
std::optional<wire::inet_address> parse_host_port(const std::string& s) {
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
  if (std::stoul(port) > 65535) return {};
  return wire::inet_address::from_string(ip + "/" + port);
}

std::string host_port(const wire::inet_address& a) {
  std::string ip = a.to_string();
  if (const auto slash = ip.rfind('/'); slash != std::string::npos) ip.resize(slash);
  if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(a.port);
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The runner's events that matter to a controller operator, for the log.
std::optional<std::string> describe(const ctrl::runner_event& e) {
  using k = ctrl::runner_event::kind;
  switch (e.what) {
    case k::online: return std::string(e.flag ? "online" : "offline");
    case k::peer_online: return "peer-online " + e.peer.to_string();
    case k::peer_offline: return "peer-offline " + e.peer.to_string();
    case k::fatal_identity_collision:
      return "fatal: upstream " + e.peer.to_string() + " says our address is taken";
    default: return std::nullopt;
  }
}

struct event_log {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> lines;
  void push(std::string s) {
    {
      std::lock_guard lock(mu);
      lines.push_back(std::move(s));
    }
    cv.notify_one();
  }
  std::optional<std::string> pop(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, wait, [&] { return !lines.empty(); });
    if (lines.empty()) return std::nullopt;
    auto s = std::move(lines.front());
    lines.pop_front();
    return s;
  }
};

struct options {
  std::string state;
  std::string listen;
  int api_port = 9993;
  bool root = false;
  std::string planet;
  std::string endpoint;
  std::string backend = "auto";
  bool allow_loopback = false;
};

int run_controller(const options& o) {
  auto fail = [](const std::string& what) {
    std::fprintf(stderr, "zt controller: %s\n", what.c_str());
    return 1;
  };
  const auto listen = *parse_host_port(o.listen);
  auto opened = ctrl::state_dir::open(o.state);
  if (!opened.ok()) return fail(opened.message());
  ctrl::state_dir sd = std::move(*opened);
  auto id = sd.load_or_create_identity();
  if (!id.ok()) return fail(id.message());

  // The planet: our own (--root, as `zt root` makes it), a file, or the state folder's choice.
  wire::world planet;
  std::optional<wire::inet_address> root_endpoint;
  if (o.root) {
    root_endpoint = o.endpoint.empty() ? listen : *parse_host_port(o.endpoint);
    if (root_endpoint->port == 0 || root_endpoint->ip == std::array<std::uint8_t, 16>{})
      return fail("the planet's endpoint " + host_port(*root_endpoint) +
                  " must name a concrete address and port (give --endpoint)");
    auto made = ctrl::make_root_planet(sd, *id, {*root_endpoint}, static_cast<std::uint64_t>(wall_ms()));
    if (!made.ok()) return fail(made.message());
    planet = std::move(*made);
  } else if (!o.planet.empty()) {
    auto read = ctrl::read_planet_file(o.planet);
    if (!read.ok()) return fail(read.message());
    planet = std::move(*read);
  } else {
    auto choice = sd.load_planet();
    if (!choice.file_problem.empty()) std::fprintf(stderr, "zt controller: %s\n", choice.file_problem.c_str());
    planet = std::move(choice.planet);
  }

  auto token = ctrl::api::load_or_create_auth_token(sd.path());
  if (!token.ok()) return fail(token.message());
  auto store_opened = ctrl::api::controller_store::open(sd.path());
  if (!store_opened.ok()) return fail(store_opened.message());
  // Heap-held: the controller's change hook points at it.
  auto store = std::make_unique<ctrl::api::controller_store>(std::move(*store_opened));

  struct sigaction sa {};
  sa.sa_handler = on_controller_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  event_log events;
  ctrl::node_runner_config cfg;
  cfg.socket.bind = listen;
  cfg.backend = o.backend == "epoll"      ? io::backend_kind::epoll
                : o.backend == "io_uring" ? io::backend_kind::io_uring
                                          : io::backend_kind::automatic;
  cfg.node.paths.allow_loopback = o.allow_loopback;
  cfg.planet = planet;
  cfg.state = &sd;
  cfg.controller = true;
  cfg.on_event = [&events](const ctrl::runner_event& e) {
    if (auto line = describe(e)) events.push(std::move(*line));
  };
  auto started = ctrl::node_runner::start(*id, std::move(cfg));
  if (!started.ok()) return fail(started.message());
  auto& runner = **started;

  // The stored networks into the controller, and the store onto its changes, on its thread.
  struct loaded {
    std::vector<std::string> problems;
    std::size_t networks = 0, members = 0;
  };
  auto done = std::make_shared<std::promise<loaded>>();
  auto answer = done->get_future();
  ctrl::api::controller_store* st = store.get();
  runner.post_controller([done, st](ctrl::controller& c, std::int64_t) {
    loaded l;
    l.problems = st->load_into(c);
    st->attach(c);
    l.networks = c.networks().size();
    for (const auto& [nwid, n] : c.networks()) l.members += n.members.size();
    done->set_value(std::move(l));
  });
  if (answer.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    runner.stop();
    return fail("the controller did not load its networks");
  }
  const loaded l = answer.get();
  for (const auto& p : l.problems) std::fprintf(stderr, "zt controller: skipped %s\n", p.c_str());

  ctrl::api::controller_http_options http_opts;
  http_opts.port = o.api_port;
  http_opts.token = *token;
  auto http = ctrl::api::controller_http::start(
      http_opts,
      [&runner](std::function<void(ctrl::controller&, std::int64_t)> fn) {
        runner.post_controller(std::move(fn));
      },
      store.get());
  if (!http.ok()) {
    runner.stop();
    return fail("API: " + http.message());
  }

  say("controller " + runner.address().to_string());
  if (root_endpoint) {
    say("planet " + sd.planet_path().string());
    say("root " + runner.address().to_string() + " at " + host_port(*root_endpoint));
  }
  say("listening " + host_port(runner.local_address()) + " (" + std::string(runner.backend_name()) + ")");
  say(fmt::format("networks {} members {} from {}", l.networks, l.members, store->root().string()));
  say(fmt::format("authtoken {}", (sd.path() / "authtoken.secret").string()));
  say(fmt::format("api http://127.0.0.1:{}/controller (X-ZT1-Auth)", (*http)->port()));
  say(fmt::format("api-port {}", (*http)->port()));

  int rc = 0;
  while (!g_stop && runner.running()) {
    if (auto line = events.pop(std::chrono::milliseconds(200))) {
      say(*line);
      if (line->rfind("fatal:", 0) == 0) rc = 3;
    }
  }
  (*http)->stop();
  runner.stop();  // the controller (and its hook into the store) stops here
  say("stopped");
  return rc;
}

}  // namespace

void add_controller_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<options>();
  CLI::App* cmd = app.add_subcommand(
      "controller",
      "Run a node with an embedded network controller: networks and members stored in "
      "<state>/controller.d, managed over zerotier-one's controller HTTP API on 127.0.0.1");
  cmd->add_option("--state", o->state, "State folder (identity, authtoken.secret, controller.d)")
      ->required();
  auto endpoint_check = CLI::Validator(
      [](std::string& s) -> std::string {
        return parse_host_port(s) ? std::string() : "not ADDR:PORT (e.g. 127.0.0.1:9993): " + s;
      },
      "ADDR:PORT");
  cmd->add_option("--listen", o->listen, "UDP address to listen on")->required()->check(endpoint_check);
  cmd->add_option("--api-port", o->api_port, "TCP port of the HTTP API on 127.0.0.1 (0: any)")
      ->check(CLI::Range(0, 65535));
  auto* root = cmd->add_flag("--root", o->root,
                             "Also be the single root of a planet written to <state>/planet");
  cmd->add_option("--endpoint", o->endpoint,
                  "With --root: the endpoint written in the planet (default: --listen)")
      ->check(endpoint_check)
      ->needs(root);
  cmd->add_option("--planet", o->planet,
                  "Planet file to join (default: <state>/planet or the built-in one)")
      ->excludes(root);
  cmd->add_flag("--allow-loopback", o->allow_loopback,
                "Accept loopback paths (tests and demos on one machine)");
  cmd->add_option("--backend", o->backend, "I/O backend")
      ->check(CLI::IsMember({"auto", "epoll", "io_uring"}));
  cmd->callback([o, &exit_code] { exit_code = run_controller(*o); });
}

}  // namespace ztkit::tools
