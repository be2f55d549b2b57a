// tcp_socket, state by state (RFC 9293 §3.10), in the manner of smoltcp's socket/tcp.rs tests:
// segments are plain tcp_repr values passed in with send_seg() and expected out of poll() with
// recv_seg(). The peer is 10.0.0.2:49500, we are 10.0.0.1:80. Options are off unless a test
// turns them on, so the segments stay small and readable.
#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <vector>

#include "netstack/tcp/tcp_socket.h"

namespace ztkit::netstack {
namespace {

using wire::tcp_repr;
namespace F = wire::tcp_flags;

const inet_address local_ep = inet_address::v4({10, 0, 0, 1}, 80);
const inet_address remote_ep = inet_address::v4({10, 0, 0, 2}, 49500);
constexpr std::uint32_t remote_seq = 10000;
const siphash_key key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

tcp_config plain_config() {
  tcp_config c;
  c.rx_buffer = c.tx_buffer = 64;
  c.mtu = 1500;
  c.window_scaling = c.timestamps = c.sack = false;
  c.autotune_rx_window = false;
  c.nodelay = true;
  c.time_wait_ms = 1000;
  return c;
}

struct out_seg {
  tcp_repr repr;
  std::vector<std::uint8_t> payload;
};

tcp_repr seg(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack = 0,
             std::uint16_t window = 256) {
  tcp_repr r;
  r.src_port = remote_ep.port;
  r.dst_port = local_ep.port;
  r.flags = flags;
  r.seq = seq;
  r.ack = ack;
  r.window = window;
  return r;
}

std::vector<std::uint8_t> bytes(const char* s) {
  return std::vector<std::uint8_t>(s, s + std::char_traits<char>::length(s));
}

class TcpSocketTest : public ::testing::Test {
 protected:
  explicit TcpSocketTest(tcp_config c = plain_config()) : s(c, key) {}

  tcp_input send_seg(const tcp_repr& r, std::span<const std::uint8_t> payload = {}) {
    return s.process(now, r, payload, remote_ep, local_ep);
  }
  std::optional<out_seg> recv_seg() {
    tcp_segment out;
    if (!s.poll(now, out)) return std::nullopt;
    out_seg o{out.repr, {}};
    o.payload.insert(o.payload.end(), out.payload1.begin(), out.payload1.end());
    o.payload.insert(o.payload.end(), out.payload2.begin(), out.payload2.end());
    // Every segment also serializes and parses back to itself.
    std::vector<std::uint8_t> b(out.len());
    out.emit(b);
    tcp_repr back;
    EXPECT_EQ(tcp_repr::parse(*wire::tcp_packet::new_checked(b),
                              wire::ipv4_address::from_inet(local_ep),
                              wire::ipv4_address::from_inet(remote_ep), back),
              wire::tcp_error::ok);
    EXPECT_EQ(back.seq, out.repr.seq);
    return o;
  }
  void expect_nothing() {
    auto o = recv_seg();
    EXPECT_FALSE(o) << "unexpected segment flags " << int(o->repr.flags) << " seq " << o->repr.seq;
  }
  out_seg must_recv() {
    auto o = recv_seg();
    EXPECT_TRUE(o);
    return o ? *o : out_seg{};
  }
  std::string recv_all() {
    std::string r;
    std::uint8_t b[256];
    while (std::size_t n = s.recv(b)) r.append(reinterpret_cast<char*>(b), n);
    return r;
  }

  // Drives the socket to ESTABLISHED as the passive side: our ISS is s.iss().
  void establish() {
    ASSERT_TRUE(s.listen(local_ep));
    ASSERT_EQ(send_seg(seg(F::syn, remote_seq)), tcp_input::accepted);
    auto sa = must_recv();
    ASSERT_EQ(sa.repr.flags, F::syn | F::ack);
    now += 50;  // first RTT sample: 50 ms, so RTO = 50 + 4 * 25 = 150 -> the 200 ms floor
    ASSERT_EQ(send_seg(seg(F::ack, remote_seq + 1, s.iss() + 1)), tcp_input::accepted);
    ASSERT_EQ(s.state(), tcp_state::established);
  }
  std::uint32_t our() const { return s.iss() + 1; }  // our first data sequence number

