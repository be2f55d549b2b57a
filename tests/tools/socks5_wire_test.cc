// SOCKS5 message parsers and replies (tools/zt/socks5_wire.h) against RFC 1928 / RFC 1929 byte
// layouts: every message whole, every strict prefix incomplete, and the bad inputs.
#include "tools/zt/socks5_wire.h"

#include <gtest/gtest.h>

#include <vector>

namespace ztkit::tools::socks5 {
namespace {

using bytes = std::vector<std::uint8_t>;

// Every strict prefix of a valid message is `incomplete`.
template <typename Parse>
void expect_prefixes_incomplete(const bytes& whole, Parse parse) {
  for (std::size_t n = 0; n < whole.size(); ++n)
    EXPECT_EQ(parse(std::span(whole.data(), n)).st, status::incomplete) << "prefix " << n;
}

TEST(Socks5Wire, Greeting) {
  const bytes in{5, 2, 0x00, 0x02, 0xaa};  // one trailing byte that is not part of it
  greeting g;
  const auto p = parse_greeting(in, g);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.size, 4u);
  EXPECT_TRUE(g.offers(method::no_auth));
  EXPECT_TRUE(g.offers(method::user_pass));
  EXPECT_FALSE(g.offers(method::gssapi));
  expect_prefixes_incomplete({5, 2, 0, 2}, [&](auto b) { return parse_greeting(b, g); });
  EXPECT_EQ(parse_greeting(bytes{4, 1, 0}, g).st, status::bad_version);  // SOCKS4
  EXPECT_EQ(parse_greeting(bytes{'G', 'E', 'T'}, g).st, status::bad_version);
  EXPECT_EQ(parse_greeting(bytes{5, 0}, g).st, status::no_methods);
}

TEST(Socks5Wire, Credentials) {
  const bytes in{1, 3, 'b', 'o', 'b', 2, 'p', 'w'};
  credentials c;
  const auto p = parse_credentials(in, c);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.size, in.size());
  EXPECT_EQ(c.user, "bob");
  EXPECT_EQ(c.pass, "pw");
  expect_prefixes_incomplete(in, [&](auto b) { return parse_credentials(b, c); });
  EXPECT_TRUE(parse_credentials(bytes{1, 1, 'u', 0}, c).ok());  // empty password
  EXPECT_EQ(c.pass, "");
  EXPECT_EQ(parse_credentials(bytes{5, 1, 'u', 0}, c).st, status::bad_version);
  EXPECT_EQ(parse_credentials(bytes{1, 0, 0}, c).st, status::empty_field);
}

TEST(Socks5Wire, RequestIpv4Ipv6Domain) {
  request r;
  const bytes v4{5, 1, 0, 1, 10, 147, 17, 2, 0x1f, 0x90};
  auto p = parse_request(v4, r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.size, v4.size());
  EXPECT_EQ(r.cmd, 1);
  EXPECT_EQ(to_string(r.dst), "10.147.17.2:8080");
  expect_prefixes_incomplete(v4, [&](auto b) { return parse_request(b, r); });

  bytes v6{5, 3, 0, 4};
  for (int i = 0; i < 16; ++i) v6.push_back(i == 0 ? 0xfd : (i == 15 ? 1 : 0));
  v6.insert(v6.end(), {0, 53});
  p = parse_request(v6, r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(r.cmd, 3);
  EXPECT_EQ(r.dst.type, atyp::ipv6);
  EXPECT_EQ(to_string(r.dst), "[fd00:0:0:0:0:0:0:1]:53");
  expect_prefixes_incomplete(v6, [&](auto b) { return parse_request(b, r); });

  const bytes name{5, 1, 0, 3, 8, '1', '0', '.', '1', '.', '2', '.', '3', 0, 80};
  p = parse_request(name, r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(r.dst.type, atyp::domain);
  EXPECT_EQ(r.dst.domain, "10.1.2.3");
  EXPECT_EQ(r.dst.port, 80);
  expect_prefixes_incomplete(name, [&](auto b) { return parse_request(b, r); });
}

TEST(Socks5Wire, RequestErrors) {
  request r;
  EXPECT_EQ(parse_request(bytes{4, 1, 0, 1, 1, 2, 3, 4, 0, 80}, r).st, status::bad_version);
  EXPECT_EQ(parse_request(bytes{5, 1, 1, 1, 1, 2, 3, 4, 0, 80}, r).st, status::bad_reserved);
  EXPECT_EQ(parse_request(bytes{5, 1, 0, 2, 1, 2, 3, 4, 0, 80}, r).st, status::bad_address_type);
  EXPECT_EQ(parse_request(bytes{5, 1, 0, 3, 0, 0, 80}, r).st, status::empty_field);
  // An unknown command still parses whole (the answer is "command not supported").
  const auto p = parse_request(bytes{5, 9, 0, 1, 1, 2, 3, 4, 0, 80}, r);
  EXPECT_EQ(p.st, status::bad_command);
  EXPECT_EQ(p.size, 10u);
  EXPECT_EQ(r.cmd, 9);
}

TEST(Socks5Wire, UdpHeader) {
  const bytes d{0, 0, 0, 1, 10, 0, 0, 7, 0x23, 0x28, 'h', 'i'};
  udp_header h;
  const auto p = parse_udp_header(d, h);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.size, 10u);
  EXPECT_EQ(h.frag, 0);
  EXPECT_EQ(to_string(h.dst), "10.0.0.7:9000");
  EXPECT_EQ(parse_udp_header(bytes{0, 1, 0, 1, 10, 0, 0, 7, 0, 1}, h).st, status::bad_reserved);
  EXPECT_EQ(parse_udp_header(bytes{0, 0, 0, 1, 10, 0}, h).st, status::incomplete);  // a short datagram
  EXPECT_EQ(parse_udp_header(bytes{0, 0, 0, 9, 10, 0, 0, 7, 0, 1}, h).st, status::bad_address_type);
  EXPECT_TRUE(parse_udp_header(bytes{0, 0, 2, 1, 10, 0, 0, 7, 0, 1}, h).ok());
  EXPECT_EQ(h.frag, 2);  // the relay drops fragments
}

TEST(Socks5Wire, RepliesRoundTrip) {
  EXPECT_EQ(method_selection(method::none_acceptable), (bytes{5, 0xff}));
  EXPECT_EQ(auth_status(true), (bytes{1, 0}));
  EXPECT_EQ(auth_status(false), (bytes{1, 1}));
  address a;
  a.type = atyp::ipv4;
  a.ip = {10, 147, 17, 2};
  a.port = 1080;
  EXPECT_EQ(reply_message(reply::connection_refused, a), (bytes{5, 5, 0, 1, 10, 147, 17, 2, 0x04, 0x38}));
  // A reply has a request's layout: it parses back as one (with REP in the CMD place).
  request r;
  ASSERT_EQ(parse_request(reply_message(reply::host_unreachable, a), r).st, status::bad_command);
  EXPECT_EQ(to_string(r.dst), "10.147.17.2:1080");
  const auto u = udp_header_bytes(a);
  udp_header h;
  const auto p = parse_udp_header(u, h);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.size, u.size());
  EXPECT_EQ(to_string(h.dst), "10.147.17.2:1080");
  address name;
  name.type = atyp::domain;
  name.domain = "host";
  name.port = 7;
  EXPECT_EQ(udp_header_bytes(name), (bytes{0, 0, 0, 3, 4, 'h', 'o', 's', 't', 0, 7}));
}

}  // namespace
}  // namespace ztkit::tools::socks5
