// An in-memory UDP network for tests and simulations (architecture.md, testing layer 3; style.md
// principle 7): many endpoints in one process, each an io::backend bound to an address on the
// simulated net (10.0.0.x:port, [fd00::x]:port, or whatever address the test binds), a virtual
// clock that only the driver advances, and per-link loss, duplication, reordering, delay with
// jitter, bandwidth with a bounded queue, and an MTU. Everything random comes from one seeded
// PRNG (xoshiro256**), so a run is a pure function of the seed and of the driver's calls.
//
// Life of a datagram: send() queues it on the endpoint; flush() copies it into the network's
// in-flight storage (the sender's buffer returns to its pool at once, as with a kernel) and
// decides its fate on the link src -> dst: MTU, loss, queueing behind earlier datagrams at the
// link's bandwidth, delay + jitter, reordering, duplication. When the virtual clock reaches its
// arrival time it moves to the receiver's bounded receive queue; the receiver's poll() copies it
// into a buffer of the receiver's pool (pool empty: dropped and counted, like a NIC).
//
// Threading: one mutex guards the network, so endpoints may live on different shard threads.
// poll() never sleeps unless config::blocking_poll is set (then it waits, in real time, for an
// arrival or a wake(), up to its timeout: for endpoints driven by a shard thread). Endpoints may
// outlive the network: destroying it detaches them (they then drop sends and poll nothing), but
// no endpoint may be inside poll() on another thread at that moment.
//
// Steady state allocates nothing: in-flight slots, the event heap and the links grow during
// warm-up and are reused afterwards.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/io/backend.h"

namespace ztkit::io::sim {

// What a link does to the datagrams that cross it (one direction: src -> dst).
struct link_config {
  double loss = 0.0;                   // probability that a datagram vanishes
  double duplicate = 0.0;              // probability that a second copy is delivered too
  double reorder = 0.0;                // probability that a datagram is held back by reorder_delay_ns
  std::int64_t reorder_delay_ns = 0;   // (0: 2 x delay_ns + 1 ms)
  std::int64_t delay_ns = 0;           // one-way propagation delay
  std::int64_t jitter_ns = 0;          // plus a uniform [0, jitter_ns] per datagram
  std::uint64_t bandwidth_bps = 0;     // serialization rate in bits/s; 0: unlimited
  std::size_t queue_bytes = 0;         // bytes waiting for the wire before tail drop; 0: unbounded
  std::size_t mtu = 65507;             // largest UDP payload that crosses; larger: dropped
};

struct link_counters {
  std::uint64_t sent = 0;              // datagrams that entered the link
  std::uint64_t delivered = 0;         // reached the receiver's queue (duplicates included)
  std::uint64_t bytes_delivered = 0;
  std::uint64_t dropped_loss = 0;
  std::uint64_t dropped_mtu = 0;
  std::uint64_t dropped_queue = 0;     // bandwidth queue full, or no in-flight slot left
  std::uint64_t dropped_no_route = 0;  // nobody bound at the destination on arrival
  std::uint64_t dropped_rx_queue = 0;  // the receiver's queue was full
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
};

// Endpoint counters beyond io::backend_counters.
struct endpoint_counters {
  std::uint64_t rx_dropped_queue_full = 0;  // arrived while the receive queue was full
  std::uint64_t tx_dropped_closed = 0;      // sent after close() or after the network died
};

// One event of the trace (for determinism tests and debugging).
struct trace_event {
  enum class kind : std::uint8_t {
    sent, delivered, dropped_loss, dropped_mtu, dropped_queue, dropped_no_route,
    dropped_rx_queue, duplicated,
  };
  kind what;
  std::int64_t time_ns;     // when it happened on the virtual clock
  std::int64_t arrival_ns;  // for sent/duplicated: the scheduled arrival
  inet_address from;
  inet_address to;
  std::size_t size;
  std::uint64_t id;         // datagram sequence number (a duplicate shares its original's)
};

class sim_endpoint;

class sim_network {
 public:
  struct config {
    std::uint64_t seed = 1;
    link_config default_link{};
    std::size_t rx_queue_capacity = 4096;   // per endpoint, datagrams (a socket's SO_RCVBUF)
    std::size_t tx_queue_capacity = 1024;   // per endpoint, datagrams queued before flush()
    std::size_t max_in_flight = 1 << 16;    // datagrams on all links together
    bool blocking_poll = false;             // see the header comment
    std::int64_t start_ns = 0;
  };

  sim_network() : sim_network(config{}) {}
  explicit sim_network(const config& cfg);
  ~sim_network();
  sim_network(const sim_network&) = delete;
  sim_network& operator=(const sim_network&) = delete;

  // A new endpoint (an io::backend) whose received datagrams land in `pool`. It is bound by
  // open(): an unspecified IP (0.0.0.0 / ::) gets the next free 10.0.0.x / fd00::x, port 0 the
  // next free port from 49152. Binding a taken address fails unless every binder asks for
  // reuse_port; a group of reuse_port endpoints splits arrivals by a hash of the source.
  std::unique_ptr<sim_endpoint> make_endpoint(buf::buffer_pool& pool);

