// All TCP sockets and listeners of one interface (or shard), and the demultiplexing of
// incoming segments to them. Pure like tcp_socket: no I/O, no clock.
//
// How an interface uses it:
//   1. Incoming: for an IPv4/IPv6 datagram with protocol 6 to one of our addresses
//        auto v = wire::tcp_packet::new_checked(ip_payload);
//        wire::tcp_repr seg;
//        if (v && wire::tcp_repr::parse(*v, ip_src, ip_dst, seg) == wire::tcp_error::ok)
//          tcp.process(now, ip_src.to_inet(seg.src_port), ip_dst.to_inet(seg.dst_port),
//                      seg, v->payload());
//      The set finds the socket by its 4-tuple (hash table sized at construction), else a
//      listener by local port and address (SYN: new socket in SYN-RECEIVED or, with the
//      backlog full, a SYN-cookie SYN-ACK; ACK: a SYN cookie), else answers with an RST
//      (RFC 9293 §3.10.7.1). Answers that belong to no socket (RSTs, cookie SYN-ACKs) wait in
//      a bounded queue that poll() drains first.
//   2. Outgoing, after every process() and application call, and when the timer fires:
//        tcp_segment seg;
//        while (tcp.poll(now, seg)) {
//          // route seg.remote, take a pool buffer, write the IP header for
//          // seg.local -> seg.remote (protocol 6, payload length seg.len()), then
//          seg.emit(buffer_span_after_ip_header);  // TCP header, checksum, payload copy
//        }
//      A segment's payload points into its socket's send ring until the next poll() call;
//      poll() assumes every segment it returns is sent (a segment that is not is simply lost
//      and retransmitted later).
//   3. Timer: poll_at() is the earliest time poll() has work (0 = now, UINT64_MAX = never).
//      poll() and poll_at() visit only the active sockets: a socket that had nothing to send
//      goes quiet and is not visited again until its next timer (a scan of the open sockets
//      at the earliest quiet deadline) or until it is touched (a segment for it, an
//      application call that changes it: tcp_socket::touched). Idle connections cost nothing
//      per pass.
//
// The application side: connect(), listen()/accept(), get(handle) for the socket's calls
// (send, recv, shutdown_write, close, abort, state), release(handle) when done (the socket
// closes gracefully if still open and is freed once CLOSED, TIME-WAIT included). Sockets
// are allocated when first opened and reused after being freed (same config: no allocation).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "netstack/tcp/tcp_listener.h"
#include "netstack/tcp/tcp_socket.h"

namespace ztkit::netstack {

struct tcp_handle {
  std::uint32_t index = ~0u;
  bool operator==(const tcp_handle&) const = default;
};
struct tcp_listener_handle {
  std::uint32_t index = ~0u;
  bool operator==(const tcp_listener_handle&) const = default;
};

struct tcp_set_counters {
  std::uint64_t rx_segments = 0;
  std::uint64_t rx_no_socket = 0;     // answered with RST
  std::uint64_t rx_dropped = 0;       // no socket, and not answered (RST, or no room)
  std::uint64_t replies_sent = 0;
  std::uint64_t replies_dropped = 0;  // reply queue full
  std::uint64_t sockets_opened = 0;
  std::uint64_t sockets_freed = 0;
  std::uint64_t no_socket_slot = 0;   // max_sockets reached
};

class tcp_socket_set final : private tcp_touch_hook {
 public:
  struct config {
    std::size_t max_sockets = 1024;
    std::size_t max_listeners = 16;
    std::size_t max_replies = 64;
    tcp_config socket;      // for sockets created by listeners and by connect() by default
    siphash_key secret{};   // ISNs, timestamps offsets, SYN cookies: random per node
  };

  explicit tcp_socket_set(const config& cfg);
  // Its sockets point back at it (tcp_touch_hook): it stays where it was made.
  tcp_socket_set(const tcp_socket_set&) = delete;
  tcp_socket_set& operator=(const tcp_socket_set&) = delete;

  // --- application ---------------------------------------------------------------------
  // Active open from `local` (port 0: an ephemeral port, RFC 6335 §6) to `remote`.
  std::optional<tcp_handle> connect(std::uint64_t now, inet_address local,
                                    const inet_address& remote);
  std::optional<tcp_handle> connect(std::uint64_t now, inet_address local,
                                    const inet_address& remote, const tcp_config& cfg);
  // A listener on `local` (family nil = any address of both families; an unspecified address
  // of a family = any address of it). Fails if the port is taken by an overlapping listener.
  std::optional<tcp_listener_handle> listen(const inet_address& local,
                                            const tcp_listener_config& cfg = {});
  // Stops listening; connections not yet accepted are reset.
  void close_listener(tcp_listener_handle h);
  // The oldest established connection of the listener, now owned by the caller.
  std::optional<tcp_handle> accept(tcp_listener_handle h);
  tcp_socket& get(tcp_handle h) { return *sockets_[h.index]; }
  const tcp_listener& listener(tcp_listener_handle h) const { return *listeners_[h.index]; }
  // The application gives up the handle: close() if still open; freed once CLOSED.
  void release(tcp_handle h);
  std::size_t open_sockets() const { return in_use_; }
  // Whether some connection still has data or a FIN to deliver (queued, unacknowledged, or a
  // close in progress): what a node waits for, briefly, before it stops (like SO_LINGER).
  bool delivering() const;

