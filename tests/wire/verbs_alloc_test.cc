// Issue 4: no allocation on the receive path. Every verb payload parses (parse_verb_payload and
// each repr's own parse()) and its lists iterate without one call to operator new, and so does
// a whole packet: header parse, dearmor, cryptField, LZ4 uncompress, payload parse. Payloads
// are built first; only the receive side runs inside the counted window.
#include "engine/wire/verbs.h"

// Counts every allocation through global operator new (every form) in this test binary.
// Included first after the header under test: it also silences GCC's -Wmismatched-new-delete
// for the rest of this file.
#include "tests/support/alloc_counter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/wire/armor.h"
#include "engine/wire/compress.h"
#include "engine/wire/packet.h"

namespace ztkit::wire {
namespace {

using bytes = std::vector<std::uint8_t>;

void append_be(bytes& b, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// [1 type = 1][2 length 96][96 signature]
void append_signature(bytes& b, std::uint8_t fill) {
  b.push_back(1);
  append_be(b, 96, 2);
  b.insert(b.end(), 96, fill);
}

bytes make_com(std::uint8_t fill) {  // [1][2 q=1][24][5 signer][96]
  bytes c = {0x01, 0x00, 0x01};
  c.insert(c.end(), 24, fill);
  append_be(c, 0x1122334455, 5);
  c.insert(c.end(), 96, fill);
  return c;
}

bytes make_capability() {
  bytes c;
  append_be(c, 0x47017ef593c0ffeeULL, 8);
  append_be(c, 1700000000000ULL, 8);
  append_be(c, 7, 4);
  append_be(c, 1, 2);          // one rule
  c.insert(c.end(), {1, 0});   // ACCEPT
  c.push_back(7);              // max custody chain
  append_be(c, 0xa35cc3ba44, 5);
  append_be(c, 0x3d55811c5e, 5);
  append_signature(c, 0x5a);
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
  append_signature(t, 0x33);
  append_be(t, 0, 2);
  return t;
}

bytes make_revocation() {
  bytes r(51, 0x01);
  append_signature(r, 0x44);
  append_be(r, 0, 2);
  return r;
}

bytes make_coo() {
  bytes c;
  append_be(c, 0x47017ef593c0ffeeULL, 8);
  append_be(c, 1700000000000ULL, 8);
  append_be(c, 0, 8);
  append_be(c, 9, 4);
  append_be(c, 1, 2);
  c.push_back(1);
  c.insert(c.end(), 16, 0x0a);
  append_be(c, 0xa35cc3ba44, 5);
  append_be(c, 0x3d55811c5e, 5);
  append_signature(c, 0x77);
  append_be(c, 0, 2);
  return c;
}

// Owns the bytes every sample repr borrows, and one emitted payload per verb (or OK body).
struct samples {
  bytes com = make_com(0x10), cap = make_capability(), tag = make_tag(), rev = make_revocation(),
        coo = make_coo(), data = bytes(200, 0x5a), dict, ext = {0xee, 0xff};
  std::vector<hello_payload::moon_ref> moons = {{127, 0xdeadbeef, 5}, {127, 0x1234, 0}};
  std::vector<crypto::identity> ids;
  std::vector<zt_address> addresses = {zt_address(0xc7c3aa49cb), zt_address(0x3d55811c5e),
                                       zt_address(0xa35cc3ba44)};
  std::vector<multicast_like_payload::entry> entries;
  std::vector<bytes_ref> coms, caps, tags, revs, coos;
  std::vector<push_direct_paths_payload::path> paths;

  // (verb, payload) for every verb with a repr; OK once per body type.
  std::vector<std::pair<std::uint8_t, bytes>> payloads;

  samples() {
    const std::string d = "aV=0\naU=https://example.com/sso\n";
    dict.assign(d.begin(), d.end());
    ids = {earth_planet().roots[0].identity, earth_planet().roots[1].identity};
    for (std::uint32_t i = 0; i < 8; ++i) {
      entries.push_back({0x47017ef593c0ffeeULL, multicast_group::for_arp({10, 0, 0, static_cast<std::uint8_t>(i)})});
    }
    coms = {com, com};
    caps = {cap, cap};
    tags = {tag};
    revs = {rev};
    coos = {coo};
    paths.push_back(push_direct_paths_payload::path::from_endpoint(
        inet_address::v4({203, 0, 113, 5}, 9993)));
    paths.push_back(push_direct_paths_payload::path::from_endpoint(
        inet_address::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 21000),
        push_direct_paths_payload::flag_cluster_redirect));
    push_direct_paths_payload::path odd;
    odd.extension = ext;
    odd.address_type = 9;
    odd.address = {7, 7, 7};
    paths.push_back(odd);

    add(hello());
    error_payload e;
    e.in_re_verb = 0x0b;
    e.in_re_packet_id = 42;
    e.code = static_cast<std::uint8_t>(error_code::network_authentication_required);
    e.network_id = 0x8056c2e21c000001ULL;
    e.auth_info = bytes_ref(dict);
    add(e);
    add_ok_bodies();
    add(whois_payload{addresses});
    rendezvous_payload rv;
    rv.with = zt_address(0xa35cc3ba44);
    rv.address = inet_address::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 443);
    add(rv);
    add(frame_payload{0x8056c2e21c000001ULL, 0x0800, data});
    ext_frame_payload xf;
    xf.network_id = 0x8056c2e21c000001ULL;
    xf.flags = ext_frame_payload::flag_com | ext_frame_payload::flag_ack;
    xf.com = com;
    xf.dest = mac_address::from_u64(0x023d559dfe9cULL);
    xf.source = mac_address::from_u64(0x02a35cdf5886ULL);
    xf.ethertype = 0x0800;
    xf.data = data;
    add(xf);
    add(echo_payload{data});
    add(multicast_like_payload{entries});
    network_credentials_payload nc;
    nc.coms = coms;
    nc.capabilities = caps;
    nc.tags = tags;
    nc.revocations = revs;
    nc.certificates_of_ownership = coos;
    add(nc);
    multicast_gather_payload g;
    g.network_id = 0x47017ef593c0ffeeULL;
    g.flags = multicast_gather_payload::flag_com;
    g.group = multicast_group::broadcast();
    g.gather_limit = 32;
    g.com = com;
    add(g);
    multicast_frame_payload mf;
    mf.network_id = 0x47017ef593c0ffeeULL;
    mf.flags = 0x0f;
    mf.com = com;
    mf.gather_limit = 16;
    mf.source = mac_address::from_u64(0x02a35cdf5886ULL);
    mf.dest = multicast_group::for_arp({10, 0, 0, 9});
    mf.ethertype = 0x0806;
    mf.data = data;
    add(mf);
    push_direct_paths_payload pd;
    pd.paths = paths;
    add(pd);
    add(user_message_payload{0x10000, data});
    add(remote_trace_payload{dict});
  }