  tcp_socket s;
  std::uint64_t now = 1000;
};

// ---- CLOSED (RFC 9293 §3.10.7.1) --------------------------------------------------------

TEST_F(TcpSocketTest, ClosedAnswersWithReset) {
  EXPECT_EQ(send_seg(seg(F::ack, 5, 77)), tcp_input::send_reset);
  EXPECT_EQ(send_seg(seg(F::rst, 5)), tcp_input::dropped);  // never answer an RST
  auto r = tcp_reset_for(seg(F::ack, 5, 77), 10);
  EXPECT_EQ(r.flags, F::rst);
  EXPECT_EQ(r.seq, 77u);
  auto r2 = tcp_reset_for(seg(F::syn, 5), 10);
  EXPECT_EQ(r2.flags, F::rst | F::ack);
  EXPECT_EQ(r2.seq, 0u);
  EXPECT_EQ(r2.ack, 5u + 11);  // SEG.SEQ + SEG.LEN, the SYN counting one
  EXPECT_EQ(r2.dst_port, remote_ep.port);
}

TEST_F(TcpSocketTest, ClosedPollsNothing) {
  expect_nothing();
  EXPECT_EQ(s.poll_at(), ~std::uint64_t{0});
}

// ---- LISTEN (§3.10.7.2) ------------------------------------------------------------------

TEST_F(TcpSocketTest, ListenSynGivesSynAck) {
  ASSERT_TRUE(s.listen(local_ep));
  EXPECT_EQ(s.state(), tcp_state::listen);
  auto in = seg(F::syn, remote_seq);
  in.mss = 1200;
  EXPECT_EQ(send_seg(in), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::syn_received);
  EXPECT_EQ(s.poll_at(), 0u);
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::syn | F::ack);
  EXPECT_EQ(o.repr.seq, s.iss());
  EXPECT_EQ(o.repr.ack, remote_seq + 1);
  EXPECT_EQ(o.repr.mss, 1460);  // MTU 1500 - 40 (§3.7.1)
  EXPECT_FALSE(o.repr.window_scale);  // not offered: not answered (RFC 7323 §2.2)
  EXPECT_EQ(s.mss(), 1200u);
  EXPECT_EQ(s.remote(), remote_ep);
}

TEST_F(TcpSocketTest, ListenIgnoresRstAndResetsAck) {
  ASSERT_TRUE(s.listen(local_ep));
  EXPECT_EQ(send_seg(seg(F::rst, remote_seq)), tcp_input::dropped);
  EXPECT_EQ(send_seg(seg(F::ack, remote_seq, 1234)), tcp_input::send_reset);
  EXPECT_EQ(send_seg(seg(0, remote_seq)), tcp_input::dropped);
  EXPECT_EQ(s.state(), tcp_state::listen);
}

TEST_F(TcpSocketTest, ListenCloseGoesClosed) {
  ASSERT_TRUE(s.listen(local_ep));
  s.close();
  EXPECT_EQ(s.state(), tcp_state::closed);
}

TEST_F(TcpSocketTest, ListenRefusesWrongPort) {
  ASSERT_TRUE(s.listen(local_ep));
  auto in = seg(F::syn, remote_seq);
  in.dst_port = 81;
  EXPECT_EQ(send_seg(in), tcp_input::dropped);
}

// ---- SYN-RECEIVED (§3.10.7.4) ------------------------------------------------------------

TEST_F(TcpSocketTest, SynReceivedAckEstablishes) {
  establish();
  expect_nothing();
}

TEST_F(TcpSocketTest, SynReceivedRstReturnsToListen) {
  ASSERT_TRUE(s.listen(local_ep));
  send_seg(seg(F::syn, remote_seq));
  must_recv();
  EXPECT_EQ(send_seg(seg(F::rst, remote_seq + 1)), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::listen);  // passive OPEN: back to LISTEN
}

TEST_F(TcpSocketTest, SynReceivedBadAckIsReset) {
  ASSERT_TRUE(s.listen(local_ep));
  send_seg(seg(F::syn, remote_seq));
  must_recv();
  EXPECT_EQ(send_seg(seg(F::ack, remote_seq + 1, s.iss() + 100)), tcp_input::send_reset);
  EXPECT_EQ(s.state(), tcp_state::syn_received);
}

TEST_F(TcpSocketTest, SynReceivedRetransmitsSynAck) {
  ASSERT_TRUE(s.listen(local_ep));
  send_seg(seg(F::syn, remote_seq));
  must_recv();
  EXPECT_EQ(s.poll_at(), now + 1000);  // RFC 6298 §2.1: initial RTO 1 s
  now += 999;
  expect_nothing();
  now += 1;
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::syn | F::ack);
  EXPECT_EQ(o.repr.seq, s.iss());
  EXPECT_EQ(s.poll_at(), now + 2000);  // §5.5: back off
}

TEST_F(TcpSocketTest, SynReceivedDuplicateSynGetsSynAckAgain) {
  ASSERT_TRUE(s.listen(local_ep));
  send_seg(seg(F::syn, remote_seq));
  must_recv();
  EXPECT_EQ(send_seg(seg(F::syn, remote_seq)), tcp_input::accepted);
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::syn | F::ack);
}

TEST_F(TcpSocketTest, SynReceivedDataWithAck) {
  ASSERT_TRUE(s.listen(local_ep));
  send_seg(seg(F::syn, remote_seq));
  must_recv();
  auto d = bytes("hello");
  EXPECT_EQ(send_seg(seg(F::ack | F::psh, remote_seq + 1, s.iss() + 1), d), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::established);
  EXPECT_EQ(recv_all(), "hello");
  auto o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 6);
}

// ---- SYN-SENT (§3.10.7.3) ----------------------------------------------------------------

class TcpSynSentTest : public TcpSocketTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(s.connect(now, local_ep, remote_ep));
    auto o = must_recv();
    ASSERT_EQ(o.repr.flags, F::syn);
    ASSERT_EQ(o.repr.seq, s.iss());
    ASSERT_EQ(o.repr.mss, 1460);
  }
  // Segments from the peer address our local port.
  tcp_input from_peer(tcp_repr r, std::span<const std::uint8_t> p = {}) { return send_seg(r, p); }
};

TEST_F(TcpSynSentTest, SynAckEstablishes) {
  EXPECT_EQ(s.state(), tcp_state::syn_sent);
  auto sa = seg(F::syn | F::ack, remote_seq, s.iss() + 1);
  sa.mss = 1000;
  EXPECT_EQ(from_peer(sa), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::established);
  EXPECT_EQ(s.mss(), 1000u);
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::ack);
  EXPECT_EQ(o.repr.seq, s.iss() + 1);
  EXPECT_EQ(o.repr.ack, remote_seq + 1);
}

TEST_F(TcpSynSentTest, RstWithAcceptableAckRefuses) {
  EXPECT_EQ(from_peer(seg(F::rst | F::ack, 0, s.iss() + 1)), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::refused);
}

TEST_F(TcpSynSentTest, RstWithoutAckIgnored) {
  EXPECT_EQ(from_peer(seg(F::rst, 0)), tcp_input::dropped);
  EXPECT_EQ(s.state(), tcp_state::syn_sent);
}

TEST_F(TcpSynSentTest, BadAckIsReset) {
  EXPECT_EQ(from_peer(seg(F::syn | F::ack, remote_seq, s.iss() + 5)), tcp_input::send_reset);
  EXPECT_EQ(from_peer(seg(F::ack, remote_seq, s.iss())), tcp_input::send_reset);  // ack <= ISS
  EXPECT_EQ(s.state(), tcp_state::syn_sent);
}

TEST_F(TcpSynSentTest, SimultaneousOpen) {
  // §3.5 figure 7: both sides send SYN; each answers with SYN-ACK.
  EXPECT_EQ(from_peer(seg(F::syn, remote_seq)), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::syn_received);
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::syn | F::ack);
  EXPECT_EQ(o.repr.seq, s.iss());
  EXPECT_EQ(o.repr.ack, remote_seq + 1);
  // Their SYN-ACK acknowledges our SYN: ESTABLISHED, and we ACK it.
  EXPECT_EQ(from_peer(seg(F::syn | F::ack, remote_seq, s.iss() + 1)), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::established);
  o = must_recv();
  EXPECT_EQ(o.repr.flags, F::ack);
  EXPECT_EQ(o.repr.ack, remote_seq + 1);
  EXPECT_EQ(from_peer(seg(F::ack, remote_seq + 1, s.iss() + 1)), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::established);
}

TEST_F(TcpSynSentTest, SynRetransmittedWithBackoffThenTimesOut) {
  std::uint64_t wait = 1000;
  for (unsigned i = 0; i < s.config().syn_retries; ++i) {
    EXPECT_EQ(s.poll_at(), now + wait);
    now += wait;
    auto o = must_recv();
    EXPECT_EQ(o.repr.flags, F::syn);
    EXPECT_EQ(o.repr.seq, s.iss());
    wait *= 2;
  }
  now += wait;
  expect_nothing();
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::timed_out);
}