  // Link behaviour: the default for every link, or an override for one direction of one pair
  // (set_link_both: both directions). Changing a link affects datagrams sent afterwards.
  void set_default_link(const link_config& cfg);
  void set_link(const inet_address& from, const inet_address& to, const link_config& cfg);
  void set_link_both(const inet_address& a, const inet_address& b, const link_config& cfg);

  // The virtual clock. advance_to() delivers, in order, every datagram due by t (t earlier than
  // now() changes nothing). next_event_time(): the earliest scheduled arrival, if any.
  std::int64_t now() const;
  void advance_to(std::int64_t t);
  void advance_by(std::int64_t dt) { advance_to(now() + dt); }
  std::optional<std::int64_t> next_event_time() const;
  // Jumps to the next arrival (if any) and returns whether there was one.
  bool advance_to_next_event();

  // Counters of one direction of a link (zero if it never carried anything), and summed.
  link_counters counters(const inet_address& from, const inet_address& to) const;
  link_counters total_counters() const;
  std::size_t in_flight() const;

  // Called for every event, with the network's lock held: must not call back into the network.
  void set_trace(std::function<void(const trace_event&)> trace);

 private:
  friend class sim_endpoint;

  struct addr_hash {
    std::size_t operator()(const inet_address& a) const noexcept;
  };
  struct pair_key {
    inet_address from, to;
    bool operator==(const pair_key&) const = default;
  };
  struct pair_hash {
    std::size_t operator()(const pair_key& k) const noexcept;
  };
  struct link_state {
    bool has_override = false;
    link_config cfg{};
    std::int64_t busy_until = 0;  // when the wire is free again (bandwidth model)
    link_counters counters{};
  };
  struct slot {
    std::vector<std::uint8_t> bytes;  // capacity kept across reuse
    inet_address from, to;
    link_state* link = nullptr;
    std::uint64_t id = 0;
  };
  struct event {
    std::int64_t time;
    std::uint64_t seq;  // ties in time keep send order
    std::uint32_t slot;
  };
  struct event_later {
    bool operator()(const event& a, const event& b) const {
      return a.time != b.time ? a.time > b.time : a.seq > b.seq;
    }
  };

  // All below: the lock is held.
  status bind(sim_endpoint* ep, inet_address& addr, bool reuse_port);
  void unbind(sim_endpoint* ep);
  void transmit(sim_endpoint* from, const inet_address& to, const std::uint8_t* data,
                std::size_t len);
  bool alloc_slot(std::uint32_t& index);
  void free_slot(std::uint32_t index);
  void deliver_due(std::int64_t t);
  link_state& link(const inet_address& from, const inet_address& to);
  const link_config& effective(const link_state& l) const {
    return l.has_override ? l.cfg : cfg_.default_link;
  }
  void trace(trace_event::kind k, std::int64_t arrival, const inet_address& from,
             const inet_address& to, std::size_t size, std::uint64_t id);
  std::uint64_t next_u64();
  double next_unit();  // [0, 1)

  mutable std::mutex mu_;
  config cfg_;
  std::int64_t now_;
  std::uint64_t rng_[4];
  std::uint64_t seq_ = 0;
  std::uint64_t next_id_ = 0;
  std::uint32_t next_auto_v4_ = 1;
  std::uint32_t next_auto_v6_ = 1;
  std::uint16_t next_port_ = 49152;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<event> events_;  // a min-heap by (time, seq)
  std::unordered_map<pair_key, link_state, pair_hash> links_;
  std::unordered_map<inet_address, std::vector<sim_endpoint*>, addr_hash> bound_;
  std::vector<sim_endpoint*> endpoints_;  // alive, bound or not
  std::function<void(const trace_event&)> trace_;
};

class sim_endpoint final : public backend {
 public:
  ~sim_endpoint() override;

  std::string_view name() const override { return "sim"; }
  status open(const socket_options& options) override;
  inet_address local_address() const override;
  bool send(tx_datagram&& d) override;
  void flush() override;
  std::size_t poll(std::span<rx_datagram> out, std::int64_t timeout_ns) override;
  void wake() override;
  void close() override;
  const backend_counters& counters() const override { return counters_; }

  const endpoint_counters& sim_counters() const { return sim_counters_; }
  sim_network* network() const { return net_; }
  // Datagrams waiting in the receive queue (arrived, not yet polled).
  std::size_t rx_pending() const;

 private:
  friend class sim_network;
  sim_endpoint(sim_network* net, buf::buffer_pool& pool);

  sim_network* net_;
  buf::buffer_pool& pool_;
  inet_address addr_{};
  bool open_ = false;
  bool reuse_port_ = false;
  bool woken_ = false;
  std::condition_variable cv_;
  // Receive queue: a ring of in-flight slot indices.
  std::vector<std::uint32_t> rxq_;
  std::size_t rx_head_ = 0, rx_count_ = 0;
  // Send queue: datagrams waiting for flush().
  std::vector<tx_datagram> txq_;
  std::size_t tx_count_ = 0;
  backend_counters counters_{};
  endpoint_counters sim_counters_{};
};

}  // namespace ztkit::io::sim
