// How `zt expose` and `zt proxy` start a node from --state and join --network: the same options
// and the same steps as the everyday commands in net_cmds.cc (whose helpers are private to it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "ztkit/node.h"

namespace ztkit::tools {

struct node_options {
  std::string state;
  std::string planet;
  std::string listen;  // empty: 0.0.0.0 on the port kept in <state>/zt.port
  bool allow_loopback = false;
  std::string network;
  int timeout_ms = 30000;
};

// --state --planet --listen --allow-loopback --network/-n (required) --timeout-ms.
void add_node_options(CLI::App* cmd, node_options& o);

struct joined_node {
  std::unique_ptr<Node> node;
  std::uint64_t nwid = 0;
  NetworkInfo info;
};
// Starts the node, joins --network and waits for a managed address.
Expected<joined_node> start_and_join(const node_options& o);

// "10.1.2.3/24,fd00::1/88" (or "-").
std::string addresses_text(const NetworkInfo& n);

}  // namespace ztkit::tools
