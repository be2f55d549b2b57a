#include "netstack/tcp/tcp_congestion.h"

#include <algorithm>
#include <cmath>

namespace ztkit::netstack {

namespace {
constexpr double cubic_c = 0.4;     // RFC 9438 §5.1
constexpr double cubic_beta = 0.7;  // RFC 9438 §4.6
}  // namespace

void tcp_congestion::init(tcp_cc_algorithm algo, std::uint32_t mss) {
  algo_ = algo;
  mss_ = mss ? mss : 536;
  cwnd_ = 10 * mss_;  // RFC 6928 initial window
  ssthresh_ = 0xffffffffu;
  acked_accum_ = 0;
  w_max_ = w_est_ = k_s_ = 0;
  epoch_valid_ = false;
}

void tcp_congestion::on_ack(std::uint64_t now, std::uint32_t acked, std::uint32_t srtt_ms) {
  if (in_slow_start()) {
    // RFC 5681 §3.1 with RFC 3465 appropriate byte counting (L = 2 SMSS).
    cwnd_ += std::min(acked, 2 * mss_);
    return;
  }
  if (algo_ == tcp_cc_algorithm::new_reno) {
    // RFC 5681 eq. 3 in bytes: one SMSS per cwnd of acknowledged data.
    acked_accum_ += acked;
    if (acked_accum_ >= cwnd_) {
      acked_accum_ -= cwnd_;
      cwnd_ += mss_;
    }
    return;
  }
  // CUBIC congestion avoidance (RFC 9438 §4.2-4.4), in units of SMSS for W.
  double mss = mss_;
  double cwnd = cwnd_ / mss;
  if (!epoch_valid_) {
    epoch_valid_ = true;
    epoch_start_ = now;
    w_est_ = cwnd;
    if (w_max_ / mss <= cwnd) {
      k_s_ = 0;
      w_max_ = cwnd_;
    } else {
      k_s_ = std::cbrt((w_max_ / mss - cwnd) / cubic_c);  // eq. 2
    }
  }
  double t = static_cast<double>(now - epoch_start_ + srtt_ms) / 1000.0;
  double w_max = w_max_ / mss;
  double target = cubic_c * std::pow(t - k_s_, 3) + w_max;  // eq. 1, at t + RTT
  target = std::clamp(target, cwnd, 1.5 * cwnd);            // §4.2 target bounds
  // Reno-friendly region (§4.3): alpha = 3(1 - beta)/(1 + beta).
  constexpr double alpha = 3.0 * (1 - cubic_beta) / (1 + cubic_beta);
  w_est_ += alpha * (acked / mss) / cwnd;
  double next;
  if (w_est_ > target) {
    next = cwnd + (acked / mss) / cwnd * std::max(1.0, w_est_ - cwnd);
    next = std::min(next, w_est_);
  } else {
    next = cwnd + (target - cwnd) / cwnd * (acked / mss);  // §4.4
  }
  double bytes = std::max(next * mss, static_cast<double>(cwnd_));
  cwnd_ = static_cast<std::uint32_t>(std::min(bytes, 1e9));
}

void tcp_congestion::set_ssthresh_after_loss(std::uint32_t flight) {
  if (algo_ == tcp_cc_algorithm::new_reno) {
    ssthresh_ = std::max(flight / 2, 2 * mss_);  // RFC 5681 eq. 4
  } else {
    // RFC 9438 §4.6-4.7: multiplicative decrease from cwnd, fast convergence.
    double cwnd = cwnd_;
    w_max_ = (cwnd < w_max_) ? cwnd * (1 + cubic_beta) / 2 : cwnd;
    ssthresh_ = std::max(static_cast<std::uint32_t>(cwnd * cubic_beta), 2 * mss_);
    epoch_valid_ = false;
  }
  acked_accum_ = 0;
}

void tcp_congestion::on_congestion(std::uint64_t, std::uint32_t flight) {
  set_ssthresh_after_loss(flight);
  cwnd_ = ssthresh_;
}

void tcp_congestion::on_rto(std::uint64_t, std::uint32_t flight) {
  set_ssthresh_after_loss(flight);
  cwnd_ = mss_;
}

void tcp_congestion::on_recovery_exit(std::uint32_t flight) {
  // RFC 6582 §3.2 step 3 (option 1): min(ssthresh, FlightSize + SMSS).
  cwnd_ = std::max(std::min(ssthresh_, flight + mss_), 2 * mss_);
  epoch_valid_ = false;
}

}  // namespace ztkit::netstack
