// One TCP connection (RFC 9293), pure: no I/O, no clock reads, nothing allocated after
// construction (the send and receive rings are allocated once, sized by tcp_config).
//
// Files (netstack/tcp/):
//   tcp_socket.{h,cc}      this class: application calls, shared helpers
//   tcp_input.cc           segment arrival, RFC 9293 §3.10.7 step by step
//   tcp_output.cc          what to send next, timers (RTO, persist, keepalive, delayed ACK)
//   tcp_congestion.{h,cc}  CUBIC and NewReno
//   tcp_listener.{h,cc}    listening endpoints, SYN backlog, SYN cookies
//   tcp_socket_set.{h,cc}  all sockets of an interface, demultiplexing by 4-tuple
//   byte_ring.h, seq_ranges.h, seq.h, siphash.{h,cc}: buffers, ranges, sequence arithmetic, PRF
//
// How an interface drives a socket (tcp_socket_set does the demultiplexing, see
// tcp_socket_set.h; a lone socket is driven the same way):
//   input   parse the segment (wire::tcp_repr::parse verifies the checksum), then
//             auto r = sock.process(now, repr, payload);
//           r == tcp_input::send_reset: answer the segment's source with
//           tcp_reset_for(repr, payload.size()) (RFC 9293 §3.10.7); never for an RST.
//   output  after any input, application call or timer:
//             tcp_segment seg;
//             while (sock.poll(now, seg)) {
//               // a pool buffer with room for headroom + IP header + seg.len()
//               std::size_t n = seg.emit(tcp_bytes);   // header + checksum + payload copy
//               ... IP header from seg.local / seg.remote, protocol 6, length n ...
//             }
//           poll() treats every segment it returns as sent; one that cannot be sent (no
//           buffer) is lost like a dropped packet and recovered by retransmission. The
//           payload spans point into the send ring and stay valid until the next call on
//           the socket, so the payload is copied exactly once: from the ring into the frame.
//   timers  poll_at() is the next time poll() has something to do (0 = now, UINT64_MAX =
//           never); call poll(now) at or after it.
//
// The state machine follows RFC 9293 §3.10 with: RFC 5961 (RST and SYN in window answered by
// a challenge ACK, rate-limited; ACK validity), RFC 7323 (window scale, timestamps, PAWS),
// RFC 6298 (RTO, back-off, Karn), RFC 5681/6582 (fast retransmit, NewReno recovery),
// RFC 2018 + RFC 6675 (SACK blocks sent, SACK-based loss recovery), RFC 9438 (CUBIC),
// RFC 1122 §4.2.3.2 delayed ACKs, Nagle (§4.2.3.4) with set_nodelay, keepalive (§4.2.3.6),
// zero-window probes (RFC 9293 §3.8.6.1), ISNs per RFC 6528.
#pragma once

#include <cstdint>
#include <span>

#include "netstack/tcp/byte_ring.h"
#include "netstack/tcp/seq_ranges.h"
#include "netstack/tcp/siphash.h"
#include "netstack/tcp/tcp_congestion.h"
#include "netstack/wire/ip_address.h"
#include "netstack/wire/tcp.h"

