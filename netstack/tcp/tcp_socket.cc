// tcp_socket: construction, the application calls (connect, listen, send, recv, shutdown_write,
// close, abort) and the helpers shared by input (tcp_input.cc) and output (tcp_output.cc).
#include "netstack/tcp/tcp_socket.h"

#include <algorithm>
#include <cstring>

namespace ztkit::netstack {

using namespace tcp_seq;
using wire::tcp_flags::ack;
using wire::tcp_flags::fin;
using wire::tcp_flags::psh;
using wire::tcp_flags::rst;
using wire::tcp_flags::syn;
using wire::tcp_repr;

namespace {
bool is_v6(const inet_address& a) { return a.fam == inet_address::family::ipv6; }

// The 4-tuple as bytes for keyed hashes, with a domain byte.
std::size_t tuple_bytes(std::uint8_t domain, const inet_address& l, const inet_address& r,
                        std::uint8_t* out) {
  out[0] = domain;
  out[1] = static_cast<std::uint8_t>(l.fam);
  std::memcpy(out + 2, l.ip.data(), 16);
  std::memcpy(out + 18, r.ip.data(), 16);
  ztkit::wire::store_be16(out + 34, l.port);
  ztkit::wire::store_be16(out + 36, r.port);
  return 38;
}
}  // namespace

const char* to_string(tcp_state s) {
  switch (s) {
    case tcp_state::closed: return "CLOSED";
    case tcp_state::listen: return "LISTEN";
    case tcp_state::syn_sent: return "SYN-SENT";
    case tcp_state::syn_received: return "SYN-RECEIVED";
    case tcp_state::established: return "ESTABLISHED";
    case tcp_state::fin_wait_1: return "FIN-WAIT-1";
    case tcp_state::fin_wait_2: return "FIN-WAIT-2";
    case tcp_state::close_wait: return "CLOSE-WAIT";
    case tcp_state::closing: return "CLOSING";
    case tcp_state::last_ack: return "LAST-ACK";
    case tcp_state::time_wait: return "TIME-WAIT";
  }
  return "?";
}

const char* to_string(tcp_socket_error e) {
  switch (e) {
    case tcp_socket_error::none: return "none";
    case tcp_socket_error::refused: return "connection refused";
    case tcp_socket_error::reset: return "connection reset";
    case tcp_socket_error::timed_out: return "timed out";
    case tcp_socket_error::aborted: return "aborted";
  }
  return "?";
}

std::size_t tcp_segment::emit(std::span<std::uint8_t> out) const {
  if (is_v6(local))
    return repr.emit(out, payload1, payload2, wire::ipv6_address::from_inet(local),
                     wire::ipv6_address::from_inet(remote));
  return repr.emit(out, payload1, payload2, wire::ipv4_address::from_inet(local),
                   wire::ipv4_address::from_inet(remote));
}

tcp_repr tcp_reset_for(const tcp_repr& seg, std::size_t payload_len) {
  tcp_repr r;
  r.src_port = seg.dst_port;
  r.dst_port = seg.src_port;
  if (seg.has(ack)) {
    r.seq = seg.ack;
    r.flags = rst;
  } else {
    r.seq = 0;
    r.ack = seg.seq + seg.seq_len(payload_len);
    r.flags = rst | ack;
  }
  return r;
}

std::uint32_t tcp_initial_seq(const siphash_key& key, const inet_address& local,
                              const inet_address& remote, std::uint64_t now_ms) {
  std::uint8_t b[38];
  std::size_t n = tuple_bytes(1, local, remote, b);
  auto f = static_cast<std::uint32_t>(siphash24(key, {b, n}));
  return f + static_cast<std::uint32_t>(now_ms * 250);  // M: a 4 µs tick (RFC 6528 §3)
}

tcp_socket::tcp_socket(const tcp_config& cfg, const siphash_key& secret)
    : cfg_(cfg), secret_(secret), rx_(cfg.rx_buffer), tx_(cfg.tx_buffer) {
  ooo_.set_limit(cfg_.max_rx_ranges);
}

void tcp_socket::reconfigure(const tcp_config& cfg) {
  if (state_ != tcp_state::closed) return;
  cfg_ = cfg;
  touch();
  cfg_.rx_buffer = rx_.capacity();
  cfg_.tx_buffer = tx_.capacity();
  ooo_.set_limit(cfg_.max_rx_ranges);
}

// ---------------------------------------------------------------------------------------
// Application calls.

void tcp_socket::reset_connection_state() {
  rx_.consume(rx_.size());
  tx_.consume(tx_.size());
  error_ = tcp_socket_error::none;
  app_closed_ = fin_queued_ = fin_received_ = rx_fin_pending_ = false;
  ts_ok_ = sack_ok_ = ws_ok_ = false;
  snd_wscale_ = rcv_wscale_ = 0;
  snd_wnd_ = max_snd_wnd_ = 0;
  srtt_ = rttvar_ = 0;
  rtt_valid_ = rtt_timing_ = rto_ts_valid_ = false;
  rto_ = cfg_.rto_initial_ms;
  rtx_at_ = 0;
  retries_ = 0;
  ooo_.clear();
  sacked_.clear();
  dupacks_ = 0;
  in_recovery_ = rexmit_forced_ = force_send_ = false;
  ack_now_ = rst_pending_ = probe_pending_ = false;
  delack_at_ = persist_at_ = keepalive_at_ = time_wait_until_ = fin_wait_2_until_ = 0;
  persist_backoff_ = 0;
  keepalive_sent_ = 0;
  unacked_segs_ = 0;
  rcv_nxt_ = rcv_adv_ = 0;
  rcv_tune_at_ = 0;
  rcv_wnd_cap_ = static_cast<std::uint32_t>(
      cfg_.autotune_rx_window ? std::min<std::size_t>(rx_.capacity(), 64 * 1024) : rx_.capacity());
  if (cfg_.window_scaling) {
    while (rcv_wscale_ < 14 && (rx_.capacity() >> rcv_wscale_) > 65535) ++rcv_wscale_;
  }
}

void tcp_socket::set_state(tcp_state s) { state_ = s; }

void tcp_socket::close_with(tcp_socket_error e) {
  if (e != tcp_socket_error::none) error_ = e;
  set_state(tcp_state::closed);
  rtx_at_ = delack_at_ = persist_at_ = keepalive_at_ = 0;
  ack_now_ = probe_pending_ = false;
}

std::uint32_t tcp_socket::our_mss() const {
  std::size_t hdr = is_v6(local_) ? 60 : 40;  // IP + TCP headers without options
  std::size_t mtu = std::max<std::size_t>(cfg_.mtu, is_v6(local_) ? 1280 : 576);
  return static_cast<std::uint32_t>(std::min<std::size_t>(mtu - hdr, 65535));
}

void tcp_socket::start_connection_state(std::uint64_t now) {
  reset_connection_state();
  iss_ = tcp_initial_seq(secret_, local_, remote_, now);
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  tx_base_ = iss_ + 1;
  recover_ = iss_;
  high_rxt_ = high_sacked_ = iss_;
  std::uint8_t b[38];
  std::size_t n = tuple_bytes(2, local_, remote_, b);
  ts_offset_ = static_cast<std::uint32_t>(siphash24(secret_, {b, n}));
  ts_recent_ = 0;
  snd_mss_ = is_v6(local_) ? 1220 : 536;  // RFC 9293 §3.7.1 default until the SYN says
  cc_.init(cfg_.congestion, snd_mss_);
}

bool tcp_socket::connect(std::uint64_t now, const inet_address& local,
                         const inet_address& remote) {
  touch();
  if (state_ != tcp_state::closed || rst_pending_) return false;
  if (local.is_nil() || remote.is_nil() || local.fam != remote.fam || local.port == 0 ||
      remote.port == 0)
    return false;
  local_ = local;
  remote_ = remote;
  passive_ = listen_socket_ = false;
  start_connection_state(now);
  set_state(tcp_state::syn_sent);  // poll() sends the SYN (snd_nxt == iss)
  return true;
}

bool tcp_socket::listen(const inet_address& local) {
  touch();
  if (state_ != tcp_state::closed || local.is_nil() || local.port == 0) return false;
  reset_connection_state();
  local_ = listen_local_ = local;
  remote_ = inet_address{};
  passive_ = listen_socket_ = true;
  set_state(tcp_state::listen);
  return true;
}

bool tcp_socket::is_established() const {
  switch (state_) {
    case tcp_state::established:
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::close_wait:
    case tcp_state::closing:
    case tcp_state::last_ack:
    case tcp_state::time_wait:
      return true;
    default:
      return false;
  }
}

bool tcp_socket::may_send() const {
  if (fin_queued_) return false;
  return state_ == tcp_state::syn_sent || state_ == tcp_state::syn_received ||
         state_ == tcp_state::established || state_ == tcp_state::close_wait;
}

bool tcp_socket::may_recv() const {
  if (!rx_.empty()) return true;
  if (fin_received_ || app_closed_) return false;
  return state_ == tcp_state::syn_sent || state_ == tcp_state::syn_received ||
         state_ == tcp_state::established || state_ == tcp_state::fin_wait_1 ||
         state_ == tcp_state::fin_wait_2;
}

std::size_t tcp_socket::send(std::span<const std::uint8_t> data) {
  if (!may_send()) return 0;
  touch();
  return tx_.enqueue(data);
}

std::size_t tcp_socket::recv(std::span<std::uint8_t> out) {
  touch();  // the window may open: a window update may be due
  return rx_.dequeue(out);
}

void tcp_socket::shutdown_write() {
  touch();
  switch (state_) {
    case tcp_state::listen:
      close_with(tcp_socket_error::none);
      return;
    case tcp_state::syn_sent:
      fin_queued_ = true;  // FIN-WAIT-1 once established (RFC 9293 §3.10.4)
      return;
    case tcp_state::syn_received:
      fin_queued_ = true;  // FIN-WAIT-1 once established (RFC 9293 §3.10.4)
      return;
    case tcp_state::established:
      fin_queued_ = true;
      set_state(tcp_state::fin_wait_1);
      return;
    case tcp_state::close_wait:
      fin_queued_ = true;
      set_state(tcp_state::last_ack);
      return;
    default:
      return;
  }
}

void tcp_socket::close() {
  touch();
  app_closed_ = true;
  rx_.consume(rx_.size());
  // RFC 9293 §3.10.4 deletes a SYN-SENT TCB; with data queued we keep it and send the data
  // and a FIN after the handshake instead (connect, send, close must not lose the data).
  if (state_ == tcp_state::listen || (state_ == tcp_state::syn_sent && tx_.empty())) {
    close_with(tcp_socket_error::none);
    return;
  }
  if (state_ == tcp_state::syn_sent) {
    fin_queued_ = true;
    return;
  }
  shutdown_write();
}

void tcp_socket::abort() {
  touch();
  switch (state_) {
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::close_wait:
      rst_pending_ = true;  // RFC 9293 §3.10.5
      break;
    default:
      break;
  }
  close_with(tcp_socket_error::aborted);
}

}  // namespace ztkit::netstack
