// OK receive (IncomingPacket::_doOK; zerotier-protocol.md §3 OK, HELLO, WHOIS, ECHO). The
// caller already checked that the OK answers a packet we sent (§2.7).
#include "ctrl/node/node_core.h"

namespace ztkit::ctrl {

using wire::inet_address;

void node_core::rx_ok(std::int64_t now, peer& p, socket_id local, const inet_address& from,
                      wire::packet_view pkt) {
  auto parsed = wire::parse_payload<wire::ok_payload>(pkt.payload());
  if (!parsed.ok()) {
    ++counters_.rx_malformed;
    return;
  }
  const wire::ok_payload& ok = parsed->value;
  const unsigned hops = pkt.hops();
  if (const auto* h = std::get_if<wire::ok_hello>(&ok.body)) {
    if (h->protocol_version < wire::protocol_version_min) {
      ++counters_.rx_old_protocol;
      return;
    }
    if (hops == 0 && static_cast<std::int64_t>(h->timestamp) <= now) {
      const auto sample = static_cast<std::uint32_t>(
          std::min<std::int64_t>(now - static_cast<std::int64_t>(h->timestamp), path::latency_unknown));
      p.latency = p.latency == path::latency_unknown ? sample : (p.latency + sample) / 2;
      if (path* ph = p.find_path(local, from)) ph->update_latency(sample);
      counters_.note_rtt(sample);
    }
    p.protocol_version = h->protocol_version;
    p.major = h->major;
    p.minor = h->minor;
    p.revision = h->revision;
    if (hops == 0 && h->external_address && !h->external_address->is_nil())
      learn_external(now, p, from, *h->external_address);
    if (h->world_updates && !h->world_updates->empty()) {
      // Topology::shouldAcceptWorldUpdateFrom: upstreams (planet and moon roots) and the seeds
      // of orbit requests; each world then passes Topology::addWorld's rules.
      if (!topo_.should_accept_world_update_from(p.address())) {
        ++counters_.rx_not_upstream;
      } else if (auto worlds = h->worlds(); worlds.ok()) {
        // `p` may stop being valid here: a world can name a root at its address with another key.
        for (const auto& w : *worlds) {
          if (!topo_.accept_world(w)) continue;
          directory_stale_ = true;  // the upstreams may have changed
          if (w.kind == wire::world::type::planet)
            sink_.on_world_updated(topo_.planet());
          else if (const wire::world* m = topo_.moon(w.id))
            sink_.on_world_updated(*m);
        }
        return;
      } else {
        ++counters_.rx_malformed;
      }
    }
  } else if (const auto* w = std::get_if<wire::ok_whois>(&ok.body)) {
    if (!topo_.is_upstream(p.address())) {  // OK(WHOIS) is honoured only from upstreams
      ++counters_.rx_not_upstream;
      return;
    }
    for (const crypto::identity& id : w->identities) {  // 1.14 reads the first one only
      auto added = topo_.add(id, now);
      directory_stale_ = true;
      if (added.status == topology::add_status::collision) sink_.on_identity_collision(id.address());
      if (added.p) flush_waiting(now, id.address());
      break;
    }
  } else if (const auto* e = std::get_if<wire::ok_echo>(&ok.body)) {
    if (e->data.size() == 8) {
      const auto sent = static_cast<std::int64_t>(wire::load_be64(e->data.bytes.data()));
      if (sent <= now) {
        if (hops == 0)
          if (path* ph = p.find_path(local, from))
            ph->update_latency(static_cast<std::uint32_t>(std::min<std::int64_t>(now - sent, 0xffff)));
        counters_.note_rtt(now - sent);
        sink_.on_echo_reply(p.address(), now - sent);
      }
    }
  } else {
    // OK(NETWORK_CONFIG_REQUEST) chunks, OK(MULTICAST_GATHER), OK(MULTICAST_FRAME),
    // OK(EXT_FRAME): the network layer's business.
    sink_.on_network_packet(p, wire::const_packet_view::checked(pkt.bytes()).value(), local, from);
  }
}

}  // namespace ztkit::ctrl
