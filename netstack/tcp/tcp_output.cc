// Segment output and timers: what to send next (tx_plan), retransmission, persist, keepalive, delayed ACK.
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
constexpr std::uint64_t never = ~std::uint64_t{0};
}  // namespace

std::uint32_t tcp_socket::rcv_window_bytes() const {
  std::uint32_t w = static_cast<std::uint32_t>(std::min<std::size_t>(rx_.free(), rcv_wnd_cap_));
  if (app_closed_) w = static_cast<std::uint32_t>(std::min<std::size_t>(rx_.capacity(), rcv_wnd_cap_));
  if (gt(rcv_adv_, rcv_nxt_)) w = std::max(w, rcv_adv_ - rcv_nxt_);  // never shrink (§3.8.6.2.2)
  std::uint32_t max = std::uint32_t{65535} << rcv_wscale_;
  return std::min(w, max);
}

std::uint16_t tcp_socket::window_field(bool is_syn) const {
  std::uint32_t w = rcv_window_bytes();
  if (is_syn) return static_cast<std::uint16_t>(std::min<std::uint32_t>(w, 65535));
  return static_cast<std::uint16_t>(std::min<std::uint32_t>(w >> rcv_wscale_, 65535));
}

std::uint32_t tcp_socket::pipe() const {
  // RFC 6675 §4 estimate: in flight, less what was SACKed, less the holes below the highest
  // SACK that are deemed lost and not yet retransmitted. Without SACK, each duplicate ACK
  // stands for one segment that left the network (like Linux's Reno emulation).
  std::uint32_t f = flight();
  std::uint32_t out;
  if (sack_ok_ && !sacked_.empty()) {
    out = sacked_.bytes();
    std::uint32_t start = max(high_rxt_, snd_una_);
    if (lt(start, high_sacked_)) {
      std::uint32_t holes = high_sacked_ - start;
      for (std::size_t i = 0; i < sacked_.size(); ++i) {
        std::uint32_t l = max(sacked_[i].left, start), r = sacked_[i].right;
        if (lt(l, r)) holes -= r - l;
      }
      out += holes;
    }
  } else {
    out = dupacks_ * snd_mss_;
  }
  return out >= f ? 0 : f - out;
}

bool tcp_socket::find_hole(std::uint32_t& seq, std::uint32_t& len) const {
  if (!in_recovery_) return false;
  std::uint32_t start, end;
  if (sack_ok_ && !sacked_.empty()) {
    start = max(high_rxt_, snd_una_);
    for (;;) {
      if (!lt(start, high_sacked_)) return false;
      std::uint32_t e;
      if (!sacked_.contains(start, &e)) break;
      start = e;
    }
    end = high_sacked_;
    for (std::size_t i = 0; i < sacked_.size(); ++i)
      if (gt(sacked_[i].left, start) && lt(sacked_[i].left, end)) end = sacked_[i].left;
  } else {
    if (gt(high_rxt_, snd_una_)) return false;  // NewReno: one segment per (partial) ACK
    start = snd_una_;
    end = snd_max_;
  }
  std::uint32_t data_end = tx_base_ + static_cast<std::uint32_t>(tx_.size());
  if (lt(data_end, end)) end = data_end;
  if (!lt(start, end)) {
    // Only the FIN can be missing there.
    if (fin_queued_ && start == data_end && gt(snd_max_, data_end)) {
      seq = start;
      len = 0;
      return true;
    }
    return false;
  }
  seq = start;
  len = std::min(end - start, snd_mss_);
  return true;
}

