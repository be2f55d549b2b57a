// Verb payload reprs: real 1.14.1 payloads from armor.json, round trips for every verb,
// truncation at every length, bounded counts (zerotier-protocol.md §3).
#include "engine/wire/verbs.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tests/support/vectors.h"

namespace ztkit::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

crypto::identity identity_from(const std::string& text) {
  auto id = crypto::identity::from_string(text);
  EXPECT_TRUE(id.ok()) << id.message();
  // Public part only, as on the wire.
  return crypto::identity::from_string(id->to_string(false)).value();
}

// parse_payload(emit(x)) == x exactly, and emit's length is buffer_len().
template <typename T>
void expect_round_trip(const T& x) {
  const bytes b = emit_payload(x);
  EXPECT_EQ(b.size(), x.buffer_len());
  auto p = parse_payload<T>(b);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_TRUE(p->exact()) << p->left_over;
  EXPECT_TRUE(p->value == x);
  EXPECT_EQ(emit_payload(p->value), b);
}

// Every prefix either fails or parses into something that re-emits exactly the bytes it read.
template <typename T>
void expect_prefixes_clean(const bytes& b, std::size_t must_fail_below) {
  for (std::size_t n = 0; n < b.size(); ++n) {
    const std::span<const std::uint8_t> prefix(b.data(), n);
    auto p = parse_payload<T>(prefix);
    if (n < must_fail_below) {
      EXPECT_FALSE(p.ok()) << "prefix " << n;
    }
    if (p.ok()) {  // NOLINT
      const bytes again = emit_payload(p->value);
      EXPECT_EQ(again, bytes(prefix.begin(), prefix.end() - static_cast<std::ptrdiff_t>(p->left_over)))
          << "prefix " << n;
    }
  }
}

// A COM with one qualifier and a signature: [1][2 q=1][24][5 signer][96].
bytes make_com(std::uint8_t fill) {
  bytes c = {0x01, 0x00, 0x01};
  for (int i = 0; i < 24; ++i) c.push_back(fill);
  for (std::uint8_t b : {0x11, 0x22, 0x33, 0x44, 0x55}) c.push_back(b);
  for (int i = 0; i < 96; ++i) c.push_back(static_cast<std::uint8_t>(fill + i));
  return c;
}