namespace ztkit::netstack {

using wire::inet_address;

enum class tcp_state : std::uint8_t {
  closed,
  listen,
  syn_sent,
  syn_received,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
};
const char* to_string(tcp_state s);

// Why a connection ended abnormally (error()).
enum class tcp_socket_error : std::uint8_t {
  none,
  refused,    // RST in answer to our SYN
  reset,      // RST from the peer in a synchronized state
  timed_out,  // retransmissions (or keepalive probes) exhausted
  aborted,    // abort() by the application
};
const char* to_string(tcp_socket_error e);

enum class tcp_input : std::uint8_t {
  accepted,    // processed (it may have changed nothing)
  dropped,     // not acceptable, nothing to answer (or an ACK is queued for poll)
  send_reset,  // answer with tcp_reset_for(segment)
};

struct tcp_config {
  std::size_t rx_buffer = 256 * 1024;
  std::size_t tx_buffer = 256 * 1024;
  std::size_t mtu = 2800;           // the IP MTU: our MSS is mtu - 40 (IPv4) or mtu - 60 (IPv6)
  tcp_cc_algorithm congestion = tcp_cc_algorithm::cubic;
  bool nodelay = false;             // disable Nagle
  bool window_scaling = true;       // RFC 7323 §2
  bool timestamps = true;           // RFC 7323 §3
  bool sack = true;                 // RFC 2018
  std::uint64_t rto_initial_ms = 1000;  // RFC 6298 §2.1
  std::uint64_t rto_min_ms = 200;       // Linux's floor (RFC 6298 §2.4 allows < 1 s)
  std::uint64_t rto_max_ms = 60000;     // RFC 6298 §2.5
  unsigned syn_retries = 6;             // then timed_out
  unsigned data_retries = 15;           // consecutive RTOs before timed_out
  std::uint64_t delayed_ack_ms = 40;    // RFC 1122 §4.2.3.2 (< 500 ms)
  unsigned quick_acks = 16;             // ACK every segment for the first ones
  std::uint64_t time_wait_ms = 60000;   // 2 * MSL (RFC 9293 §3.4.2; Linux uses 60 s)
  std::uint64_t fin_wait_2_timeout_ms = 60000;  // after close() only (Linux tcp_fin_timeout)
  std::uint64_t keepalive_idle_ms = 0;  // 0 = off (RFC 1122 §4.2.3.6: off by default)
  std::uint64_t keepalive_interval_ms = 75000;
  unsigned keepalive_probes = 9;
  std::size_t max_rx_ranges = 16;       // out-of-order ranges kept (<= 16)
  unsigned challenge_acks_per_s = 10;   // RFC 5961 §7 rate limit
  bool autotune_rx_window = true;       // grow the advertised window with the drain rate
};

struct tcp_counters {
  std::uint64_t segments_in = 0;
  std::uint64_t segments_out = 0;
  std::uint64_t bytes_in = 0;        // payload delivered in order to the receive ring
  std::uint64_t bytes_out = 0;       // payload acknowledged by the peer
  std::uint64_t retransmits = 0;     // segments sent again (any reason)
  std::uint64_t fast_retransmits = 0;  // loss recovery entered
  std::uint64_t rto_expired = 0;
  std::uint64_t dup_acks = 0;
  std::uint64_t out_of_order = 0;    // segments queued beyond a hole
  std::uint64_t ooo_dropped = 0;     // beyond a hole but no range left
  std::uint64_t unacceptable = 0;    // outside the window (RFC 9293 §3.10.7.4 first check)
  std::uint64_t paws_dropped = 0;
  std::uint64_t challenge_acks = 0;
  std::uint64_t window_probes = 0;
  std::uint64_t keepalives = 0;
  std::uint64_t delayed_acks = 0;    // ACKs sent by the delayed-ACK timer
};

inline tcp_counters& operator+=(tcp_counters& a, const tcp_counters& b) {
  a.segments_in += b.segments_in;
  a.segments_out += b.segments_out;
  a.bytes_in += b.bytes_in;
  a.bytes_out += b.bytes_out;
  a.retransmits += b.retransmits;
  a.fast_retransmits += b.fast_retransmits;
  a.rto_expired += b.rto_expired;
  a.dup_acks += b.dup_acks;
  a.out_of_order += b.out_of_order;
  a.ooo_dropped += b.ooo_dropped;
  a.unacceptable += b.unacceptable;
  a.paws_dropped += b.paws_dropped;
  a.challenge_acks += b.challenge_acks;
  a.window_probes += b.window_probes;
  a.keepalives += b.keepalives;
  a.delayed_acks += b.delayed_acks;
  return a;
}

// A segment to send: header fields and a payload that lives in the socket's send ring.
struct tcp_segment {
  wire::tcp_repr repr;
  std::span<const std::uint8_t> payload1, payload2;  // concatenated
  inet_address local, remote;

  std::size_t payload_len() const { return payload1.size() + payload2.size(); }
  // TCP header + payload bytes.
  std::size_t len() const { return repr.header_len() + payload_len(); }
  // Writes the TCP header and payload into out (>= len() bytes) with the checksum over the
  // pseudo-header of local/remote; returns len().
  std::size_t emit(std::span<std::uint8_t> out) const;
};

// The RST answering `seg` (RFC 9293 §3.10.7.1): <SEQ=SEG.ACK><CTL=RST> if it had ACK, else
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Ports swapped.
wire::tcp_repr tcp_reset_for(const wire::tcp_repr& seg, std::size_t payload_len);

// RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock.
std::uint32_t tcp_initial_seq(const siphash_key& key, const inet_address& local,
                              const inet_address& remote, std::uint64_t now_ms);

// Told when a socket goes from untouched to touched (tcp_socket_set: it asks that socket again).
class tcp_touch_hook {
 public:
  virtual void on_touch(std::uint32_t index) = 0;

