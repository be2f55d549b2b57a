#include "tools/zt/join_node.h"

#include <cstdio>
#include <cstdlib>

namespace ztkit::tools {

void add_node_options(CLI::App* cmd, node_options& o) {
  cmd->add_option("--state", o.state, "State folder (default ~/.ztkit)");
  cmd->add_option("--planet", o.planet, "Planet file (default: the state folder's, else Earth)");
  cmd->add_option("--listen", o.listen,
                  "The node's UDP address (default 0.0.0.0 on the state folder's last port)");
  cmd->add_flag("--allow-loopback", o.allow_loopback, "Accept loopback paths (one-machine tests)");
  cmd->add_option("--network,-n", o.network, "Network ID (16 hex digits)")
      ->required()
      ->check([](const std::string& s) {
        return s.size() == 16 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos
                   ? std::string()
                   : "a network ID is 16 hex digits: " + s;
      });
  cmd->add_option("--timeout-ms", o.timeout_ms, "How long to wait for the network")
      ->check(CLI::Range(1, 3'600'000));
}

Expected<joined_node> start_and_join(const node_options& o) {
  NodeOptions no;
  const char* home = std::getenv("HOME");
  no.state_dir = o.state.empty() ? std::string(home ? home : ".") + "/.ztkit" : o.state;
  no.planet_file = o.planet;
  no.allow_loopback = o.allow_loopback;
  no.listen = o.listen;
  // As net_cmds.cc: keep the UDP port of the last run so peers keep a path that still works.
  const std::string port_file = no.state_dir + "/zt.port";
  Expected<std::unique_ptr<Node>> n = Error(Errc::internal, "not started");
  if (no.listen.empty()) {
    int port = 0;
    if (FILE* f = std::fopen(port_file.c_str(), "r")) {
      if (std::fscanf(f, "%d", &port) != 1 || port < 0 || port > 65535) port = 0;
      std::fclose(f);
    }
    no.listen = "0.0.0.0:" + std::to_string(port);
    n = Node::start(no);
    if (!n && port != 0) {
      no.listen = "0.0.0.0:0";
      n = Node::start(no);
    }
    if (n)
      if (FILE* f = std::fopen(port_file.c_str(), "w")) {
        std::fprintf(f, "%u\n", static_cast<unsigned>((*n)->local_endpoint().port));
        std::fclose(f);
      }
  } else {
    n = Node::start(no);
  }
  if (!n) return n.error();
  joined_node out;
  out.node = std::move(*n);
  out.nwid = std::strtoull(o.network.c_str(), nullptr, 16);
  if (auto j = out.node->join(out.nwid); !j) return j.error();
  auto info = out.node->wait_network_ready(out.nwid, std::chrono::milliseconds(o.timeout_ms));
  if (!info) return info.error();
  out.info = *info;
  return out;
}

std::string addresses_text(const NetworkInfo& n) {
  std::string s;
  for (const auto& a : n.addresses) s += (s.empty() ? "" : ",") + a.to_string();
  return s.empty() ? "-" : s;
}

}  // namespace ztkit::tools