void append_be(bytes& b, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// ---- Real payloads from armor.json (ZeroTierOne 1.14.1 Packet/Peer) ----

TEST(VerbsVectors, HelloFromPeerSendHello) {
  ZTKIT_LOAD_VECTORS(v, "armor.json");
  int seen = 0;
  for (const auto& c : v["cases"]) {
    if (c["verb"] != "01") continue;
    ++seen;
    SCOPED_TRACE(c["name"].get<std::string>());
    const bytes packet = test::hex_bytes(c["hello_detail"]["hello_before_cryptField"]);
    const bytes payload(packet.begin() + 28, packet.end());
    auto p = parse_payload<hello_payload>(payload);
    ASSERT_TRUE(p.ok()) << p.message();
    EXPECT_TRUE(p->exact());
    const hello_payload& h = p->value;
    EXPECT_EQ(h.protocol_version, 12);
    EXPECT_EQ(h.major, 1);
    EXPECT_EQ(h.minor, 14);
    EXPECT_EQ(h.identity, identity_from(c["sender_secret"].get<std::string>()));
    ASSERT_TRUE(h.destination.has_value());
    ASSERT_TRUE(h.planet.has_value());
    ASSERT_TRUE(h.moons.has_value());
    const std::size_t start = c["hello_detail"]["crypt_field_start"].get<std::size_t>() - 28;
    EXPECT_EQ(h.masked_offset(), start);
    auto off = hello_payload::masked_offset(payload);
    ASSERT_TRUE(off.ok());
    EXPECT_EQ(*off, start);
    EXPECT_EQ(payload.size() - start, c["hello_detail"]["crypt_field_length"].get<std::size_t>());
    EXPECT_EQ(h.moons->size(), (payload.size() - start - 2) / 17);
    for (const auto& m : *h.moons) EXPECT_EQ(m.type, 127);
    EXPECT_EQ(emit_payload(h), payload);
    // The masked bytes of the real packet differ only from the masked part on.
    const bytes masked = test::hex_bytes(c["plaintext_packet"]);
    EXPECT_TRUE(std::equal(masked.begin(), masked.begin() + 28 + static_cast<std::ptrdiff_t>(start),
                           packet.begin()));
    expect_prefixes_clean<hello_payload>(payload, 5 + 8 + 71);
  }
  EXPECT_EQ(seen, 2);
}

TEST(VerbsVectors, OkHelloWhoisFrameUserMessage) {
  ZTKIT_LOAD_VECTORS(v, "armor.json");
  int ok_hello_seen = 0, whois_seen = 0, frame_seen = 0, user_seen = 0;
  const auto receiver = identity_from(v["cases"][0]["receiver_secret"].get<std::string>());
  for (const auto& c : v["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const bytes packet = test::hex_bytes(c["plaintext_packet"]);
    ASSERT_GE(packet.size(), 28u);
    const bytes payload(packet.begin() + 28, packet.end());
    const std::string verb_hex = c["verb"].get<std::string>();
    if (verb_hex == "03") {
      ++ok_hello_seen;
      auto p = parse_payload<ok_payload>(payload);
      ASSERT_TRUE(p.ok()) << p.message();
      EXPECT_TRUE(p->exact());
      EXPECT_EQ(p->value.in_re_verb, 0x01);
      EXPECT_EQ(p->value.in_re_packet_id, 0x1122334455667701ULL);
      ASSERT_TRUE(std::holds_alternative<ok_hello>(p->value.body));
      const auto& o = std::get<ok_hello>(p->value.body);
      EXPECT_EQ(o.protocol_version, 12);
      ASSERT_TRUE(o.external_address.has_value());
      EXPECT_FALSE(o.external_address->is_nil());
      ASSERT_TRUE(o.world_updates.has_value());
      EXPECT_TRUE(o.world_updates->empty());
      EXPECT_TRUE(o.worlds().ok());
      EXPECT_EQ(emit_payload(p->value), payload);
      expect_prefixes_clean<ok_payload>(payload, 9 + 13);
    } else if (verb_hex == "04") {
      ++whois_seen;
      auto p = parse_payload<whois_payload>(payload);
      ASSERT_TRUE(p.ok()) << p.message();
      EXPECT_TRUE(p->exact());
      ASSERT_EQ(p->value.addresses.size(), 1u);
      EXPECT_EQ(p->value.addresses[0].to_string(), "c7c3aa49cb");
      EXPECT_EQ(emit_payload(p->value), payload);
      expect_prefixes_clean<whois_payload>(payload, 5);
    } else if (verb_hex == "06") {
      ++frame_seen;
      auto p = parse_payload<frame_payload>(payload);
      ASSERT_TRUE(p.ok()) << p.message();
      EXPECT_EQ(p->value.network_id, 0x3d55811c5e000001ULL);
      EXPECT_EQ(p->value.ethertype, 0x0800);
      EXPECT_EQ(p->value.data.size(), payload.size() - 10);
      EXPECT_EQ(emit_payload(p->value), payload);
      expect_prefixes_clean<frame_payload>(payload, 10);
    } else if (verb_hex == "14") {
      ++user_seen;
      auto p = parse_payload<user_message_payload>(payload);
      if (payload.size() < 8) {
        EXPECT_FALSE(p.ok());
        continue;
      }
      ASSERT_TRUE(p.ok()) << p.message();
      EXPECT_EQ(p->value.data.size(), payload.size() - 8);
      EXPECT_EQ(emit_payload(p->value), payload);
    }
  }
  EXPECT_EQ(ok_hello_seen, 2);
  EXPECT_EQ(whois_seen, 2);
  EXPECT_GE(frame_seen, 2);
  EXPECT_GE(user_seen, 10);
  (void)receiver;
}

TEST(VerbsVectors, CapturedPlanetParsesAsAWorld) {
  std::ifstream f(std::string(ZTKIT_CAPTURES_DIR) + "/planet", std::ios::binary);
  ASSERT_TRUE(f.good());
  const bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto w = world::parse(b);
  ASSERT_TRUE(w.ok()) << w.message();
  EXPECT_EQ(w->kind, world::type::planet);
  EXPECT_GE(w->roots.size(), 1u);
  EXPECT_EQ(w->serialize(), b);
}

// ---- HELLO ----

// Lists refer to caller-owned elements (wire_list.h), so the samples' elements live here.
const std::vector<hello_payload::moon_ref> sample_moons = {{127, 0xdeadbeef, 5}, {127, 0x1234, 0}};

hello_payload sample_hello() {
  hello_payload h;
  h.protocol_version = 12;
  h.major = 1;
  h.minor = 14;
  h.revision = 1;
  h.timestamp = 1700000000123;
  h.identity = earth_planet().roots[0].identity;
  h.destination = inet_address::v4({192, 0, 2, 1}, 9993);
  h.planet = hello_payload::planet_ref{world::earth_id, 1644592324813};
  h.moons = sample_moons;
  return h;
}

TEST(Hello, RoundTripsWithEveryOptionalPart) {
  hello_payload h = sample_hello();
  expect_round_trip(h);
  EXPECT_EQ(h.masked_offset(), 13u + 71 + 7 + 16);
  h.moons = hello_payload::moon_list{};
  expect_round_trip(h);
  h.moons.reset();
  expect_round_trip(h);
  h.planet.reset();
  expect_round_trip(h);
  h.destination = inet_address{};  // relayed: nil
  expect_round_trip(h);
  h.destination.reset();
  expect_round_trip(h);
  expect_prefixes_clean<hello_payload>(emit_payload(sample_hello()), 13 + 71);
}

TEST(Hello, PartialPlanetAndMoonBytesAreLeftOver) {
  bytes b = emit_payload(sample_hello());
  const std::size_t masked = sample_hello().masked_offset();
  // 1..15 bytes after the address: no planet, bytes left over.
  auto p = parse_payload<hello_payload>(std::span(b.data(), masked - 1));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->value.planet.has_value());
  EXPECT_EQ(p->left_over, 15u);
  // One byte of moon count: planet, no moons, 1 byte left over.
  p = parse_payload<hello_payload>(std::span(b.data(), masked + 1));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->value.planet.has_value());
  EXPECT_FALSE(p->value.moons.has_value());
  EXPECT_EQ(p->left_over, 1u);
  // Trailing bytes after the moon list.
  b.push_back(7);
  p = parse_payload<hello_payload>(b);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->left_over, 1u);
}