TEST_F(TcpSynSentTest, CloseGoesClosed) {
  s.close();
  EXPECT_EQ(s.state(), tcp_state::closed);
}

TEST_F(TcpSynSentTest, DataQueuedBeforeHandshakeGoesAfter) {
  auto d = bytes("early");
  EXPECT_EQ(s.send(d), 5u);
  expect_nothing();
  from_peer(seg(F::syn | F::ack, remote_seq, s.iss() + 1));
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, s.iss() + 1);
  EXPECT_EQ(o.payload, d);
}

// ---- ESTABLISHED (§3.10.7.4) -------------------------------------------------------------

TEST_F(TcpSocketTest, EstablishedReceivesAndAcks) {
  establish();
  auto d = bytes("abcdef");
  EXPECT_EQ(send_seg(seg(F::ack | F::psh, remote_seq + 1, our()), d), tcp_input::accepted);
  EXPECT_EQ(recv_all(), "abcdef");
  auto o = must_recv();  // quick-ACK at the start of a connection
  EXPECT_EQ(o.repr.ack, remote_seq + 7);
  EXPECT_EQ(o.repr.window, 64);  // the whole ring is free again
}

TEST_F(TcpSocketTest, EstablishedSendsAndRingDrainsOnAck) {
  establish();
  auto d = bytes("0123456789");
  EXPECT_EQ(s.send(d), 10u);
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, our());
  EXPECT_EQ(o.repr.flags, F::ack | F::psh);
  EXPECT_EQ(o.payload, d);
  EXPECT_EQ(s.send_queued(), 10u);
  send_seg(seg(F::ack, remote_seq + 1, our() + 4));
  EXPECT_EQ(s.send_queued(), 6u);
  send_seg(seg(F::ack, remote_seq + 1, our() + 10));
  EXPECT_EQ(s.send_queued(), 0u);
  EXPECT_EQ(s.counters().bytes_out, 10u);
  expect_nothing();
  EXPECT_EQ(s.poll_at(), ~std::uint64_t{0});  // nothing in flight, no timer
}

TEST_F(TcpSocketTest, EstablishedSendRespectsPeerWindow) {
  establish();
  send_seg(seg(F::ack, remote_seq + 1, our(), 4));
  s.send(bytes("0123456789"));
  // Sender SWS avoidance (RFC 9293 §3.8.6.2.1): 4 bytes is less than half the largest window
  // seen (256): wait, until the override timer fires.
  expect_nothing();
  now = s.poll_at();
  auto o = must_recv();
  EXPECT_EQ(o.payload.size(), 4u);
  expect_nothing();
}

TEST_F(TcpSocketTest, EstablishedRingFullAcceptsPart) {
  establish();
  std::vector<std::uint8_t> big(100, 'x');
  EXPECT_EQ(s.send(big), 64u);  // tx ring of 64 bytes
  EXPECT_EQ(s.send(big), 0u);
}

TEST_F(TcpSocketTest, EstablishedOutOfOrderQueuedThenDelivered) {
  establish();
  auto b = bytes("world");
  // RFC 5681 §4.2: out-of-order data is acknowledged at once (a duplicate ACK).
  send_seg(seg(F::ack, remote_seq + 1 + 5, our()), b);
  auto o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 1);
  EXPECT_EQ(recv_all(), "");
  send_seg(seg(F::ack, remote_seq + 1, our()), bytes("hello"));
  EXPECT_EQ(recv_all(), "helloworld");
  o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 11);
}

TEST_F(TcpSocketTest, EstablishedDuplicateDataReAcked) {
  establish();
  send_seg(seg(F::ack, remote_seq + 1, our()), bytes("abc"));
  must_recv();
  EXPECT_EQ(send_seg(seg(F::ack, remote_seq + 1, our()), bytes("abc")), tcp_input::dropped);
  auto o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 4);
  EXPECT_EQ(recv_all(), "abc");
}

TEST_F(TcpSocketTest, EstablishedOverlappingSegmentTrimmed) {
  establish();
  send_seg(seg(F::ack, remote_seq + 1, our()), bytes("abc"));
  send_seg(seg(F::ack, remote_seq + 2, our()), bytes("bcdef"));
  EXPECT_EQ(recv_all(), "abcdef");
}

TEST_F(TcpSocketTest, EstablishedUnacceptableSegmentGetsAck) {
  establish();
  // Beyond the window: "send an acknowledgment ... and drop" (§3.10.7.4 first check).
  EXPECT_EQ(send_seg(seg(F::ack, remote_seq + 1 + 1000, our()), bytes("zz")),
            tcp_input::dropped);
  auto o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 1);
  EXPECT_EQ(s.counters().unacceptable, 1u);
}

TEST_F(TcpSocketTest, EstablishedRstExactResets) {
  establish();
  EXPECT_EQ(send_seg(seg(F::rst, remote_seq + 1)), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::reset);
}

TEST_F(TcpSocketTest, EstablishedRstInWindowChallengeAck) {
  establish();
  // RFC 5961 §3.2: in the window but not RCV.NXT: challenge ACK, connection kept.
  EXPECT_EQ(send_seg(seg(F::rst, remote_seq + 5)), tcp_input::dropped);
  EXPECT_EQ(s.state(), tcp_state::established);
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::ack);
  EXPECT_EQ(o.repr.ack, remote_seq + 1);
  EXPECT_EQ(s.counters().challenge_acks, 1u);
  // Outside the window: silently dropped.
  EXPECT_EQ(send_seg(seg(F::rst, remote_seq + 100000)), tcp_input::dropped);
  expect_nothing();
}

TEST_F(TcpSocketTest, EstablishedSynChallengeAck) {
  establish();
  // RFC 5961 §4.2: any SYN in a synchronized state gets a challenge ACK.
  EXPECT_EQ(send_seg(seg(F::syn, remote_seq + 1)), tcp_input::dropped);
  EXPECT_EQ(s.state(), tcp_state::established);
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::ack);
}

TEST_F(TcpSocketTest, EstablishedChallengeAcksRateLimited) {
  establish();
  for (int i = 0; i < 50; ++i) send_seg(seg(F::rst, remote_seq + 5));
  EXPECT_EQ(s.counters().challenge_acks, 10u);  // RFC 5961 §7
}

