// The node's protocol core: everything a ZeroTier 1.14 node does at VL1 (HELLO, OK, WHOIS,
// RENDEZVOUS, ECHO, ERROR, USER_MESSAGE, PUSH_DIRECT_PATHS, path learning, relaying as a root),
// as a pure state machine. It does no I/O and reads no clock: the caller passes `now` (ms since
// the epoch, or any monotonic ms clock) and received datagrams in, and gets datagrams to send
// and events out through a node_sink (style.md principle 2; zerotier-protocol.md §3, §4).
//
// Files: node_core.cc (construction, API), rx.cc (datagram -> packet: fragments, relay check,
// dearmor, cipher rules, dispatch), rx_hello.cc (HELLO), rx_ok.cc (OK), rx_misc.cc (ERROR,
// WHOIS, RENDEZVOUS, ECHO, USER_MESSAGE, PUSH_DIRECT_PATHS), tx.cc (compose, armor, fragment,
// route; HELLO), relay.cc (forwarding and RENDEZVOUS as a root), timers.cc (on_tick, moon
// seeds). Moons and the peer cache: node_core.cc (orbit, deorbit, add_cached_peers).
//
// Not thread-safe: one control thread owns a node_core.
//
// Where this differs from 1.14.1 (deliberately or not yet):
//   - HELLO is accepted only under cipher 0 (1.14 also takes an encrypted HELLO from a known
//     peer; 1.14 itself never sends one).
//   - The ECHO rate gate is per peer, not per path; the identity-verification gate hashes the
//     source IPv4 /24 or IPv6 /64 (1.14 hashes the address its own way).
//   - A leaf never relays (1.14 also relays on paths with "trust established"); a root with no
//     path to the destination drops instead of asking its own upstream.
//   - Self-awareness only records and reports external addresses; it does not reset paths when
//     a root reports a changed address (SelfAwareness::iam's path reset).
//   - Moons: a moon not held is adopted only if it is signed by its own update key (1.14 takes
//     any world its seed hands back); orbit() asks the seed at once (1.14 at the next ping
//     check); a seed is sent a full HELLO at most every 28 s, directly on its best path or via
//     the best upstream (1.14 may send it an ECHO instead when a full HELLO is not due).
//   - Cached peers (peers.d) are given at start (add_cached_peers), not read on demand as
//     Topology::getPeer does; saving them is the caller's business (node_runner).
//   - No multipath, no 13-byte LAN beacons, no
//     REMOTE_TRACE, no TCP fallback. No "expired path trial" (ZT_PEER_EXPIRED_PATH_TRIAL_PERIOD).
//   - Upstream HELLOs to stable endpoints go out on socket 0 (the caller's default socket).
//   - The hole-punch datagram asks the sink for TTL 2 (node_sink::send's `ttl`).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

#include "ctrl/node/hello.h"
#include "ctrl/node/ip_scope.h"
#include "ctrl/node/node_sink.h"
#include "ctrl/node/packet_io.h"
#include "ctrl/node/peer_directory.h"
#include "ctrl/node/topology.h"
#include "engine/wire/reassembly.h"