TEST(Hello, HugeMoonCountIsRejectedWithoutAllocating) {
  hello_payload h = sample_hello();
  h.moons.reset();
  bytes b = emit_payload(h);
  b.push_back(0xff);
  b.push_back(0xff);
  EXPECT_FALSE(parse_payload<hello_payload>(b).ok());
}

TEST(Hello, RejectsPrivateKeysAndBadIdentities) {
  bytes b = emit_payload(sample_hello());
  bytes with_private = b;
  with_private[13 + 70] = 64;
  EXPECT_FALSE(parse_payload<hello_payload>(with_private).ok());
  bytes bad_type = b;
  bad_type[13 + 5] = 1;
  EXPECT_FALSE(parse_payload<hello_payload>(bad_type).ok());
  EXPECT_FALSE(hello_payload::masked_offset(std::span(b.data(), 13 + 71 + 7)).ok());
}

// ---- OK ----

TEST(Ok, EveryBodyRoundTrips) {
  const bytes worlds = bytes(earth_planet_bytes().begin(), earth_planet_bytes().end());
  ok_payload o;
  o.in_re_verb = 0x01;
  o.in_re_packet_id = 0x0102030405060708ULL;
  ok_hello oh;
  oh.timestamp = 77;
  oh.protocol_version = 12;
  oh.major = 1;
  oh.minor = 14;
  oh.revision = 1;
  oh.external_address = inet_address::v4({203, 0, 113, 9}, 41000);
  oh.world_updates = bytes_ref(worlds);
  o.body = oh;
  expect_round_trip(o);
  auto ws = oh.worlds();
  ASSERT_TRUE(ws.ok()) << ws.message();
  ASSERT_EQ(ws->size(), 1u);
  EXPECT_EQ((*ws)[0], earth_planet());
  expect_prefixes_clean<ok_payload>(emit_payload(o), 9 + 13);
  oh.world_updates.reset();
  o.body = oh;
  expect_round_trip(o);
  oh.external_address.reset();
  o.body = oh;
  expect_round_trip(o);

  o.in_re_verb = 0x04;
  const std::vector<crypto::identity> ids = {earth_planet().roots[0].identity,
                                             earth_planet().roots[1].identity};
  o.body = ok_whois{ids};
  expect_round_trip(o);
  expect_prefixes_clean<ok_payload>(emit_payload(o), 9 + 71);

  const bytes echo = {1, 2, 3};
  o.in_re_verb = 0x08;
  o.body = ok_echo{echo};
  expect_round_trip(o);

  o.in_re_verb = 0x07;
  o.body = ok_ext_frame{0x8056c2e21c000001ULL};
  expect_round_trip(o);
  expect_prefixes_clean<ok_payload>(emit_payload(o), 17);

  o.in_re_verb = 0x0d;
  const std::vector<zt_address> members = {zt_address(0x1122334455), zt_address(0x0102030405)};
  o.body = ok_multicast_gather{0x8056c2e21c000001ULL, multicast_group::broadcast(), 9, members};
  expect_round_trip(o);
  expect_prefixes_clean<ok_payload>(emit_payload(o), 9 + 8 + 10 + 4 + 2 + 10);

  const bytes com = make_com(0x40);
  ok_multicast_frame mf;
  mf.network_id = 0x8056c2e21c000001ULL;
  mf.group = multicast_group::for_arp({10, 0, 0, 1});
  mf.flags = ok_multicast_frame::flag_com | ok_multicast_frame::flag_gather_results;
  mf.com = com;
  mf.total_known = 3;
  const std::vector<zt_address> mf_members = {zt_address(0xaabbccddee)};
  mf.members = mf_members;
  o.in_re_verb = 0x0e;
  o.body = mf;
  expect_round_trip(o);
  expect_prefixes_clean<ok_payload>(emit_payload(o), emit_payload(o).size());

  const bytes chunk = {9, 9, 9};
  o.in_re_verb = 0x0b;
  o.body = ok_other{chunk};
  expect_round_trip(o);
}

