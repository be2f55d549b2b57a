// Node::metrics(): one snapshot of the owners' counters, gathered on the node's thread by a
// posted command (the counters are plain integers of that thread: no locks or atomics on the
// packet path), plus Metrics' small accessors.
#include <future>

#include "api/internal/metrics_server.h"
#include "ctrl/node/peer.h"
#include "engine/wire/packet.h"

namespace ztkit {

const char* to_string(PathKind k) { return k == PathKind::direct ? "direct" : "relayed"; }

std::string_view Metrics::verb_name(std::size_t v) {
  return v < verb_count ? wire::verb_name(static_cast<std::uint8_t>(v)) : "UNKNOWN";
}

namespace {

Metrics::Traffic by_verb(const std::array<std::array<Metrics::Traffic, Metrics::verb_count>, 2>& t,
                         std::string_view verb) {
  Metrics::Traffic out;
  for (const auto& kind : t)
    for (std::size_t v = 0; v < Metrics::verb_count; ++v)
      if (Metrics::verb_name(v) == verb) {
        out.packets += kind[v].packets;
        out.bytes += kind[v].bytes;
      }
  return out;
}

Metrics::Traffic by_path(const std::array<std::array<Metrics::Traffic, Metrics::verb_count>, 2>& t,
                         PathKind k) {
  Metrics::Traffic out;
  for (const auto& x : t[static_cast<int>(k)]) {
    out.packets += x.packets;
    out.bytes += x.bytes;
  }
  return out;
}

void drop(Metrics& m, const char* layer, const char* reason, std::uint64_t n) {
  m.drops.push_back(Metrics::Drop{layer, reason, n});
}

// The control thread's part: the node core (VL1 traffic and drops, peers and paths, RTTs).
void gather_core(ctrl::node_core& core, std::int64_t now, Metrics& m) {
  m.address = core.address().to_string();
  const ctrl::node_counters& c = core.counters();
  for (int k = 0; k < 2; ++k)
    for (std::size_t v = 0; v < Metrics::verb_count; ++v) {
      m.received[k][v] = {c.rx_verbs[k].packets[v], c.rx_verbs[k].bytes[v]};
      m.sent[k][v] = {c.tx_verbs[k].packets[v], c.tx_verbs[k].bytes[v]};
    }
  m.datagrams_received = c.rx_datagrams;
  m.datagrams_sent = c.tx_datagrams;
  m.packets_forwarded = c.relayed;
  m.paths_learned = c.paths_learned;
  m.online = core.online();

  // Drops: the node core (VL1), then the networks' ports, IP stacks and TCP, summed over the
  // joined networks.
  drop(m, "node", "too_short", c.rx_too_short);
  drop(m, "node", "fragment", c.rx_fragment_drops);
  drop(m, "node", "from_self", c.rx_from_self);
  drop(m, "node", "bad_mac", c.rx_bad_mac);
  drop(m, "node", "bad_cipher", c.rx_bad_cipher);
  drop(m, "node", "bad_compression", c.rx_bad_compression);
  drop(m, "node", "malformed", c.rx_malformed);
  drop(m, "node", "unexpected_ok", c.rx_unexpected_ok);
  drop(m, "node", "not_upstream", c.rx_not_upstream);
  drop(m, "node", "rate_limited", c.rx_rate_limited);
  drop(m, "node", "bad_identity", c.rx_bad_identity);
  drop(m, "node", "old_protocol", c.rx_old_protocol);
  drop(m, "node", "unknown_peer", c.rx_queue_dropped);
  drop(m, "node", "tx_unknown_peer", c.tx_queue_dropped);
  drop(m, "node", "tx_no_route", c.tx_no_route);
  drop(m, "node", "relay", c.relay_dropped);

  auto& topo = core.topo();
  topo.for_each_peer([&](const ctrl::peer& p) {
    ++m.peers;
    const bool root = topo.is_upstream(p.address());
    if (root) ++m.roots;
    bool direct = false;
    for (const auto& ph : p.paths())
      if (!ph.expired(now)) {
        ++m.paths_direct;
        direct = true;
      }
    if (!direct && !root) ++m.peers_relayed;
  });

  auto& h = m.peer_rtt_seconds;
  for (std::uint32_t b : ctrl::node_counters::rtt_bounds_ms) h.upper_bounds.push_back(b / 1000.0);
  h.buckets.assign(c.rtt_buckets.begin(), c.rtt_buckets.end());
  for (std::uint64_t n : h.buckets) h.count += n;
  h.sum = static_cast<double>(c.rtt_sum_ms) / 1000.0;

}

// What the networks' stacks counted, summed over networks and lanes (shards) before it goes
// into the metrics: each shard adds its own lanes on its own thread.
struct stack_totals {
  ctrl::network_port_counters port;
  netstack::interface_counters ip;
  netstack::tcp_set_counters tcp_set;
  netstack::tcp_counters tcp;
  std::uint64_t connections = 0;
  std::uint64_t tcp_fragments_dropped = 0;  // n > 1 shards (flow_steer.h)
  std::uint64_t lane_ring_full = 0;