TEST_F(TcpSocketTest, EstablishedAckOfUnsentDataDropped) {
  establish();
  // RFC 5961 §5.2: SEG.ACK > SND.NXT: ACK and drop.
  EXPECT_EQ(send_seg(seg(F::ack, remote_seq + 1, our() + 50), bytes("x")), tcp_input::dropped);
  EXPECT_EQ(recv_all(), "");
  auto o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 1);
}

TEST_F(TcpSocketTest, EstablishedNoAckFlagDropped) {
  establish();
  EXPECT_EQ(send_seg(seg(0, remote_seq + 1), bytes("x")), tcp_input::dropped);
  EXPECT_EQ(recv_all(), "");
}

TEST_F(TcpSocketTest, EstablishedRetransmitsOnTimeoutWithBackoff) {
  establish();
  s.send(bytes("data"));
  must_recv();
  EXPECT_EQ(s.rto_ms(), 200u);
  EXPECT_EQ(s.poll_at(), now + 200);
  now += 200;
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, our());
  EXPECT_EQ(o.payload, bytes("data"));
  EXPECT_EQ(s.counters().retransmits, 1u);
  EXPECT_EQ(s.cwnd(), s.mss());  // RFC 5681 §3.1: cwnd = 1 SMSS after a timeout
  EXPECT_EQ(s.poll_at(), now + 400);  // RFC 6298 §5.5: back off
  now += 400;
  must_recv();
  EXPECT_EQ(s.poll_at(), now + 800);
}

TEST_F(TcpSocketTest, EstablishedDataRetriesExhaustedTimesOut) {
  establish();
  s.send(bytes("data"));
  must_recv();
  for (int i = 0; i < 40 && s.state() != tcp_state::closed; ++i) {
    now = s.poll_at();
    recv_seg();
  }
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::timed_out);
}

TEST_F(TcpSocketTest, EstablishedRttSampleSetsRto) {
  establish();
  s.send(bytes("data"));
  must_recv();
  now += 50;
  send_seg(seg(F::ack, remote_seq + 1, our() + 4));
  EXPECT_EQ(s.srtt_ms(), 50u);
  EXPECT_EQ(s.rto_ms(), 200u);  // 50 + 4 * 25 = 150, clamped to the 200 ms floor
}

TEST_F(TcpSocketTest, EstablishedZeroWindowProbe) {
  establish();
  send_seg(seg(F::ack, remote_seq + 1, our(), 0));
  s.send(bytes("abc"));
  expect_nothing();
  // RFC 9293 §3.8.6.1: the persist timer probes a zero window.
  std::uint64_t at = s.poll_at();
  ASSERT_NE(at, ~std::uint64_t{0});
  now = at;
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, our() - 1);  // SND.UNA - 1, no data: forces an ACK
  EXPECT_TRUE(o.payload.empty());
  EXPECT_EQ(s.counters().window_probes, 1u);
  EXPECT_GT(s.poll_at(), now + 1000);  // backed off
  // The window opens: data flows.
  send_seg(seg(F::ack, remote_seq + 1, our(), 100));
  o = must_recv();
  EXPECT_EQ(o.payload, bytes("abc"));
}

TEST_F(TcpSocketTest, EstablishedRecvWindowShrinksAndUpdates) {
  establish();
  std::vector<std::uint8_t> d(40, 'a');
  send_seg(seg(F::ack, remote_seq + 1, our()), d);
  auto o = must_recv();
  EXPECT_EQ(o.repr.window, 24);  // 64-byte ring, 40 unread
  std::uint8_t b[40];
  EXPECT_EQ(s.recv(b), 40u);
  // RFC 1122 §4.2.3.3: the window opened by more than half the buffer: update.
  o = must_recv();
  EXPECT_EQ(o.repr.window, 64);
}

TEST_F(TcpSocketTest, EstablishedZeroWindowDataDroppedAckedWithZero) {
  establish();
  std::vector<std::uint8_t> d(64, 'a');
  send_seg(seg(F::ack, remote_seq + 1, our()), d);
  auto o = must_recv();
  EXPECT_EQ(o.repr.window, 0);
  // RCV.WND = 0: the ACK is processed, the data is not, and an ACK says so (§3.10.7.4).
  send_seg(seg(F::ack, remote_seq + 65, our()), bytes("x"));
  EXPECT_EQ(s.recv_queued(), 64u);
  o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 65);
  EXPECT_EQ(o.repr.window, 0);
}

TEST_F(TcpSocketTest, AbortSendsReset) {
  establish();
  s.abort();
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::aborted);
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::rst | F::ack);
  EXPECT_EQ(o.repr.seq, our());
  expect_nothing();
}

// ---- ESTABLISHED: loss recovery, delayed ACK, Nagle, keepalive ---------------------------

class TcpBulkTest : public TcpSocketTest {
 protected:
  static tcp_config cfg(bool sack) {
    tcp_config c = plain_config();
    c.rx_buffer = c.tx_buffer = 64 * 1024;
    c.sack = sack;
    c.mtu = 140;  // MSS 100
    c.nodelay = false;
    return c;
  }
  TcpBulkTest() : TcpSocketTest(cfg(false)) {}
  void establish_with(bool sack) {
    ASSERT_TRUE(s.listen(local_ep));
    auto syn = seg(F::syn, remote_seq, 0, 60000);
    syn.mss = 100;
    syn.sack_permitted = sack;
    send_seg(syn);
    must_recv();
    send_seg(seg(F::ack, remote_seq + 1, s.iss() + 1, 60000));
    ASSERT_EQ(s.state(), tcp_state::established);
  }
};

TEST_F(TcpBulkTest, FastRetransmitOnThreeDupAcks) {
  establish_with(false);
  std::vector<std::uint8_t> d(1000, 'd');
  s.send(d);
  std::vector<out_seg> sent;
  while (auto o = recv_seg()) sent.push_back(*o);
  ASSERT_EQ(sent.size(), 10u);  // initial window: 10 segments (RFC 6928)
  // Segment 0 lost; 1, 2, 3 arrive: three duplicate ACKs (RFC 5681 §3.2).
  for (int i = 0; i < 2; ++i) {
    send_seg(seg(F::ack, remote_seq + 1, our(), 60000));
    expect_nothing();
  }
  send_seg(seg(F::ack, remote_seq + 1, our(), 60000));
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, our());
  EXPECT_EQ(o.payload.size(), 100u);
  EXPECT_EQ(s.counters().fast_retransmits, 1u);
  // NewReno partial ACK (RFC 6582 §3.2 step 4): the next hole goes at once.
  send_seg(seg(F::ack, remote_seq + 1, our() + 500, 60000));
  o = must_recv();
  EXPECT_EQ(o.repr.seq, our() + 500);
  // Full ACK ends recovery.
  send_seg(seg(F::ack, remote_seq + 1, our() + 1000, 60000));
  EXPECT_EQ(s.send_queued(), 0u);
}

