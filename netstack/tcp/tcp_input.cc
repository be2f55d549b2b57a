// Segment input: RFC 9293 §3.10.7, with RFC 5961, RFC 7323, RFC 6675 and RFC 6298 where they apply.
#include "netstack/tcp/tcp_socket.h"

#include <algorithm>

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
}  // namespace

void tcp_socket::negotiate(const tcp_repr& s) {
  std::uint32_t ours = our_mss();
  snd_mss_ = s.mss ? std::min<std::uint32_t>(*s.mss, ours) : (is_v6(local_) ? 1220 : 536);
  snd_mss_ = std::max<std::uint32_t>(snd_mss_, 64);
  ws_ok_ = cfg_.window_scaling && s.window_scale.has_value();
  if (ws_ok_) {
    snd_wscale_ = std::min<std::uint8_t>(*s.window_scale, 14);  // RFC 7323 §2.3
  } else {
    snd_wscale_ = rcv_wscale_ = 0;
  }
  sack_ok_ = cfg_.sack && s.sack_permitted;
  ts_ok_ = cfg_.timestamps && s.ts.has_value();
  if (ts_ok_) {
    ts_recent_ = s.ts->val;
    snd_mss_ -= 12;  // every segment carries the option (RFC 7323 §3.2)
  }
  if (!ws_ok_) rcv_wnd_cap_ = std::min<std::uint32_t>(rcv_wnd_cap_, 65535);
  cc_.init(cfg_.congestion, snd_mss_);
}

void tcp_socket::accept_syn(std::uint64_t now, const inet_address& local,
                            const inet_address& remote, const tcp_repr& s) {
  touch();
  local_ = local;
  remote_ = remote;
  passive_ = true;
  start_connection_state(now);
  irs_ = s.seq;
  rcv_nxt_ = s.seq + 1;
  rcv_adv_ = rcv_nxt_;
  last_ack_sent_ = rcv_nxt_;
  negotiate(s);
  snd_wnd_ = max_snd_wnd_ = s.window;  // never scaled in a SYN (RFC 7323 §2.2)
  snd_wl1_ = s.seq;
  snd_wl2_ = iss_;
  set_state(tcp_state::syn_received);  // poll() sends the SYN-ACK (snd_nxt == iss)
}

void tcp_socket::accept_cookie(std::uint64_t now, const inet_address& local,
                               const inet_address& remote, const tcp_repr& a,
                               std::uint16_t mss) {
  touch();
  local_ = local;
  remote_ = remote;
  passive_ = true;
  listen_socket_ = false;
  start_connection_state(now);
  iss_ = a.ack - 1;
  snd_una_ = snd_nxt_ = snd_max_ = a.ack;
  tx_base_ = a.ack;
  recover_ = high_rxt_ = high_sacked_ = a.ack;
  irs_ = a.seq - 1;
  rcv_nxt_ = rcv_adv_ = last_ack_sent_ = a.seq;
  snd_mss_ = std::max<std::uint32_t>(std::min<std::uint32_t>(mss, our_mss()), 64);
  rcv_wscale_ = 0;  // the cookie's SYN-ACK carried no options but MSS
  rcv_wnd_cap_ = std::min<std::uint32_t>(rcv_wnd_cap_, 65535);
  cc_.init(cfg_.congestion, snd_mss_);
  snd_wnd_ = max_snd_wnd_ = a.window;
  snd_wl1_ = a.seq;
  snd_wl2_ = a.ack;
  on_established(now);
}

void tcp_socket::on_established(std::uint64_t now) {
  set_state(tcp_state::established);
  // RFC 6298 §5.7: after a SYN timed out, and without an RTT sample, data starts at 3 s.
  if (rto_ts_valid_ && !rtt_valid_) rto_ = std::clamp<std::uint64_t>(3000, cfg_.rto_min_ms, cfg_.rto_max_ms);
  quick_acks_left_ = cfg_.quick_acks;
  if (cfg_.keepalive_idle_ms) keepalive_at_ = now + cfg_.keepalive_idle_ms;
  if (fin_queued_) set_state(tcp_state::fin_wait_1);
}

tcp_input tcp_socket::process(std::uint64_t now, const tcp_repr& seg,
                              std::span<const std::uint8_t> payload) {
  return process(now, seg, payload, remote_, local_);
}

