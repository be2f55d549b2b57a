// node_runner: one node on one real UDP socket (the engine's io backend, io_uring or epoll),
// on two threads (architecture.md):
//   - the shard thread owns the socket, the data path (data_path: FRAME/EXT_FRAME in and out,
//     reassembly, armor/dearmor) and the networks (network_host: members, ports, IP stacks,
//     the embedded controller). Its loop polls the socket with a timeout equal to the time to
//     the next timer (no fixed sleeps), feeds every datagram to the data path and flushes what
//     it sent once per iteration. Application sockets and events live here.
//   - the control thread owns the protocol core (node_core: identity, roots, peers and paths,
//     HELLO/OK/WHOIS/ECHO/RENDEZVOUS/..., relaying) and the state directory. It ticks every
//     tick_interval_ms and sleeps otherwise.
// Between them: the core publishes an immutable peer_directory (keys, routes, upstreams) that
// the shard adopts between batches; received packets the data path cannot finish (other
// verbs, unknown senders, HELLOs, relaying) and what the networks send by the core are handed
// to the control thread; what the data path consumed comes back to the core as notes (at most
// every notes_interval_ms); datagrams, network packets and events the core produces are
// handed to the shard once per control pass. Packets cross as copies: they are control
// traffic (a handful per second per peer), and the receive slabs stay in the shard's pool.
//
// Commands from other threads go through small mutex-protected queues plus a wake-up: this is
// the control path, not the data path. Events are delivered to `on_event` ON THE SHARD THREAD
// (the core's too, handed over): keep the callback short.
//
// Hole punching: the backend has no per-datagram TTL and exposes no socket handle, so the
// 4-byte hole-punch datagram (for which the core asks TTL 2) goes out with the socket's default
// TTL. node_sink allows this (the punch travels further; harmless); the count of such sends is
// in counters().ttl_ignored.
//
// Networks (issue 7): join(nwid) / leave(nwid) host network_members on the shard (configs
// persisted in networks.d when cfg.state is set), and cfg.controller hosts an embedded
// controller (configured with post_controller). Network packets are routed as 1.14 does:
// NETWORK_CONFIG_REQUEST -> the controller, NETWORK_CONFIG and OK(NETWORK_CONFIG_REQUEST) -> the
// member of the chunk's network, ERROR -> every member (each keeps its own).
// A join made while the node is offline waits (up to join_defer_max_ms) until an upstream has
// heard our HELLO: a request that reaches a controller (or the root that would vouch for us)
// before our identity does is dropped, and the member would only retry 5 s later.
//
// State (issue 6), with cfg.state: moons.d is orbited at start and kept in step (orbit /
// deorbit commands, moons adopted or updated at run time); peers.d is cleaned (30 days) and
// loaded at start (node_core::add_cached_peers), and peers are saved from the control tick when
// first heard or when they learn a path, at most once per peer per peer_save_interval_ms.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ctrl/network/controller.h"
#include "ctrl/network/network_io.h"
#include "ctrl/network/network_member.h"
#include "ctrl/node/data_path.h"
#include "ctrl/node/node_core.h"
#include "ctrl/runtime/lane_shard.h"
#include "ctrl/runtime/network_host.h"
#include "ctrl/runtime/network_stack.h"
#include "ctrl/runtime/runner_wake.h"
#include "ctrl/state/state_dir.h"
#include "engine/base/result.h"
#include "engine/buf/packet_buffer.h"
#include "engine/crypto/identity.h"
#include "engine/io/backend.h"
#include "engine/wire/world.h"

