// A network's lane k >= 1 (stack_lane.h): an IP interface with the TCP flows that hash to k
// (flow_steer.h), on shard k's thread. Frames cross between it and the network's port on
// shard 0 through two frame_rings: `in` (the port's deliveries routed here, produced on
// shard 0) and `out` (what this interface sends, consumed by shard 0, which hands it to the
// port: rules, COM, multicast and armor stay with the port). Its neighbor cache is its own:
// it solicits through the port like any interface and shard 0 copies every ARP reply and NDP
// neighbor advertisement to all lanes. It never answers ARP/NDP/ICMP (lane 0 does): only TCP
// and those replies are routed here.
//
// Threads: created on shard 0 (network_stack::set_config), then used only by shard k's
// thread, except the producer side of `in` and the consumer side of `out` (shard 0) and the
// atomics below.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ctrl/runtime/frame_ring.h"
#include "ctrl/runtime/stack_lane.h"
#include "engine/buf/packet_buffer.h"
#include "netstack/iface/interface.h"

namespace ztkit::ctrl {

struct flow_lane_counters {
  std::atomic<std::uint64_t> frames_in{0};        // shard 0 -> lane
  std::atomic<std::uint64_t> frames_out{0};       // lane -> shard 0
  std::atomic<std::uint64_t> in_ring_full{0};     // dropped by shard 0: the lane is behind
  std::atomic<std::uint64_t> out_ring_full{0};    // dropped by the lane: shard 0 is behind
};

class flow_lane final : public stack_lane {
 public:
  static constexpr std::size_t ring_slots = 2048;

  flow_lane(std::uint64_t nwid, unsigned index, const netstack::interface_config& cfg);

  netstack::interface* iface() override { return iface_.get(); }
  const netstack::interface* iface() const override { return iface_.get(); }
  // Lane thread: what the interface queued (after a connect or a socket call) goes out.
  void flush(std::int64_t now) override { send(iface_->poll(static_cast<std::uint64_t>(now))); }

  // ---- shard 0 ----
  // A frame the port delivered for this lane; false (counted) if the ring is full.
  bool push_in(std::span<const std::uint8_t> frame) {
    if (!in_.try_push(frame)) {
      counters_.in_ring_full.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  // fn(frame) for each frame the lane sent, in order; returns how many.
  template <typename F>
  std::size_t drain_out(F&& fn) {
    std::size_t n = 0;
    for (auto f = out_.front(); !f.empty(); f = out_.front()) {
      fn(f);
      out_.pop();
      ++n;
    }
    return n;
  }
  bool has_out() const { return !out_.empty(); }

  // ---- lane thread ----
  // Frames from the port into the interface, the clients, timers and socket output. Returns
  // true if it sent frames (shard 0 must be woken).
  bool pass(std::int64_t now);
  bool has_in() const { return !in_.empty(); }
  // When the next pass is due (0: at once; INT64_MAX: only on new frames or a wake-up).
  std::int64_t next_deadline() const;
  // The network config changed (shard 0 posts it): addresses and routes. The interface's
  // announcements are lane 0's to send.
  void set_addresses(std::int64_t now, const std::vector<netstack::ipv4_cidr>& v4,
                     const std::vector<netstack::ipv6_cidr>& v6,
                     const std::vector<netstack::route>& routes);

  // Any thread: application data or FINs still on their way (as of the last pass).
  bool delivering() const { return delivering_.load(std::memory_order_relaxed); }
  const flow_lane_counters& counters() const { return counters_; }

 private:
  void send(std::span<buf::packet_buffer> frames);

  std::unique_ptr<buf::buffer_pool> pool_;
  std::unique_ptr<netstack::interface> iface_;
  frame_ring in_, out_;
  bool sent_ = false;
  std::atomic<bool> delivering_{false};
  flow_lane_counters counters_;
};

}  // namespace ztkit::ctrl
