// Shared by the examples: start a node from a state folder, join a network and wait for its
// address. Usage of every example: <program> STATE_DIR NWID [args...] with the environment
// variable ZTKIT_PLANET naming a planet file for a private world (default: the built-in one)
// and ZTKIT_ALLOW_LOOPBACK=1 for a world on one machine.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "ztkit/node.h"

namespace example {

struct joined {
  std::unique_ptr<ztkit::Node> node;
  std::uint64_t nwid = 0;
  ztkit::NetworkInfo info;
};

inline joined join_or_exit(const char* state_dir, const char* nwid_hex) {
  ztkit::NodeOptions o;
  o.state_dir = state_dir;
  o.listen = "0.0.0.0:0";
  if (const char* p = std::getenv("ZTKIT_PLANET")) o.planet_file = p;
  if (const char* l = std::getenv("ZTKIT_ALLOW_LOOPBACK")) o.allow_loopback = std::string(l) == "1";
  auto node = ztkit::Node::start(o);
  if (!node) {
    std::fprintf(stderr, "node: %s\n", node.error().message.c_str());
    std::exit(1);
  }
  joined j;
  j.node = std::move(*node);
  j.nwid = std::strtoull(nwid_hex, nullptr, 16);
  if (auto r = j.node->join(j.nwid); !r) {
    std::fprintf(stderr, "join: %s\n", r.error().message.c_str());
    std::exit(1);
  }
  auto info = j.node->wait_network_ready(j.nwid, std::chrono::seconds(60));
  if (!info) {
    std::fprintf(stderr, "network: %s\n", info.error().message.c_str());
    std::exit(1);
  }
  j.info = *info;
  std::fprintf(stderr, "node %s on %016llx as %s\n", j.node->address().c_str(),
               static_cast<unsigned long long>(j.nwid), info->addresses.at(0).to_string().c_str());
  return j;
}

}  // namespace example