namespace ztkit::ctrl {

struct runner_event {
  enum class kind {
    online,            // flag: node-level online (an upstream heard within 500 s) or not
    peer_online,       // peer
    peer_offline,      // peer
    path_learned,      // peer, address
    path_lost,         // peer, address
    user_message,      // peer (sender), type, data
    echo_reply,        // peer, rtt_ms, direct
    external_address,  // peer (reporter), address, flag (trusted)
    identity_collision,        // peer (the address claimed with another key)
    fatal_identity_collision,  // peer (the upstream): the runner stops itself
    error_received,    // peer, type (the error code)
    network_status,    // network_id, status (on each change)
    network_config,    // network_id, ips (assigned addresses, port = prefix bits), flag (cached)
    network_problem,   // network_id, data (text)
  };
  kind what = kind::online;
  zt_address peer;
  std::uint64_t type = 0;
  std::vector<std::uint8_t> data;
  std::int64_t rtt_ms = 0;
  // echo_reply: whether the ECHO went out on a direct path to the peer (false: relayed by an
  // upstream). Judged when the ECHO was sent (its timestamp identifies it in the reply).
  bool direct = false;
  bool flag = false;
  wire::inet_address address;
  std::uint64_t network_id = 0;
  network_status status = network_status::requesting_configuration;
  std::vector<wire::inet_address> ips;
};

struct node_runner_config {
  io::socket_options socket;  // socket.bind: where to listen (port 0: the kernel picks)
  io::backend_kind backend = io::backend_kind::automatic;
  node_config node;
  wire::world planet = wire::earth_planet();
  std::int64_t tick_interval_ms = 250;  // clamped to [10, 500]
  std::function<void(const runner_event&)> on_event;  // runner thread
  state_dir* state = nullptr;  // networks.d for joined networks (none if null); must outlive us
  // With `state`: the moons in moons.d are orbited from the start, and a moon adopted or
  // updated later is saved there (deorbit removes its file).
  bool persist_moons = true;
  // With `state`: peers.d files older than 30 days are deleted and the rest learned at start
  // (node_core::add_cached_peers: no WHOIS needed for them; their last paths are tried). A peer
  // is saved (identity, version, current paths best first) when it is first heard or learns a
  // path, at most once per peer per peer_save_interval_ms, from the runner thread's tick.
  bool persist_peers = true;
  std::int64_t peer_save_interval_ms = 60'000;
  // How often the shard tells the core what the data path consumed (Peer::received for the
  // paths it heard peers on, traffic counters). Paths live for seconds; 20 ms is plenty.
  std::int64_t notes_interval_ms = 20;
  bool controller = false;     // host an embedded controller (see post_controller)
  // UDP GSO and GRO (where the kernel has them): runs of equal-sized datagrams to one peer
  // (a bulk stream's packets, split evenly: node_config::balanced_fragments) leave in one
  // UDP_SEGMENT send, and the kernel hands over runs it received as one buffer. Costs about
  // 6 MB of 66 KiB slabs per node. Off: one datagram per send and per receive, as 1.14.
  bool udp_offload = true;
  // TCP sockets per joined network's stack (netstack::tcp_socket_set::config::max_sockets).
  std::size_t max_tcp_connections = 16384;
  // Data shards (1..64). Shard 0 is the thread above; shards 1..n-1 (lane_shard) each run a
  // lane of every joined network's IP stack with the TCP flows whose 4-tuple hashes to it
  // (flow_steer.h). The socket, the data path (armor, dearmor) and the ports stay on shard 0.
  unsigned shards = 1;
};

struct runner_counters {
  std::uint64_t iterations = 0;
  std::uint64_t ticks = 0;
  std::uint64_t tx_no_buffer = 0;  // pool empty or datagram larger than a slab: dropped
  std::uint64_t ttl_ignored = 0;   // sends for which the core asked a TTL we cannot set
  std::uint64_t commands = 0;
  std::uint64_t gso_sends = 0;      // batches of 2+ datagrams handed to the backend as one
  std::uint64_t gso_datagrams = 0;  // datagrams in those batches
  // Received packets handed to the control thread in their receive slab / as a copy.
  std::uint64_t handoffs_in_slab = 0;
  std::uint64_t handoffs_copied = 0;
  // Loop utilisation: ns spent waiting inside the backend's poll() and ns spent outside it
  // (working), since the thread started (steady clock; two clock reads per iteration).
  std::uint64_t poll_ns = 0;
  std::uint64_t busy_ns = 0;
};

class node_runner {
 public:
  // Opens the socket and starts the thread. `self` must hold its private key.
  static result<std::unique_ptr<node_runner>> start(crypto::identity self, node_runner_config cfg);

  ~node_runner();
  node_runner(const node_runner&) = delete;
  node_runner& operator=(const node_runner&) = delete;

  // Stops the thread and closes the socket. Idempotent; the destructor calls it. Must not be
  // called from on_event (the runner thread): use request_stop() there.
  void stop();
  // Asks the thread to stop at its next iteration (any thread, including the runner's).
  void request_stop();
  // False once the thread has left its loop (stop(), request_stop(), fatal identity collision).
  bool running() const { return !stopped_.load(); }

  static constexpr std::int64_t join_defer_max_ms = network_host::join_defer_max_ms;

  zt_address address() const { return address_; }
  const wire::inet_address& local_address() const { return local_; }
  std::string_view backend_name() const { return backend_->name(); }

