// Congestion control for one TCP connection: CUBIC (RFC 9438, the default) or NewReno
// (RFC 5681 §3.1 with RFC 6582's recovery, which the socket drives). Windows are in bytes.
// The socket calls:
//   on_ack(now, acked, rtt)   new data acknowledged outside loss recovery (slow start or
//                             congestion avoidance, with RFC 3465 byte counting, L = 2 SMSS)
//   on_congestion(now, flight) entering fast recovery: sets ssthresh, cwnd = ssthresh
//   on_rto(now, flight)        retransmission timeout: ssthresh as above, cwnd = 1 SMSS
//                              (RFC 5681 §3.1 eq. 4)
//   on_recovery_exit(flight)   full acknowledgment (RFC 6582 §3.2 step 3)
#pragma once

#include <cstdint>

namespace ztkit::netstack {

enum class tcp_cc_algorithm : std::uint8_t { cubic, new_reno };

class tcp_congestion {
 public:
  tcp_congestion() = default;
  void init(tcp_cc_algorithm algo, std::uint32_t mss);

  std::uint32_t cwnd() const { return cwnd_; }
  std::uint32_t ssthresh() const { return ssthresh_; }
  bool in_slow_start() const { return cwnd_ < ssthresh_; }
  tcp_cc_algorithm algorithm() const { return algo_; }

  void on_ack(std::uint64_t now, std::uint32_t acked, std::uint32_t srtt_ms);
  void on_congestion(std::uint64_t now, std::uint32_t flight);
  void on_rto(std::uint64_t now, std::uint32_t flight);
  void on_recovery_exit(std::uint32_t flight);
  // Idle restart is not done: RFC 5681 §4.1 is a SHOULD; cwnd is kept across idle periods.

 private:
  void set_ssthresh_after_loss(std::uint32_t flight);

  tcp_cc_algorithm algo_ = tcp_cc_algorithm::cubic;
  std::uint32_t mss_ = 536;
  std::uint32_t cwnd_ = 0;
  std::uint32_t ssthresh_ = 0xffffffffu;
  std::uint32_t acked_accum_ = 0;  // NewReno congestion avoidance byte counter
  // CUBIC (RFC 9438 §4), windows in bytes, time in ms.
  double w_max_ = 0;
  double w_est_ = 0;
  double k_s_ = 0;  // K, seconds
  std::uint64_t epoch_start_ = 0;
  bool epoch_valid_ = false;
};

}  // namespace ztkit::netstack