  hello_payload hello() const {
    hello_payload h;
    h.protocol_version = 12;
    h.major = 1;
    h.minor = 14;
    h.revision = 1;
    h.timestamp = 1700000000123;
    h.identity = ids[0];
    h.destination = inet_address::v4({192, 0, 2, 1}, 9993);
    h.planet = hello_payload::planet_ref{world::earth_id, 1644592324813};
    h.moons = moons;
    return h;
  }

  void add_ok_bodies() {
    ok_hello oh;
    oh.timestamp = 77;
    oh.protocol_version = 12;
    oh.external_address = inet_address::v4({203, 0, 113, 9}, 41000);
    oh.world_updates = bytes_ref(earth_planet_bytes());
    add_ok(0x01, oh);
    add_ok(0x04, ok_whois{ids});
    add_ok(0x08, ok_echo{data});
    add_ok(0x07, ok_ext_frame{0x8056c2e21c000001ULL});
    add_ok(0x0d, ok_multicast_gather{0x8056c2e21c000001ULL, multicast_group::broadcast(), 9,
                                     addresses});
    ok_multicast_frame omf;
    omf.network_id = 0x8056c2e21c000001ULL;
    omf.group = multicast_group::for_arp({10, 0, 0, 1});
    omf.flags = ok_multicast_frame::flag_com | ok_multicast_frame::flag_gather_results;
    omf.com = com;
    omf.total_known = 3;
    omf.members = addresses;
    add_ok(0x0e, omf);
    add_ok(0x0b, ok_other{data});
  }