  // ---- Commands (any thread; run on the runner thread at its next iteration) ----
  void send_user_message(zt_address to, std::uint64_t type, std::vector<std::uint8_t> data);
  void send_echo(zt_address to);
  // Runs `fn` on the control thread with the core and the current time.
  void post(std::function<void(node_core&, std::int64_t now)> fn);
  // Runs `fn` on the shard thread (the networks, the data path, application sockets).
  void post_shard(std::function<void(std::int64_t now)> fn);
  // Joins network `nwid` (the request leaves at once) / leaves it (forgets its cached config).
  void join(std::uint64_t nwid);
  void leave(std::uint64_t nwid);
  // Orbits moon `world_id` (zerotier-cli orbit): its copy in moons.d, if any and valid, is
  // adopted at once; otherwise `seed` (one of its roots) is asked for it (node_core::orbit).
  void orbit(std::uint64_t world_id, zt_address seed);
  // Deorbits it (node_core::deorbit) and deletes its moons.d file.
  void deorbit(std::uint64_t world_id);
  // Runs `fn` on the shard thread with network `nwid`'s stack (not at all before the
  // network's first config); what `fn` queued on its interface (socket sends) goes out right
  // after it.
  void post_network(std::uint64_t nwid, std::function<void(network_stack&, std::int64_t now)> fn);
  // Wakes the shard thread (after an application queued work for it that its next pass
  // picks up: stack clients' queues). No system call while the runner is busy (runner_wake).
  void wake() {
    if (wake_->valid())
      wake_->notify();
    else
      backend_->wake();
  }
  // The same, as an object that may outlive the runner (API sockets keep it).
  std::shared_ptr<runner_wake> waker() const { return wake_; }
  // Runs `fn` on the shard thread with the embedded controller (not at all without one).
  void post_controller(std::function<void(controller&, std::int64_t now)> fn);

  // Shard-thread state; read only from on_event or a post_shard function (or after stop()).
  const runner_counters& counters() const { return counters_; }
  const network_member* member(std::uint64_t nwid) const { return host_->member(nwid); }
  controller* embedded_controller() { return host_->embedded_controller(); }
  const network_stack* stack(std::uint64_t nwid) const { return host_->stack(nwid); }
  network_host& host() { return *host_; }
  // Control thread only (a post function): the protocol core.
  node_core& host_core() { return *core_; }
  // Shard thread only: hands the data path's notes to the core now (post() after this sees the
  // core's counters up to date).
  void flush_data_notes(std::int64_t now) { sync_data_path(now, true); }
  // Shard thread only: receive slabs the control thread holds now (at most max_held_slabs).
  std::size_t slabs_with_core() const { return slabs_with_core_; }
  // Data shards (node_runner_config::shards) and shard k >= 1 (null for 0 or out of range).
  unsigned shards() const { return static_cast<unsigned>(lane_shards_.size()) + 1; }
  lane_shard* shard_at(unsigned k) { return k >= 1 && k <= lane_shards_.size() ? lane_shards_[k - 1].get() : nullptr; }
  // Shard thread only: the data path (FRAME/EXT_FRAME in and out; see the loop in run()).
  const data_path& host_data_path() const { return *dp_; }

  // The runner's clock: ms since the epoch at start, advancing monotonically.
  std::int64_t now_ms() const;

