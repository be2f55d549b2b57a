// The HTTP proxy's request-head parser (tools/zt/http_proxy_wire.h): CONNECT authority-form,
// absolute-form forwarding, limits, and malformed heads.
#include "tools/zt/http_proxy_wire.h"

#include <gtest/gtest.h>

#include <string>

namespace ztkit::tools::http_proxy {
namespace {

parsed parse(std::string_view s, request_head& h) {
  return parse_request_head({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, h);
}

TEST(HttpProxyWire, ConnectAsCurlSendsIt) {
  const std::string head =
      "CONNECT 10.147.17.2:8080 HTTP/1.1\r\nHost: 10.147.17.2:8080\r\nUser-Agent: curl/7.88.1\r\n"
      "Proxy-Connection: Keep-Alive\r\n\r\n";
  request_head h;
  ASSERT_TRUE(parse(head + "early bytes", h).ok());
  EXPECT_EQ(h.size, head.size());
  EXPECT_EQ(h.method, "CONNECT");
  EXPECT_EQ(h.host, "10.147.17.2");
  EXPECT_EQ(h.port, 8080);
  EXPECT_EQ(h.header("user-agent").value_or(""), "curl/7.88.1");
  EXPECT_FALSE(h.header("Proxy-Authorization"));
  for (std::size_t n = 0; n < head.size(); ++n) EXPECT_EQ(parse(head.substr(0, n), h).st, status::incomplete) << n;
}

TEST(HttpProxyWire, ConnectIpv6AndBareLf) {
  request_head h;
  ASSERT_TRUE(parse("CONNECT [fd00::1]:443 HTTP/1.0\n\n", h).ok());
  EXPECT_EQ(h.host, "fd00::1");
  EXPECT_EQ(h.port, 443);
  EXPECT_EQ(parse("CONNECT fd00::1:443 HTTP/1.1\r\n\r\n", h).st, status::bad_target);  // needs brackets
  EXPECT_EQ(parse("CONNECT 10.0.0.1 HTTP/1.1\r\n\r\n", h).st, status::bad_target);       // no port
  EXPECT_EQ(parse("CONNECT 10.0.0.1:0 HTTP/1.1\r\n\r\n", h).st, status::bad_target);
  EXPECT_EQ(parse("CONNECT 10.0.0.1:65536 HTTP/1.1\r\n\r\n", h).st, status::bad_target);
  EXPECT_EQ(parse("CONNECT 10.0.0.1:80x HTTP/1.1\r\n\r\n", h).st, status::bad_target);
  EXPECT_EQ(parse("CONNECT [fd00::1 HTTP/1.1\r\n\r\n", h).st, status::bad_target);
}

TEST(HttpProxyWire, AbsoluteFormAndOriginHead) {
  request_head h;
  ASSERT_TRUE(parse("GET http://10.1.2.3:8080/a/b?c=d#frag HTTP/1.1\r\nHost: 10.1.2.3:8080\r\n"
                    "Proxy-Authorization: Basic eDp5\r\nProxy-Connection: keep-alive\r\nAccept: */*\r\n\r\n",
                    h)
                  .ok());
  EXPECT_EQ(h.host, "10.1.2.3");
  EXPECT_EQ(h.port, 8080);
  EXPECT_EQ(h.path, "/a/b?c=d");
  EXPECT_EQ(origin_head(h),
            "GET /a/b?c=d HTTP/1.1\r\nHost: 10.1.2.3:8080\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(parse("GET http://[fd00::2] HTTP/1.1\r\n\r\n", h).ok());
  EXPECT_EQ(h.port, 80);
  EXPECT_EQ(h.path, "/");
  EXPECT_EQ(origin_head(h), "GET / HTTP/1.1\r\nHost: [fd00::2]\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", h).st, status::bad_target);  // origin-form
  EXPECT_EQ(parse("GET https://10.1.2.3/ HTTP/1.1\r\n\r\n", h).st, status::bad_target);
  EXPECT_EQ(parse("GET http:// HTTP/1.1\r\n\r\n", h).st, status::bad_target);
  EXPECT_EQ(parse("GET http://u@10.1.2.3/ HTTP/1.1\r\n\r\n", h).st, status::bad_target);
}

TEST(HttpProxyWire, MalformedHeads) {
  request_head h;
  EXPECT_EQ(parse("CONNECT\r\n\r\n", h).st, status::bad_request_line);
  EXPECT_EQ(parse("CONNECT 1.2.3.4:5\r\n\r\n", h).st, status::bad_request_line);
  EXPECT_EQ(parse("CON{ECT 1.2.3.4:5 HTTP/1.1\r\n\r\n", h).st, status::bad_request_line);
  EXPECT_EQ(parse("CONNECT 1.2.3.4:5 x HTTP/1.1\r\n\r\n", h).st, status::bad_request_line);
  EXPECT_EQ(parse("CONNECT 1.2.3.4:5 HTTP/2\r\n\r\n", h).st, status::bad_version);
  EXPECT_EQ(parse("CONNECT 1.2.3.4:5 HTTP/1.1\r\nno colon\r\n\r\n", h).st, status::bad_header);
  EXPECT_EQ(parse("CONNECT 1.2.3.4:5 HTTP/1.1\r\n folded: x\r\n\r\n", h).st, status::bad_header);
  EXPECT_EQ(parse(std::string("GET http://1.2.3.4/a\0b HTTP/1.1\r\n\r\n", 35), h).st, status::bad_request_line);
  EXPECT_EQ(parse("GET http://1.2.3.4/ HTTP/1.1\r\nX: a\x01b\r\n\r\n", h).st, status::bad_header);
  EXPECT_TRUE(parse("GET http://1.2.3.4/ HTTP/1.1\r\nX: a\tb\r\n\r\n", h).ok());
  EXPECT_EQ(parse("\x16\x03\x01\x02\x00\x01", h).st, status::incomplete);  // a TLS hello: no end yet
}

TEST(HttpProxyWire, Limits) {
  request_head h;
  std::string big = "CONNECT 1.2.3.4:5 HTTP/1.1\r\nX: " + std::string(max_head, 'a');
  EXPECT_EQ(parse(big, h).st, status::too_large);
  std::string many = "CONNECT 1.2.3.4:5 HTTP/1.1\r\n";
  for (std::size_t i = 0; i <= max_headers; ++i) many += "A: b\r\n";
  EXPECT_EQ(parse(many + "\r\n", h).st, status::too_large);
}

TEST(HttpProxyWire, Base64) {
  EXPECT_EQ(base64_decode("dXNlcjpwYXNz").value_or("?"), "user:pass");
  EXPECT_EQ(base64_decode("YQ==").value_or("?"), "a");
  EXPECT_EQ(base64_decode("YWI=").value_or("?"), "ab");
  EXPECT_EQ(base64_decode("").value_or("?"), "");
  EXPECT_FALSE(base64_decode("a$bc"));
  EXPECT_FALSE(base64_decode("abcde"));
}

}  // namespace
}  // namespace ztkit::tools::http_proxy