  // --- interface -----------------------------------------------------------------------
  // One received segment (checksum verified); src/dst carry the IP addresses and ports.
  void process(std::uint64_t now, const inet_address& src, const inet_address& dst,
               const wire::tcp_repr& seg, std::span<const std::uint8_t> payload);
  bool poll(std::uint64_t now, tcp_segment& out);
  std::uint64_t poll_at() const;

  const tcp_set_counters& counters() const { return counters_; }
  // Every connection's tcp_counters added up: the open ones and all those freed before
  // (O(open sockets); for statistics, not the data path).
  tcp_counters totals() const;
  // For the layer above that moves data between sockets and applications (api/tcp.cc): the
  // sockets that may have something for it since the last call, appended to `out` as slot
  // indices (tcp_handle::index): every socket activated since then (touched by a segment or
  // a call, due, new) and every socket still active (a busy socket is not touched again while
  // it stays active). Quiet sockets are not listed, so idle connections cost nothing there
  // either. An index may be listed twice, or belong to a socket freed since.
  void take_app_candidates(std::vector<std::uint32_t>& out);
  // The socket for a 4-tuple, if any (tests, diagnostics).
  std::optional<tcp_handle> find(const inet_address& local, const inet_address& remote) const;

 private:
  struct slot {
    bool used = false;
    bool app_owned = false;
    bool queued = false;     // in its listener's accept queue
    bool half_open = false;  // counted in its listener's backlog
    bool in_table = false;
    std::int32_t listener = -1;
    std::uint32_t live_pos = 0;  // where this slot's index sits in live_ (used slots only)
    // Quiet (not in active_): nothing for poll() to do before this time (its socket's
    // poll_at() when poll() last found nothing), unless the socket is touched first.
    std::uint64_t quiet_until = 0;
    bool active = false;
    std::uint32_t active_pos = 0;  // where this slot's index sits in active_ (if active)
    bool app_noticed = false;      // in app_notices_
  };
  struct reply {
    wire::tcp_repr repr;
    inet_address local, remote;
  };

  std::optional<std::uint32_t> alloc(const tcp_config& cfg);
  void free_slot(std::uint32_t i);
  void housekeeping(std::uint32_t i);
  void queue_reply(const wire::tcp_repr& r, const inet_address& local, const inet_address& remote);
  tcp_listener* find_listener(const inet_address& dst, std::int32_t* index);
  void on_listener_segment(std::uint64_t now, tcp_listener& l, std::int32_t li,
                           const inet_address& src, const inet_address& dst,
                           const wire::tcp_repr& seg, std::span<const std::uint8_t> payload);

  // Open-addressing table: 4-tuple -> socket index (linear probing, tombstones).
  static std::uint64_t hash(const inet_address& local, const inet_address& remote);
  std::size_t table_find(const inet_address& local, const inet_address& remote) const;
  void table_insert(std::uint32_t i);
  void table_erase(std::uint32_t i);
  void table_rebuild();

  config cfg_;
  std::vector<std::unique_ptr<tcp_socket>> sockets_;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_;
  // The used slots, densely: poll(), poll_at() and delivering() walk these, not every slot, so
  // a set sized for thousands of connections costs per pass only what it holds.
  std::vector<std::uint32_t> live_;
  std::size_t in_use_ = 0;
  std::vector<std::uint32_t> table_;
  std::size_t tombstones_ = 0;
  std::vector<std::unique_ptr<tcp_listener>> listeners_;
  std::vector<reply> replies_;
  std::size_t reply_head_ = 0, reply_count_ = 0;
  // The sockets poll() visits: touched, new, or due (see poll()); the others are quiet.
  std::vector<std::uint32_t> active_;
  std::uint64_t next_quiet_deadline_ = UINT64_MAX;  // the earliest quiet_until (or earlier)
  // Activated since the last take_app_candidates().
  std::vector<std::uint32_t> app_notices_;
  void on_touch(std::uint32_t i) override { activate(i); }
  void activate(std::uint32_t i);
  void deactivate(std::uint32_t i);
  std::size_t cursor_ = 0;  // poll()'s position in active_
  std::uint16_t next_ephemeral_ = 0;
  tcp_set_counters counters_;
  tcp_counters freed_totals_;  // the counters of freed sockets (reset on free, for reuse)
};

}  // namespace ztkit::netstack