 private:
  class sink;
  class data_sink;
  class host_io;
  // Shard side: adopts a newly published directory; hands the received packets kept for the
  // control side, and (at most every notes_interval_ms, or with packets) the data path's notes.
  void sync_data_path(std::int64_t now, bool force_notes);
  // One received slab (a datagram, or a GRO run of them): each through the data path; what is
  // left for the core is handed over with the slab itself (or copied, see handoff).
  void on_received(std::int64_t now, io::rx_datagram& rx);
  // Control side: publishes the directory if stale, hands what the core produced to the shard.
  void run_control();
  void publish_directory(std::int64_t now);
  void hand_to_shard();
  node_runner(node_runner_config cfg);
  void run();
  // The send side of the sink: one datagram, or (udp_offload) appended to the batch being
  // built; flush_out() hands the batch over and flushes the backend.
  void send_datagram(const wire::inet_address& to, std::span<const std::uint8_t> bytes) {
    if (gso_pool_)
      batch_add(to, bytes);
    else
      send_one(to, bytes);
  }
  void send_one(const wire::inet_address& to, std::span<const std::uint8_t> bytes);
  void batch_add(const wire::inet_address& to, std::span<const std::uint8_t> bytes);
  void batch_close();
  void flush_out() {
    batch_close();
    backend_->flush();
  }
  void emit(runner_event&& e);  // shard thread
  void emit_from_core(runner_event&& e);  // control thread: delivered by the shard
  network_host_events host_events();
  node_runner_config cfg_;
  buf::buffer_pool pool_;  // receive slabs (66 KiB with udp_offload: room for a GRO run)
  buf::buffer_pool tx_pool_;  // single datagrams
  std::unique_ptr<buf::buffer_pool> gso_pool_;  // batches (udp_offload only)
  // The batch being built: equal-sized datagrams to `to`, the last one possibly shorter
  // (`closed` then). It starts in a tx_pool_ slab and moves to a gso_pool_ slab when a second
  // datagram joins, so a lone datagram never holds a big slab.
  struct out_batch {
    buf::packet_buffer buffer;
    wire::inet_address to;
    std::uint16_t segment = 0;
    std::uint16_t count = 0;
    bool closed = false;
  } batch_;
  std::unique_ptr<io::backend> backend_;
  std::shared_ptr<runner_wake> wake_;
  std::unique_ptr<sink> sink_;
  std::unique_ptr<node_core> core_;
  std::unique_ptr<data_path> dp_;
  std::unique_ptr<data_sink> dsink_;
  std::unique_ptr<host_io> hio_;
  // Before host_: destroyed after it (a network's stack posts its lanes' removal to them).
  std::vector<std::unique_ptr<lane_shard>> lane_shards_;
  std::unique_ptr<network_host> host_;
  zt_address address_;
  wire::inet_address local_;
  std::int64_t wall_base_ms_ = 0;
  std::int64_t steady_base_ns_ = 0;

  std::mutex mu_;  // the shard's command queue
  std::vector<std::function<void(std::int64_t)>> commands_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stopped_{false};
  std::thread thread_;  // the shard

  // The control thread and its command queue.
  std::thread control_thread_;
  std::mutex ctl_mu_;
  std::condition_variable ctl_cv_;
  std::vector<std::function<void(node_core&, std::int64_t)>> ctl_commands_;
  // The directory the core published last; the shard adopts it when the version moves.
  std::mutex dir_mu_;
  std::shared_ptr<const peer_directory> published_;
  std::atomic<std::uint64_t> published_version_{0};

  // Control thread only: what the core produced during a pass, handed to the shard at its end.
  struct core_datagram {
    wire::inet_address to;
    std::vector<std::uint8_t> bytes;
    bool ttl = false;  // the core asked for a TTL
  };
  struct core_packet {  // a network verb for the network_host
    zt_address from;
    std::shared_ptr<const crypto::identity> identity;
    std::vector<std::uint8_t> bytes;  // dearmored, uncompressed
  };
  struct core_output {
    std::vector<core_datagram> datagrams;
    std::vector<core_packet> packets;
    std::vector<runner_event> events;
    std::vector<std::function<void(std::int64_t)>> host_calls;
    bool empty() const {
      return datagrams.empty() && packets.empty() && events.empty() && host_calls.empty();
    }
  } core_out_;
  std::map<std::int64_t, bool> echo_sent_;  // send time -> direct

  // Shard thread only.
  runner_counters counters_;
  std::uint64_t adopted_version_ = 0;
  // A received packet for the core. It stays in its receive slab, which the core holds until it
  // has read it and which then comes back to the shard (its pool is the shard's), except where
  // that cannot be: a reassembled packet (it lives in the data path's reassembly buffer) and
  // any packet while max_held_slabs are already with the core (a flood of HELLOs or packets
  // to relay must not drain the shard's receive pool) are copied.
  struct handoff {
    data_path::rx_result::kind what;
    wire::inet_address from;
    std::shared_ptr<buf::packet_buffer> slab;
    std::size_t offset = 0, length = 0;  // the packet within the slab
    std::vector<std::uint8_t> copy;      // or its copy
    std::span<std::uint8_t> bytes() {
      return slab ? slab->bytes().subspan(offset, length) : std::span<std::uint8_t>(copy);
    }
  };
  std::vector<handoff> handoffs_;
  std::vector<std::shared_ptr<buf::packet_buffer>> handoff_slabs_;  // each slab once
  std::size_t slabs_with_core_ = 0;
  static constexpr std::size_t max_held_slabs = 8;
  std::int64_t notes_sent_at_ = 0;
  crypto::identity self_public_;  // identity_of(ourselves)
  // peers.d: peers to save (heard first / new path) and when each was last saved.
  void note_peer_changed(zt_address a);
  void save_peers(std::int64_t now);
  std::set<std::uint64_t> peers_dirty_;
  std::map<std::uint64_t, std::int64_t> peers_saved_;
};

}  // namespace ztkit::ctrl
