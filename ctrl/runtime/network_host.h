// Everything a node does for networks, in one place the runner and the simulation tests share:
// the members of joined networks (network_member), their stacks (network_stack: port + IP
// stack), the embedded controller, and the multicast directory a root or controller keeps.
// It routes the network layer's verbs as 1.14's IncomingPacket does (_doNETWORK_CONFIG*,
// _doFRAME, _doEXT_FRAME, _doMULTICAST_*, _doNETWORK_CREDENTIALS, and the OK/ERROR cases that
// concern a network). Pure like its parts: every call takes `now`; no threads, no clock.
// It never reads the node core: what it needs of the peers (the upstreams, whether we are a
// root, peers' identities through its network_io) comes from the peer_directory the caller
// passes in (set_directory), so it lives with the data path on a shard while the core lives
// on the control thread.
//
// A join made while the node is offline waits (up to join_defer_max_ms) until an upstream has
// heard our HELLO: a request that reaches a controller (or the root that would vouch for us)
// before our identity does is dropped, and the member would only retry 5 s later.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ctrl/network/controller.h"
#include "ctrl/network/multicast_directory.h"
#include "ctrl/network/network_io.h"
#include "ctrl/network/network_member.h"
#include "ctrl/node/peer_directory.h"
#include "ctrl/runtime/network_stack.h"
#include "ctrl/state/state_dir.h"

namespace ztkit::ctrl {

struct network_host_events {
  std::function<void(std::uint64_t nwid, network_status)> on_status;
  // A new config is in force; the network's stack already follows it.
  std::function<void(std::uint64_t nwid, const std::shared_ptr<const wire::network_config>&,
                     bool from_cache)>
      on_config;
  std::function<void(std::uint64_t nwid, const std::string&)> on_problem;
};

struct network_host_options {
  state_dir* state = nullptr;  // networks.d (none if null)
  network_port::options port;
  std::size_t max_tcp_sockets = 1024;  // per network's stack (and per lane of it)
  // The node's data shards 1..n-1: each network's stack puts a flow lane on each (flow_lane.h).
  std::vector<lane_shard*> lane_shards;
};

class network_host {
 public:
  static constexpr std::int64_t join_defer_max_ms = 3000;

  network_host(zt_address self, network_io& io, network_host_events events = {},
               network_host_options opt = {});

  // Hosts an embedded controller signing with `self` (which must hold its private key).
  void enable_controller(crypto::identity self, std::uint64_t seed);
  controller* embedded_controller() { return controller_.get(); }

  void join(std::int64_t now, std::uint64_t nwid);
  void leave(std::uint64_t nwid);
  void set_online(bool online) { online_ = online; }

  // Deferred joins, member ticks, the stacks' timers and sockets, directory expiry. Call on
  // every loop pass (cheap when nothing is due).
  void pass(std::int64_t now);
  // The control side's current peer_directory: the roots (best first) for the ports' LIKEs
  // and GATHERs, and whether we are a root. Call whenever it changes.
  void set_directory(std::int64_t now, std::shared_ptr<const peer_directory> d);
  bool has_deferred_joins() const { return !deferred_joins_.empty(); }
  // The earliest time a stack's TCP has timer work (retransmission, delayed ACK, ...), for the
  // caller's sleep; INT64_MAX when none.
  std::int64_t next_deadline() const;
  // Some joined network's stack still has application data or FINs to deliver.
  bool delivering() const {
    for (const auto& [nwid, st] : stacks_)
      if (st->delivering()) return true;
    return false;
  }

  // node_sink's network callbacks.
  void on_network_packet(std::int64_t now, zt_address sender, const crypto::identity& sender_id,
                         wire::const_packet_view p);
  // Around a loop pass's received datagrams: each stack answers, wakes its clients and sends
  // once, at end_batch (network_stack::begin_batch).
  void begin_batch() {
    for (auto& [nwid, st] : stacks_) st->begin_batch();
  }
  void end_batch(std::int64_t now) {
    for (auto& [nwid, st] : stacks_) st->end_batch(now);
  }
  // A FRAME or EXT_FRAME (from the data path, or from on_network_packet).
  void on_data_packet(std::int64_t now, zt_address sender, wire::const_packet_view p);
  void on_error(std::int64_t now, zt_address from, const wire::error_payload& e);

  network_member* member(std::uint64_t nwid);
  const network_member* member(std::uint64_t nwid) const;
  network_stack* stack(std::uint64_t nwid);
  const network_stack* stack(std::uint64_t nwid) const;
  const multicast_directory& directory() const { return directory_; }
  // Statistics: the joined networks, and fn(stack) for each network that has one.
  std::size_t member_count() const { return members_.size(); }
  template <typename F>
  void for_each_stack(F&& fn) {
    for (auto& [nwid, st] : stacks_) fn(*st);
  }

 private:
  void on_network_ok(std::int64_t now, zt_address sender, const wire::ok_payload& ok,
                     std::span<const std::uint8_t> raw);
  std::vector<zt_address> upstreams() const;
  bool am_root() const { return dir_ != nullptr && dir_->am_root; }
  // A root, or the controller of the network: we keep its multicast directory.
  bool serves_directory(std::uint64_t nwid) const;

  zt_address self_;
  network_io& io_;
  std::shared_ptr<const peer_directory> dir_;
  network_host_events events_;
  network_host_options opt_;
  std::unique_ptr<controller> controller_;
  std::map<std::uint64_t, std::unique_ptr<network_member>> members_;
  std::map<std::uint64_t, std::int64_t> deferred_joins_;  // nwid -> when join() was asked
  std::map<std::uint64_t, std::unique_ptr<network_stack>> stacks_;
  multicast_directory directory_;  // as a root / controller: every network's subscribers
  std::uint64_t directory_rng_ = 0x5eed;
  std::int64_t next_directory_expiry_ = 0;
  std::int64_t now_ = 0;  // the time of the call in progress (for member callbacks)
  bool online_ = false;
};

}  // namespace ztkit::ctrl
