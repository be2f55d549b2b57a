// The pcap reader finds every ZeroTier datagram of the real captures in ../shared/captures.
#include "tools/ztdump/capture.h"

#include <gtest/gtest.h>

namespace ztkit::capture {
namespace {

const std::string captures = ZTKIT_CAPTURES_DIR;

TEST(Capture, ReadsEveryDatagramOfTheJoinCapture) {
  auto c = read_udp_capture(captures + "/ztlab-join-tap-a.pcap");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->frames, 130u);  // README: 25064 B, 130 frames
  EXPECT_EQ(c->datagrams.size(), 130u);
  const udp_datagram& first = c->datagrams.front();
  EXPECT_EQ(first.frame, 1u);
  EXPECT_EQ(first.src.to_string(), "172.30.99.11/29992");
  EXPECT_EQ(first.dst.to_string(), "172.30.99.1/29990");
  EXPECT_EQ(first.payload.size(), 137u);  // tap-a's first HELLO
  // Frame 17: the 4-byte NAT-punch datagram sent with IP TTL 2 after RENDEZVOUS.
  const udp_datagram& punch = c->datagrams[16];
  EXPECT_EQ(punch.payload.size(), 4u);
  EXPECT_EQ(punch.ip_ttl, 2);
}

TEST(Capture, ReadsTheOtherCaptures) {
  auto hub = read_udp_capture(captures + "/ztlab-hub-lo.pcap");
  ASSERT_TRUE(hub.ok()) << hub.message();
  EXPECT_EQ(hub->datagrams.size(), 31u);
  auto frags = read_udp_capture(captures + "/ztlab-fragments.pcap");
  ASSERT_TRUE(frags.ok()) << frags.message();
  EXPECT_EQ(frags->datagrams.size(), 16u);
  EXPECT_EQ(frags->datagrams[3].payload.size(), 1432u);  // frame 4: a fragmented head
}

TEST(Capture, MissingOrBogusFileIsAClearError) {
  auto missing = read_udp_capture(captures + "/no-such-file.pcap");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no-such-file.pcap"), std::string::npos);
  auto bogus = read_udp_capture(captures + "/README.md");
  EXPECT_FALSE(bogus.ok());
}

}  // namespace
}  // namespace ztkit::capture