TEST(Ok, BoundedCountsAndMalformedBodies) {
  bytes b = {0x0d, 0, 0, 0, 0, 0, 0, 0, 1};
  append_be(b, 0x8056c2e21c000001ULL, 8);
  for (int i = 0; i < 10; ++i) b.push_back(0xff);
  append_be(b, 5, 4);
  append_be(b, 0xffff, 2);  // 65535 members, none present
  EXPECT_FALSE(parse_payload<ok_payload>(b).ok());
  // OK(WHOIS) with no identity.
  bytes w = {0x04, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_FALSE(parse_payload<ok_payload>(w).ok());
}

// ---- ERROR ----

TEST(Error, PayloadsPerCodeRoundTrip) {
  error_payload e;
  e.in_re_verb = 0x06;
  e.in_re_packet_id = 42;
  e.code = static_cast<std::uint8_t>(error_code::need_membership_certificate);
  e.network_id = 0x8056c2e21c000001ULL;
  expect_round_trip(e);
  expect_prefixes_clean<error_payload>(emit_payload(e), 18);
  EXPECT_EQ(emit_payload(e).size(), 18u);

  e.in_re_verb = 0x0e;
  e.code = static_cast<std::uint8_t>(error_code::unwanted_multicast);
  e.group = multicast_group::for_ndp({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3});
  expect_round_trip(e);
  expect_prefixes_clean<error_payload>(emit_payload(e), 28);

  e.group.reset();
  e.in_re_verb = 0x0b;
  e.code = static_cast<std::uint8_t>(error_code::network_authentication_required);
  expect_round_trip(e);  // without dictionary
  const std::string dict = "aV=0\naU=https://example.com/sso\n";
  const bytes dict_bytes(dict.begin(), dict.end());
  e.auth_info = bytes_ref(dict_bytes);
  expect_round_trip(e);
  expect_prefixes_clean<error_payload>(emit_payload(e), 18);

  e.auth_info.reset();
  e.code = static_cast<std::uint8_t>(error_code::obj_not_found);
  expect_round_trip(e);  // in-re NETWORK_CONFIG_REQUEST: nwid
  error_payload collision;
  collision.in_re_verb = 0x01;
  collision.code = static_cast<std::uint8_t>(error_code::identity_collision);
  expect_round_trip(collision);
  EXPECT_EQ(emit_payload(collision).size(), 10u);
  EXPECT_FALSE(error_payload::has_network_id(3, 0x04));  // OBJ_NOT_FOUND in-re WHOIS
}

TEST(Error, BytesAfterDefinedFieldsAreLeftOver) {
  bytes b = {0x01, 0, 0, 0, 0, 0, 0, 0, 9, 0x04, 0xaa, 0xbb};
  auto p = parse_payload<error_payload>(b);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->left_over, 2u);
  EXPECT_EQ(p->value.error(), error_code::identity_collision);
}

