// The inside of ztkit::Node: the runner (ctrl/runtime) plus what the API keeps for application
// threads (network snapshots, the event queue). Shared with the socket implementations.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ctrl/runtime/node_runner.h"
#include "ctrl/state/state_dir.h"
#include "ztkit/node.h"

namespace ztkit {

// What sockets hold on to: the runner while the node runs (null after stop), so a socket that
// outlives its node fails with `stopped` instead of touching freed memory.
struct node_link {
  std::mutex mu;
  std::shared_ptr<ctrl::node_runner> runner;  // null once the node stops

  std::shared_ptr<ctrl::node_runner> get() {
    std::lock_guard lock(mu);
    return runner;
  }
  // Runs fn on the node's shard thread (networks, sockets, the controller) and waits until it
  // ran (control path: bind, close, controller calls). False if the node stopped first (then
  // fn never runs: safe to capture locals).
  bool call(std::function<void(ctrl::node_runner&, std::int64_t now)> fn);
  // The same on data shard `shard` (node_runner::shard_at; 0: call()), e.g. for a socket on
  // one of a network's flow lanes. False if the node stopped first or there is no such shard.
  bool call_on(unsigned shard, std::function<void(ctrl::node_runner&, std::int64_t now)> fn);
  // Spreads new connections over the data shards, and where the search for a local port that
  // hashes to the chosen shard starts (flow_steer::port_for_lane).
  std::atomic<std::uint32_t> next_shard{0};
  std::atomic<std::uint32_t> port_cursor{0};
  // The same on the control thread, with the protocol core (peers, paths).
  bool call_core(std::function<void(ctrl::node_core&, std::int64_t now)> fn);
  // No lock and no system call while the node's thread is busy (ctrl::runner_wake); `waker`
  // is set once, before the node is handed to the application, and never reset.
  void wake() {
    if (waker && waker->valid())
      waker->notify();
    else if (auto r = get())
      r->wake();
  }
  std::shared_ptr<ctrl::runner_wake> waker;
};

struct Node::Impl {
  std::optional<ctrl::state_dir> state;
  std::shared_ptr<ctrl::node_runner> runner;
  std::shared_ptr<node_link> link = std::make_shared<node_link>();
  std::string planet_path;
  std::function<void(const Event&)> on_event;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  bool online = false;
  std::map<std::uint64_t, NetworkInfo> networks;  // joined networks
  std::deque<Event> events;

  void on_runner_event(const ctrl::runner_event& e);
  void push(Event e);
};

Error stopped_error();
// On the node's thread: network `nwid`'s stack (with its IP interface), or the error the
// application sees (not joined; joined but no config yet).
Expected<ctrl::network_stack*> stack_of(ctrl::node_runner& r, std::uint64_t nwid);
// Whether `ip` is one of the interface's managed addresses (the unspecified address counts).
bool is_local(const netstack::interface& ifc, const IpAddress& ip);
IpPrefix to_prefix(const wire::inet_address& a);   // port = prefix length
SocketAddress to_socket_address(const wire::inet_address& a);
wire::inet_address to_inet(const SocketAddress& a);

}  // namespace ztkit
