// Metrics -> the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): for each metric family a
// HELP and a TYPE line, then one `name{label="value",...} value` line per series. Names follow
// Prometheus conventions (ztkit_ prefix, base units, _total on counters); docs/metrics.md
// lists them. Pure: no clock, no I/O.
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "ztkit/metrics.h"

namespace ztkit {

namespace {

// Label values: backslash, double quote and line feed are escaped (HELP text: the first and
// the last only).
std::string escape(std::string_view s, bool quotes) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quotes) out += "\\\"";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  if (v != v) return "NaN";
  if (v == 1.0 / 0.0) return "+Inf";
  if (v == -1.0 / 0.0) return "-Inf";
  return fmt::format("{}", v);  // shortest form that reads back the same
}

class writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape(help, false), name, type);
  }
  // labels: "k1", "v1", "k2", "v2", ...
  void sample(std::string_view name, std::initializer_list<std::string_view> labels,
              std::string_view value) {
    out_ += name;
    if (labels.size() != 0) {
      out_ += '{';
      const auto* it = labels.begin();
      for (bool first = true; it != labels.end(); it += 2, first = false) {
        if (!first) out_ += ',';
        out_ += *it;
        out_ += "=\"";
        out_ += escape(*(it + 1), true);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void sample(std::string_view name, std::initializer_list<std::string_view> labels,
              std::uint64_t value) {
    sample(name, labels, std::to_string(value));
  }
  // A family of one unlabelled series.
  void single(std::string_view name, std::string_view type, std::string_view help,
              std::uint64_t value) {
    family(name, type, help);
    sample(name, {}, value);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// received/sent by verb and path: the assigned verbs always (so that every series exists from
// the start), the unassigned values summed into verb="UNKNOWN".
void traffic(writer& w, const std::array<std::array<Metrics::Traffic, Metrics::verb_count>, 2>& t,
             std::string_view packets_name, std::string_view bytes_name, std::string_view what) {
  for (int pass = 0; pass < 2; ++pass) {
    const bool bytes = pass == 1;
    const std::string_view name = bytes ? bytes_name : packets_name;
    w.family(name, "counter",
             fmt::format("ZeroTier packets {}{}, by verb and path kind (direct: hops 0; relayed: "
                         "through a root).",
                         what, bytes ? ": bytes on the wire (armored)" : ""));
    for (int k = 0; k < 2; ++k) {
      const std::string_view path = to_string(static_cast<PathKind>(k));
      std::uint64_t unknown = 0;
      for (std::size_t v = 0; v < Metrics::verb_count; ++v) {
        const std::uint64_t value = bytes ? t[k][v].bytes : t[k][v].packets;
        const std::string_view verb = Metrics::verb_name(v);
        if (verb == "UNKNOWN") {
          unknown += value;
          continue;
        }
        w.sample(name, {"verb", verb, "path", path}, value);
      }
      w.sample(name, {"verb", "UNKNOWN", "path", path}, unknown);
    }
  }
}

}  // namespace

std::string to_prometheus(const Metrics& m) {
  writer w;
  w.family("ztkit_info", "gauge", "Always 1; the node's ZeroTier address as a label.");
  w.sample("ztkit_info", {"address", m.address}, 1);
  w.single("ztkit_online", "gauge", "1 while a root has been heard within the last 500 s.",
           m.online ? 1 : 0);

  traffic(w, m.received, "ztkit_received_packets_total", "ztkit_received_bytes_total",
          "received (authenticated, for this node)");
  traffic(w, m.sent, "ztkit_sent_packets_total", "ztkit_sent_bytes_total", "sent");
  w.single("ztkit_udp_received_datagrams_total", "counter",
           "UDP datagrams received on the node's socket, whatever became of them.",
           m.datagrams_received);
  w.single("ztkit_udp_sent_datagrams_total", "counter", "UDP datagrams sent (fragments count one each).",
           m.datagrams_sent);
  w.single("ztkit_forwarded_packets_total", "counter",
           "Packets and fragments relayed for other nodes (as a root).", m.packets_forwarded);

  w.family("ztkit_drops_total", "counter",
           "Packets, frames or segments dropped, by layer (node, network, ip, tcp) and reason.");
  for (const auto& d : m.drops) w.sample("ztkit_drops_total", {"layer", d.layer, "reason", d.reason}, d.count);

  w.single("ztkit_peers", "gauge", "Peers known now, roots included.", m.peers);
  w.single("ztkit_roots", "gauge", "Roots known now (planet and moon roots).", m.roots);
  w.family("ztkit_paths", "gauge",
           "Routes to peers now: live direct paths (path=direct), and peers other than roots "
           "reached only through a root (path=relayed).");
  w.sample("ztkit_paths", {"path", "direct"}, m.paths_direct);
  w.sample("ztkit_paths", {"path", "relayed"}, m.peers_relayed);
  w.single("ztkit_paths_learned_total", "counter", "Direct paths confirmed (OK at hops 0).",
           m.paths_learned);
  w.single("ztkit_networks", "gauge", "Networks joined now.", m.networks);

  w.single("ztkit_tcp_connections", "gauge", "TCP sockets open now, on every joined network.",
           m.tcp.connections);
  w.single("ztkit_tcp_connections_opened_total", "counter", "TCP connections opened (active and passive).",
           m.tcp.connections_opened);
  w.single("ztkit_tcp_received_segments_total", "counter", "TCP segments received by connections.",
           m.tcp.segments_received);
  w.single("ztkit_tcp_sent_segments_total", "counter", "TCP segments sent by connections.",
           m.tcp.segments_sent);
  w.single("ztkit_tcp_received_bytes_total", "counter", "TCP payload bytes delivered in order.",
           m.tcp.bytes_received);
  w.single("ztkit_tcp_sent_bytes_total", "counter", "TCP payload bytes acknowledged by peers.",
           m.tcp.bytes_sent);
  w.single("ztkit_tcp_retransmitted_segments_total", "counter", "TCP segments sent again (any reason).",
           m.tcp.retransmits);
  w.single("ztkit_tcp_fast_retransmits_total", "counter", "TCP loss recoveries entered (fast retransmit).",
           m.tcp.fast_retransmits);
  w.single("ztkit_tcp_rto_timeouts_total", "counter", "TCP retransmission timer expiries.",
           m.tcp.rto_timeouts);

  {
    const auto& h = m.peer_rtt_seconds;
    const std::string_view name = "ztkit_peer_rtt_seconds";
    w.family(name, "histogram", "Round-trip times to peers (OK(HELLO) on direct paths, OK(ECHO)), ms resolution.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.upper_bounds.size(); ++i) {
      cumulative += i < h.buckets.size() ? h.buckets[i] : 0;
      w.sample("ztkit_peer_rtt_seconds_bucket", {"le", number(h.upper_bounds[i])}, cumulative);
    }
    // +Inf is the count: every sample lies in some bucket.
    w.sample("ztkit_peer_rtt_seconds_bucket", {"le", "+Inf"}, h.count);
    w.sample("ztkit_peer_rtt_seconds_sum", {}, number(h.sum));
    w.sample("ztkit_peer_rtt_seconds_count", {}, h.count);
  }

  w.family("ztkit_shard_busy_seconds_total", "counter",
           "Time each event loop spent outside its I/O wait (working).");
  for (const auto& s : m.shards)
    w.sample("ztkit_shard_busy_seconds_total", {"shard", std::to_string(s.index)}, number(s.busy_seconds));
  w.family("ztkit_shard_idle_seconds_total", "counter", "Time each event loop spent waiting for I/O.");
  for (const auto& s : m.shards)
    w.sample("ztkit_shard_idle_seconds_total", {"shard", std::to_string(s.index)}, number(s.idle_seconds));
  w.family("ztkit_shard_loop_iterations_total", "counter", "Event loop iterations.");
  for (const auto& s : m.shards)
    w.sample("ztkit_shard_loop_iterations_total", {"shard", std::to_string(s.index)}, s.iterations);
  w.family("ztkit_shard_data_packets_received_total", "counter",
           "FRAME/EXT_FRAME packets each shard's data path read and delivered.");
  for (const auto& s : m.shards)
    w.sample("ztkit_shard_data_packets_received_total", {"shard", std::to_string(s.index)},
             s.data_packets_received);
  w.family("ztkit_shard_data_packets_sent_total", "counter",
           "FRAME/EXT_FRAME packets each shard's data path armored and sent.");
  for (const auto& s : m.shards)
    w.sample("ztkit_shard_data_packets_sent_total", {"shard", std::to_string(s.index)},
             s.data_packets_sent);
  w.family("ztkit_shard_control_handoffs_total", "counter",
           "Received packets each shard handed to the control side (other verbs, unknown senders, relaying).");
  for (const auto& s : m.shards)
    w.sample("ztkit_shard_control_handoffs_total", {"shard", std::to_string(s.index)},
             s.control_handoffs);
  w.family("ztkit_shard_lane_frames_total", "counter",
           "Ethernet frames of the TCP flows of shards 1..n-1 that crossed between them and shard 0 "
           "(received: shard 0 handed them over; sent: they handed them to shard 0 to send).");
  for (const auto& s : m.shards) {
    if (s.index == 0) continue;
    w.sample("ztkit_shard_lane_frames_total", {"shard", std::to_string(s.index), "direction", "received"},
             s.lane_frames_received);
    w.sample("ztkit_shard_lane_frames_total", {"shard", std::to_string(s.index), "direction", "sent"},
             s.lane_frames_sent);
  }
  return w.take();
}

}  // namespace ztkit
