// The counters of a running node (Node::metrics()) and their Prometheus text form.
//
//   auto m = node->metrics();                       // one consistent snapshot, taken on the
//   if (m) std::cout << m->sent_packets("ECHO");    // node's thread
//   std::string text = ztkit::to_prometheus(*m);    // exposition format 0.0.4
//
// NodeOptions::metrics_listen serves the same text over HTTP (GET /metrics); docs/metrics.md
// lists every metric. Counters only grow while the node runs; gauges are values at the
// snapshot.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ztkit {

enum class PathKind {
  direct = 0,   // in: hops 0; out: sent to the peer's own address
  relayed = 1,  // in: forwarded by a root (hops > 0); out: handed to a root for the peer
};
const char* to_string(PathKind k);  // "direct", "relayed"

struct Metrics {
  // ---- ZeroTier packets (VL1), by verb and path kind ----
  struct Traffic {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;  // on the wire: armored, before fragmenting / after reassembly
  };
  static constexpr std::size_t verb_count = 32;  // verbs are 5 bits
  // [PathKind][verb value] (HELLO = 1, FRAME = 6, ECHO = 8, ...). In: packets for this node
  // that passed authentication (HELLO: on arrival). Out: every packet this node composed.
  std::array<std::array<Traffic, verb_count>, 2> received{}, sent{};
  // The ZeroTier name of verb value `v` ("HELLO", "EXT_FRAME", ...), "UNKNOWN" if unassigned.
  static std::string_view verb_name(std::size_t v);
  // Totals by verb name (both path kinds) or by path kind (all verbs).
  Traffic received_by_verb(std::string_view verb) const;
  Traffic sent_by_verb(std::string_view verb) const;
  Traffic received_by_path(PathKind k) const;
  Traffic sent_by_path(PathKind k) const;

  std::uint64_t datagrams_received = 0;  // UDP datagrams, whatever became of them
  std::uint64_t datagrams_sent = 0;
  std::uint64_t packets_forwarded = 0;   // relayed for other nodes (as a root)

  // ---- Drops, by layer and reason (every reason is listed, zero or not, in a fixed order) ----
  struct Drop {
    std::string layer;   // "node" (ZeroTier packets), "network" (the virtual port: COM gate,
                         // rules), "ip" (the IP stack), "tcp"
    std::string reason;  // "bad_mac", "too_short", "fragment", ... (docs/metrics.md)
    std::uint64_t count = 0;
  };
  std::vector<Drop> drops;
  // The count of one reason (0 if there is no such reason).
  std::uint64_t dropped(std::string_view layer, std::string_view reason) const;

  // ---- Peers and paths (now) ----
  bool online = false;               // a root heard within the last 500 s
  std::uint64_t peers = 0;           // known peers, roots included
  std::uint64_t roots = 0;           // of which roots (planet and moon roots: upstreams)
  std::uint64_t paths_direct = 0;    // live direct paths, over all peers
  std::uint64_t peers_relayed = 0;   // peers other than roots with no live direct path
  std::uint64_t paths_learned = 0;   // counter: direct paths confirmed since start
  std::uint64_t networks = 0;        // joined networks

  // ---- TCP over the joined networks (the user-space stack's sockets, all networks) ----
  struct Tcp {
    std::uint64_t connections = 0;         // now: sockets open (any state but freed)
    std::uint64_t connections_opened = 0;  // counter: active and passive opens
    std::uint64_t segments_received = 0;
    std::uint64_t segments_sent = 0;
    std::uint64_t bytes_received = 0;      // payload delivered in order
    std::uint64_t bytes_sent = 0;          // payload acknowledged by the peer
    std::uint64_t retransmits = 0;         // segments sent again (any reason)
    std::uint64_t fast_retransmits = 0;    // loss recoveries entered (3 dup ACKs / SACK)
    std::uint64_t rto_timeouts = 0;        // retransmission timer expiries (RFC 6298)
  } tcp;

  // ---- Histograms ----
  struct Histogram {
    std::vector<double> upper_bounds;    // ascending; the +Inf bucket is implied
    std::vector<std::uint64_t> buckets;  // per bucket, NOT cumulative: upper_bounds.size() + 1
    double sum = 0;
    std::uint64_t count = 0;             // == the sum of buckets
  };
  // Round-trip times to peers (OK(HELLO) on a direct path, OK(ECHO)), in seconds (measured in
  // whole ms: a loopback peer reads 0).
  Histogram peer_rtt_seconds;

  // ---- The node's event loops ("shards": shard 0, and 1..n-1 with NodeOptions::shards) ----
  struct Shard {
    unsigned index = 0;
    double busy_seconds = 0;  // outside the I/O wait: packets, crypto, IP stacks, timers
    double idle_seconds = 0;  // inside the I/O wait (poll)
    std::uint64_t iterations = 0;
    // The shard's data path: FRAME/EXT_FRAME packets it read and delivered, and sent; and the
    // received packets it handed to the control side (other verbs, unknown senders, relaying).
    std::uint64_t data_packets_received = 0;
    std::uint64_t data_packets_sent = 0;
    std::uint64_t control_handoffs = 0;
    // Shards 1..n-1: Ethernet frames of their TCP flows that shard 0 handed them (from the
    // networks' ports) and that they handed shard 0 to send.
    std::uint64_t lane_frames_received = 0;
    std::uint64_t lane_frames_sent = 0;
  };
  std::vector<Shard> shards;

  std::string address;  // the node's 10 hex digits
};

// The Prometheus text exposition format (version 0.0.4) of `m`: ztkit_* metrics with HELP and
// TYPE lines (docs/metrics.md). Pure: no clock, no I/O.
std::string to_prometheus(const Metrics& m);

}  // namespace ztkit