  template <typename T>
  void add(const T& x) {
    const any_payload a{x};
    // The verb whose repr is T: any_payload's alternatives are listed in verb order below.
    static constexpr std::uint8_t verb_of[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                               0x09, 0x0a, 0x0d, 0x0e, 0x10, 0x14, 0x15};
    payloads.emplace_back(verb_of[a.index()], emit_payload(x));
  }
  template <typename B>
  void add_ok(std::uint8_t in_re, const B& body) {
    ok_payload o;
    o.in_re_verb = in_re;
    o.in_re_packet_id = 0x0102030405060708ULL;
    o.body = body;
    add(o);
  }
};

// Touches every element of every list in `p` (decoding each on the fly), so that iteration is
// inside the counted window too. Returns the number of elements seen.
std::size_t walk_lists(const any_payload& p) {
  std::size_t n = 0;
  auto count = [&n](const auto& list) {
    for (const auto& x : list) {
      (void)x;
      ++n;
    }
  };
  auto count_opt = [&count](const auto& opt) {
    if (opt) count(*opt);
  };
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, hello_payload>) count_opt(x.moons);
        if constexpr (std::is_same_v<T, whois_payload>) count(x.addresses);
        if constexpr (std::is_same_v<T, multicast_like_payload>) count(x.entries);
        if constexpr (std::is_same_v<T, push_direct_paths_payload>) {
          count(x.paths);
          for (const auto& path : x.paths) n += path.endpoint().has_value();
        }
        if constexpr (std::is_same_v<T, network_credentials_payload>) {
          count(x.coms);
          count_opt(x.capabilities);
          count_opt(x.tags);
          count_opt(x.revocations);
          count_opt(x.certificates_of_ownership);
        }
        if constexpr (std::is_same_v<T, ok_payload>) {
          if (const auto* w = std::get_if<ok_whois>(&x.body)) count(w->identities);
          if (const auto* g = std::get_if<ok_multicast_gather>(&x.body)) count(g->members);
          if (const auto* f = std::get_if<ok_multicast_frame>(&x.body)) count(f->members);
        }
      },
      p);
  return n;
}

// Each repr's own parse() on its payload; true if it parsed exactly.
template <typename T>
bool parse_exact(std::span<const std::uint8_t> payload) {
  reader r(payload);
  auto v = T::parse(r);
  return v.ok() && r.at_end();
}

bool parse_own(std::uint8_t verb, std::span<const std::uint8_t> payload) {
  switch (verb) {
    case 0x01: return parse_exact<hello_payload>(payload);
    case 0x02: return parse_exact<error_payload>(payload);
    case 0x03: return parse_exact<ok_payload>(payload);
    case 0x04: return parse_exact<whois_payload>(payload);
    case 0x05: return parse_exact<rendezvous_payload>(payload);
    case 0x06: return parse_exact<frame_payload>(payload);
    case 0x07: return parse_exact<ext_frame_payload>(payload);
    case 0x08: return parse_exact<echo_payload>(payload);
    case 0x09: return parse_exact<multicast_like_payload>(payload);
    case 0x0a: return parse_exact<network_credentials_payload>(payload);
    case 0x0d: return parse_exact<multicast_gather_payload>(payload);
    case 0x0e: return parse_exact<multicast_frame_payload>(payload);
    case 0x10: return parse_exact<push_direct_paths_payload>(payload);
    case 0x14: return parse_exact<user_message_payload>(payload);
    case 0x15: return parse_exact<remote_trace_payload>(payload);
    default: return false;
  }
}

// Each OK body's own parse() (after the 9-byte in-re header).
bool parse_ok_body(std::span<const std::uint8_t> payload) {
  const auto body = payload.subspan(9);
  switch (static_cast<verb>(payload[0])) {
    case verb::hello: return parse_exact<ok_hello>(body);
    case verb::whois: return parse_exact<ok_whois>(body);
    case verb::echo: return parse_exact<ok_echo>(body);
    case verb::ext_frame: return parse_exact<ok_ext_frame>(body);
    case verb::multicast_gather: return parse_exact<ok_multicast_gather>(body);
    case verb::multicast_frame: return parse_exact<ok_multicast_frame>(body);
    default: return parse_exact<ok_other>(body);
  }
}

