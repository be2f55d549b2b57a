// Every packet of every real capture in ../shared/captures decodes completely with the engine's
// wire codecs (reassembly, dearmor with the capture's identities, LZ4, verb payloads with no
// bytes left over), and the count per verb is the one the captures README lists.
#include "tools/ztdump/decoder.h"

#include <map>

#include <gtest/gtest.h>

namespace ztkit::capture {
namespace {

const std::string captures = ZTKIT_CAPTURES_DIR;

decode_report decode_file(const std::string& name) {
  auto dec = decoder::from_directory(captures);
  EXPECT_TRUE(dec.ok()) << dec.message();
  if (!dec.ok()) return {};
  auto file = read_udp_capture(captures + "/" + name);
  EXPECT_TRUE(file.ok()) << file.message();
  if (!file.ok()) return {};
  decode_report report = (*dec)->decode(*file);
  for (const auto& p : report.packets) {
    EXPECT_TRUE(p.ok()) << name << " frame " << p.frame << " (" << p.kind << "): " << p.failure;
  }
  return report;
}

// From ../shared/captures/README.md, "Verb counts".
TEST(CaptureDecode, JoinCaptureEveryPacketAndVerbCount) {
  const decode_report r = decode_file("ztlab-join-tap-a.pcap");
  const std::map<std::string, int> expected = {
      {"HELLO", 9}, {"OK(HELLO)", 9}, {"WHOIS", 7}, {"OK(WHOIS)", 7}, {"RENDEZVOUS", 2},
      {"NETWORK_CONFIG_REQUEST", 1}, {"OK(NETWORK_CONFIG_REQUEST)", 1},
      {"NETWORK_CREDENTIALS", 2}, {"MULTICAST_LIKE", 13}, {"MULTICAST_GATHER", 20},
      {"OK(MULTICAST_GATHER)", 2}, {"MULTICAST_FRAME", 5}, {"OK(MULTICAST_FRAME)", 5},
      {"ERROR(MULTICAST_FRAME)", 1}, {"PUSH_DIRECT_PATHS", 2}, {"FRAME", 42}};
  EXPECT_EQ(r.kinds, expected);
  EXPECT_EQ(r.failures(), 0);
  EXPECT_EQ(r.non_zerotier, 2u);  // the two 4-byte NAT-punch datagrams
  EXPECT_EQ(r.pending_fragments, 0u);
}

TEST(CaptureDecode, HubCaptureEveryPacketAndVerbCount) {
  const decode_report r = decode_file("ztlab-hub-lo.pcap");
  const std::map<std::string, int> expected = {
      {"HELLO", 2}, {"OK(HELLO)", 2}, {"WHOIS", 8}, {"OK(WHOIS)", 8}, {"RENDEZVOUS", 2},
      {"NETWORK_CONFIG_REQUEST", 2}, {"OK(NETWORK_CONFIG_REQUEST)", 1}, {"MULTICAST_LIKE", 6}};
  EXPECT_EQ(r.kinds, expected);
  EXPECT_EQ(r.failures(), 0);
}

TEST(CaptureDecode, FragmentCaptureReassemblesEveryPacket) {
  const decode_report r = decode_file("ztlab-fragments.pcap");
  const std::map<std::string, int> expected = {
      {"WHOIS", 1}, {"OK(WHOIS)", 1}, {"NETWORK_CREDENTIALS", 2}, {"FRAME", 4},
      {"ECHO", 2},  {"OK(ECHO)", 2}};
  EXPECT_EQ(r.kinds, expected);
  EXPECT_EQ(r.failures(), 0);
  EXPECT_EQ(r.pending_fragments, 0u);
  int fragmented = 0;
  for (const auto& p : r.packets) {
    if (p.pieces == 2) {
      ++fragmented;
      EXPECT_EQ(p.kind, "FRAME");
      EXPECT_EQ(p.wire_length, 2066u);  // README: one 2066-byte packet as head + 1 fragment
      EXPECT_EQ(p.cipher, 3);
    }
  }
  EXPECT_EQ(fragmented, 4);
}

TEST(CaptureDecode, RelayedPacketsAreRecognised) {
  const decode_report r = decode_file("ztlab-join-tap-a.pcap");
  ASSERT_GE(r.packets.size(), 22u);
  // Frame 22: the controller's config, relayed by the root (c3, hops 1).
  for (const auto& p : r.packets) {
    if (p.frame == 22) {
      EXPECT_EQ(p.kind, "OK(NETWORK_CONFIG_REQUEST)");
      EXPECT_EQ(p.hops, 1);
      EXPECT_TRUE(p.relayed);
      EXPECT_EQ(p.cipher, 3);
    }
    if (p.frame == 1) {
      EXPECT_EQ(p.kind, "HELLO");
      EXPECT_EQ(p.cipher, 0);
      EXPECT_FALSE(p.relayed);
    }
  }
}

TEST(CaptureDecode, WithoutTheRightIdentityAPacketFailsWithAReason) {
  auto dec = decoder::from_directory(captures);
  ASSERT_TRUE(dec.ok());
  auto file = read_udp_capture(captures + "/ztlab-join-tap-a.pcap");
  ASSERT_TRUE(file.ok());
  // Flip a ciphertext byte of frame 5 (a WHOIS): the MAC check must reject it.
  file->datagrams[4].payload.back() ^= 1;
  const decode_report r = (*dec)->decode(*file);
  EXPECT_EQ(r.failures(), 1);
  for (const auto& p : r.packets) {
    if (!p.ok()) {
      EXPECT_EQ(p.frame, 5u);
      EXPECT_NE(p.failure.find("dearmor"), std::string::npos) << p.failure;
    }
  }
}

TEST(CaptureDecode, MissingIdentityFolderIsAClearError) {
  auto dec = decoder::from_directory(captures + "/no-such-folder");
  EXPECT_FALSE(dec.ok());
  EXPECT_NE(dec.message().find("no-such-folder"), std::string::npos);
}

}  // namespace
}  // namespace ztkit::capture
