#include "ctrl/runtime/flow_lane.h"

#include <algorithm>
#include <utility>

namespace ztkit::ctrl {

flow_lane::flow_lane(std::uint64_t nwid, unsigned index, const netstack::interface_config& cfg)
    : stack_lane(nwid, index),
      pool_(std::make_unique<buf::buffer_pool>(frame_pool_config(cfg.mtu))),
      iface_(std::make_unique<netstack::interface>(cfg, *pool_)),
      in_(ring_slots, 14 + cfg.mtu),
      out_(ring_slots, 14 + cfg.mtu) {}

void flow_lane::send(std::span<buf::packet_buffer> frames) {
  std::uint64_t sent = 0, full = 0;
  for (auto& f : frames) {
    if (out_.try_push(f.bytes()))
      ++sent;
    else
      ++full;
  }
  // One atomic add per call, not per frame (this thread is their only writer).
  if (sent != 0) {
    sent_ = true;
    counters_.frames_out.store(counters_.frames_out.load(std::memory_order_relaxed) + sent,
                               std::memory_order_relaxed);
  }
  if (full != 0)
    counters_.out_ring_full.store(counters_.out_ring_full.load(std::memory_order_relaxed) + full,
                                  std::memory_order_relaxed);
}

bool flow_lane::pass(std::int64_t now) {
  const auto t = static_cast<std::uint64_t>(now);
  std::uint64_t got = 0;
  for (auto f = in_.front(); !f.empty(); f = in_.front()) {
    send(iface_->process(t, f));
    in_.pop();
    ++got;
  }
  if (got > 0) {
    counters_.frames_in.store(counters_.frames_in.load(std::memory_order_relaxed) + got,
                              std::memory_order_relaxed);
    clients_input(now);
  }
  clients_poll(now);
  send(iface_->poll(t));
  delivering_.store(clients_hold_data() || iface_->tcp().delivering(), std::memory_order_relaxed);
  return std::exchange(sent_, false);  // with what commands (a connect's SYN) sent before
}

std::int64_t flow_lane::next_deadline() const {
  if (!in_.empty() || clients_want_pass()) return 0;
  const std::uint64_t t = iface_->poll_at();
  return t < static_cast<std::uint64_t>(INT64_MAX) ? static_cast<std::int64_t>(t) : INT64_MAX;
}

void flow_lane::set_addresses(std::int64_t now, const std::vector<netstack::ipv4_cidr>& v4,
                              const std::vector<netstack::ipv6_cidr>& v6,
                              const std::vector<netstack::route>& routes) {
  iface_->set_routes(routes);
  (void)iface_->set_addresses(static_cast<std::uint64_t>(now), v4, v6);  // lane 0 announces
}

}  // namespace ztkit::ctrl