TEST_F(TcpBulkTest, LimitedTransmitOnFirstTwoDupAcks) {
  establish_with(false);
  std::vector<std::uint8_t> d(2000, 'd');
  s.send(d);
  int sent = 0;
  while (recv_seg()) ++sent;
  ASSERT_EQ(sent, 10);
  // RFC 3042: each of the first two duplicate ACKs sends one new segment.
  send_seg(seg(F::ack, remote_seq + 1, our(), 60000));
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, our() + 1000);
  expect_nothing();
  send_seg(seg(F::ack, remote_seq + 1, our(), 60000));
  o = must_recv();
  EXPECT_EQ(o.repr.seq, our() + 1100);
  expect_nothing();
  send_seg(seg(F::ack, remote_seq + 1, our(), 60000));
  o = must_recv();
  EXPECT_EQ(o.repr.seq, our());  // the third: fast retransmit
}

TEST_F(TcpBulkTest, PeerWindowScaled) {
  ASSERT_TRUE(s.listen(local_ep));
  s.~tcp_socket();
  tcp_config c = cfg(false);
  c.window_scaling = true;
  new (&s) tcp_socket(c, key);
  ASSERT_TRUE(s.listen(local_ep));
  auto syn = seg(F::syn, remote_seq, 0, 1000);
  syn.mss = 100;
  syn.window_scale = 4;
  send_seg(syn);
  auto sa = must_recv();
  ASSERT_TRUE(sa.repr.window_scale);
  EXPECT_EQ(*sa.repr.window_scale, 1);  // 64 KiB ring: one shift
  EXPECT_EQ(s.send_window(), 1000u);      // the SYN's window is not scaled (RFC 7323 §2.2)
  send_seg(seg(F::ack, remote_seq + 1, s.iss() + 1, 1000));
  EXPECT_EQ(s.send_window(), 16000u);     // later ones are: 1000 << 4
}

TEST_F(TcpBulkTest, WindowClosedWhileDataLostPersistsAfterTimeout) {
  establish_with(false);
  std::vector<std::uint8_t> d(300, 'd');
  s.send(d);
  while (recv_seg()) {}
  // The first segment arrives and the window closes; the other two are lost.
  send_seg(seg(F::ack, remote_seq + 1, our() + 100, 0));
  now = s.poll_at();  // RTO
  expect_nothing();   // back to SND.UNA, but the window is shut
  // RFC 9293 §3.8.6.1: the persist timer must take over, or the connection would stall.
  std::uint64_t at = s.poll_at();
  ASSERT_NE(at, ~std::uint64_t{0});
  now = at;
  auto o = must_recv();
  EXPECT_TRUE(o.payload.empty());  // a window probe
  send_seg(seg(F::ack, remote_seq + 1, our() + 100, 60000));
  o = must_recv();
  EXPECT_EQ(o.repr.seq, our() + 100);  // and the lost data goes again
}

class TcpSackTest : public TcpBulkTest {
 protected:
  TcpSackTest() { s.~tcp_socket(); new (&s) tcp_socket(cfg(true), key); }
};

TEST_F(TcpSackTest, SackRecoveryRetransmitsOnlyHoles) {
  establish_with(true);
  ASSERT_TRUE(s.sack_enabled());
  std::vector<std::uint8_t> d(1000, 'd');
  s.send(d);
  while (recv_seg()) {}
  // Segments 0 and 3 lost; the receiver SACKs [1,3) and [4,7) (RFC 6675).
  auto a = seg(F::ack, remote_seq + 1, our(), 60000);
  a.sack_count = 2;
  a.sack[0] = {our() + 400, our() + 700};
  a.sack[1] = {our() + 100, our() + 300};
  send_seg(a);
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, our());
  EXPECT_EQ(s.counters().fast_retransmits, 1u);
  // Next hole: segment 3 (HighRxt moved past segment 0).
  std::vector<std::uint32_t> seqs;
  while (auto n = recv_seg()) seqs.push_back(n->repr.seq);
  ASSERT_FALSE(seqs.empty());  // pipe (1000 - 500 SACKed - 100 lost) + 100 fits cwnd 700
  EXPECT_EQ(seqs[0], our() + 300);
}

TEST_F(TcpSackTest, TimeoutSkipsSackedData) {
  establish_with(true);
  std::vector<std::uint8_t> d(500, 'd');
  s.send(d);
  while (recv_seg()) {}
  // Segment 0 lost, [1, 3) SACKed: not enough for fast retransmit; the timer fires.
  auto a = seg(F::ack, remote_seq + 1, our(), 60000);
  a.sack_count = 1;
  a.sack[0] = {our() + 100, our() + 300};
  send_seg(a);
  expect_nothing();
  now = s.poll_at();
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, our());
  // The ACK for it lets cwnd grow; going back, the SACKed [100, 300) is skipped (RFC 6675 §5.1).
  send_seg(seg(F::ack, remote_seq + 1, our() + 100, 60000));
  o = must_recv();
  EXPECT_EQ(o.repr.seq, our() + 300);
}

TEST_F(TcpSackTest, ReceiverSendsSackBlocksMostRecentFirst) {
  establish_with(true);
  std::vector<std::uint8_t> d(50, 'x');
  send_seg(seg(F::ack, remote_seq + 1 + 100, our(), 60000), d);
  auto o = must_recv();
  ASSERT_EQ(o.repr.sack_count, 1);
  EXPECT_EQ(o.repr.sack[0], (wire::tcp_sack_block{remote_seq + 101, remote_seq + 151}));
  send_seg(seg(F::ack, remote_seq + 1 + 300, our(), 60000), d);
  o = must_recv();
  ASSERT_EQ(o.repr.sack_count, 2);
  EXPECT_EQ(o.repr.sack[0], (wire::tcp_sack_block{remote_seq + 301, remote_seq + 351}));
  EXPECT_EQ(o.repr.sack[1], (wire::tcp_sack_block{remote_seq + 101, remote_seq + 151}));
}