// ---- WHOIS, RENDEZVOUS ----

TEST(WhoisRendezvous, RoundTrip) {
  const std::vector<zt_address> whois = {zt_address(0xc7c3aa49cb), zt_address(0x3d55811c5e)};
  expect_round_trip(whois_payload{whois});
  EXPECT_FALSE(parse_payload<whois_payload>(bytes{1, 2, 3, 4}).ok());
  auto p = parse_payload<whois_payload>(bytes{1, 2, 3, 4, 5, 6, 7});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->left_over, 2u);

  rendezvous_payload r;
  r.with = zt_address(0xa35cc3ba44);
  r.address = inet_address::v4({198, 51, 100, 7}, 9993);
  expect_round_trip(r);
  expect_prefixes_clean<rendezvous_payload>(emit_payload(r), emit_payload(r).size());
  r.address = inet_address::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 443);
  expect_round_trip(r);
  expect_prefixes_clean<rendezvous_payload>(emit_payload(r), emit_payload(r).size());
  bytes bad = emit_payload(r);
  bad[8] = 5;
  EXPECT_FALSE(parse_payload<rendezvous_payload>(bad).ok());
}

// ---- FRAME, EXT_FRAME ----

TEST(Frames, ExtFrameWithAndWithoutCom) {
  const bytes data = {0x45, 0, 0, 20, 1, 2, 3};
  const bytes com = make_com(0x10);
  ext_frame_payload f;
  f.network_id = 0x8056c2e21c000001ULL;
  f.flags = 0x16;  // WATCH-in? subtype 3 + ACK
  f.dest = mac_address::from_u64(0x023d559dfe9cULL);
  f.source = mac_address::from_u64(0x02a35cdf5886ULL);
  f.ethertype = 0x0800;
  f.data = data;
  expect_round_trip(f);
  EXPECT_TRUE(f.ack_requested());
  EXPECT_EQ(f.kind(), ext_frame_payload::subtype::watch_outbound);
  expect_prefixes_clean<ext_frame_payload>(emit_payload(f), 9 + 14);
  f.flags = ext_frame_payload::flag_com;
  f.com = com;
  expect_round_trip(f);
  expect_prefixes_clean<ext_frame_payload>(emit_payload(f), 9 + com.size() + 14);
  // The COM's first byte must be 0x01.
  bytes bad = emit_payload(f);
  bad[9] = 0x02;
  EXPECT_FALSE(parse_payload<ext_frame_payload>(bad).ok());

  frame_payload fr{0x8056c2e21c000001ULL, 0x86dd, data};
  expect_round_trip(fr);
  frame_payload empty{1, 0x0806, {}};
  expect_round_trip(empty);
}

// ---- ECHO, USER_MESSAGE, REMOTE_TRACE ----

TEST(Misc, EchoUserMessageRemoteTrace) {
  const bytes d = {1, 2, 3, 0, 4};
  expect_round_trip(echo_payload{});
  expect_round_trip(echo_payload{d});
  expect_round_trip(user_message_payload{0x10000, d});
  expect_prefixes_clean<user_message_payload>(emit_payload(user_message_payload{7, d}), 8);
  expect_round_trip(remote_trace_payload{d});
}

