// node_runner: routing of the network layer's verbs (1.14 IncomingPacket: _doNETWORK_CONFIG*,
// _doFRAME, _doEXT_FRAME, _doMULTICAST_*, _doNETWORK_CREDENTIALS, the OK and ERROR cases that
// concern a network). Split from node_runner.cc: this is the only place that knows which
// object handles which verb.
#include <algorithm>

#include "ctrl/node/peer.h"
#include "ctrl/runtime/node_runner.h"
#include "engine/wire/bytes.h"

namespace ztkit::ctrl {

bool node_runner::serves_directory(std::uint64_t nwid) const {
  // A root is the multicast directory of every network (§6.4); our embedded controller is the
  // directory of the networks it serves (1.14 accepts LIKE/GATHER from members it authorized).
  if (core_->am_root()) return true;
  return controller_ != nullptr && (nwid >> 24) == address_.value();
}

void node_runner::on_network_packet(std::int64_t now, peer& from, wire::const_packet_view p) {
  const auto payload = p.payload();
  const zt_address sender = from.address();
  switch (p.verb()) {
    case wire::verb::network_config_request:
      if (controller_) controller_->on_config_request(now, from.identity(), p.packet_id(), payload);
      return;
    case wire::verb::network_config:
      // A chunk starts with its network ID.
      if (payload.size() >= 8)
        if (network_member* m = find_member(wire::load_be64(payload.data())))
          m->on_network_config(now, sender, p.packet_id(), payload);
      return;
    case wire::verb::ok: {
      wire::reader r(payload);
      auto ok = wire::ok_payload::parse(r);
      if (ok.ok()) on_network_ok(now, from, *ok, payload);
      return;
    }
    case wire::verb::frame: {
      auto f = wire::parse_payload<wire::frame_payload>(payload);
      if (!f.ok()) return;
      if (network_stack* st = find_stack(f->value.network_id))
        st->port_call(now, [&](network_port& port) {
          port.on_frame(now, sender, p.packet_id(), f->value);
        });
      return;
    }
    case wire::verb::ext_frame: {
      auto f = wire::parse_payload<wire::ext_frame_payload>(payload);
      if (!f.ok()) return;
      if (network_stack* st = find_stack(f->value.network_id))
        st->port_call(now, [&](network_port& port) {
          port.on_ext_frame(now, sender, p.packet_id(), f->value);
        });
      return;
    }
    case wire::verb::multicast_frame: {
      auto f = wire::parse_payload<wire::multicast_frame_payload>(payload);
      if (!f.ok()) return;
      if (network_stack* st = find_stack(f->value.network_id))
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
        if (network_stack* st = find_stack(com->network_id()))
          st->port_call(now, [&](network_port& port) { port.on_credentials(now, sender, c->value); });
      }
      return;
    }
    case wire::verb::multicast_like: {
      auto l = wire::parse_payload<wire::multicast_like_payload>(payload);
      if (!l.ok()) return;
      for (const auto& e : l->value.entries) {
              if (serves_directory(e.network_id)) directory_.add(now, e.network_id, e.group, sender);
        if (network_stack* st = find_stack(e.network_id))
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
        core_->send_verb(now, sender, wire::verb::ok, wire::emit_payload(ok), false);
      } else if (network_stack* st = find_stack(q.network_id)) {
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

void node_runner::on_network_ok(std::int64_t now, peer& from, const wire::ok_payload& ok,
                                std::span<const std::uint8_t> raw) {
  const zt_address sender = from.address();
  switch (static_cast<wire::verb>(ok.in_re_verb)) {
    case wire::verb::network_config_request:
      // [1 in-re verb][8 in-re packet id][chunk: 8 nwid ...]
      if (raw.size() >= 17)
        if (network_member* m = find_member(wire::load_be64(raw.data() + 9)))
          m->on_config_ok(now, sender, ok.in_re_packet_id, raw.subspan(9));
      return;
    case wire::verb::multicast_gather:
      if (const auto* g = std::get_if<wire::ok_multicast_gather>(&ok.body)) {
        std::vector<zt_address> members(g->members.begin(), g->members.end());
        if (network_stack* st = find_stack(g->network_id))
          st->port_call(now, [&](network_port& port) {
            port.on_gather_results(now, sender, g->group, members);
          });
      }
      return;
    case wire::verb::multicast_frame:
      if (const auto* f = std::get_if<wire::ok_multicast_frame>(&ok.body)) {
        std::vector<zt_address> members(f->members.begin(), f->members.end());
        if (network_stack* st = find_stack(f->network_id))
          st->port_call(now, [&](network_port& port) {
            port.on_gather_results(now, sender, f->group, members);
          });
      }
      return;
    default:
      return;  // OK(EXT_FRAME): we never ask for the ACK
  }
}

void node_runner::on_network_error(std::int64_t now, zt_address from, const wire::error_payload& e) {
  if (e.error() != wire::error_code::need_membership_certificate || !e.network_id) return;
  if (network_stack* st = find_stack(*e.network_id))
    st->port_call(now, [&](network_port& port) { port.on_need_certificate(now, from); });
}

}  // namespace ztkit::ctrl