TEST_F(TcpBulkTest, DelayedAckAfterQuickAcks) {
  establish_with(false);
  std::uint32_t seq = remote_seq + 1;
  std::vector<std::uint8_t> d(100, 'x');
  for (int i = 0; i < 16; ++i) {  // quick-ACK mode: every segment
    send_seg(seg(F::ack, seq, our(), 60000), d);
    seq += 100;
    must_recv();
    recv_all();
  }
  // RFC 1122 §4.2.3.2: one segment waits up to the delay; the second is ACKed at once.
  send_seg(seg(F::ack, seq, our(), 60000), d);
  seq += 100;
  recv_all();
  expect_nothing();
  EXPECT_EQ(s.poll_at(), now + 40);
  send_seg(seg(F::ack, seq, our(), 60000), d);
  seq += 100;
  recv_all();
  auto o = must_recv();
  EXPECT_EQ(o.repr.ack, seq);
  send_seg(seg(F::ack, seq, our(), 60000), d);
  seq += 100;
  recv_all();
  expect_nothing();
  now += 40;
  o = must_recv();
  EXPECT_EQ(o.repr.ack, seq);
  EXPECT_EQ(s.counters().delayed_acks, 1u);
}

TEST_F(TcpBulkTest, NagleHoldsSmallSegmentsWhileUnacked) {
  establish_with(false);
  s.send(bytes("a"));
  must_recv();
  s.send(bytes("b"));
  expect_nothing();  // RFC 1122 §4.2.3.4: small data waits for the ACK
  send_seg(seg(F::ack, remote_seq + 1, our() + 1, 60000));
  auto o = must_recv();
  EXPECT_EQ(o.payload, bytes("b"));
  s.set_nodelay(true);
  s.send(bytes("c"));
  o = must_recv();
  EXPECT_EQ(o.payload, bytes("c"));
}

TEST_F(TcpBulkTest, KeepaliveProbesThenTimesOut) {
  establish_with(false);
  s.set_keepalive(10000);
  EXPECT_EQ(s.poll_at(), 0u);  // poll() starts the idle timer
  expect_nothing();
  EXPECT_EQ(s.poll_at(), now + 10000);
  now += 10000;
  auto o = must_recv();
  EXPECT_EQ(o.repr.seq, our() - 1);  // RFC 1122 §4.2.3.6: a garbage-free probe
  EXPECT_EQ(s.counters().keepalives, 1u);
  // An answer re-arms the idle timer.
  send_seg(seg(F::ack, remote_seq + 1, our(), 60000));
  EXPECT_EQ(s.poll_at(), now + 10000);
  for (int i = 0; i < 20 && s.state() != tcp_state::closed; ++i) {
    now = s.poll_at();
    recv_seg();
  }
  EXPECT_EQ(s.error(), tcp_socket_error::timed_out);
  EXPECT_EQ(s.counters().keepalives, 1u + 9);
}

// Issue 11: the receive window auto-tunes up to the bandwidth-delay product of 1 Gbit/s x
// 100 ms (12.5 MB) when the ring allows it. One round = one 100 ms RTT; b reads only between
// rounds, so a round moves exactly one advertised window, which starts at 64 KiB and doubles
// while the sender keeps it full.
TEST(TcpPair, WindowAutotunesToTheBdpOfAGigabitAt100Ms) {
  tcp_config c;
  c.rx_buffer = c.tx_buffer = 16u << 20;
  tcp_socket a(c, key), b(c, key);
  std::uint64_t now = 0;
  auto pump = [&] {
    for (int i = 0; i < 100000; ++i) {
      bool any = false;
      tcp_segment seg;
      std::vector<std::uint8_t> d;
      for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
        while (from->poll(now, seg)) {
          any = true;
          d.assign(seg.payload1.begin(), seg.payload1.end());
          d.insert(d.end(), seg.payload2.begin(), seg.payload2.end());
          auto r = seg.repr;
          to->process(now, r, d, seg.local, seg.remote);
        }
      }
      if (!any) return;
    }
  };
  ASSERT_TRUE(b.listen(local_ep));
  ASSERT_TRUE(a.connect(now, remote_ep, local_ep));
  pump();
  ASSERT_EQ(b.state(), tcp_state::established);
  std::vector<std::uint8_t> buf(16u << 20, 7);
  std::size_t last_round = 0, rounds = 0;
  while (rounds < 40 && last_round < 12'500'000) {
    now += 100;
    a.send(buf);
    pump();
    last_round = 0;
    while (std::size_t n = b.recv(buf)) last_round += n;
    ++rounds;
  }
  EXPECT_GE(last_round, 12'500'000u) << "after " << rounds << " RTTs";
  EXPECT_LE(rounds, 12u);  // 64 KiB doubling per RTT: 8 doublings past 12.5 MB
  EXPECT_EQ(a.counters().retransmits, 0u);
}