tcp_socket::tx_plan tcp_socket::plan() const {
  tx_plan p;
  if (rst_pending_) {
    p.k = tx_plan::rst;
    return p;
  }
  switch (state_) {
    case tcp_state::closed:
    case tcp_state::listen:
      return p;
    case tcp_state::syn_sent:
      if (snd_nxt_ == iss_) {
        p.k = tx_plan::segment;
        p.seq = iss_;
        p.flags = syn;
        p.rexmit = retries_ > 0;
      }
      return p;
    case tcp_state::syn_received:
      if (snd_nxt_ == iss_) {
        p.k = tx_plan::segment;
        p.seq = iss_;
        p.flags = syn | ack;
        p.rexmit = retries_ > 0;
        return p;
      }
      break;
    default:
      break;
  }
  bool sending = state_ == tcp_state::established || state_ == tcp_state::fin_wait_1 ||
                 state_ == tcp_state::close_wait || state_ == tcp_state::closing ||
                 state_ == tcp_state::last_ack;
  if (sending) {
    std::uint32_t data_end = tx_base_ + static_cast<std::uint32_t>(tx_.size());
    // 1. Loss recovery: the next hole (RFC 6675 §5 NextSeg rule 1; RFC 6582 §3.2).
    std::uint32_t hs, hl;
    if (find_hole(hs, hl) && (rexmit_forced_ || pipe() + hl <= cc_.cwnd())) {
      p.k = tx_plan::segment;
      p.seq = hs;
      p.len = hl;
      p.flags = ack;
      if (fin_queued_ && hs + hl == data_end && gt(snd_max_, data_end)) p.flags |= fin;
      p.rexmit = true;
      p.hole = true;
      return p;
    }
    // 2. New data, or data again after a timeout (snd_nxt went back to snd_una).
    std::uint32_t seq = snd_nxt_;
    std::uint32_t off = seq - tx_base_;
    std::uint32_t avail = off < tx_.size() ? static_cast<std::uint32_t>(tx_.size()) - off : 0;
    if (lt(seq, tx_base_)) avail = 0;
    std::uint32_t wnd_end = snd_una_ + snd_wnd_;
    std::uint32_t wnd_space = lt(seq, wnd_end) ? wnd_end - seq : 0;
    std::uint32_t used = in_recovery_ ? pipe() : snd_nxt_ - snd_una_;
    if (!in_recovery_ && !sacked_.empty()) {
      // SACKed data below SND.NXT has left the network (RFC 6675 §4's pipe, used before
      // recovery too: it also plays limited transmit's part).
      for (std::size_t i = 0; i < sacked_.size(); ++i) {
        std::uint32_t r = min(sacked_[i].right, snd_nxt_);
        if (lt(sacked_[i].left, r)) used -= std::min(used, r - sacked_[i].left);
      }
    } else if (!in_recovery_ && dupacks_ > 0 && snd_nxt_ == snd_max_) {
      // Limited transmit (RFC 3042): the first two duplicate ACKs each let one new segment out.
      std::uint32_t lt_allow = std::min(dupacks_, 2u) * snd_mss_;
      used = used > lt_allow ? used - lt_allow : 0;
    }
    std::uint32_t cwnd_space = cc_.cwnd() > used ? cc_.cwnd() - used : 0;
    if (force_send_ && cwnd_space == 0) cwnd_space = snd_mss_;
    std::uint32_t len = std::min({avail, snd_mss_, wnd_space, cwnd_space});
    bool is_rexmit = lt(seq, snd_max_);
    if (is_rexmit) {
      for (std::size_t i = 0; i < sacked_.size(); ++i)  // stop at the next SACKed block
        if (gt(sacked_[i].left, seq) && lt(sacked_[i].left, seq + len)) len = sacked_[i].left - seq;
    }
    bool fin_now = fin_queued_ && seq + len == data_end && le(seq, data_end) &&
                   (!gt(snd_max_, data_end) || is_rexmit);
    // A FIN already sent and not timed out goes again only through recovery or RTO.
    if (fin_now && gt(snd_max_, data_end) && !lt(seq, snd_max_)) fin_now = false;
    bool send = false;
    if (len > 0) {
      // Sender SWS avoidance and Nagle (RFC 9293 §3.8.6.2.1, RFC 1122 §4.2.3.4).
      send = len == snd_mss_ || is_rexmit || force_send_ ||
             (len == avail && (cfg_.nodelay || snd_nxt_ == snd_una_ || fin_queued_)) ||
             (max_snd_wnd_ > 0 && len >= max_snd_wnd_ / 2);
    } else if (fin_now) {
      send = true;
    }
    if (send) {
      p.k = tx_plan::segment;
      p.seq = seq;
      p.len = len;
      p.flags = ack | (fin_now ? fin : 0);
      if (len > 0 && seq + len == data_end) p.flags |= psh;
      p.rexmit = is_rexmit;
      return p;
    }
  }
  // 3. A window or keepalive probe: SEG.SEQ = SND.UNA - 1 forces an ACK (like Linux).
  if (probe_pending_) {
    p.k = tx_plan::segment;
    p.seq = snd_una_ - 1;
    p.flags = ack;
    p.probe = true;
    return p;
  }
  // 4. A bare ACK: owed, or a window update worth sending (RFC 1122 §4.2.3.3).
  if (ack_now_ || window_update_due()) {
    p.k = tx_plan::segment;
    p.seq = snd_nxt_;
    p.flags = ack;
    return p;
  }
  return p;
}