 protected:
  ~tcp_touch_hook() = default;
};

class tcp_socket {
 public:
  tcp_socket(const tcp_config& cfg, const siphash_key& secret);
  tcp_socket(const tcp_socket&) = delete;
  tcp_socket& operator=(const tcp_socket&) = delete;

  // Replaces the config of a CLOSED socket; the ring sizes must not change (tcp_socket_set
  // reuses freed sockets this way, without allocating).
  void reconfigure(const tcp_config& cfg);

  // --- application ---------------------------------------------------------------------
  // Active open (RFC 9293 §3.10.1): CLOSED -> SYN-SENT. False unless closed or the
  // endpoints are unusable (nil, port 0, families differ).
  bool connect(std::uint64_t now, const inet_address& local, const inet_address& remote);
  // Passive open of this one socket: CLOSED -> LISTEN on `local` (address may be unspecified
  // = any of its family). The first acceptable SYN binds it to that peer. A listener with a
  // backlog is tcp_listener.
  bool listen(const inet_address& local);
  // Copies into the send ring; returns bytes accepted (0 if full or not sendable).
  std::size_t send(std::span<const std::uint8_t> data);
  // Copies out of the receive ring; returns bytes copied.
  std::size_t recv(std::span<std::uint8_t> out);
  // Half-close (RFC 9293 §3.10.4): a FIN follows the queued data.
  void shutdown_write();
  // Full close: shutdown_write, and data received afterwards is discarded (acknowledged).
  // LISTEN and SYN-SENT go straight to CLOSED.
  void close();
  // RST to the peer (synchronized states) and CLOSED (RFC 9293 §3.10.5).
  void abort();

  tcp_state state() const { return state_; }
  tcp_socket_error error() const { return error_; }
  bool is_open() const { return state_ != tcp_state::closed; }
  bool is_established() const;  // data may flow both ways or has (ESTABLISHED and later)
  bool may_send() const;        // send() can take data
  bool may_recv() const;        // data can still arrive or is queued
  std::size_t recv_queued() const { return rx_.size(); }
  std::size_t send_queued() const { return tx_.size(); }
  std::size_t send_capacity() const { return tx_.free(); }
  bool peer_closed() const { return fin_received_; }  // FIN received and reached in order
  void set_nodelay(bool on) {
    cfg_.nodelay = on;
    touch();
  }
  void set_keepalive(std::uint64_t idle_ms) {
    cfg_.keepalive_idle_ms = idle_ms;
    touch();
  }
  // Probe spacing and count (RFC 1122 §4.2.3.6), e.g. for a connection a listener accepted
  // with the set's default config.
  void set_keepalive_timing(std::uint64_t interval_ms, unsigned probes) {
    cfg_.keepalive_interval_ms = interval_ms;
    cfg_.keepalive_probes = probes;
    touch();
  }
  // Changed since clear_touched() by a segment or an application call (connect, listen, send,
  // recv, shutdown, close, abort, options): tcp_socket_set asks a socket that is neither
  // touched nor due (poll_at) for nothing.
  bool touched() const { return touched_; }
  void clear_touched() { touched_ = false; }
  // Who to tell when the socket is touched again (the set that owns it, and its slot).
  void set_touch_hook(tcp_touch_hook* hook, std::uint32_t index) {
    hook_ = hook;
    hook_index_ = index;
  }
  const inet_address& local() const { return local_; }
  const inet_address& remote() const { return remote_; }
  const tcp_counters& counters() const { return counters_; }
  void reset_counters() { counters_ = {}; }  // the set, when it frees the socket for reuse
  const tcp_config& config() const { return cfg_; }
  // Introspection (tests, statistics).
  std::uint32_t mss() const { return snd_mss_; }
  std::uint32_t cwnd() const { return cc_.cwnd(); }
  std::uint32_t ssthresh() const { return cc_.ssthresh(); }
  std::uint64_t rto_ms() const { return rto_; }
  std::uint32_t srtt_ms() const { return srtt_; }
  std::uint32_t send_window() const { return snd_wnd_; }
  std::uint8_t send_window_shift() const { return snd_wscale_; }
  std::uint8_t recv_window_shift() const { return rcv_wscale_; }
  bool timestamps_enabled() const { return ts_ok_; }
  bool sack_enabled() const { return sack_ok_; }
  std::uint32_t iss() const { return iss_; }