TEST(TcpPair, SimultaneousCloseAndAutotunedWindow) {
  // Two sockets wired back to back; both close at the same time (§3.6 figure 13): each goes
  // FIN-WAIT-1 -> CLOSING -> TIME-WAIT.
  tcp_config c;
  c.rx_buffer = c.tx_buffer = 1 << 20;
  c.time_wait_ms = 100;
  tcp_socket a(c, key), b(c, key);
  std::uint64_t now = 0;
  auto pump = [&] {
    for (int i = 0; i < 1000; ++i) {
      bool any = false;
      tcp_segment seg;
      for (auto [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
        while (from->poll(now, seg)) {
          any = true;
          std::vector<std::uint8_t> d;
          d.insert(d.end(), seg.payload1.begin(), seg.payload1.end());
          d.insert(d.end(), seg.payload2.begin(), seg.payload2.end());
          auto r = seg.repr;
          to->process(now, r, d, seg.local, seg.remote);
        }
      }
      if (!any) return;
    }
  };
  ASSERT_TRUE(b.listen(local_ep));
  ASSERT_TRUE(a.connect(now, remote_ep, local_ep));
  pump();
  ASSERT_EQ(a.state(), tcp_state::established);
  ASSERT_EQ(b.state(), tcp_state::established);
  // Bulk data with a 10 ms clock step per round: the advertised window starts at 64 KiB and
  // grows toward the 1 MiB ring as the sender keeps it full.
  // b reads only between rounds, so a round moves at most one advertised window.
  std::vector<std::uint8_t> buf(1 << 20, 1);
  std::size_t last_round = 0;
  for (int i = 0; i < 200; ++i) {
    now += 10;
    a.send(buf);
    pump();
    last_round = 0;
    while (std::size_t n = b.recv(buf)) last_round += n;
  }
  EXPECT_GT(b.counters().bytes_in, 8u << 20);
  EXPECT_GT(last_round, 256u * 1024);  // the advertised window grew past its 64 KiB start
  for (int i = 0; i < 100 && a.send_queued(); ++i) {
    now += 10;
    pump();
    while (b.recv(buf)) {}
  }
  ASSERT_EQ(a.send_queued(), 0u);
  a.close();
  b.close();
  EXPECT_EQ(a.state(), tcp_state::fin_wait_1);
  EXPECT_EQ(b.state(), tcp_state::fin_wait_1);
  // Exchange the two FINs before either sees an ACK.
  tcp_segment fa, fb;
  while (a.poll(now, fa) && !(fa.repr.flags & F::fin)) {}
  while (b.poll(now, fb) && !(fb.repr.flags & F::fin)) {}
  ASSERT_TRUE(fa.repr.flags & F::fin);
  ASSERT_TRUE(fb.repr.flags & F::fin);
  wire::tcp_repr ra = fa.repr, rb = fb.repr;
  b.process(now, ra, {}, fa.local, fa.remote);
  a.process(now, rb, {}, fb.local, fb.remote);
  EXPECT_EQ(a.state(), tcp_state::closing);
  EXPECT_EQ(b.state(), tcp_state::closing);
  pump();
  EXPECT_EQ(a.state(), tcp_state::time_wait);
  EXPECT_EQ(b.state(), tcp_state::time_wait);
  now += 100;
  pump();
  EXPECT_EQ(a.state(), tcp_state::closed);
  EXPECT_EQ(b.state(), tcp_state::closed);
}

// ---- Options ----------------------------------------------------------------------------

TEST(TcpOptions, WindowScaleTimestampsSackNegotiated) {
  tcp_config c;
  c.rx_buffer = 1 << 20;
  c.mtu = 2800;
  tcp_socket s(c, key);
  std::uint64_t now = 5000;
  ASSERT_TRUE(s.connect(now, local_ep, remote_ep));
  tcp_segment out;
  ASSERT_TRUE(s.poll(now, out));
  EXPECT_EQ(out.repr.mss, 2760);  // 2800 - 40
  EXPECT_EQ(out.repr.window_scale, 5);  // 1 MiB >> 5 fits 16 bits
  EXPECT_TRUE(out.repr.sack_permitted);
  ASSERT_TRUE(out.repr.ts);
  EXPECT_EQ(out.repr.ts->ecr, 0u);
  EXPECT_EQ(out.repr.window, 65535);  // never scaled in a SYN
  std::uint32_t tsval = out.repr.ts->val;

  auto sa = seg(F::syn | F::ack, remote_seq, s.iss() + 1, 1000);
  sa.mss = 9000;
  sa.window_scale = 20;  // clamped to 14 (RFC 7323 §2.3)
  sa.sack_permitted = true;
  sa.ts = tcp_repr::timestamps{777, tsval};
  now += 30;
  EXPECT_EQ(s.process(now, sa, {}), tcp_input::accepted);
  EXPECT_EQ(s.mss(), 2760u - 12);  // ours is smaller; timestamps take 12 bytes
  EXPECT_EQ(s.send_window_shift(), 14);
  EXPECT_TRUE(s.timestamps_enabled());
  EXPECT_TRUE(s.sack_enabled());
  EXPECT_EQ(s.srtt_ms(), 30u);  // RTT from the echoed timestamp
  ASSERT_TRUE(s.poll(now, out));
  ASSERT_TRUE(out.repr.ts);
  EXPECT_EQ(out.repr.ts->ecr, 777u);
  // Later windows are scaled by our shift.
  EXPECT_LE(out.repr.window, 65535 >> 0);
  EXPECT_EQ(out.repr.window, (64 * 1024) >> 5);  // autotuning starts at 64 KiB
}

TEST(TcpOptions, PawsDropsOldTimestamp) {
  tcp_config c = plain_config();
  c.timestamps = true;
  tcp_socket s(c, key);
  ASSERT_TRUE(s.listen(local_ep));
  auto syn = seg(F::syn, remote_seq);
  syn.ts = tcp_repr::timestamps{1000, 0};
  s.process(1000, syn, {}, remote_ep, local_ep);
  tcp_segment out;
  ASSERT_TRUE(s.poll(1000, out));
  ASSERT_TRUE(out.repr.ts);
  auto a = seg(F::ack, remote_seq + 1, s.iss() + 1);
  a.ts = tcp_repr::timestamps{1001, out.repr.ts->val};
  s.process(1001, a, {});
  ASSERT_EQ(s.state(), tcp_state::established);
  // RFC 7323 §5.3: SEG.TSval < TS.Recent: drop, and ACK.
  auto old = seg(F::ack, remote_seq + 1, s.iss() + 1);
  old.ts = tcp_repr::timestamps{900, 0};
  std::uint8_t d[3] = {1, 2, 3};
  EXPECT_EQ(s.process(1002, old, d), tcp_input::dropped);
  EXPECT_EQ(s.counters().paws_dropped, 1u);
  EXPECT_EQ(s.recv_queued(), 0u);
  ASSERT_TRUE(s.poll(1002, out));
  EXPECT_EQ(out.repr.flags, F::ack);
}

TEST(TcpOptions, MssClampedToIpv6Mtu) {
  tcp_config c = plain_config();
  c.mtu = 1500;
  tcp_socket s(c, key);
  std::array<std::uint8_t, 16> a{}, b{};
  a[0] = b[0] = 0xfd;
  a[15] = 1;
  b[15] = 2;
  ASSERT_TRUE(s.connect(0, inet_address::v6(a, 80), inet_address::v6(b, 1000)));
  tcp_segment out;
  ASSERT_TRUE(s.poll(0, out));
  EXPECT_EQ(out.repr.mss, 1440);  // 1500 - 60
  std::vector<std::uint8_t> buf(out.len());
  out.emit(buf);
  tcp_repr back;
  EXPECT_EQ(tcp_repr::parse(*wire::tcp_packet::new_checked(buf), wire::ipv6_address::from_inet(out.local),
                            wire::ipv6_address::from_inet(out.remote), back),
            wire::tcp_error::ok);
}

TEST(TcpIsn, KeyedByTupleAndAdvancingWithTime) {
  // RFC 6528 §3.
  auto other = remote_ep;
  other.port = 49501;
  EXPECT_NE(tcp_initial_seq(key, local_ep, remote_ep, 0), tcp_initial_seq(key, local_ep, other, 0));
  EXPECT_EQ(tcp_initial_seq(key, local_ep, remote_ep, 1000) - tcp_initial_seq(key, local_ep, remote_ep, 0),
            250000u);  // 4 µs ticks
  siphash_key k2 = key;
  k2[0] ^= 1;
  EXPECT_NE(tcp_initial_seq(key, local_ep, remote_ep, 0), tcp_initial_seq(k2, local_ep, remote_ep, 0));
}

TEST(TcpSiphash, ReferenceVector) {
  // SipHash-2-4 paper, appendix A: key 00..0f, message 00..0e -> a129ca6149be45e5.
  siphash_key k;
  for (int i = 0; i < 16; ++i) k[i] = static_cast<std::uint8_t>(i);
  std::uint8_t m[15];
  for (int i = 0; i < 15; ++i) m[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(siphash24(k, m), 0xa129ca6149be45e5ull);
  EXPECT_EQ(siphash24(k, {}), 0x726fdb47dd0e0e31ull);
}

// ---- FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT (§3.10.4, §3.10.7.4, §3.6) --------------

TEST_F(TcpSocketTest, ActiveCloseThroughTimeWait) {
  establish();
  s.close();
  EXPECT_EQ(s.state(), tcp_state::fin_wait_1);
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags, F::fin | F::ack);
  EXPECT_EQ(o.repr.seq, our());
  send_seg(seg(F::ack, remote_seq + 1, our() + 1));
  EXPECT_EQ(s.state(), tcp_state::fin_wait_2);
  send_seg(seg(F::fin | F::ack, remote_seq + 1, our() + 1));
  EXPECT_EQ(s.state(), tcp_state::time_wait);
  o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 2);
  EXPECT_EQ(s.poll_at(), now + 1000);  // 2 MSL as configured
  // A retransmitted FIN is ACKed again and restarts the timer.
  now += 500;
  send_seg(seg(F::fin | F::ack, remote_seq + 1, our() + 1));
  o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 2);
  EXPECT_EQ(s.poll_at(), now + 1000);
  now += 1000;
  expect_nothing();
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::none);
}

