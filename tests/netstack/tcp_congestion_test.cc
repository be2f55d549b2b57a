// Congestion control (netstack/tcp/tcp_congestion.h): slow start with byte counting
// (RFC 5681 §3.1, RFC 3465), NewReno's halving and linear growth, CUBIC's multiplicative
// decrease, fast convergence and cubic growth back to W_max (RFC 9438 §4).
#include <gtest/gtest.h>

#include "netstack/tcp/tcp_congestion.h"

namespace ztkit::netstack {
namespace {

constexpr std::uint32_t mss = 1000;

TEST(TcpCongestion, InitialWindowIsTenSegments) {
  tcp_congestion c;
  c.init(tcp_cc_algorithm::cubic, mss);
  EXPECT_EQ(c.cwnd(), 10 * mss);  // RFC 6928
  EXPECT_TRUE(c.in_slow_start());
}

TEST(TcpCongestion, SlowStartCountsBytesUpToTwoSegmentsPerAck) {
  tcp_congestion c;
  c.init(tcp_cc_algorithm::new_reno, mss);
  c.on_ack(0, mss, 50);
  EXPECT_EQ(c.cwnd(), 11 * mss);
  c.on_ack(0, 5 * mss, 50);  // a stretch ACK: L = 2 SMSS (RFC 3465 §2.2)
  EXPECT_EQ(c.cwnd(), 13 * mss);
  c.on_ack(0, 100, 50);
  EXPECT_EQ(c.cwnd(), 13 * mss + 100);
}

TEST(TcpCongestion, NewRenoHalvesAndGrowsLinearly) {
  tcp_congestion c;
  c.init(tcp_cc_algorithm::new_reno, mss);
  c.on_congestion(0, 20 * mss);
  EXPECT_EQ(c.ssthresh(), 10 * mss);  // RFC 5681 eq. 4: FlightSize / 2
  EXPECT_EQ(c.cwnd(), 10 * mss);
  EXPECT_FALSE(c.in_slow_start());
  // One SMSS per window of acknowledged data (RFC 5681 eq. 3).
  for (int i = 0; i < 10; ++i) c.on_ack(0, mss, 50);
  EXPECT_EQ(c.cwnd(), 11 * mss);
}

TEST(TcpCongestion, NewRenoTimeoutOneSegment) {
  tcp_congestion c;
  c.init(tcp_cc_algorithm::new_reno, mss);
  c.on_rto(0, 3 * mss);
  EXPECT_EQ(c.cwnd(), mss);
  EXPECT_EQ(c.ssthresh(), 2 * mss);  // at least 2 SMSS
}

TEST(TcpCongestion, RecoveryExitDeflates) {
  tcp_congestion c;
  c.init(tcp_cc_algorithm::new_reno, mss);
  c.on_congestion(0, 40 * mss);
  c.on_recovery_exit(5 * mss);
  EXPECT_EQ(c.cwnd(), 6 * mss);  // RFC 6582 §3.2 step 3: min(ssthresh, FlightSize + SMSS)
}

TEST(TcpCongestion, CubicMultiplicativeDecreaseAndFastConvergence) {
  tcp_congestion c;
  c.init(tcp_cc_algorithm::cubic, mss);
  for (int i = 0; i < 90; ++i) c.on_ack(0, mss, 50);  // slow start to 100 segments
  ASSERT_EQ(c.cwnd(), 100 * mss);
  c.on_congestion(0, 100 * mss);
  EXPECT_EQ(c.cwnd(), 70 * mss);  // beta = 0.7 (RFC 9438 §4.6)
  // A second loss below W_max = 100: fast convergence lowers W_max (§4.7), and cwnd is
  // again multiplied by 0.7.
  c.on_congestion(0, 70 * mss);
  EXPECT_EQ(c.cwnd(), 49 * mss);
}

TEST(TcpCongestion, CubicGrowsBackToWmaxAroundK) {
  tcp_congestion c;
  c.init(tcp_cc_algorithm::cubic, mss);
  for (int i = 0; i < 990; ++i) c.on_ack(0, mss, 50);
  ASSERT_EQ(c.cwnd(), 1000 * mss);
  c.on_congestion(0, 1000 * mss);  // W_max = 1000, cwnd = 700: K = cbrt(300 / 0.4) = 9.1 s
  std::uint64_t now = 0;
  std::uint32_t at_2s = 0, at_9s = 0, at_16s = 0;
  // One ACK of a full window every RTT (50 ms): cwnd/mss ACKs of one segment each. At this
  // size the cubic curve is above the Reno-friendly estimate (RFC 9438 §4.3).
  while (now <= 16000) {
    std::uint32_t acks = c.cwnd() / mss;
    for (std::uint32_t i = 0; i < acks; ++i) c.on_ack(now, mss, 50);
    if (now == 2000) at_2s = c.cwnd();
    if (now == 9000) at_9s = c.cwnd();
    if (now == 16000) at_16s = c.cwnd();
    now += 50;
  }
  // Concave approach to W_max, plateau near it, convex probing beyond.
  EXPECT_GT(at_2s, 800 * mss);
  EXPECT_LT(at_2s, at_9s);
  EXPECT_NEAR(at_9s, 1000.0 * mss, 30.0 * mss);
  EXPECT_GT(at_16s, 1100 * mss);
}

}  // namespace
}  // namespace ztkit::netstack
