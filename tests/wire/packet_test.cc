// The packet header view and repr (ZeroTierOne 1.14.1 Packet.hpp; zerotier-protocol.md §1),
// checked against packets from armor.json.
#include "engine/wire/packet.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

const nlohmann::json* find_case(const nlohmann::json& v, const std::string& name) {
  for (const auto& c : v["cases"]) {
    if (c["name"].get<std::string>() == name) return &c;
  }
  ADD_FAILURE() << "no case " << name;
  return nullptr;
}

TEST(PacketView, NeedsTheMinimumLength) {
  bytes b(27);
  EXPECT_FALSE(packet_view::checked(b));
  EXPECT_FALSE(const_packet_view::checked(std::span<const std::uint8_t>()));
  b.push_back(0);
  ASSERT_TRUE(packet_view::checked(b));
  EXPECT_TRUE(packet_view::checked(b)->payload().empty());
  EXPECT_EQ(packet_view::checked(b)->armored_part().size(), 1u);
}

TEST(PacketView, ReadsTheVectorHeaders) {
  ZTKIT_LOAD_VECTORS(v, "armor.json");
  const auto* c1 = find_case(v, "FRAME cipher 1 relayed (hop count incremented after armor)");
  ASSERT_NE(c1, nullptr);
  const bytes rx = test::hex_bytes((*c1)["received_packet"]);
  const auto p = const_packet_view::checked(rx);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->packet_id(), 0x0f0e0d0c0b0a0900ULL);
  EXPECT_EQ(p->destination().to_string(), "a35cc3ba44");
  EXPECT_EQ(p->source().to_string(), "3d55811c5e");
  EXPECT_EQ(p->flags(), 0x89);
  EXPECT_EQ(p->cipher(), 1);
  EXPECT_EQ(p->hops(), 1);
  EXPECT_FALSE(p->fragmented());
  EXPECT_EQ(p->mac_be64(), load_be64(rx.data() + 19));
  EXPECT_EQ(p->mac()[0], rx[19]);
  EXPECT_EQ(p->size(), rx.size());
  EXPECT_EQ(p->payload().size(), rx.size() - 28);

  const bytes dear = test::hex_bytes((*c1)["dearmored_packet"]);
  const auto d = *const_packet_view::checked(dear);
  EXPECT_EQ(d.verb(), verb::frame);
  EXPECT_FALSE(d.compressed());
  EXPECT_EQ(verb_name(d.verb()), "FRAME");

  const auto* c3 = find_case(v, "FRAME cipher 3 relayed (hop count incremented after armor)");
  ASSERT_NE(c3, nullptr);
  const bytes rx3 = test::hex_bytes((*c3)["received_packet"]);
  const auto p3 = *const_packet_view::checked(rx3);
  EXPECT_EQ(p3.flags(), 0x19);
  EXPECT_EQ(p3.cipher(), 3);
  EXPECT_EQ(p3.hops(), 1);

  const auto* cz = find_case(v, "NETWORK_CONFIG_REQUEST, LZ4-compressed then cipher 1");
  ASSERT_NE(cz, nullptr);
  const bytes z = test::hex_bytes((*cz)["dearmored_packet"]);
  const auto pz = *const_packet_view::checked(z);
  EXPECT_TRUE(pz.compressed());
  EXPECT_EQ(pz.verb(), verb::network_config_request);
  EXPECT_EQ(pz.verb_byte(), 0x8b);
}

TEST(PacketView, SetCipherKeepsTheLegacyFlagAsOneFourteenDoes) {
  bytes b(40, 0);
  const auto p = *packet_view::checked(b);
  p.set_cipher(1);
  EXPECT_EQ(p.flags(), 0x88);
  p.set_cipher(0);
  EXPECT_EQ(p.flags(), 0x00);
  p.set_cipher(3);
  EXPECT_EQ(p.flags(), 0x18);
  p.set_fragmented(true);
  EXPECT_EQ(p.flags(), 0x58);
  p.set_cipher(1);
  EXPECT_EQ(p.flags(), 0xc8);
  EXPECT_TRUE(p.fragmented());
  p.set_fragmented(false);
  EXPECT_EQ(p.flags(), 0x88);
  p.set_cipher(2);
  EXPECT_EQ(p.flags(), 0x10);
}

TEST(PacketView, HopsIncrementAndWrapInTheLowBitsOnly) {
  bytes b(28, 0);
  const auto p = *packet_view::checked(b);
  p.set_flags(0xf8);
  for (int i = 1; i <= 7; ++i) {
    p.increment_hops();
    EXPECT_EQ(p.hops(), i);
    EXPECT_EQ(p.flags() & 0xf8, 0xf8);
  }
  p.increment_hops();
  EXPECT_EQ(p.hops(), 0);
  EXPECT_EQ(p.flags(), 0xf8);
  p.set_hops(9);
  EXPECT_EQ(p.hops(), 1);
}

TEST(PacketView, SettersWriteBigEndianFields) {
  bytes b(30, 0);
  const auto p = *packet_view::checked(b);
  p.set_packet_id(0x0102030405060708ULL);
  p.set_destination(zt_address(0xa35cc3ba44ULL));
  p.set_source(zt_address(0x3d55811c5eULL));
  p.set_mac_be64(0x1112131415161718ULL);
  p.set_verb(verb::user_message, true);
  const bytes expect = test::hex_bytes(
      "0102030405060708a35cc3ba443d55811c5e00111213141516171894" "0000");
  EXPECT_EQ(b, expect);
  p.set_compressed(false);
  EXPECT_EQ(b[27], 0x14);
  p.set_compressed(true);
  EXPECT_EQ(b[27], 0x94);
}