TEST_F(TcpSocketTest, FinWait1FinAckTogetherGoesTimeWait) {
  establish();
  s.close();
  must_recv();
  send_seg(seg(F::fin | F::ack, remote_seq + 1, our() + 1));
  EXPECT_EQ(s.state(), tcp_state::time_wait);
}

TEST_F(TcpSocketTest, SimultaneousCloseThroughClosing) {
  establish();
  s.close();
  must_recv();
  // Their FIN crosses ours (§3.6 figure 13): CLOSING, then their ACK: TIME-WAIT.
  send_seg(seg(F::fin | F::ack, remote_seq + 1, our()));
  EXPECT_EQ(s.state(), tcp_state::closing);
  auto o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 2);
  send_seg(seg(F::ack, remote_seq + 2, our() + 1));
  EXPECT_EQ(s.state(), tcp_state::time_wait);
}

TEST_F(TcpSocketTest, FinRetransmittedOnTimeout) {
  establish();
  s.shutdown_write();
  must_recv();
  now += 1000;
  auto o = must_recv();
  EXPECT_EQ(o.repr.flags & F::fin, F::fin);
  EXPECT_EQ(o.repr.seq, our());
}

TEST_F(TcpSocketTest, HalfCloseStillReceives) {
  establish();
  s.send(bytes("req"));
  s.shutdown_write();
  auto o = must_recv();
  EXPECT_EQ(o.payload, bytes("req"));
  EXPECT_EQ(o.repr.flags & F::fin, F::fin);  // FIN rides on the last data
  send_seg(seg(F::ack, remote_seq + 1, our() + 4));
  EXPECT_EQ(s.state(), tcp_state::fin_wait_2);
  EXPECT_EQ(s.send(bytes("more")), 0u);
  send_seg(seg(F::ack | F::psh, remote_seq + 1, our() + 4), bytes("response"));
  EXPECT_EQ(recv_all(), "response");
  send_seg(seg(F::fin | F::ack, remote_seq + 9, our() + 4));
  EXPECT_EQ(s.state(), tcp_state::time_wait);
  EXPECT_TRUE(s.peer_closed());
}

TEST_F(TcpSocketTest, FinWait2TimesOutAfterClose) {
  establish();
  s.close();
  must_recv();
  send_seg(seg(F::ack, remote_seq + 1, our() + 1));
  EXPECT_EQ(s.state(), tcp_state::fin_wait_2);
  now += s.config().fin_wait_2_timeout_ms;
  expect_nothing();
  EXPECT_EQ(s.state(), tcp_state::closed);
}

TEST_F(TcpSocketTest, OutOfOrderFinWaitsForData) {
  establish();
  send_seg(seg(F::fin | F::ack, remote_seq + 4, our()), bytes("def"));
  EXPECT_EQ(s.state(), tcp_state::established);
  send_seg(seg(F::ack, remote_seq + 1, our()), bytes("abc"));
  EXPECT_EQ(s.state(), tcp_state::close_wait);
  EXPECT_EQ(recv_all(), "abcdef");
}

// ---- CLOSE-WAIT, LAST-ACK ----------------------------------------------------------------

TEST_F(TcpSocketTest, PassiveCloseThroughLastAck) {
  establish();
  send_seg(seg(F::fin | F::ack, remote_seq + 1, our()));
  EXPECT_EQ(s.state(), tcp_state::close_wait);
  auto o = must_recv();
  EXPECT_EQ(o.repr.ack, remote_seq + 2);
  // Half-closed by the peer: we may still send.
  EXPECT_EQ(s.send(bytes("bye")), 3u);
  o = must_recv();
  EXPECT_EQ(o.payload, bytes("bye"));
  s.close();
  EXPECT_EQ(s.state(), tcp_state::last_ack);
  o = must_recv();
  EXPECT_EQ(o.repr.flags & F::fin, F::fin);
  EXPECT_EQ(o.repr.seq, our() + 3);
  send_seg(seg(F::ack, remote_seq + 2, our() + 4));
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::none);
}

TEST_F(TcpSocketTest, LastAckRstCloses) {
  establish();
  send_seg(seg(F::fin | F::ack, remote_seq + 1, our()));
  s.close();
  EXPECT_EQ(send_seg(seg(F::rst, remote_seq + 2)), tcp_input::accepted);
  EXPECT_EQ(s.state(), tcp_state::closed);
}

TEST_F(TcpSocketTest, CloseWaitRstResets) {
  establish();
  send_seg(seg(F::fin | F::ack, remote_seq + 1, our()));
  EXPECT_EQ(send_seg(seg(F::rst, remote_seq + 2)), tcp_input::accepted);
  EXPECT_EQ(s.error(), tcp_socket_error::reset);
}

}  // namespace
}  // namespace ztkit::netstack