namespace ztkit::ctrl {

// A peer from the peers.d cache (Peer::deserializeFromCache): its identity, the version it
// announced, and the paths it was last reached on (hints: contacted, never trusted as live).
struct data_path_notes;

struct cached_peer {
  crypto::identity identity;  // public part is enough
  std::uint8_t protocol_version = 0;
  std::uint8_t major = 0, minor = 0;
  std::uint16_t revision = 0;
  std::vector<wire::inet_address> paths;
};

struct node_config {
  path_rules paths;                   // allow_loopback (demo / loopback tests only)
  topology_config topo;
  std::size_t mtu = wire::default_phys_mtu;
  // Split packets longer than `mtu` into equal datagrams (wire::balanced_split_mtu) rather
  // than 1.14's full head + remainder: same datagram count, and runs a UDP GSO send can take.
  // Receivers, 1.14's included, reassemble either. HELLO always uses 1.14's split.
  bool balanced_fragments = true;
  std::size_t whois_queue_size = 32;  // packets waiting for a WHOIS answer, each direction
  // Our interface addresses to advertise in PUSH_DIRECT_PATHS (Node::directPaths), if any.
  std::vector<wire::inet_address> direct_paths;
  // Trusted paths (local.conf physical[].trustedPathId): remote IP -> id (exact IP match).
  std::vector<std::pair<wire::inet_address, std::uint64_t>> trusted_paths;
  // Packet IDs must never repeat under one key: 0 seeds the generator from libsodium's CSPRNG;
  // a fixed seed makes a simulation deterministic.
  std::uint64_t random_seed = 0;
  // Moons orbited from the start (moons.d), adopted as topology::add_moon does (invalid ones
  // are counted in topology_counters::moon_updates_rejected and skipped). Not reported through
  // on_world_updated.
  std::vector<wire::world> moons;
};

// Every drop is counted (bad input never crashes, it lands here).
struct node_counters {
  std::uint64_t rx_datagrams = 0;
  std::uint64_t rx_too_short = 0;        // < 28 bytes and not a fragment (13-byte beacons too)
  std::uint64_t rx_fragment_drops = 0;   // reassembly refused the piece
  std::uint64_t rx_from_self = 0;
  std::uint64_t rx_bad_mac = 0;          // dearmor failed
  std::uint64_t rx_bad_cipher = 0;       // cipher 0 for anything but HELLO, unknown suite, untrusted 2
  std::uint64_t rx_bad_compression = 0;
  std::uint64_t rx_malformed = 0;        // payload does not parse
  std::uint64_t rx_unexpected_ok = 0;    // OK not matching a packet we sent (§2.7)
  std::uint64_t rx_not_upstream = 0;     // OK(WHOIS)/RENDEZVOUS/world update from a non-upstream
  std::uint64_t rx_rate_limited = 0;     // identity verification, WHOIS, ECHO, PUSH_DIRECT_PATHS
  std::uint64_t rx_bad_identity = 0;     // HELLO identity invalid or source != identity address
  std::uint64_t rx_old_protocol = 0;     // HELLO / OK(HELLO) with protocol < 4
  std::uint64_t rx_queued_unknown = 0;   // parked waiting for WHOIS
  std::uint64_t rx_queue_dropped = 0;    // parked packets dropped (overflow, timeout)
  std::uint64_t tx_queued_unknown = 0;
  std::uint64_t tx_queue_dropped = 0;
  std::uint64_t tx_no_route = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_datagrams = 0;
  std::uint64_t whois_sent = 0;
  std::uint64_t relayed = 0;
  std::uint64_t relay_dropped = 0;       // not a root, hops exhausted, no route
  std::uint64_t rendezvous_sent = 0;
  std::uint64_t hole_punches = 0;
  std::uint64_t paths_learned = 0;
  std::uint64_t identity_collisions_sent = 0;  // ERROR(IDENTITY_COLLISION) answered

  // Packets by verb (index: the verb's 5-bit value) and path kind ([0] direct: hops 0 in, sent
  // to the peer's own address out; [1] relayed: hops > 0 in, handed to an upstream out), and
  // their size on the wire (armored, before fragmenting). In: packets for us that passed
  // dearmor (HELLO: on arrival, before its identity checks). Plain increments: one thread.
  struct verb_traffic {
    std::array<std::uint64_t, 32> packets{}, bytes{};
  };
  std::array<verb_traffic, 2> rx_verbs{}, tx_verbs{};
  // Peer round-trip times in ms (OK(HELLO) at hops 0, every OK(ECHO)): bucket i counts samples
  // <= rtt_bounds_ms[i] (and above the previous bound); the last bucket, the rest.
  static constexpr std::array<std::uint32_t, 12> rtt_bounds_ms{1,   2,   5,   10,   20,   50,
                                                               100, 200, 500, 1000, 2000, 5000};
  std::array<std::uint64_t, rtt_bounds_ms.size() + 1> rtt_buckets{};
  std::uint64_t rtt_sum_ms = 0;