// ---- MULTICAST_* ----

TEST(Multicast, LikeGatherFrame) {
  multicast_like_payload like;
  const std::vector<multicast_like_payload::entry> entries = {
      {0x47017ef593c0ffeeULL, {mac_address::from_u64(0x01005e000001ULL), 0}},
      {0x47017ef593c0ffeeULL, multicast_group::for_arp({10, 1, 2, 3})}};
  like.entries = entries;
  expect_round_trip(like);
  bytes b = emit_payload(like);
  b.push_back(1);
  auto p = parse_payload<multicast_like_payload>(b);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->left_over, 1u);
  EXPECT_EQ(p->value, like);

  const bytes com = make_com(0x20);
  multicast_gather_payload g;
  g.network_id = 0x47017ef593c0ffeeULL;
  g.group = multicast_group::broadcast();
  g.gather_limit = 32;
  expect_round_trip(g);
  g.flags = multicast_gather_payload::flag_com;
  g.com = com;
  expect_round_trip(g);
  expect_prefixes_clean<multicast_gather_payload>(emit_payload(g), emit_payload(g).size());

  const bytes data = {0xde, 0xad};
  multicast_frame_payload f;
  f.network_id = 0x47017ef593c0ffeeULL;
  f.flags = 0x0f;
  f.com = com;
  f.gather_limit = 0x01020304;
  f.source = mac_address::from_u64(0x02a35cdf5886ULL);
  f.dest = multicast_group::for_arp({10, 0, 0, 9});
  f.ethertype = 0x0806;
  f.data = data;
  expect_round_trip(f);
  // Field order on the wire: COM, then gather limit, then source MAC.
  const bytes w = emit_payload(f);
  EXPECT_TRUE(std::equal(com.begin(), com.end(), w.begin() + 9));
  EXPECT_EQ(load_be32(w.data() + 9 + com.size()), 0x01020304u);
  EXPECT_EQ(mac_address::from_u64(load_be_n(w.data() + 9 + com.size() + 4, 6)), f.source);
  expect_prefixes_clean<multicast_frame_payload>(w, w.size() - data.size());
  f.flags = 0x02;
  f.com = {};
  f.source = {};
  expect_round_trip(f);
  f.flags = 0;
  f.gather_limit = 0;
  expect_round_trip(f);
}

// ---- NETWORK_CREDENTIALS ----

bytes make_capability() {
  bytes c;
  append_be(c, 0x47017ef593c0ffeeULL, 8);
  append_be(c, 1700000000000ULL, 8);
  append_be(c, 7, 4);
  append_be(c, 2, 2);      // two rules
  c.insert(c.end(), {37, 2, 0x08, 0x00});  // match ethertype 0x0800
  c.insert(c.end(), {1, 0});               // ACCEPT
  c.push_back(7);                          // max custody chain
  append_be(c, 0xa35cc3ba44, 5);           // to
  append_be(c, 0x3d55811c5e, 5);           // from
  c.push_back(1);
  append_be(c, 96, 2);
  c.insert(c.end(), 96, 0x5a);
  append_be(c, 0, 5);  // end of chain
  append_be(c, 0, 2);  // extension
  return c;
}

bytes make_tag() {
  bytes t;
  append_be(t, 0x47017ef593c0ffeeULL, 8);
  append_be(t, 1700000000000ULL, 8);
  append_be(t, 100, 4);
  append_be(t, 5, 4);
  append_be(t, 0xa35cc3ba44, 5);
  append_be(t, 0x3d55811c5e, 5);
  t.push_back(1);
  append_be(t, 96, 2);
  t.insert(t.end(), 96, 0x33);
  append_be(t, 2, 2);
  t.insert(t.end(), {0xee, 0xff});
  return t;
}

bytes make_revocation() {
  bytes r(4 + 4 + 8 + 4 + 4 + 8 + 8 + 5 + 5 + 1, 0x01);
  r.push_back(0);  // unsigned: [2 len][len]
  append_be(r, 3, 2);
  r.insert(r.end(), {1, 2, 3});
  append_be(r, 0, 2);
  return r;
}

