// One joined network's local end: the network_port (ZeroTier's virtual switch port) wired to a
// netstack::interface (our IP stack on that network) with the buffer pool the stack builds its
// frames in. Frames the port delivers go into the interface; frames the interface emits go out
// through the port; a frame the interface answers while the port is still inside a call is sent
// after the call returns (the port is never re-entered).
//
// Created at the network's first config; the interface gets the config's managed IPv4/IPv6
// addresses, routes and MTU (the MTU of the first config: a later change needs a re-join, the
// interface's buffers are sized for it, counted in mtu_changes_ignored). Pure like its parts:
// every call takes `now`; the runner thread owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "ctrl/network/network_port.h"
#include "ctrl/runtime/flow_lane.h"
#include "ctrl/runtime/stack_lane.h"
#include "engine/buf/packet_buffer.h"
#include "netstack/iface/interface.h"

namespace ztkit::ctrl {

struct network_stack_counters {
  std::uint64_t mtu_changes_ignored = 0;
  std::uint64_t tcp_fragments_dropped = 0;  // fragmented IPv4 TCP with n > 1 (flow_steer.h)
};

class lane_shard;

// Lane 0 of the network's stack (stack_lane.h), on shard 0. With more data shards (`lanes`:
// shards 1..n-1), it also creates the network's flow_lane on each at the first config, routes
// every frame the port delivers (flow_steer::route_frame), wakes the shards it fed once per
// batch, and hands what the lanes send to the port on every pass.
class network_stack final : public stack_lane {
 public:
  network_stack(std::uint64_t nwid, zt_address self, network_io& io,
                network_port::options opt = {}, std::size_t max_tcp_sockets = 1024,
                std::vector<lane_shard*> lanes = {});
  ~network_stack() override;

  void set_config(std::int64_t now, std::shared_ptr<const wire::network_config> config);
  // An ICMP/ICMPv6 echo request from our stack (replies: iface()->take_echo_reply()).
  void send_ping(std::int64_t now, const wire::inet_address& dst, std::uint16_t ident,
                 std::uint16_t seq, std::span<const std::uint8_t> data);
  // Runs fn(port) (an inbound verb) at `now`; what the stack answers goes out afterwards. In
  // a batch (begin_batch .. end_batch: a loop pass's received datagrams) the answers, the
  // clients' on_input and the stack's output run once, at end_batch: they cost O(sockets and
  // clients), which per frame made every idle connection slow down every busy one.
  template <typename F>
  void port_call(std::int64_t now, F&& fn) {
    now_of_call_ = now;
    delivered_ = false;
    fn(port_);
    if (batching_) {
      batch_delivered_ |= delivered_;
      return;
    }
    send_taken(now);
    wake_fed_lanes();
    if (delivered_) after_delivery(now);
  }
  void begin_batch() { batching_ = true; }
  void end_batch(std::int64_t now) {
    batching_ = false;
    now_of_call_ = now;
    send_taken(now);
    wake_fed_lanes();
    drain_lanes(now);
    if (std::exchange(batch_delivered_, false)) after_delivery(now);
  }
  // Called (runner thread) after frames reached the interface: sockets may have data now.
  // The application's hook for readiness without polling; keep it short.
  void set_on_input(std::function<void(network_stack&, std::int64_t now)> fn) {
    on_input_ = std::move(fn);
  }
  // Something written by the application is still on its way (client queues, TCP data or
  // FINs), on any lane (the other lanes' as of their last pass).
  bool delivering() const {
    if (clients_hold_data() || (iface_ && iface_->tcp().delivering())) return true;
    for (const auto& l : lanes_)
      if (l->delivering()) return true;
    return false;
  }
  bool wants_pass() const {
    if (clients_want_pass()) return true;
    for (const auto& l : lanes_)
      if (l->has_out()) return true;
    return false;
  }
  // What the lanes sent, then interface timers and queued socket datagrams, then the port's
  // timers.
  void poll(std::int64_t now);
  // Sends what the interface queued during a call made on it (socket sends, pings).
  void flush(std::int64_t now) override;
  // 1 + the other data shards' lanes of this network (none before the first config).
  unsigned lane_count() const { return static_cast<unsigned>(lane_shards_.size()) + 1; }
  // Lane k >= 1 (shard 0 may read its counters and rings only); null before the first config.
  const flow_lane* lane(unsigned k) const { return k - 1 < lanes_.size() ? lanes_[k - 1].get() : nullptr; }

  network_port& port() { return port_; }
  const network_port& port() const { return port_; }
  // Null until the first config.
  netstack::interface* iface() override { return iface_.get(); }
  const netstack::interface* iface() const override { return iface_.get(); }
  const network_stack_counters& counters() const { return counters_; }

 private:
  void take(std::span<buf::packet_buffer> frames);
  // A frame the port delivered: into our interface, to a lane, to all of them, or dropped.
  void deliver(std::span<const std::uint8_t> frame);
  // Frames reached the interface: the application's hook, the clients, then the stack's output.
  void after_delivery(std::int64_t now) {
    if (on_input_) on_input_(*this, now);
    clients_input(now);
    flush(now);
  }
  void send_taken(std::int64_t now);
  void wake_fed_lanes();
  void drain_lanes(std::int64_t now);
  void create_lanes(const netstack::interface_config& cfg);

  std::uint64_t nwid_;
  zt_address self_;
  network_port port_;
  std::unique_ptr<buf::buffer_pool> pool_;
  std::unique_ptr<netstack::interface> iface_;
  std::vector<buf::packet_buffer> out_;  // interface frames waiting for the port
  std::function<void(network_stack&, std::int64_t)> on_input_;
  std::vector<lane_shard*> lane_shards_;             // shards 1..n-1
  std::vector<std::shared_ptr<flow_lane>> lanes_;    // this network's lane on each
  std::uint64_t lanes_fed_ = 0;                      // bit k-1: lane k got frames this batch
  bool delivered_ = false;
  bool batching_ = false, batch_delivered_ = false;
  std::int64_t now_of_call_ = 0;  // for frames the port delivers inside a call
  std::int64_t next_port_tick_ = 0;
  std::uint32_t mtu_ = 0;
  std::size_t max_tcp_sockets_ = 1024;
  network_stack_counters counters_;
};

}  // namespace ztkit::ctrl