tcp_input tcp_socket::process(std::uint64_t now, const tcp_repr& seg,
                              std::span<const std::uint8_t> payload, const inet_address& src,
                              const inet_address& dst) {
  touch();
  ++counters_.segments_in;
  switch (state_) {
    case tcp_state::closed:
      return seg.has(rst) ? tcp_input::dropped : tcp_input::send_reset;
    case tcp_state::listen:
      return process_listen(now, seg, src, dst);
    default:
      break;
  }
  if (seg.dst_port != local_.port || seg.src_port != remote_.port) return tcp_input::dropped;
  if (state_ == tcp_state::syn_sent) return process_syn_sent(now, seg);
  return process_synchronized(now, seg, payload);
}

// RFC 9293 §3.10.7.2.
tcp_input tcp_socket::process_listen(std::uint64_t now, const tcp_repr& seg,
                                     const inet_address& src, const inet_address& dst) {
  if (seg.has(rst)) return tcp_input::dropped;
  if (seg.has(ack)) return tcp_input::send_reset;
  if (!seg.has(syn)) return tcp_input::dropped;
  if (seg.dst_port != listen_local_.port || src.is_nil() || src.port == 0) return tcp_input::dropped;
  if (!listen_local_.is_nil() && listen_local_.fam != src.fam) return tcp_input::dropped;
  inet_address local = dst;
  local.port = listen_local_.port;
  accept_syn(now, local, src, seg);
  passive_ = listen_socket_ = true;
  return tcp_input::accepted;
}

// RFC 9293 §3.10.7.3.
tcp_input tcp_socket::process_syn_sent(std::uint64_t now, const tcp_repr& seg) {
  bool has_ack = seg.has(ack);
  if (has_ack && (le(seg.ack, iss_) || gt(seg.ack, snd_max_)))
    return seg.has(rst) ? tcp_input::dropped : tcp_input::send_reset;
  if (seg.has(rst)) {
    if (!has_ack) return tcp_input::dropped;
    close_with(tcp_socket_error::refused);
    return tcp_input::accepted;
  }
  if (!seg.has(syn)) return tcp_input::dropped;
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + 1;
  rcv_adv_ = rcv_nxt_;
  negotiate(seg);
  snd_wnd_ = max_snd_wnd_ = seg.window;  // unscaled in a SYN
  snd_wl1_ = seg.seq;
  snd_wl2_ = has_ack ? seg.ack : iss_;
  if (has_ack) {
    snd_una_ = seg.ack;
    if (ts_ok_ && seg.ts && seg.ts->ecr) {
      if (!rto_ts_valid_ || ge(seg.ts->ecr, rto_ts_)) rtt_sample(ts_now(now) - seg.ts->ecr);
    } else if (rtt_timing_ && retries_ == 0) {
      rtt_sample(static_cast<std::uint32_t>(now - rtt_sent_at_));
    }
    rtt_timing_ = false;
    retries_ = 0;
    rtx_at_ = 0;
    on_established(now);
    ack_now_ = true;
    return tcp_input::accepted;
  }
  // Simultaneous open: SYN-RECEIVED, and our SYN goes again as a SYN-ACK.
  snd_nxt_ = iss_;
  rtx_at_ = 0;
  set_state(tcp_state::syn_received);
  return tcp_input::accepted;
}

bool tcp_socket::segment_acceptable(const tcp_repr& seg, std::size_t len) const {
  // RFC 9293 §3.10.7.4, the four cases of the acceptability test.
  std::uint32_t wnd = rcv_window_bytes();
  std::uint32_t slen = seg.seq_len(len);
  if (slen == 0) {
    if (wnd == 0) return seg.seq == rcv_nxt_;
    return in_range(seg.seq, rcv_nxt_, rcv_nxt_ + wnd);
  }
  if (wnd == 0) return false;
  return in_range(seg.seq, rcv_nxt_, rcv_nxt_ + wnd) ||
         in_range(seg.seq + slen - 1, rcv_nxt_, rcv_nxt_ + wnd);
}