bool tcp_socket::window_update_due() const {
  if (fin_received_) return false;
  if (state_ != tcp_state::established && state_ != tcp_state::fin_wait_1 &&
      state_ != tcp_state::fin_wait_2)
    return false;
  std::uint32_t w = (rcv_window_bytes() >> rcv_wscale_) << rcv_wscale_;
  std::uint32_t edge = rcv_nxt_ + w;
  if (!gt(edge, rcv_adv_)) return false;
  std::uint32_t advertised = gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
  std::uint32_t cap = static_cast<std::uint32_t>(std::min<std::size_t>(rx_.capacity(), rcv_wnd_cap_));
  return edge - rcv_adv_ >= std::min(cap / 2, our_mss()) && advertised <= cap / 2;
}

void tcp_socket::fill(std::uint64_t now, tcp_segment& out, const tx_plan& p) {
  tcp_repr& r = out.repr;
  r = tcp_repr{};
  r.src_port = local_.port;
  r.dst_port = remote_.port;
  r.seq = p.seq;
  r.flags = p.flags;
  bool is_syn = (p.flags & syn) != 0;
  if (p.flags & ack) r.ack = rcv_nxt_;
  r.window = window_field(is_syn);
  if (is_syn) {
    bool active = state_ == tcp_state::syn_sent || !passive_;
    r.mss = static_cast<std::uint16_t>(our_mss());
    if (cfg_.window_scaling && (active || ws_ok_)) r.window_scale = rcv_wscale_;
    if (cfg_.sack && (active || sack_ok_)) r.sack_permitted = true;
    if (cfg_.timestamps && (active || ts_ok_))
      r.ts = tcp_repr::timestamps{ts_now(now), ts_ok_ ? ts_recent_ : 0};
  } else {
    if (ts_ok_) r.ts = tcp_repr::timestamps{ts_now(now), ts_recent_};
    if (sack_ok_ && !ooo_.empty() && (p.flags & ack)) {
      // RFC 2018 §4: the block with the latest segment first, then the others by recency.
      std::size_t n = std::min<std::size_t>(ooo_.size(), tcp_repr::max_sack_blocks);
      std::uint64_t bound = ~std::uint64_t{0};
      for (std::size_t k = 0; k < n; ++k) {
        std::size_t best = ooo_.size();
        for (std::size_t i = 0; i < ooo_.size(); ++i)
          if (ooo_[i].stamp < bound && (best == ooo_.size() || ooo_[i].stamp > ooo_[best].stamp))
            best = i;
        if (best == ooo_.size()) break;
        r.sack[k] = {ooo_[best].left, ooo_[best].right};
        r.sack_count = static_cast<std::uint8_t>(k + 1);
        bound = ooo_[best].stamp;
      }
    }
  }
  auto [a, b] = tx_.peek(p.seq - tx_base_, p.len);
  if (p.len == 0) a = b = {};
  out.payload1 = a;
  out.payload2 = b;
  out.local = local_;
  out.remote = remote_;
  if (p.flags & ack) {
    ack_now_ = false;
    if (delack_at_ && now >= delack_at_) ++counters_.delayed_acks;
    delack_at_ = 0;
    unacked_segs_ = 0;
    if (quick_acks_left_ > 0) --quick_acks_left_;
    last_ack_sent_ = rcv_nxt_;
    std::uint32_t adv = is_syn ? r.window : std::uint32_t{r.window} << rcv_wscale_;
    if (gt(rcv_nxt_ + adv, rcv_adv_) || !gt(rcv_adv_, rcv_nxt_)) rcv_adv_ = rcv_nxt_ + adv;
  }
  ++counters_.segments_out;
}

