#include "ctrl/runtime/network_host.h"

#include <algorithm>

#include "engine/wire/bytes.h"

namespace ztkit::ctrl {

network_host::network_host(zt_address self, network_io& io, network_host_events events,
                           network_host_options opt)
    : self_(self), io_(io), events_(std::move(events)), opt_(opt) {}

void network_host::enable_controller(crypto::identity self, std::uint64_t seed) {
  controller_ = std::make_unique<controller>(std::move(self), io_, seed);
}

network_member* network_host::member(std::uint64_t nwid) {
  auto it = members_.find(nwid);
  return it == members_.end() ? nullptr : it->second.get();
}
const network_member* network_host::member(std::uint64_t nwid) const {
  auto it = members_.find(nwid);
  return it == members_.end() ? nullptr : it->second.get();
}
network_stack* network_host::stack(std::uint64_t nwid) {
  auto it = stacks_.find(nwid);
  return it == stacks_.end() ? nullptr : it->second.get();
}
const network_stack* network_host::stack(std::uint64_t nwid) const {
  auto it = stacks_.find(nwid);
  return it == stacks_.end() ? nullptr : it->second.get();
}

void network_host::join(std::int64_t now, std::uint64_t nwid) {
  if (members_.count(nwid) != 0) return;
  network_member_events ev;
  ev.on_status = [this](std::uint64_t id, network_status st) {
    if (events_.on_status) events_.on_status(id, st);
  };
  ev.on_config = [this](std::uint64_t id, std::shared_ptr<const wire::network_config> c,
                        bool from_cache) {
    // The network's stack follows the config (created at the first one).
    if (c) {
      auto& st = stacks_[id];
      if (!st) {
        st = std::make_unique<network_stack>(id, self_, io_, opt_.port, opt_.max_tcp_sockets,
                                             opt_.lane_shards);
        st->port().set_upstreams(now_, upstreams());
      }
      st->set_config(now_, c);
    }
    if (events_.on_config) events_.on_config(id, c, from_cache);
  };
  ev.on_problem = [this](std::uint64_t id, const std::string& what) {
    if (events_.on_problem) events_.on_problem(id, what);
  };
  network_member_options mo;
  mo.state = opt_.state;
  auto m = std::make_unique<network_member>(nwid, self_, io_, std::move(ev), mo);
  network_member* raw = m.get();
  members_.emplace(nwid, std::move(m));
  now_ = now;
  if (online_ || am_root()) {
    raw->join(now);
  } else {
    raw->load_cached(now);  // the cached addresses are up at once; the request waits
    deferred_joins_[nwid] = now;
  }
}

void network_host::leave(std::uint64_t nwid) {
  auto it = members_.find(nwid);
  if (it == members_.end()) return;
  it->second->leave();
  members_.erase(it);
  stacks_.erase(nwid);
  deferred_joins_.erase(nwid);
  directory_.forget_network(nwid);
}

void network_host::pass(std::int64_t now) {
  now_ = now;
  for (auto it = deferred_joins_.begin(); it != deferred_joins_.end();) {
    if (online_ || now - it->second >= join_defer_max_ms) {
      if (network_member* m = member(it->first)) m->join(now);
      it = deferred_joins_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [nwid, m] : members_)
    if (deferred_joins_.count(nwid) == 0) m->on_tick(now);
  for (auto& [nwid, st] : stacks_) st->poll(now);
  if (now >= next_directory_expiry_) {
    directory_.expire(now);
    next_directory_expiry_ = now + 10000;
  }
}

std::int64_t network_host::next_deadline() const {
  std::int64_t at = INT64_MAX;
  for (const auto& [nwid, st] : stacks_)
    if (const auto* ifc = st->iface()) {
      if (st->wants_pass()) return 0;
      const std::uint64_t t = ifc->poll_at();
      if (t < static_cast<std::uint64_t>(INT64_MAX)) at = std::min(at, static_cast<std::int64_t>(t));
    }
  return at;
}

std::vector<zt_address> network_host::upstreams() const {
  return dir_ != nullptr ? dir_->upstreams : std::vector<zt_address>{};
}

void network_host::set_directory(std::int64_t now, std::shared_ptr<const peer_directory> d) {
  const bool moved = dir_ == nullptr || d == nullptr || dir_->upstreams != d->upstreams;
  dir_ = std::move(d);
  if (!moved) return;
  const auto ups = upstreams();
  for (auto& [nwid, st] : stacks_) st->port().set_upstreams(now, ups);
}

bool network_host::serves_directory(std::uint64_t nwid) const {
  // A root is the multicast directory of every network (§6.4); our embedded controller is the
  // directory of the networks it serves (1.14 accepts LIKE/GATHER from members it authorized).
  if (am_root()) return true;
  return controller_ != nullptr && (nwid >> 24) == self_.value();
}

void network_host::on_network_packet(std::int64_t now, zt_address sender,
                                     const crypto::identity& sender_id, wire::const_packet_view p) {
  now_ = now;
  const auto payload = p.payload();
  switch (p.verb()) {
    case wire::verb::network_config_request:
      if (controller_) controller_->on_config_request(now, sender_id, p.packet_id(), payload);
      return;
    case wire::verb::network_config:
      // A chunk starts with its network ID.
      if (payload.size() >= 8)
        if (network_member* m = member(wire::load_be64(payload.data())))
          m->on_network_config(now, sender, p.packet_id(), payload);
      return;
    case wire::verb::ok: {
      wire::reader r(payload);
      auto ok = wire::ok_payload::parse(r);
      if (ok.ok()) on_network_ok(now, sender, *ok, payload);
      return;
    }
    case wire::verb::frame:
    case wire::verb::ext_frame:
      on_data_packet(now, sender, p);
      return;
    case wire::verb::multicast_frame: {
      auto f = wire::parse_payload<wire::multicast_frame_payload>(payload);
      if (!f.ok()) return;
      if (network_stack* st = stack(f->value.network_id))
        st->port_call(now, [&](network_port& port) {
          port.on_multicast_frame(now, sender, p.packet_id(), f->value);
        });
      return;
    }
    case wire::verb::network_credentials: {
      auto c = wire::parse_payload<wire::network_credentials_payload>(payload);
      if (!c.ok()) return;
      // The COMs name their network; hand the packet to each of ours it mentions.
      for (const auto& com_bytes : c->value.coms) {
        wire::reader cr(com_bytes.bytes);
        auto com = wire::certificate_of_membership::parse(cr);
        if (!com.ok()) continue;
        if (network_stack* st = stack(com->network_id()))
          st->port_call(now, [&](network_port& port) { port.on_credentials(now, sender, c->value); });
      }
      return;
    }
    case wire::verb::multicast_like: {
      auto l = wire::parse_payload<wire::multicast_like_payload>(payload);
      if (!l.ok()) return;
      for (const auto& e : l->value.entries) {
              if (serves_directory(e.network_id)) directory_.add(now, e.network_id, e.group, sender);
        if (network_stack* st = stack(e.network_id))
          st->port_call(now, [&](network_port& port) { port.on_multicast_like(now, sender, e.group); });
      }
      return;
    }
    case wire::verb::multicast_gather: {
      auto g = wire::parse_payload<wire::multicast_gather_payload>(payload);
      if (!g.ok() || g->value.gather_limit == 0) return;
      const auto& q = g->value;
      if (serves_directory(q.network_id)) {
        // Multicaster::gather as a root/controller: a random subset, never the asker.
        std::vector<zt_address> members;
        const std::size_t total = directory_.pick(now, q.network_id, q.group, sender,
                                                  std::min<std::uint32_t>(q.gather_limit, 255),
                                                  directory_rng_, members);
              wire::ok_payload ok;
        ok.in_re_verb = static_cast<std::uint8_t>(wire::verb::multicast_gather);
        ok.in_re_packet_id = p.packet_id();
        wire::ok_multicast_gather body;
        body.network_id = q.network_id;
        body.group = q.group;
        body.total_known = static_cast<std::uint32_t>(total);
        body.members = wire::address_list(members);
        ok.body = body;
        io_.send_verb(now, sender, wire::verb::ok, wire::emit_payload(ok), false);
      } else if (network_stack* st = stack(q.network_id)) {
        st->port_call(now, [&](network_port& port) {
          port.on_multicast_gather(now, sender, p.packet_id(), q);
        });
      }
      return;
    }
    default:
      return;
  }
}

void network_host::on_data_packet(std::int64_t now, zt_address sender, wire::const_packet_view p) {
  now_ = now;
  const auto payload = p.payload();
  switch (p.verb()) {
    case wire::verb::frame: {
      auto f = wire::parse_payload<wire::frame_payload>(payload);
      if (!f.ok()) return;
      if (network_stack* st = stack(f->value.network_id))
        st->port_call(now, [&](network_port& port) {
          port.on_frame(now, sender, p.packet_id(), f->value);
        });
      return;
    }
    case wire::verb::ext_frame: {
      auto f = wire::parse_payload<wire::ext_frame_payload>(payload);
      if (!f.ok()) return;
      if (network_stack* st = stack(f->value.network_id))
        st->port_call(now, [&](network_port& port) {
          port.on_ext_frame(now, sender, p.packet_id(), f->value);
        });
      return;
    }
    default:
      return;
  }
}

void network_host::on_network_ok(std::int64_t now, zt_address sender, const wire::ok_payload& ok,
                                std::span<const std::uint8_t> raw) {
  switch (static_cast<wire::verb>(ok.in_re_verb)) {
    case wire::verb::network_config_request:
      // [1 in-re verb][8 in-re packet id][chunk: 8 nwid ...]
      if (raw.size() >= 17)
        if (network_member* m = member(wire::load_be64(raw.data() + 9)))
          m->on_config_ok(now, sender, ok.in_re_packet_id, raw.subspan(9));
      return;
    case wire::verb::multicast_gather:
      if (const auto* g = std::get_if<wire::ok_multicast_gather>(&ok.body)) {
        std::vector<zt_address> members(g->members.begin(), g->members.end());
        if (network_stack* st = stack(g->network_id))
          st->port_call(now, [&](network_port& port) {
            port.on_gather_results(now, sender, g->group, members);
          });
      }
      return;
    case wire::verb::multicast_frame:
      if (const auto* f = std::get_if<wire::ok_multicast_frame>(&ok.body)) {
        std::vector<zt_address> members(f->members.begin(), f->members.end());
        if (network_stack* st = stack(f->network_id))
          st->port_call(now, [&](network_port& port) {
            port.on_gather_results(now, sender, f->group, members);
          });
      }
      return;
    default:
      return;  // OK(EXT_FRAME): we never ask for the ACK
  }
}

void network_host::on_error(std::int64_t now, zt_address from, const wire::error_payload& e) {
  now_ = now;
  // Each member checks the ERROR is for its network and from its controller.
  for (auto& [nwid, m] : members_) m->on_error(now, from, e);
  if (e.error() != wire::error_code::need_membership_certificate || !e.network_id) return;
  if (network_stack* st = stack(*e.network_id))
    st->port_call(now, [&](network_port& port) { port.on_need_certificate(now, from); });
}

}  // namespace ztkit::ctrl