void tcp_socket::challenge_ack(std::uint64_t now) {
  // RFC 5961 §3.2, §4.2, rate-limited per socket (§7).
  std::uint64_t window = now / 1000;
  if (window != challenge_window_) {
    challenge_window_ = window;
    challenge_count_ = 0;
  }
  if (challenge_count_ >= cfg_.challenge_acks_per_s) return;
  ++challenge_count_;
  ++counters_.challenge_acks;
  ack_now_ = true;
}

tcp_input tcp_socket::process_synchronized(std::uint64_t now, const tcp_repr& seg,
                                           std::span<const std::uint8_t> payload) {
  // The peer retransmitted its SYN: our SYN-ACK was lost, send it again (RFC 9293 §3.10.7.4
  // lets SYN-RECEIVED answer its own SYN; anything else with SYN is challenged below).
  if (state_ == tcp_state::syn_received && seg.has(syn) && !seg.has(rst) && seg.seq == irs_) {
    if (seg.has(ack) && lt(snd_una_, seg.ack) && le(seg.ack, snd_max_)) {
      // Simultaneous open (§3.5 figure 7): their SYN-ACK acknowledges our SYN.
      snd_wnd_ = max_snd_wnd_ = seg.window;  // a SYN's window is never scaled
      snd_wl1_ = seg.seq;
      snd_wl2_ = seg.ack;
      on_established(now);
      process_ack(now, seg, 0);
      ack_now_ = true;
      return tcp_input::accepted;
    }
    snd_nxt_ = iss_;
    if (ts_ok_ && seg.ts) ts_recent_ = seg.ts->val;  // echo the latest SYN's timestamp
    return tcp_input::accepted;
  }
  // PAWS (RFC 7323 §5.3): an older timestamp than TS.Recent marks an old duplicate.
  if (ts_ok_ && seg.ts && !seg.has(rst) && lt(seg.ts->val, ts_recent_)) {
    ++counters_.paws_dropped;
    ack_now_ = true;
    return tcp_input::dropped;
  }
  // First: the sequence number (RFC 9293 §3.10.7.4).
  if (!segment_acceptable(seg, payload.size())) {
    bool zero_window_ack = rcv_window_bytes() == 0 && seg.seq == rcv_nxt_;
    if (!zero_window_ack) {
      ++counters_.unacceptable;
      if (!seg.has(rst)) {
        ack_now_ = true;
        if (state_ == tcp_state::time_wait && seg.has(fin))
          time_wait_until_ = now + cfg_.time_wait_ms;  // retransmitted FIN: restart 2 MSL
      }
      return tcp_input::dropped;
    }
    if (!payload.empty()) ack_now_ = true;  // the sender learns the window is still shut
    payload = {};  // zero window: process the ACK and RST, not the data (§3.10.7.4)
  }
  if (cfg_.keepalive_idle_ms) {
    keepalive_at_ = now + cfg_.keepalive_idle_ms;
    keepalive_sent_ = 0;
  }
  // Second: RST (RFC 5961 §3.2): exact match resets, in-window gets a challenge ACK.
  if (seg.has(rst)) {
    if (seg.seq != rcv_nxt_) {
      challenge_ack(now);
      return tcp_input::dropped;
    }
    switch (state_) {
      case tcp_state::syn_received:
        if (listen_socket_) {  // passive open: back to LISTEN (§3.10.7.4)
          inet_address l = listen_local_;
          close_with(tcp_socket_error::none);
          reset_connection_state();
          local_ = l;
          remote_ = inet_address{};
          set_state(tcp_state::listen);
        } else {
          close_with(passive_ ? tcp_socket_error::reset : tcp_socket_error::refused);
        }
        break;
      case tcp_state::closing:
      case tcp_state::last_ack:
      case tcp_state::time_wait:
        close_with(tcp_socket_error::none);
        break;
      default:
        close_with(tcp_socket_error::reset);
        break;
    }
    return tcp_input::accepted;
  }
  // TS.Recent (RFC 7323 §4.3): from segments that do not start beyond what we acknowledged.
  if (ts_ok_ && seg.ts && le(seg.seq, last_ack_sent_)) ts_recent_ = seg.ts->val;
  // Fourth: SYN.
  if (seg.has(syn)) {
    challenge_ack(now);  // RFC 5961 §4.2
    return tcp_input::dropped;
  }
  // Fifth: ACK.
  if (!seg.has(ack)) return tcp_input::dropped;
  if (state_ == tcp_state::syn_received) {
    if (!(lt(snd_una_, seg.ack) && le(seg.ack, snd_max_))) return tcp_input::send_reset;
    snd_wnd_ = static_cast<std::uint32_t>(seg.window) << snd_wscale_;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    on_established(now);
  }
  // RFC 5961 §5.2: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT, else ACK and drop.
  if (gt(seg.ack, snd_max_) || lt(seg.ack, snd_una_ - max_snd_wnd_)) {
    ack_now_ = true;
    return tcp_input::dropped;
  }
  process_ack(now, seg, payload.size());
  if (state_ == tcp_state::closed) return tcp_input::accepted;  // LAST-ACK done
  // Seventh: text.
  switch (state_) {
    case tcp_state::established:
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
      process_data(now, seg, payload);
      break;
    default:
      break;
  }
  // Eighth: FIN, when everything before it has arrived.
  if (seg.has(fin)) {
    std::uint32_t fin_at = seg.seq + static_cast<std::uint32_t>(payload.size());
    if (state_ == tcp_state::time_wait) {
      ack_now_ = true;
      time_wait_until_ = now + cfg_.time_wait_ms;
    } else if (!fin_received_ && fin_at == rcv_nxt_) {
      process_fin_reached(now);
    } else if (!fin_received_ && gt(fin_at, rcv_nxt_)) {
      rx_fin_pending_ = true;
      rx_fin_seq_ = fin_at;
    }
  }
  if (rx_fin_pending_ && !fin_received_ && rcv_nxt_ == rx_fin_seq_) process_fin_reached(now);
  return tcp_input::accepted;
}