TEST(VerbsAlloc, EveryVerbParsesWithoutAllocating) {
  const samples s;
  ASSERT_EQ(s.payloads.size(), 15u + 6u);  // 15 verbs, OK once per body type (7 in all)

  std::size_t parsed_ok = 0, exact = 0, own_ok = 0, elements = 0;
  std::uint32_t alternatives_seen = 0;  // bit per any_payload alternative
  ztkit::testing::allocation_scope parse_window;
  for (const auto& [v, payload] : s.payloads) {
    auto p = parse_verb_payload(v, payload);
    if (!p.ok()) continue;
    ++parsed_ok;
    exact += p->exact();
    alternatives_seen |= 1u << p->value.index();
    elements += walk_lists(p->value);
    own_ok += parse_own(v, payload);
    if (v == 0x03) own_ok += parse_ok_body(payload) ? 0 : 1000;  // a failure shows below
    if (v == 0x01) own_ok += hello_payload::masked_offset(payload).ok() ? 0 : 1000;
  }
  parse_window.stop();
  const std::uint64_t allocations = parse_window.count();
  // The counter does count: emitting into a fresh vector allocates.
  ztkit::testing::allocation_scope emit_window;
  const bytes emitted = emit_any_payload(parse_verb_payload(0x01, s.payloads[0].second)->value);
  emit_window.stop();
  EXPECT_GT(emit_window.count(), 0u);

  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(parsed_ok, s.payloads.size());
  EXPECT_EQ(exact, s.payloads.size());
  EXPECT_EQ(own_ok, s.payloads.size());
  EXPECT_EQ(alternatives_seen, (1u << std::variant_size_v<any_payload>) - 1);
  // moons 2, whois 3 + 2 ids + 3 + 3 members, 8 entries, 2+2+1+1+1 credentials, 3 paths + 2
  // decoded endpoints.
  EXPECT_EQ(elements, 2u + 3 + 2 + 3 + 3 + 8 + 7 + 3 + 2);

  // What was parsed is what was built (outside the window: gtest may allocate).
  for (const auto& [v, payload] : s.payloads) {
    auto p = parse_verb_payload(v, payload);
    ASSERT_TRUE(p.ok()) << int(v) << ": " << p.message();
    EXPECT_EQ(emit_any_payload(p->value), payload) << int(v);
  }
}

// A count off the wire never sizes anything: 65535 moons / members / paths / capabilities
// announced with no bytes behind them are refused by the bound alone. (The payload parsers then
// return an error, whose message is a string: the error path may allocate, the lists do not.)
TEST(VerbsAlloc, HugeCountsAreRefusedWithoutAllocating) {
  const samples s;
  bytes hello = emit_payload([&] {
    hello_payload h = s.hello();
    h.moons.reset();
    return h;
  }());
  append_be(hello, 0xffff, 2);
  bytes gather = {0x0d, 0, 0, 0, 0, 0, 0, 0, 1};
  append_be(gather, 0x8056c2e21c000001ULL, 8);
  gather.insert(gather.end(), 10, 0xff);
  append_be(gather, 5, 4);
  append_be(gather, 0xffff, 2);
  const bytes paths = {0xff, 0xff, 0, 0, 0, 4, 0};
  bytes creds = s.com;
  creds.push_back(0);
  append_be(creds, 0xffff, 2);

  int failed = 0;
  // Readers at the bytes after each count.
  auto after = [](const bytes& b, std::size_t n) { return reader{std::span(b).subspan(n)}; };
  reader r1 = after(hello, hello.size()), r2 = after(gather, gather.size()),
         r3 = after(paths, 2), r4 = after(creds, creds.size());
  ztkit::testing::allocation_scope list_window;
  failed += !hello_payload::moon_list::read(r1, 0xffff).size() && !r1.ok();
  failed += !address_list::read(r2, 0xffff).size() && !r2.ok();
  failed += !push_direct_paths_payload::path_list::read(r3, 0xffff).size() && !r3.ok();
  failed += !network_credentials_payload::capability_list::read(r4, 0xffff).size() && !r4.ok();
  list_window.stop();
  EXPECT_EQ(list_window.count(), 0u);
  EXPECT_EQ(failed, 4);
  EXPECT_FALSE(parse_verb_payload(0x01, hello).ok());
  EXPECT_FALSE(parse_verb_payload(0x03, gather).ok());
  EXPECT_FALSE(parse_verb_payload(0x10, paths).ok());
  EXPECT_FALSE(parse_verb_payload(0x0a, creds).ok());
}