  void note_rx(std::uint8_t verb, std::size_t bytes, bool relayed) {
    verb_traffic& t = rx_verbs[relayed ? 1 : 0];
    ++t.packets[verb & 31];
    t.bytes[verb & 31] += bytes;
  }
  void note_tx(std::uint8_t verb, std::size_t bytes, bool relayed) {
    verb_traffic& t = tx_verbs[relayed ? 1 : 0];
    ++t.packets[verb & 31];
    t.bytes[verb & 31] += bytes;
  }
  void note_rtt(std::int64_t ms) {
    if (ms < 0) return;
    std::size_t i = 0;
    while (i < rtt_bounds_ms.size() && static_cast<std::uint64_t>(ms) > rtt_bounds_ms[i]) ++i;
    ++rtt_buckets[i];
    rtt_sum_ms += static_cast<std::uint64_t>(ms);
  }
};

class node_core {
 public:
  // `self` must hold its private key. `planet`: the stock Earth unless given. If our address
  // is one of the planet's roots, the node acts as that root (relays, RENDEZVOUS).
  node_core(crypto::identity self, node_sink& sink, node_config config = {},
            wire::world planet = wire::earth_planet());

  // ---- Inputs ----
  // A UDP datagram that arrived on our socket `local` from `from`.
  void on_datagram(std::int64_t now, socket_id local, const wire::inet_address& from,
                   std::span<const std::uint8_t> bytes);
  // Timers: call at least every 500 ms (WHOIS retries run on that grain; HELLO to roots every
  // 5 s while they have no path, every 224 s once they do; keepalives, expiry).
  void on_tick(std::int64_t now);
  // USER_MESSAGE to `to`; queued with a WHOIS if `to` is not known yet. False if it could not
  // even be queued (to ourselves, reserved address, too long).
  bool send_user_message(std::int64_t now, zt_address to, std::uint64_t type,
                         std::span<const std::uint8_t> data);
  // ECHO to `to` carrying our `now` (the reply yields on_echo_reply with the RTT).
  bool send_echo(std::int64_t now, zt_address to);
  // PUSH_DIRECT_PATHS to `to` now (config.direct_paths + learned external addresses).
  bool send_push_direct_paths(std::int64_t now, zt_address to);
  // The network layer says `peer` passed its gate (Peer::received trustEstablished): from now
  // on packets from it trigger periodic PUSH_DIRECT_PATHS, and it counts as active.
  void note_trust_established(std::int64_t now, zt_address peer_address);
  // Asks the best upstream for `a`'s identity (WHOIS) unless it is known or was asked for
  // within the WHOIS retry delay (network layer use: a controller's identity to check a COM).
  void resolve(std::int64_t now, zt_address a) {
    if (a != address() && topo_.get(a) == nullptr) request_whois(now, a, false);
  }
  // ---- The data path (data_path.h: a shard's FRAME/EXT_FRAME path) ----
  // A packet for us that the data path reassembled but could not read (cipher 0, unknown
  // sender): the steps of on_datagram after reassembly.
  void on_packet(std::int64_t now, socket_id local, const wire::inet_address& from,
                 std::span<std::uint8_t> packet);
  // A packet the data path dearmored with its sender's keys (any verb but FRAME/EXT_FRAME):
  // the steps of on_datagram after dearmor. Dropped (rx_malformed) if the sender is gone.
  void on_dearmored(std::int64_t now, socket_id local, const wire::inet_address& from,
                    std::span<std::uint8_t> packet);
  // The peers as the data path sees them, rebuilt when a peer or path came or went, and on
  // every tick (best paths move with latency and silence). Cheap when nothing changed.
  bool directory_stale() const { return directory_stale_; }
  std::shared_ptr<const peer_directory> directory(std::int64_t now);
  // How often directory() found its snapshot stale but every route unchanged and kept it.
  std::uint64_t directories_kept() const { return directory_kept_; }
  // What the data path noted since the last call: Peer::received for each (peer, path, hops)
  // it consumed packets from (liveness, path probes, direct path pushes), last_send of the
  // paths it sent on, and its traffic and drops in counters().
  void absorb(std::int64_t now, const data_path_notes& notes);

  // ---- Moons (Node::orbit / deorbit; zerotier-protocol.md §7) ----
  // Orbits moon `world_id`. If it is held already, nothing to do. Otherwise `seed` (one of the
  // moon's roots) is asked for it: a HELLO listing the moon with timestamp 0 ("wanted") goes to
  // the seed now and again at ping checks (at most every 28 s) until its OK(HELLO) carries the
  // world; an unknown seed is looked up by WHOIS first (each ping check). The world is accepted
  // if its ID and the seed match a request and its signature is valid (topology::accept_world);
  // its roots then become upstreams and on_world_updated reports it. False if the moon is not
  // held and `seed` cannot be asked (reserved, ourselves).
  bool orbit(std::int64_t now, std::uint64_t world_id, zt_address seed);
  // Orbits a moon whose world we have (moons.d, a moon file): topology::add_moon's checks.
  // Reported through on_world_updated when adopted.
  bool orbit(std::int64_t now, const wire::world& moon);
  // Forgets the moon (and any pending request for it); its roots stop being upstreams.
  bool deorbit(std::uint64_t world_id);