void tcp_socket::rtt_sample(std::uint32_t r) {
  // RFC 6298 §2.2-2.3, with G = 1 ms.
  if (r > 600000) return;  // nonsense (a timestamp echo from before a restart)
  if (!rtt_valid_) {
    srtt_ = r;
    rttvar_ = r / 2;
    rtt_valid_ = true;
  } else {
    std::uint32_t d = srtt_ > r ? srtt_ - r : r - srtt_;
    rttvar_ = (3 * rttvar_ + d) / 4;
    srtt_ = (7 * srtt_ + r) / 8;
  }
  std::uint64_t rto = srtt_ + std::max<std::uint32_t>(1, 4 * rttvar_);
  rto_ = std::clamp(rto, cfg_.rto_min_ms, cfg_.rto_max_ms);
}

void tcp_socket::process_sack(const tcp_repr& seg) {
  if (!sack_ok_) return;
  for (std::size_t i = 0; i < seg.sack_count; ++i) {
    auto b = seg.sack[i];
    // Only blocks above the cumulative ACK and within what we sent (D-SACKs are ignored).
    if (!lt(b.left, b.right) || !gt(b.left, seg.ack) || gt(b.right, snd_max_)) continue;
    if (sacked_.add(b.left, b.right, 0) && gt(b.right, high_sacked_)) high_sacked_ = b.right;
  }
}