TEST(PacketHeader, ParseEmitRoundTrip) {
  ZTKIT_LOAD_VECTORS(v, "armor.json");
  for (const auto& c : v["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    for (const char* field : {"armored_packet", "received_packet", "dearmored_packet"}) {
      const bytes pkt = test::hex_bytes(c[field]);
      const auto h = packet_header::parse(pkt);
      ASSERT_TRUE(h.ok());
      std::array<std::uint8_t, 28> out{};
      writer w(out);
      h->emit(w);
      ASSERT_TRUE(w.ok());
      EXPECT_EQ(w.size(), packet_header::buffer_len());
      // The first 27 bytes round-trip exactly; of the verb byte (ciphertext in armored
      // packets) the verb and the compressed flag, not the unused bits 0x60.
      EXPECT_EQ(bytes(out.begin(), out.begin() + 27), bytes(pkt.begin(), pkt.begin() + 27));
      EXPECT_EQ(out[27], pkt[27] & 0x9f);
      EXPECT_EQ(packet_header::parse(out).value(), *h);
    }
  }
}

TEST(PacketHeader, RandomReprsRoundTrip) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    packet_header h;
    h.packet_id = rng();
    h.destination = zt_address(rng());
    h.source = zt_address(rng());
    h.fragmented = rng() & 1;
    h.cipher = rng() & 7;
    h.hops = rng() & 7;
    h.mac = rng();
    h.verb = rng() & 31;
    h.compressed = rng() & 1;
    bytes buf(28 + rng() % 10);
    h.emit(*packet_view::checked(buf));
    const auto back = packet_header::parse(buf);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, h);
    EXPECT_EQ((buf[18] & 0x80) != 0, h.cipher == 1);
  }
}

TEST(PacketHeader, ShortInputsAreErrors) {
  bytes b(27, 0);
  const auto h = packet_header::parse(b);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.code(), errc::invalid_argument);
  EXPECT_NE(h.message().find("27"), std::string::npos);

  std::array<std::uint8_t, 27> out{};
  writer w(out);
  packet_header{}.emit(w);
  EXPECT_FALSE(w.ok());
}

TEST(Verbs, NamesCoverEveryOneFourteenVerb) {
  const std::vector<std::pair<int, std::string>> all = {
      {0x00, "NOP"}, {0x01, "HELLO"}, {0x02, "ERROR"}, {0x03, "OK"}, {0x04, "WHOIS"},
      {0x05, "RENDEZVOUS"}, {0x06, "FRAME"}, {0x07, "EXT_FRAME"}, {0x08, "ECHO"},
      {0x09, "MULTICAST_LIKE"}, {0x0a, "NETWORK_CREDENTIALS"},
      {0x0b, "NETWORK_CONFIG_REQUEST"}, {0x0c, "NETWORK_CONFIG"}, {0x0d, "MULTICAST_GATHER"},
      {0x0e, "MULTICAST_FRAME"}, {0x10, "PUSH_DIRECT_PATHS"}, {0x12, "ACK"},
      {0x13, "QOS_MEASUREMENT"}, {0x14, "USER_MESSAGE"}, {0x15, "REMOTE_TRACE"},
      {0x16, "PATH_NEGOTIATION_REQUEST"}};
  std::set<int> known;
  for (const auto& [v, name] : all) {
    EXPECT_EQ(verb_name(static_cast<std::uint8_t>(v)), name);
    EXPECT_EQ(verb_name(static_cast<verb>(v)), name);
    EXPECT_TRUE(verb_known(static_cast<std::uint8_t>(v)));
    known.insert(v);
  }
  for (int v = 0; v < 256; ++v) {
    if (known.count(v)) continue;
    EXPECT_EQ(verb_name(static_cast<std::uint8_t>(v)), "UNKNOWN") << v;
    EXPECT_FALSE(verb_known(static_cast<std::uint8_t>(v)));
  }
}

TEST(ErrorCodes, Names) {
  EXPECT_EQ(error_code_name(error_code::none), "NONE");
  EXPECT_EQ(error_code_name(error_code::obj_not_found), "OBJ_NOT_FOUND");
  EXPECT_EQ(error_code_name(error_code::identity_collision), "IDENTITY_COLLISION");
  EXPECT_EQ(error_code_name(error_code::need_membership_certificate),
            "NEED_MEMBERSHIP_CERTIFICATE");
  EXPECT_EQ(error_code_name(error_code::network_authentication_required),
            "NETWORK_AUTHENTICATION_REQUIRED");
  EXPECT_EQ(static_cast<int>(error_code::network_authentication_required), 9);
  EXPECT_EQ(error_code_name(std::uint8_t{10}), "UNKNOWN");
  EXPECT_EQ(cipher_suite_name(3), "AES_GMAC_SIV");
  EXPECT_EQ(cipher_suite_name(7), "?");
}

TEST(Constants, MatchOneFourteen) {
  EXPECT_EQ(packet_min_length, 28u);
  EXPECT_EQ(min_fragment_length, 16u);
  EXPECT_EQ(packet_max_length, 10024u);
  EXPECT_EQ(packet_max_length, max_packet_fragments * default_phys_mtu);
  EXPECT_EQ(max_sendable_packet_length, default_phys_mtu + 6 * (default_phys_mtu - 16));
  EXPECT_EQ(protocol_version, 12);
  EXPECT_EQ(packet_header::buffer_len(), packet_idx_payload);
}

}  // namespace
}  // namespace ztkit::wire
