// `zt expose ZT_PORT --to HOST:PORT`: publishes a local TCP service (loopback or LAN, reached
// through kernel sockets) on the node's managed addresses of --network. Each ztkit connection
// accepted on ZT_PORT gets a kernel connection to HOST:PORT and the relay engine (relay.h)
// between them: both directions, half-close, bounded buffers, counters. Public API only.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "tools/zt/commands.h"
#include "tools/zt/join_node.h"
#include "tools/zt/relay.h"
#include "ztkit/node.h"
#include "ztkit/tcp.h"

namespace ztkit::tools {

namespace {

using namespace std::chrono_literals;

struct expose_options {
  node_options node;
  int port = 0;
  std::string to;
  int max_connections = 256;
  int connect_timeout_ms = 5000;
  int stats_interval_s = 0;
};

int run_expose(const expose_options& o) {
  const auto to = parse_host_port(o.to);
  if (!to) {
    std::fprintf(stderr, "zt expose: --to needs HOST:PORT (e.g. 127.0.0.1:8080), not %s\n", o.to.c_str());
    return 1;
  }
  block_stop_signals();
  auto j = start_and_join(o.node);
  if (!j) {
    std::fprintf(stderr, "zt expose: %s\n", j.error().message.c_str());
    return 1;
  }
  // ip none: every managed address of the network, IPv4 and IPv6 alike.
  auto listener = TcpListener::listen(*j->node, j->nwid, {{}, static_cast<std::uint16_t>(o.port)});
  if (!listener) {
    std::fprintf(stderr, "zt expose: %s\n", listener.error().message.c_str());
    return 1;
  }
  relay_counters counters;
  connection_pool pool(static_cast<std::size_t>(o.max_connections));
  const std::string target = o.to;
  std::printf("exposing %s port %d -> %s\n", addresses_text(j->info).c_str(), o.port, target.c_str());
  std::fflush(stdout);

  const auto on_accept = [&] {
    for (;;) {
      // Zero timeout: an empty queue lowers the readiness fd and says would_block.
      auto s = listener->accept(0ms);
      if (!s) return;  // nothing more waiting
      counters.accepted.fetch_add(1);
      auto stream = std::make_shared<TcpStream>(std::move(*s));
      const std::string peer = stream->peer_address().to_string();
      const bool started = pool.spawn([&counters, &o, to, stream, peer](cancel_token& cancel) {
        counters.active.fetch_add(1);
        std::string error;
        const int kfd = kernel_connect(to->first, to->second, std::chrono::milliseconds(o.connect_timeout_ms),
                                       &cancel, error);
        if (kfd < 0) {
          std::fprintf(stderr, "zt expose: %s: %s\n", peer.c_str(), error.c_str());
          stream->abort();  // the caller sees a reset, as if the port were closed
          counters.failed.fetch_add(1);
        } else {
          const relay_result r = relay(std::move(*stream), kfd, cancel, counters);
          (r.clean ? counters.completed : counters.failed).fetch_add(1);
          if (!r.clean) std::fprintf(stderr, "zt expose: %s: %s\n", peer.c_str(), r.error.c_str());
        }
        counters.active.fetch_sub(1);
      });
      if (!started) {
        counters.rejected.fetch_add(1);
        stream->abort();
      }
    }
  };
  const std::string why = serve({{listener->fd(), on_accept}}, pool, std::chrono::seconds(o.stats_interval_s),
                                [&] { return "zt expose: " + counters.summary(); });
  listener->close();
  pool.stop();
  std::printf("zt expose: %s: %s\n", why.c_str(), counters.summary().c_str());
  std::fflush(stdout);
  j->node->stop();
  return 0;
}

}  // namespace

void add_expose_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<expose_options>();
  CLI::App* cmd = app.add_subcommand(
      "expose", "Publish a local TCP service (HOST:PORT) on this node's addresses of a ZeroTier network");
  cmd->add_option("port", o->port, "TCP port on the network's managed addresses")
      ->required()
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--to", o->to, "The local service: HOST:PORT (127.0.0.1:8080, [::1]:80, localhost:80)")
      ->required();
  cmd->add_option("--max-connections", o->max_connections, "Connections relayed at once (more are reset)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--connect-timeout-ms", o->connect_timeout_ms, "How long to wait for the local service")
      ->check(CLI::Range(1, 600000));
  cmd->add_option("--stats-interval", o->stats_interval_s, "Print the counters on stderr every N seconds")
      ->check(CLI::Range(0, 86400));
  add_node_options(cmd, o->node);
  cmd->callback([o, &exit_code] { exit_code = run_expose(*o); });
}

}  // namespace ztkit::tools