// A fixed peer key.
std::unique_ptr<peer_keys> fixed_keys() {
  std::uint8_t k[48];
  for (int i = 0; i < 48; ++i) k[i] = static_cast<std::uint8_t>(31 + i * 7);
  return std::make_unique<peer_keys>(k);
}

// A packet as a sender composes it: header, verb, payload; compressed if it pays, then armored.
bytes compose(verb v, std::span<const std::uint8_t> payload, const peer_keys& keys,
              cipher_suite suite, std::optional<std::size_t> masked_from) {
  bytes pkt(packet_idx_payload + payload.size());
  std::copy(payload.begin(), payload.end(), pkt.begin() + packet_idx_payload);
  const auto view = *packet_view::checked(pkt);
  view.set_packet_id(0x1122334455667788ULL);
  view.set_destination(zt_address(0x3d55811c5e));
  view.set_source(zt_address(0xa35cc3ba44));
  view.set_flags(0);
  view.set_verb(v);
  std::size_t len = pkt.size();
  if (masked_from) {
    EXPECT_TRUE(crypt_field(pkt, keys, packet_idx_payload + *masked_from,
                            pkt.size() - packet_idx_payload - *masked_from));
  } else {
    len = compress(pkt);
  }
  pkt.resize(len);
  EXPECT_EQ(armor(pkt, keys, suite), armor_result::ok);
  return pkt;
}

TEST(VerbsAlloc, WholePacketReceivePathDoesNotAllocate) {
  const auto keys = fixed_keys();
  const samples s;
  // MULTICAST_LIKE compresses well (eight similar tuples); HELLO goes out with suite 0 and its
  // moon list masked by cryptField (§2.5).
  bytes like_payload, hello_payload_bytes;
  for (const auto& [v, p] : s.payloads) {
    if (v == 0x09) like_payload = p;
    if (v == 0x01) hello_payload_bytes = p;
  }
  const std::size_t masked = s.hello().masked_offset();
  const bytes like = compose(verb::multicast_like, like_payload, *keys,
                             cipher_suite::aes_gmac_siv, std::nullopt);
  const bytes like_salsa = compose(verb::multicast_like, like_payload, *keys,
                                   cipher_suite::poly1305_salsa2012, std::nullopt);
  const bytes hello = compose(verb::hello, hello_payload_bytes, *keys,
                              cipher_suite::poly1305_none, masked);
  ASSERT_LT(like.size(), packet_idx_payload + like_payload.size()) << "not compressed";

  bytes buf(packet_max_length);
  auto receive = [&](const bytes& wire) -> std::size_t {  // elements seen, 0 on any failure
    std::copy(wire.begin(), wire.end(), buf.begin());
    std::span<std::uint8_t> p(buf.data(), wire.size());
    auto header = packet_header::parse(p);
    if (!header.ok()) return 0;
    if (dearmor(p, *keys, 0) != armor_result::ok) return 0;
    const auto v = *const_packet_view::checked(p);
    if (v.verb() == verb::hello) {
      auto off = hello_payload::masked_offset(v.payload());
      if (!off.ok() || !crypt_field(p, *keys, packet_idx_payload + *off,
                                    p.size() - packet_idx_payload - *off)) {
        return 0;
      }
    }
    const uncompressed u = uncompress(buf, p.size());
    if (!u.ok()) return 0;
    const auto full = *const_packet_view::checked(std::span<const std::uint8_t>(buf.data(), u.size));
    auto parsed = parse_verb_payload(full.verb_value(), full.payload());
    if (!parsed.ok() || !parsed->exact()) return 0;
    return walk_lists(parsed->value);
  };
  // Warm up: SIMD variants are picked on first use.
  ASSERT_EQ(receive(like), 8u);

  ztkit::testing::allocation_scope receive_window;
  const std::size_t a = receive(like);
  const std::size_t b = receive(like_salsa);
  const std::size_t c = receive(hello);
  receive_window.stop();
  const std::uint64_t allocations = receive_window.count();
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(a, 8u);
  EXPECT_EQ(b, 8u);
  EXPECT_EQ(c, 2u);
}

}  // namespace
}  // namespace ztkit::wire