  // --- interface -----------------------------------------------------------------------
  tcp_input process(std::uint64_t now, const wire::tcp_repr& seg,
                    std::span<const std::uint8_t> payload);
  // A socket in LISTEN also needs the segment's addresses (to bind to the peer).
  tcp_input process(std::uint64_t now, const wire::tcp_repr& seg,
                    std::span<const std::uint8_t> payload, const inet_address& src,
                    const inet_address& dst);
  bool poll(std::uint64_t now, tcp_segment& out);
  std::uint64_t poll_at() const;

  // Passive open by a listener: the socket starts in SYN-RECEIVED for `syn` (or ESTABLISHED
  // for a validated SYN cookie, see tcp_listener).
  void accept_syn(std::uint64_t now, const inet_address& local, const inet_address& remote,
                  const wire::tcp_repr& syn);
  void accept_cookie(std::uint64_t now, const inet_address& local, const inet_address& remote,
                     const wire::tcp_repr& ack, std::uint16_t mss);
  bool from_listen() const { return passive_; }
  // In TIME-WAIT, may a new SYN for the same 4-tuple start a new connection (RFC 9293
  // §3.10.7.4 TIME-WAIT, RFC 6191)? Yes if its timestamp is newer than the last one seen, or
  // without timestamps, if its sequence number is beyond the old connection's.
  bool time_wait_accepts_syn(const wire::tcp_repr& syn) const;

 private:
  void reset_connection_state();
  void set_state(tcp_state s);
  void close_with(tcp_socket_error e);
  std::uint32_t our_mss() const;
  std::uint32_t ts_now(std::uint64_t now) const { return static_cast<std::uint32_t>(now) + ts_offset_; }
  void negotiate(const wire::tcp_repr& syn);
  void start_connection_state(std::uint64_t now);

  tcp_input process_listen(std::uint64_t now, const wire::tcp_repr& seg, const inet_address& src,
                           const inet_address& dst);
  tcp_input process_syn_sent(std::uint64_t now, const wire::tcp_repr& seg);
  tcp_input process_synchronized(std::uint64_t now, const wire::tcp_repr& seg,
                                 std::span<const std::uint8_t> payload);
  bool segment_acceptable(const wire::tcp_repr& seg, std::size_t len) const;
  void process_ack(std::uint64_t now, const wire::tcp_repr& seg, std::size_t payload_len);
  void process_sack(const wire::tcp_repr& seg);
  void process_data(std::uint64_t now, const wire::tcp_repr& seg,
                    std::span<const std::uint8_t> payload);
  void process_fin_reached(std::uint64_t now);
  void challenge_ack(std::uint64_t now);
  void rtt_sample(std::uint32_t rtt_ms);
  void on_timers(std::uint64_t now);
  void arm_retransmit(std::uint64_t now) { rtx_at_ = now + rto_; }
  void enter_time_wait(std::uint64_t now);
  void schedule_ack(std::uint64_t now, bool immediate);

  std::uint32_t flight() const { return snd_max_ - snd_una_; }
  std::uint32_t pipe() const;
  std::uint32_t rcv_window_bytes() const;
  std::uint16_t window_field(bool syn) const;
  bool fin_queued() const { return fin_queued_; }
  std::uint32_t fin_seq() const { return tx_base_ + static_cast<std::uint32_t>(tx_.size()); }
  bool find_hole(std::uint32_t& seq, std::uint32_t& len) const;
  // What poll() sends next, decided from the state alone (poll_at() asks the same question).
  struct tx_plan {
    enum kind : std::uint8_t { none, rst, segment } k = none;
    std::uint32_t seq = 0;
    std::uint32_t len = 0;
    std::uint8_t flags = 0;
    bool rexmit = false;  // sent before (Karn; counted)
    bool hole = false;    // a loss-recovery retransmission (HighRxt moves)
    bool probe = false;   // window/keepalive probe: occupies no sequence space
  };
  tx_plan plan() const;
  bool window_update_due() const;
  void on_established(std::uint64_t now);
  void fill(std::uint64_t now, tcp_segment& out, const tx_plan& p);