void tcp_socket::on_timers(std::uint64_t now) {
  if (state_ == tcp_state::time_wait && now >= time_wait_until_) {
    close_with(tcp_socket_error::none);
    return;
  }
  if (state_ == tcp_state::fin_wait_2 && app_closed_) {
    if (fin_wait_2_until_ == 0) fin_wait_2_until_ = now + cfg_.fin_wait_2_timeout_ms;
    if (now >= fin_wait_2_until_) {
      close_with(tcp_socket_error::none);
      return;
    }
  }
  if (rtx_at_ && now >= rtx_at_) {
    // RFC 6298 §5.4-5.6: retransmit the earliest unacknowledged segment, back off.
    rtx_at_ = 0;
    ++retries_;
    ++counters_.rto_expired;
    bool handshake = state_ == tcp_state::syn_sent || state_ == tcp_state::syn_received;
    if (retries_ > (handshake ? cfg_.syn_retries : cfg_.data_retries)) {
      close_with(tcp_socket_error::timed_out);
      return;
    }
    rto_ = std::min(rto_ * 2, cfg_.rto_max_ms);
    rtt_timing_ = false;
    rto_ts_ = ts_now(now);
    rto_ts_valid_ = true;
    if (handshake) {
      snd_nxt_ = iss_;
    } else {
      // RFC 5681 §3.1: ssthresh from the flight, cwnd = 1 SMSS, go back to SND.UNA. What the
      // receiver SACKed is skipped (RFC 6675 §5.1) after a first timeout; a second one in a
      // row drops the scoreboard, in case the receiver reneged (RFC 2018 §8).
      cc_.on_rto(now, flight());
      in_recovery_ = false;
      rexmit_forced_ = false;
      recover_ = snd_max_;
      if (retries_ > 1) {
        sacked_.clear();
        high_sacked_ = snd_una_;
      }
      high_rxt_ = snd_una_;
      dupacks_ = 0;
      snd_nxt_ = snd_una_;
    }
  }
  if (persist_at_ && now >= persist_at_) {
    persist_at_ = 0;
    if (snd_wnd_ == 0) {
      probe_pending_ = true;
      ++counters_.window_probes;
    } else {
      force_send_ = true;  // sender SWS override timer (RFC 9293 §3.8.6.2.1)
    }
    persist_backoff_ = std::min(std::max<std::uint64_t>(persist_backoff_, rto_) * 2, cfg_.rto_max_ms);
  }
  if (keepalive_at_ && now >= keepalive_at_ && cfg_.keepalive_idle_ms) {
    if (state_ != tcp_state::established && state_ != tcp_state::close_wait) {
      keepalive_at_ = 0;
    } else if (flight() > 0 || !tx_.empty()) {
      keepalive_at_ = now + cfg_.keepalive_idle_ms;  // busy: retransmissions watch the peer
    } else if (keepalive_sent_ >= cfg_.keepalive_probes) {
      close_with(tcp_socket_error::timed_out);
      return;
    } else {
      probe_pending_ = true;
      ++keepalive_sent_;
      ++counters_.keepalives;
      keepalive_at_ = now + cfg_.keepalive_interval_ms;
    }
  }
  if (delack_at_ && now >= delack_at_) ack_now_ = true;
  // Keepalive switched on after the last segment arrived: start the idle timer now.
  if (cfg_.keepalive_idle_ms && keepalive_at_ == 0 &&
      (state_ == tcp_state::established || state_ == tcp_state::close_wait))
    keepalive_at_ = now + cfg_.keepalive_idle_ms;
}