  // ---- Peer cache (peers.d) ----
  // Learns cached peers (key agreed now, so no WHOIS is needed to talk to them) and sends a
  // full HELLO to each of their remembered paths allowed by the path rules; a path becomes
  // one only when its OK(HELLO) comes back (Peer::deserializeFromCache). Peers already known
  // (upstreams included), ourselves, reserved addresses and unusable keys are skipped. Returns
  // how many were added.
  std::size_t add_cached_peers(std::int64_t now, std::span<const cached_peer> peers);

  // Sends an arbitrary verb to a known peer by its best route (network layer use).
  bool send_verb(std::int64_t now, zt_address to, wire::verb v, std::span<const std::uint8_t> payload,
                 bool compress = false);

  // ---- State ----
  const crypto::identity& identity() const { return topo_.self(); }
  zt_address address() const { return topo_.self().address(); }
  topology& topo() { return topo_; }
  const topology& topo() const { return topo_; }
  const node_counters& counters() const { return counters_; }
  const wire::reassembly_counters& reassembly_counters() const { return reasm_.counters(); }
  bool online() const { return online_; }
  bool am_root() const { return topo_.am_root(); }
  // External addresses learned from upstreams (SelfAwareness::whoami), newest first.
  std::vector<wire::inet_address> external_addresses(std::int64_t now) const;
  // Addresses with a WHOIS outstanding.
  std::size_t pending_whois() const { return whois_.size(); }
  std::size_t queued_rx() const { return rx_queue_.size(); }
  std::size_t queued_tx() const { return tx_queue_.size(); }

  // Reply matching (Node::expectReplyTo / expectingReplyTo, §2.7): 32-bit prefix of the packet
  // ID after armor, 256 buckets x 32 entries, no expiry.
  void expect_reply_to(std::uint64_t packet_id);
  // Whether an OK to verb `v` is expected (and so registered by expect_reply_to when sent).
  static bool expects_reply(wire::verb v);
  bool expecting_reply_to(std::uint64_t packet_id) const;

 private:
  friend struct node_core_access;  // tests

