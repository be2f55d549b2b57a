#include "ctrl/runtime/network_stack.h"

#include <algorithm>
#include <bit>
#include <utility>

#include <sodium.h>

#include "ctrl/runtime/flow_steer.h"
#include "ctrl/runtime/lane_shard.h"

namespace ztkit::ctrl {

namespace {
constexpr std::int64_t port_tick_ms = 1000;
}  // namespace

network_stack::network_stack(std::uint64_t nwid, zt_address self, network_io& io,
                             network_port::options opt, std::size_t max_tcp_sockets,
                             std::vector<lane_shard*> lanes)
    : stack_lane(nwid, 0),
      nwid_(nwid),
      self_(self),
      port_(nwid, self, io,
            [this](std::span<const std::uint8_t> frame) {
              // The port's call is in progress; keep what the stack answers for afterwards.
              if (!iface_) return;
              deliver(frame);
            },
            opt),
      lane_shards_(std::move(lanes)),
      max_tcp_sockets_(std::max<std::size_t>(max_tcp_sockets, 1)) {}

network_stack::~network_stack() {
  // Each shard drops its lane (and the sockets on it) at its next pass.
  for (auto* sh : lane_shards_) {
    const std::uint64_t nwid = nwid_;
    sh->post([sh, nwid](std::int64_t) { sh->remove_lane(nwid); });
  }
}

void network_stack::deliver(std::span<const std::uint8_t> frame) {
  const auto r = flow_steer::route_frame(frame, lane_count());
  using kind = flow_steer::frame_route::kind;
  if (r.what == kind::drop) {
    ++counters_.tcp_fragments_dropped;
    return;
  }
  if (r.what == kind::every_lane) {
    for (std::size_t i = 0; i < lanes_.size(); ++i)
      if (lanes_[i]->push_in(frame)) lanes_fed_ |= 1ull << i;
  } else if (r.lane != 0) {
    if (lanes_[r.lane - 1]->push_in(frame)) lanes_fed_ |= 1ull << (r.lane - 1);
    return;
  }
  delivered_ = true;
  take(iface_->process(now_of_call_, frame));
}

void network_stack::wake_fed_lanes() {
  for (std::uint64_t m = std::exchange(lanes_fed_, 0); m != 0; m &= m - 1)
    lane_shards_[static_cast<std::size_t>(std::countr_zero(m))]->wake();
}

void network_stack::drain_lanes(std::int64_t now) {
  for (auto& l : lanes_) l->drain_out([&](std::span<const std::uint8_t> f) { port_.send_ethernet(now, f); });
}

void network_stack::create_lanes(const netstack::interface_config& cfg) {
  for (std::size_t i = 0; i < lane_shards_.size(); ++i) {
    auto l = std::make_shared<flow_lane>(nwid_, static_cast<unsigned>(i + 1), cfg);
    lanes_.push_back(l);
    lane_shard* sh = lane_shards_[i];
    sh->post([sh, l](std::int64_t) { sh->add_lane(l); });
  }
}

void network_stack::take(std::span<buf::packet_buffer> frames) {
  for (auto& f : frames) out_.push_back(std::move(f));
}

void network_stack::send_taken(std::int64_t now) {
  // Frames sent may make the port deliver nothing (send_ethernet never delivers), so one pass.
  std::vector<buf::packet_buffer> frames;
  frames.swap(out_);
  for (auto& f : frames) port_.send_ethernet(now, f.bytes());
  frames.clear();
  if (out_.empty()) out_.swap(frames);  // keep the capacity
}

void network_stack::set_config(std::int64_t now, std::shared_ptr<const wire::network_config> c) {
  if (!c) return;
  now_of_call_ = now;
  if (!iface_) {
    mtu_ = std::clamp(c->mtu, wire::network_config::min_mtu, wire::network_config::max_mtu);
    pool_ = std::make_unique<buf::buffer_pool>(frame_pool_config(mtu_));
    auto cfg = netstack::interface_config::for_member(self_, nwid_, mtu_);
    cfg.allow_broadcast = c->enable_broadcast();
    cfg.tcp.max_sockets = max_tcp_sockets_;
    // ISNs (RFC 6528), timestamp offsets and SYN cookies must not be predictable off-path.
    randombytes_buf(cfg.tcp.secret.data(), cfg.tcp.secret.size());
    iface_ = std::make_unique<netstack::interface>(cfg, *pool_);
    out_.reserve(256);
    create_lanes(cfg);
  } else if (c->mtu != mtu_) {
    ++counters_.mtu_changes_ignored;
  }
  std::vector<netstack::ipv4_cidr> v4;
  std::vector<netstack::ipv6_cidr> v6;
  for (const auto& ip : c->static_ips) {
    if (ip.fam == wire::inet_address::family::ipv4) {
      netstack::ipv4_cidr a;
      std::copy_n(ip.ip.begin(), 4, a.addr.b.begin());
      a.prefix_len = static_cast<std::uint8_t>(std::min<std::uint16_t>(ip.port, 32));
      v4.push_back(a);
    } else if (ip.fam == wire::inet_address::family::ipv6) {
      netstack::ipv6_cidr a;
      std::copy_n(ip.ip.begin(), 16, a.addr.b.begin());
      a.prefix_len = static_cast<std::uint8_t>(std::min<std::uint16_t>(ip.port, 128));
      v6.push_back(a);
    }
  }
  std::vector<netstack::route> routes;
  for (const auto& r : c->routes) routes.push_back({r.target, r.via});
  iface_->set_routes(routes);
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    lane_shard* sh = lane_shards_[i];
    const std::uint64_t nwid = nwid_;
    sh->post([sh, nwid, v4, v6, routes](std::int64_t t) {
      if (flow_lane* l = sh->lane(nwid)) l->set_addresses(t, v4, v6, routes);
    });
  }
  // The port first (it LIKEs the new groups), then the stack's announcements go out through it.
  port_.set_config(now, c);
  take(iface_->set_addresses(now, v4, v6));
  send_taken(now);
}

void network_stack::flush(std::int64_t now) {
  if (!iface_) return;
  now_of_call_ = now;
  take(iface_->poll(now));
  send_taken(now);
}

void network_stack::send_ping(std::int64_t now, const wire::inet_address& dst, std::uint16_t ident,
                              std::uint16_t seq, std::span<const std::uint8_t> data) {
  if (!iface_) return;
  now_of_call_ = now;
  take(iface_->send_ping(now, dst, ident, seq, data));
  send_taken(now);
}

void network_stack::poll(std::int64_t now) {
  drain_lanes(now);
  if (iface_) clients_poll(now);
  flush(now);
  if (now >= next_port_tick_) {
    port_.on_tick(now);
    next_port_tick_ = now + port_tick_ms;
  }
}

}  // namespace ztkit::ctrl