void tcp_socket::process_ack(std::uint64_t now, const tcp_repr& seg, std::size_t payload_len) {
  std::uint32_t new_wnd = static_cast<std::uint32_t>(seg.window) << snd_wscale_;
  std::uint32_t sacked_before = sacked_.bytes();
  process_sack(seg);
  if (gt(seg.ack, snd_una_)) {
    std::uint32_t acked = seg.ack - snd_una_;
    // RTT: the timestamp echo (RFC 7323 §4.1), else the one timed segment (Karn).
    // An echo older than our last timeout is not used: the receiver echoes the oldest
    // unacknowledged timestamp (RFC 7323 §4.3), which then measures the outage, not the path
    // (Karn's rule applied to timestamps).
    if (ts_ok_ && seg.ts && seg.ts->ecr) {
      if (!rto_ts_valid_ || ge(seg.ts->ecr, rto_ts_)) rtt_sample(ts_now(now) - seg.ts->ecr);
    } else if (rtt_timing_ && ge(seg.ack, rtt_seq_)) {
      rtt_sample(static_cast<std::uint32_t>(now - rtt_sent_at_));
      rtt_timing_ = false;
    }
    // Data acknowledged leaves the send ring.
    if (gt(seg.ack, tx_base_)) {
      std::uint32_t n = std::min<std::uint32_t>(seg.ack - tx_base_,
                                                static_cast<std::uint32_t>(tx_.size()));
      tx_.consume(n);
      tx_base_ += n;
      counters_.bytes_out += n;
    }
    snd_una_ = seg.ack;
    if (lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    if (lt(high_rxt_, snd_una_)) high_rxt_ = snd_una_;
    if (lt(high_sacked_, snd_una_)) high_sacked_ = snd_una_;
    sacked_.remove_below(snd_una_);
    retries_ = 0;
    persist_backoff_ = 0;
    if (in_recovery_) {
      if (ge(seg.ack, recover_)) {
        in_recovery_ = false;  // full acknowledgment (RFC 6582 §3.2 step 3)
        dupacks_ = 0;
        cc_.on_recovery_exit(flight());
      } else {
        // Partial acknowledgment: the next hole goes out at once (RFC 6582 §3.2 step 4).
        dupacks_ = 0;
        rexmit_forced_ = true;
      }
    } else {
      dupacks_ = 0;
      cc_.on_ack(now, acked, rtt_valid_ ? srtt_ : 100);
    }
    rtx_at_ = snd_una_ == snd_max_ ? 0 : now + rto_;  // RFC 6298 §5.2, §5.3
  } else if (seg.ack == snd_una_ && flight() > 0 && payload_len == 0 && !seg.has(fin) &&
             (new_wnd == snd_wnd_ || sacked_.bytes() > sacked_before)) {
    // A duplicate ACK (RFC 5681 §2; with SACK, one that reports new data, RFC 6675 §2).
    ++dupacks_;
    ++counters_.dup_acks;
  }
  // Enter loss recovery (RFC 5681 §3.2, RFC 6675 §5), once per window (RFC 6582 `recover`).
  if (!in_recovery_ && flight() > 0 && gt(snd_una_, recover_) &&
      (dupacks_ >= 3 || (sack_ok_ && sacked_.bytes() > 2 * snd_mss_))) {
    in_recovery_ = true;
    recover_ = snd_max_;
    high_rxt_ = snd_una_;
    rexmit_forced_ = true;
    rtt_timing_ = false;
    cc_.on_congestion(now, flight());
    ++counters_.fast_retransmits;
  }
  // The send window (RFC 9293 §3.10.7.4, SND.WL1/SND.WL2).
  if (lt(snd_wl1_, seg.seq) || (snd_wl1_ == seg.seq && le(snd_wl2_, seg.ack))) {
    if (new_wnd > snd_wnd_) persist_backoff_ = 0;
    snd_wnd_ = new_wnd;
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  }
  if (snd_wnd_ > 0) persist_at_ = 0;
  // Our FIN acknowledged?
  bool fin_acked = fin_queued_ && tx_.empty() && ge(snd_una_, tx_base_ + 1);
  if (!fin_acked) return;
  switch (state_) {
    case tcp_state::fin_wait_1:
      set_state(tcp_state::fin_wait_2);
      if (app_closed_) fin_wait_2_until_ = now + cfg_.fin_wait_2_timeout_ms;
      break;
    case tcp_state::closing:
      enter_time_wait(now);
      break;
    case tcp_state::last_ack:
      close_with(tcp_socket_error::none);
      break;
    default:
      break;
  }
}

void tcp_socket::schedule_ack(std::uint64_t now, bool immediate) {
  ++unacked_segs_;
  // RFC 1122 §4.2.3.2 / RFC 5681 §4.2: at least every second full segment, within 40 ms;
  // every segment while quick-ACKing (connection start, like Linux).
  if (immediate || quick_acks_left_ > 0 || unacked_segs_ >= 2) {
    ack_now_ = true;
  } else if (delack_at_ == 0) {
    delack_at_ = now + cfg_.delayed_ack_ms;
  }
}

void tcp_socket::process_data(std::uint64_t now, const tcp_repr& seg,
                              std::span<const std::uint8_t> payload) {
  if (payload.empty()) return;
  std::uint32_t seq = seg.seq;
  if (lt(seq, rcv_nxt_)) {
    std::uint32_t skip = rcv_nxt_ - seq;
    if (skip >= payload.size()) {
      ack_now_ = true;  // a duplicate: the ACK may have been lost
      return;
    }
    payload = payload.subspan(skip);
    seq = rcv_nxt_;
  }
  std::uint32_t offset = seq - rcv_nxt_;
  if (fin_received_) return;
  if (app_closed_) {
    // Nobody will read it: acknowledge in-order data and drop it.
    if (offset == 0) {
      rcv_nxt_ += static_cast<std::uint32_t>(payload.size());
      schedule_ack(now, false);
    } else {
      ack_now_ = true;
    }
    return;
  }
  std::size_t n = rx_.write_unallocated(offset, payload);
  if (n == 0) {
    ack_now_ = true;  // no room: tell the sender our window
    return;
  }
  if (offset != 0) {
    if (ooo_.add(seq, seq + static_cast<std::uint32_t>(n), counters_.segments_in)) {
      ++counters_.out_of_order;
    } else {
      ++counters_.ooo_dropped;
    }
    ack_now_ = true;  // RFC 5681 §4.2: out-of-order data is acknowledged at once
    return;
  }
  rx_.enqueue_unallocated(n);
  rcv_nxt_ += static_cast<std::uint32_t>(n);
  counters_.bytes_in += n;
  bool filled = false;
  ooo_.remove_below(rcv_nxt_);
  while (!ooo_.empty() && ooo_[0].left == rcv_nxt_) {
    std::uint32_t more = ooo_[0].right - rcv_nxt_;
    rx_.enqueue_unallocated(more);
    rcv_nxt_ += more;
    counters_.bytes_in += more;
    ooo_.remove_below(rcv_nxt_);
    filled = true;
  }
  schedule_ack(now, filled || !ooo_.empty());  // filling a hole: ACK at once (RFC 5681 §4.2)
  // Receive-window auto-tuning: when the peer filled half the window within an RTT, double
  // the limit (bounded by the ring).
  if (cfg_.autotune_rx_window && rcv_wnd_cap_ < rx_.capacity()) {
    if (rcv_tune_at_ == 0) {
      rcv_tune_at_ = now;
      rcv_tune_seq_ = rcv_nxt_;
    } else if (now - rcv_tune_at_ >= (rtt_valid_ ? std::max<std::uint32_t>(srtt_, 1) : 100)) {
      std::uint32_t got = rcv_nxt_ - rcv_tune_seq_;
      if (got >= rcv_wnd_cap_ / 2) {
        std::size_t cap = std::max<std::size_t>(2 * std::size_t{rcv_wnd_cap_}, 2 * std::size_t{got});
        std::size_t limit = ws_ok_ ? rx_.capacity() : std::min<std::size_t>(rx_.capacity(), 65535);
        rcv_wnd_cap_ = static_cast<std::uint32_t>(std::min(cap, limit));
      }
      rcv_tune_at_ = now;
      rcv_tune_seq_ = rcv_nxt_;
    }
  }
}

void tcp_socket::process_fin_reached(std::uint64_t now) {
  rcv_nxt_ += 1;
  fin_received_ = true;
  rx_fin_pending_ = false;
  ack_now_ = true;
  switch (state_) {
    case tcp_state::syn_received:
    case tcp_state::established:
      set_state(tcp_state::close_wait);
      break;
    case tcp_state::fin_wait_1:
      if (fin_queued_ && tx_.empty() && ge(snd_una_, tx_base_ + 1))
        enter_time_wait(now);
      else
        set_state(tcp_state::closing);  // simultaneous close
      break;
    case tcp_state::fin_wait_2:
      enter_time_wait(now);
      break;
    default:
      break;
  }
}

bool tcp_socket::time_wait_accepts_syn(const tcp_repr& s) const {
  if (state_ != tcp_state::time_wait || !s.has(syn) || s.has(ack) || s.has(rst)) return false;
  if (ts_ok_ && s.ts) return gt(s.ts->val, ts_recent_);
  return gt(s.seq, rcv_nxt_);
}

void tcp_socket::enter_time_wait(std::uint64_t now) {
  set_state(tcp_state::time_wait);
  time_wait_until_ = now + cfg_.time_wait_ms;
  rtx_at_ = persist_at_ = keepalive_at_ = delack_at_ = 0;
}

}  // namespace ztkit::netstack
