// The `zt` subcommands: each registers itself on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

namespace ztkit::tools {

// `zt selfcheck`: crypto known-answer tests and a speed summary. Sets `exit_code`.
void add_selfcheck_command(CLI::App& app, int& exit_code);

// `zt root`: write a single-root planet naming this node, then serve as that root.
void add_root_command(CLI::App& app, int& exit_code);
// `zt info|join|leave|networks|ping|listen|call|udp-listen|udp-send` (public API only).
void add_net_commands(CLI::App& app, int& exit_code);
// `zt idtool generate|validate|getpublic|sign|verify` (zerotier-idtool's forms).
void add_idtool_command(CLI::App& app, int& exit_code);
// `zt demo`: a private ZeroTier world on this machine, measured (public API only).
void add_demo_command(CLI::App& app, int& exit_code);
// `zt node`: join a planet, optionally send a USER_MESSAGE / ECHOs, print what arrives.
void add_node_command(CLI::App& app, int& exit_code);
// `zt controller`: a node with an embedded controller, its JSON store and its HTTP API.
void add_controller_command(CLI::App& app, int& exit_code);
// `zt expose PORT --to HOST:PORT`: publish a local TCP service on the network (public API only).
void add_expose_command(CLI::App& app, int& exit_code);
// `zt proxy --socks5 ADDR --http ADDR`: SOCKS5 / HTTP CONNECT proxy into a network (public API only).
void add_proxy_command(CLI::App& app, int& exit_code);

}  // namespace ztkit::tools