  void add_port(const ctrl::network_port_counters& p) {
    port.rx_no_config += p.rx_no_config;
    port.rx_parked_dropped += p.rx_parked_dropped;
    port.rx_malformed += p.rx_malformed;
    port.rx_bad_mac += p.rx_bad_mac;
    port.rx_filtered += p.rx_filtered;
    port.tx_dropped += p.tx_dropped;
    port.tx_malformed += p.tx_malformed;
  }
  void add_interface(netstack::interface& ifc) {
    const auto& i = ifc.counters();
    ip.rx_malformed += i.rx_malformed;
    ip.rx_bad_checksum += i.rx_bad_checksum;
    ip.rx_not_for_us += i.rx_not_for_us;
    ip.rx_vlan += i.rx_vlan;
    ip.rx_unknown += i.rx_unknown;
    ip.rx_bad_source += i.rx_bad_source;
    ip.udp_no_socket += i.udp_no_socket;
    ip.udp_socket_full += i.udp_socket_full;
    ip.tx_no_buffer += i.tx_no_buffer;
    ip.tx_overflow += i.tx_overflow;
    ip.tx_no_route += i.tx_no_route;
    ip.tcp_bad_segment += i.tcp_bad_segment;
    ip.tcp_too_large += i.tcp_too_large;
    const auto& s = ifc.tcp().counters();
    tcp_set.rx_no_socket += s.rx_no_socket;
    tcp_set.rx_dropped += s.rx_dropped;
    tcp_set.replies_dropped += s.replies_dropped;
    tcp_set.no_socket_slot += s.no_socket_slot;
    tcp_set.sockets_opened += s.sockets_opened;
    tcp += ifc.tcp().totals();
    connections += ifc.tcp().open_sockets();
  }
  void emit(Metrics& m) const {
    drop(m, "network", "no_config", port.rx_no_config);
    drop(m, "network", "no_certificate", port.rx_parked_dropped);
    drop(m, "network", "malformed", port.rx_malformed);
    drop(m, "network", "bad_ethernet_address", port.rx_bad_mac);
    drop(m, "network", "rules", port.rx_filtered);
    drop(m, "network", "tx_dropped", port.tx_dropped);
    drop(m, "network", "tx_malformed", port.tx_malformed);
    drop(m, "network", "shard_ring_full", lane_ring_full);
    drop(m, "ip", "malformed", ip.rx_malformed);
    drop(m, "ip", "bad_checksum", ip.rx_bad_checksum);
    drop(m, "ip", "not_for_us", ip.rx_not_for_us);
    drop(m, "ip", "vlan", ip.rx_vlan);
    drop(m, "ip", "unsupported", ip.rx_unknown);
    drop(m, "ip", "bad_source", ip.rx_bad_source);
    drop(m, "ip", "udp_no_socket", ip.udp_no_socket);
    drop(m, "ip", "udp_socket_full", ip.udp_socket_full);
    drop(m, "ip", "tx_no_buffer", ip.tx_no_buffer);
    drop(m, "ip", "tx_overflow", ip.tx_overflow);
    drop(m, "ip", "tx_no_route", ip.tx_no_route);
    drop(m, "ip", "tcp_bad_segment", ip.tcp_bad_segment);
    drop(m, "ip", "tcp_too_large", ip.tcp_too_large);
    drop(m, "ip", "tcp_fragment_sharded", tcp_fragments_dropped);
    drop(m, "tcp", "no_socket", tcp_set.rx_no_socket);
    drop(m, "tcp", "no_socket_unanswered", tcp_set.rx_dropped);
    drop(m, "tcp", "reply_queue_full", tcp_set.replies_dropped);
    drop(m, "tcp", "no_socket_slot", tcp_set.no_socket_slot);
    drop(m, "tcp", "out_of_window", tcp.unacceptable);
    drop(m, "tcp", "paws", tcp.paws_dropped);
    drop(m, "tcp", "out_of_order_full", tcp.ooo_dropped);

    m.tcp.connections = connections;
    m.tcp.connections_opened = tcp_set.sockets_opened;
    m.tcp.segments_received = tcp.segments_in;
    m.tcp.segments_sent = tcp.segments_out;
    m.tcp.bytes_received = tcp.bytes_in;
    m.tcp.bytes_sent = tcp.bytes_out;
    m.tcp.retransmits = tcp.retransmits;
    m.tcp.fast_retransmits = tcp.fast_retransmits;
    m.tcp.rto_timeouts = tcp.rto_expired;
  }
};

// Shard 0's part: the socket, the networks (ports, lane 0 of each IP stack), the loop.
void gather_shard(ctrl::node_runner& r, Metrics& m, stack_totals& t) {
  const ctrl::runner_counters& rc = r.counters();
  drop(m, "node", "tx_no_buffer", rc.tx_no_buffer);
  r.host().for_each_stack([&](ctrl::network_stack& st) {
    t.add_port(st.port().counters());
    t.tcp_fragments_dropped += st.counters().tcp_fragments_dropped;
    for (unsigned k = 1; k < st.lane_count(); ++k)
      if (const ctrl::flow_lane* l = st.lane(k))
        t.lane_ring_full += l->counters().in_ring_full.load(std::memory_order_relaxed) +
                            l->counters().out_ring_full.load(std::memory_order_relaxed);
    if (netstack::interface* ifc = st.iface()) t.add_interface(*ifc);
  });
  m.networks = r.host().member_count();

  Metrics::Shard s;
  s.index = 0;
  s.busy_seconds = static_cast<double>(rc.busy_ns) / 1e9;
  s.idle_seconds = static_cast<double>(rc.poll_ns) / 1e9;
  s.iterations = rc.iterations;
  const ctrl::data_path_counters& dc = r.host_data_path().counters();
  s.data_packets_received = dc.rx_frames;
  s.data_packets_sent = dc.tx_packets;
  s.control_handoffs = dc.to_control_raw + dc.to_control_whole + dc.to_control_dearmored;
  m.shards.push_back(s);
}

// Shard k >= 1's part, on its thread: its lanes' IP stacks and its loop.
void gather_lane_shard(ctrl::lane_shard& sh, Metrics& m, stack_totals& t) {
  Metrics::Shard s;
  s.index = sh.index();
  sh.for_each_lane([&](ctrl::flow_lane& l) {
    if (netstack::interface* ifc = l.iface()) t.add_interface(*ifc);
    s.lane_frames_received += l.counters().frames_in.load(std::memory_order_relaxed);
    s.lane_frames_sent += l.counters().frames_out.load(std::memory_order_relaxed);
  });
  const auto& c = sh.counters();
  s.iterations = c.iterations.load(std::memory_order_relaxed);
  s.busy_seconds = static_cast<double>(c.busy_ns.load(std::memory_order_relaxed)) / 1e9;
  s.idle_seconds = static_cast<double>(c.idle_ns.load(std::memory_order_relaxed)) / 1e9;
  m.shards.push_back(s);
}

// Visits shards k..n-1 in turn (each on its own thread), then answers.
void gather_lanes_from(ctrl::node_runner* r, unsigned k, std::shared_ptr<std::promise<Metrics>> done,
                       Metrics m, stack_totals t) {
  ctrl::lane_shard* sh = r->shard_at(k);
  if (sh == nullptr) {
    t.emit(m);
    done->set_value(std::move(m));
    return;
  }
  sh->post([r, k, sh, done, m = std::move(m), t](std::int64_t) mutable {
    gather_lane_shard(*sh, m, t);
    gather_lanes_from(r, k + 1, done, std::move(m), t);
  });
}

}  // namespace

Metrics::Traffic Metrics::received_by_verb(std::string_view verb) const { return by_verb(received, verb); }
Metrics::Traffic Metrics::sent_by_verb(std::string_view verb) const { return by_verb(sent, verb); }
Metrics::Traffic Metrics::received_by_path(PathKind k) const { return by_path(received, k); }
Metrics::Traffic Metrics::sent_by_path(PathKind k) const { return by_path(sent, k); }

std::uint64_t Metrics::dropped(std::string_view layer, std::string_view reason) const {
  for (const auto& d : drops)
    if (d.layer == layer && d.reason == reason) return d.count;
  return 0;
}

Expected<Metrics> collect_metrics(const std::shared_ptr<node_link>& link,
                                  std::chrono::milliseconds timeout) {
  auto r = link->get();
  if (!r || !r->running()) return stopped_error();
  // Shared, not captured by reference: after a timeout the command may still run later.
  auto done = std::make_shared<std::promise<Metrics>>();
  auto answer = done->get_future();
  ctrl::node_runner* raw = r.get();
  // The shard hands the core its data path's notes first (counters up to now), the core's part
  // is read on the control thread, then the rest on the shard thread.
  r->post_shard([raw, done](std::int64_t now) {
    raw->flush_data_notes(now);
    raw->post([raw, done](ctrl::node_core& core, std::int64_t t) {
      Metrics m;
      gather_core(core, t, m);
      raw->post_shard([raw, done, m = std::move(m)](std::int64_t) mutable {
        stack_totals totals;
        gather_shard(*raw, m, totals);
        gather_lanes_from(raw, 1, done, std::move(m), totals);
      });
    });
  });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = deadline - std::chrono::steady_clock::now();
    const auto step = std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50));
    if (step.count() > 0 && answer.wait_for(step) == std::future_status::ready) return answer.get();
    if (answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready) return answer.get();
    // Commands run only inside the runner's loop: once it left, ours never will.
    if (!r->running()) return stopped_error();
    if (std::chrono::steady_clock::now() >= deadline)
      return Error(Errc::timed_out, "the node's thread did not answer for metrics in time");
  }
}

Expected<Metrics> Node::metrics(std::chrono::milliseconds timeout) const {
  return collect_metrics(impl_->link, timeout);
}

std::optional<SocketAddress> Node::metrics_endpoint() const {
  if (!metrics_server_) return std::nullopt;
  return metrics_server_->endpoint();
}

}  // namespace ztkit