bytes make_coo() {
  bytes c;
  append_be(c, 0x47017ef593c0ffeeULL, 8);
  append_be(c, 1700000000000ULL, 8);
  append_be(c, 0, 8);
  append_be(c, 9, 4);
  append_be(c, 2, 2);
  for (int i = 0; i < 2; ++i) {
    c.push_back(1);
    c.insert(c.end(), 16, static_cast<std::uint8_t>(i));
  }
  append_be(c, 0xa35cc3ba44, 5);
  append_be(c, 0x3d55811c5e, 5);
  c.push_back(1);
  append_be(c, 96, 2);
  c.insert(c.end(), 96, 0x77);
  append_be(c, 0, 2);
  return c;
}

TEST(NetworkCredentials, ExtentsOfEachCredential) {
  for (const auto& [b, read] :
       std::vector<std::pair<bytes, std::span<const std::uint8_t> (*)(reader&)>>{
           {make_capability(), read_capability_bytes},
           {make_tag(), read_tag_bytes},
           {make_revocation(), read_revocation_bytes},
           {make_coo(), read_coo_bytes}}) {
    bytes with_tail = b;
    with_tail.push_back(0x99);
    reader r(with_tail);
    const auto got = read(r);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(got.size(), b.size());
    EXPECT_EQ(r.remaining(), 1u);
    for (std::size_t n = 0; n < b.size(); ++n) {
      reader t(std::span(b.data(), n));
      read(t);
      EXPECT_FALSE(t.ok()) << n;
    }
  }
  // A signed credential's signature length must be 96.
  bytes tag = make_tag();
  tag[8 + 8 + 4 + 4 + 5 + 5 + 2] = 95;
  reader r(tag);
  read_tag_bytes(r);
  EXPECT_FALSE(r.ok());
}

TEST(NetworkCredentials, RoundTripsWithAllSectionsAndOlderForms) {
  const bytes com = make_com(0x01), cap = make_capability(), tag = make_tag(),
              rev = make_revocation(), coo = make_coo();
  network_credentials_payload p;
  const std::vector<bytes_ref> coms = {com}, caps = {cap, cap}, tags = {tag}, revs = {rev},
                               coos = {coo}, none;
  p.coms = coms;
  p.capabilities = caps;
  p.tags = tags;
  p.revocations = revs;
  p.certificates_of_ownership = coos;
  expect_round_trip(p);
  const bytes all = emit_payload(p);
  expect_prefixes_clean<network_credentials_payload>(all, 0);
  for (std::size_t n = 1; n < com.size(); ++n) {  // inside the COM
    EXPECT_FALSE(parse_payload<network_credentials_payload>(std::span(all.data(), n)).ok()) << n;
  }
  EXPECT_TRUE(parse_payload<network_credentials_payload>(bytes{}).ok());  // nothing to add

  // 1.14's usual form: one COM, then empty sections.
  p.capabilities = none;
  p.tags = none;
  p.revocations = none;
  p.certificates_of_ownership = none;
  expect_round_trip(p);
  EXPECT_EQ(emit_payload(p).size(), com.size() + 1 + 8);
  // Older senders: sections missing, or even the terminator.
  p.certificates_of_ownership.reset();
  p.revocations.reset();
  expect_round_trip(p);
  p.capabilities.reset();
  p.tags.reset();
  expect_round_trip(p);
  p.com_list_terminated = false;
  expect_round_trip(p);
  // Huge counts with no bytes behind them.
  bytes huge = com;
  huge.push_back(0);
  append_be(huge, 0xffff, 2);
  EXPECT_FALSE(parse_payload<network_credentials_payload>(huge).ok());
}

// ---- PUSH_DIRECT_PATHS ----