  // rx.cc
  void process_packet(std::int64_t now, socket_id local, const wire::inet_address& from,
                      std::span<std::uint8_t> packet, bool from_queue);
  void after_dearmor(std::int64_t now, peer& p, socket_id local, const wire::inet_address& from,
                     std::span<std::uint8_t> packet);
  void dispatch(std::int64_t now, peer& p, socket_id local, const wire::inet_address& from,
                wire::packet_view pkt);
  // Peer::received: liveness, path learning (OK at hops 0), probes, direct path push.
  void peer_received(std::int64_t now, peer& p, socket_id local, const wire::inet_address& from,
                     unsigned hops, wire::verb v);
  void mark_peer_heard(std::int64_t now, peer& p);
  std::uint64_t trusted_path_id(const wire::inet_address& from) const;
  // rx_hello.cc
  void rx_hello(std::int64_t now, socket_id local, const wire::inet_address& from,
                std::span<std::uint8_t> packet);
  bool rate_gate_identity_verification(std::int64_t now, const wire::inet_address& from);
  // rx_ok.cc
  void rx_ok(std::int64_t now, peer& p, socket_id local, const wire::inet_address& from,
             wire::packet_view pkt);
  // rx_misc.cc
  void rx_error(std::int64_t now, peer& p, wire::packet_view pkt);
  void rx_whois(std::int64_t now, peer& p, socket_id local, const wire::inet_address& from,
                wire::packet_view pkt);
  void rx_rendezvous(std::int64_t now, peer& p, socket_id local, wire::packet_view pkt);
  void rx_echo(std::int64_t now, peer& p, socket_id local, const wire::inet_address& from,
               wire::packet_view pkt);
  void rx_user_message(std::int64_t now, peer& p, wire::packet_view pkt);
  void rx_push_direct_paths(std::int64_t now, peer& p, socket_id local, wire::packet_view pkt);
  void learn_external(std::int64_t now, peer& reporter, const wire::inet_address& reporter_at,
                      const wire::inet_address& addr);
  // tx.cc
  std::uint64_t next_packet_id();
  // Composes, optionally compresses, armors with `suite` and sends to (local, to), split into
  // fragments if longer than the MTU. Returns the packet ID as sent (after armor), 0 on error.
  std::uint64_t send_packet_via(std::int64_t now, peer& p, wire::verb v,
                                std::span<const std::uint8_t> payload, wire::cipher_suite suite,
                                socket_id local, const wire::inet_address& to, bool expect_reply,
                                bool compress, bool relayed = false);
  // Switch::_trySend: the peer's best direct path, else the best upstream's path (relay).
  bool send_to_peer(std::int64_t now, peer& p, wire::verb v, std::span<const std::uint8_t> payload,
                    bool expect_reply, bool compress);
  void send_datagram(socket_id local, const wire::inet_address& to,
                     std::span<const std::uint8_t> bytes, unsigned ttl = 0);
  void send_hello(std::int64_t now, peer& p, socket_id local, const wire::inet_address& to);
  // Peer::attemptToContactAt: ECHO (peers >= 5) unless a full HELLO is asked for.
  void attempt_to_contact(std::int64_t now, peer& p, socket_id local, const wire::inet_address& to,
                          bool full_hello);
  void send_error(std::int64_t now, peer& p, socket_id local, const wire::inet_address& to,
                  wire::verb in_re, std::uint64_t in_re_id, wire::error_code code);
  void push_direct_paths_to(std::int64_t now, peer& p);
  // WHOIS and the queues of packets waiting for it (Switch::requestWhois, doAnythingWaitingForPeer).
  void request_whois(std::int64_t now, zt_address a, bool force);
  void flush_waiting(std::int64_t now, zt_address a);
  // Asks the seeds of pending orbit requests for their moons (HELLO, or WHOIS if unknown);
  // `force` ignores the per-seed HELLO interval.
  void contact_moon_seeds(std::int64_t now, bool force);
  // relay.cc
  void relay(std::int64_t now, socket_id local, const wire::inet_address& from,
             std::span<std::uint8_t> datagram, zt_address dest, bool is_fragment);
  void maybe_unite(std::int64_t now, peer& a, peer& b);
  // timers.cc
  void ping_peers(std::int64_t now);
  void expire(std::int64_t now);
  void service_whois(std::int64_t now);

  struct whois_state {
    std::int64_t first = 0;
    std::int64_t last_sent = 0;
  };
  struct parked_rx {
    std::int64_t at;
    socket_id local;
    wire::inet_address from;
    zt_address source;
    std::vector<std::uint8_t> bytes;
  };
  struct parked_tx {
    std::int64_t at;
    zt_address dest;
    wire::verb v;
    bool compress;
    std::vector<std::uint8_t> payload;
  };
  struct external_address {
    zt_address reporter;
    wire::inet_address address;
    std::int64_t at;
  };

  node_config config_;
  node_sink& sink_;
  topology topo_;
  wire::reassembly_table reasm_;
  node_counters counters_;
  bool online_ = false;
  packet_id_source ids_;
  bool directory_stale_ = true;
  std::uint64_t directory_version_ = 0;
  std::uint64_t directory_kept_ = 0;  // stale, but no route changed: the snapshot stayed
  std::shared_ptr<const peer_directory> directory_;

  std::array<std::array<std::uint32_t, 32>, 256> expect_{};
  std::array<std::uint8_t, 256> expect_next_{};

  std::map<std::uint64_t, whois_state> whois_;
  std::deque<parked_rx> rx_queue_;
  std::deque<parked_tx> tx_queue_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::int64_t> last_unite_;
  std::unordered_map<std::uint64_t, std::int64_t> identity_gate_;
  std::vector<external_address> external_;
  std::int64_t last_ping_check_ = -1'000'000'000;
  std::int64_t last_housekeeping_ = 0;
  std::vector<std::uint8_t> scratch_;
  // Receive copies (the datagram is const; dearmor works in place): one for the datagram, one
  // for a reassembled packet, sized once (packet_max_length) so no datagram allocates.
  std::vector<std::uint8_t> rx_datagram_, rx_whole_;
};

}  // namespace ztkit::ctrl