  tcp_config cfg_;
  siphash_key secret_;
  byte_ring rx_, tx_;
  tcp_state state_ = tcp_state::closed;
  bool touched_ = true;  // see touched()
  tcp_touch_hook* hook_ = nullptr;
  std::uint32_t hook_index_ = 0;
  void touch() {
    if (touched_) return;
    touched_ = true;
    if (hook_) hook_->on_touch(hook_index_);
  }
  tcp_socket_error error_ = tcp_socket_error::none;
  inet_address local_, remote_;
  bool passive_ = false;        // opened by a SYN from the peer
  bool listen_socket_ = false;  // listen() on this socket: an RST in SYN-RECEIVED returns there
  inet_address listen_local_;
  bool app_closed_ = false;  // close(): discard further data

  // Send sequence space (RFC 9293 §3.3.1).
  std::uint32_t iss_ = 0;
  std::uint32_t snd_una_ = 0, snd_nxt_ = 0, snd_max_ = 0;
  std::uint32_t snd_wnd_ = 0, snd_wl1_ = 0, snd_wl2_ = 0, max_snd_wnd_ = 0;
  std::uint32_t tx_base_ = 0;  // sequence number of tx_'s first byte
  bool fin_queued_ = false;    // shutdown_write: FIN after the queued data
  std::uint32_t snd_mss_ = 536;  // payload bytes per segment (options excluded)
  std::uint8_t snd_wscale_ = 0;  // the peer's shift (applied to windows it sends)

  // Receive sequence space.
  std::uint32_t irs_ = 0, rcv_nxt_ = 0;
  std::uint32_t rcv_adv_ = 0;  // right edge of the window last advertised
  std::uint8_t rcv_wscale_ = 0;
  std::uint32_t rcv_wnd_cap_ = 0;  // auto-tuned limit on the advertised window
  std::uint64_t rcv_tune_at_ = 0;
  std::uint32_t rcv_tune_seq_ = 0;
  bool fin_received_ = false;
  bool rx_fin_pending_ = false;  // FIN seen beyond a hole
  std::uint32_t rx_fin_seq_ = 0;
  seq_ranges<16> ooo_;

  // Options negotiated (RFC 7323, RFC 2018).
  bool ts_ok_ = false, sack_ok_ = false, ws_ok_ = false;
  std::uint32_t ts_offset_ = 0, ts_recent_ = 0, last_ack_sent_ = 0;

  // RTO (RFC 6298), ms.
  std::uint32_t srtt_ = 0, rttvar_ = 0;
  bool rtt_valid_ = false;
  std::uint64_t rto_ = 1000;
  std::uint64_t rtx_at_ = 0;  // 0 = not armed
  unsigned retries_ = 0;
  bool rtt_timing_ = false;
  std::uint32_t rtt_seq_ = 0;
  std::uint64_t rtt_sent_at_ = 0;
  bool rto_ts_valid_ = false;
  std::uint32_t rto_ts_ = 0;  // our timestamp clock at the last timeout

  // Loss recovery (RFC 6675 with RFC 6582's `recover`).
  tcp_congestion cc_;
  seq_ranges<16> sacked_;
  unsigned dupacks_ = 0;
  bool in_recovery_ = false;
  std::uint32_t recover_ = 0;    // RFC 6582 recover
  std::uint32_t high_rxt_ = 0;   // RFC 6675 HighRxt
  std::uint32_t high_sacked_ = 0;
  bool rexmit_forced_ = false;   // the first retransmission of a recovery ignores cwnd
  bool force_send_ = false;      // persist timer fired with an open window: send what fits

  // ACK scheduling.
  bool ack_now_ = false;
  std::uint64_t delack_at_ = 0;  // 0 = none pending
  unsigned unacked_segs_ = 0;
  unsigned quick_acks_left_ = 0;
  std::uint64_t challenge_window_ = 0;
  unsigned challenge_count_ = 0;

  // Other timers.
  bool rst_pending_ = false;
  std::uint64_t persist_at_ = 0;
  std::uint64_t persist_backoff_ = 0;
  bool probe_pending_ = false;
  std::uint64_t keepalive_at_ = 0;
  unsigned keepalive_sent_ = 0;
  std::uint64_t time_wait_until_ = 0;
  std::uint64_t fin_wait_2_until_ = 0;

  tcp_counters counters_;
};

}  // namespace ztkit::netstack