TEST(PushDirectPaths, RoundTripAndEndpoints) {
  std::vector<push_direct_paths_payload::path> paths;
  paths.push_back(push_direct_paths_payload::path::from_endpoint(
      inet_address::v4({203, 0, 113, 5}, 9993)));
  paths.push_back(push_direct_paths_payload::path::from_endpoint(
      inet_address::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 21000),
      push_direct_paths_payload::flag_cluster_redirect));
  push_direct_paths_payload::path odd;
  const bytes ext = {1, 2};
  odd.extension = ext;
  odd.address_type = 9;
  odd.address = {7, 7, 7};
  paths.push_back(odd);
  push_direct_paths_payload p;
  p.paths = paths;
  expect_round_trip(p);
  EXPECT_EQ(p.paths[0].endpoint(), inet_address::v4({203, 0, 113, 5}, 9993));
  EXPECT_EQ(p.paths[1].endpoint()->port, 21000);
  EXPECT_FALSE(p.paths[2].endpoint().has_value());
  EXPECT_EQ(emit_payload(p).size(), 2u + (5 + 6) + (5 + 18) + (5 + 2 + 3));
  expect_prefixes_clean<push_direct_paths_payload>(emit_payload(p), emit_payload(p).size());
  EXPECT_FALSE(parse_payload<push_direct_paths_payload>(bytes{0xff, 0xff, 0, 0, 0, 4, 0}).ok());
}

// ---- wire_list: the parsed (view) and caller-owned forms behave alike ----

static_assert(std::forward_iterator<address_list::iterator>);
static_assert(std::ranges::forward_range<push_direct_paths_payload::path_list>);
static_assert(std::ranges::forward_range<const hello_payload::moon_list>);

TEST(WireList, ViewAndOwnedFormsAgree) {
  std::vector<push_direct_paths_payload::path> paths = {
      push_direct_paths_payload::path::from_endpoint(inet_address::v4({203, 0, 113, 5}, 9993)),
      push_direct_paths_payload::path::from_endpoint(
          inet_address::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}, 443), 1)};
  const bytes ext = {1, 2, 3};
  paths[1].extension = ext;
  push_direct_paths_payload p;
  p.paths = paths;
  EXPECT_FALSE(p.paths.is_view());
  const bytes b = emit_payload(p);
  auto q = parse_payload<push_direct_paths_payload>(b);
  ASSERT_TRUE(q.ok()) << q.message();
  const auto& l = q->value.paths;
  EXPECT_TRUE(l.is_view());
  EXPECT_EQ(l.wire_bytes().size(), b.size() - 2);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(std::ranges::distance(l), 2);
  EXPECT_EQ(l.front(), paths[0]);
  EXPECT_EQ(l[1], paths[1]);  // a walk: paths are self-delimiting
  EXPECT_EQ(l[1].extension, bytes_ref(ext));
  EXPECT_EQ(std::vector<push_direct_paths_payload::path>(l.begin(), l.end()), paths);

  // Fixed-size elements index directly.
  const std::vector<zt_address> a = {zt_address(1), zt_address(0x3d55811c5e), zt_address(3)};
  const bytes wb = emit_payload(whois_payload{a});  // a parsed list views these bytes
  auto w = parse_payload<whois_payload>(wb);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->value.addresses[1], a[1]);
  EXPECT_EQ(w->value.addresses[2], a[2]);

  // Equality is by content: one element or the length differing makes lists unequal.
  std::vector<zt_address> other = a;
  other[2] = zt_address(4);
  EXPECT_FALSE(w->value.addresses == address_list(other));
  EXPECT_FALSE(w->value.addresses == address_list(std::span(a).first(2)));
  EXPECT_TRUE(w->value.addresses == address_list(a));
  EXPECT_TRUE(address_list() == address_list(std::span(a).first(0)));
}

// ---- Dispatch ----

TEST(Dispatch, ParsesEveryVerbAndRefusesOthers) {
  const bytes frame = emit_payload(frame_payload{5, 0x0800, {}});
  auto p = parse_verb_payload(0x06, frame);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(std::holds_alternative<frame_payload>(p->value));
  EXPECT_EQ(emit_any_payload(p->value), frame);
  for (std::uint8_t v : {0x00, 0x0b, 0x0c, 0x0f, 0x11, 0x12, 0x13, 0x16, 0x17, 0x1f}) {
    auto u = parse_verb_payload(v, frame);
    ASSERT_FALSE(u.ok()) << int(v);
    EXPECT_EQ(u.code(), errc::unsupported);
  }
}

}  // namespace
}  // namespace ztkit::wire