bool tcp_socket::poll(std::uint64_t now, tcp_segment& out) {
  on_timers(now);
  // Going back after a timeout: data the receiver SACKed is not sent again.
  std::uint32_t sacked_end;
  while (lt(snd_nxt_, snd_max_) && sacked_.contains(snd_nxt_, &sacked_end))
    snd_nxt_ = min(sacked_end, snd_max_);
  tx_plan p = plan();
  if (p.k == tx_plan::none) {
    // Data waits with nothing in flight to clock it out (zero window, or SWS avoidance):
    // the persist timer probes or overrides (RFC 9293 §3.8.6.1).
    bool sending = state_ == tcp_state::established || state_ == tcp_state::fin_wait_1 ||
                   state_ == tcp_state::close_wait || state_ == tcp_state::closing ||
                   state_ == tcp_state::last_ack;
    std::uint32_t data_end = tx_base_ + static_cast<std::uint32_t>(tx_.size());
    // (After a timeout SND.NXT is back at SND.UNA while data may still be "in flight".)
    if (sending && persist_at_ == 0 && rtx_at_ == 0 && snd_nxt_ == snd_una_ &&
        lt(snd_nxt_, data_end)) {
      std::uint64_t wait = persist_backoff_ ? persist_backoff_ : rto_;
      persist_at_ = now + std::min(wait, cfg_.rto_max_ms);
    }
    return false;
  }
  if (p.k == tx_plan::rst) {
    rst_pending_ = false;
    tcp_repr& r = out.repr;
    r = tcp_repr{};
    r.src_port = local_.port;
    r.dst_port = remote_.port;
    r.seq = snd_nxt_;
    r.ack = rcv_nxt_;
    r.flags = rst | ack;
    out.payload1 = out.payload2 = {};
    out.local = local_;
    out.remote = remote_;
    ++counters_.segments_out;
    return true;
  }
  fill(now, out, p);
  if (p.probe) {
    probe_pending_ = false;
    return true;
  }
  force_send_ = false;
  std::uint32_t slen = p.len + ((p.flags & syn) ? 1 : 0) + ((p.flags & fin) ? 1 : 0);
  if (slen == 0) return true;  // a bare ACK
  if (p.rexmit) {
    ++counters_.retransmits;
    rtt_timing_ = false;
  }
  if (p.hole) {
    // A hole: HighRxt moves past it (RFC 6675 §5 step 4.3).
    high_rxt_ = p.seq + slen;
    rexmit_forced_ = false;
  } else {
    if (!p.rexmit && !rtt_timing_ && !ts_ok_) {
      rtt_timing_ = true;  // Karn: time only segments sent once
      rtt_seq_ = p.seq + slen;
      rtt_sent_at_ = now;
    }
    snd_nxt_ = p.seq + slen;
    if (gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
  }
  if (rtx_at_ == 0) arm_retransmit(now);
  persist_at_ = 0;
  return true;
}

std::uint64_t tcp_socket::poll_at() const {
  if (rst_pending_) return 0;
  if (state_ == tcp_state::closed || state_ == tcp_state::listen) return never;
  if (plan().k != tx_plan::none) return 0;
  if (state_ == tcp_state::fin_wait_2 && app_closed_ && fin_wait_2_until_ == 0) return 0;
  if (cfg_.keepalive_idle_ms && keepalive_at_ == 0 &&
      (state_ == tcp_state::established || state_ == tcp_state::close_wait))
    return 0;  // poll() arms the keepalive timer
  std::uint64_t t = never;
  auto consider = [&](std::uint64_t d) {
    if (d && d < t) t = d;
  };
  consider(rtx_at_);
  consider(delack_at_);
  consider(persist_at_);
  if (cfg_.keepalive_idle_ms) consider(keepalive_at_);
  if (state_ == tcp_state::time_wait) consider(time_wait_until_);
  if (state_ == tcp_state::fin_wait_2 && app_closed_) consider(fin_wait_2_until_);
  return t;
}

}  // namespace ztkit::netstack
